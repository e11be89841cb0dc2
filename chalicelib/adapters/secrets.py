"""Secrets Manager: the secrets that sign reply+<token> addresses. One client per process, made lazily; the
value is read once per process (cold start) on first use and kept for the life of the process.

The secret's value is a comma-separated list, newest first, the same shape as KEFU_REPLY_SECRET: the first
signs, all verify. That is what makes rotation possible without breaking the reply addresses already sitting
in customers' mailboxes (docs/email.md, "Rotating the reply secret")."""

from __future__ import annotations

from typing import Any

_clients: dict[str, Any] = {}


def client(region: str) -> Any:
    if region not in _clients:
        import boto3

        _clients[region] = boto3.client("secretsmanager", region_name=region)
    return _clients[region]


def parse_secret_list(value: str) -> tuple[bytes, ...]:
    """`new,old` -> (b"new", b"old"); blanks and surrounding spaces ignored."""
    return tuple(s.strip().encode() for s in value.split(",") if s.strip())


class SecretList:
    """A list of secrets, newest first, read from Secrets Manager on first use."""

    def __init__(self, secret_id: str, region: str) -> None:
        self.secret_id = secret_id
        self.region = region
        self._values: tuple[bytes, ...] | None = None

    def __call__(self) -> tuple[bytes, ...]:
        if self._values is None:
            response = client(self.region).get_secret_value(SecretId=self.secret_id)
            values = parse_secret_list(str(response.get("SecretString") or ""))
            if not values:
                raise RuntimeError("The reply secret in Secrets Manager is empty: reply addresses cannot be signed")
            self._values = values
        return self._values
