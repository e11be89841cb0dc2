"""Posting to WebSocket connections through the API Gateway Management API. One client per endpoint and
process, made lazily. A connection that has gone (the browser closed, the network dropped) answers
GoneException; the caller forgets it."""

from __future__ import annotations

from typing import Any

_clients: dict[tuple[str, str], Any] = {}


class Gone(Exception):
    """The connection is closed: nothing will ever reach it again."""


def client(endpoint: str, region: str) -> Any:
    if (endpoint, region) not in _clients:
        import boto3

        _clients[(endpoint, region)] = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint,
                                                    region_name=region)
    return _clients[(endpoint, region)]


class ManagementApi:
    """`endpoint`: https://<api id>.execute-api.<region>.amazonaws.com/<stage> of the WebSocket API."""

    def __init__(self, endpoint: str, region: str) -> None:
        self.endpoint = endpoint
        self.region = region

    def post(self, connection_id: str, data: bytes) -> None:
        api = client(self.endpoint, self.region)
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=data)
        except api.exceptions.GoneException as exc:
            raise Gone(connection_id) from exc

