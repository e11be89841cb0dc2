"""The licensor's dashboard and alarms, built from the metric catalogue (the rows of chalicelib/operations/board.py)
and from the functions Chalice packages. Nothing here names a kefu metric by hand, and every query names the
dimension set `metrics.dimension_set` decides: tests/infra/test_metric_dimensions.py emits each metric as the
code does and compares."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.metrics import CATALOGUE, NAMESPACE, Heartbeat, Metric, dimension_set
from chalicelib.operations.board import PERIOD_SECONDS, Panel, layout

PERIOD = Duration.seconds(PERIOD_SECONDS)
# Metrics Insights queries see the last 3 hours only; a longer heartbeat needs a plain metric alarm.
INSIGHTS_RANGE_SECONDS = 3 * 3600
FAILED_EVENTS_MAX_AGE = Duration.days(4)  # replay well before the queue's 14 days run out
COLD_STARTS = ('filter @type = "REPORT" and ispresent(@initDuration) '
               "| stats count(*) as cold_starts, avg(@initDuration) as init_ms, max(@initDuration) as max_init_ms "
               "by bin(1h)")


@dataclass(frozen=True)
class Function:
    name: str          # Chalice's name
    function_name: str  # the deployed function's name (a token)
    log_group: str
    asynchronous: bool


@dataclass(frozen=True)
class Watched:
    """What the dashboard and alarms watch besides the catalogue."""

    functions: list[Function]
    api_name: str
    api_stage: str
    dead_letters: sqs.IQueue
    failed_events: sqs.IQueue
    latency_p95_ms: int


def search(metric: Metric) -> str:
    """Every dimension combination the code emits, without listing the values (codes, reasons, tables)."""
    schema = ",".join((NAMESPACE, *dimension_set(metric)))
    statistic = "Average" if metric.unit == "Seconds" else "Sum"  # a sum of waiting times means nothing
    return f"SEARCH('{{{schema}}} MetricName=\"{metric.name}\"', '{statistic}', {PERIOD_SECONDS})"


def insights_query(metric: Metric, where_values: tuple[tuple[str, str], ...] | None = None) -> str:
    """A Metrics Insights query summing the metric over the dimension values it alarms on."""
    schema = ", ".join(f'"{d}"' for d in (NAMESPACE, *dimension_set(metric)))
    pairs = metric.alarm_on if where_values is None else where_values
    where = " AND ".join(f"\"{name}\" = '{value}'" for name, value in pairs or ())
    # Names come from the catalogue in code, never from input.
    return f'SELECT SUM("{metric.name}") FROM SCHEMA({schema})' + (f" WHERE {where}" if where else "")  # noqa: S608


def metric_widget(panel: Panel) -> cw.GraphWidget:
    metric = panel.metric
    if panel.split_by:
        line: cw.IMetric = cw.MathExpression(expression=search(metric), using_metrics={}, period=PERIOD, label="")
    else:
        # Durations read as an average (a sum of seconds means nothing); counts as a sum.
        line = cw.Metric(namespace=NAMESPACE, metric_name=metric.name, period=PERIOD,
                         statistic="Average" if metric.unit == "Seconds" else "Sum")
    return cw.GraphWidget(title=panel.title, left=[line], width=12, height=6)


def area_rows() -> list[cw.IWidget]:
    rows: list[cw.IWidget] = []
    for row in layout(CATALOGUE):
        rows.append(cw.TextWidget(markdown=f"## {row.area}" + ("" if row.panels else
                                                              "\nNo metrics in the catalogue yet."),
                                  width=24, height=1 if row.panels else 2))
        rows += [metric_widget(panel) for panel in row.panels]
    return rows


def _lambda_metric(name: str, function: Function, statistic: str) -> cw.Metric:
    return cw.Metric(namespace="AWS/Lambda", metric_name=name, dimensions_map={"FunctionName": function.function_name},
                     statistic=statistic, period=PERIOD, label=function.name)


def _api_metric(watched: Watched, name: str, statistic: str) -> cw.Metric:
    return cw.Metric(namespace="AWS/ApiGateway", metric_name=name, statistic=statistic, period=PERIOD,
                     dimensions_map={"ApiName": watched.api_name, "Stage": watched.api_stage}, label=name)


def function_rows(watched: Watched) -> list[cw.IWidget]:
    """The API, then errors, throttles, duration and cold starts per function, then the queues of lost work."""
    functions = watched.functions
    queues = [watched.dead_letters.metric_approximate_number_of_messages_visible(period=PERIOD, label="dead letters"),
              watched.failed_events.metric_approximate_number_of_messages_visible(period=PERIOD,
                                                                                 label="failed events")]
    return [
        cw.TextWidget(markdown="### API", width=24, height=1),
        cw.GraphWidget(title="API requests and errors", width=12, height=6,
                       left=[_api_metric(watched, n, "Sum") for n in ("Count", "4XXError", "5XXError")]),
        cw.GraphWidget(title="API latency p95 (ms)", width=12, height=6,
                       left=[_api_metric(watched, "Latency", "p95"), _api_metric(watched, "IntegrationLatency", "p95")],
                       left_annotations=[cw.HorizontalAnnotation(value=watched.latency_p95_ms, label="alarm")]),
        cw.TextWidget(markdown="### functions", width=24, height=1),
        cw.GraphWidget(title="Errors per function", left=[_lambda_metric("Errors", f, "Sum") for f in functions],
                       width=8, height=6),
        cw.GraphWidget(title="Throttles per function", left=[_lambda_metric("Throttles", f, "Sum") for f in functions],
                       width=8, height=6),
        cw.GraphWidget(title="Duration p95 per function (ms)",
                       left=[_lambda_metric("Duration", f, "p95") for f in functions], width=8, height=6),
        cw.LogQueryWidget(title="Cold starts (all functions)", log_group_names=[f.log_group for f in functions],
                          query_string=COLD_STARTS, width=16, height=6),
        cw.GraphWidget(title="Dead letters and failed events", width=8, height=6, left=queues),
    ]


def dashboard(scope: Construct, stage: str, watched: Watched) -> cw.Dashboard:
    board = cw.Dashboard(scope, "Dashboard", dashboard_name=f"kefu-{stage}", default_interval=Duration.days(1))
    for widget in [*area_rows(), *function_rows(watched)]:
        board.add_widgets(widget)
    return board


def _any(scope: Construct, construct_id: str, metric: cw.IMetric, description: str, action: cw_actions.SnsAction,
         threshold: float = 1, periods: int = 1) -> cw.Alarm:
    alarm = metric.create_alarm(scope, construct_id, threshold=threshold, evaluation_periods=periods,
                                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                                treat_missing_data=cw.TreatMissingData.NOT_BREACHING, alarm_description=description)
    alarm.add_alarm_action(action)
    return alarm


def alarms(scope: Construct, watched: Watched, topic: sns.ITopic) -> None:
    """Errors and throttles of every function, dropped and undeliverable async events, the API's 5XX and
    latency, dead letters and failed events, each catalogue metric that asks for one, and heartbeats.
    docs/operations.md says what each means and what to do."""
    action = cw_actions.SnsAction(topic)
    for function in watched.functions:
        names = ["Errors", "Throttles"]
        if function.asynchronous:
            names += ["AsyncEventsDropped", "DestinationDeliveryFailures"]
        for metric_name in names:
            _any(scope, f"{metric_name}{_camel(function.name)}", _lambda_metric(metric_name, function, "Sum"),
                 f"{metric_name} in the {function.name} function", action)
    _any(scope, "Api5xx", _api_metric(watched, "5XXError", "Sum"),
         "The API answered 5XX (API Gateway's count: includes integration failures and timeouts)", action)
    latency = _api_metric(watched, "Latency", "p95").create_alarm(
        scope, "ApiLatencyP95", threshold=watched.latency_p95_ms, evaluation_periods=3, datapoints_to_alarm=3,
        comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        alarm_description=f"The API's p95 latency above {watched.latency_p95_ms} ms for 15 minutes")
    latency.add_alarm_action(action)
    _any(scope, "DeadLetters", watched.dead_letters.metric_approximate_number_of_messages_visible(period=PERIOD),
         "A scheduled job's event or a mail notification could not be delivered to its function after retries",
         action)
    waiting = watched.failed_events.metric_approximate_number_of_messages_visible(period=PERIOD)
    _any(scope, "FailedEventsWaiting", waiting,
         "An asynchronous invocation failed after Lambda's retries and waits in the failed-events queue", action)
    _any(scope, "FailedEventsAge", watched.failed_events.metric_approximate_age_of_oldest_message(period=PERIOD),
         "A failed event has waited 4 days: replay or clear it before the queue's 14 days run out", action,
         threshold=FAILED_EVENTS_MAX_AGE.to_seconds())
    rate_alarms(scope, topic)
    for metric in CATALOGUE:
        if metric.alarm_on is not None:
            cw.CfnAlarm(scope, f"Metric{metric.name}", alarm_description=_described(metric),
                        comparison_operator="GreaterThanThreshold", threshold=0, evaluation_periods=1,
                        treat_missing_data="notBreaching", alarm_actions=[topic.topic_arn],
                        metrics=[cw.CfnAlarm.MetricDataQueryProperty(id="q", expression=insights_query(metric),
                                                                     period=PERIOD_SECONDS, return_data=True)])
        if metric.heartbeat is not None:
            heartbeat(scope, metric, metric.heartbeat, topic)


def heartbeat(scope: Construct, metric: Metric, beat: Heartbeat, topic: sns.ITopic) -> cw.CfnAlarm:
    """An alarm that rings when the metric stops arriving: missing data breaches."""
    description = f"No {metric.name} for {beat.seconds // 60} minutes: {metric.description}. {metric.runbook}"
    common = {"alarm_description": description, "comparison_operator": "LessThanThreshold", "threshold": 1,
              "treat_missing_data": "breaching", "alarm_actions": [topic.topic_arn]}
    if {name for name, _ in beat.where} == set(dimension_set(metric)):  # one exact series: a plain metric alarm
        return cw.CfnAlarm(scope, f"Heartbeat{metric.name}", namespace=NAMESPACE, metric_name=metric.name,
                           dimensions=[cw.CfnAlarm.DimensionProperty(name=n, value=v) for n, v in beat.where],
                           statistic="Sum", period=beat.seconds, evaluation_periods=1, **common)
    if beat.seconds > INSIGHTS_RANGE_SECONDS:
        raise ValueError(f"{metric.name}: a heartbeat over part of its dimensions can span 3 hours at most")
    return cw.CfnAlarm(scope, f"Heartbeat{metric.name}", evaluation_periods=beat.seconds // PERIOD_SECONDS,
                       metrics=[cw.CfnAlarm.MetricDataQueryProperty(
                           id="q", expression=insights_query(metric, beat.where), period=PERIOD_SECONDS,
                           return_data=True)], **common)


def _described(metric: Metric) -> str:
    return f"{metric.name}: {metric.description}" + (f". {metric.runbook}" if metric.runbook else "")


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
                              f"in {rate.minutes} minutes (at least {rate.minimum} counted). {metric.runbook}")
        alarm.add_alarm_action(cw_actions.SnsAction(topic))


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))
