"""The catalogue of what kefu measures. Code emits only names from here; the dashboards and alarms in
`infra/` are built from it, and a test keeps the two honest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

NAMESPACE = "kefu"


@dataclass(frozen=True)
class Heartbeat:
    """A metric that must arrive: with these dimension values, at least once every `seconds`. Its alarm treats
    missing data as breaching, so a job that stopped running is noticed as surely as one that fails."""

    where: tuple[tuple[str, str], ...]
    seconds: int


@dataclass(frozen=True)
class RateAlarm:
    """Alarm when, over `minutes`, the values `share` of `dimension` are more than `threshold` of all values
    `of` (with the `fixed` dimensions), once at least `minimum` were counted (a quiet hour alarms on nothing)."""

    dimension: str
    share: tuple[str, ...]
    of: tuple[str, ...]
    fixed: tuple[tuple[str, str], ...]
    threshold: float
    minimum: int
    minutes: int = 15


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    dimensions: tuple[str, ...]
    area: str
    description: str
    # Alarm when the metric, with these dimension values, counts anything in a 5-minute period (infra/);
    # `()` alarms on any value of the metric.
    alarm_on: tuple[tuple[str, str], ...] | None = None
    rate_alarm: RateAlarm | None = None
    heartbeat: Heartbeat | None = None
    # What on-call does when the alarm rings (docs/operations.md lists them all).
    runbook: str = ""


LICENSE_VALIDATIONS = Metric("LicenseValidations", "Count", ("code",), "licensing",
                             "Key validations, by outcome code")
LICENSE_CHANGES = Metric("LicenseChanges", "Count", ("action",), "licensing",
                         "Agreement, license and key changes, by action")
HEALTH_CHECKS = Metric("HealthChecks", "Count", ("component", "result"), "operations",
                       "Health checks of the API's dependencies, by component and result",
                       alarm_on=(("result", "failed"),), heartbeat=Heartbeat((), 15 * 60),
                       runbook="The health job's report names the component and the error type; no data means "
                               "the health job itself stopped (see its Errors alarm and the failed-events queue).")

MAIL_RECEIVED = Metric("MailReceived", "Count", ("outcome",), "mail",
                       "Inbound mails per merchant delivery, by outcome: delivered, duplicate, quarantined, held")
MAIL_HELD = Metric("MailHeld", "Count", ("reason",), "mail",
                   "Inbound mails kept back from agents (quarantined or undeliverable), by reason")
MAIL_SENT = Metric("MailSent", "Count", ("kind", "result"), "mail",
                   "Replies and acknowledgements: sent, failed, or withheld by the acknowledgement rules",
                   alarm_on=(("result", "failed"),),
                   runbook="SES refused a reply or acknowledgement: check the SES account (sending paused, "
                           "quota) and the mailer health check; agents see the failed reply on the ticket.")
MAIL_DELIVERY_EVENTS = Metric("MailDeliveryEvents", "Count", ("kind", "matched"), "mail",
                              "SES bounce and complaint notifications, and whether they matched a sent mail")

BACKUPS = Metric("Backups", "Count", ("result",), "operations",
                 "Table backups by result: created, failed, expired (deleted past the retention window)",
                 alarm_on=(("result", "failed"),), heartbeat=Heartbeat((("result", "created"),), 24 * 3600),
                 runbook="The audit trail (subject table:<name>) says which table failed and why; run "
                         "`./kefu --stage STAGE backups run` once fixed. No data: the nightly job did not run.")

BILLING_INVOICES = Metric("InvoicesIssued", "Count", ("kind",), "billing",
                          "Invoices issued, by kind (regular, late_fee, settlement)")
BILLING_PAYMENTS = Metric("PaymentsRecorded", "Count", ("method",), "billing", "Payments recorded by staff, by method")
BILLING_NOTICES = Metric("NoticesSent", "Count", ("kind", "delivery"), "billing",
                         "Notices to licensees (clause 13.1), by kind and delivery outcome",
                         alarm_on=(("delivery", "failed"),),
                         runbook="A notice (clause 13.1) was not delivered: check the SES account and the notice "
                                 "address of the agreement; the notice is recorded with its failed delivery.")
BILLING_RUN_FAILURES = Metric("BillingRunFailures", "Count", ("job",), "billing",
                              "Accounts a scheduled billing, overdue or renewal run could not process",
                              alarm_on=(),
                              runbook="The run's log (correlation id <job>:<date>) names each account and error; "
                                      "fix, then `./kefu --stage STAGE jobs run JOB --date DATE` (runs are "
                                      "idempotent: nothing is invoiced twice).")

CHAT_CONVERSATIONS = Metric("ChatConversations", "Count", ("outcome",), "chat",
                            "Conversations started, by outcome: assigned, unassigned, handed_over")
CHAT_MESSAGES = Metric("ChatMessages", "Count", ("author",), "chat", "Chat messages accepted, by author")
CHAT_REFUSALS = Metric("ChatRefusals", "Count", ("code",), "chat",
                       "Chat requests refused by a limit, by code (rate limits, origins)")
REALTIME_PUSHES = Metric("RealtimePushes", "Count", ("result",), "chat",
                         "Events pushed to open WebSocket connections, by result: delivered, gone")

API_ERRORS = Metric("ApiErrors", "Count", ("route", "code"), "operations",
                    "API requests answered 500, by route and error code", alarm_on=(),
                    runbook="Search the API's log for the request id the caller got (`X-Request-Id`); the "
                            "`unhandled error` line has the stack trace.")
PHONE_CALLS = Metric("PhoneCalls", "Count", ("direction", "outcome"), "phone",
                     "Calls that ended, by direction and outcome: answered, missed, abandoned, voicemail",
                     rate_alarm=RateAlarm("outcome", ("missed", "abandoned", "voicemail"),
                                          ("answered", "missed", "abandoned", "voicemail"),
                                          (("direction", "inbound"),), threshold=0.3, minimum=10),
                     runbook="Tell the merchant: its callback tasks are in the console's Calls tab. Many at once "
                             "across merchants: check Connect's queues and hours, and PhoneEventsHeld.")
PHONE_ANSWER_SECONDS = Metric("PhoneAnswerSeconds", "Seconds", ("source",), "phone",
                              "Seconds an answered caller waited for an agent, by source (connect, webhook)")
PHONE_EVENTS = Metric("PhoneEvents", "Count", ("source", "result"), "phone",
                      "Call events stored, by source (connect, webhook) and result (stored, duplicate)")
PHONE_EVENTS_HELD = Metric("PhoneEventsHeld", "Count", ("reason",), "phone",
                           "Call events kept back from every inbox, by reason (unknown number, license, malformed)")

SUPPORT_TARGETS = Metric("SupportTargets", "Count", ("target", "state"), "support",
                         "Support targets (first_response, resolution) breached, each recorded once, or approaching "
                         "their due time", alarm_on=(("state", "breached"),),
                         runbook="`./kefu support list` shows the request with BREACHED; answer it (`./kefu support "
                                 "reply`) and tell the licensee why; the breach stays recorded as evidence.")
SUPPORT_APPROACHING = Metric("SupportTargetsApproaching", "Count", ("target",), "support",
                             "Support targets (first_response, resolution) past 80 % of their business minutes, "
                             "announced once per request and target", alarm_on=(),
                             runbook="`./kefu support list` (or the console's Support tab with a staff key) shows "
                                     "the request and its due time; answer or resolve it before it is breached.")
SUPPORT_CALENDAR_MISSING = Metric("SupportCalendarMissing", "Count", ("year",), "support",
                                  "From 1 December: next year's support calendar is still provisional; import the "
                                  "State Council's schedule", alarm_on=(),
                                  runbook="Import next year's schedule: `./kefu calendar import YEAR FILE` "
                                          "(docs/support.md).")

# Clause 9: the evidence trail. A broken chain is an edited or deleted audit entry; the digest is the daily proof.
AUDIT_BROKEN_CHAINS = Metric("AuditBrokenChains", "Count", ("check",), "audit",
                             "Audit chains found broken (an entry edited, deleted or inserted), by check",
                             alarm_on=(),
                             runbook="`./kefu --stage STAGE audit verify` names each broken chain and its first "
                                     "broken link; compare with the locked daily digest and the table's backups, "
                                     "and treat it as a security incident (docs/evidence.md).")
AUDIT_DIGESTS = Metric("AuditDigests", "Count", ("result",), "audit",
                       "Daily digests of the audit chain heads written to the locked bucket",
                       heartbeat=Heartbeat((("result", "written"),), 26 * 3600),
                       runbook="No digest for a day: run `./kefu --stage STAGE jobs run audit-digest --date DAY`.")
# Clause 13.1: a notice SES could not deliver, or that its recipient reported as spam.
NOTICES_UNDELIVERED = Metric("NoticesUndelivered", "Count", ("kind", "event"), "notices",
                             "Notices SES reported bounced or complained about, by notice kind and event",
                             alarm_on=(),
                             runbook="`./kefu notices list LICENSEE` shows the notice as not_delivered with the "
                                     "bounce; fix the agreement's notice address (`./kefu agreements amend "
                                     "--notice-address`) and tell the licensee another way (docs/notices.md).")

CATALOGUE: tuple[Metric, ...] = (LICENSE_VALIDATIONS, LICENSE_CHANGES, HEALTH_CHECKS, MAIL_RECEIVED, MAIL_HELD,
                                 MAIL_SENT, MAIL_DELIVERY_EVENTS, BACKUPS, BILLING_INVOICES, BILLING_PAYMENTS,
                                 BILLING_NOTICES, BILLING_RUN_FAILURES, CHAT_CONVERSATIONS, CHAT_MESSAGES,
                                 CHAT_REFUSALS, API_ERRORS, REALTIME_PUSHES, PHONE_CALLS, PHONE_ANSWER_SECONDS,
                                 PHONE_EVENTS, PHONE_EVENTS_HELD, SUPPORT_TARGETS, SUPPORT_APPROACHING,
                                 SUPPORT_CALENDAR_MISSING, AUDIT_BROKEN_CHAINS, AUDIT_DIGESTS, NOTICES_UNDELIVERED)


def dimension_set(metric: Metric) -> tuple[str, ...]:
    """The one dimension set a metric is emitted with. CloudWatch keeps a metric per exact set of dimension
    names, and the dashboard's SEARCH and the alarms' queries name this set: an emitter that adds a dimension
    (Powertools adds `service` when POWERTOOLS_SERVICE_NAME is set) makes its metrics invisible to both."""
    return metric.dimensions


class MetricsSink(Protocol):
    def count(self, metric: Metric, value: float = 1, **dimensions: str) -> None: ...


class MemorySink:
    """Keeps what was emitted, for local mode and tests."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, float, dict[str, str]]] = []

    def count(self, metric: Metric, value: float = 1, **dimensions: str) -> None:
        _check(metric, dimensions)
        self.emitted.append((metric.name, value, dimensions))

    def total(self, name: str, **dimensions: str) -> float:
        return sum(v for n, v, d in self.emitted if n == name and all(d.get(k) == x for k, x in dimensions.items()))


def _check(metric: Metric, dimensions: dict[str, str]) -> None:
    if set(dimensions) != set(metric.dimensions):
        raise ValueError(f"{metric.name} takes dimensions {metric.dimensions}, got {sorted(dimensions)}")
