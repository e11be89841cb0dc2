"""CloudWatch keeps one metric per exact set of dimension names, and SEARCH and Metrics Insights match that set
exactly: a metric emitted with one dimension more than the dashboard names is on no graph and in no alarm.
So every catalogue metric is emitted here as the code emits it on each stage (the sink bootstrap builds from
the stage's environment in .chalice/config.json, writing real EMF lines), and the dimension set of each line
must equal the one the synthesized dashboard's SEARCH and every alarm on that metric use."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.local.config import stage_environment
from chalicelib.metrics import CATALOGUE, NAMESPACE, Metric
from chalicelib.settings import Settings
from tests.infra.conftest import ROOT, STAGES, Synthesized

pytestmark = pytest.mark.infra

DimensionSets = dict[str, set[tuple[str, ...]]]


@pytest.fixture
def stage_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Put a stage's environment in place as Lambda would (Powertools reads os.environ itself)."""
    def put(env: dict[str, str]) -> None:
        for name in [n for n in os.environ if n.startswith(("POWERTOOLS_", "KEFU_"))]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    yield put


def emitted_dimension_sets(env: dict[str, str], capsys: pytest.CaptureFixture[str],
                           tmp_path: Any) -> DimensionSets:
    """Emit every catalogue metric through the sink the stage's settings build; read back the EMF lines."""
    env = {**env, "KEFU_DATA_DIR": str(tmp_path), "AWS_DEFAULT_REGION": "ap-southeast-1"}
    sink = bootstrap.build(Settings.from_env(env)).metrics
    capsys.readouterr()
    for metric in CATALOGUE:
        sink.count(metric, **{name: "x" for name in metric.dimensions})
    printed = capsys.readouterr().out.splitlines()
    kept = tmp_path / "metrics" / "emf.jsonl"
    lines = [json.loads(line) for line in [*printed, *(kept.read_text().splitlines() if kept.exists() else [])]
             if line.startswith("{")]
    assert len(lines) == len(CATALOGUE), "every metric is one EMF line"
    found: DimensionSets = {}
    for line in lines:
        [directive] = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        [metric] = directive["Metrics"]
        found.setdefault(metric["Name"], set()).update(tuple(sorted(d)) for d in directive["Dimensions"])
    return found


def queried_dimension_sets(template: dict[str, Any]) -> tuple[DimensionSets, DimensionSets]:
    """(dashboard, alarms): the dimension sets each kefu metric is looked up by."""
    dashboard: DimensionSets = {}
    alarms: DimensionSets = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::CloudWatch::Dashboard":
            body = json.dumps(resource["Properties"]["DashboardBody"])
            for schema, name in re.findall(r"SEARCH\('\{([^}]*)\} MetricName=\\+\"(\w+)\\+\"", body):
                namespace, *dims = schema.split(",")
                assert namespace == NAMESPACE
                dashboard.setdefault(name, set()).add(tuple(sorted(dims)))
        elif resource["Type"] == "AWS::CloudWatch::Alarm":
            props = resource["Properties"]
            if props.get("Namespace") == NAMESPACE:
                alarms.setdefault(props["MetricName"], set()).add(tuple(sorted(d["Name"] for d in props["Dimensions"])))
            for query in props.get("Metrics", []):
                found = re.match(r'SELECT SUM\("(\w+)"\) FROM SCHEMA\(([^)]*)\)', query.get("Expression", ""))
                if found:
                    namespace, *dims = [d.strip().strip('"') for d in found.group(2).split(",")]
                    assert namespace == NAMESPACE
                    alarms.setdefault(found.group(1), set()).add(tuple(sorted(dims)))
    return dashboard, alarms


def mismatches(emitted: DimensionSets, dashboard: DimensionSets, alarms: DimensionSets,
               catalogue: tuple[Metric, ...] = CATALOGUE) -> list[str]:
    problems = []
    for metric in catalogue:
        sent = emitted.get(metric.name, set())
        if dashboard.get(metric.name) != sent:
            problems.append(f"{metric.name}: emitted with {sorted(sent)}, the dashboard searches "
                            f"{sorted(dashboard.get(metric.name, set()))}")
        if metric.name in alarms and alarms[metric.name] != sent:
            problems.append(f"{metric.name}: emitted with {sorted(sent)}, "
                            f"its alarms query {sorted(alarms[metric.name])}")
    return problems


@pytest.mark.parametrize("stage", STAGES)
def test_every_metric_is_emitted_with_the_dimension_set_the_dashboard_and_alarms_query(
        synthesized: Synthesized, stage: str, stage_env: Any, capsys: pytest.CaptureFixture[str],
        tmp_path: Any) -> None:
    env = stage_environment(stage)
    stage_env(env)
    emitted = emitted_dimension_sets(env, capsys, tmp_path)
    dashboard, alarms = queried_dimension_sets(synthesized.templates[stage])
    assert {m.name for m in CATALOGUE} <= set(dashboard)
    assert {m.name for m in CATALOGUE if m.alarm_on is not None or m.heartbeat} <= set(alarms)
    assert mismatches(emitted, dashboard, alarms) == []


def test_local_mode_keeps_the_same_lines_in_its_file(stage_env: Any, capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Any) -> None:
    env = stage_environment("local")
    stage_env(env)
    emitted = emitted_dimension_sets(env, capsys, tmp_path)
    assert emitted == {m.name: {tuple(sorted(m.dimensions))} for m in CATALOGUE}


def test_a_service_name_in_a_stage_without_the_dashboard_following_is_caught(
        synthesized: Synthesized, stage_env: Any, capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    """What this file exists for: POWERTOOLS_SERVICE_NAME makes Powertools add a `service` dimension."""
    env = {**stage_environment("prod"), "POWERTOOLS_SERVICE_NAME": "kefu"}
    stage_env(env)
    emitted = emitted_dimension_sets(env, capsys, tmp_path)
    dashboard, alarms = queried_dimension_sets(synthesized.templates["prod"])
    problems = mismatches(emitted, dashboard, alarms)
    assert len([p for p in problems if "the dashboard searches" in p]) == len(CATALOGUE)
    assert "'service'" in problems[0]


def test_no_stage_sets_a_service_name_for_powertools() -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    envs = [config.get("environment_variables", {}),
            *(s.get("environment_variables", {}) for s in config["stages"].values())]
    assert not any("POWERTOOLS_SERVICE_NAME" in env for env in envs), \
        "it adds a `service` dimension to every metric, which the dashboard does not search"
