"""What the chained audit trail costs (clause 9): capacity units of one audited write (a staff suspension and
its reinstatement, each a transaction with its audit record) with the chain, against the same writes with the
audit entry put alone as before the chain. The extra is one strongly consistent read of the chain head and one
more transactional put (the head: 2 WCU by DynamoDB's pricing for an item under 1 KB, which DynamoDB Local's
transaction accounting does not show). The sparse `heads` index projects keys only, so moving a head writes
nothing to it after the chain's first entry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.harness import BenchEnv, Figure

ROUNDS = 25


def _unchained(tx: Any, record: Any) -> None:
    """The audit write as it was before the chain: one conditional put of the entry."""
    import json

    from chalicelib.audit.store import AuditItem
    from chalicelib.core.ids import new_id

    item = AuditItem(subject=record.subject, entry=f"{record.at.isoformat()}#{new_id('aud')}", action=record.action,
                     actor=record.actor, at=record.at,
                     details=json.dumps(record.details, sort_keys=True, default=str, ensure_ascii=False),
                     schema_version=1)
    tx.save(item, condition=AuditItem.subject.does_not_exist())


def _rounds(env: BenchEnv, built: Any, licensee_id: str) -> tuple[float, float, int]:
    with env.capacity() as used:
        for _ in range(ROUNDS):
            built.licensing.suspend(licensee_id, "bench", "staff:bench")
            built.licensing.reinstate(licensee_id, "bench", "staff:bench")
    writes = 2 * ROUNDS
    return used.read / writes, used.write / writes, writes


def run(env: BenchEnv) -> list[Figure]:
    from chalicelib.audit import store as audit_store
    from chalicelib.core.clock import FixedClock
    from tests.factories import Factory

    built = env.build(FixedClock(datetime(2026, 6, 15, 4, 0, tzinfo=UTC)))
    built.licensing._listeners.clear()  # the write alone, not the notices that follow it
    chained_licensee = Factory(built).merchant().licensee_id
    plain_licensee = Factory(built).merchant().licensee_id
    chained_read, chained_write, writes = _rounds(env, built, chained_licensee)
    original = audit_store.add_to
    audit_store.add_to = _unchained  # type: ignore[assignment]
    try:
        import chalicelib.licensing.store as licensing_store

        kept = licensing_store.audit_store.add_to
        licensing_store.audit_store.add_to = _unchained  # type: ignore[assignment]
        plain_read, plain_write, _ = _rounds(env, built, plain_licensee)
        licensing_store.audit_store.add_to = kept
    finally:
        audit_store.add_to = original
    return [
        Figure("audited writes measured", writes, "writes", note="staff suspend + reinstate, each one transaction"),
        Figure("read capacity per audited write, chained", round(chained_read, 2), "RCU"),
        Figure("read capacity per audited write, unchained", round(plain_read, 2), "RCU"),
        Figure("write capacity per audited write, chained", round(chained_write, 2), "WCU"),
        Figure("write capacity per audited write, unchained", round(plain_write, 2), "WCU"),
        Figure("extra capacity units per audited write (read + write)",
               round((chained_read - plain_read) + (chained_write - plain_write), 2), "CU",
               note="the head's consistent read, and its put in the transaction at AWS's prices"),
        Figure("write capacity: chained / unchained", round(chained_write / plain_write, 3) if plain_write else 0,
               "ratio"),
    ]
