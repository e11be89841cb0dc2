"""Local mode's inbound mail: an SMTP server on loopback that does what SES does on AWS. It stores each raw
message in the blob store under a new message id and hands an SES-shaped event to the very same handler the
inbound Lambda function runs."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.bootstrap import Services
from chalicelib.core.ids import new_id
from chalicelib.core.observability import logger
from chalicelib.mail.handler import on_inbound
from chalicelib.mail.model import Verdicts, ses_event
from chalicelib.resources import MAIL_INBOUND_FUNCTION

# Nothing scans mail locally: spam and virus pass, sender authentication is unknown.
LOCAL_VERDICTS = Verdicts(spam="PASS", virus="PASS")
MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # SES's limit for received mail
# On AWS every received mail is its own Lambda invocation, many at once. Locally as many mails are handled at
# once as this: the handler spends most of its time waiting on DynamoDB, so a few at once keep it busy while
# Python parses the next mail; on a 2-core machine more than 4 only contend for the interpreter and the
# database's CPU (`make bench` measures 1, 4 and 8 at once: 4 is the fastest there).
WORKERS = 4


class SesLikeHandler:
    def __init__(self, services: Services, workers: int = WORKERS) -> None:
        self.services = services
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtp-ingress")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content or b"")
        recipients = [str(r) for r in envelope.rcpt_tos]
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.executor, self.receive, raw, recipients, str(envelope.mail_from or ""))
        except Exception:
            logger.exception("local inbound mail failed")
            return "451 4.3.0 Could not store the mail; try again"
        return "250 2.0.0 OK"

    def receive(self, raw: bytes, recipients: list[str], source: str) -> dict[str, Any]:
        services = self.services
        ses_id = new_id("ses").replace("_", "")
        services.mail.raw_mail.put(f"{services.settings.inbound_prefix}{ses_id}", raw, "message/rfc822")
        event = ses_event(ses_id, recipients, source, services.clock.now(), LOCAL_VERDICTS)
        try:
            return on_inbound(event, services)
        except Exception as exc:
            # What Lambda's on-failure destination does on AWS: the event is kept for `./kefu mail replay`.
            record = getattr(services.failed_events, "record", None)
            if callable(record):
                record(MAIL_INBOUND_FUNCTION, event, type(exc).__name__, services.clock.now())
            raise


def start(services: Services, listen: str, workers: int = WORKERS) -> Callable[[], None]:
    """Start the server on `host:port`, handling up to `workers` mails at once; returns the function that
    stops it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class LenientSMTP(SMTP):
        # Real mail breaks RFC 5321's 1000-character lines; SES takes it, so do we.
        line_length_limit = 1_000_000

    class LenientController(Controller):
        def factory(self) -> SMTP:
            return LenientSMTP(self.handler, **self.SMTP_kwargs)

    host, _, port = listen.rpartition(":")
    handler = SesLikeHandler(services, workers)
    controller = LenientController(handler, hostname=host or "127.0.0.1", port=int(port),
                                   data_size_limit=MAX_MESSAGE_BYTES, decode_data=False, enable_SMTPUTF8=True)
    controller.start()

    def stop() -> None:
        controller.stop()
        handler.executor.shutdown(wait=True)
    return stop


def smtp_extra(services: Services, args: argparse.Namespace, demo: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    """The `make run` entry: inbound SMTP beside the API, and the demo merchant's support address."""
    from chalicelib.local.demo import DEMO_LICENSEE, support_address

    listen = services.settings.smtp_listen
    stop = start(services, listen)
    demo["support_address"] = support_address(services, DEMO_LICENSEE)
    demo["smtp"] = listen
    return f"inbound SMTP   {listen}   (mail to {demo['support_address']} opens a ticket)", stop
