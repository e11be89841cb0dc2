"""What every benchmark gets: services on their own in-memory DynamoDB Local, and a meter of DynamoDB
capacity units (ReturnConsumedCapacity=TOTAL is added to every call, so cost is read, not estimated).

A benchmark is a module `bench/<name>.py` with `def run(env: BenchEnv) -> list[Figure]`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
    write: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


class CapacityMeter:
    """Hooks a botocore client: asks DynamoDB for consumed capacity on every call and adds it up."""

    def __init__(self) -> None:
        self.current: Capacity | None = None

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb", self._ask)
        client.meta.events.register("after-call.dynamodb", self._add)

    def _ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in _OPERATIONS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _add(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.current is None or model.name not in _OPERATIONS:
            return
        self.current.calls[model.name] = self.current.calls.get(model.name, 0) + 1
        consumed = parsed.get("ConsumedCapacity")
        entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        for entry in entries:
            read = entry.get("ReadCapacityUnits")
            write = entry.get("WriteCapacityUnits")
            if read is None and write is None:
                # DynamoDB Local reports only CapacityUnits: reads and writes are told apart by the operation.
                units = float(entry.get("CapacityUnits", 0))
                if model.name in ("GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"):
                    self.current.read += units
                else:
                    self.current.write += units
            else:
                self.current.read += float(read or 0)
                self.current.write += float(write or 0)


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
        self.meter = CapacityMeter()
        self._attached: set[int] = set()

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
