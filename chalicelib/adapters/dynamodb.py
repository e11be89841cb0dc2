"""DynamoDB through PynamoDB: where each model's table and endpoint come from, tables made idempotently, and
what every store shares: one transaction helper (`Batch`, `transaction`), one answer to "did the condition
fail?", one `get`, one page-cursor codec and one attribute for documents kept deflated.
`AWS_ENDPOINT_URL_DYNAMODB` (settings.dynamodb_endpoint) is the one switch to DynamoDB Local.
"""

from __future__ import annotations

import base64
import importlib.abc
import importlib.machinery
import importlib.util
import json
import random
import sys
import time
import types
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any, Protocol, TypeVar

from botocore.exceptions import ClientError
from pynamodb.attributes import Attribute
from pynamodb.connection import Connection
from pynamodb.constants import BINARY
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.settings import Settings

_connection: Connection | None = None


class DeflatedAttribute(Attribute[str]):
    """A document that rides in its item (an invoice's lines, a fee schedule, a notice's text), kept deflated as a
    binary attribute. DynamoDB bills a write by the KB of the item and again by the KB of each index entry that
    projects it; text like this deflates to a third or a half, so an item that would pass 1 KB (2 KB in a
    transaction) stays under it. Kept in the item, not beside it: the document is written in the same write as
    the rest, so there is no moment when one exists without the other."""

    attr_type = BINARY

    def serialize(self, value: str) -> bytes:
        return zlib.compress(value.encode(), 9)

    def deserialize(self, value: bytes) -> str:
        return zlib.decompress(value).decode()


def configure(models: Iterable[tuple[type[Model] | str, str]], settings: Settings) -> None:
    """Point each model at its table and at the endpoint in the settings. Runs once per process.

    A model may be named `module:Class` instead: it is pointed at its table when its module is first imported
    (a cold function that never touches an area's table never imports that area's store)."""
    global _connection
    for model, table_name in models:
        if not isinstance(model, str):
            _bind(model, table_name, settings)
            continue
        module_name, class_name = model.split(":")
        module = sys.modules.get(module_name)
        if module is not None:
            _bind(getattr(module, class_name), table_name, settings)
        else:
            _BINDER.pending.setdefault(module_name, []).append((class_name, table_name, settings))
    if _BINDER.pending and _BINDER not in sys.meta_path:
        sys.meta_path.insert(0, _BINDER)
    _connection = Connection(region=settings.region, host=settings.dynamodb_endpoint)


def _bind(model: type[Model], table_name: str, settings: Settings) -> None:
    model.Meta.table_name = table_name
    model.Meta.region = settings.region
    model.Meta.host = settings.dynamodb_endpoint
    model.Meta.max_retry_attempts = 3
    model._connection = None


class _Binding(importlib.abc.Loader):
    """Runs a store module, then points its models at their tables."""

    def __init__(self, loader: importlib.abc.Loader, bindings: list[tuple[str, str, Settings]]) -> None:
        self.loader = loader
        self.bindings = bindings

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)
        for class_name, table_name, settings in self.bindings:
            _bind(getattr(module, class_name), table_name, settings)


class _Binder(importlib.abc.MetaPathFinder):
    """Watches for the first import of the store modules `configure` was given by name."""

    def __init__(self) -> None:
        self.pending: dict[str, list[tuple[str, str, Settings]]] = {}

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        bindings = self.pending.pop(fullname, None)
        if bindings is None:
            return None
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Binding(spec.loader, bindings)
        return spec


_BINDER = _Binder()


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


class Contended(Exception):
    """A transaction lost a race. ``failed`` names the writes whose condition did not hold (their labels), or
    is ``["transaction-conflict"]`` when another transaction touched the same items at the same time."""

    def __init__(self, failed: list[str]) -> None:
        super().__init__(", ".join(failed))
        self.failed = failed


TRANSACTION_CONFLICT = "transaction-conflict"


class Batch:
    """The writes of one transaction, each with a label, so a lost race says which condition failed. The
    methods take what PynamoDB's TransactWrite takes; nothing is sent before ``commit``."""

    def __init__(self) -> None:
        self._writes: list[tuple[str, Callable[[TransactWrite], None]]] = []
        self._late: dict[str, LateWrites] = {}

    def late(self, name: str, make: Callable[[], L]) -> L:
        """The batch's one part called `name` (made on first use), whose writes are made when the batch commits
        from what is stored then, and made again and retried when only their own conditions failed (the audit
        trail's chain heads, which concurrent writers advance)."""
        if name not in self._late:
            self._late[name] = make()
        return self._late[name]  # type: ignore[return-value]

    def save(self, item: Model, condition: Condition | None = None, *, label: str | None = None) -> None:
        self._add(label, lambda tx: tx.save(item, condition=condition))

    def update(self, item: Model, actions: list[Action], condition: Condition | None = None, *,
               label: str | None = None) -> None:
        self._add(label, lambda tx: tx.update(item, actions=actions, condition=condition))

    def delete(self, item: Model, condition: Condition | None = None, *, label: str | None = None) -> None:
        self._add(label, lambda tx: tx.delete(item, condition=condition))

    def condition_check(self, model: type[Model], hash_key: str, range_key: str | None = None, *,
                        condition: Condition, label: str | None = None) -> None:
        self._add(label, lambda tx: tx.condition_check(model, hash_key, range_key, condition=condition))

    def _add(self, label: str | None, write: Callable[[TransactWrite], None]) -> None:
        self._writes.append((label or f"write-{len(self._writes) + 1}", write))

    def __len__(self) -> int:
        return len(self._writes)

    def commit(self) -> None:
        """All of the writes or none. Raises Contended when a condition failed or another transaction won."""
        if not self._writes and not self._late:
            return
        for attempt in range(1, LATE_ATTEMPTS + 1):
            writes = self._writes + [write for part in self._late.values() for write in part.writes()]
            try:
                with TransactWrite(connection=connection()) as tx:
                    for _, write in writes:
                        write(tx)
                return
            except TransactWriteError as exc:
                reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
                failed = [writes[i][0] for i, code in enumerate(reasons)
                          if code == "ConditionalCheckFailed" and i < len(writes)]
                conflict = any(code == "TransactionConflict" for code in reasons)
                late_only = bool(failed) and all(any(p.retryable(label) for p in self._late.values())
                                                 for label in failed)
                if self._late and attempt < LATE_ATTEMPTS and (late_only or (conflict and not failed)):
                    # Writers of one chain at once: a random wait, growing, so they stop meeting each other.
                    time.sleep(_JITTER.uniform(0, LATE_BACKOFF_SECONDS * attempt))
                    continue
                if failed or conflict:
                    raise Contended(failed or [TRANSACTION_CONFLICT]) from exc
                raise


class LateWrites(Protocol):
    """A part of a batch whose writes depend on what is stored when it commits (see `Batch.late`)."""

    def writes(self) -> list[tuple[str, Callable[[TransactWrite], None]]]: ...
    def retryable(self, label: str) -> bool: ...


L = TypeVar("L", bound=LateWrites)
LATE_ATTEMPTS = 10
LATE_BACKOFF_SECONDS = 0.02
_JITTER = random.SystemRandom()


@contextmanager
def transaction(conflict_message: str) -> Iterator[Batch]:
    """All of a change or none of it, committed when the block ends. A failed condition, or another
    transaction on the same items at once, becomes a Conflict with the given message."""
    batch = Batch()
    yield batch
    try:
        batch.commit()
    except Contended as lost:
        raise Conflict(conflict_message, code="CONCURRENT_CHANGE") from lost


def condition_failed(exc: BaseException) -> bool:
    """Whether a write failed because its condition did not hold (not because the database failed)."""
    if isinstance(exc, Contended):
        return exc.failed != [TRANSACTION_CONFLICT]
    if isinstance(exc, TransactWriteError):
        return any(getattr(r, "code", None) == "ConditionalCheckFailed" for r in (exc.cancellation_reasons or []))
    return (getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
            or "ConditionalCheckFailed" in str(exc))


def refused(exc: BaseException) -> bool:
    """Whether DynamoDB refused a write for what it holds (an item over 400 KB, a key too long): trying again
    gives the same answer, so the caller must keep the data another way."""
    return getattr(exc, "cause_response_code", None) == "ValidationException"


def conditionally(write: Callable[[], object]) -> bool:
    """Run one conditional write (a save, update or delete); False when its condition did not hold."""
    try:
        write()
    except (PutError, UpdateError, DeleteError, TransactWriteError) as exc:
        if condition_failed(exc):
            return False
        raise
    return True


M = TypeVar("M", bound=Model)


def put_new(item: Model, found_as: type[M]) -> M | None:
    """Write an item under the condition that its key is free. None when written; else the item that holds the
    key, as the refused write returns it (ReturnValuesOnConditionCheckFailure: no read, no read units), read as
    ``found_as`` (the base model, for items told apart by a discriminator)."""
    model = type(item)
    key = model._hash_key_attribute().attr_name
    client = model._get_connection().connection.client
    try:
        client.put_item(TableName=model.Meta.table_name, Item=item.serialize(),
                        ConditionExpression="attribute_not_exists(#key)", ExpressionAttributeNames={"#key": key},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        held = exc.response.get("Item")
        return found_as.from_raw_data(held) if held else found_as()  # gone again meanwhile: an empty item
    return None


def get(model: type[M], hash_key: str, range_key: str | None = None, *, consistent: bool = True) -> M | None:
    """One item by its key, or None."""
    try:
        return model.get(hash_key, range_key, consistent_read=consistent)
    except model.DoesNotExist:
        return None


def delete_all(model: type[Model], items: Iterable[Model]) -> int:
    """Delete items in batches (BatchWriteItem, 25 a request); an item already gone is no error, so an erasure
    that ran out of time and runs again deletes what is left. Returns how many items were named."""
    count = 0
    with model.batch_write() as batch:
        for item in items:
            batch.delete(item)
            count += 1
    return count


# --- page cursors -------------------------------------------------------------------------------------
# A Query's LastEvaluatedKey goes out as an opaque `next` token and comes back as the start of the next page.
# Both directions live here so that signing a cursor, or binding it to its caller, is a change of this one place.


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    """The token of the next page (None when there is none)."""
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(token: str | None, attributes: Collection[str], bound: Mapping[str, str]) -> dict[str, Any] | None:
    """The start key a token stands for; refused (INVALID_CURSOR) unless it names exactly ``attributes``, all
    strings, and points into the caller's own list: each attribute in ``bound`` has the value given there."""
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        valid = (isinstance(key, dict) and set(key) == set(attributes)
                 and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
                 and all(key[name]["S"] == value for name, value in bound.items()))
    except (ValueError, TypeError, AttributeError, KeyError):
        valid = False
    if not valid:
        raise InvalidInput("The 'next' cursor is not one this list gave out.", code="INVALID_CURSOR")
    return key


def reachable(model: type[Model]) -> None:
    """Read an item that never exists: proves the table answers on the data plane (what requests use), for
    half a read capacity unit, with no control-plane call (DescribeTable is rate-limited per account)."""
    with suppress(model.DoesNotExist):
        model.get("health#probe", "health#probe")


def ping_table(name: str) -> dict[str, Any]:
    """Describe one table by its name: proves the database answers, costs no capacity."""
    table = connection().client.describe_table(TableName=name)["Table"]
    return {"table": table["TableName"], "status": table["TableStatus"]}
