"""Inbound mail: bytes in, plain data out. No storage, no AWS."""

from chalicelib.mail.loops import Classification, MailKind, classify
from chalicelib.mail.parsing import Attachment, ParsedMail, Problem, parse
from chalicelib.mail.quotes import strip_reply
from chalicelib.mail.threads import (
    ThreadDecision,
    ThreadLookups,
    ThreadVia,
    TicketCandidate,
    choose_ticket,
    lookups,
)
from chalicelib.mail.tokens import extract_reply_token, find_subject_tag, make_token, read_token, subject_tag

__all__ = [
    "Attachment",
    "Classification",
    "MailKind",
    "ParsedMail",
    "Problem",
    "ThreadDecision",
    "ThreadLookups",
    "ThreadVia",
    "TicketCandidate",
    "choose_ticket",
    "classify",
    "extract_reply_token",
    "find_subject_tag",
    "lookups",
    "make_token",
    "parse",
    "read_token",
    "strip_reply",
    "subject_tag",
]
