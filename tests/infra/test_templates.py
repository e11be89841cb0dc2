"""The CloudFormation templates of dev and prod: linted, checked by cdk-nag, and what the issue asks of them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.schedules import JOBS
from infra.grants import UNSCOPED
from tests.infra.conftest import STAGES, Synthesized

pytestmark = pytest.mark.infra


def test_cfn_lint_passes_on_every_template(synthesized: Synthesized) -> None:
    templates = [str(synthesized.outdir / f"{stack}.template.json") for stack in synthesized.templates]
    assert set(synthesized.templates) >= {*STAGES, *(f"{stage}-ingress" for stage in STAGES)}
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    done = subprocess.run([str(cfn_lint), *templates], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("stage", [*STAGES, *(f"{stage}-ingress" for stage in STAGES)])
def test_cdk_nag_raises_no_unsuppressed_finding_and_every_suppression_says_why(synthesized: Synthesized,
                                                                               stage: str) -> None:
    with (synthesized.outdir / f"AwsSolutions--kefu-{stage}-NagReport.csv").open() as report:
        rows = list(csv.DictReader(report))
    assert rows, "cdk-nag checked nothing"
    open_findings = [r for r in rows if r["Compliance"] == "Non-Compliant"]
    assert open_findings == []
    suppressed = [r for r in rows if r["Compliance"] == "Suppressed"]
    assert all(len(r["Exception Reason"].split("] ")[-1]) > 20 for r in suppressed)


@pytest.mark.parametrize("stage", STAGES)
def test_every_table_has_point_in_time_recovery_kms_encryption_and_on_demand_billing(synthesized: Synthesized,
                                                                                     stage: str) -> None:
    tables = synthesized.resources(stage, "AWS::DynamoDB::Table")
    from chalicelib import bootstrap
    from chalicelib.settings import Settings

    assert len(tables) == len(bootstrap.build(Settings.from_env({})).tables)
    for table in tables.values():
        props = table["Properties"]
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"]["SSEType"] == "KMS" and props["SSESpecification"]["SSEEnabled"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["TableName"].startswith(f"kefu-{stage}-")
        assert props.get("DeletionProtectionEnabled", False) is (stage == "prod")


def test_table_keys_and_indexes_follow_the_models(synthesized: Synthesized) -> None:
    tables = {t["Properties"]["TableName"]: t["Properties"]
              for t in synthesized.resources("dev", "AWS::DynamoDB::Table").values()}
    licensing = tables["kefu-dev-licensing"]
    assert licensing["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                      {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert [i["IndexName"] for i in licensing["GlobalSecondaryIndexes"]] == ["directory"]


def test_a_model_with_a_ttl_attribute_gets_a_table_with_ttl() -> None:
    from pynamodb.attributes import TTLAttribute, UnicodeAttribute
    from pynamodb.models import Model

    from infra.catalogue import table_spec

    class Expiring(Model):
        class Meta:
            table_name = "kefu-dev-expiring"

        pk = UnicodeAttribute(hash_key=True)
        expires_at = TTLAttribute(null=True)

    assert table_spec(Expiring).ttl_attribute == "expires_at"


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("stage", STAGES)
def test_no_function_has_a_wildcard_on_dynamodb(synthesized: Synthesized, stage: str) -> None:
    functions = synthesized.resources(stage, "AWS::Serverless::Function")
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()}
    assert roles
    for name in roles:
        for statement in _statements(synthesized.templates[stage]["Resources"][name]):
            actions = _as_list(statement["Action"])
            assert not any(a in ("*", "dynamodb:*") or a.endswith(":*") for a in actions), (name, actions)
            if "*" in _as_list(statement["Resource"]):
                assert set(actions) <= UNSCOPED, (name, actions)  # only actions IAM cannot scope


@pytest.mark.parametrize("stage", STAGES)
def test_policies_are_written_here_not_generated(synthesized: Synthesized, stage: str) -> None:
    for function in synthesized.resources(stage, "AWS::Serverless::Function").values():
        role = synthesized.templates[stage]["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]
        assert "ReplacedByInfra" not in json.dumps(role)


@pytest.mark.parametrize("stage", STAGES)
def test_every_job_is_a_schedule_in_its_time_zone_with_retries_and_a_dead_letter_queue(
        synthesized: Synthesized, stage: str) -> None:
    schedules = {s["Properties"]["Name"]: s["Properties"]
                 for s in synthesized.resources(stage, "AWS::Scheduler::Schedule").values()}
    assert set(schedules) == {f"kefu-{stage}-{job.name}" for job in JOBS}
    for job in JOBS:
        schedule = schedules[f"kefu-{stage}-{job.name}"]
        assert schedule["ScheduleExpression"] == job.expression
        assert schedule["ScheduleExpressionTimezone"] == job.timezone == "Asia/Shanghai"
        target = schedule["Target"]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        assert "DeadLetterConfig" in target
        assert json.loads(target["Input"]) == {"time": "<aws.scheduler.scheduled-time>"}


@pytest.mark.parametrize("stage", STAGES)
def test_each_job_function_is_sized_for_its_job(synthesized: Synthesized, stage: str) -> None:
    functions = synthesized.resources(stage, "AWS::Serverless::Function")
    from chalice.utils import to_cfn_resource_name

    for job in JOBS:
        props = functions[to_cfn_resource_name(job.name)]["Properties"]
        assert (props["MemorySize"], props["Timeout"]) == (job.memory_mb, job.timeout_seconds)


@pytest.mark.parametrize("stage", STAGES)
def test_the_mail_bucket_is_encrypted_private_tls_only_and_expires_raw_mail(synthesized: Synthesized,
                                                                           stage: str) -> None:
    buckets = synthesized.resources(stage, "AWS::S3::Bucket")
    mail = next(b["Properties"] for b in buckets.values() if "LoggingConfiguration" in b["Properties"])
    assert mail["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(mail["PublicAccessBlockConfiguration"].values())
    assert any(r.get("Prefix") == "inbound/" and r.get("ExpirationInDays")
               for r in mail["LifecycleConfiguration"]["Rules"])
    policies = json.dumps(synthesized.resources(stage, "AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policies


@pytest.mark.parametrize("stage", STAGES)
def test_ses_stores_inbound_mail_then_feeds_bounces_and_complaints_to_a_topic(synthesized: Synthesized,
                                                                              stage: str) -> None:
    rule = next(iter(synthesized.resources(f"{stage}-ingress", "AWS::SES::ReceiptRule").values()))["Properties"]["Rule"]
    assert rule["Actions"][0]["S3Action"]["ObjectKeyPrefix"] == "inbound/"
    destination = next(iter(synthesized.resources(stage, "AWS::SES::ConfigurationSetEventDestination").values()))
    assert sorted(destination["Properties"]["EventDestination"]["MatchingEventTypes"]) == ["bounce", "complaint"]


@pytest.mark.parametrize("stage", STAGES)
def test_alarms_notify_the_alarm_topic(synthesized: Synthesized, stage: str) -> None:
    alarms = synthesized.resources(stage, "AWS::CloudWatch::Alarm")
    functions = synthesized.resources(stage, "AWS::Serverless::Function")
    assert len(alarms) >= 2 * len(functions) + 1  # errors and throttles per function, dead letters
    topics = [k for k, v in synthesized.resources(stage, "AWS::SNS::Topic").items()
              if v["Properties"]["TopicName"].endswith("-alarms")]
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topics[0]}]


def test_api_gateways_own_answers_come_in_the_error_shape_and_an_unknown_route_is_a_404(
        synthesized: Synthesized) -> None:
    for stage in ("dev", "prod"):
        responses = {r["Properties"]["ResponseType"]: r["Properties"]
                     for r in synthesized.resources(stage, "AWS::ApiGateway::GatewayResponse").values()}
        assert set(responses) == {"MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX"}
        unknown = responses["MISSING_AUTHENTICATION_TOKEN"]
        assert unknown["StatusCode"] == "404" and unknown["RestApiId"] == {"Ref": "RestAPI"}
        for response in responses.values():
            body = json.loads(response["ResponseTemplates"]["application/json"])
            assert set(body["error"]) == {"code", "message"} and "$" not in json.dumps(body)
