"""Metrics to CloudWatch as Embedded Metric Format log lines, through Powertools: no API call per metric."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from chalicelib.metrics import NAMESPACE, Metric, _check


class EmfSink:
    def count(self, metric: Metric, value: float = 1, **dimensions: str) -> None:
        _check(metric, dimensions)
        with single_metric(name=metric.name, unit=MetricUnit(metric.unit), value=value,
                           namespace=NAMESPACE) as emitted:
            for name, dim_value in dimensions.items():
                emitted.add_dimension(name=name, value=dim_value)
