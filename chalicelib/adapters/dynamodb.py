"""DynamoDB through PynamoDB: where each model's table and endpoint come from, tables made idempotently,
and transactions. `AWS_ENDPOINT_URL_DYNAMODB` (settings.dynamodb_endpoint) is the one switch to DynamoDB Local.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.errors import Conflict
from chalicelib.settings import Settings

_connection: Connection | None = None


def configure(models: Iterable[tuple[type[Model], str]], settings: Settings) -> None:
    """Point each model at its table and at the endpoint in the settings. Runs once per process."""
    global _connection
    for model, table_name in models:
        model.Meta.table_name = table_name
        model.Meta.region = settings.region
        model.Meta.host = settings.dynamodb_endpoint
        model.Meta.max_retry_attempts = 3
        model._connection = None
    _connection = Connection(region=settings.region, host=settings.dynamodb_endpoint)


def connection() -> Connection:
    assert _connection is not None, "adapters.dynamodb.configure() has not run"
    return _connection


def ensure_tables(models: Iterable[type[Model]]) -> list[str]:
    """Create every missing table (on-demand) and add indexes a model gained since. Safe to run again."""
    changed: list[str] = []
    for model in models:
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
            changed.append(model.Meta.table_name)
            continue
        wanted = {i["index_name"]: i for i in model._get_schema()["global_secondary_indexes"]}
        client = model._get_connection().connection.client
        described = client.describe_table(TableName=model.Meta.table_name)["Table"]
        present = {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
        for name in sorted(set(wanted) - present):
            index = wanted[name]
            schema = model._get_schema()
            client.update_table(
                TableName=model.Meta.table_name,
                AttributeDefinitions=[dict(a) for a in schema["attribute_definitions"]],
                GlobalSecondaryIndexUpdates=[{"Create": {
                    "IndexName": name,
                    "KeySchema": [dict(k) for k in index["key_schema"]],
                    "Projection": {"ProjectionType": index["projection"]["ProjectionType"]},
                }}],
            )
            changed.append(f"{model.Meta.table_name}:{name}")
            _wait_for_indexes(client, model.Meta.table_name)
    return changed


def _wait_for_indexes(client: Any, table_name: str, timeout: float = 300.0) -> None:
    """A new index is usable once ACTIVE; writes before that can fail while it backfills."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        table = client.describe_table(TableName=table_name)["Table"]
        if table["TableStatus"] == "ACTIVE" and all(
                i.get("IndexStatus") == "ACTIVE" for i in table.get("GlobalSecondaryIndexes", [])):
            return
        time.sleep(0.5)
    raise TimeoutError(f"The indexes of {table_name} did not become active within {timeout:.0f} s.")


@contextmanager
def transaction(conflict_message: str) -> Iterator[TransactWrite]:
    """All of a change or none of it. A failed condition becomes a Conflict with the given message."""
    try:
        with TransactWrite(connection=connection()) as tx:
            yield tx
    except TransactWriteError as exc:
        reasons = [getattr(r, "code", r) for r in (exc.cancellation_reasons or []) if r is not None]
        if any(r == "ConditionalCheckFailed" for r in reasons):
            raise Conflict(conflict_message, code="CONCURRENT_CHANGE") from exc
        raise


def reachable(model: type[Model]) -> None:
    """Read an item that never exists: proves the table answers on the data plane (what requests use), for
    half a read capacity unit, with no control-plane call (DescribeTable is rate-limited per account)."""
    with suppress(model.DoesNotExist):
        model.get("health#probe", "health#probe")


def ping(model: type[Model]) -> dict[str, Any]:
    """Describe one table: proves the database answers, costs no capacity."""
    client = model._get_connection().connection.client
    table = client.describe_table(TableName=model.Meta.table_name)["Table"]
    return {"table": table["TableName"], "status": table["TableStatus"]}
