"""Code and dashboard stay honest: every metric the code emits is on the dashboard or an alarm, every kefu
metric the dashboard or an alarm shows is in the catalogue, and every catalogue metric is emitted somewhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib import metrics
from chalicelib.metrics import CATALOGUE
from tests.infra.conftest import ROOT, STAGES, Synthesized

pytestmark = pytest.mark.infra

EMIT = re.compile(r"\.count\(\s*(?:metrics\.)?([A-Z][A-Z0-9_]*)\b")


def emitted_in(root: Path) -> set[str]:
    """Names of the catalogue metrics passed to `<sink>.count(...)` anywhere in the package's code."""
    names = set()
    for path in (root / "chalicelib").rglob("*.py"):
        for constant in EMIT.findall(path.read_text(encoding="utf-8")):
            metric = getattr(metrics, constant, None)
            if isinstance(metric, metrics.Metric):
                names.add(metric.name)
    return names


def shown_in(template: dict[str, object]) -> set[str]:
    """kefu metric names on the dashboard (SEARCH expressions, metric arrays) and in alarms (queries)."""
    text = json.dumps(template)
    found = set(re.findall(r'MetricName=\\+"([A-Za-z0-9]+)\\+"', text))
    found |= set(re.findall(r'\[\\*"kefu\\*",\s*\\*"([A-Za-z0-9]+)\\*"', text))
    found |= set(re.findall(r'SELECT SUM\(\\*"([A-Za-z0-9]+)\\*"\)', text))
    return found


def test_every_catalogue_metric_is_emitted_by_the_code() -> None:
    never = {m.name for m in CATALOGUE} - emitted_in(ROOT)
    assert never == set(), f"in the catalogue but emitted nowhere: {sorted(never)}"


def test_the_scan_finds_emissions_and_ignores_what_is_not_a_metric(tmp_path: Path) -> None:
    (tmp_path / "chalicelib").mkdir()
    (tmp_path / "chalicelib" / "x.py").write_text("sink.count(BACKUPS, result='ok')\nitems.count(NOT_A_METRIC)\n")
    assert emitted_in(tmp_path) == {"Backups"}


@pytest.mark.parametrize("stage", STAGES)
def test_every_emitted_metric_is_on_the_dashboard_or_an_alarm(synthesized: Synthesized, stage: str) -> None:
    missing = emitted_in(ROOT) - shown_in(synthesized.templates[stage])
    assert missing == set(), f"emitted but on no dashboard or alarm: {sorted(missing)}"


@pytest.mark.parametrize("stage", STAGES)
def test_the_dashboard_shows_no_metric_outside_the_catalogue(synthesized: Synthesized, stage: str) -> None:
    shown = shown_in(synthesized.templates[stage])
    assert shown, "the scan found no kefu metric on the dashboard"
    assert shown - {m.name for m in CATALOGUE} == set()
    assert shown <= emitted_in(ROOT)


def test_metrics_with_an_alarm_get_one_per_stage(synthesized: Synthesized) -> None:
    alarmed = {m.name for m in CATALOGUE if m.alarm_on is not None}
    queries = json.dumps(synthesized.resources("prod", "AWS::CloudWatch::Alarm"))
    assert alarmed and all(f'SUM(\\"{name}\\")' in queries for name in alarmed)
