"""Clause 6.2: stored records carry a schema version, and records written before it existed, or by an older
version, still load. Each area adds its own records here as it versions them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import connection
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.audit.store import AuditItem
from chalicelib.core.ids import new_id
from chalicelib.licensing.store import LicensingItem
from tests.factories import Factory


def test_new_records_carry_a_schema_version(services: bootstrap.Services, factory: Factory) -> None:
    licensee_id = factory.licensee()
    profile = LicensingItem.get(f"LICENSEE#{licensee_id}", "PROFILE")
    assert profile.schema_version == 1
    audit = next(iter(AuditItem.query(f"licensee:{licensee_id}")))
    assert audit.schema_version == 2 and audit.seq == 1  # 2: chained (clause 9)


@pytest.mark.parametrize("version", [None, 0])
def test_a_licensee_profile_without_or_with_an_older_schema_version_still_loads(services: bootstrap.Services,
                                                                                version: int | None) -> None:
    licensee_id = new_id("lic")
    item = {"pk": {"S": f"LICENSEE#{licensee_id}"}, "sk": {"S": "PROFILE"}, "type": {"S": "party"},
            "directory": {"S": "licensee"}, "full_name": {"S": "Old Shop Co., Ltd."}, "short_name": {"S": "Old Shop"},
            "address": {"S": "1 Old Road"}, "contact_person": {"S": "Li Si"}, "phone": {"S": "+86 21 0000 0000"},
            "created_at": {"S": "2024-01-01T00:00:00.000000+0000"}}
    if version is not None:
        item["schema_version"] = {"N": str(version)}
    connection().client.put_item(TableName=LicensingItem.Meta.table_name, Item=item)
    party = services.licensing.store.licensee(licensee_id)
    assert party is not None and party.short_name == "Old Shop"
    listed = {row["licensee_id"]: row for row in services.licensing.licensees()}
    assert listed[licensee_id]["short_name"] == "Old Shop"


def test_an_audit_entry_written_before_schema_versions_still_reads(services: bootstrap.Services) -> None:
    subject = f"licensee:{new_id('lic')}"
    connection().client.put_item(TableName=AuditItem.Meta.table_name, Item={
        "subject": {"S": subject}, "entry": {"S": "2024-01-01T00:00:00+00:00#aud_old"},
        "action": {"S": "agreement.signed"}, "actor": {"S": "staff:old"},
        "at": {"S": "2024-01-01T00:00:00.000000+0000"}, "details": {"S": "{}"}})
    audit_store.append(AuditRecord(subject, "key.revoked", "staff:new", datetime(2026, 6, 15, tzinfo=UTC)))
    assert [r.action for r in audit_store.history(subject)] == ["agreement.signed", "key.revoked"]
