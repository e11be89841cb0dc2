"""The Lambda deployment package and cold start per function.

- size: the package as `make deploy` ships it (`chalice package`, then botocore's models of unused services
  dropped), zipped, boto3 included (goal: at most 15 MB);
- cold start: the import time of each function's module graph in a fresh interpreter (app.py is every
  function's handler module; the first call of a scheduled function also builds its services), as a ratio
  to the minimal Chalice+boto3 app of bench/cold_start.py, measured alternately in the same run."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.cold_start import BASELINE, import_seconds
from bench.harness import BenchEnv, Figure

ROOT = Path(__file__).resolve().parents[1]
GOAL_MB = 15.0
ROUNDS = 7
# What a cold function does before its first line of work: import app.py (every function's handler module);
# a scheduled function then builds the services it calls (the API builds them on its first request).
FUNCTION_TIMER = ("import time, sys; sys.path.insert(0, {root!r}); t = time.perf_counter(); import app; {first}; "
                  "print(time.perf_counter() - t)")
FIRST_WORK = {"api_handler": "pass",
              "backups": "from chalicelib.bootstrap import services; services().operations",
              "health": "from chalicelib.bootstrap import services; services().operations"}


def _function_seconds(name: str, env: dict[str, str]) -> float:
    code = FUNCTION_TIMER.format(root=str(ROOT), first=FIRST_WORK.get(name, "from chalicelib.bootstrap import "
                                                                              "services; services()"))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run(env: BenchEnv) -> list[Figure]:
    from infra.bundle import package

    with tempfile.TemporaryDirectory() as tmp:
        deployment = package(ROOT, Path(tmp) / "out", "dev")
        size_mb = deployment.stat().st_size / 1e6
        with zipfile.ZipFile(deployment) as z:
            has_boto3 = any(n.startswith("boto3/") for n in z.namelist())
            unzipped_mb = sum(i.file_size for i in z.infolist()) / 1e6

    import os

    from app import app

    names = ["api_handler", *(f.name for f in app.pure_lambda_functions)]
    aws_env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL_DYNAMODB"}
    aws_env.update({"KEFU_STAGE": "dev", "KEFU_METRICS": "off", "AWS_DEFAULT_REGION": "ap-southeast-1"})
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "baseline_app.py").write_text(BASELINE)
        ours: dict[str, list[float]] = {name: [] for name in names}
        baseline = []
        for _ in range(ROUNDS):  # alternate, so that machine noise falls on all alike
            for name in names:
                ours[name].append(_function_seconds(name, aws_env))
            baseline.append(import_seconds("baseline_app", Path(tmp)))
    base = statistics.median(baseline)
    figures = [
        Figure("Lambda package, zipped (boto3 included)", round(size_mb, 2), "MB", f"<= {GOAL_MB:g}",
               size_mb <= GOAL_MB and has_boto3, f"{unzipped_mb:.1f} MB unzipped"),
    ]
    for name in names:
        median = statistics.median(ours[name])
        figures.append(Figure(f"cold start {name} / minimal Chalice+boto3", round(median / base, 3), "ratio",
                              note=f"median of {ROUNDS}: {median * 1000:.0f} ms vs {base * 1000:.0f} ms"))
    return figures
