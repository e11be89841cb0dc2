"""The licensor's dashboard and alarms, built from the metric catalogue (one row per area) and from the
functions Chalice packages. Nothing here names a kefu metric by hand: a test keeps code and dashboard honest."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.metrics import CATALOGUE, NAMESPACE, Metric

AREAS = ("chat", "email", "phone", "licensing", "billing", "operations")
PERIOD = Duration.minutes(5)
COLD_STARTS = ('filter @type = "REPORT" and ispresent(@initDuration) '
               "| stats count(*) as cold_starts, avg(@initDuration) as init_ms, max(@initDuration) as max_init_ms "
               "by bin(1h)")


def search(metric: Metric) -> str:
    """Every dimension combination the code emits, without listing the values (codes, reasons, tables)."""
    schema = ",".join((NAMESPACE, *metric.dimensions))
    return f"SEARCH('{{{schema}}} MetricName=\"{metric.name}\"', 'Sum', {int(PERIOD.to_seconds())})"


def insights_query(metric: Metric) -> str:
    """A Metrics Insights query summing the metric over the dimension values it alarms on."""
    schema = ", ".join(f'"{d}"' for d in (NAMESPACE, *metric.dimensions))
    where = " AND ".join(f"\"{name}\" = '{value}'" for name, value in metric.alarm_on or ())
    # Names come from the catalogue in code, never from input.
    return f'SELECT SUM("{metric.name}") FROM SCHEMA({schema})' + (f" WHERE {where}" if where else "")  # noqa: S608


def metric_widget(metric: Metric) -> cw.GraphWidget:
    if metric.dimensions:
        line: cw.IMetric = cw.MathExpression(expression=search(metric), using_metrics={}, period=PERIOD, label="")
    else:
        # Durations read as an average (a sum of seconds means nothing); counts as a sum.
        line = cw.Metric(namespace=NAMESPACE, metric_name=metric.name, period=PERIOD,
                         statistic="Average" if metric.unit == "Seconds" else "Sum")
    by = f" by {', '.join(metric.dimensions)}" if metric.dimensions else ""
    return cw.GraphWidget(title=f"{metric.description}{'' if by in metric.description else by}", left=[line],
                          width=12, height=6)


def area_rows(catalogue: Sequence[Metric]) -> list[cw.IWidget]:
    rows: list[cw.IWidget] = []
    areas = [*AREAS, *sorted({m.area for m in catalogue} - set(AREAS))]
    for area in areas:
        metrics = [m for m in catalogue if m.area == area]
        rows.append(cw.TextWidget(markdown=f"## {area}" + ("" if metrics else "\nNo metrics in the catalogue yet."),
                                  width=24, height=1 if metrics else 2))
        rows += [metric_widget(m) for m in metrics]
    return rows


def function_rows(functions: dict[str, str], dead_letters: sqs.IQueue) -> list[cw.IWidget]:
    """Errors, throttles, duration and cold starts per function (`functions`: Chalice name -> function name)."""

    def lambda_metric(name: str, function: str, statistic: str) -> cw.Metric:
        return cw.Metric(namespace="AWS/Lambda", metric_name=name, dimensions_map={"FunctionName": function},
                         statistic=statistic, period=PERIOD, label=label_of[function])

    label_of = {function: name for name, function in functions.items()}
    names = list(functions.values())
    return [
        cw.TextWidget(markdown="### functions", width=24, height=1),
        cw.GraphWidget(title="Errors per function", left=[lambda_metric("Errors", f, "Sum") for f in names],
                       width=8, height=6),
        cw.GraphWidget(title="Throttles per function", left=[lambda_metric("Throttles", f, "Sum") for f in names],
                       width=8, height=6),
        cw.GraphWidget(title="Duration p95 per function (ms)",
                       left=[lambda_metric("Duration", f, "p95") for f in names], width=8, height=6),
        cw.LogQueryWidget(title="Cold starts (all functions)", log_group_names=[f"/aws/lambda/{f}" for f in names],
                          query_string=COLD_STARTS, width=16, height=6),
        cw.GraphWidget(title="Scheduler dead letters", width=8, height=6,
                       left=[dead_letters.metric_approximate_number_of_messages_visible(period=PERIOD)]),
    ]


def dashboard(scope: Construct, stage: str, functions: dict[str, str], dead_letters: sqs.IQueue) -> cw.Dashboard:
    board = cw.Dashboard(scope, "Dashboard", dashboard_name=f"kefu-{stage}",
                         default_interval=Duration.days(1))
    for widget in [*area_rows(CATALOGUE), *function_rows(functions, dead_letters)]:
        board.add_widgets(widget)
    return board


def alarms(scope: Construct, functions: dict[str, str], dead_letters: sqs.IQueue, topic: sns.ITopic) -> None:
    """Errors and throttles of every function, dead letters, and each catalogue metric that asks for one."""
    action = cw_actions.SnsAction(topic)
    for name, function in functions.items():
        for metric_name in ("Errors", "Throttles"):
            alarm = cw.Metric(namespace="AWS/Lambda", metric_name=metric_name, statistic="Sum", period=PERIOD,
                              dimensions_map={"FunctionName": function}).create_alarm(
                scope, f"{metric_name}{_camel(name)}", threshold=1, evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                alarm_description=f"{metric_name} in the {name} function")
            alarm.add_alarm_action(action)
    dead = dead_letters.metric_approximate_number_of_messages_visible(period=PERIOD).create_alarm(
        scope, "DeadLetters", threshold=1, evaluation_periods=1,
        comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        alarm_description="A scheduled job's event could not be delivered after its retries")
    dead.add_alarm_action(action)
    rate_alarms(scope, topic)
    for metric in CATALOGUE:
        if metric.alarm_on is None:
            continue
        cw.CfnAlarm(scope, f"Metric{metric.name}", alarm_description=f"{metric.name}: {metric.description}",
                    comparison_operator="GreaterThanThreshold", threshold=0, evaluation_periods=1,
                    treat_missing_data="notBreaching", alarm_actions=[topic.topic_arn],
                    metrics=[cw.CfnAlarm.MetricDataQueryProperty(id="q", expression=insights_query(metric),
                                                                 period=int(PERIOD.to_seconds()),
                                                                 return_data=True)])


def rate_expression(metric: Metric) -> cw.MathExpression:
    """The share the metric's rate alarm watches, as metric math over one metric per dimension value."""
    rate = metric.rate_alarm
    assert rate is not None
    period = Duration.minutes(rate.minutes)
    using = {f"m{i}": cw.Metric(namespace=NAMESPACE, metric_name=metric.name, statistic="Sum", period=period,
                                dimensions_map={**dict(rate.fixed), rate.dimension: value})
             for i, value in enumerate(rate.of)}
    ids = dict(zip(rate.of, using, strict=True))
    total = "+".join(f"FILL({i},0)" for i in using)
    share = "+".join(f"FILL({ids[v]},0)" for v in rate.share)
    return cw.MathExpression(expression=f"IF(({total}) >= {rate.minimum}, ({share})/({total}), 0)",
                             using_metrics=using, period=period, label=f"{metric.name} share")


def rate_alarms(scope: Construct, topic: sns.ITopic) -> None:
    """One alarm per catalogue metric with a rate alarm (e.g. the share of inbound calls nobody answered)."""
    for metric in CATALOGUE:
        rate = metric.rate_alarm
        if rate is None:
            continue
        alarm = rate_expression(metric).create_alarm(
            scope, f"Rate{metric.name}", threshold=rate.threshold, evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=f"{metric.name}: more than {rate.threshold:.0%} {'/'.join(rate.share)} "
                              f"in {rate.minutes} minutes (at least {rate.minimum} counted)")
        alarm.add_alarm_action(cw_actions.SnsAction(topic))


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
