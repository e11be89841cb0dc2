"""What every benchmark gets: services on their own in-memory DynamoDB Local, and a meter of DynamoDB
capacity units (ReturnConsumedCapacity=TOTAL is added to every call, so cost is read, not estimated), and
beside it the writes at AWS's prices: DynamoDB Local reports transactions by the shapes of their writes, not
their items (see `_pricing`), so transactions are priced from their items' images.

A benchmark is a module `bench/<name>.py` with `def run(env: BenchEnv) -> list[Figure]`."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench import _pricing as pricing

_OPERATIONS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
               "TransactGetItems", "TransactWriteItems"}


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    goal: str | None = None
    met: bool | None = None
    note: str = ""


@dataclass
class Capacity:
    read: float = 0.0
    reported_write: float = 0.0         # as DynamoDB Local reports it
    reported_transactions: float = 0.0  # the part of it DynamoDB Local reported for transactions
    priced_transactions: float = 0.0    # the same transactions at AWS's prices (see `_pricing`)
    pricing_seconds: float = 0.0        # spent reading transactions' items to price them: not the code's time
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def write(self) -> float:
        """Write capacity at AWS's prices: plain writes as DynamoDB Local reports them (it bills them as AWS
        does), transactions priced from their items."""
        return self.reported_write - self.reported_transactions + self.priced_transactions

    def add(self, part: Capacity) -> None:
        """Add what another measurement used to this one."""
        for name in ("read", "reported_write", "reported_transactions", "priced_transactions", "pricing_seconds"):
            setattr(self, name, getattr(self, name) + getattr(part, name))
        for call, count in part.calls.items():
            self.calls[call] = self.calls.get(call, 0) + count

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


class CapacityMeter:
    """Hooks a botocore client: asks DynamoDB for consumed capacity on every call and adds it up."""

    def __init__(self, reader: Any = None) -> None:
        self.current: Capacity | None = None
        self.reader = reader  # an unmetered client, to read a transaction's items before and after it
        self._tables: dict[str, tuple[tuple[str, ...], list[pricing.Index]]] = {}
        self._pending = threading.local()

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb", self._ask)
        client.meta.events.register("after-call.dynamodb", self._add)

    def _ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in _OPERATIONS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
        if model.name == "TransactWriteItems" and self.current is not None and self.reader is not None:
            started = time.perf_counter()
            writes = [self._target(entry) for entry in params["TransactItems"]]
            self._pending.writes = [(table, key, self._image(table, key)) for table, key in writes]
            self.current.pricing_seconds += time.perf_counter() - started

    def _add(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.current is None or model.name not in _OPERATIONS:
            return
        self.current.calls[model.name] = self.current.calls.get(model.name, 0) + 1
        if model.name == "TransactWriteItems":
            self._price(parsed)
        consumed = parsed.get("ConsumedCapacity")
        entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        for entry in entries:
            read = entry.get("ReadCapacityUnits")
            write = entry.get("WriteCapacityUnits")
            if read is None and write is None:
                # DynamoDB Local reports only CapacityUnits: reads and writes are told apart by the operation.
                units = float(entry.get("CapacityUnits", 0))
                is_read = model.name in ("GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems")
                read, write = (units, 0.0) if is_read else (0.0, units)
            self.current.read += float(read or 0)
            self.current.reported_write += float(write or 0)
            if model.name == "TransactWriteItems":
                self.current.reported_transactions += float(write or 0)

    # -- transactions at AWS's prices --------------------------------------------------------------------------
    def _schema(self, table: str) -> tuple[tuple[str, ...], list[pricing.Index]]:
        if table not in self._tables:
            described = self.reader.describe_table(TableName=table)["Table"]
            keys = tuple(k["AttributeName"] for k in described["KeySchema"])
            indexes = [pricing.Index.described(i) for i in described.get("GlobalSecondaryIndexes", [])]
            indexes += [pricing.Index.described(i) for i in described.get("LocalSecondaryIndexes", [])]
            self._tables[table] = (keys, indexes)
        return self._tables[table]

    def _target(self, entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        (_, body), = entry.items()
        table = body["TableName"]
        keys, _ = self._schema(table)
        source = body.get("Key") or body["Item"]
        return table, {k: source[k] for k in keys}

    def _image(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return found

    def _price(self, parsed: dict[str, Any]) -> None:
        writes = getattr(self._pending, "writes", None)
        self._pending.writes = None
        if not writes or self.current is None or "Error" in parsed:
            return
        started = time.perf_counter()
        images = [(old, self._image(table, key)) for table, key, old in writes]
        self.current.pricing_seconds += time.perf_counter() - started
        schemas = [self._schema(table) for table, _, _ in writes]
        self.current.priced_transactions += pricing.transaction_units(
            images, [indexes for _, indexes in schemas], [keys for keys, _ in schemas])


class BenchEnv:
    def __init__(self) -> None:
        os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                           "AWS_DEFAULT_REGION": "ap-southeast-1", "KEFU_METRICS": "off"})
        from chalicelib.local.config import stage_environment
        from chalicelib.local.dynamodb import DynamoDBLocal, free_port

        self.database = DynamoDBLocal(free_port()).start()
        self.endpoint = self.database.endpoint
        # the local stage logs at INFO; benchmarks keep the level the runner chose (warnings), as logging every
        # mail or invoice would be measured with them
        self.env = {**stage_environment("local"), "KEFU_STAGE": "bench", "KEFU_METRICS": "off",
                    "AWS_ENDPOINT_URL_DYNAMODB": self.endpoint,
                    "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING")}
        os.environ.update(self.env)
        self.meter = CapacityMeter(self._unmetered())
        self._attached: set[int] = set()

    def _unmetered(self) -> Any:
        import boto3

        return boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="ap-southeast-1")  # keys: the env

    def build(self, clock: Any = None) -> Any:
        """Services on this benchmark's database, tables ensured, every DynamoDB client metered."""
        from chalicelib import bootstrap
        from chalicelib.adapters import dynamodb
        from chalicelib.core.clock import FixedClock
        from chalicelib.metrics import MemorySink
        from chalicelib.settings import Settings

        clock = clock or FixedClock(datetime(2026, 6, 15, 4, 0, tzinfo=UTC))
        built = bootstrap.build(Settings.from_env(self.env), clock, MemorySink())
        bootstrap.use(built)
        dynamodb.ensure_tables(built.tables)
        self.attach(dynamodb.connection().client)
        for table in built.tables:
            self.attach(table._get_connection().connection.client)
        return built

    def attach(self, client: Any) -> None:
        if id(client) not in self._attached:
            self._attached.add(id(client))
            self.meter.attach(client)

    @contextmanager
    def capacity(self) -> Iterator[Capacity]:
        measured = Capacity()
        self.meter.current = measured
        try:
            yield measured
        finally:
            self.meter.current = None

    def close(self) -> None:
        self.database.stop()
