"""What logs must never hold (clause 7.1): keys, bearer tokens and the signatures of links. One function
redacts a line; the app's logger and local mode's access log both pass through it."""

from __future__ import annotations

import logging
import re

# kefu's own keys, an Authorization value, and secrets carried in a query string.
_KEY = re.compile(r"\b(kf_(?:pub|agent|sec|admin)_)[A-Za-z0-9_\-]{4,}")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+")
_QUERY = re.compile(r"(?i)([?&](?:sig|signature|key|token|x-amz-signature|x-amz-credential|x-amz-security-token)=)"
                    r"[^&\s\"']+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """The text with every key, bearer token and link signature replaced by a marker."""
    text = _KEY.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _QUERY.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    """Redacts a record's message, its arguments and the string values of its extra keys."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        for name, value in list(vars(record).items()):
            if isinstance(value, str) and name not in ("msg", "name", "levelname", "pathname", "filename",
                                                      "module", "funcName", "threadName", "processName"):
                setattr(record, name, redact(value))
        return True
