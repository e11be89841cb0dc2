"""Clause 9 in the templates: no role may edit or delete the audit trail, and its digests sit under Object Lock
in compliance mode. Read from the templates as CloudFormation runs them (after the serverless transform)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.grants import AUDIT_DENIED
from tests.infra.conftest import STAGES, Synthesized

pytestmark = pytest.mark.infra


def _audit_table(template: dict[str, Any]) -> str:
    [name] = [k for k, v in template["Resources"].items()
              if v["Type"] == "AWS::DynamoDB::Table" and "audit" in json.dumps(v["Properties"].get("TableName"))]
    return name


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _names_table(resource: Any, table: str) -> bool:
    text = json.dumps(resource)
    return f'"{table}"' in text or resource == "*"


def _function_roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    functions = [v for v in template["Resources"].values() if v["Type"] == "AWS::Lambda::Function"]
    names = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions}
    assert names
    return {name: template["Resources"][name] for name in names}


@pytest.mark.parametrize("stage", STAGES)
def test_every_role_may_only_add_to_the_audit_trail(synthesized: Synthesized, stage: str) -> None:
    template = synthesized.transformed(stage)
    table = _audit_table(template)
    for name, role in _function_roles(template).items():
        statements = [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
        denies = [s for s in statements if s.get("Effect") == "Deny"
                  and any(_names_table(r, table) for r in _list(s["Resource"]))]
        assert denies and set(AUDIT_DENIED) <= {a for s in denies for a in _list(s["Action"])}, name
        for s in statements:
            if s.get("Effect", "Allow") != "Allow" or not any(_names_table(r, table) for r in _list(s["Resource"])):
                continue
            allowed = set(_list(s["Action"]))
            assert not allowed & {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, (
                name, s.get("Sid"), sorted(allowed))


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_and_the_billing_jobs_write_the_other_tables_but_only_put_audit_items(synthesized: Synthesized,
                                                                                       stage: str) -> None:
    template = synthesized.transformed(stage)
    table = _audit_table(template)
    for role in _function_roles(template).values():
        statements = [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
        data = [s for s in statements if s.get("Sid") == "TableData"]
        for s in data:
            assert not any(_names_table(r, table) for r in _list(s["Resource"]))


@pytest.mark.parametrize("stage", STAGES)
def test_the_digests_are_kept_under_object_lock_in_compliance_mode(synthesized: Synthesized, stage: str) -> None:
    buckets = synthesized.resources(stage, "AWS::S3::Bucket")
    [locked] = [b for b in buckets.values() if b["Properties"].get("ObjectLockEnabled")]
    rule = locked["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert locked["Properties"]["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert rule["Mode"] == "COMPLIANCE" and rule["Days"] >= 365 * 5
    assert locked["DeletionPolicy"] == "Retain"
    assert all(locked["Properties"]["PublicAccessBlockConfiguration"].values())


@pytest.mark.parametrize("stage", STAGES)
def test_the_digest_job_reads_the_heads_and_writes_only_digests_to_the_locked_bucket(synthesized: Synthesized,
                                                                                     stage: str) -> None:
    from tests.infra.test_mail_wiring import _granted, _statements

    statements = _statements(synthesized, stage, "audit-digest")
    buckets = synthesized.resources(stage, "AWS::S3::Bucket")
    [locked] = [name for name, b in buckets.items() if b["Properties"].get("ObjectLockEnabled")]
    assert {json.dumps(r) for r in _granted(statements, "s3:PutObject")} == {
        json.dumps({"Fn::Join": ["", [{"Fn::GetAtt": [locked, "Arn"]}, "/digests/*"]]})}
    template = synthesized.templates[stage]
    table = _audit_table(template)
    for action in ("dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:GetItem"):
        assert any(_names_table(r, table) for r in _granted(statements, action)), action
    assert not any(_names_table(r, table) for r in _granted(statements, "dynamodb:UpdateItem"))
