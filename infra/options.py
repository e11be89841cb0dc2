"""What differs between stages on AWS beyond the code's settings: infra/stages.json, read and checked here.

- log_retention_days: how long CloudWatch keeps every function's and the API's logs (a value CloudWatch takes);
- alarm_subscribers: who the alarm topic notifies, each `{"protocol": "email"|"https", "endpoint": ...}`
  (an email address confirms by the link SNS sends; an HTTPS endpoint, e.g. a pager's, confirms by the
  SubscribeURL SNS posts to it);
- api_throttle: the API stage's steady rate per second and burst, for every method;
- api_latency_p95_ms: the p95 latency above which the API's latency alarm rings;
- waf: null, or rate limits per 5 minutes per client IP and per widget key (a WAFv2 web ACL on the stage);
- domain: null, or `{"name": "api.example.com", "certificate_arn": "arn:aws:acm:..."}`: a regional custom
  domain whose root maps to the stage, so that public URLs read https://api.example.com/v1/... once;
- reserved_concurrency: per function (Chalice's name), the concurrency reserved and never exceeded, so that a
  runaway function (a mail flood, a stuck job) cannot starve the API. Reserving needs an account whose
  concurrency quota leaves at least 100 unreserved (new accounts start lower: ask for a quota increase).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STAGES_FILE = Path(__file__).resolve().parent / "stages.json"
# The values CloudWatch Logs accepts for a retention.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class OptionsError(ValueError):
    pass


@dataclass(frozen=True)
class Subscriber:
    protocol: str  # email | https
    endpoint: str


@dataclass(frozen=True)
class Waf:
    per_ip_per_5_minutes: int
    per_widget_key_per_5_minutes: int


@dataclass(frozen=True)
class Domain:
    name: str
    certificate_arn: str


@dataclass(frozen=True)
class StageOptions:
    log_retention_days: int
    alarm_subscribers: tuple[Subscriber, ...] = ()
    api_rate_per_second: int = 50
    api_burst: int = 100
    api_latency_p95_ms: int = 3000
    waf: Waf | None = None
    domain: Domain | None = None
    reserved_concurrency: dict[str, int] = field(default_factory=dict)


def parse(stage: str, raw: dict[str, Any]) -> StageOptions:
    """A stage's options from their JSON, with an error that names the stage and the field."""
    def fail(message: str) -> OptionsError:
        return OptionsError(f"infra/stages.json, stage {stage}: {message}")

    retention = raw.get("log_retention_days")
    if retention not in RETENTION_DAYS:
        raise fail(f"log_retention_days must be one of {RETENTION_DAYS}, not {retention!r}")
    subscribers = []
    for entry in raw.get("alarm_subscribers") or []:
        protocol, endpoint = str(entry.get("protocol", "")), str(entry.get("endpoint", ""))
        valid = {"email": bool(_EMAIL.match(endpoint)), "https": endpoint.startswith("https://")}
        if not valid.get(protocol):
            raise fail(f"an alarm subscriber is an email address or an https:// URL, not {entry!r}")
        subscribers.append(Subscriber(protocol, endpoint))
    throttle = raw.get("api_throttle") or {}
    waf = raw.get("waf")
    domain = raw.get("domain")
    if domain is not None and not (domain.get("name") and str(domain.get("certificate_arn", "")).startswith("arn:")):
        raise fail("domain needs a name and the certificate_arn of an ACM certificate in the stage's region")
    concurrency = {str(k): int(v) for k, v in (raw.get("reserved_concurrency") or {}).items()}
    if any(v < 1 for v in concurrency.values()):
        raise fail("reserved_concurrency values are at least 1 (0 would stop the function)")
    return StageOptions(
        log_retention_days=int(retention), alarm_subscribers=tuple(subscribers),
        api_rate_per_second=int(throttle.get("rate_per_second", 50)), api_burst=int(throttle.get("burst", 100)),
        api_latency_p95_ms=int(raw.get("api_latency_p95_ms", 3000)),
        waf=Waf(int(waf["per_ip_per_5_minutes"]), int(waf["per_widget_key_per_5_minutes"])) if waf else None,
        domain=Domain(str(domain["name"]), str(domain["certificate_arn"])) if domain else None,
        reserved_concurrency=concurrency)


def options(stage: str, path: Path | None = None) -> StageOptions:
    """The stage's options from infra/stages.json (or the file KEFU_STAGES_FILE names, e.g. a test's)."""
    path = path or Path(os.environ.get("KEFU_STAGES_FILE") or STAGES_FILE)
    stages = json.loads(path.read_text())
    if stage not in stages:
        raise OptionsError(f"infra/stages.json has no stage {stage!r} (have: {', '.join(stages)})")
    return parse(stage, stages[stage])
