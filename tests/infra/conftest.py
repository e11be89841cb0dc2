"""The synthesized templates, made once per test session (synthesis takes tens of seconds), offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")


class Synthesized:
    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self.templates: dict[str, dict[str, Any]] = {
            stage: json.loads((outdir / f"{stage}.template.json").read_text()) for stage in STAGES}

    def resources(self, stage: str, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.templates[stage]["Resources"].items() if v["Type"] == kind}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}  # no account, no endpoint
    env.update({"CDK_OUTDIR": str(outdir), "PYTHONPATH": str(ROOT)})
    done = subprocess.run([sys.executable, "-m", "infra.main"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    yield Synthesized(outdir)
