"""The mail package runs in every inbound-mail Lambda: importing it must stay cheap."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_importing_the_mail_package_pulls_in_no_aws_sdk_or_third_party_code():
    probe = (
        "import sys, chalicelib.mail\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'boto3', 'botocore', 'pynamodb', 'aws_lambda_powertools', 'chalice'})\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
