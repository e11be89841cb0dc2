"""The benchmarks' price of a transaction: AWS's rules applied to the items' images, checked against what
DynamoDB Local reports for plain writes (which it bills as AWS does) and for transactions (which it does not)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from bench import _pricing as pricing
from bench.harness import Capacity, CapacityMeter
from chalicelib.local.dynamodb import DynamoDBLocal

QUEUE = pricing.Index("queue", ("q",), "ALL")
KEYS = ("pk", "sk")


def item(sk: str, size: int = 100, queue: str | None = None) -> dict[str, Any]:
    made: dict[str, Any] = {"pk": {"S": "p"}, "sk": {"S": sk}, "body": {"S": "x" * size}}
    if queue:
        made["q"] = {"S": queue}
    return made


def test_sizes_follow_dynamodbs_rules() -> None:
    assert pricing.item_size({"ab": {"S": "汉字"}}) == 2 + 6  # names and UTF-8 bytes
    assert pricing.item_size({"n": {"N": "12345"}}) == 1 + 4  # digits in pairs, plus one
    assert pricing.item_size({"f": {"BOOL": True}, "l": {"L": [{"S": "a"}]}}) == (1 + 1) + (1 + 3 + 2)
    assert pricing.units(0) == 1 and pricing.units(1024) == 1 and pricing.units(1025) == 2


def test_a_transaction_costs_two_units_per_kb_of_each_item() -> None:
    small, large = item("a"), item("b", 1500)
    assert pricing.transaction_units([(None, small)], [[]], [KEYS]) == 2
    assert pricing.transaction_units([(None, small)] * 8, [[]] * 8, [KEYS] * 8) == 16
    assert pricing.transaction_units([(None, large)], [[]], [KEYS]) == 4
    # the larger image counts: shrinking a large item costs what the large one did
    assert pricing.transaction_units([(large, small)], [[]], [KEYS]) == 4


def test_index_entries_cost_at_the_standard_rate() -> None:
    assert pricing.index_units(None, item("a", queue="Q#1"), [QUEUE], KEYS) == 1          # enters
    assert pricing.index_units(item("a", queue="Q#1"), item("a"), [QUEUE], KEYS) == 1     # leaves
    assert pricing.index_units(item("a", queue="Q#1"), item("a", queue="Q#2"), [QUEUE], KEYS) == 2  # moves
    assert pricing.index_units(item("a", queue="Q#1"), item("a", 200, "Q#1"), [QUEUE], KEYS) == 1  # changes
    assert pricing.index_units(item("a", queue="Q#1"), item("a", queue="Q#1"), [QUEUE], KEYS) == 0
    assert pricing.index_units(item("a"), item("a", 200), [QUEUE], KEYS) == 0              # never in it
    keys_only = pricing.Index("queue", ("q",), "KEYS_ONLY")
    assert pricing.index_units(item("a", queue="Q#1"), item("a", 200, "Q#1"), [keys_only], KEYS) == 0


@pytest.fixture
def table(dynamodb_local: DynamoDBLocal) -> Iterator[tuple[Any, str]]:
    client = boto3.client("dynamodb", endpoint_url=dynamodb_local.endpoint, region_name="ap-southeast-1")
    name = f"pricing-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "q")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "queue", "KeySchema": [{"AttributeName": "q", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    yield client, name
    client.delete_table(TableName=name)


def metered(client: Any) -> Capacity:
    """A meter on ``client``, reading the transactions' items with the same client (it is measuring itself)."""
    meter = CapacityMeter(client)
    meter.attach(client)
    meter.current = Capacity()
    return meter.current


def test_the_meter_prices_transactions_by_their_items(table: tuple[Any, str]) -> None:
    client, name = table
    used = metered(client)
    client.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": item(f"s{n}")}} for n in range(8)])
    # DynamoDB Local reports one shape of write once: eight small items read as 4 units; AWS bills 16
    assert used.reported_write == 4
    assert used.write == 16
    # a plain write is taken as reported: an item entering the index is a unit for the table, one for the index
    client.put_item(TableName=name, Item=item("plain", queue="Q#1"))
    assert used.reported_write == 4 + 2 and used.write == 16 + 2


def test_a_transaction_moving_an_index_entry_pays_for_both_ends(table: tuple[Any, str]) -> None:
    client, name = table
    client.put_item(TableName=name, Item=item("a", queue="Q#1"))
    used = metered(client)
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": item("a", queue="Q#2")}},
        {"Put": {"TableName": name, "Item": item("b")}}])
    assert used.write == 2 + 2 + 2  # two items, and the entry removed from Q#1 and put under Q#2


def test_a_refused_transaction_costs_nothing_here(table: tuple[Any, str]) -> None:
    client, name = table
    client.put_item(TableName=name, Item=item("a"))
    used = metered(client)
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=[{"Put": {
            "TableName": name, "Item": item("a"), "ConditionExpression": "attribute_not_exists(pk)"}}])
    assert used.write == 0
