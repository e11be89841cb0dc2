"""Sending through Amazon SES v2 as raw MIME. One client per process, made lazily.

SES replaces the Message-ID we put in the mail with its own `<MessageId>@<region>.amazonses.com`, so that is
the id returned (and stored to thread the customer's reply); the bare MessageId comes back in bounce and
complaint notifications."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.core.clock import Clock
from chalicelib.core.mailer import OutboundMail, SentMail, new_message_id, to_mime

_clients: dict[str, Any] = {}
# SES message tags allow only these characters in names and values.
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_\-.@]")


def client(region: str) -> Any:
    if region not in _clients:
        import boto3

        _clients[region] = boto3.client("sesv2", region_name=region)
    return _clients[region]


def ses_message_id(provider_id: str, region: str) -> str:
    """The Message-ID header SES gives a mail it sent (us-east-1 uses the `email` host)."""
    host = "email" if region == "us-east-1" else region
    return f"{provider_id}@{host}.amazonses.com"


class SendingPaused(RuntimeError):
    """SES says this account may not send (paused for its bounce or complaint rate, or still in review)."""


class SesMailer:
    def __init__(self, region: str, clock: Clock, domain: str, configuration_set: str | None = None) -> None:
        self.region = region
        self.clock = clock
        self.domain = domain
        self.configuration_set = configuration_set

    def send(self, mail: OutboundMail) -> SentMail:
        mime = to_mime(mail, new_message_id(self.domain), self.clock.now())
        request: dict[str, Any] = {
            "FromEmailAddress": mail.sender,
            "Destination": {"ToAddresses": list(mail.to)},
            "Content": {"Raw": {"Data": bytes(mime)}},
        }
        if mail.tags:
            request["EmailTags"] = [{"Name": _TAG_UNSAFE.sub("_", k), "Value": _TAG_UNSAFE.sub("_", v) or "-"}
                                    for k, v in mail.tags]
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        provider_id = str(client(self.region).send_email(**request)["MessageId"])
        return SentMail(provider_id=provider_id, message_id=ses_message_id(provider_id, self.region))

    def check(self) -> None:
        """Health: SES lets the account send (GetAccount: SendingEnabled, and not shut down)."""
        account = client(self.region).get_account()
        if not account.get("SendingEnabled", False) or account.get("EnforcementStatus") == "SHUTDOWN":
            raise SendingPaused(str(account.get("EnforcementStatus") or "sending disabled"))
