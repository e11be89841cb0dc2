"""Metrics to CloudWatch as Embedded Metric Format log lines, through Powertools: no API call per metric.

On Lambda each line goes to standard output, where CloudWatch Logs reads it and makes the metric. Local mode
writes the very same lines to a file instead, which the local dashboard (`/ops`) reads."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.base import SingleMetric

from chalicelib.metrics import NAMESPACE, Metric, _check


def emf_line(metric: Metric, value: float, dimensions: dict[str, str]) -> dict[str, Any]:
    """One metric as Powertools serializes it (the environment decides the rest, e.g. POWERTOOLS_SERVICE_NAME
    adds a `service` dimension: tests/infra/test_metric_dimensions.py compares the result with the dashboard)."""
    _check(metric, dimensions)
    single = SingleMetric(namespace=NAMESPACE)
    single.add_metric(name=metric.name, unit=MetricUnit(metric.unit), value=value)
    for name, dim_value in dimensions.items():
        single.add_dimension(name=name, value=dim_value)
    return single.serialize_metric_set()


def _stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class EmfSink:
    def __init__(self, write: Callable[[str], None] = _stdout) -> None:
        self.write = write

    def count(self, metric: Metric, value: float = 1, **dimensions: str) -> None:
        self.write(json.dumps(emf_line(metric, value, dimensions), separators=(",", ":"), ensure_ascii=False))


class EmfFile:
    """Appends EMF lines to a file (local mode), one whole line per write, from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
