"""The CDK app: one stack per stage in the stage's region (`KEFU_REGION`), and, where SES does not receive
there, the stage's mail-ingress stack in its receiving region (`KEFU_MAIL_RECEIVING_REGION`, infra/ingress.py).
`make synth` writes every template into infra/cdk.out/ offline (no AWS account is asked: the stacks name their
region, not their account); `make deploy STAGE=prod` deploys a stage (its ingress stack first).

cdk-nag's AwsSolutions checks run on every synthesis; an unsuppressed error fails it."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.ingress import Layout

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("dev", "prod")
# CDK feature flags: log delivery to the access log bucket by bucket policy, not by the legacy ACL.
CONTEXT = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}


def main(layouts: Mapping[str, Layout] | None = None) -> int:
    """Synthesize the stages of KEFU_STAGES; `layouts` replaces a stage's regions (tests of other layouts)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")  # packaging asks; synthesis calls no AWS API
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    from aws_cdk import App, Aspects, Environment
    from cdk_nag import AwsSolutionsChecks

    from infra import catalogue, ingress
    from infra.stack import KefuStack

    outdir = os.environ.get("CDK_OUTDIR") or str(ROOT / "infra" / "cdk.out")
    stages = [s for s in os.environ.get("KEFU_STAGES", ",".join(STAGES)).split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="kefu-synth-"))
    previous = Path.cwd()
    os.chdir(work)  # Chalice's construct packages into ./chalice.out; keep that out of the repository
    try:
        app = App(outdir=outdir, context=CONTEXT)
        account = os.environ.get("CDK_DEFAULT_ACCOUNT")
        for stage in stages:
            layout = (layouts or {}).get(stage) or ingress.layout(stage, catalogue.stage_environment(stage))
            main_stack = KefuStack(app, stage, layout, env=Environment(account=account, region=layout.main_region))
            if layout.split:
                names = ingress.IngressNames(stage, layout.receiving_region)
                receiving = ingress.IngressStack(app, names, env=Environment(account=account,
                                                                             region=layout.receiving_region))
                main_stack.add_stack_dependency(receiving)  # the topic exists before mail_inbound subscribes to it
        Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
        app.synth()
    finally:
        os.chdir(previous)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
