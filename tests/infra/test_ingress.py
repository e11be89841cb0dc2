"""Mail received where SES receives: each stage's receiving region is checked against the one list of regions
AWS documents as receiving, its mail-ingress stack holds the rule set, the raw-mail bucket and the topic there,
and the main region's mail_inbound is subscribed across regions with a dead-letter queue."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from chalicelib.local.config import stage_environment
from chalicelib.resources import rule_set_name
from chalicelib.settings import Settings
from infra.ingress import (
    RECEIVING_REGIONS,
    RECEIVING_REGIONS_CHECKED,
    RECEIVING_REGIONS_SOURCE,
    IngressNames,
    Layout,
    layout,
)
from tests.infra.conftest import STAGES, Synthesized, flat

pytestmark = pytest.mark.infra

ACCOUNT, PARTITION = "${AWS::AccountId}", "${AWS::Partition}"


def _only(synthesized: Synthesized, stack: str, kind: str) -> tuple[str, dict[str, Any]]:
    found = synthesized.resources(stack, kind)
    assert len(found) == 1, (stack, kind, list(found))
    return next(iter(found.items()))


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["Statement"])


def _arn(stage: str, service: str, name: str) -> str:
    region = layout(stage, stage_environment(stage)).receiving_region
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT}:{name}"


# -- the setting --------------------------------------------------------------------------------------------------
def test_a_receiving_region_aws_does_not_list_fails_with_the_list_its_date_and_its_source() -> None:
    with pytest.raises(SystemExit) as refused:
        layout("prod", {"KEFU_REGION": "ap-southeast-1", "KEFU_MAIL_RECEIVING_REGION": "ap-southeast-1"})
    message = str(refused.value)
    assert "ap-southeast-1" in message and RECEIVING_REGIONS_CHECKED in message
    assert "us-east-1" in message and "docs.aws.amazon.com" in message and "infra/ingress.py" in message


def test_the_receiving_region_defaults_to_one_aws_lists_and_the_main_region_must_be_named() -> None:
    assert layout("dev", {"KEFU_REGION": "ap-southeast-1"}) == Layout("dev", "ap-southeast-1", "us-east-1")
    assert layout("dev", {"KEFU_REGION": "eu-west-1", "KEFU_MAIL_RECEIVING_REGION": "eu-west-1"}).split is False
    for main in ("", "Singapore", "ap-southeast"):
        with pytest.raises(SystemExit, match="KEFU_REGION"):
            layout("dev", {"KEFU_REGION": main})


def test_the_list_of_receiving_regions_says_where_it_comes_from_and_when_it_was_read() -> None:
    assert date.fromisoformat(RECEIVING_REGIONS_CHECKED).year >= 2026
    assert "ses/latest/dg/regions.html#region-receive-email" in RECEIVING_REGIONS_SOURCE
    assert all(layout("dev", {"KEFU_REGION": region, "KEFU_MAIL_RECEIVING_REGION": region}).split is False
               for region in RECEIVING_REGIONS)
    assert Layout("prod", "ap-southeast-1", "us-west-2").mx_record == "10 inbound-smtp.us-west-2.amazonaws.com"


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_receives_in_a_listed_region_in_a_stack_of_its_own(synthesized: Synthesized, stage: str) -> None:
    env = stage_environment(stage)
    assert env["KEFU_MAIL_RECEIVING_REGION"] in RECEIVING_REGIONS
    assert synthesized.regions[stage] == env["KEFU_REGION"] != env["KEFU_MAIL_RECEIVING_REGION"]
    assert synthesized.regions[f"{stage}-ingress"] == env["KEFU_MAIL_RECEIVING_REGION"]
    assert synthesized.resources(stage, "AWS::SES::ReceiptRuleSet") == {}  # never where SES does not receive
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    assert f"{stage}-ingress" in manifest["artifacts"][stage]["dependencies"]  # deployed first


# -- the ingress stack --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", STAGES)
def test_the_rule_set_requires_tls_scans_stores_raw_mail_and_notifies_the_topic(synthesized: Synthesized,
                                                                               stage: str) -> None:
    stack = f"{stage}-ingress"
    rule_set_id, rule_set = _only(synthesized, stack, "AWS::SES::ReceiptRuleSet")
    assert rule_set["Properties"]["RuleSetName"] == rule_set_name(stage)
    _, rule = _only(synthesized, stack, "AWS::SES::ReceiptRule")
    assert rule["Properties"]["RuleSetName"] == {"Ref": rule_set_id}
    props = rule["Properties"]["Rule"]
    assert (props["Enabled"], props["ScanEnabled"], props["TlsPolicy"]) == (True, True, "Require")
    bucket_id, _ = _raw_bucket(synthesized, stack)
    topic_id, _ = _mail_topic(synthesized, stack)
    assert props["Actions"] == [{"S3Action": {"BucketName": {"Ref": bucket_id}, "ObjectKeyPrefix": "inbound/",
                                              "TopicArn": {"Ref": topic_id}}}]
    policies = {k for k, v in synthesized.templates[stack]["Resources"].items()
                if v["Type"] in ("AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy")
                and v["Properties"].get("Bucket", v["Properties"].get("Topics", [{}])[0]) in (
                    {"Ref": bucket_id}, {"Ref": topic_id})}
    assert len(policies) == 2 and policies <= set(rule["DependsOn"])  # SES checks both when it creates the rule


def _raw_bucket(synthesized: Synthesized, stack: str) -> tuple[str, dict[str, Any]]:
    return next((k, v) for k, v in synthesized.resources(stack, "AWS::S3::Bucket").items() if k.startswith("RawMail"))


def _mail_topic(synthesized: Synthesized, stack: str) -> tuple[str, dict[str, Any]]:
    return next((k, v) for k, v in synthesized.resources(stack, "AWS::SNS::Topic").items()
                if k.startswith("MailReceived"))


@pytest.mark.parametrize("stage", STAGES)
def test_the_raw_mail_bucket_is_encrypted_private_and_only_this_rule_of_ses_may_write_into_it(
        synthesized: Synthesized, stage: str) -> None:
    stack = f"{stage}-ingress"
    bucket_id, bucket = _raw_bucket(synthesized, stack)
    props = bucket["Properties"]
    assert flat(props["BucketName"]) == f"kefu-{stage}-inbound-{ACCOUNT}-{synthesized.regions[stack]}"
    [encryption] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(props["PublicAccessBlockConfiguration"].values()) and props["VersioningConfiguration"]
    assert any(r.get("Prefix") == "inbound/" and r["ExpirationInDays"] == 180
               for r in props["LifecycleConfiguration"]["Rules"])
    assert "LoggingConfiguration" in props
    [policy] = [v for v in synthesized.resources(stack, "AWS::S3::BucketPolicy").values()
                if v["Properties"]["Bucket"] == {"Ref": bucket_id}]
    statements = _statements(policy["Properties"]["PolicyDocument"])
    rule = _arn(stage, "ses", f"receipt-rule-set/{rule_set_name(stage)}:receipt-rule/"
                              f"{_only(synthesized, stack, 'AWS::SES::ReceiptRule')[1]['Properties']['Rule']['Name']}")
    writes = [s for s in statements if "s3:PutObject" in json.dumps(s["Action"])]
    allowed = [s for s in writes if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allowed] == [{"Service": "ses.amazonaws.com"}]
    assert flat(allowed[0]["Resource"]) == f"${{{bucket_id}.Arn}}/inbound/*"
    condition = allowed[0]["Condition"]["StringEquals"]
    assert (flat(condition["aws:SourceAccount"]), flat(condition["aws:SourceArn"])) == (ACCOUNT, rule)
    [denied] = [s for s in writes if s["Effect"] == "Deny"]  # anyone else, administrators too
    assert denied["Principal"] == {"AWS": "*"} and flat(denied["Resource"]) == f"${{{bucket_id}.Arn}}/*"
    assert flat(denied["Condition"]["StringNotEquals"]["aws:SourceArn"]) == rule
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)


@pytest.mark.parametrize("stage", STAGES)
def test_the_topic_is_encrypted_with_a_rotated_key_that_ses_may_use_and_only_ses_publishes(
        synthesized: Synthesized, stage: str) -> None:
    stack = f"{stage}-ingress"
    topic_id, topic = _mail_topic(synthesized, stack)
    assert topic["Properties"]["TopicName"] == IngressNames(stage, synthesized.regions[stack]).topic_name
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = synthesized.templates[stack]["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    assert any(s["Principal"] == {"Service": "ses.amazonaws.com"} and "kms:GenerateDataKey*" in s["Action"]
               for s in _statements(key["KeyPolicy"]))
    [policy] = [v["Properties"] for v in synthesized.resources(stack, "AWS::SNS::TopicPolicy").values()
                if v["Properties"]["Topics"] == [{"Ref": topic_id}]]
    publishers = [s["Principal"] for s in _statements(policy["PolicyDocument"])
                  if s["Effect"] == "Allow" and s["Action"] == "sns:Publish"]
    assert publishers == [{"Service": "ses.amazonaws.com"}]


@pytest.mark.parametrize("stage", STAGES)
def test_mail_inbound_in_the_main_region_is_subscribed_across_regions_with_a_dead_letter_queue(
        synthesized: Synthesized, stage: str) -> None:
    stack = f"{stage}-ingress"
    topic_id, topic = _mail_topic(synthesized, stack)
    topic_arn = _arn(stage, "sns", topic["Properties"]["TopicName"])
    [subscription] = [v["Properties"] for v in synthesized.resources(stage, "AWS::SNS::Subscription").values()
                      if "Region" in v["Properties"]]
    inbound = {"Fn::GetAtt": ["MailInbound", "Arn"]}
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("lambda", inbound)
    assert subscription["Region"] == synthesized.regions[stack] != synthesized.regions[stage]
    assert flat(subscription["TopicArn"]) == topic_arn
    [(queue_id, queue)] = synthesized.resources(stack, "AWS::SQS::Queue").items()
    assert flat(subscription["RedrivePolicy"]["deadLetterTargetArn"]) == _arn(stage, "sqs",
                                                                            queue["Properties"]["QueueName"])
    assert queue["Properties"]["SqsManagedSseEnabled"] and queue["Properties"]["MessageRetentionPeriod"] == 14 * 86400
    [queue_policy] = [v["Properties"]["PolicyDocument"] for v in synthesized.resources(stack, "AWS::SQS::QueuePolicy")
                      .values() if v["Properties"]["Queues"] == [{"Ref": queue_id}]]
    [sender] = [s for s in _statements(queue_policy) if s["Effect"] == "Allow"]
    assert sender["Principal"] == {"Service": "sns.amazonaws.com"} and sender["Action"] == "sqs:SendMessage"
    assert sender["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": topic_id}}}
    [permission] = [(k, v["Properties"]) for k, v in synthesized.resources(stage, "AWS::Lambda::Permission").items()
                    if v["Properties"]["FunctionName"] == inbound]
    assert permission[1]["Principal"] == "sns.amazonaws.com" and flat(permission[1]["SourceArn"]) == topic_arn
    subscription_resource = next(v for v in synthesized.resources(stage, "AWS::SNS::Subscription").values()
                                 if "Region" in v["Properties"])
    assert permission[0] in subscription_resource["DependsOn"]
    # Somebody hears of a mail that could not be handed over: an alarm on the queue, to a topic to subscribe to.
    [alarm] = synthesized.resources(stack, "AWS::CloudWatch::Alarm").values()
    assert alarm["Properties"]["Dimensions"] == [{"Name": "QueueName",
                                                  "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    alarm_topics = [k for k, v in synthesized.resources(stack, "AWS::SNS::Topic").items()
                    if v["Properties"]["TopicName"].endswith("-ingress-alarms")]
    assert alarm["Properties"]["AlarmActions"] == [{"Ref": alarm_topics[0]}]


@pytest.mark.parametrize("stage", STAGES)
def test_only_mail_inbound_reads_the_receiving_regions_bucket_and_no_function_writes_it(
        synthesized: Synthesized, stage: str) -> None:
    bucket = f"kefu-{stage}-inbound-{ACCOUNT}-{synthesized.regions[f'{stage}-ingress']}"
    resources = synthesized.templates[stage]["Resources"]
    granted: dict[str, set[str]] = {}
    for logical_id, function in synthesized.resources(stage, "AWS::Serverless::Function").items():
        role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]
        for policy in role["Properties"]["Policies"]:
            for statement in _statements(policy["PolicyDocument"]):
                targets = [flat(r) for r in (statement["Resource"] if isinstance(statement["Resource"], list)
                                             else [statement["Resource"]]) if not isinstance(r, dict)
                           or "Fn::Join" in r]
                if any(bucket in t for t in targets):
                    granted[logical_id] = granted.get(logical_id, set()) | {statement["Action"]}
                    if statement["Action"] == "s3:GetObject":
                        assert targets == [f"arn:{PARTITION}:s3:::{bucket}/inbound/*"]
    # mail_inbound reads raw mail, the health check asks that the bucket answers; nobody writes. Privacy reads a
    # customer's raw mail for an export and deletes it, every version, for an erasure (clause 7.2).
    privacy = {"s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions"}
    assert granted == {"MailInbound": {"s3:GetObject"}, "Health": {"s3:ListBucket"}, "APIHandler": privacy,
                       "PrivacyRun": privacy}
    env = synthesized.resources(stage, "AWS::Serverless::Function")["MailInbound"]["Properties"]["Environment"]
    settings = Settings.from_env({k: v for k, v in env["Variables"].items() if isinstance(v, str)})
    assert flat(env["Variables"]["KEFU_MAIL_INBOUND_BUCKET"]) == bucket
    assert settings.raw_mail_region == synthesized.regions[f"{stage}-ingress"]
