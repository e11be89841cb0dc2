"""Cold start of every function: what a fresh Lambda instance does before it can handle its first event
(import app.py as that function, build the services, import its handler's module and build its area's
service), in a fresh interpreter, divided by the same for a minimal Chalice app that imports boto3 and creates
a DynamoDB client. Measured alternately in the same run, so that machine noise falls on both alike, and the
fastest round of each compared (goal: at most 1.3 for every function).

Both sides import from compiled bytecode: boto3's comes compiled by pip, so ours is compiled once before the
rounds, whatever the environment says (with PYTHONDONTWRITEBYTECODE set, every round compiled kefu's ~90 modules
from source while the baseline's were compiled already, which measured the compiler, not the function)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import BenchEnv, Figure

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("KEFU_BENCH_ROUNDS", "9"))
GOAL = 1.3
BASELINE = """
from chalice import Chalice
import boto3

app = Chalice(app_name="baseline")
dynamodb = boto3.client("dynamodb", region_name="ap-southeast-1")
"""
# A function's first event: Lambda imports app.py under the function's name, the services are built, the handler
# imports its module and its area's service is built. The API function ("api_handler") builds the services on
# its first request the same way.
FUNCTION = """
import importlib, os, sys, time
os.environ.update({{"KEFU_FUNCTION": {name!r}, "AWS_DEFAULT_REGION": "ap-southeast-1",
                   "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "KEFU_STAGE": "bench"}})
sys.path.insert(0, {root!r})
began = time.perf_counter()
import app
from chalicelib import bootstrap, functions
built = bootstrap.services()
if {name!r} in functions.HANDLERS:
    module = functions.HANDLERS[{name!r}].split(":")[0]
    importlib.import_module(module)
    getattr(built, module.split(".")[1])  # the service of the handler's area, as its first event builds it
print(time.perf_counter() - began)
"""
TIMER = "import time; t = time.perf_counter()\n{code}\nprint(time.perf_counter() - t)"


ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def seconds(code: str, cwd: Path) -> float:
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True,
                         env=ENVIRONMENT)
    return float(out.stdout.strip().splitlines()[-1])


def functions() -> list[str]:
    from chalicelib.functions import HANDLERS

    return ["api_handler", *HANDLERS]


def run(env: BenchEnv) -> list[Figure]:
    names = functions()
    ours: dict[str, list[float]] = {name: [] for name in names}
    baseline: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:  # bytecode written once, untimed
            seconds(FUNCTION.format(name=name, root=str(ROOT)), ROOT)
        seconds(TIMER.format(code=BASELINE), Path(tmp))
        for _ in range(ROUNDS):  # alternate, so that machine noise falls on both alike
            for name in names:
                ours[name].append(seconds(FUNCTION.format(name=name, root=str(ROOT)), ROOT))
                baseline.append(seconds(TIMER.format(code=BASELINE), Path(tmp)))
    # The fastest of the rounds: a start does the same work every time, and a loaded machine only ever adds to it
    # (the medians are in the note).
    base = min(baseline)
    figures = []
    for name in names:
        ratio = min(ours[name]) / base
        figures.append(Figure(f"cold start of {name} / minimal Chalice+boto3+client", round(ratio, 3), "ratio",
                              f"<= {GOAL}", ratio <= GOAL,
                              f"fastest of {ROUNDS}: {min(ours[name]) * 1000:.0f} ms vs {base * 1000:.0f} ms;"
                              f" medians {statistics.median(ours[name]) * 1000:.0f} vs"
                              f" {statistics.median(baseline) * 1000:.0f} ms"))
    worst = max(f.value for f in figures)
    figures.append(Figure("cold start, worst function / minimal Chalice+boto3+client", worst, "ratio", f"<= {GOAL}",
                          worst <= GOAL))
    return figures
