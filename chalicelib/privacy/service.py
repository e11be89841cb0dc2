"""Privacy use cases (clauses 7.1–7.3, 11.2): export and erase one person's data, a merchant's whole export and
erasure after termination, retention periods, and the record of who read a merchant's content.

A request runs in steps (chalicelib/privacy/sources.py). It runs at once for as long as the caller's budget
lasts (an API request keeps well inside API Gateway's 29 s); what is left is continued by the scheduled
`privacy-run` from the request's cursor, so no request is lost to a time limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.core import links
from chalicelib.core.budget import Budget
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Forbidden, NotFound
from chalicelib.core.ids import new_id
from chalicelib.licensing import model as licensing_model
from chalicelib.licensing.service import LicensingService
from chalicelib.privacy import archive, model, retention
from chalicelib.privacy.model import Person, PrivacyRequest, RequestKind, RequestStatus
from chalicelib.privacy.notices import Notify, send
from chalicelib.privacy.sources import EXPORTS_PREFIX, MERCHANT_STEPS, STEPS, Blobs, erase_step, export_step
from chalicelib.privacy.store import PrivacyStore

LINK_CONTEXT = b"kefu/privacy-export/v1"
ACCESS_SUBJECT = "access:{}"   # the audit subject of reads of a merchant's content by licensor staff
MERCHANT_ERASURE_JOB = "privacy-run"


class PrivacyService:
    def __init__(self, store: PrivacyStore, clock: Clock, tz: ZoneInfo, licensing: LicensingService, blobs: Blobs,
                 notify: Notify, secret: Callable[[], bytes], export_window_days: int = model.EXPORT_WINDOW_DAYS,
                 locales: tuple[str, ...] = ("zh-CN", "en"),
                 chat_ttl: Callable[[str, int, str], None] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.tz = tz
        self.licensing = licensing
        self.blobs = blobs
        self.notify = notify
        self.secret = secret
        self.export_window_days = export_window_days
        self.locales = locales
        self.chat_ttl = chat_ttl  # chat's own TTL follows the chats period (one period, two mechanisms)

    # -- one person's data (clause 7.2, PIPL) ------------------------------------------------------------
    def export_person(self, licensee_id: str, who: Person, actor: str, budget: Budget | None = None) -> dict[str, Any]:
        """Start an export of everything kept about one customer; done at once where the budget allows."""
        return self._start(licensee_id, RequestKind.EXPORT, who, actor, budget)

    def erase_person(self, licensee_id: str, who: Person, actor: str, budget: Budget | None = None) -> dict[str, Any]:
        """Erase everything kept about one customer (billing records are the licensee's, and stay). Asking again
        erases what is left, which after a finished erasure is nothing."""
        return self._start(licensee_id, RequestKind.ERASE, who, actor, budget)

    def export_merchant(self, licensee_id: str, actor: str, budget: Budget | None = None) -> dict[str, Any]:
        """All of a merchant's content in the same archive format (clause 11.2: during the export window)."""
        return self._start(licensee_id, RequestKind.MERCHANT_EXPORT, None, actor, budget)

    def _start(self, licensee_id: str, kind: RequestKind, who: Person | None, actor: str,
               budget: Budget | None) -> dict[str, Any]:
        if self.licensing.licensee(licensee_id) is None:
            raise NotFound("No licensee with this id.", code="UNKNOWN_LICENSEE")
        now = self.clock.now()
        request = PrivacyRequest(new_id("prv"), licensee_id, kind, who, actor, now,
                                 cursor=(MERCHANT_STEPS if kind is RequestKind.MERCHANT_ERASE else STEPS)[0])
        digest = who.digest(licensee_id) if who else None
        self.store.add_request(request, digest, AuditRecord(
            subject=f"licensee:{licensee_id}", action=f"privacy.{kind.value}_requested", actor=actor, at=now,
            details={"request_id": request.request_id, "contact": digest}))
        return self.describe(self._run(request, budget))

    def continue_running(self, budget: Budget | None = None) -> dict[str, int]:
        """The scheduled run: continue every request an earlier invocation left running. A merchant's erasure
        is continued by `run_windows`, which certifies it when it is done."""
        done = left = 0
        for request in self.store.running():
            if request.kind is RequestKind.MERCHANT_ERASE:
                continue
            if budget is not None and budget.exhausted():
                left += 1
                continue
            finished = self._run(request, budget)
            done += finished.status is RequestStatus.DONE
            left += finished.status is not RequestStatus.DONE
        return {"requests_finished": done, "requests_left": left}

    def _run(self, request: PrivacyRequest, budget: Budget | None) -> PrivacyRequest:
        steps = MERCHANT_STEPS if request.kind is RequestKind.MERCHANT_ERASE else STEPS
        exporting = request.kind in (RequestKind.EXPORT, RequestKind.MERCHANT_EXPORT)
        index = steps.index(request.cursor) if request.cursor in steps else len(steps)
        while index < len(steps):
            if budget is not None and budget.exhausted():
                self.store.progress(request)
                return request
            step = steps[index]
            if exporting:
                found = export_step(step, request.licensee_id, request.person, self.blobs)
                counts = {kind: len(records) for kind, records in found.records.items()}
                counts["files"] = len(found.files)
                self.blobs.main.put(self._part_key(request, step),
                                    archive.build(found.records, found.files, ()), "application/zip")
                complete = True
            else:
                counts, complete = erase_step(step, request.licensee_id, request.person, self.blobs, budget)
            request = replace(request, counts=model.add_counts(request.counts, counts))
            if complete:
                index += 1
            request = replace(request, cursor=steps[index] if index < len(steps) else None)
            self.store.progress(request)
        return self._finish(request, steps)

    def _finish(self, request: PrivacyRequest, steps: tuple[str, ...]) -> PrivacyRequest:
        now = self.clock.now()
        key = None
        if request.kind in (RequestKind.EXPORT, RequestKind.MERCHANT_EXPORT):
            key = f"{EXPORTS_PREFIX}{request.licensee_id}/{request.request_id}.zip"
            self.blobs.main.put(key, self._assemble(request, steps, now), "application/zip")
            for step in steps:
                self.blobs.main.delete(self._part_key(request, step))
        if request.kind is RequestKind.ERASE and request.person is not None:
            # an earlier export of this person, or of the whole shop, would otherwise keep what was erased
            gone = sum(1 for old in self.store.archives_holding(request.licensee_id,
                                                                request.person.digest(request.licensee_id))
                       if self.blobs.main.delete(old))
            request = replace(request, counts=model.add_counts(request.counts, {"exports": gone}))
        done = replace(request, status=RequestStatus.DONE, finished_at=now, archive_key=key, cursor=None)
        digest = request.person.digest(request.licensee_id) if request.person else None
        self.store.finish(done, AuditRecord(
            subject=f"licensee:{request.licensee_id}", action=f"privacy.{request.kind.value}_done",
            actor=request.actor, at=now,
            details={"request_id": request.request_id, "contact": digest, "counts": done.counts}))
        return done

    def _part_key(self, request: PrivacyRequest, step: str) -> str:
        return f"{EXPORTS_PREFIX}{request.licensee_id}/{request.request_id}/{step}.zip"

    def _assemble(self, request: PrivacyRequest, steps: tuple[str, ...], now: datetime) -> bytes:
        records: dict[str, list[Any]] = {}
        files: list[tuple[str, bytes]] = []
        for step in steps:
            part = self.blobs.read(self.blobs.main, self._part_key(request, step))
            if part is None:
                continue
            data, part_files = archive.read(part)
            for kind, entries in data.items():
                if kind != "format":
                    records.setdefault(kind, []).extend(entries)
            files += list(part_files.items())
        party = self.licensing.licensee(request.licensee_id)
        header = {"licensee_id": request.licensee_id, "merchant": party.full_name if party else "",
                  "generated_at": now, "request_id": request.request_id,
                  "subject": request.person.as_dict() if request.person else "merchant",
                  "counts": {kind: len(entries) for kind, entries in records.items()}}
        return archive.build({**header, **{k.value: records.get(k.value, []) for k in model.Kind
                                           if k.value in records}}, files, self.locales)

    # -- reading requests and archives ---------------------------------------------------------------------
    def requests(self, licensee_id: str) -> list[dict[str, Any]]:
        return [self.describe(r) for r in self.store.requests(licensee_id)]

    def request(self, licensee_id: str, request_id: str) -> dict[str, Any]:
        found = self.store.request(licensee_id, request_id)
        if found is None:
            raise NotFound("This shop has no such privacy request.", code="UNKNOWN_REQUEST")
        return self.describe(found)

    def describe(self, request: PrivacyRequest) -> dict[str, Any]:
        """A request as its requester sees it; a finished export carries a short-lived link to its archive."""
        shown = request.public()
        shown["archive"] = None
        if request.archive_key and request.status is RequestStatus.DONE:
            expires = int(self.clock.now().timestamp()) + model.EXPORT_LINK_SECONDS
            url = self.blobs.main.link(request.archive_key, f"kefu-{request.request_id}.zip",
                                       model.EXPORT_LINK_SECONDS)
            if url is None:  # local blobs: the API streams the archive through a signed link of its own
                signed = links.signature(self.secret(), LINK_CONTEXT, request.archive_key, expires)
                url = (f"/v1/admin/privacy/exports/{request.request_id}/archive?"
                       + links.query(request.licensee_id, expires, signed))
            shown["archive"] = {"url": url, "expires_at": datetime.fromtimestamp(expires, self.tz).isoformat()}
        return shown

    def archive_bytes(self, licensee_id: str, request_id: str, expires: int | None = None,
                      signature: str | None = None) -> bytes:
        """An export's archive: for staff, or for a browser presenting the link (checked when given)."""
        found = self.store.request(licensee_id, request_id)
        if found is None or found.archive_key is None:
            raise NotFound("This shop has no such export.", code="UNKNOWN_REQUEST")
        if expires is not None and not links.valid(self.secret(), LINK_CONTEXT, found.archive_key, expires,
                                                   signature or "", self.clock.now().timestamp()):
            raise Forbidden("This link has expired or is not valid; ask for the export again.", code="LINK_EXPIRED")
        content = self.blobs.read(self.blobs.main, found.archive_key)
        if content is None:
            raise NotFound("This export's archive is no longer kept.", code="ARCHIVE_GONE")
        return content

    # -- reads are recorded (clause 7.1) ---------------------------------------------------------------------
    def record_access(self, licensee_id: str, actor: str, what: str, ref: str = "") -> None:
        """Licensor staff read a merchant's content: an entry in the trail that the merchant's admins can list."""
        audit_store.append(AuditRecord(subject=ACCESS_SUBJECT.format(licensee_id), action=f"content.{what}",
                                       actor=actor, at=self.clock.now(), details={"ref": ref}))

    def accesses(self, licensee_id: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """Who of the licensor's staff read the merchant's content, newest first."""
        entries = audit_store.history(ACCESS_SUBJECT.format(licensee_id), since)
        return [{"at": e.at.isoformat(), "actor": e.actor, "what": e.action.removeprefix("content."),
                 "ref": e.details.get("ref", "")} for e in reversed(entries)]

    # -- retention (clause 7) ----------------------------------------------------------------------------------
    def retention(self, licensee_id: str) -> dict[str, Any]:
        own = self.store.retention(licensee_id)
        periods = model.retention(own)
        return {"periods": {k.value: v for k, v in periods.items()},
                "defaults": {k.value: v for k, v in model.DEFAULT_RETENTION_DAYS.items()},
                "own": sorted(own)}

    def set_retention(self, licensee_id: str, periods: dict[str, Any], actor: str) -> dict[str, Any]:
        """Change some of a merchant's retention periods; the others stay as they are."""
        checked = model.check_retention(periods)
        merged = {**self.store.retention(licensee_id), **checked}
        self.store.set_retention(licensee_id, merged, AuditRecord(
            subject=f"licensee:{licensee_id}", action="privacy.retention_set", actor=actor, at=self.clock.now(),
            details={"periods": merged}))
        if "chats" in checked and self.chat_ttl is not None:
            self.chat_ttl(licensee_id, checked["chats"], actor)  # new chat items expire by the same period
        return self.retention(licensee_id)

    def apply_retention(self, now: datetime, budget: Budget | None = None, cursor: str | None = None,
                        licensee_ids: list[str] | None = None) -> tuple[dict[str, int], str | None]:
        """Erase every merchant's content past its retention periods, merchant by merchant in id order; returns
        the counts and, when the budget ran out, the last merchant done (the cursor to continue after)."""
        if licensee_ids is None:
            licensee_ids = [row["licensee_id"] for row in self.licensing.licensees()]
        ids = sorted(licensee_ids)
        counts: dict[str, int] = {}
        for licensee_id in ids:
            if cursor is not None and licensee_id <= cursor:
                continue
            if budget is not None and budget.exhausted():
                return counts, cursor
            erased = retention.apply(licensee_id, model.retention(self.store.retention(licensee_id)), now, self.blobs)
            if erased:
                audit_store.append(AuditRecord(subject=f"licensee:{licensee_id}", action="privacy.retention_applied",
                                               actor="system:privacy-run", at=now, details={"counts": erased}))
            counts = model.add_counts(counts, erased)
            cursor = licensee_id
        return counts, None

    # -- after termination (clause 11.2) -----------------------------------------------------------------------
    def window(self, licensee_id: str) -> model.ExportWindow:
        lic = self.licensing.license(licensee_id)
        ended = licensing_model.termination(lic) if lic is not None else None
        extended, erased_at, _ = self.store.window(licensee_id)
        return model.ExportWindow(licensee_id, ended.effective_date if ended else None, self.export_window_days,
                                  extended, erased_at)

    def window_view(self, licensee_id: str) -> dict[str, Any]:
        shown = self.window(licensee_id).public(self.today())
        shown["certificate"] = self.store.window(licensee_id)[2]
        return shown

    def extend_window(self, licensee_id: str, until: date, actor: str) -> dict[str, Any]:
        """Staff give a terminated merchant more time to export, before its window ends."""
        window = self.window(licensee_id)
        model.extend(window, until, self.today())
        self.store.extend_window(licensee_id, until, AuditRecord(
            subject=f"licensee:{licensee_id}", action="privacy.window_extended", actor=actor, at=self.clock.now(),
            details={"from": window.ends_on.isoformat() if window.ends_on else None, "until": until.isoformat()}))
        extended = self.window(licensee_id)
        send(self.notify, licensee_id, "export_window", extended, self.today())
        return self.window_view(licensee_id)

    def may_export_after_termination(self, licensee_id: str) -> bool:
        return self.window(licensee_id).state(self.today()) is model.WindowState.OPEN

    def run_windows(self, now: datetime, budget: Budget | None = None,
                    licensee_ids: list[str] | None = None) -> dict[str, int]:
        """Every terminated merchant: the export-window notice once the window opens; when it has ended, the
        erasure of its content, its certificate recorded and sent."""
        today = now.astimezone(self.tz).date()
        opened = erased = 0
        if licensee_ids is None:
            licensee_ids = [row["licensee_id"] for row in self.licensing.licensees()]
        for licensee_id in licensee_ids:
            if budget is not None and budget.exhausted():
                break
            window = self.window(licensee_id)
            state = window.state(today)
            if state is model.WindowState.OPEN:
                opened += send(self.notify, licensee_id, "export_window", window, today)
            elif state is model.WindowState.CLOSED:
                erased += self._erase_merchant(licensee_id, now, budget)
        return {"windows_opened": opened, "merchants_erased": erased}

    def _erase_merchant(self, licensee_id: str, now: datetime, budget: Budget | None) -> int:
        running = [r for r in self.store.running() if r.licensee_id == licensee_id
                   and r.kind is RequestKind.MERCHANT_ERASE]
        request = running[0] if running else None
        if request is None:
            request = PrivacyRequest(new_id("prv"), licensee_id, RequestKind.MERCHANT_ERASE, None,
                                     f"system:{MERCHANT_ERASURE_JOB}", now, cursor=MERCHANT_STEPS[0])
            self.store.add_request(request, None, AuditRecord(
                subject=f"licensee:{licensee_id}", action="privacy.merchant_erase_requested",
                actor=request.actor, at=now, details={"request_id": request.request_id}))
        done = self._run(request, budget)
        if done.status is not RequestStatus.DONE:
            return 0
        certificate = model.Certificate(licensee_id, done.counts, done.finished_at or now, MERCHANT_ERASURE_JOB,
                                        model.KEPT_AFTER_ERASURE, done.request_id)
        recorded = self.store.record_certificate(licensee_id, certificate.erased_at, certificate.public(), AuditRecord(
            subject=f"licensee:{licensee_id}", action="privacy.erasure_certified", actor=done.actor,
            at=certificate.erased_at, details=certificate.public()))
        if recorded:
            send(self.notify, licensee_id, "erasure_certificate", self.window(licensee_id), certificate.erased_at
                 .astimezone(self.tz).date(), certificate)
        return 1 if recorded else 0

    def today(self) -> date:
        return self.clock.now().astimezone(self.tz).date()
