"""Files on agents' email replies: `POST /v1/agent/tickets/{id}/uploads` and, locally, the bytes' PUT; the reply
itself names them (`POST /v1/agent/tickets/{id}/replies` with `attachments`)."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.bootstrap import services
from chalicelib.chat.agent_files import upload_bytes, upload_size
from chalicelib.core.http import json_response
from chalicelib.inbox.api import inbox_api
from chalicelib.licensing.guard import Principal, require_agent
from chalicelib.licensing.model import Channel


def ticket_files() -> Any:
    from chalicelib.inbox.ticket_files import TicketFiles

    built = services()
    return TicketFiles(built.mail, built.chat)


def _agent() -> Principal:
    return require_agent(inbox_api.current_request, services().licensing, Channel.EMAIL)


@inbox_api.route("/v1/agent/tickets/{ticket_id}/uploads", methods=["POST"])
def ticket_upload(ticket_id: str) -> Response:
    """`{"size"}` → 201 `{upload_id, upload: {method, url, fields}, max_bytes}`."""
    principal = _agent()
    size = upload_size(inbox_api.current_request)
    return json_response(ticket_files().upload(principal.licensee_id, ticket_id, size), 201)


@inbox_api.route("/v1/agent/tickets/{ticket_id}/uploads/{upload_id}", methods=["PUT"],
                 content_types=["application/octet-stream"])
def ticket_upload_bytes(ticket_id: str, upload_id: str) -> Response:
    """Local mode only (on AWS the console posts to S3): the bytes of an upload, as its link signed them."""
    principal = _agent()
    ticket_files().store(principal.licensee_id, ticket_id, upload_id, *upload_bytes(inbox_api.current_request))
    return Response(body="", status_code=204)
