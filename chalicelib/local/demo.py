"""The demo that `make run` seeds: the licensor, one merchant with a signed agreement and an active
license (chat, email and phone, 3 seats), a widget key, an agent key (the merchant's administrator) and a
phone number. Running it again seeds nothing twice."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from chalicelib.billing.fees import FeeItem, FeeKind, Timing
from chalicelib.billing.periods import Cadence
from chalicelib.bootstrap import Services
from chalicelib.core.errors import NotFound
from chalicelib.licensing.model import Channel, Code, Party, Role, Signatory
from chalicelib.licensing.service import AgreementDraft

DEMO_LICENSEE = "lic_demo"
ACTOR = "system:demo"
LICENSOR = Party(full_name="杭州示例电子商务平台有限公司 (Demo E-commerce Platform Co., Ltd.)",
                 short_name="Demo Platform", address="1 Demo Road, Hangzhou", contact_person="Li Wei",
                 phone="+86 571 0000 0000")
MERCHANT = Party(full_name="上海示例茶叶商行 (Demo Tea House, Shanghai)", short_name="Demo Tea",
                 address="88 Demo Street, Shanghai", contact_person="Wang Fang", phone="+86 21 0000 0000")


def seed(built: Services, data_dir: Path, api: str, allowed_origin: str) -> dict[str, Any]:
    """Create what is missing, reuse what is there, and write `.data/demo.json`."""
    licensing = built.licensing
    demo_file = data_dir / "demo.json"
    previous: dict[str, Any] = json.loads(demo_file.read_text()) if demo_file.exists() else {}

    if licensing.licensor() is None:
        licensing.set_licensor(LICENSOR, ACTOR)
    if licensing.licensee(DEMO_LICENSEE) is None:
        licensing.create_licensee(MERCHANT, ACTOR, licensee_id=DEMO_LICENSEE)
    if not _signed(licensing, DEMO_LICENSEE):
        today = built.clock.now().astimezone(built.settings.timezone).date()
        start = today.replace(day=1)
        licensing.sign(DEMO_LICENSEE, AgreementDraft(
            signed_on=start - timedelta(days=3),
            signatories=(Signatory("licensor", "Li Wei", "Director"), Signatory("licensee", "Wang Fang", "Owner")),
            place="Hangzhou", effective_date=start, term_years=1,
            channels=frozenset({Channel.CHAT, Channel.EMAIL, Channel.PHONE}), seats=3, payment_terms_days=30,
            notice_address="billing@demo-tea.example"), ACTOR)

    if built.billing.store.account(DEMO_LICENSEE) is None:
        built.billing.set_schedule(DEMO_LICENSEE, demo_fee_schedule(licensing.show(DEMO_LICENSEE).license.agreement
                                                                    .effective_date), None, ACTOR)

    widget_key = previous.get("widget_key")
    if licensing.validate(widget_key, None).code is Code.UNKNOWN_KEY:
        widget_key = licensing.issue_widget_key(DEMO_LICENSEE, [allowed_origin], ACTOR).secret
    agent_key = previous.get("agent_key")
    if licensing.validate(agent_key, None).code is Code.UNKNOWN_KEY:
        # the demo's one key is the merchant's administrator, so the console's Team and Settings show
        agent_key = licensing.issue_agent_key(DEMO_LICENSEE, "Demo Agent", "agent@demo-tea.example", ACTOR,
                                              Role.ADMIN).secret

    demo = {**previous, "api": api, "merchant_id": DEMO_LICENSEE, "widget_key": widget_key,
            "agent_key": agent_key, "allowed_origin": allowed_origin}
    data_dir.mkdir(parents=True, exist_ok=True)
    demo_file.write_text(json.dumps(demo, indent=2, ensure_ascii=False) + "\n")
    return demo


def support_address(built: Services, licensee_id: str, local_part: str = "demo-tea") -> str:
    """The demo merchant's support address, given once (running again reuses it)."""
    existing = built.mail.store.addresses(licensee_id)
    return existing[0] if existing else built.mail.add_address(licensee_id, local_part, ACTOR)


DEMO_PHONE_NUMBER = "+862100000000"


def phone_number(built: Services, licensee_id: str) -> str:
    """The demo merchant's phone number, given once: `./kefu phone simulate lic_demo --from …` calls it."""
    existing = built.phone.numbers(licensee_id)
    return existing[0] if existing else built.phone.add_number(licensee_id, DEMO_PHONE_NUMBER, ACTOR)


def demo_fee_schedule(start: date) -> list[FeeItem]:
    """Clause 5.1 and 6.3, as a merchant of this size would sign: usage monthly in advance from the start,
    maintenance yearly in advance, technical support monthly in arrears."""
    return [
        FeeItem("usage", FeeKind.USAGE, "System usage fee (3 seats, chat, email and phone)", Decimal("1200.00"),
                Cadence.MONTHLY, Timing.ADVANCE, start),
        FeeItem("maintenance", FeeKind.MAINTENANCE, "Annual maintenance fee", Decimal("6000.00"), Cadence.YEARLY,
                Timing.ADVANCE, start),
        FeeItem("support", FeeKind.SUPPORT, "Technical support fee", Decimal("300.00"), Cadence.MONTHLY,
                Timing.ARREARS, start),
    ]


def _signed(licensing: Any, licensee_id: str) -> bool:
    try:
        licensing.current(licensee_id)
    except NotFound:
        return False
    return True
