"""The seams between the email code and the infrastructure: what app.py declares for mail is wired in the
templates (SES receipt rule, bounce and complaint events, environment, grants, TTL, the reply secret), so that
a change on either side that breaks mail on AWS fails here first. Where SES receives in another region than
the stage's own, the receiving side is pinned by tests/infra/test_ingress.py; the single-region layout here."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.utils import to_cfn_resource_name

from chalicelib.local.config import stage_environment
from chalicelib.mail.store import MailItem
from chalicelib.resources import (
    MAIL_EVENTS_FUNCTION,
    MAIL_INBOUND_FUNCTION,
    configuration_set_name,
    reply_secret_name,
)
from chalicelib.settings import Settings
from tests.infra.conftest import STAGES, Synthesized, flat

pytestmark = pytest.mark.infra

SIGNERS = {"api_handler", MAIL_INBOUND_FUNCTION}  # the functions that sign or read reply addresses


def _logical_id(name: str) -> str:
    return "APIHandler" if name == "api_handler" else to_cfn_resource_name(name)


def _one(synthesized: Synthesized, stage: str, kind: str) -> tuple[str, dict[str, Any]]:
    found = synthesized.resources(stage, kind)
    assert len(found) == 1, (kind, list(found))
    return next(iter(found.items()))


def _logical(synthesized: Synthesized, stage: str, kind: str, prefix: str) -> str:
    return next(k for k in synthesized.resources(stage, kind) if k.startswith(prefix))


def _arn_of(function: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [_logical_id(function), "Arn"]}


def _function(synthesized: Synthesized, stage: str, name: str) -> dict[str, Any]:
    return synthesized.templates[stage]["Resources"][_logical_id(name)]["Properties"]


def _statements(synthesized: Synthesized, stage: str, name: str) -> list[dict[str, Any]]:
    role = synthesized.templates[stage]["Resources"][_function(synthesized, stage, name)["Role"]["Fn::GetAtt"][0]]
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _granted(statements: list[dict[str, Any]], action: str) -> list[Any]:
    """Every resource the statements grant `action` on."""
    found: list[Any] = []
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if action in actions and s.get("Effect", "Allow") == "Allow":  # a Deny (the audit table's) grants nothing
            found += s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
    return found


def _object_prefixes(resources: list[Any]) -> set[str]:
    """`<bucket arn>/inbound/*` -> "inbound/*" (the prefix an S3 object grant is limited to)."""
    prefixes = set()
    for resource in resources:
        parts = resource["Fn::Join"][1] if isinstance(resource, dict) else [resource]
        if not isinstance(parts[0], dict):  # the receiving region's raw-mail bucket, named by its ARN
            continue
        assert parts[0]["Fn::GetAtt"][0].startswith("MailBucket"), resource
        prefixes.add(parts[1].removeprefix("/"))
    return prefixes


def _receipt_rule(synthesized: Synthesized, stage: str) -> dict[str, Any]:
    """The stage's receipt rule, in the ingress stack of its receiving region or in its own stack."""
    stack = f"{stage}-ingress" if f"{stage}-ingress" in synthesized.templates else stage
    return dict(_one(synthesized, stack, "AWS::SES::ReceiptRule")[1]["Properties"]["Rule"])


def test_where_the_main_region_receives_the_receipt_rule_stores_raw_mail_then_invokes_mail_inbound(
        single_region: Synthesized) -> None:
    synthesized, stage = single_region, "dev"
    assert set(synthesized.templates) == {"dev"}  # one setting, no second stack
    _, rule = _one(synthesized, stage, "AWS::SES::ReceiptRule")
    assert (rule["Properties"]["Rule"]["TlsPolicy"], rule["Properties"]["Rule"]["ScanEnabled"]) == ("Require", True)
    actions = rule["Properties"]["Rule"]["Actions"]
    bucket = _logical(synthesized, stage, "AWS::S3::Bucket", "MailBucket")
    assert actions[0] == {"S3Action": {"BucketName": {"Ref": bucket}, "ObjectKeyPrefix": "inbound/"}}
    assert actions[1] == {"LambdaAction": {"FunctionArn": _arn_of(MAIL_INBOUND_FUNCTION), "InvocationType": "Event"}}
    assert len(actions) == 2
    permissions = {k: v["Properties"] for k, v in synthesized.resources(stage, "AWS::Lambda::Permission").items()
                   if v["Properties"]["FunctionName"] == _arn_of(MAIL_INBOUND_FUNCTION)}
    assert [p["Principal"] for p in permissions.values()] == ["ses.amazonaws.com"]
    assert set(permissions) <= set(rule["DependsOn"])  # SES checks the permission when the rule is created
    # The raw mail is in the stage's own mail bucket, and mail_inbound reads it there, in its own region.
    assert synthesized.regions[stage] == "us-east-1"
    assert _object_prefixes(_granted(_statements(synthesized, stage, MAIL_INBOUND_FUNCTION), "s3:GetObject")) == {
        "inbound/*", "bodies/*"}  # raw mail, and long texts read back when a reply threads
    env = _function(synthesized, stage, MAIL_INBOUND_FUNCTION)["Environment"]["Variables"]
    assert env["KEFU_MAIL_INBOUND_BUCKET"] == env["KEFU_MAIL_BUCKET"] == {"Ref": bucket}
    assert env["KEFU_MAIL_RECEIVING_REGION"] == "us-east-1"
    assert [v["Properties"]["Endpoint"] for v in synthesized.resources(stage, "AWS::SNS::Subscription").values()] == [
        _arn_of(MAIL_EVENTS_FUNCTION)]  # bounces and complaints only: no subscription to another region


@pytest.mark.parametrize("stage", STAGES)
def test_bounces_and_complaints_of_the_configuration_set_reach_mail_delivery_events_through_sns(
        synthesized: Synthesized, stage: str) -> None:
    _, configuration_set = _one(synthesized, stage, "AWS::SES::ConfigurationSet")
    assert configuration_set["Properties"]["Name"] == configuration_set_name(stage)
    _, destination = _one(synthesized, stage, "AWS::SES::ConfigurationSetEventDestination")
    event_destination = destination["Properties"]["EventDestination"]
    assert event_destination["Enabled"] and sorted(event_destination["MatchingEventTypes"]) == ["bounce", "complaint"]
    topic = event_destination["SnsDestination"]["TopicARN"]
    assert synthesized.regions[stage] == stage_environment(stage)["KEFU_REGION"]  # SES sends from the main region
    [subscription] = [s for s in synthesized.resources(stage, "AWS::SNS::Subscription").values()
                      if s["Properties"]["TopicArn"] == topic]
    redrive = subscription["Properties"].pop("RedrivePolicy")  # undeliverable notifications are kept
    assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0].startswith("ScheduleDeadLetters")
    assert subscription["Properties"] == {"Endpoint": _arn_of(MAIL_EVENTS_FUNCTION), "Protocol": "lambda",
                                          "TopicArn": topic}
    permissions = [v["Properties"] for v in synthesized.resources(stage, "AWS::Lambda::Permission").values()
                   if v["Properties"]["FunctionName"] == _arn_of(MAIL_EVENTS_FUNCTION)]
    assert permissions == [{"Action": "lambda:InvokeFunction", "FunctionName": _arn_of(MAIL_EVENTS_FUNCTION),
                            "Principal": "sns.amazonaws.com", "SourceArn": topic}]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("name", ["api_handler", MAIL_INBOUND_FUNCTION, MAIL_EVENTS_FUNCTION])
def test_mail_functions_get_the_settings_the_mail_code_reads(synthesized: Synthesized, stage: str,
                                                            name: str) -> None:
    env = _function(synthesized, stage, name)["Environment"]["Variables"]
    bucket = _logical(synthesized, stage, "AWS::S3::Bucket", "MailBucket")
    assert env["KEFU_MAIL_BUCKET"] == {"Ref": bucket}
    rule = _receipt_rule(synthesized, stage)
    resolved = {k: v for k, v in env.items() if isinstance(v, str)}
    settings = Settings.from_env(resolved)
    assert settings.inbound_prefix == rule["Actions"][0]["S3Action"]["ObjectKeyPrefix"]
    assert settings.raw_mail_region == synthesized.regions[f"{stage}-ingress"] != settings.region
    assert settings.ses_configuration_set == configuration_set_name(stage)
    assert settings.mail_domain == stage_environment(stage)["KEFU_MAIL_DOMAIN"] != "kefu.local"
    assert (settings.mailer, settings.blobs) == ("ses", "s3")
    assert settings.mail_table == f"kefu-{stage}-mail"
    assert "KEFU_REPLY_SECRET" not in env  # never a secret in the template
    assert ("KEFU_REPLY_SECRET_ARN" in env) is (name in SIGNERS)


@pytest.mark.parametrize("stage", STAGES)
def test_the_reply_secret_is_generated_and_only_the_functions_that_sign_may_read_it(
        synthesized: Synthesized, stage: str) -> None:
    secret_id, secret = _one(synthesized, stage, "AWS::SecretsManager::Secret")
    props = secret["Properties"]
    assert props["Name"] == reply_secret_name(stage)
    assert "SecretString" not in props and props["GenerateSecretString"]["ExcludePunctuation"]  # no ',' inside
    readers = set()
    for function in synthesized.resources(stage, "AWS::Serverless::Function"):
        name = next(n for n in _all_function_names() if _logical_id(n) == function)
        granted = _granted(_statements(synthesized, stage, name), "secretsmanager:GetSecretValue")
        if granted:
            assert granted == [{"Ref": secret_id}]
            readers.add(name)
        env = _function(synthesized, stage, name)["Environment"]["Variables"]
        assert env.get("KEFU_REPLY_SECRET_ARN", None) == ({"Ref": secret_id} if granted else None)
    assert readers == SIGNERS


def _all_function_names() -> list[str]:
    from app import app

    sockets = ["websocket_connect", "websocket_disconnect", "websocket_message"] if app.websocket_handlers else []
    return ["api_handler", *(f.name for f in app.pure_lambda_functions), *sockets]


@pytest.mark.parametrize("stage", STAGES)
def test_mail_inbound_reads_only_raw_mail_writes_only_attachments_and_sends_only_from_the_mail_domain(
        synthesized: Synthesized, stage: str) -> None:
    statements = _statements(synthesized, stage, MAIL_INBOUND_FUNCTION)
    receiving = synthesized.regions[f"{stage}-ingress"]
    read = [flat(r) for r in _granted(statements, "s3:GetObject")]
    assert f"arn:${{AWS::Partition}}:s3:::kefu-{stage}-inbound-${{AWS::AccountId}}-{receiving}/inbound/*" in read
    # and, in the main bucket, only the long texts read back when a reply threads
    assert len(read) == 2 and _object_prefixes(_granted(statements, "s3:GetObject")) == {"bodies/*"}
    # attachments, and message texts too long for their items (bodies/, beside a preview)
    assert _object_prefixes(_granted(statements, "s3:PutObject")) == {"attachments/*", "bodies/*"}
    assert _granted(statements, "s3:DeleteObject") == []
    domain = stage_environment(stage)["KEFU_MAIL_DOMAIN"]
    for action in ("ses:SendRawEmail", "ses:SendEmail"):
        sent_on = json.dumps(_granted(statements, action))
        assert f":identity/{domain}" in sent_on and f":configuration-set/{configuration_set_name(stage)}" in sent_on
        assert "identity/*" not in sent_on


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("name", [MAIL_INBOUND_FUNCTION, MAIL_EVENTS_FUNCTION])
def test_the_mail_functions_write_only_the_mail_table_and_read_only_licenses(synthesized: Synthesized, stage: str,
                                                                            name: str) -> None:
    tables = {v["Properties"]["TableName"]: k for k, v in synthesized.resources(stage, "AWS::DynamoDB::Table").items()}
    statements = _statements(synthesized, stage, name)

    def tables_of(action: str) -> set[str]:
        return {r["Fn::GetAtt"][0] for r in _granted(statements, action) if "Fn::GetAtt" in r}

    mail, audit, billing = (tables[f"kefu-{stage}-{t}"] for t in ("mail", "audit", "billing"))
    if name == MAIL_EVENTS_FUNCTION:
        # Bounces of notices (clause 13.1): the notice in the billing table is marked, with its audit record.
        assert tables_of("dynamodb:PutItem") == {mail, audit}
        assert tables_of("dynamodb:UpdateItem") == {mail, billing}
        assert tables_of("dynamodb:Query") == {mail, tables[f"kefu-{stage}-licensing"], audit, billing}
    else:
        chat = tables[f"kefu-{stage}-chat"]
        assert tables_of("dynamodb:PutItem") == tables_of("dynamodb:UpdateItem") == {mail}
        assert tables_of("dynamodb:Query") == {mail, tables[f"kefu-{stage}-licensing"], chat}
        # the chat table only for the consoles' open connections (new mail told to them), nothing else of it
        [listeners] = [st for st in statements if st.get("Sid") == "PushListeners"]
        assert listeners["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["RT#*", "RTC#*"]}}
        def resources(st: dict[str, Any]) -> list[Any]:
            return st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]

        assert {r["Fn::GetAtt"][0] for r in resources(listeners) if "Fn::GetAtt" in r} == {chat}
        assert not [r for st in statements if st is not listeners for r in resources(st) if chat in flat(r)]
        assert _granted(statements, "execute-api:ManageConnections")
    assert _granted(statements, "dynamodb:Scan") == []


@pytest.mark.parametrize("stage", STAGES)
def test_mail_delivery_events_touches_no_bucket_no_mailer_and_no_secret(synthesized: Synthesized,
                                                                        stage: str) -> None:
    actions = {a for s in _statements(synthesized, stage, MAIL_EVENTS_FUNCTION)
               for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert not any(a.startswith(("s3:", "ses:", "secretsmanager:")) for a in actions)


@pytest.mark.parametrize("stage", STAGES)
def test_agents_can_reply_by_mail_and_download_attachments(synthesized: Synthesized, stage: str) -> None:
    statements = _statements(synthesized, stage, "api_handler")
    # Attachments, shoppers' chat files (which it also lets browsers post, under chat/ only), and (the phone
    # channel's) call recordings; raw mail and export archives only for a shop admin's privacy requests (clause
    # 7.2: a customer's export holds their mail as it arrived), which write nothing but archives.
    assert _object_prefixes(_granted(statements, "s3:GetObject")) == {"attachments/*", "chat/*", "recordings/*",
                                                                      "inbound/*", "exports/*", "bodies/*"}
    # long texts of agents' replies are kept beside their items (bodies/) and read back when a ticket is shown
    assert _object_prefixes(_granted(statements, "s3:PutObject")) == {"chat/*", "exports/*", "bodies/*"}
    assert f":identity/{stage_environment(stage)['KEFU_MAIL_DOMAIN']}" in json.dumps(
        _granted(statements, "ses:SendRawEmail"))


@pytest.mark.parametrize("stage", STAGES)
def test_the_health_function_may_ask_the_bucket_and_ses_and_nothing_more_of_them(synthesized: Synthesized,
                                                                                stage: str) -> None:
    statements = _statements(synthesized, stage, "health")
    bucket = _logical(synthesized, stage, "AWS::S3::Bucket", "MailBucket")
    receiving = f"kefu-{stage}-inbound-${{AWS::AccountId}}-{synthesized.regions[f'{stage}-ingress']}"
    assert [flat(r) for r in _granted(statements, "s3:ListBucket")] == [
        f"${{{bucket}.Arn}}", f"arn:${{AWS::Partition}}:s3:::{receiving}"]  # and the receiving region's bucket
    assert _granted(statements, "ses:GetAccount") == ["*"]
    assert _granted(statements, "s3:GetObject") == _granted(statements, "ses:SendRawEmail") == []


@pytest.mark.parametrize("stage", STAGES)
def test_the_mail_table_expires_items_on_the_models_ttl_attribute(synthesized: Synthesized, stage: str) -> None:
    from infra.catalogue import ttl_attribute

    tables = {v["Properties"]["TableName"]: v["Properties"]
              for v in synthesized.resources(stage, "AWS::DynamoDB::Table").values()}
    assert ttl_attribute(MailItem) == "expires"
    assert tables[f"kefu-{stage}-mail"]["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("job", ["billing-run", "overdue-run", "renewal-run"])
def test_billing_jobs_send_notices_from_the_mail_domain(synthesized: Synthesized, stage: str, job: str) -> None:
    """Clause 13.1: the jobs that issue invoices and reminders may send, from the stage's mail domain only."""
    env = stage_environment(stage)
    assert env["KEFU_NOTICE_FROM"].endswith("@" + env["KEFU_MAIL_DOMAIN"])
    granted = json.dumps(_granted(_statements(synthesized, stage, job), "ses:SendRawEmail"))
    assert f":identity/{env['KEFU_MAIL_DOMAIN']}" in granted and ":identity/*" not in granted


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_function_may_tell_the_consoles_of_agents_ticket_changes(synthesized: Synthesized,
                                                                         stage: str) -> None:
    """A colleague's reply, note, status or assignment goes from the API function to the shop's open consoles:
    it is told where to post, may read and forget the connections kept in the chat table, and may post to the
    stage's own WebSocket API, as inbound mail's function may."""
    websocket = _logical(synthesized, stage, "AWS::ApiGatewayV2::Api", "WebsocketAPI")
    env = _function(synthesized, stage, "api_handler")["Environment"]["Variables"]
    assert websocket in flat(env["KEFU_REALTIME_ENDPOINT"]) and flat(env["KEFU_REALTIME_ENDPOINT"]).startswith("https://")
    tables = {v["Properties"]["TableName"]: k for k, v in synthesized.resources(stage, "AWS::DynamoDB::Table").items()}
    statements = _statements(synthesized, stage, "api_handler")
    for action in ("dynamodb:Query", "dynamodb:DeleteItem"):
        assert tables[f"kefu-{stage}-chat"] in {r["Fn::GetAtt"][0] for r in _granted(statements, action)
                                                if "Fn::GetAtt" in r}
    posts = [flat(r) for r in _granted(statements, "execute-api:ManageConnections")]
    assert posts and all(websocket in p and p.endswith("/POST/@connections/*") for p in posts)
    assert posts == [flat(r) for r in _granted(_statements(synthesized, stage, MAIL_INBOUND_FUNCTION),
                                               "execute-api:ManageConnections")]
