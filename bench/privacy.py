"""Privacy: what one customer's erasure and export cost in DynamoDB capacity, at a shop with few and with many
other customers. Tickets, held mail and calls are found by key (the lookups kept per address and number, the
calls index); a customer's chats are found among the shop's conversations, so that part grows with the shop:
the ratio of the two shops' erasure reads says by how much."""

from __future__ import annotations

import time

from bench.harness import BenchEnv, Capacity, Figure
from chalicelib.bootstrap import Services
from chalicelib.licensing.model import Channel
from chalicelib.privacy.model import person
from tests.factories import Factory
from tests.mail_helpers import deliver, mail_merchant, raw_mail

SMALL, LARGE = 20, 200  # other customers of the shop, each with one chat and one ticket


def _shop(env: BenchEnv, built: Services, others: int) -> tuple[str, str]:
    merchant, address = mail_merchant(built, Factory(built), channels=(Channel.CHAT, Channel.EMAIL))
    for n in range(others):
        built.chat.start(merchant.licensee_id, None, text=f"你好 {n}", email=f"other{n}@bench.example",
                         client_ip=f"shopper-{n}")  # each from their own address: under the per-address limit
        deliver(built, raw_mail(f"other{n}@bench.example", address), [address])
    email = f"lina-{others}@bench.example"
    for n in range(3):
        built.chat.start(merchant.licensee_id, None, text=f"我的订单 {n}", email=email,
                         client_ip=email)
        deliver(built, raw_mail(email, address, subject=f"订单 {n}"), [address])
    return merchant.licensee_id, email


def _measure(env: BenchEnv, built: Services, licensee_id: str, email: str) -> tuple[Capacity, Capacity, float]:
    privacy = built.privacy
    with env.capacity() as exported:
        privacy.export_person(licensee_id, person(email=email), "bench")
    with env.capacity() as erased:
        began = time.perf_counter()
        done = privacy.erase_person(licensee_id, person(email=email), "bench")
        seconds = time.perf_counter() - began
    assert done["counts"]["tickets"] == 3 and done["counts"]["chats"] == 3, done
    return exported, erased, seconds


def run(env: BenchEnv) -> list[Figure]:
    built = env.build()
    small = _measure(env, built, *_shop(env, built, SMALL))
    large = _measure(env, built, *_shop(env, built, LARGE))
    return [
        Figure(f"erasure of 3 chats + 3 tickets, shop of {SMALL}: write capacity", small[1].write, "WCU"),
        Figure(f"erasure, shop of {SMALL}: read capacity", small[1].read, "RCU"),
        Figure(f"erasure, shop of {LARGE}: read capacity", large[1].read, "RCU"),
        Figure(f"erasure read capacity, shop of {LARGE} ÷ shop of {SMALL}", large[1].read / small[1].read, "x",
               note="chats are found among the shop's conversations; the rest by key"),
        Figure(f"erasure, shop of {LARGE}: write capacity", large[1].write, "WCU",
               note="the same customer's data: writes do not grow with the shop"),
        Figure(f"export, shop of {SMALL}: read capacity", small[0].read, "RCU"),
        Figure(f"export, shop of {LARGE}: read capacity", large[0].read, "RCU"),
        Figure(f"erasure, shop of {LARGE} ÷ shop of {SMALL}: time", large[2] / small[2], "x"),
    ]
