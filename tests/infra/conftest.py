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
    def __init__(self, outdir: Path, stages: tuple[str, ...] = STAGES) -> None:
        self.outdir = outdir
        self.templates: dict[str, dict[str, Any]] = {
            stage: json.loads((outdir / f"{stage}.template.json").read_text()) for stage in stages}
        self._transformed: dict[str, dict[str, Any]] = {}

    def transformed(self, stage: str) -> dict[str, Any]:
        if stage not in self._transformed:
            self._transformed[stage] = transform(self.templates[stage], stage)
        return self._transformed[stage]

    def resources(self, stage: str, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.templates[stage]["Resources"].items() if v["Type"] == kind}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    synthesize(outdir)
    yield Synthesized(outdir)


def synthesize(outdir: Path, **extra_env: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}  # no account, no endpoint
    env.update({"CDK_OUTDIR": str(outdir), "PYTHONPATH": str(ROOT), **extra_env})
    done = subprocess.run([sys.executable, "-m", "infra.main"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


class _NoManagedPolicies:
    """SAM looks managed policies up by name only for functions whose role it makes; kefu makes its own."""

    def load(self) -> dict[str, str]:
        return {}


def transform(template: dict[str, Any], stage: str) -> dict[str, Any]:
    """The template as CloudFormation runs it: after the AWS::Serverless transform (SAM's own translator, as
    cfn-lint uses it), where AWS::Serverless::Function is AWS::Lambda::Function and the API has its stage."""
    import copy

    from samtranslator.translator.transform import transform as sam_transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    pseudo = {"AWS::Region": "ap-southeast-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
              "AWS::StackName": f"kefu-{stage}", "AWS::StackId": "stack", "AWS::URLSuffix": "amazonaws.com",
              "AWS::NotificationARNs": []}
    return dict(sam_transform(copy.deepcopy(template), pseudo, _NoManagedPolicies()))
