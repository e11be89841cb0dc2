"""A conversation's messages written by more than one process (warm Lambda instances), each message under its
stamp: every process writes a message with one PutItem whatever the others wrote meanwhile, and still no
retry duplicates a message, no poll misses one (clocks of instances apart included), no reopening is lost
and each process holds the limit per minute."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.chat import stamps
from chalicelib.chat.model import Author, Status
from chalicelib.chat.service import ChatService, Started
from chalicelib.chat.store import ChatItem, ChatStore, MessageItem, StatusItem, conversation_pk
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import KefuError
from chalicelib.licensing.model import KeyKind, KeyRecord
from tests.factories import Factory, Merchant

MS = timedelta(milliseconds=1)


def another_process(services: bootstrap.Services, clock: Any = None, store: ChatStore | None = None) -> ChatService:
    return ChatService(store or services.chat.store, clock or services.clock, services.licensing, services.settings,
                       services.metrics)


def agent_of(services: bootstrap.Services, merchant: Merchant) -> KeyRecord:
    return next(k for k in services.licensing.keys(merchant.licensee_id) if k.kind is KeyKind.AGENT)


def made_now(clock: FixedClock, n: int) -> str:
    """A client id as the widget makes it: the instant, then something random."""
    return f"{stamps.millis(clock.now())}-retry{n:04d}"


def items(merchant: Merchant, conversation_id: str) -> list[ChatItem]:
    return list(ChatItem.query(conversation_pk(merchant.licensee_id, conversation_id), consistent_read=True))


class Calls:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.client = ChatItem._get_connection().connection.client

    def count(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)

    def __enter__(self) -> list[str]:
        self.client.meta.events.register("after-call.dynamodb", self.count)
        return self.names

    def __exit__(self, *_: Any) -> None:
        self.client.meta.events.unregister("after-call.dynamodb", self.count)


@pytest.fixture
def chat(services: bootstrap.Services, factory: Factory) -> tuple[Merchant, Started]:
    merchant = factory.merchant()
    return merchant, services.chat.start(merchant.licensee_id, None, text="Hello", client_ip="198.51.100.7")


def test_two_processes_taking_turns_write_every_message_once_in_order(
        services: bootstrap.Services, chat: tuple[Merchant, Started], clock: FixedClock) -> None:
    merchant, started = chat
    shopper, agents = services.chat, another_process(services)
    conversation_id = started.conversation.conversation_id
    visitor = shopper.visitor(merchant.licensee_id, started.visitor_token)
    for n in range(4):
        clock.advance(MS)
        shopper.send_as_visitor(merchant.licensee_id, visitor, conversation_id, f"question {n}", made_now(clock, n))
        clock.advance(MS)
        agents.reply(merchant.licensee_id, agent_of(services, merchant), conversation_id, f"answer {n}",
                     made_now(clock, 10 + n))
    _, messages, _ = services.chat.timeline(merchant.licensee_id, conversation_id)
    assert [m.text for m in messages] == ["Hello"] + [t for n in range(4) for t in (f"question {n}", f"answer {n}")]
    assert len({m.message_id for m in messages}) == 9


def test_a_process_another_one_wrote_after_sends_with_one_put_and_no_read(
        services: bootstrap.Services, chat: tuple[Merchant, Started], clock: FixedClock) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    agents = another_process(services)
    agents.reply(merchant.licensee_id, agent_of(services, merchant), conversation_id, "Hello!", made_now(clock, 0))
    clock.advance(MS)
    services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "warm", made_now(clock, 1))
    clock.advance(MS)
    agents.reply(merchant.licensee_id, agent_of(services, merchant), conversation_id, "Anything else?",
                 made_now(clock, 2))
    clock.advance(MS)
    with Calls() as calls:
        services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "No, thanks", made_now(clock, 3))
    assert calls == ["PutItem"]
    _, messages, _ = services.chat.timeline(merchant.licensee_id, conversation_id)
    assert [m.text for m in messages] == ["Hello", "Hello!", "warm", "Anything else?", "No, thanks"]


def test_a_retry_landing_in_another_process_is_the_same_message(
        services: bootstrap.Services, chat: tuple[Merchant, Started], clock: FixedClock) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    warm = another_process(services)
    warm.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "warm", made_now(clock, 2))
    clock.advance(MS)
    client_id = made_now(clock, 1)
    first = services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "Still there?", client_id)
    clock.advance(timedelta(seconds=3))  # the widget's retry, a little later, in a warm process that knows nothing
    with Calls() as calls:
        again = warm.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "Still there?", client_id)
    assert again == first and calls == ["PutItem"]  # the refused write returned the message it made
    clock.advance(stamps.KEY_BEHIND)  # much later: the id's time is too far back for a key; looked up instead
    assert another_process(services).send_as_visitor(merchant.licensee_id, visitor, conversation_id,
                                                     "Still there?", client_id) == first
    # an id that carries no time is looked for among the latest messages
    plain = services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "And now?", "c-plain-1")
    assert another_process(services).send_as_visitor(merchant.licensee_id, visitor, conversation_id, "And now?",
                                                     "c-plain-1") == plain
    assert [m.text for m in services.chat.timeline(merchant.licensee_id, conversation_id)[1]] == [
        "Hello", "warm", "Still there?", "And now?"]


def test_each_process_holds_the_limit_and_one_new_to_the_conversation_counts_what_others_took(
        services: bootstrap.Services, chat: tuple[Merchant, Started], clock: FixedClock) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    limit = services.settings.chat_messages_per_minute
    for n in range(limit - 2):  # the first message counted already
        services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, f"m{n}", None)
    last = services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "last", made_now(clock, 1))
    for process in (services.chat, another_process(services)):
        with pytest.raises(KefuError) as refused:
            process.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "one too many", None)
        assert refused.value.code == "TOO_MANY_MESSAGES"
    # the retry of the message that filled the minute is that message, not a refusal, wherever it lands
    assert another_process(services).send_as_visitor(merchant.licensee_id, visitor, conversation_id, "last",
                                                     made_now(clock, 1)) == last
    clock.advance(timedelta(seconds=60))
    services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "next minute", None)


def test_a_resolve_made_in_another_process_is_reopened_by_the_next_shopper_message(
        services: bootstrap.Services, chat: tuple[Merchant, Started], clock: FixedClock) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "warm", None)  # it knows it open
    clock.advance(MS)
    another_process(services).set_status(merchant.licensee_id, agent_of(services, merchant), conversation_id,
                                         Status.RESOLVED)
    clock.advance(MS)
    services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "one more thing", None)
    # the shopper's poll sees a shopper message after the change: open, in the store too (the agents' inbox)
    polled = services.chat.poll(merchant.licensee_id, visitor, conversation_id, stamps.Cursor())
    assert polled.conversation.status is Status.OPEN
    stored = services.chat.store.conversation(merchant.licensee_id, conversation_id)
    assert stored is not None and stored[0].status is Status.OPEN
    assert [c.conversation_id for c in services.chat.inbox(merchant.licensee_id, Status.OPEN, None)[0]] == [
        conversation_id]
    conversation, messages, _ = services.chat.timeline(merchant.licensee_id, conversation_id)
    assert conversation.status is Status.OPEN
    assert [m.text for m in messages] == ["Hello", "warm", "one more thing"]
    assert all(m.author is Author.VISITOR for m in messages)


def test_a_shopper_message_written_while_an_agent_resolves_reopens_at_once(
        services: bootstrap.Services, chat: tuple[Merchant, Started], clock: FixedClock) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    shopper = services.chat
    shopper.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "warm", None)

    class Meanwhile(ChatStore):
        def change(self, *args: Any, **kwargs: Any) -> None:
            super().change(*args, **kwargs)
            clock.advance(MS)  # the shopper, not knowing of the change, writes right after it
            shopper.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "wait, one more thing", None)

    agents = another_process(services, store=Meanwhile())
    agents.set_status(merchant.licensee_id, agent_of(services, merchant), conversation_id, Status.RESOLVED)
    stored = services.chat.store.conversation(merchant.licensee_id, conversation_id)
    assert stored is not None and stored[0].status is Status.OPEN  # the agent's own check after the change


def test_a_send_that_stopped_before_its_bookkeeping_is_put_right_by_its_retry(
        services: bootstrap.Services, chat: tuple[Merchant, Started], clock: FixedClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    services.chat.set_status(merchant.licensee_id, agent_of(services, merchant), conversation_id, Status.PENDING)
    clock.advance(MS)
    crashing = another_process(services)

    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("the function instance stopped")

    monkeypatch.setattr(crashing.store, "touch", crash)
    with pytest.raises(RuntimeError):
        crashing.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "hello?", made_now(clock, 1))
    monkeypatch.undo()
    assert services.chat.store.conversation(merchant.licensee_id, conversation_id)[0].status is Status.PENDING
    # the widget sends it again, to another process: the same message, and the conversation reopened
    again = another_process(services).send_as_visitor(merchant.licensee_id, visitor, conversation_id, "hello?",
                                                      made_now(clock, 1))
    assert services.chat.store.conversation(merchant.licensee_id, conversation_id)[0].status is Status.OPEN
    conversation, messages, _ = services.chat.timeline(merchant.licensee_id, conversation_id)
    assert again == messages[1]
    assert conversation.status is Status.OPEN and [m.text for m in messages] == ["Hello", "hello?"]
    stored = services.chat.store.conversation(merchant.licensee_id, conversation_id)
    assert stored is not None and stored[0].status is Status.OPEN
    assert len([i for i in items(merchant, conversation_id) if isinstance(i, MessageItem)]) == 2


def test_a_status_change_is_stamped_among_the_messages_and_polls_step_over_it(
        services: bootstrap.Services, chat: tuple[Merchant, Started], clock: FixedClock) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    first = services.chat.poll(merchant.licensee_id, visitor, conversation_id, stamps.Cursor())
    clock.advance(MS)
    services.chat.set_status(merchant.licensee_id, agent_of(services, merchant), conversation_id, Status.PENDING)
    assert [type(i) for i in items(merchant, conversation_id) if isinstance(i, StatusItem)] == [StatusItem]
    clock.advance(MS)
    services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "and now?", None)
    polled = services.chat.poll(merchant.licensee_id, visitor, conversation_id, stamps.parse_cursor(first.cursor))
    assert [m.text for m in polled.messages] == ["and now?"]
    assert polled.conversation.status is Status.OPEN
    assert services.chat.poll(merchant.licensee_id, visitor, conversation_id,
                              stamps.parse_cursor(polled.cursor)).messages == []


def test_a_message_stamped_by_a_clock_behind_after_a_poll_passed_its_stamp_is_still_handed_out(
        services: bootstrap.Services, chat: tuple[Merchant, Started], clock: FixedClock) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    clock.advance(timedelta(seconds=5))
    services.chat.reply(merchant.licensee_id, agent_of(services, merchant), conversation_id, "On time", None)
    polled = services.chat.poll(merchant.licensee_id, visitor, conversation_id, stamps.Cursor())
    assert [m.text for m in polled.messages] == ["Hello", "On time"]
    behind = FixedClock(clock.now() - timedelta(seconds=3))  # an instance whose clock is three seconds behind
    another_process(services, behind).reply(merchant.licensee_id, agent_of(services, merchant), conversation_id,
                                            "Late", None)
    clock.advance(timedelta(seconds=1))
    later = services.chat.poll(merchant.licensee_id, visitor, conversation_id, stamps.parse_cursor(polled.cursor))
    assert [m.text for m in later.messages] == ["Late"]
    _, messages, _ = services.chat.timeline(merchant.licensee_id, conversation_id)
    assert [m.text for m in messages] == ["Hello", "Late", "On time"]  # shown in the order of their stamps
    clock.advance(timedelta(seconds=1))
    assert services.chat.poll(merchant.licensee_id, visitor, conversation_id,
                              stamps.parse_cursor(later.cursor)).messages == []


def test_a_conversation_from_before_stamps_reads_in_order_keeps_its_status_and_reopens_on_a_new_message(
        services: bootstrap.Services, chat: tuple[Merchant, Started], clock: FixedClock) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    pk = conversation_pk(merchant.licensee_id, conversation_id)
    client = ChatItem._get_connection().connection.client
    for item in items(merchant, conversation_id):  # the layout of numbered items
        if isinstance(item, MessageItem):
            client.delete_item(TableName=ChatItem.Meta.table_name, Key={"pk": {"S": pk}, "sk": {"S": item.sk}})
    for number, author, text in ((1, "visitor", "Hello"), (2, "agent", "Hi!")):
        client.put_item(TableName=ChatItem.Meta.table_name, Item={
            "pk": {"S": pk}, "sk": {"S": f"T#{number:010d}"}, "type": {"S": "message"}, "number": {"N": str(number)},
            "author": {"S": author}, "text": {"S": text}, "created_at": {"S": "2026-06-15T04:00:00.000000+0000"},
            "rate_window": {"N": "0"}, "rate_count": {"N": "1"}, "status": {"S": "open"}})
    client.update_item(TableName=ChatItem.Meta.table_name, Key={"pk": {"S": pk}, "sk": {"S": "T#~"}},
                       UpdateExpression="SET #s = :r, seq = :two REMOVE last_key, status_key",
                       ExpressionAttributeNames={"#s": "status"},
                       ExpressionAttributeValues={":r": {"S": "resolved"}, ":two": {"N": "2"}})
    fresh = another_process(services)
    conversation, messages, _ = fresh.timeline(merchant.licensee_id, conversation_id)
    assert conversation.status is Status.RESOLVED and [m.text for m in messages] == ["Hello", "Hi!"]
    assert conversation.last_key == "0000000002"  # its preview in the inbox, as before
    assert [m.text for m in fresh.poll(merchant.licensee_id, visitor, conversation_id, stamps.parse_cursor("1"))
            .messages] == ["Hello", "Hi!"]
    clock.advance(MS)
    fresh.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "Back again", made_now(clock, 1))
    conversation, messages, _ = fresh.timeline(merchant.licensee_id, conversation_id)
    assert conversation.status is Status.OPEN and [m.text for m in messages] == ["Hello", "Hi!", "Back again"]
