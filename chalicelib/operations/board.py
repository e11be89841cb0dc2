"""The licensor's dashboard as data: which graphs stand in which row. CloudWatch's dashboard (infra/dashboard.py)
and the local one (`/ops` in `make run`) are both drawn from this, so a newcomer sees locally what CloudWatch
will show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.metrics import CATALOGUE, Metric, dimension_set

# The rows in the order on-call reads them; an area of the catalogue not listed here comes after.
AREAS = ("chat", "mail", "licensing", "billing", "operations")
PERIOD_SECONDS = 300


@dataclass(frozen=True)
class Panel:
    metric: Metric

    @property
    def split_by(self) -> tuple[str, ...]:
        """The graph has one line per combination of these dimensions' values."""
        return dimension_set(self.metric)

    @property
    def title(self) -> str:
        by = f" by {', '.join(self.split_by)}" if self.split_by else ""
        return f"{self.metric.description}{'' if by in self.metric.description else by}"


@dataclass(frozen=True)
class Row:
    area: str
    panels: tuple[Panel, ...]


def layout(catalogue: Sequence[Metric] = CATALOGUE) -> list[Row]:
    """One row per area, a graph per catalogue metric; an area without metrics still gets its (empty) row."""
    areas = [*AREAS, *sorted({m.area for m in catalogue} - set(AREAS))]
    return [Row(area, tuple(Panel(m) for m in catalogue if m.area == area)) for area in areas]


def board_data(lines: Iterable[Mapping[str, Any]], now_ms: int, lang: str, window_seconds: int = 3 * 3600,
               period_seconds: int = PERIOD_SECONDS) -> dict[str, Any]:
    """The local dashboard's content from EMF lines, as CloudWatch would graph them: per panel, one series
    per combination of dimension values, summed per period. A line counts only when its dimension set is
    exactly the panel's, as SEARCH matches (so the local page shows the same mistakes CloudWatch would)."""
    from chalicelib.operations.messages import language, messages, text

    lang = language(lang)
    start_ms = now_ms - window_seconds * 1000
    period_ms = period_seconds * 1000
    sums: dict[str, dict[tuple[str, ...], dict[int, float]]] = {}
    wanted = {m.name: tuple(sorted(dimension_set(m))) for m in CATALOGUE}
    for line in lines:
        meta = line.get("_aws") or {}
        stamp = int(meta.get("Timestamp") or 0)
        if stamp < start_ms or stamp > now_ms + period_ms:
            continue
        for directive in meta.get("CloudWatchMetrics") or []:
            for metric in directive.get("Metrics") or []:
                name = metric.get("Name")
                for dimensions in directive.get("Dimensions") or [[]]:
                    if name not in wanted or tuple(sorted(dimensions)) != wanted[name]:
                        continue
                    key = tuple(str(line.get(d, "")) for d in dimension_set(_metric(name)))
                    values = line.get(name)
                    total = sum(values) if isinstance(values, list) else float(values or 0)
                    bins = sums.setdefault(name, {}).setdefault(key, {})
                    bucket = stamp - stamp % period_ms
                    bins[bucket] = bins.get(bucket, 0.0) + total
    rows = []
    for row in layout(CATALOGUE):
        panels = [{"metric": p.metric.name, "title": text(lang, f"metric.{p.metric.name}"), "split_by": p.split_by,
                   "series": [{"label": " ".join(key) or p.metric.name,
                               "points": [[t, v] for t, v in sorted(bins.items())]}
                              for key, bins in sorted(sums.get(p.metric.name, {}).items())]}
                  for p in row.panels]
        rows.append({"area": row.area, "title": text(lang, f"area.{row.area}"), "panels": panels})
    strings = {k.removeprefix("page."): v for k, v in messages(lang).items() if k.startswith("page.")}
    return {"lang": lang, "strings": strings, "period_seconds": period_seconds, "from": start_ms, "to": now_ms,
            "window_hours": window_seconds // 3600, "rows": rows}


def _metric(name: str) -> Metric:
    return next(m for m in CATALOGUE if m.name == name)
