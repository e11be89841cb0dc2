"""The CDK app: one stack per stage. `make synth` writes every stage's template into infra/cdk.out/ offline
(no AWS account is asked: the stacks are environment-agnostic); `make deploy STAGE=prod` deploys one.

cdk-nag's AwsSolutions checks run on every synthesis; an unsuppressed error fails it."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("dev", "prod")
# CDK feature flags: log delivery to the access log bucket by bucket policy, not by the legacy ACL.
CONTEXT = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")  # packaging asks; synthesis calls no AWS API
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    from aws_cdk import App, Aspects, Environment
    from cdk_nag import AwsSolutionsChecks

    from infra.stack import KefuStack

    outdir = os.environ.get("CDK_OUTDIR") or str(ROOT / "infra" / "cdk.out")
    stages = [s for s in os.environ.get("KEFU_STAGES", ",".join(STAGES)).split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="kefu-synth-"))
    previous = Path.cwd()
    os.chdir(work)  # Chalice's construct packages into ./chalice.out; keep that out of the repository
    try:
        app = App(outdir=outdir, context=CONTEXT)
        env = Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))
        for stage in stages:
            KefuStack(app, stage, env=env)
        Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
        app.synth()
    finally:
        os.chdir(previous)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
