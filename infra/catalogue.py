"""What the stacks are built from: the code's own declarations, read, never copied.

- tables: the PynamoDB models of `bootstrap.Services.tables`, named as the stage's settings name them;
- functions: the Lambda functions Chalice packages from app.py, sized by `schedules.JOBS`;
- metrics: `chalicelib.metrics.CATALOGUE` (see dashboard.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.schedules import JOBS, Job

API_HANDLER = "api_handler"
# Functions that are not scheduled jobs: memory and timeout for their work.
API_MEMORY_MB, API_TIMEOUT_SECONDS = 512, 29          # API Gateway gives up after 29 s
EVENT_MEMORY_MB, EVENT_TIMEOUT_SECONDS = 512, 120     # mail in and mail events: parsing, a few writes
# Every function runs on this runtime and architecture, whichever Python synthesizes (Chalice would take the
# synthesizing Python's version): the package holds pure Python only (bundle.py drops native extensions).
RUNTIME, ARCHITECTURE = "python3.12", "arm64"


@dataclass(frozen=True)
class Index:
    name: str
    partition: tuple[str, str]           # attribute name, type (S, N, B)
    sort: tuple[str, str] | None
    projection: str                      # ALL, KEYS_ONLY, INCLUDE
    non_key_attributes: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    key: str                             # the model's name, stable across stages
    name: str                            # the table's name in the stage
    partition: tuple[str, str]
    sort: tuple[str, str] | None
    indexes: tuple[Index, ...]
    ttl_attribute: str | None


@dataclass(frozen=True)
class FunctionSpec:
    name: str                            # Chalice's name: "api_handler" or `@app.lambda_function(name=...)`
    logical_id: str                      # in the packaged template
    role_logical_id: str
    memory_mb: int
    timeout_seconds: int
    job: Job | None

    @property
    def asynchronous(self) -> bool:
        """Invoked asynchronously (SES, SNS, EventBridge Scheduler): everything but the API handler. Lambda
        retries such an event twice, then hands it to the function's on-failure destination."""
        return self.name != API_HANDLER


def stage_environment(stage: str) -> dict[str, str]:
    from chalicelib.local.config import stage_environment as from_config

    return from_config(stage)


def tables(stage: str) -> list[TableSpec]:
    """Every table of the stage, from the models bootstrap registers."""
    from chalicelib import bootstrap
    from chalicelib.metrics import MemorySink
    from chalicelib.settings import Settings

    env = {**stage_environment(stage), "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1")}
    built = bootstrap.build(Settings.from_env(env), metrics=MemorySink())  # names the models' tables; no AWS call
    return [table_spec(model) for model in built.tables]


def table_spec(model: Any) -> TableSpec:
    schema = model._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}

    def keys(key_schema: list[dict[str, str]]) -> tuple[tuple[str, str], tuple[str, str] | None]:
        by_type = {k["KeyType"]: k["AttributeName"] for k in key_schema}
        sort = by_type.get("RANGE")
        return (by_type["HASH"], types[by_type["HASH"]]), ((sort, types[sort]) if sort else None)

    partition, sort = keys(schema["key_schema"])
    indexes = []
    for index in schema["global_secondary_indexes"]:
        for a in index.get("attribute_definitions", []):
            types.setdefault(a["AttributeName"], a["AttributeType"])
        index_partition, index_sort = keys(index["key_schema"])
        projection = index["projection"]
        indexes.append(Index(index["index_name"], index_partition, index_sort, projection["ProjectionType"],
                             tuple(projection.get("NonKeyAttributes", ()))))
    return TableSpec(model.__name__, model.Meta.table_name, partition, sort, tuple(indexes), ttl_attribute(model))


def ttl_attribute(model: Any) -> str | None:
    """The convention: a table expires items through a PynamoDB `TTLAttribute` declared on its model (or on
    one of the model's discriminated subclasses, which share the table)."""
    for cls in (model, *_subclasses(model)):
        attribute = cls._ttl_attribute()
        if attribute is not None:
            return str(attribute.attr_name)
    return None


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def functions(sam_template: dict[str, Any]) -> list[FunctionSpec]:
    """Every Lambda function in Chalice's template, with its role and its size."""
    from chalice.utils import to_cfn_resource_name

    from app import app

    # Chalice names the WebSocket API's functions by route, whatever the handlers are called in app.py.
    sockets = {"$connect": "websocket_connect", "$disconnect": "websocket_disconnect",
               "$default": "websocket_message"}
    names = [API_HANDLER, *(f.name for f in app.pure_lambda_functions),
             *(getattr(e, "name", "") for e in app.event_sources),
             *(sockets[key] for key in app.websocket_handlers)]
    by_role = {to_cfn_resource_name(f"{name}_role"): name for name in names if name}
    jobs = {job.name: job for job in JOBS}
    found = []
    for logical_id, resource in sam_template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
        name = by_role[role]
        job = jobs.get(name)
        if job is not None:
            memory, timeout = job.memory_mb, job.timeout_seconds
        elif name == API_HANDLER:
            memory, timeout = API_MEMORY_MB, API_TIMEOUT_SECONDS
        else:
            memory, timeout = EVENT_MEMORY_MB, EVENT_TIMEOUT_SECONDS
        found.append(FunctionSpec(name, logical_id, role, memory, timeout, job))
    missing = sorted(set(jobs) - {f.name for f in found})
    if missing:
        raise SystemExit(f"schedules.JOBS names functions app.py does not declare: {', '.join(missing)}")
    return found
