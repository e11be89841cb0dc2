from __future__ import annotations

import json

import pytest

from chalicelib.adapters.cloudwatch import EmfSink
from chalicelib.metrics import LICENSE_VALIDATIONS


def test_metrics_leave_as_embedded_metric_format_in_the_kefu_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    EmfSink().count(LICENSE_VALIDATIONS, code="SUSPENDED")
    emitted = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    directive = emitted["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "kefu"
    assert directive["Metrics"] == [{"Name": "LicenseValidations", "Unit": "Count"}]
    assert directive["Dimensions"] == [["code"]]
    assert emitted["code"] == "SUSPENDED" and emitted["LicenseValidations"] == [1.0]


def test_a_metric_with_the_wrong_dimensions_is_refused_before_it_leaves() -> None:
    with pytest.raises(ValueError, match="takes dimensions"):
        EmfSink().count(LICENSE_VALIDATIONS, outcome="VALID")
