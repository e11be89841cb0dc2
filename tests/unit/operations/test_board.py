"""The dashboard as data, shared by CloudWatch's and the local page, and the local page's graphs from EMF."""

from __future__ import annotations

import json

import pytest

from chalicelib.adapters.cloudwatch import emf_line
from chalicelib.metrics import CATALOGUE, LICENSE_VALIDATIONS
from chalicelib.operations.board import PERIOD_SECONDS, board_data, layout
from chalicelib.operations.messages import messages


def lines_at(stamp_ms: int, *emitted: tuple[str, dict[str, str]]) -> list[dict]:  # type: ignore[type-arg]
    found = []
    for code, extra in emitted:
        line = emf_line(LICENSE_VALIDATIONS, 1, {"code": code})
        line["_aws"]["Timestamp"] = stamp_ms
        for name, value in extra.items():  # what an emitter adding a dimension would write
            line[name] = value
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0].append(name)
        found.append(json.loads(json.dumps(line)))
    return found


def panel(data: dict, name: str) -> dict:  # type: ignore[type-arg]
    return next(p for row in data["rows"] for p in row["panels"] if p["metric"] == name)


def test_every_catalogue_metric_has_one_graph_in_its_areas_row() -> None:
    shown = [p.metric.name for row in layout() for p in row.panels]
    assert sorted(shown) == sorted(m.name for m in CATALOGUE)
    assert [row.area for row in layout()][:5] == ["chat", "mail", "licensing", "billing", "operations"]


def test_the_local_graph_sums_per_period_by_dimension_values_as_search_does() -> None:
    period = PERIOD_SECONDS * 1000
    now = 1_800_000_000_000 - 1_800_000_000_000 % period + 1000
    lines = [*lines_at(now - 500, ("VALID", {}), ("VALID", {}), ("SUSPENDED", {})),
             *lines_at(now - period, ("VALID", {})),
             *lines_at(now - 400, ("VALID", {"service": "kefu"}))]  # another dimension set: SEARCH misses it
    graph = panel(board_data(lines, now, "en"), "LicenseValidations")
    series = {s["label"]: s["points"] for s in graph["series"]}
    bucket = now - now % period
    assert series == {"SUSPENDED": [[bucket, 1.0]], "VALID": [[bucket - period, 1.0], [bucket, 2.0]]}
    assert graph["title"] == messages("en")["metric.LicenseValidations"]


def test_lines_outside_the_window_are_left_out() -> None:
    now = 1_800_000_000_000
    data = board_data(lines_at(now - 4 * 3600 * 1000, ("VALID", {})), now, "zh-CN")
    assert panel(data, "LicenseValidations")["series"] == []
    assert data["lang"] == "zh-CN" and data["strings"]["title"] == messages("zh-CN")["page.title"]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_page_speaks_both_languages_completely(lang: str) -> None:
    assert set(messages(lang)) == set(messages("zh-CN")) == set(messages("en"))  # also tests/unit/i18n
    for metric in CATALOGUE:
        assert messages(lang).get(f"metric.{metric.name}"), metric.name
    for row in layout():
        assert messages(lang).get(f"area.{row.area}"), row.area
    assert board_data([], 0, "fr")["lang"] == "zh-CN"  # the default
