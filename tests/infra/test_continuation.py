"""Long runs continue themselves: the billing, overdue and renewal functions may invoke their own function (and
only theirs), and no other function may invoke any."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import STAGES, Synthesized
from tests.infra.test_mail_wiring import _all_function_names, _function, _granted, _logical_id, _statements

pytestmark = pytest.mark.infra

CONTINUING = ("billing-run", "overdue-run", "renewal-run", "privacy-run")


def _text(value: Any) -> str:
    """An ARN as the template writes it (Fn::Join of strings and Refs), with each Ref as `${Name}`."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    separator, parts = value["Fn::Join"]
    return separator.join(_text(part) for part in parts)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("job", CONTINUING)
def test_a_long_run_may_invoke_its_own_function_and_no_other(synthesized: Synthesized, stage: str, job: str) -> None:
    granted = [_text(r) for r in _granted(_statements(synthesized, stage, job), "lambda:InvokeFunction")]
    own = ("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
           f"${{AWS::StackName}}-{_logical_id(job)}-*")
    assert sorted(granted) == [own, f"{own}:*"]
    # The name CloudFormation makes (stack-LogicalId-suffix) is what the grant matches: no name is set.
    assert "FunctionName" not in _function(synthesized, stage, job)


@pytest.mark.parametrize("stage", STAGES)
def test_no_other_function_may_invoke_a_function(synthesized: Synthesized, stage: str) -> None:
    for name in _all_function_names():
        if name not in CONTINUING:
            assert _granted(_statements(synthesized, stage, name), "lambda:InvokeFunction") == [], name
