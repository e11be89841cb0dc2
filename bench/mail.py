"""Inbound mail on a 1,000-mail mixed corpus (bench/_mailcorpus.py): mails per second end to end (SMTP into the
local ingress, which hands each raw mail to the handler SES events reach, until every ticket has been read
through the API) and through the handler alone, with DynamoDB capacity units and calls per mail.

Goal: twice django-helpdesk 2.6.1's 24.4 mails/s on this machine class (its `get_email` from a local mailbox
into SQLite, on a corpus like this one), and at most 6 write units a mail (ingest_store.py: a new ticket is its
ticket, message, number and lookup items, the sender's contact and the number counter; a reply its message, the
ticket's bump and its Message-ID record, and the contact only when its name is new or changed, which the
corpus's replies, written under their sender's name, never are). Acknowledgements are off so that only
ingestion is measured."""

from __future__ import annotations

import smtplib
import threading
import time
from typing import Any

from bench._mailcorpus import corpus
from bench.harness import BenchEnv, Figure

MAILS = 1000
DJANGO_HELPDESK = 24.4  # mails/s, measured on this machine class (issue 17)
SENDERS = 8  # SMTP connections the senders keep open at once


def run(env: BenchEnv) -> list[Figure]:
    from chalicelib.core.clock import FixedClock
    from chalicelib.local import smtp_ingress
    from chalicelib.mail.handler import on_inbound
    from chalicelib.mail.model import Verdicts, ses_event
    from tests.factories import Factory

    built = env.build()
    assert isinstance(built.clock, FixedClock)
    factory = Factory(built)

    def shop(name: str) -> tuple[Any, str, list[bytes]]:
        merchant = factory.merchant()
        address = built.mail.add_address(merchant.licensee_id, name, "bench")
        built.mail.update_settings(merchant.licensee_id, "bench", acknowledge=False)
        return merchant, address, corpus(address, MAILS)

    # the handler alone, one mail after the other, as one Lambda instance runs them
    merchant, address, mails = shop("bench-handler")
    for n, raw in enumerate(mails):
        built.blobs.put(f"{built.settings.inbound_prefix}bench{n}", raw)
    verdicts = Verdicts(spam="PASS", virus="PASS")
    results: dict[str, int] = {}
    with env.capacity() as capacity:
        started = time.perf_counter()
        for n in range(MAILS):
            for outcome in on_inbound(ses_event(f"bench{n}", [address], "x@example.org", built.clock.now(),
                                                verdicts), built)["outcomes"]:
                results[outcome["result"]] = results.get(outcome["result"], 0) + 1
        handler_rate = MAILS / (time.perf_counter() - started - capacity.pricing_seconds)
    with env.capacity() as again:  # every event retried: nothing is stored twice
        for n in range(100):
            on_inbound(ses_event(f"bench{n}", [address], "x@example.org", built.clock.now(), verdicts), built)
    with env.capacity() as reading:
        read_all(built, merchant)

    end_to_end = {}
    for workers in sorted({1, smtp_ingress.WORKERS, 8}):
        end_to_end[workers] = through_smtp(built, factory, smtp_ingress, workers, shop)

    from chalicelib.mail.items import RateItem

    started = time.perf_counter()
    for n in range(200):
        RateItem(pk=f"BENCH#{n}", sk="x", sent=1).save()
    puts_per_second = 200 / (time.perf_counter() - started)
    sizes = sorted(len(m) for m in mails)
    best = end_to_end[smtp_ingress.WORKERS]
    return [
        Figure(f"mails/s end to end, SMTP to API, {smtp_ingress.WORKERS} at once", round(best, 1), "per s",
               f">= {2 * DJANGO_HELPDESK}", best >= 2 * DJANGO_HELPDESK,
               note=", ".join(f"{w} at once: {r:.1f}" for w, r in end_to_end.items())),
        Figure("end to end / django-helpdesk", round(best / DJANGO_HELPDESK, 2), "ratio", ">= 2",
               best / DJANGO_HELPDESK >= 2, note=f"django-helpdesk 2.6.1: {DJANGO_HELPDESK} mails/s"),
        Figure("mails/s through the handler alone, one at a time", round(handler_rate, 1), "per s",
               note=f"{MAILS} mails, {sizes[0]}-{sizes[-1]} bytes (median {sizes[len(sizes) // 2]}); {results}"),
        Figure("handler mails/s / bare PutItem/s", round(handler_rate / puts_per_second, 3), "ratio",
               note=f"{puts_per_second:.0f} PutItem/s on DynamoDB Local"),
        Figure("write capacity units per mail", round(capacity.write / MAILS, 2), "WCU", "<= 6",
               capacity.write / MAILS <= 6,
               note="at AWS's prices: mail that arrives is stored in plain writes (no transaction); DynamoDB "
                    f"Local reports {capacity.reported_write / MAILS:.2f} (held mail's transactions by their shapes)"),
        Figure("read capacity units per mail", round(capacity.read / MAILS, 2), "RCU", note=f"{capacity.calls}"),
        Figure("DynamoDB calls per mail", round(capacity.total_calls / MAILS, 2), "calls"),
        Figure("read capacity units per mail read back through the API", round(reading.read / MAILS, 2), "RCU",
               note="every ticket listed and opened"),
        Figure("write capacity units per retried event", round(again.write / 100, 2), "WCU", "0",
               again.write == 0),
    ]


def read_all(built: Any, merchant: Any) -> int:
    """Every ticket of the merchant listed and opened through the API, as an agent's console does: how many."""
    from chalice.test import Client

    from app import app
    from chalicelib import bootstrap
    from chalicelib.local.config import ROOT

    opened = 0
    headers = {"authorization": f"Bearer {merchant.agent_key}"}
    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        bootstrap.use(built)
        for status in ("open", "pending"):
            cursor = None
            while True:
                path = f"/v1/agent/tickets?status={status}&limit=100" + (f"&next={cursor}" if cursor else "")
                page = client.http.get(path, headers=headers).json_body
                for ticket in page["items"]:
                    shown = client.http.get(f"/v1/agent/tickets/{ticket['id']}", headers=headers)
                    assert shown.status_code == 200 and shown.json_body["messages"], shown.body[:300]
                    opened += 1
                cursor = page.get("next")
                if not cursor:
                    break
    return opened


def through_smtp(built: Any, factory: Any, smtp_ingress: Any, workers: int, shop: Any) -> float:
    """Mails/s from the first SMTP connection until the last ticket was read through the API."""
    from chalicelib.local.dynamodb import free_port

    merchant, address, mails = shop(f"bench-smtp-{workers}")
    port = free_port()
    stop = smtp_ingress.start(built, f"127.0.0.1:{port}", workers)
    failures: list[str] = []

    def send(share: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
            for raw in share:
                try:
                    client.sendmail("customer@example.org", [address], raw)
                except smtplib.SMTPException as exc:
                    failures.append(str(exc)[:200])
    try:
        started = time.perf_counter()
        senders = [threading.Thread(target=send, args=(mails[k::SENDERS],)) for k in range(SENDERS)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        read_all(built, merchant)
        elapsed = time.perf_counter() - started
    finally:
        stop()
    assert not failures, failures[:3]
    return MAILS / elapsed
