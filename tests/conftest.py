"""Shared fixtures. Tests that touch storage run against a real DynamoDB Local, started once per session,
in memory, on a free port. Nothing here fakes DynamoDB."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests are specifications, not timings: no per-example deadline (CI machines are shared and noisy),
# and the same examples on every run, so that a red CI is reproducible.
hypothesis_settings.register_profile("kefu", deadline=None, derandomize=True)
hypothesis_settings.load_profile("kefu")

# Tests never reach AWS: credentials are dummies and every DynamoDB call goes to DynamoDB Local.
os.environ.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_DEFAULT_REGION": "ap-southeast-1"})
os.environ.pop("AWS_PROFILE", None)

from chalicelib import bootstrap  # noqa: E402 - after the environment above
from chalicelib.adapters.dynamodb import ensure_tables  # noqa: E402 - after the environment above
from chalicelib.core.clock import FixedClock  # noqa: E402 - after the environment above
from chalicelib.local.config import stage_environment  # noqa: E402 - after the environment above
from chalicelib.local.dynamodb import DynamoDBLocal, free_port  # noqa: E402 - after the environment above
from chalicelib.metrics import MemorySink  # noqa: E402 - after the environment above
from chalicelib.settings import Settings  # noqa: E402 - after the environment above
from tests.factories import Factory  # noqa: E402 - after the environment above


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    database = DynamoDBLocal(free_port()).start()
    yield database
    database.stop()


@pytest.fixture(scope="session")
def test_env(dynamodb_local: DynamoDBLocal, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {**stage_environment("local"), "KEFU_STAGE": "test",
           "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local.endpoint,
           "KEFU_TABLE_LICENSING": "kefu-test-licensing", "KEFU_TABLE_AUDIT": "kefu-test-audit",
           "KEFU_TABLE_BILLING": "kefu-test-billing",
           "KEFU_TABLE_CHAT": "kefu-test-chat", "KEFU_TABLE_PHONE": "kefu-test-phone",
           "KEFU_TABLE_SUPPORT": "kefu-test-support",
           "KEFU_TABLE_PRIVACY": "kefu-test-privacy",
           "KEFU_METRICS": "off", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    # Mail, blobs and the outbox of tests go to a folder of their own, never the developer's .data/.
    env.update({"KEFU_TABLE_MAIL": "kefu-test-mail", "KEFU_DATA_DIR": str(tmp_path_factory.mktemp("data"))})
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_local.endpoint
    return env


@pytest.fixture(scope="session")
def settings(test_env: dict[str, str]) -> Settings:
    return Settings.from_env(test_env)


@pytest.fixture(scope="session")
def tables(settings: Settings) -> None:
    ensure_tables(bootstrap.build(settings).tables)


@pytest.fixture
def clock() -> FixedClock:
    # Midday in Shanghai on a Monday, well inside the licenses the factory signs.
    return FixedClock(datetime(2026, 6, 15, 4, 0, tzinfo=UTC))


@pytest.fixture
def metrics() -> MemorySink:
    return MemorySink()


@pytest.fixture
def services(settings: Settings, tables: None, clock: FixedClock, metrics: MemorySink) -> Iterator[bootstrap.Services]:
    built = bootstrap.build(settings, clock, metrics)
    bootstrap.use(built)
    yield built
    bootstrap.use(None)


@pytest.fixture
def factory(services: bootstrap.Services) -> Factory:
    return Factory(services)


@pytest.fixture
def today(clock: FixedClock, settings: Settings) -> date:
    return clock.now().astimezone(settings.timezone).date()
