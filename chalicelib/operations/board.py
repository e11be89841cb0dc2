"""The licensor's dashboard as data: which graphs stand in which row. CloudWatch's dashboard (infra/dashboard.py)
and the local one (`/ops` in `make run`) are both drawn from this, so a newcomer sees locally what CloudWatch
will show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
