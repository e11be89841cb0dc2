"""Technical support's use cases: merchants open and follow their requests, licensor staff answer and close them,
a scheduled check records breaches and raises metrics, staff keep the support calendar."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.audit.model import AuditRecord
from chalicelib.core.cache import TtlCache
from chalicelib.core.clock import Clock
from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.core.ids import new_id
from chalicelib.metrics import SUPPORT_APPROACHING, SUPPORT_CALENDAR_MISSING, SUPPORT_TARGETS, MetricsSink
from chalicelib.support import model
from chalicelib.support.hours import Pause
from chalicelib.support.model import Clocks, Side, SupportRequest, Targets
from chalicelib.support.store import SupportStore
from chalicelib.support.workdays import DayOverride, WorkCalendar, parse_schedule, schedule_missing

# The force-majeure periods (first day, last day) that apply to a licensee. Billing records them (clause 13.5);
# support only reads them through this, never billing's storage.
ForceMajeureDays = Callable[[str], Sequence[tuple[date, date]]]
# Whether a licensee with an agreement exists (staff record requests for licensees only).
LicenseeKnown = Callable[[str], bool]
# The support targets a licensee's agreement sets on a day (clause 3.2: at signing or by amendment), if any;
# and how staff record new ones (an amendment of the agreement from today). Licensing answers both.
AgreedTargets = Callable[[str, date], Targets | None]
AmendTargets = Callable[[str, Targets, str], None]
# How the merchant hears of the licensor's answers (clauses 3.2, 13.1): a notice to the agreement's notice address
# under a business key (licensee, key, texts' parameters, variant), sent once per key; notices answer it.
Tell = Callable[[str, str, Mapping[str, object], str], bool]

CALENDAR_CACHE_SECONDS = 300.0


class SupportService:
    def __init__(self, store: SupportStore, clock: Clock, tz: ZoneInfo, metrics: MetricsSink,
                 force_majeure: ForceMajeureDays, licensee_known: LicenseeKnown,
                 agreed_targets: AgreedTargets | None = None, amend_targets: AmendTargets | None = None,
                 tell: Tell | None = None) -> None:
        self.store = store
        self.clock = clock
        self.tz = tz
        self.metrics = metrics
        self._force_majeure = force_majeure
        self._licensee_known = licensee_known
        self._agreed = agreed_targets
        self._amend = amend_targets
        self._tell = tell
        self._calendar: TtlCache[WorkCalendar] = TtlCache(CALENDAR_CACHE_SECONDS, clock.monotonic, max_entries=1)

    # -- merchants -------------------------------------------------------------------------------------------
    def open(self, licensee_id: str, subject: str, text: str, category: str | None, actor: str, via: str,
             at: datetime | None = None, mail_key: str | None = None) -> dict[str, Any]:
        """Open a request for a licensee (the tenant comes from the caller's key, or from staff on the CLI).
        `at` lets staff record a request taken by phone at the time it was taken; `mail_key` opens a request
        from a mail once (chalicelib/support/desk.py)."""
        now = self.clock.now()
        opened_at = at or now
        if opened_at.tzinfo is None:
            raise InvalidInput("Give the time with its offset, e.g. 2026-09-30T17:00+08:00.", code="INVALID_TIME")
        if opened_at > now:
            raise InvalidInput("A request cannot be opened in the future.", code="INVALID_TIME")
        if via == "cli" and not self._licensee_known(licensee_id):
            raise NotFound(f"No licensee {licensee_id} with an agreement.", code="LICENSEE_NOT_FOUND")
        request = model.new_request(new_id("sup"), licensee_id, subject, text, category, opened_at, actor, via,
                                    self.targets(licensee_id, opened_at.astimezone(self.tz).date()))
        self.store.open(request, self._audit(request, "support.opened", actor,
                                             {"request": request.request_id, "category": request.category.value,
                                              "via": via}), mail_key)
        return self._view(request, now)

    def of_licensee(self, licensee_id: str) -> list[dict[str, Any]]:
        """A merchant's requests, newest first, with their due times."""
        now, pauses = self.clock.now(), self._pauses(licensee_id)
        return [self._view(r, now, with_messages=False, pauses=pauses) for r in self.store.of_licensee(licensee_id)]

    def show_for(self, licensee_id: str, request_id: str) -> dict[str, Any]:
        """One of the merchant's own requests; another tenant's is as unknown as a missing one."""
        return self._view(self._own(licensee_id, request_id), self.clock.now())

    def merchant_reply(self, licensee_id: str, request_id: str, author: str, text: str,
                       mail_key: str | None = None) -> dict[str, Any]:
        """The merchant answers: the turn goes back to the licensor (the resolution clock runs again)."""
        request = self._own(licensee_id, request_id)
        return self._change(request, model.reply(request, Side.MERCHANT, author, text, self.clock.now()),
                            "support.merchant_replied", author, mail_key=mail_key)

    # -- licensor staff -------------------------------------------------------------------------------------------
    def queue(self, licensee_id: str | None = None) -> list[dict[str, Any]]:
        """Requests not closed yet, oldest first; for one licensee, all of its requests, newest first."""
        now, pauses = self.clock.now(), _PausesByLicensee(self._pauses)
        requests = self.store.of_licensee(licensee_id) if licensee_id else self.store.queue()
        return [self._view(r, now, with_messages=False, pauses=pauses(r.licensee_id)) for r in requests]

    def show(self, request_id: str) -> dict[str, Any]:
        return self._view(self._load(request_id), self.clock.now())

    def staff_reply(self, request_id: str, actor: str, text: str, wait_for_merchant: bool = False) -> dict[str, Any]:
        """The licensor answers; the first answer meets the first-response target. `wait_for_merchant` stops the
        resolution clock until the merchant answers."""
        request = self._load(request_id)
        changed = model.reply(request, Side.LICENSOR, actor, text, self.clock.now(), wait_for_merchant)
        view = self._change(request, changed, "support.replied", actor, {"waiting": wait_for_merchant})
        self._tell_merchant(changed, f"#{changed.messages[-1].number}", text)
        return view

    def close(self, request_id: str, actor: str, text: str | None = None) -> dict[str, Any]:
        """Resolved. A closing note, if given, is the last message."""
        request = self._load(request_id)
        now = self.clock.now()
        changed = model.reply(request, Side.LICENSOR, actor, text, now) if text else request
        view = self._change(request, model.close(changed, now), "support.closed", actor)
        self._tell_merchant(changed, f"#resolved#{len(changed.messages)}", text or "", "resolved")
        return view

    def _tell_merchant(self, request: SupportRequest, key: str, text: str, variant: str = "") -> None:
        """The merchant hears of an answer at the agreement's notice address, once per message (the key), also
        when the answer is saved again by a retry."""
        if self._tell is not None:
            self._tell(request.licensee_id, f"support#{request.request_id}{key}",
                       {"subject": request.subject, "request": request.request_id, "text": text}, variant)

    def set_targets(self, licensee_id: str, targets: Targets, actor: str) -> dict[str, int]:
        """New targets for a licensee, for requests opened from now on: an amendment of its agreement from today
        (clause 3.2 puts the targets in the agreement), recorded and audited by licensing."""
        if not self._licensee_known(licensee_id):
            raise NotFound(f"No licensee {licensee_id} with an agreement.", code="LICENSEE_NOT_FOUND")
        if self._amend is not None:
            self._amend(licensee_id, targets, actor)
        else:
            self.store.set_targets(licensee_id, targets, AuditRecord(f"licensee:{licensee_id}",
                                                                     "support.targets_set", actor, self.clock.now(),
                                                                     targets.as_dict()))
        return targets.as_dict()

    def targets(self, licensee_id: str, day: date | None = None) -> Targets:
        """The targets on a day (default today): the agreement's, else those staff set before targets were part
        of the agreement (still honoured, clause 6.2), else the standard ones."""
        agreed = self._agreed(licensee_id, day or self.clock.now().astimezone(self.tz).date()) if self._agreed \
            else None
        return agreed or self.store.targets(licensee_id) or Targets()

    # -- the scheduled check ------------------------------------------------------------------------------------
    def check(self, now: datetime) -> dict[str, Any]:
        """Every request not closed: record each breach once (with its audit record), count breaches and targets
        approaching their due time, and announce once each target that passed 80 % of its business minutes.
        From 1 December, say when next year's schedule is still missing."""
        breached = approaching = warned = 0
        pauses = _PausesByLicensee(self._pauses)
        for request in self.store.queue(limit=10_000):
            loaded = self._load(request.request_id)
            current, recorded = self._breaches(loaded, now, pauses(request.licensee_id))
            breached += len(recorded)
            for target in current.approaching:
                approaching += 1
                self.metrics.count(SUPPORT_TARGETS, target=target.value, state="approaching")
            for target in sorted(model.new_warnings(loaded, current)):
                due = current.first_response_due if target is model.Target.FIRST_RESPONSE else current.resolution_due
                assert due is not None
                if self.store.record_warning(loaded, target, due, now):  # once per request and target
                    warned += 1
                    self.metrics.count(SUPPORT_APPROACHING, target=target.value)
        missing = schedule_missing(self.calendar(), now.astimezone(self.tz).date())
        if missing is not None:
            self.metrics.count(SUPPORT_CALENDAR_MISSING, year=str(missing))
        return {"breaches_recorded": breached, "approaching": approaching, "approaching_announced": warned,
                "calendar_missing": missing}

    # -- the calendar ----------------------------------------------------------------------------------------------
    def calendar(self) -> WorkCalendar:
        """The support calendar: staff's imports and single days over the published and provisional schedules."""
        return self._calendar.get("calendar", lambda: WorkCalendar(*self.store.calendar()))

    def calendar_year(self, year: int) -> dict[str, Any]:
        calendar = self.calendar()
        schedule = calendar.schedule(year)
        return {"year": year, "source": schedule.source.value, "provisional": schedule.source == "provisional",
                "days": [{"day": d.day.isoformat(), "weekday": d.day.strftime("%a"), "working": d.working,
                          "source": str(d.source), "name": d.name} for d in calendar.year_days(year)]}

    def import_calendar(self, year: int, text: str, actor: str) -> dict[str, Any]:
        """Import the State Council's schedule for a year; it replaces the published or provisional one."""
        try:
            schedule = parse_schedule(year, text)
        except ValueError as exc:
            raise InvalidInput(str(exc), code="INVALID_SCHEDULE") from exc
        self.store.import_year(schedule, AuditRecord("support:calendar", "support.calendar_imported", actor,
                                                     self.clock.now(), {"year": year, "off": len(schedule.off),
                                                                        "on": len(schedule.on)}))
        self._calendar.clear()
        return self.calendar_year(year)

    def set_day(self, day: date, working: bool | None, actor: str, note: str = "") -> dict[str, Any]:
        """Make one day a working day (True), a day off (False), or clear what staff set (None)."""
        override = None if working is None else DayOverride(day, working, note.strip())
        self.store.set_day(override, day, AuditRecord("support:calendar", "support.calendar_day", actor,
                                                      self.clock.now(), {"day": day.isoformat(), "working": working,
                                                                         "note": note}))
        self._calendar.clear()
        return self.calendar_year(day.year)

    # -- internals ---------------------------------------------------------------------------------------------------
    def _clocks(self, request: SupportRequest, now: datetime, pauses: list[Pause] | None = None) -> Clocks:
        return model.clocks(request, now, self.calendar(), self.tz,
                            self._pauses(request.licensee_id) if pauses is None else pauses)

    def _pauses(self, licensee_id: str) -> list[Pause]:
        return model.force_majeure_pauses(self._force_majeure(licensee_id), self.tz)

    def _view(self, request: SupportRequest, now: datetime, *, with_messages: bool = True,
              pauses: list[Pause] | None = None) -> dict[str, Any]:
        return model.as_dict(request, self._clocks(request, now, pauses), self.tz, with_messages=with_messages)

    def _change(self, before: SupportRequest, after: SupportRequest, action: str, actor: str,
                details: dict[str, Any] | None = None, mail_key: str | None = None) -> dict[str, Any]:
        saved = self.store.save(before, after, self._audit(after, action, actor,
                                                           {"request": after.request_id, **(details or {})}),
                                mail_key)
        current, recorded = self._breaches(saved, self.clock.now())
        return model.as_dict(replace(saved, breaches=saved.breaches | recorded), current, self.tz)

    def _breaches(self, request: SupportRequest, now: datetime,
                  pauses: list[Pause] | None = None) -> tuple[Clocks, frozenset[model.Target]]:
        """Record the breaches not recorded yet; each once, whoever notices first (the check or a reply)."""
        current = self._clocks(request, now, pauses)
        recorded: set[model.Target] = set()
        for target in sorted(model.new_breaches(request, current)):
            due = current.first_response_due if target is model.Target.FIRST_RESPONSE else current.resolution_due
            assert due is not None
            audit = self._audit(request, "support.breached", "system:support",
                                {"request": request.request_id, "target": target.value, "due": due.isoformat()})
            if self.store.record_breach(request, target, due, audit):
                recorded.add(target)
                self.metrics.count(SUPPORT_TARGETS, target=target.value, state="breached")
        return current, frozenset(recorded)

    def _own(self, licensee_id: str, request_id: str) -> SupportRequest:
        request = self.store.load(request_id)
        if request is None or request.licensee_id != licensee_id:
            raise NotFound("No such support request.", code="REQUEST_NOT_FOUND")
        return request

    def _load(self, request_id: str) -> SupportRequest:
        request = self.store.load(request_id)
        if request is None:
            raise NotFound(f"No support request {request_id}.", code="REQUEST_NOT_FOUND")
        return request

    def _audit(self, request: SupportRequest, action: str, actor: str, details: dict[str, Any]) -> AuditRecord:
        return AuditRecord(f"licensee:{request.licensee_id}", action, actor, self.clock.now(), details)


class _PausesByLicensee:
    """Force-majeure pauses read once per licensee for a listing or a check, not once per request."""

    def __init__(self, read: Callable[[str], list[Pause]]) -> None:
        self._read = read
        self._seen: dict[str, list[Pause]] = {}

    def __call__(self, licensee_id: str) -> list[Pause]:
        if licensee_id not in self._seen:
            self._seen[licensee_id] = self._read(licensee_id)
        return self._seen[licensee_id]
