"""Mail to the licensor's own support address (clause 3.2: merchants reach technical support by email too).

The inbound mail path (chalicelib/mail) screens the mail as it screens every mail and hands it here. The sender
must be one of a licensee's addresses (an active agent key's email, or a notice address of the agreement's
terms, found by address with one Query: chalicelib/licensing/store.py keeps them); the mail then
answers the request its subject names (`[sup_…]`) or its In-Reply-To / References point at, or opens a new
request whose clocks start at receipt, in business minutes. A sender no licensee has is refused (None): the
mail path holds it with its raw mail, like mail to an unknown address. Each mail changes a request once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from chalicelib.core.errors import Conflict
from chalicelib.mail.model import Outcome, key_hash
from chalicelib.mail.parsing import ParsedMail
from chalicelib.support.model import SUBJECT_MAX, TEXT_MAX
from chalicelib.support.service import SupportService

REQUEST_TAG = re.compile(r"\[(sup_[0-9a-z]{6,40})\]", re.IGNORECASE)
NO_SUBJECT = "(邮件 / email)"

# Which licensee an address belongs to, or None (unknown, or more than one licensee has it).
Senders = Callable[[str], str | None]


class SupportDesk:
    def __init__(self, support: SupportService, senders: Senders) -> None:
        self.support = support
        self._senders = senders

    def receive(self, parsed: ParsedMail, key: str) -> Outcome | None:
        """One screened mail to the support address: a new request or an answer to one; None for a stranger."""
        sender = (parsed.from_address or "").strip().lower()
        licensee_id = self._senders(sender) if sender else None
        if licensee_id is None:
            return None
        digest = key_hash(key)
        known = self.support.store.mail_request(digest)
        if known is not None:
            return Outcome(licensee_id, "duplicate", ticket_id=known)
        text = (parsed.new_text or parsed.text or "").strip()[:TEXT_MAX] or parsed.subject.strip() or NO_SUBJECT
        author = f"{parsed.from_name} <{sender}>" if parsed.from_name else sender
        request_id = self._thread(parsed, licensee_id)
        try:
            if request_id is not None:
                view = self.support.merchant_reply(licensee_id, request_id, author, text, mail_key=digest)
            else:
                subject = (parsed.subject or "").strip()[:SUBJECT_MAX] or NO_SUBJECT
                view = self.support.open(licensee_id, subject, text, None, author, "email", mail_key=digest)
        except Conflict:
            known = self.support.store.mail_request(digest)
            if known is None:  # a concurrent change of the request, not this mail twice: let the event retry
                raise
            return Outcome(licensee_id, "duplicate", ticket_id=known)
        return Outcome(licensee_id, "delivered", ticket_id=view["id"], new_ticket=request_id is None)

    def _thread(self, parsed: ParsedMail, licensee_id: str) -> str | None:
        """The licensee's open request this mail answers: named in the subject, else by a mail it replies to.
        A closed request, or another licensee's, is not answered: the mail opens a new request."""
        candidates = [m.group(1).lower() for m in REQUEST_TAG.finditer(parsed.subject or "")]
        candidates += [found for ref in (parsed.in_reply_to, *parsed.references) if ref
                       for found in [self.support.store.mail_request(key_hash(ref))] if found]
        for request_id in candidates:
            request = self.support.store.load(request_id)
            if request is not None and request.licensee_id == licensee_id and request.status.value != "closed":
                return request_id
        return None


def senders_of(licensees_at: Callable[[str], Collection[str]]) -> Senders:
    """Which licensee a sender is, from the licensing area's items by address (one Query per mail): an address
    named by one licensee only (an active agent key's email, a notice address of any terms version) is that
    licensee's; an address two licensees name is nobody's, as a stranger's."""

    def licensee_of(address: str) -> str | None:
        found = set(licensees_at(address))
        return found.pop() if len(found) == 1 else None

    return licensee_of
