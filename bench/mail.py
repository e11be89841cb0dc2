"""Inbound mail: mails ingested per second through the handler (parse, thread, store) on a generated corpus of
mixed clients and sizes, and DynamoDB capacity units per mail. Acknowledgements are off so that only
ingestion is measured; a third of the mails are replies that thread into earlier tickets."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

from bench.harness import BenchEnv, Figure

MAILS = 1200
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "unit" / "mail" / "fixtures"
# Mail a person wrote: the client replies and the charset and attachment fixtures (bounces and broken mail are
# measured by the tests, not here).
SKIP = {"bounce.eml", "auto_reply.eml", "missing_from_and_id.eml", "broken_mime.eml"}


def corpus(address: str, count: int, seed: int = 4) -> list[bytes]:
    """`count` mails made from the fixtures: new senders and Message-IDs, a third replying to earlier ones,
    some with a long body added, so sizes range from a few hundred bytes to some hundred kilobytes."""
    rng = random.Random(seed)
    templates = [p.read_bytes() for p in sorted(FIXTURES.rglob("*.eml")) if p.name not in SKIP]
    mails: list[bytes] = []
    sent: list[tuple[str, str]] = []  # (sender, message id)
    for n in range(count):
        raw = rng.choice(templates)
        raw = re.sub(rb"(?im)^(message-id|in-reply-to|references|to|from):.*(\r?\n[ \t].*)*\r?\n", b"", raw)
        if sent and rng.random() < 0.33:
            sender, parent = rng.choice(sent)
            threading = f"In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n"
        else:
            sender, threading = f"customer{n}@example.org", ""
        message_id = f"bench-{n}@client.example"
        sent.append((sender, message_id))
        head = f"From: {sender}\r\nTo: {address}\r\nMessage-ID: <{message_id}>\r\n{threading}".encode()
        if rng.random() < 0.15:
            raw = long_mail(rng)
        mails.append(head + raw)
    return mails


def long_mail(rng: random.Random) -> bytes:
    """A long plain mail (about 5 to 150 KB): a short answer above a long quoted history, in UTF-8."""
    quoted = "".join(f"> 第{n}行：订单 {n} 的物流信息 / tracking line {n} of the earlier thread\n"
                     for n in range(rng.randint(60, 1800)))
    body = f"好的，谢谢。Thanks, that helps.\n\n在 2026年6月14日 10:00，客服 写道：\n{quoted}"
    return (b"Subject: =?UTF-8?B?5Zue5aSN77ya6K6i5Y2V?=\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body.encode())


def run(env: BenchEnv) -> list[Figure]:
    from chalicelib.core.clock import FixedClock
    from chalicelib.mail.handler import on_inbound
    from chalicelib.mail.model import Verdicts, ses_event
    from tests.factories import Factory

    built = env.build()
    merchant = Factory(built).merchant()
    address = built.mail.add_address(merchant.licensee_id, "bench-shop", "bench")
    built.mail.update_settings(merchant.licensee_id, "bench", acknowledge=False)
    mails = corpus(address, MAILS)
    for n, raw in enumerate(mails):
        built.blobs.put(f"{built.settings.inbound_prefix}bench{n}", raw)
    sizes = sorted(len(m) for m in mails)
    verdicts = Verdicts(spam="PASS", virus="PASS")
    assert isinstance(built.clock, FixedClock)

    results: dict[str, int] = {}
    with env.capacity() as capacity:
        started = time.perf_counter()
        for n in range(MAILS):
            for outcome in on_inbound(ses_event(f"bench{n}", [address], "x@example.org", built.clock.now(),
                                                verdicts), built)["outcomes"]:
                results[outcome["result"]] = results.get(outcome["result"], 0) + 1
        elapsed = time.perf_counter() - started
    with env.capacity() as again:  # every event retried: nothing is stored twice
        for n in range(100):
            on_inbound(ses_event(f"bench{n}", [address], "x@example.org", built.clock.now(), verdicts), built)
    tickets = built.mail.list_tickets(merchant.licensee_id, "open", 100, None)

    from chalicelib.mail.store import RateItem

    started = time.perf_counter()
    for n in range(200):
        RateItem(pk=f"BENCH#{n}", sk="x", sent=1).save()
    puts_per_second = 200 / (time.perf_counter() - started)
    assert results.get("delivered") == MAILS, results
    return [
        Figure("mails ingested per second through the handler", round(MAILS / elapsed, 1), "per s",
               note=f"{MAILS} mails, {sizes[0]}-{sizes[-1]} bytes (median {sizes[len(sizes) // 2]}), "
                    f"{len(tickets['items'])}+ tickets"),
        Figure("handler mails/s / bare PutItem/s", round(MAILS / elapsed / puts_per_second, 3), "ratio",
               note=f"{puts_per_second:.0f} PutItem/s on DynamoDB Local"),
        Figure("write capacity units per mail", round(capacity.write / MAILS, 2), "WCU",
               note="1 WCU per KB of each item, doubled in a transaction; long bodies dominate"),
        Figure("read capacity units per mail", round(capacity.read / MAILS, 2), "RCU", note=f"{capacity.calls}"),
        Figure("DynamoDB calls per mail", round(capacity.total_calls / MAILS, 2), "calls"),
        Figure("write capacity units per retried event", round(again.write / 100, 2), "WCU", "0",
               again.write == 0),
    ]
