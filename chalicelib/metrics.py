"""The catalogue of what kefu measures. Code emits only names from here; the dashboards and alarms in
`infra/` are built from it, and a test keeps the two honest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

NAMESPACE = "kefu"


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    dimensions: tuple[str, ...]
    area: str
    description: str
    # Alarm when the metric, with these dimension values, counts anything in a 5-minute period (infra/).
    alarm_on: tuple[tuple[str, str], ...] | None = None


LICENSE_VALIDATIONS = Metric("LicenseValidations", "Count", ("code",), "licensing",
                             "Key validations, by outcome code")
LICENSE_CHANGES = Metric("LicenseChanges", "Count", ("action",), "licensing",
                         "Agreement, license and key changes, by action")
HEALTH_CHECKS = Metric("HealthChecks", "Count", ("component", "result"), "operations",
                       "Health checks of the API's dependencies, by component and result",
                       alarm_on=(("result", "failed"),))

MAIL_RECEIVED = Metric("MailReceived", "Count", ("outcome",), "mail",
                       "Inbound mails per merchant delivery, by outcome: delivered, duplicate, quarantined, held")
MAIL_HELD = Metric("MailHeld", "Count", ("reason",), "mail",
                   "Inbound mails kept back from agents (quarantined or undeliverable), by reason")
MAIL_SENT = Metric("MailSent", "Count", ("kind", "result"), "mail",
                   "Replies and acknowledgements: sent, failed, or withheld by the acknowledgement rules")
MAIL_DELIVERY_EVENTS = Metric("MailDeliveryEvents", "Count", ("kind", "matched"), "mail",
                              "SES bounce and complaint notifications, and whether they matched a sent mail")

BACKUPS = Metric("Backups", "Count", ("result",), "operations",
                 "Table backups by result: created, failed, expired (deleted past the retention window)",
                 alarm_on=(("result", "failed"),))

BILLING_INVOICES = Metric("InvoicesIssued", "Count", ("kind",), "billing",
                          "Invoices issued, by kind (regular, late_fee, settlement)")
BILLING_PAYMENTS = Metric("PaymentsRecorded", "Count", ("method",), "billing", "Payments recorded by staff, by method")
BILLING_NOTICES = Metric("NoticesSent", "Count", ("kind", "delivery"), "billing",
                         "Notices to licensees (clause 13.1), by kind and delivery outcome")
BILLING_RUN_FAILURES = Metric("BillingRunFailures", "Count", ("job",), "billing",
                              "Accounts a scheduled billing, overdue or renewal run could not process")

CHAT_CONVERSATIONS = Metric("ChatConversations", "Count", ("outcome",), "chat",
                            "Conversations started, by outcome: assigned, unassigned, handed_over")
CHAT_MESSAGES = Metric("ChatMessages", "Count", ("author",), "chat", "Chat messages accepted, by author")
CHAT_REFUSALS = Metric("ChatRefusals", "Count", ("code",), "chat",
                       "Chat requests refused by a limit, by code (rate limits, origins)")

SUPPORT_TARGETS = Metric("SupportTargets", "Count", ("target", "state"), "support",
                         "Support targets (first_response, resolution) breached, each recorded once, or approaching "
                         "their due time", alarm_on=(("state", "breached"),))
SUPPORT_CALENDAR_MISSING = Metric("SupportCalendarMissing", "Count", (), "support",
                                  "From 1 December: next year's support calendar is still provisional; import the "
                                  "State Council's schedule", alarm_on=())

CATALOGUE: tuple[Metric, ...] = (LICENSE_VALIDATIONS, LICENSE_CHANGES, HEALTH_CHECKS, MAIL_RECEIVED, MAIL_HELD,
                                 MAIL_SENT, MAIL_DELIVERY_EVENTS, BACKUPS, BILLING_INVOICES, BILLING_PAYMENTS,
                                 BILLING_NOTICES, BILLING_RUN_FAILURES, CHAT_CONVERSATIONS, CHAT_MESSAGES,
                                 CHAT_REFUSALS, SUPPORT_TARGETS, SUPPORT_CALENDAR_MISSING)


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
