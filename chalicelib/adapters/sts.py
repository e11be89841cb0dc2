"""Who is calling, as AWS knows it (STS GetCallerIdentity): the actor of a staff command on an AWS stage.
One client per process, made lazily."""

from __future__ import annotations

from typing import Any

_clients: dict[str, Any] = {}


def client(region: str) -> Any:
    if region not in _clients:
        import boto3

        _clients[region] = boto3.client("sts", region_name=region)
    return _clients[region]


def caller_arn(region: str) -> str:
    """The ARN of the credentials in use (an assumed role's session names the person behind it)."""
    return str(client(region).get_caller_identity()["Arn"])
