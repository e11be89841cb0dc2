"""Each function's instance loads what it serves: an event function's cold start never imports the API's areas,
nor the services of areas it does not touch (bench/cold_start.py measures the time; this says what is loaded)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chalicelib.functions import HANDLERS, serves_api

ROOT = Path(__file__).resolve().parents[2]
LOADED = """
import json, sys
import app
from chalicelib import bootstrap, functions
name = sys.argv[1]
built = bootstrap.services()
if name in functions.HANDLERS:
    module = functions.HANDLERS[name].split(":")[0]
    __import__(module)
    getattr(built, module.split(".")[1])  # the handler's area, as its first event builds it
print(json.dumps({"modules": sorted(m for m in sys.modules if m.startswith("chalicelib.")),
                  "routes": len(app.app.routes)}))
"""


def loaded(function: str) -> dict[str, object]:
    env = {"PATH": os.environ.get("PATH", ""), "KEFU_FUNCTION": function, "AWS_DEFAULT_REGION": "ap-southeast-1",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", LOADED, function], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    found: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_only_the_api_function_serves_routes() -> None:
    assert serves_api("api_handler") and serves_api("")
    assert not any(serves_api(name) for name in HANDLERS)
    assert not serves_api("websocket_connect")


def test_a_billing_job_loads_neither_the_api_nor_mail_nor_chat() -> None:
    found = loaded("billing-run")
    modules = set(found["modules"])  # type: ignore[call-overload]
    assert found["routes"] == 0
    assert "chalicelib.billing.runs" in modules
    assert not {"chalicelib.mail.service", "chalicelib.chat.service", "chalicelib.chat.api",
                "chalicelib.admin.api"} & modules


def test_the_inbound_mail_function_loads_mail_but_not_billing_or_the_api() -> None:
    modules = set(loaded("mail_inbound")["modules"])  # type: ignore[call-overload]
    assert "chalicelib.mail.handler" in modules
    assert not {"chalicelib.billing.service", "chalicelib.mail.api", "chalicelib.chat.api"} & modules


def test_the_api_function_has_every_route() -> None:
    assert loaded("api_handler")["routes"] > 50


def test_the_health_and_backup_jobs_know_the_tables_by_name_and_load_no_area() -> None:
    for function in ("health", "backups"):
        modules = set(loaded(function)["modules"])  # type: ignore[call-overload]
        assert "chalicelib.operations.service" in modules
        assert not {"chalicelib.mail.service", "chalicelib.mail.store", "chalicelib.chat.store",
                    "chalicelib.billing.store", "chalicelib.privacy.store"} & modules, function
