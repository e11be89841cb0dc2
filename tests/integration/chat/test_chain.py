"""A conversation's messages as one chain of numbered items, written by more than one process: each process
(a warm Lambda instance) knows the tails it wrote and writes without reading; a tail another process moved on
costs one refused write that returns the item in its way (a read only when far behind), never a duplicate,
a lost message, a broken limit or a missed reopening."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.chat.model import Author, Status
from chalicelib.chat.service import ChatService, Started
from chalicelib.chat.store import ChatItem, StatusItem, conversation_pk
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import KefuError
from chalicelib.licensing.model import KeyKind, KeyRecord
from tests.factories import Factory, Merchant


def another_process(services: bootstrap.Services) -> ChatService:
    return ChatService(services.chat.store, services.clock, services.licensing, services.settings, services.metrics)


def agent_of(services: bootstrap.Services, merchant: Merchant) -> KeyRecord:
    return next(k for k in services.licensing.keys(merchant.licensee_id) if k.kind is KeyKind.AGENT)


@pytest.fixture
def chat(services: bootstrap.Services, factory: Factory) -> tuple[Merchant, Started]:
    merchant = factory.merchant()
    return merchant, services.chat.start(merchant.licensee_id, None, text="Hello", client_ip="198.51.100.7")


def test_two_processes_taking_turns_number_every_message_once_in_order(
        services: bootstrap.Services, chat: tuple[Merchant, Started]) -> None:
    merchant, started = chat
    shopper, agents = services.chat, another_process(services)
    conversation_id = started.conversation.conversation_id
    visitor = shopper.visitor(merchant.licensee_id, started.visitor_token)
    for n in range(4):
        shopper.send_as_visitor(merchant.licensee_id, visitor, conversation_id, f"question {n}", f"q{n}")
        agents.reply(merchant.licensee_id, agent_of(services, merchant), conversation_id, f"answer {n}", f"a{n}")
    _, messages, _ = services.chat.timeline(merchant.licensee_id, conversation_id)
    assert [m.number for m in messages] == list(range(1, 10))
    assert [m.text for m in messages][1:5] == ["question 0", "answer 0", "question 1", "answer 1"]


def test_a_retry_landing_in_another_process_is_the_same_message(
        services: bootstrap.Services, chat: tuple[Merchant, Started]) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    first = services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "Still there?", "c-1")
    again = another_process(services).send_as_visitor(merchant.licensee_id, visitor, conversation_id, "Still there?",
                                                      "c-1")
    assert again == first
    assert len(services.chat.timeline(merchant.licensee_id, conversation_id)[1]) == 2


def test_the_limit_per_minute_holds_across_processes(services: bootstrap.Services, chat: tuple[Merchant, Started],
                                                     clock: FixedClock) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    processes = [services.chat, another_process(services)]
    limit = services.settings.chat_messages_per_minute
    for n in range(limit - 1):  # the first message counted already
        processes[n % 2].send_as_visitor(merchant.licensee_id, visitor, conversation_id, f"m{n}", None)
    for process in processes:
        with pytest.raises(KefuError) as refused:
            process.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "one too many", None)
        assert refused.value.code == "TOO_MANY_MESSAGES"
    clock.advance(timedelta(seconds=60))
    processes[1].send_as_visitor(merchant.licensee_id, visitor, conversation_id, "next minute", None)


def test_a_resolve_made_in_another_process_is_reopened_by_the_next_shopper_message(
        services: bootstrap.Services, chat: tuple[Merchant, Started]) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "warm", None)  # a known tail
    another_process(services).set_status(merchant.licensee_id, agent_of(services, merchant), conversation_id,
                                         Status.RESOLVED)
    services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "one more thing", None)
    conversation, messages, _ = services.chat.timeline(merchant.licensee_id, conversation_id)
    assert conversation.status is Status.OPEN
    assert [m.text for m in messages] == ["Hello", "warm", "one more thing"]
    assert all(m.author is Author.VISITOR for m in messages)


def test_a_status_change_takes_a_chain_number_that_polls_step_over(
        services: bootstrap.Services, chat: tuple[Merchant, Started]) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    services.chat.set_status(merchant.licensee_id, agent_of(services, merchant), conversation_id, Status.PENDING)
    chain = list(ChatItem.query(conversation_pk(merchant.licensee_id, conversation_id), consistent_read=True))
    assert [type(i) for i in chain if isinstance(i, StatusItem)] == [StatusItem]
    services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "and now?", None)
    polled = services.chat.poll(merchant.licensee_id, visitor, conversation_id, 1)
    assert [m.text for m in polled.messages] == ["and now?"] and polled.cursor == 3
    assert polled.conversation.status is Status.OPEN


def test_a_process_another_one_overtook_writes_after_its_item_without_reading(
        services: bootstrap.Services, chat: tuple[Merchant, Started]) -> None:
    merchant, started = chat
    conversation_id = started.conversation.conversation_id
    visitor = services.chat.visitor(merchant.licensee_id, started.visitor_token)
    agents = another_process(services)
    agents.reply(merchant.licensee_id, agent_of(services, merchant), conversation_id, "Hello!", "a-0")
    services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "warm", "q-0")  # a known tail
    agents.reply(merchant.licensee_id, agent_of(services, merchant), conversation_id, "Anything else?", "a-1")
    calls: list[str] = []
    client = ChatItem._get_connection().connection.client

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("after-call.dynamodb", count)
    try:
        services.chat.send_as_visitor(merchant.licensee_id, visitor, conversation_id, "No, thanks", "q-1")
    finally:
        client.meta.events.unregister("after-call.dynamodb", count)
    assert calls == ["PutItem", "PutItem"]  # the refused write returned the agent's item: no Query of the tail
    _, messages, _ = services.chat.timeline(merchant.licensee_id, conversation_id)
    assert [m.text for m in messages] == ["Hello", "Hello!", "warm", "Anything else?", "No, thanks"]
