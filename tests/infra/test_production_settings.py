"""The production settings of every function and of the API, checked on the template as CloudFormation runs it:
after SAM's transform, where Chalice's AWS::Serverless resources have become the Lambda functions, event invoke
configs, API stage and domain that cdk-nag never sees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.catalogue import ARCHITECTURE, RUNTIME
from infra.options import OptionsError, options, parse
from tests.infra.conftest import STAGES, Synthesized, synthesize

pytestmark = pytest.mark.infra


def _of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _ref(value: Any) -> str:
    """The logical id a Ref or GetAtt names."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"not a reference: {value!r}")


def _asynchronous(template: dict[str, Any]) -> set[str]:
    """Functions something invokes asynchronously: SES's receipt rule, an SNS subscription, a schedule."""
    found = set()
    for rule in _of(template, "AWS::SES::ReceiptRule").values():
        found |= {_ref(a["LambdaAction"]["FunctionArn"]) for a in rule["Properties"]["Rule"]["Actions"]
                  if "LambdaAction" in a and a["LambdaAction"].get("InvocationType") == "Event"}
    for subscription in _of(template, "AWS::SNS::Subscription").values():
        if subscription["Properties"]["Protocol"] == "lambda":
            found.add(_ref(subscription["Properties"]["Endpoint"]))
    for schedule in _of(template, "AWS::Scheduler::Schedule").values():
        found.add(_ref(schedule["Properties"]["Target"]["Arn"]))
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_is_traced_on_arm64_and_the_pinned_runtime(synthesized: Synthesized, stage: str) -> None:
    functions = _of(synthesized.transformed(stage), "AWS::Lambda::Function")
    assert len(functions) >= 8
    for name, function in functions.items():
        props = function["Properties"]
        assert props["TracingConfig"] == {"Mode": "Active"}, name
        assert props["Architectures"] == [ARCHITECTURE] == ["arm64"], name
        assert props["Runtime"] == RUNTIME and RUNTIME in ("python3.12", "python3.13"), name


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_logs_into_its_own_group_kept_for_the_stages_retention(synthesized: Synthesized,
                                                                             stage: str) -> None:
    template = synthesized.transformed(stage)
    groups = _of(template, "AWS::Logs::LogGroup")
    retention = options(stage).log_retention_days
    used = set()
    for name, function in _of(template, "AWS::Lambda::Function").items():
        group = _ref(function["Properties"]["LoggingConfig"]["LogGroup"])
        assert groups[group]["Properties"]["RetentionInDays"] == retention, name
        assert groups[group]["Properties"]["LogGroupName"].startswith(f"/aws/lambda/kefu-{stage}-")
        used.add(group)
    assert len(used) == len(_of(template, "AWS::Lambda::Function"))  # one each


@pytest.mark.parametrize("stage", STAGES)
def test_every_asynchronously_invoked_function_has_an_encrypted_on_failure_queue_that_is_watched(
        synthesized: Synthesized, stage: str) -> None:
    template = synthesized.transformed(stage)
    asynchronous = _asynchronous(template)
    assert {"MailInbound", "MailDeliveryEvents", "Backups", "Health", "BillingRun"} <= asynchronous
    configs = {_ref(c["Properties"]["FunctionName"]): c["Properties"]
               for c in _of(template, "AWS::Lambda::EventInvokeConfig").values()}
    queues = _of(template, "AWS::SQS::Queue")
    alarms = _of(template, "AWS::CloudWatch::Alarm").values()
    queue_alarms = {(_ref(a["Properties"]["Dimensions"][0]["Value"]), a["Properties"]["MetricName"])
                    for a in alarms if a["Properties"].get("Namespace") == "AWS/SQS"}
    dropped = {_ref(a["Properties"]["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"][0]["Value"])
               for a in alarms if "AsyncEventsDropped" in json.dumps(a)}
    for function in asynchronous:
        config = configs[function]
        assert config["MaximumRetryAttempts"] == 2
        queue = _ref(config["DestinationConfig"]["OnFailure"]["Destination"])
        assert queues[queue]["Properties"].get("SqsManagedSseEnabled") or queues[queue]["Properties"].get(
            "KmsMasterKeyId"), queue
        assert {(queue, "ApproximateNumberOfMessagesVisible"), (queue, "ApproximateAgeOfOldestMessage")} <= queue_alarms
        role = template["Resources"][_ref(template["Resources"][function]["Properties"]["Role"])]
        granted = [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]
                   if s["Action"] == "sqs:SendMessage"]
        assert [_ref(s["Resource"]) for s in granted] == [queue]
        assert function in dropped


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_stage_is_regional_traced_throttled_and_access_logged(synthesized: Synthesized, stage: str) -> None:
    template = synthesized.transformed(stage)
    [api] = _of(template, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    [api_stage] = _of(template, "AWS::ApiGateway::Stage").values()
    props = api_stage["Properties"]
    assert props["StageName"] == "v1" and props["TracingEnabled"] is True
    [everything] = props["MethodSettings"]
    chosen = options(stage)
    assert (everything["ResourcePath"], everything["HttpMethod"]) == ("/*", "*")
    assert (everything["ThrottlingRateLimit"], everything["ThrottlingBurstLimit"]) == (chosen.api_rate_per_second,
                                                                                       chosen.api_burst)
    group = _ref(props["AccessLogSetting"]["DestinationArn"])
    assert template["Resources"][group]["Properties"]["RetentionInDays"] == chosen.log_retention_days
    assert {"requestId", "ip", "status", "route", "latencyMs"} <= set(json.loads(props["AccessLogSetting"]["Format"]))
    assert _of(template, "AWS::ApiGateway::Account"), "API Gateway needs its logging role to write access logs"


@pytest.mark.parametrize("stage", STAGES)
def test_api_5xx_and_latency_alarms_watch_the_deployed_api(synthesized: Synthesized, stage: str) -> None:
    template = synthesized.transformed(stage)
    [api] = _of(template, "AWS::ApiGateway::RestApi").values()
    dimensions = [{"Name": "ApiName", "Value": api["Properties"]["Name"]}, {"Name": "Stage", "Value": "v1"}]
    watched = {a["Properties"]["Metrics"][0]["MetricStat"]["Metric"]["MetricName"]
               for a in _of(template, "AWS::CloudWatch::Alarm").values()
               if a["Properties"].get("Metrics") and "MetricStat" in a["Properties"]["Metrics"][0]
               and a["Properties"]["Metrics"][0]["MetricStat"]["Metric"].get("Dimensions") == dimensions}
    assert watched == {"5XXError", "Latency"}


def test_prod_reserves_concurrency_for_what_could_run_away_and_has_a_waf_rate_limit_per_ip_and_widget_key(
        synthesized: Synthesized) -> None:
    template = synthesized.transformed("prod")
    chosen = options("prod")
    functions = _of(template, "AWS::Lambda::Function")
    reserved = {k: v["Properties"].get("ReservedConcurrentExecutions") for k, v in functions.items()}
    assert reserved["MailInbound"] == chosen.reserved_concurrency["mail_inbound"]
    assert reserved["APIHandler"] is None  # the API takes what the others leave
    [acl] = _of(template, "AWS::WAFv2::WebACL").values()
    rules = {r["Name"]: r["Statement"]["RateBasedStatement"] for r in acl["Properties"]["Rules"]}
    assert rules["PerClientIp"]["AggregateKeyType"] == "IP"
    assert rules["PerWidgetKey"]["CustomKeys"][0]["Header"]["Name"] == "x-widget-key"
    [association] = _of(template, "AWS::WAFv2::WebACLAssociation").values()
    [stage_id] = _of(template, "AWS::ApiGateway::Stage")
    assert "${" + stage_id + "}" in association["Properties"]["ResourceArn"]["Fn::Sub"]  # waits for the stage
    assert _of(synthesized.transformed("dev"), "AWS::WAFv2::WebACL") == {}  # a stage option


@pytest.mark.parametrize("stage", STAGES)
def test_the_alarm_topic_notifies_the_stages_subscribers(synthesized: Synthesized, stage: str) -> None:
    template = synthesized.templates[stage]
    [topic] = [k for k, v in _of(template, "AWS::SNS::Topic").items()
               if v["Properties"]["TopicName"] == f"kefu-{stage}-alarms"]
    subscribed = {(s["Properties"]["Protocol"], s["Properties"]["Endpoint"])
                  for s in _of(template, "AWS::SNS::Subscription").values()
                  if "Ref" in s["Properties"]["TopicArn"] and _ref(s["Properties"]["TopicArn"]) == topic}
    assert subscribed == {(s.protocol, s.endpoint) for s in options(stage).alarm_subscribers}
    alarms = _of(template, "AWS::CloudWatch::Alarm").values()
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": topic}] for a in alarms)


def test_stage_options_refuse_what_aws_would_refuse_later() -> None:
    good = {"log_retention_days": 30}
    assert parse("x", good).log_retention_days == 30
    for bad in ({"log_retention_days": 31}, {**good, "alarm_subscribers": [{"protocol": "email", "endpoint": "x"}]},
                {**good, "alarm_subscribers": [{"protocol": "https", "endpoint": "http://pager"}]},
                {**good, "domain": {"name": "api.example.com"}}, {**good, "reserved_concurrency": {"health": 0}}):
        with pytest.raises(OptionsError, match="stage x"):
            parse("x", bad)


def test_a_custom_domain_maps_its_root_to_the_stage_so_public_urls_read_v1_once(tmp_path: Path) -> None:
    stages = json.loads(Path("infra/stages.json").read_text())
    stages["prod"]["domain"] = {"name": "api.kefu.example",
                                "certificate_arn": "arn:aws:acm:ap-southeast-1:123456789012:certificate/abc"}
    (tmp_path / "stages.json").write_text(json.dumps(stages))
    synthesize(tmp_path / "out", KEFU_STAGES="prod", KEFU_STAGES_FILE=str(tmp_path / "stages.json"))
    template = Synthesized(tmp_path / "out", ("prod",)).transformed("prod")
    [domain] = _of(template, "AWS::ApiGateway::DomainName").values()
    assert domain["Properties"]["DomainName"] == "api.kefu.example"
    assert domain["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert domain["Properties"]["RegionalCertificateArn"].endswith("certificate/abc")
    [mapping] = _of(template, "AWS::ApiGateway::BasePathMapping").values()
    assert mapping["Properties"].get("BasePath", "") == ""  # the domain's root is the stage: /v1/health, once
    [stage_id] = _of(template, "AWS::ApiGateway::Stage")
    assert mapping["Properties"]["Stage"] == {"Ref": stage_id}
