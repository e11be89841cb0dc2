"""A table's model named by its module is pointed at its table when that module is first imported, so a cold
function that never touches an area's table never imports the area's store, and one that does finds it bound."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from chalicelib.adapters import dynamodb
from chalicelib.settings import Settings

STORE = """
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model


class LateItem(Model):
    class Meta:
        table_name = "late"

    pk = UnicodeAttribute(hash_key=True)
"""


def test_a_model_imported_after_configure_is_pointed_at_its_table(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "late_store.py").write_text(STORE)
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = Settings.from_env({"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9"})
    dynamodb.configure([("late_store:LateItem", "kefu-test-late")], settings)
    assert "late_store" not in sys.modules
    try:
        from late_store import LateItem  # type: ignore[import-not-found]

        assert LateItem.Meta.table_name == "kefu-test-late"
        assert LateItem.Meta.host == "http://127.0.0.1:9"
    finally:
        sys.modules.pop("late_store", None)
