"""A ticket's quota of agents' files, on DynamoDB Local: room is counted by one conditional write before any link
is given, so requests arriving together never pass the quota, and a ticket that is not the shop's counts nothing."""

from __future__ import annotations

import threading

import pytest

from chalicelib.bootstrap import Services
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.inbox import ticket_files
from chalicelib.inbox.ticket_files import TicketFiles
from chalicelib.mail.items import TicketItem, merchant_key
from tests.mail_helpers import deliver, mail_merchant, raw_mail


def _ticket(services: Services, factory) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    owner, address = mail_merchant(services, factory)
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    deliver(services, raw_mail("anna@example.org", address, subject="发票", body="请发发票。"), [address])
    return owner.licensee_id, services.mail.list_tickets(owner.licensee_id, "open", 10, None)["items"][0]["id"]


def _counted(licensee_id: str, ticket_id: str) -> int | None:
    item = TicketItem.get(merchant_key(licensee_id), f"TICKET#{ticket_id}", consistent_read=True)
    return None if item.uploads is None else int(item.uploads)


def test_requests_for_room_arriving_together_never_pass_the_tickets_quota(
        services: Services, factory, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ticket_files, "UPLOADS_PER_TICKET", 5)
    licensee_id, ticket_id = _ticket(services, factory)
    files = TicketFiles(services.mail, services.chat)
    given: list[str] = []
    refused: list[str] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        for _ in range(2):
            try:
                given.append(files.upload(licensee_id, ticket_id, 1000)["upload_id"])
            except Conflict as exc:
                refused.append(exc.code)

    workers = [threading.Thread(target=ask) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(given) == 5 and len(set(given)) == 5
    assert refused == ["UPLOAD_QUOTA"] * 11
    assert _counted(licensee_id, ticket_id) == 5


def test_another_shops_ticket_is_unknown_and_counts_nothing(services: Services, factory) -> None:  # type: ignore[no-untyped-def]
    licensee_id, ticket_id = _ticket(services, factory)
    other, _ = mail_merchant(services, factory)
    files = TicketFiles(services.mail, services.chat)
    with pytest.raises(NotFound) as raised:
        files.upload(other.licensee_id, ticket_id, 1000)
    assert raised.value.code == "UNKNOWN_TICKET"
    assert _counted(licensee_id, ticket_id) is None  # the owner's ticket is untouched
    assert TicketItem.count(merchant_key(other.licensee_id), TicketItem.sk == f"TICKET#{ticket_id}") == 0
