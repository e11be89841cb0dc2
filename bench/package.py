"""The Lambda deployment package: its size as `make deploy` ships it (`chalice package`, then botocore's
models of unused services dropped), zipped, boto3 included (goal: at most 15 MB). The cold start of each
function is bench/cold_start.py's."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from bench.harness import BenchEnv, Figure

ROOT = Path(__file__).resolve().parents[1]
GOAL_MB = 15.0


def run(env: BenchEnv) -> list[Figure]:
    from infra.bundle import package

    with tempfile.TemporaryDirectory() as tmp:
        deployment = package(ROOT, Path(tmp) / "out", "dev")
        size_mb = deployment.stat().st_size / 1e6
        with zipfile.ZipFile(deployment) as z:
            has_boto3 = any(n.startswith("boto3/") for n in z.namelist())
            unzipped_mb = sum(i.file_size for i in z.infolist()) / 1e6

    return [Figure("Lambda package, zipped (boto3 included)", round(size_mb, 2), "MB", f"<= {GOAL_MB:g}",
                   size_mb <= GOAL_MB and has_boto3, f"{unzipped_mb:.1f} MB unzipped")]
