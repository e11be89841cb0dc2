"""Tables are created or updated idempotently from the models, against DynamoDB Local."""

from __future__ import annotations

import pytest
from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import dynamodb
from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.core.ids import new_id
from chalicelib.settings import Settings


def models(table: str, settings: Settings) -> tuple[type[Model], type[Model]]:
    class Before(Model):
        class Meta:
            table_name = table

        pk = UnicodeAttribute(hash_key=True)

    class ByEmail(GlobalSecondaryIndex["After"]):
        class Meta:
            index_name = "by_email"
            projection = AllProjection()

        email = UnicodeAttribute(hash_key=True)

    class After(Model):
        class Meta:
            table_name = table

        pk = UnicodeAttribute(hash_key=True)
        email = UnicodeAttribute(null=True)
        by_email = ByEmail()

    for model in (Before, After):
        model.Meta.host = settings.dynamodb_endpoint
        model.Meta.region = settings.region
    return Before, After


def test_ensure_tables_creates_then_adds_a_new_index_then_changes_nothing(settings: Settings, tables: None) -> None:
    table = f"kefu-test-{new_id('t')}"
    before, after = models(table, settings)
    assert dynamodb.ensure_tables([before]) == [table]
    before(pk="a").save()
    assert dynamodb.ensure_tables([after]) == [f"{table}:by_email"]
    assert dynamodb.ensure_tables([after]) == []
    after(pk="b", email="b@shop.example").save()
    assert [i.pk for i in after.by_email.query("b@shop.example")] == ["b"]
    assert after.get("a").pk == "a"  # existing data kept


# -- what every store shares: the batch, the condition check, get, the page cursor --------------------------------


def _table(settings: Settings) -> type[Model]:
    table = f"kefu-test-{new_id('t')}"
    before, _ = models(table, settings)
    dynamodb.ensure_tables([before])
    return before


def test_a_batch_writes_all_or_nothing_and_names_the_write_whose_condition_failed(settings: Settings,
                                                                                 tables: None) -> None:
    item = _table(settings)
    item(pk="taken").save()
    batch = dynamodb.Batch()
    batch.save(item(pk="new"), item.pk.does_not_exist(), label="new")
    batch.save(item(pk="taken"), item.pk.does_not_exist(), label="taken")
    with pytest.raises(dynamodb.Contended) as lost:
        batch.commit()
    assert lost.value.failed == ["taken"] and dynamodb.condition_failed(lost.value)
    assert dynamodb.get(item, "new") is None  # nothing of the batch was written
    with pytest.raises(Conflict, match="someone was first"), dynamodb.transaction("someone was first") as tx:
        tx.save(item(pk="taken"), item.pk.does_not_exist())


def test_a_conditional_write_says_whether_its_condition_held(settings: Settings, tables: None) -> None:
    item = _table(settings)
    assert dynamodb.conditionally(lambda: item(pk="once").save(condition=item.pk.does_not_exist()))
    assert not dynamodb.conditionally(lambda: item(pk="once").save(condition=item.pk.does_not_exist()))
    assert dynamodb.get(item, "once") is not None


def test_a_page_cursor_comes_back_as_the_key_it_stands_for_and_only_into_its_own_list() -> None:
    key = {"pk": {"S": "A#1"}, "sk": {"S": "x"}, "list": {"S": "lic_a#open"}}
    token = dynamodb.encode_cursor(key)
    assert token and "=" not in token
    assert dynamodb.decode_cursor(token, ("pk", "sk", "list"), {"list": "lic_a#open"}) == key
    for forged in (token, "not-a-cursor", dynamodb.encode_cursor({**key, "pk": {"N": "1"}})):
        with pytest.raises(InvalidInput) as refused:
            dynamodb.decode_cursor(forged, ("pk", "sk", "list"), {"list": "lic_b#open"})
        assert refused.value.code == "INVALID_CURSOR"
    assert dynamodb.decode_cursor(None, ("pk",), {}) is None
