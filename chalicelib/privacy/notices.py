"""The privacy area's notices (clauses 11.2, 13.1): the export window and the erasure certificate, in Chinese
with English, sent through the one notice use case there is (`Notify`, built in chalicelib/bootstrap.py). This is
the only place that calls it: re-pointing privacy's notices at another notice service is a change here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from chalicelib import i18n
from chalicelib.privacy.model import Certificate, ExportWindow

# (licensee id, notice kind, business key, subject, text) -> False when one under this key was recorded before
Notify = Callable[[str, str, str, str, str], bool]
LOCALES = ("zh-CN", "en")  # bilingual: Chinese first


def send(notify: Notify, licensee_id: str, kind: str, window: ExportWindow, today: date,
         certificate: Certificate | None = None) -> int:
    """Send one notice of `kind` (export_window, erasure_certificate), once per business key; 1 when sent now."""
    params: dict[str, object] = {"ends_on": window.ends_on.isoformat() if window.ends_on else "",
                                 "termination_date": window.effective_date.isoformat() if window.effective_date
                                 else "", "today": today.isoformat()}
    key = f"{kind}#{params['ends_on']}"
    if certificate is not None:
        params |= {"erased_at": certificate.erased_at.isoformat(), "job": certificate.job,
                   "request_id": certificate.request_id}
        key = f"{kind}#{certificate.request_id}"
    subject = " / ".join(i18n.text("privacy", f"notice.{kind}.subject", locale, **params) for locale in LOCALES)
    parts = []
    for locale in LOCALES:
        body = i18n.text("privacy", f"notice.{kind}.text", locale, **params)
        if certificate is not None:
            lines = [f"  {i18n.text('privacy', f'kind.{name}', locale)}: {count}"
                     for name, count in sorted(certificate.counts.items())]
            kept = ", ".join(i18n.text("privacy", f"kept.{name}", locale) for name in certificate.kept)
            body += "\n" + "\n".join(lines) + "\n" + i18n.text("privacy", "notice.kept", locale, kept=kept)
        parts.append(body)
    return 1 if notify(licensee_id, kind, key, subject, "\n\n".join(parts)) else 0
