"""Cold start: the import time of app.py in a fresh interpreter, divided by that of a minimal Chalice app
that imports boto3 and creates a DynamoDB client, measured alternately in the same run (goal: at most 1.3)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import BenchEnv, Figure

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 9
BASELINE = """
from chalice import Chalice
import boto3

app = Chalice(app_name="baseline")
dynamodb = boto3.client("dynamodb", region_name="ap-southeast-1")
"""
TIMER = "import time, sys; sys.path.insert(0, {path!r}); t = time.perf_counter(); import {module}; " \
        "print(time.perf_counter() - t)"


def import_seconds(module: str, path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", TIMER.format(path=str(path), module=module)], cwd=path,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run(env: BenchEnv) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "baseline_app.py").write_text(BASELINE)
        ours, baseline = [], []
        for _ in range(ROUNDS):  # alternate, so that machine noise falls on both alike
            ours.append(import_seconds("app", ROOT))
            baseline.append(import_seconds("baseline_app", Path(tmp)))
    ratio = statistics.median(ours) / statistics.median(baseline)
    return [
        Figure("app.py import / minimal Chalice+boto3+client import", round(ratio, 3), "ratio", "<= 1.3",
               ratio <= 1.3, f"median of {ROUNDS}: {statistics.median(ours) * 1000:.0f} ms vs "
                             f"{statistics.median(baseline) * 1000:.0f} ms"),
    ]
