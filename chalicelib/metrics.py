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


LICENSE_VALIDATIONS = Metric("LicenseValidations", "Count", ("code",), "licensing",
                             "Key validations, by outcome code")
LICENSE_CHANGES = Metric("LicenseChanges", "Count", ("action",), "licensing",
                         "Agreement, license and key changes, by action")
HEALTH_CHECKS = Metric("HealthChecks", "Count", ("component", "result"), "operations",
                       "Health checks of the API's dependencies, by component and result")

CHAT_CONVERSATIONS = Metric("ChatConversations", "Count", ("outcome",), "chat",
                            "Conversations started, by outcome: assigned, unassigned, handed_over")
CHAT_MESSAGES = Metric("ChatMessages", "Count", ("author",), "chat", "Chat messages accepted, by author")
CHAT_REFUSALS = Metric("ChatRefusals", "Count", ("code",), "chat",
                       "Chat requests refused by a limit, by code (rate limits, origins)")

CATALOGUE: tuple[Metric, ...] = (LICENSE_VALIDATIONS, LICENSE_CHANGES, HEALTH_CHECKS)
CATALOGUE += (CHAT_CONVERSATIONS, CHAT_MESSAGES, CHAT_REFUSALS)


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
