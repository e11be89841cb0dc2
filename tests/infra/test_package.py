"""The Lambda package keeps botocore's models of every service the code calls, and only those."""

from __future__ import annotations

import re

from chalicelib.resources import AWS_SERVICES
from infra.bundle import kept
from tests.infra.conftest import ROOT

CLIENT = re.compile(r"""(?:boto3|session)\.(?:client|resource)\(\s*["']([a-z0-9-]+)["']""")


def test_every_aws_service_the_code_calls_is_kept_in_the_package() -> None:
    called = {name for path in (ROOT / "chalicelib").rglob("*.py")
              for name in CLIENT.findall(path.read_text(encoding="utf-8"))}
    assert "dynamodb" in called
    missing = sorted(called - set(AWS_SERVICES))
    assert missing == [], "add these to chalicelib.resources.AWS_SERVICES"


def test_the_package_drops_other_services_models_but_keeps_shared_files() -> None:
    assert kept("botocore/data/dynamodb/2012-08-10/service-2.json.gz")
    assert kept("botocore/data/endpoints.json")
    assert not kept("botocore/data/ec2/2016-11-15/service-2.json.gz")
    assert kept("chalicelib/bootstrap.py")
