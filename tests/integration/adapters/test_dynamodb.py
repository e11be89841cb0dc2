"""Tables are created or updated idempotently from the models, against DynamoDB Local."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import dynamodb
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
