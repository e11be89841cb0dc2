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


def test_the_package_holds_no_native_code_so_it_runs_on_arm64_and_any_runtime() -> None:
    assert not kept("wrapt/_wrappers.cpython-311-x86_64-linux-gnu.so")
    assert not kept("lib/libsomething.so.1")
    assert kept("wrapt/wrappers.py") and kept("aws_xray_sdk/core/recorder.py")


def test_wrapt_works_without_its_native_extension() -> None:
    """What dropping the extension relies on: wrapt falls back to its pure-Python wrappers."""
    import subprocess
    import sys

    code = ("import sys\n"
            "class NoNative:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'wrapt._wrappers': raise ImportError(name)\n"
            "sys.meta_path.insert(0, NoNative())\n"
            "import wrapt.__wrapt__ as w\n"
            "assert not w._using_c_extension\n"
            "import aws_xray_sdk.core\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
