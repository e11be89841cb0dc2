from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import bootstrap
from chalicelib.local.config import ROOT
from chalicelib.local.websocket import serve_realtime


class Api:
    """The real Chalice app, called through its API Gateway event handler."""

    def __init__(self, client: Client) -> None:
        self.http = client.http

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             raw: bytes | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
        sent = {"content-type": "application/json", **(headers or {})}
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = self.http.request(method, path, body=payload, headers=sent)
        parsed = json.loads(response.body) if response.body else {}
        return response.status_code, parsed, response.headers


class LogLines:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.startswith("{")]


@pytest.fixture
def push(services: bootstrap.Services) -> Iterator[str]:
    """The loopback WebSocket server as `make run` starts it: the console is told its address at sign-in."""
    sockets, stop = serve_realtime(services)
    try:
        yield sockets.url
    finally:
        stop()


@pytest.fixture
def logs() -> Iterator[LogLines]:
    """What the app logs, as the JSON lines CloudWatch would receive."""
    from chalicelib.core.observability import logger

    handler = logger.registered_handler
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    yield LogLines(stream)
    handler.setStream(previous)  # type: ignore[attr-defined]


@pytest.fixture
def api(services: bootstrap.Services) -> Iterator[Api]:
    from app import app

    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        bootstrap.use(services)  # the Client sets the stage's environment; keep the test's services
        yield Api(client)


@pytest.fixture
def kefu(test_env: dict[str, str], services: bootstrap.Services, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`./kefu` in process, as staff type it, on the test's database and clock; returns its output."""
    from click.testing import CliRunner

    from chalicelib.cli import install_all

    for name, value in test_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("chalicelib.core.cli.Context.services", property(lambda self: services))
    cli, runner = install_all(), CliRunner()

    def run(*args: str, expect: int = 0) -> str:
        result = runner.invoke(cli, ["--actor", "staff:test", *args], catch_exceptions=False)
        assert result.exit_code == expect, result.output
        return result.output

    return run


class Instance:
    """A `make run` on free ports with its own data folder: what a newcomer starts, as they start it."""

    def __init__(self, data_dir: Any, api: str, ports: dict[str, int], process: Any) -> None:
        self.data_dir, self.api, self.ports, self.process = data_dir, api, ports, process
        self.output: list[str] = []  # what it printed and logged, read as it comes (a full pipe would block it)

    def drain(self) -> None:
        import threading

        def read() -> None:
            for line in self.process.stdout:
                self.output.append(line)

        threading.Thread(target=read, name="instance-output", daemon=True).start()

    @property
    def demo(self) -> dict[str, Any]:
        return dict(json.loads((self.data_dir / "demo.json").read_text()))


@pytest.fixture(scope="session")
def local_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    from chalicelib.local.dynamodb import free_port
    from tests.e2e.test_local_run import start, wait_healthy

    data_dir = tmp_path_factory.mktemp("instance")
    ports = {"api": free_port(), "dynamodb": free_port(), "smtp": free_port(), "storefront": free_port()}
    process = start(data_dir, ports["api"], ports["dynamodb"], ports["smtp"], ports["storefront"])
    api = f"http://127.0.0.1:{ports['api']}"
    try:
        wait_healthy(api, process)
    except BaseException:
        process.kill()
        raise
    running = Instance(data_dir, api, ports, process)
    running.drain()
    yield running
    process.send_signal(__import__("signal").SIGINT)
    process.wait(timeout=30)
