"""The local instance as a newcomer meets it: the README's examples run as written against a started `make run`
(free ports, its own data folder), `./kefu` acts on the instance that runs and says so when none does, unknown
routes answer 404 in the error shape, and neither answers nor logs give keys or signatures away."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chalicelib.local.config import ROOT
from tests.e2e.conftest import Instance

pytestmark = pytest.mark.e2e


def _env(instance_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEFU_", "AWS_ENDPOINT"))}
    return {**env, "KEFU_INSTANCE_FILE": str(instance_file)}


def readme_examples() -> str:
    """The block of the README marked as runnable, with the default data folder as the instance's."""
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- readme-examples -->\n```\n(.*?)```", readme, re.S)
    assert found, "the README lost its runnable examples"
    return found.group(1)


def test_the_readme_examples_run_as_written_against_a_started_instance(local_instance: Instance) -> None:
    block = readme_examples().replace(".data/", f"{local_instance.data_dir}/")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=ROOT, capture_output=True, text=True,
                            env=_env(local_instance.data_dir / "instance.json"), timeout=180, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    answers, rest = _json_values(result.stdout)  # curl prints no line break after an answer
    assert answers[0]["licensee_id"] == "lic_demo" and answers[1]["code"] == "VALID"
    assert answers[2] >= 29  # paths in the published document
    assert rest.splitlines()[-1] in ("ACTIVE", "EXPIRING")
    tickets = _get(local_instance, "/v1/agent/tickets", local_instance.demo["agent_key"])
    assert any(t["subject"] == "Where is my order?" for t in tickets["items"])  # the SMTP example opened one


def test_kefu_json_writes_only_json_to_stdout_and_logs_to_stderr(local_instance: Instance) -> None:
    result = subprocess.run([str(ROOT / "kefu"), "billing", "run", "--date", "2026-12-01", "--json"], cwd=ROOT,
                            capture_output=True, text=True, env=_env(local_instance.data_dir / "instance.json"),
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["job"] == "billing"


def test_kefu_says_clearly_that_no_instance_runs(tmp_path: Path) -> None:
    result = subprocess.run([str(ROOT / "kefu"), "licensees", "list"], cwd=ROOT, capture_output=True, text=True,
                            env=_env(tmp_path / "instance.json"), timeout=60, check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error NO_LOCAL_INSTANCE:") and "make run" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unknown_route_answers_404_in_the_error_shape_and_never_echoes_authorization(
        local_instance: Instance) -> None:
    secret = "kf_agent_" + "s3cr3t" * 6
    for path in ("/v1/nowhere", "/v1/agent/conversations/x/y/z", "/favicon.ico"):
        request = urllib.request.Request(f"{local_instance.api}{path}",  # noqa: S310 - loopback
                                         headers={"authorization": f"Bearer {secret}"})
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=10)  # noqa: S310
        body = answer.value.read().decode()
        assert answer.value.code == 404 and json.loads(body)["error"]["code"] == "NOT_FOUND"
        assert "s3cr3t" not in body and "s3cr3t" not in str(answer.value.headers)


def test_the_access_log_and_the_app_log_never_hold_keys_tokens_or_signatures(local_instance: Instance) -> None:
    demo = local_instance.demo
    before = len(local_instance.output)
    signed = "/v1/agent/tickets/t/messages/m/attachments/0?m=lic_demo&exp=99999999999&sig=0123456789abcdef0123"
    for path, headers in ((signed, {}), (f"/v1/widget/config?key={demo['widget_key']}", {"origin": "https://x"}),
                          ("/v1/license", {"authorization": f"Bearer {demo['agent_key']}x"})):
        request = urllib.request.Request(f"{local_instance.api}{path}", headers=headers,  # noqa: S310 - loopback
                                         method="OPTIONS" if "widget" in path else "GET")
        with contextlib.suppress(urllib.error.HTTPError):  # refusals are fine: it is the log that is looked at
            urllib.request.urlopen(request, timeout=10)  # noqa: S310
    logged = "".join(local_instance.output[before:])
    assert "attachments/0" in logged  # the access log has the request...
    for secret in ("0123456789abcdef0123", demo["widget_key"], demo["agent_key"]):
        assert secret not in logged  # ...but not what would let someone replay it
    assert "[redacted]" in logged


def _json_values(text: str) -> tuple[list[object], str]:
    decoder, values, at = json.JSONDecoder(), [], 0
    while len(values) < 3:
        value, at = decoder.raw_decode(text, at)
        values.append(value)
    return values, text[at:]


def _get(instance: Instance, path: str, key: str) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(f"{instance.api}{path}",  # noqa: S310 - loopback
                                     headers={"authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return dict(json.loads(response.read()))
