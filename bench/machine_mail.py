"""Machine mail: of the bounces of every MTA and the auto-replies of every client (tests/unit/mail/fixtures/
automatic), how many are kept back from tickets (goal: all), how many delivery reports name the mail of ours they
are about, and how many of the people's mails of the reply corpus are taken for a machine's (goal: none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.harness import Figure

NEEDS_DATABASE = False


def run(env: Any = None) -> list[Figure]:
    from chalicelib.mail.bounces import read_report
    from chalicelib.mail.loops import MailKind, classify
    from chalicelib.mail.parsing import parse
    from tests.unit.mail.helpers import FIXTURES
    from tests.unit.mail.reply_corpus import cases

    machines = [parse(path.read_bytes()) for path in sorted(Path(FIXTURES / "automatic").glob("*.eml"))]
    verdicts = [classify(mail) for mail in machines]
    kept = sum(v.kept_back and not v.may_acknowledge for v in verdicts)
    reports = [read_report(mail) for mail, v in zip(machines, verdicts, strict=True) if v.kind is MailKind.BOUNCE]
    named = sum(bool(r.original_message_ids and r.recipients) for r in reports)
    people = [classify(parse(case.raw)) for case in cases()]
    mistaken = sum(v.kind is not MailKind.PERSON for v in people)
    return [
        Figure("bounces and auto-replies kept back from tickets", 100.0 * kept / len(verdicts), "%", "100 %",
               kept == len(verdicts), f"{kept}/{len(verdicts)}, none acknowledged"),
        Figure("delivery reports naming our mail and its recipient", 100.0 * named / len(reports), "%",
               note=f"{named}/{len(reports)}; the rest name no mail of ours"),
        Figure("people's mails taken for a machine's", float(mistaken), "mails", "0", mistaken == 0,
               f"of {len(people)} in the reply corpus"),
    ]
