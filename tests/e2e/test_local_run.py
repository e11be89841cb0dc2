"""`make run` as a newcomer meets it: the whole system up on loopback, the demo seeded once, Ctrl-C stops it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chalicelib.local.config import ROOT
from chalicelib.local.dynamodb import free_port, port_in_use

pytestmark = pytest.mark.e2e


def start(data_dir: Path, api_port: int, db_port: int, smtp_port: int | None = None,
          storefront_port: int | None = None, realtime_port: int | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEFU_", "AWS_ENDPOINT"))}
    env["PYTHONPATH"] = str(ROOT)
    env["KEFU_INSTANCE_FILE"] = str(data_dir / "instance.json")  # never the developer's own record
    return subprocess.Popen(
        [sys.executable, "-m", "chalicelib.local.run", "--api-port", str(api_port), "--dynamodb-port", str(db_port),
         "--data-dir", str(data_dir), "--smtp-port", str(smtp_port or free_port()),
         "--storefront-port", str(storefront_port or free_port()),
         "--realtime-port", str(realtime_port or free_port())], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_healthy(api: str, process: subprocess.Popen[str], timeout: float = 90) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make run exited early: {process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(f"{api}/v1/health", timeout=2) as response:  # noqa: S310 - loopback
                return json.loads(response.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the API did not answer in time")


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out
    return out


def post(url: str, body: dict, headers: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST",  # noqa: S310 - loopback
                                     headers={"content-type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def demo_key_is_the_shops_admin(api: str, demo: dict) -> None:  # type: ignore[type-arg]
    """The demo's agent key is the shop's administrator, so the console's Admin tab shows."""
    agent = {"Authorization": f"Bearer {demo['agent_key']}"}
    with urllib.request.urlopen(urllib.request.Request(f"{api}/v1/admin/agents", headers=agent),  # noqa: S310
                                timeout=5) as response:
        assert [a["role"] for a in json.loads(response.read())["items"]] == ["admin"]


def test_make_run_starts_everything_seeds_once_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    api_port, db_port, smtp_port, shop_port, push_port = free_port(), free_port(), free_port(), free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    process = start(tmp_path, api_port, db_port, smtp_port, shop_port, push_port)
    try:
        health = wait_healthy(api, process)
    except BaseException:
        process.kill()
        raise
    assert health["database"]["status"] == "ok"
    demo = json.loads((tmp_path / "demo.json").read_text())
    assert demo["api"] == api and demo["allowed_origin"] == f"http://127.0.0.1:{shop_port}"
    assert demo["realtime"] == f"ws://127.0.0.1:{push_port}" and port_in_use(push_port)  # push, on loopback
    record = json.loads((tmp_path / "instance.json").read_text())  # what ./kefu acts on
    assert record["api"] == api and record["dynamodb"] == f"http://127.0.0.1:{db_port}"
    assert record["smtp"] == f"127.0.0.1:{smtp_port}" and record["data_dir"] == str(tmp_path)
    assert post(f"{api}/v1/licenses/validate", {"key": demo["widget_key"], "channel": "chat"})["code"] == "VALID"
    assert post(f"{api}/v1/licenses/validate", {"key": demo["agent_key"], "channel": "email"})["code"] == "VALID"
    demo_key_is_the_shops_admin(api, demo)
    out = stop(process)
    assert demo["widget_key"] in out and api in out
    assert not port_in_use(db_port) and not port_in_use(api_port) and not port_in_use(push_port)  # nothing left
    assert not (tmp_path / "instance.json").exists()  # ./kefu now says that none runs

    again = start(tmp_path, api_port, db_port, smtp_port, shop_port, push_port)
    try:
        wait_healthy(api, again)
        assert json.loads((tmp_path / "demo.json").read_text()) == demo  # the same data, nothing seeded twice
    finally:
        stop(again)


def test_make_run_refuses_a_busy_database_port_instead_of_hanging(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        process = start(tmp_path, free_port(), busy)
        out, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert out.strip() == (f"kefu: port {busy} is already in use, so DynamoDB Local cannot start there; stop what "
                           "holds it or pick another port (make run DYNAMODB_PORT=...).")


@pytest.mark.parametrize("flag", ["--api-port", "--smtp-port", "--storefront-port"])
def test_every_taken_port_gives_one_clear_line_and_a_stop(tmp_path: Path, flag: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        ports = {"--api-port": free_port(), "--smtp-port": free_port(), "--storefront-port": free_port(), flag: busy}
        process = start(tmp_path, ports["--api-port"], free_port(), ports["--smtp-port"], ports["--storefront-port"])
        out, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert len(out.strip().splitlines()) == 1 and f"port {busy} is already in use" in out
    assert "Traceback" not in out
