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
    """Every template of one synthesis, by stack id: `dev`, `prod`, and `dev-ingress`, `prod-ingress` where SES
    receives in another region than the stage's own (those of `stages` only, when given)."""

    def __init__(self, outdir: Path, stages: tuple[str, ...] | None = None) -> None:
        self.outdir = outdir
        self.templates: dict[str, dict[str, Any]] = {
            path.name.removesuffix(".template.json"): json.loads(path.read_text())
            for path in outdir.glob("*.template.json")
            if stages is None or path.name.removesuffix(".template.json").removesuffix("-ingress") in stages}
        manifest = json.loads((outdir / "manifest.json").read_text())
        self.regions = {name: artifact["environment"].rsplit("/", 1)[1]
                        for name, artifact in manifest["artifacts"].items() if name in self.templates}
        self._transformed: dict[str, dict[str, Any]] = {}

    def transformed(self, stage: str) -> dict[str, Any]:
        if stage not in self._transformed:
            self._transformed[stage] = transform(self.templates[stage], stage)
        return self._transformed[stage]

    def resources(self, stage: str, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.templates[stage]["Resources"].items() if v["Type"] == kind}


def flat(value: Any) -> str:
    """A template value as one string: `Fn::Join` joined, `Ref` and `Fn::GetAtt` written `${Name}` and
    `${Name.Attribute}`, as CloudFormation's `Fn::Sub` would write them."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(flat(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"${{{value['Ref']}}}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"${{{'.'.join(value['Fn::GetAtt'])}}}"
    raise AssertionError(f"not a value this helper reads: {value!r}")


def synthesize(outdir: Path, stages: tuple[str, ...] = STAGES, layouts: str = "", **extra_env: str) -> Synthesized:
    """`python -m infra.main` in a fresh process, offline; `layouts` is Python for `main`'s layouts argument."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}  # no account, no endpoint
    env.update({"CDK_OUTDIR": str(outdir), "PYTHONPATH": str(ROOT), "KEFU_STAGES": ",".join(stages), **extra_env})
    command = ["-m", "infra.main"] if not layouts else [
        "-c", f"import sys; from infra.ingress import Layout; from infra.main import main; sys.exit(main({layouts}))"]
    done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return Synthesized(outdir)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def single_region(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Stage dev as it is synthesized where the main region receives mail itself: one setting, one stack."""
    return synthesize(tmp_path_factory.mktemp("cdk.out.single"), ("dev",),
                      "{'dev': Layout('dev', 'us-east-1', 'us-east-1')}")


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
