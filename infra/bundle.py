"""The Lambda deployment package as Chalice builds it, less botocore's models of services kefu never calls.

botocore ships a model for every AWS service (16 MB of the package zipped); the code calls only the services
in `chalicelib.resources.AWS_SERVICES`, so the package keeps those and botocore's shared files."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from chalicelib.resources import AWS_SERVICES

BOTOCORE_DATA = "botocore/data/"


def native(name: str) -> bool:
    """A compiled extension, built for the machine that packaged (Chalice picks wheels for it, not for the
    functions' arm64 and pinned runtime). The dependencies that ship one (wrapt) fall back to pure Python."""
    return name.endswith((".so", ".pyd")) or ".so." in name.rsplit("/", 1)[-1]


def kept(name: str, services: tuple[str, ...] = AWS_SERVICES) -> bool:
    """Whether a file of the package stays: everything except other services' botocore models and native
    extensions (the package is pure Python, so it runs on any architecture and runtime version)."""
    if native(name):
        return False
    if not name.startswith(BOTOCORE_DATA):
        return True
    rest = name[len(BOTOCORE_DATA):]
    if "/" not in rest:  # endpoints.json, partitions.json, _retry.json, sdk-default-configuration.json
        return True
    return rest.split("/", 1)[0] in services


def prune(deployment_zip: Path, services: tuple[str, ...] = AWS_SERVICES) -> None:
    """Rewrite the zip in place without the models of services not listed."""
    handle, tmp = tempfile.mkstemp(suffix=".zip", dir=deployment_zip.parent)
    os.close(handle)
    with zipfile.ZipFile(deployment_zip) as source, \
            zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if kept(info.filename, services):
                target.writestr(info, source.read(info.filename), compress_type=zipfile.ZIP_DEFLATED,
                                compresslevel=9)
    shutil.move(tmp, deployment_zip)


# Chalice wants a policy file when autogen_policy is off; infra/ replaces each role's policy with its own.
CHALICE_CONFIG = {"iam_policy_file": "policy-replaced-by-infra.json"}


def package(project_dir: Path, output_dir: Path, stage: str) -> Path:
    """`chalice package` for a stage (offline apart from the package index), then pruned. Returns the zip."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")  # Chalice asks; packaging never calls AWS
    from chalice import api

    api.package_app(project_dir=str(project_dir), output_dir=str(output_dir), stage=stage,
                    chalice_config=CHALICE_CONFIG)
    deployment = output_dir / "deployment.zip"
    prune(deployment)
    return deployment
