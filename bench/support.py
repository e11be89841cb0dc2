"""Technical support: DynamoDB capacity per request opened, shown, answered and listed, and per scheduled check of
one open request; the licensor's workspace (a staff key checked cold and warm, the open queue) and a request
opened by mail to the support address; the business-minute arithmetic's cost as a ratio to one bare GetItem
(both timed in this run)."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from bench.harness import BenchEnv, Figure

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROUNDS = 2000


def run(env: BenchEnv) -> list[Figure]:
    from chalicelib.support.hours import add_business_minutes
    from chalicelib.support.store import SupportItem
    from tests.factories import Factory
    from tests.mail_helpers import deliver

    built = env.build()
    licensee = Factory(built).merchant().licensee_id
    support = built.support
    support.calendar()  # the calendar is read once per process (cached), not per request
    with env.capacity() as opened:
        request = support.open(licensee, "Bench", "A request.", "fault", "agent:bench", "api")
    with env.capacity() as shown:
        support.show_for(licensee, request["id"])
    with env.capacity() as answered:
        support.staff_reply(request["id"], "staff:bench", "An answer.")
    for n in range(19):
        support.open(licensee, f"Bench {n}", "More.", "fault", "agent:bench", "api")
    with env.capacity() as listed:
        assert len(support.of_licensee(licensee)) == 20
    with env.capacity() as checked:
        report = support.check(built.clock.now())
    open_requests = len(support.queue())

    staff = built.licensing.staff.issue("Bench", "bench@licensor.example", "bench")
    built.licensing.staff._known.clear()
    with env.capacity() as staff_cold:
        assert built.licensing.staff.identify(staff.secret) is not None
    with env.capacity() as staff_warm:
        built.licensing.staff.identify(staff.secret)
    with env.capacity() as queued:
        support.queue()
    desk, sender = built.settings.licensor_support_address, f"desk-{licensee}@shop.example"
    built.licensing.issue_agent_key(licensee, "Desk", sender, "bench")
    with env.capacity() as mailed:
        [outcome] = deliver(built, _mail(sender, desk, licensee), [desk])
    assert outcome["result"] == "delivered", outcome

    calendar = support.calendar()
    opened_at = datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI)  # across National Day: the longest common span
    add_business_minutes(opened_at, 27 * 60, calendar, SHANGHAI)
    started = time.perf_counter()
    for _ in range(ROUNDS):
        add_business_minutes(opened_at, 27 * 60, calendar, SHANGHAI)
    arithmetic = (time.perf_counter() - started) / ROUNDS
    started = time.perf_counter()
    for _ in range(200):
        SupportItem.get(f"REQUEST#{request['id']}", "REQUEST")
    get_item = (time.perf_counter() - started) / 200
    return [
        Figure("capacity units, open a request", opened.read + opened.write, "CU", note=f"{opened.calls}"),
        Figure("read units, show a request with its messages", shown.read, "RCU", note=f"{shown.calls}"),
        Figure("capacity units, answer a request", answered.read + answered.write, "CU", note=f"{answered.calls}"),
        Figure("read units, list 20 requests of a merchant", listed.read, "RCU", note=f"{listed.calls}"),
        Figure("read units per open request, scheduled check", checked.read / max(open_requests, 1), "RCU",
               note=f"{open_requests} open, {checked.calls}, {report['breaches_recorded']} breaches recorded"),
        Figure("read units, a staff key checked cold", staff_cold.read, "RCU", note=f"{staff_cold.calls}"),
        Figure("read units, a staff key checked warm", staff_warm.read, "RCU", note="cached per process"),
        Figure("read units, the staff queue of open requests", queued.read, "RCU",
               note=f"{open_requests} open, {queued.calls}"),
        Figure("capacity units, a request opened by mail", mailed.read + mailed.write, "CU",
               note=f"{len(built.licensing.licensees())} licensees in the table, the sender found with one Query "
                    f"however many, {mailed.calls}"),
        Figure("resolution due time across National Day", round(arithmetic * 1e6, 1), "µs"),
        Figure("due-time arithmetic / one bare GetItem", round(arithmetic / get_item, 3), "ratio",
               note=f"GetItem {get_item * 1e3:.2f} ms on DynamoDB Local"),
    ]


def _mail(sender: str, to: str, licensee: str) -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, "工作台白屏"
    message["Message-ID"] = f"<bench-{licensee}@shop.example>"
    message.set_content("坐席登录后白屏。")
    return message.as_bytes()
