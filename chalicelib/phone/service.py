"""Phone use cases: staff give merchants numbers, a Connect instance and a webhook secret; Connect's contact
events and call centres' webhooks become call records in the merchant's inbox; agents read calls, write notes
and a disposition, and call back whoever nobody answered."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

from chalicelib.audit.model import AuditRecord
from chalicelib.core import links
from chalicelib.core.blobs import BlobStore
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from chalicelib.core.observability import logger
from chalicelib.licensing.model import KeyKind
from chalicelib.licensing.service import LicensingService
from chalicelib.metrics import PHONE_ANSWER_SECONDS, PHONE_CALLS, PHONE_EVENTS, PHONE_EVENTS_HELD, MetricsSink
from chalicelib.phone import model
from chalicelib.phone.model import CallEvent, CallRecord, HoldReason, Outcome, Routing, Source, TaskStatus
from chalicelib.phone.store import Held, PhoneStore, Secrets, Task
from chalicelib.settings import Settings

SECRET_GRACE = timedelta(hours=24)
REPORT_LONGEST = timedelta(days=92)  # a quarter: one Query of the calls index, paged
_RECORDING_LINK = b"kefu/recording/v1"  # after a rotation the previous secret still verifies this long


class Contacts(Protocol):
    """Amazon Connect's DescribeContact (chalicelib/adapters/connect.py; a local stand-in in local mode)."""

    def describe(self, instance_id: str, contact_id: str) -> dict[str, Any] | None: ...

    def queue_name(self, instance_id: str, queue_id: str) -> str | None: ...

    def agent_name(self, instance_id: str, user_id: str) -> str | None: ...


class PhoneService:
    def __init__(self, store: PhoneStore, licensing: LicensingService, contacts: Contacts, blobs: BlobStore,
                 clock: Clock, settings: Settings, metrics: MetricsSink,
                 link_secret: Callable[[], bytes]) -> None:
        self.store, self.licensing, self.contacts, self.blobs = store, licensing, contacts, blobs
        self.clock, self.settings, self.metrics = clock, settings, metrics
        self._link_secret = link_secret

    # -- staff: numbers, instance, webhook secret -----------------------------------------------------
    def add_number(self, licensee_id: str, number: str, actor: str) -> str:
        """Give a merchant a phone number (E.164); a number belongs to one merchant."""
        normalised = model.e164(number)
        self._licensee(licensee_id)
        self.store.add_number(licensee_id, normalised, self._audit(licensee_id, "phone.number.add", actor,
                                                                   {"number": normalised}))
        return normalised

    def remove_number(self, licensee_id: str, number: str, actor: str) -> str:
        normalised = model.e164(number)
        if normalised not in self.store.numbers(licensee_id):
            raise NotFound(f"The merchant has no number {normalised}.", code="UNKNOWN_NUMBER")
        self.store.remove_number(licensee_id, normalised, self._audit(licensee_id, "phone.number.remove", actor,
                                                                      {"number": normalised}))
        return normalised

    def numbers(self, licensee_id: str) -> list[str]:
        return self.store.numbers(licensee_id)

    def set_instance(self, licensee_id: str, instance: str, actor: str) -> str:
        """Point a merchant at its Amazon Connect instance (an id or an instance ARN)."""
        instance_id = model.connect_instance({"instanceArn": instance}) if instance.startswith("arn:") else instance
        if not instance_id or not all(c.isalnum() or c == "-" for c in instance_id) or len(instance_id) > 100:
            raise InvalidInput("Give the Connect instance's id or ARN.", code="INVALID_INSTANCE")
        self._licensee(licensee_id)
        self.store.set_instance(licensee_id, instance_id, self.store.instance(licensee_id),
                                self._audit(licensee_id, "phone.instance.set", actor, {"instance": instance_id}))
        return instance_id

    def rotate_secret(self, licensee_id: str, actor: str) -> str:
        """A new webhook secret, returned once. The previous one keeps verifying for a day (switch-over)."""
        self._licensee(licensee_id)
        now = self.clock.now()
        current = self.store.secrets(licensee_id)
        secret = "whsec_" + secrets.token_urlsafe(32)
        self.store.save_secrets(licensee_id, Secrets(secret, current.current if current else None,
                                                     now + SECRET_GRACE if current else None, now),
                                self._audit(licensee_id, "phone.webhook_secret.rotate", actor, {}))
        return secret

    # -- events ---------------------------------------------------------------------------------------
    def connect_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """One EventBridge `Amazon Connect Contact Event`. A malformed event is held with its raw text."""
        raw = json.dumps(event, ensure_ascii=False, default=str)
        found = event.get("detail")
        detail: dict[str, Any] = found if isinstance(found, dict) else {}
        try:
            parsed = model.from_connect(detail, None, self.settings.recording_prefix)
        except model.NotACall:
            return {"result": "ignored", "reason": "not_a_voice_call"}
        except InvalidInput as exc:
            return self._hold(None, Source.CONNECT, str(detail.get("contactId") or "-"),
                              str(detail.get("eventType") or "-"), raw, HoldReason.MALFORMED, (exc.message,))
        licensee_id = self.store.instance_owner(parsed.instance or "")
        contact: dict[str, Any] | None = None
        # DescribeContact completes the record (numbers, recording) once the call ended, and names the number
        # dialled when the instance is no merchant's.
        if parsed.event_type is model.EventType.DISCONNECTED or licensee_id is None:
            contact = self.contacts.describe(parsed.instance or "", parsed.contact_id)
            if contact is not None:
                parsed = model.from_connect(detail, contact, self.settings.recording_prefix)
        if licensee_id is None and parsed.merchant_number:
            licensee_id = self.store.number_owner(parsed.merchant_number)
        routing = Routing(licensee_id, None if licensee_id else HoldReason.UNKNOWN_NUMBER)
        return self.receive(self._named(parsed) if licensee_id else parsed, raw, routing)

    def _named(self, event: CallEvent) -> CallEvent:
        """Connect's events name the queue and agent by id; agents read their names (cached by the adapter)."""
        instance = event.instance or ""
        return replace(event, queue_name=self.contacts.queue_name(instance, event.queue) if event.queue else None,
                       agent_name=self.contacts.agent_name(instance, event.agent) if event.agent else None)

    def webhook(self, licensee_id: str, timestamp: str, signature: str, body: bytes) -> dict[str, Any]:
        """A call centre's signed event. Refused (401) unless signed by the merchant's secret within five
        minutes of now; the secret is never echoed."""
        now = self.clock.now()
        if len(body) > model.WEBHOOK_MAX_BYTES:
            raise InvalidInput(f"An event is at most {model.WEBHOOK_MAX_BYTES // 1024} KB.", code="PAYLOAD_TOO_LARGE",
                               status=413)
        if not model.within_window(timestamp, now):
            raise Unauthorized("X-Kefu-Timestamp is missing or more than 5 minutes from now.",
                               code="WEBHOOK_TIMESTAMP_OUT_OF_WINDOW")
        stored = self.store.secrets(licensee_id) if licensee_id and len(licensee_id) <= 100 else None
        if stored is None or not model.signature_valid(stored.valid_at(now), timestamp, body, signature):
            raise Unauthorized("The signature does not match this merchant's webhook secret.",
                               code="WEBHOOK_SIGNATURE_INVALID")
        from chalicelib.core.validation import parse_json_object

        event = model.from_webhook(parse_json_object(body))
        owner = self.store.number_owner(event.merchant_number or "")
        routing = Routing(licensee_id) if owner == licensee_id else Routing(
            licensee_id, HoldReason.UNKNOWN_NUMBER, {"number": event.merchant_number or ""})
        return self.receive(event, body.decode("utf-8", "replace"), routing)

    def receive(self, event: CallEvent, raw: str, routing: Routing) -> dict[str, Any]:
        """Both sources land here: hold the event, or fold it into the merchant's call record."""
        licensee_id = routing.licensee_id
        reason = routing.reason
        if reason is None and licensee_id is not None:
            # The license through licensing's cache (a change bites within its TTL, as for every request).
            reason = model.phone_gate(self.licensing.license(licensee_id), self.clock.now(),
                                      self.settings.timezone, self.settings.expiring_window_days)
        if reason is not None or licensee_id is None:
            details = tuple(f"{k}={v}" for k, v in routing.details.items())
            return self._hold(licensee_id if reason is not HoldReason.UNKNOWN_NUMBER else None, event.source,
                              event.contact_id, event.event_type.value, raw, reason or HoldReason.UNKNOWN_NUMBER,
                              details)
        new = self.store.add_event(licensee_id, event, raw, self.clock.now())
        self.metrics.count(PHONE_EVENTS, source=event.source.value, result="stored" if new else "duplicate")
        # A duplicate still folds: the first delivery may have stopped between its event and its record.
        record = model.fold(self.store.events(licensee_id, event.call_id))
        counted = self.store.save_record(licensee_id, record)
        self._follow_up(licensee_id, record, counted)
        return {"result": "stored" if new else "duplicate", "call_id": record.call_id,
                "outcome": record.outcome.value if record.outcome else None}

    def _follow_up(self, licensee_id: str, record: CallRecord, counted: bool) -> None:
        """The callback task of an unanswered call (one per call), and its metrics once it ended."""
        now = self.clock.now()
        if record.needs_callback:
            self.store.open_task(licensee_id, record, now)
        elif record.outcome is Outcome.ANSWERED:
            # A read, not a write that would fail: most answered calls never had a task.
            task = self.store.task(licensee_id, record.call_id)
            if task is not None and task.status is TaskStatus.OPEN:
                self.store.cancel_task(licensee_id, record.call_id, now)
        if record.ended and not counted and self.store.mark_counted(licensee_id, record.call_id, now):
            outcome = record.outcome.value if record.outcome else "unknown"
            self.metrics.count(PHONE_CALLS, direction=record.direction.value, outcome=outcome)
            if record.outcome is Outcome.ANSWERED and record.waiting_seconds is not None:
                self.metrics.count(PHONE_ANSWER_SECONDS, record.waiting_seconds, source=record.source.value)

    def _hold(self, licensee_id: str | None, source: Source, contact: str, event_type: str, raw: str,
              reason: HoldReason, details: tuple[str, ...]) -> dict[str, Any]:
        first = self.store.hold(Held(licensee_id, reason.value, self.clock.now(), source.value, contact[:128],
                                     event_type[:40], raw[:300_000], details))
        if first:
            self.metrics.count(PHONE_EVENTS_HELD, reason=reason.value)
            logger.info("phone event held", extra={"reason": reason.value, "source": source.value})
        return {"result": "held", "reason": reason.value}

    def held(self, licensee_id: str | None, *, released: bool = False) -> list[dict[str, Any]]:
        """Events kept back (staff only), newest first, with the reason in words; released ones only if asked."""
        return [{"id": h.key, "at": h.at.isoformat(), "reason": h.reason,
                 "reason_text": model.READABLE[HoldReason(h.reason)], "source": h.source, "contact_id": h.contact_id,
                 "event_type": h.event_type, "details": list(h.details), "raw": h.raw,
                 "released_at": h.released_at.isoformat() if h.released_at else None, "released_to": h.released_to}
                for h in self.store.held(licensee_id) if released or h.released_at is None]

    def release(self, licensee_id: str | None, held_id: str, actor: str, to: str | None = None) -> dict[str, Any]:
        """Staff release a held event (`licensee_id`: where it is held, None for events that reached nobody):
        routed again as it would be now, or to the merchant `to`, and folded into that merchant's call record.
        Idempotent: events are stored once per call and type, and a released event is marked so. A malformed
        event cannot be released; one its merchant's license still refuses is held again, under that merchant."""
        held = self.store.held_one(licensee_id, held_id)
        if held is None:
            raise NotFound("No such held event.", code="HELD_EVENT_NOT_FOUND")
        if held.reason == HoldReason.MALFORMED.value:
            raise Conflict("A malformed event cannot be released; its raw text stays for the record.",
                           code="NOT_RELEASABLE")
        if held.released_at is not None:
            return {"result": "released_already", "released_to": held.released_to}
        if to is not None:
            self._licensee(to)
        event, owner = self._reparse(held)
        target = to or owner or held.licensee_id
        if target is None:
            raise Conflict("The event still reaches no merchant: add its number (`./kefu phone numbers add`) or "
                           "name the merchant with --to.", code="STILL_UNROUTED")
        result = self.receive(event, held.raw, Routing(target))
        if result["result"] in ("stored", "duplicate"):
            self.store.mark_released(held, target, self._audit(target, "phone.held.release", actor,
                                                               {"held": held.key, "reason": held.reason}))
        return {**result, "released_to": target if result["result"] != "held" else None}

    def _reparse(self, held: Held) -> tuple[CallEvent, str | None]:
        """The held event as a call event again, and the merchant routing names for it now."""
        if held.source == Source.WEBHOOK.value:
            from chalicelib.core.validation import parse_json_object

            event = model.from_webhook(parse_json_object(held.raw.encode("utf-8")))
            return event, self.store.number_owner(event.merchant_number or "")
        found = json.loads(held.raw).get("detail") or {}
        event = model.from_connect(found, None, self.settings.recording_prefix)
        contact = self.contacts.describe(event.instance or "", event.contact_id)
        if contact is not None:
            event = model.from_connect(found, contact, self.settings.recording_prefix)
        owner = self.store.instance_owner(event.instance or "") or self.store.number_owner(event.merchant_number or "")
        return event, owner

    # -- agents: calls, notes, tasks ------------------------------------------------------------------
    def list_calls(self, licensee_id: str, limit: int, cursor: str | None, **filters: Any) -> dict[str, Any]:
        calls, next_cursor = self.store.list_calls(licensee_id, limit, cursor, **filters)
        return {"items": [self.call_dict(licensee_id, c, with_link=False) for c in calls], "next": next_cursor}

    def summary(self, licensee_id: str, since: datetime, until: datetime) -> dict[str, Any]:
        """Calls of a period for the merchant's reports: by outcome, answered per agent, answer rate, wait."""
        if until < since or until - since > REPORT_LONGEST:
            raise InvalidInput(f"A report covers at most {REPORT_LONGEST.days} days, since before until.",
                               code="INVALID_PERIOD")
        found = model.summarise(self.store.calls_between(licensee_id, since, until))
        return {"since": since.isoformat(), "until": until.isoformat(), "calls": found.calls,
                "by_outcome": found.by_outcome, "answered_by_agent": found.answered_by_agent,
                "answer_rate": found.answer_rate, "average_wait_seconds": found.average_wait_seconds,
                "talk_seconds": found.talk_seconds}

    def show_call(self, licensee_id: str, call_id: str) -> dict[str, Any]:
        found = self.store.record(licensee_id, call_id)
        if found is None:
            raise NotFound("No such call.", code="UNKNOWN_CALL")
        out = self.call_dict(licensee_id, found[0], with_link=True)
        task = self.store.task(licensee_id, call_id)
        out["callback"] = self.task_dict(task) if task else None
        return out

    def save_notes(self, licensee_id: str, call_id: str, notes: str, disposition: str, actor: str) -> dict[str, Any]:
        """Agents' notes and a disposition (a short label such as `resolved`, `order_issue`)."""
        if len(notes) > model.MAX_NOTES:
            raise InvalidInput(f"Notes hold at most {model.MAX_NOTES} characters.", code="TOO_LONG",
                               details={"field": "notes"})
        if self.store.record(licensee_id, call_id) is None:
            raise NotFound("No such call.", code="UNKNOWN_CALL")
        try:
            self.store.save_notes(licensee_id, call_id, notes, disposition, actor,
                                  self._audit(licensee_id, "phone.call.notes", actor,
                                              {"call_id": call_id, "disposition": disposition}))
        except Conflict:
            raise NotFound("No such call.", code="UNKNOWN_CALL") from None
        return self.show_call(licensee_id, call_id)

    def tasks(self, licensee_id: str, status: TaskStatus | None) -> list[dict[str, Any]]:
        return [self.task_dict(t) for t in self.store.tasks(licensee_id, status)]

    def update_task(self, licensee_id: str, call_id: str, actor: str, *, status: TaskStatus | None,
                    assignee: str | None, unassign: bool = False) -> dict[str, Any]:
        """Assign a callback task to one of the merchant's agents, or mark it done (or open again)."""
        task = self.store.task(licensee_id, call_id)
        if task is None:
            raise NotFound("This call has no callback task.", code="UNKNOWN_TASK")
        if assignee is not None:
            agents = {k.key_id for k in self.licensing.keys(licensee_id) if k.kind is KeyKind.AGENT and k.active}
            if assignee not in agents:
                raise InvalidInput("assignee is the id of one of the merchant's agents.", code="UNKNOWN_AGENT",
                                   details={"field": "assignee"})
        chosen = None if unassign else (assignee or task.assignee)
        new_status = status or task.status
        self.store.update_task(licensee_id, task, new_status, chosen, self._audit(
            licensee_id, "phone.task.update", actor, {"call_id": call_id, "status": new_status.value,
                                                      "assignee": chosen or ""}))
        updated = self.store.task(licensee_id, call_id)
        assert updated is not None
        return self.task_dict(updated)

    # -- recordings -----------------------------------------------------------------------------------
    def recording(self, licensee_id: str, call_id: str) -> bytes:
        """A recording's bytes (local mode streams them; on AWS the link is a presigned S3 URL)."""
        found = self.store.record(licensee_id, call_id)
        key = found[0].recording if found else None
        if not key or key.startswith("https://"):
            raise NotFound("This call has no recording kept by kefu.", code="NO_RECORDING")
        return self.blobs.get(key)

    def recording_signature(self, licensee_id: str, call_id: str, expires: int) -> str:
        return links.signature(self._link_secret(), _RECORDING_LINK, f"{licensee_id}|{call_id}", expires)

    def check_recording_link(self, licensee_id: str, call_id: str, expires: int, signature: str) -> bool:
        return links.valid(self._link_secret(), _RECORDING_LINK, f"{licensee_id}|{call_id}", expires, signature,
                           self.clock.now().timestamp())

    def _recording_link(self, licensee_id: str, record: CallRecord) -> dict[str, Any] | None:
        if not record.recording:
            return None
        if record.recording.startswith("https://"):  # kept by the call centre; its own access rules apply
            return {"url": record.recording, "kept_by": "call_centre", "expires_at": None}
        expires = int(self.clock.now().timestamp()) + model.RECORDING_LINK_SECONDS
        url = self.blobs.link(record.recording, f"{record.call_id}.wav", model.RECORDING_LINK_SECONDS)
        if url is None:
            signature = self.recording_signature(licensee_id, record.call_id, expires)
            url = f"v1/agent/calls/{quote(record.call_id)}/recording?" + links.query(licensee_id, expires, signature)
        return {"url": url, "kept_by": "kefu", "expires_at": datetime.fromtimestamp(expires, tz=self.clock.now().tzinfo)
                .isoformat()}

    # -- shapes ---------------------------------------------------------------------------------------
    def call_dict(self, licensee_id: str, record: CallRecord, *, with_link: bool) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        out: dict[str, Any] = {
            "id": record.call_id, "source": record.source.value, "contact_id": record.contact_id,
            "direction": record.direction.value, "caller": record.caller, "callee": record.callee,
            "started_at": iso(record.started_at), "queued_at": iso(record.queued_at),
            "answered_at": iso(record.answered_at), "ended_at": iso(record.ended_at),
            "waiting_seconds": record.waiting_seconds, "talk_seconds": record.talk_seconds,
            "queue": record.queue, "agent": record.agent, "queue_name": record.queue_name or record.queue,
            "agent_name": record.agent_name or record.agent,
            "outcome": record.outcome.value if record.outcome else None,
            "notes": record.notes, "disposition": record.disposition, "has_recording": bool(record.recording)}
        if with_link:
            out["recording"] = self._recording_link(licensee_id, record)
        return out

    @staticmethod
    def task_dict(task: Task) -> dict[str, Any]:
        return {"call_id": task.call_id, "status": task.status.value, "reason": task.reason, "caller": task.caller,
                "call_started_at": task.call_started_at.isoformat(), "created_at": task.created_at.isoformat(),
                "assignee": task.assignee, "updated_at": task.updated_at.isoformat() if task.updated_at else None}

    # -- internals ------------------------------------------------------------------------------------
    def _licensee(self, licensee_id: str) -> None:
        if self.licensing.store.licensee(licensee_id) is None:
            raise NotFound(f"No licensee {licensee_id}.", code="UNKNOWN_LICENSEE")

    def _audit(self, licensee_id: str, action: str, actor: str, details: dict[str, Any]) -> AuditRecord:
        return AuditRecord(subject=f"licensee:{licensee_id}", action=action, actor=actor, at=self.clock.now(),
                           details=details)
