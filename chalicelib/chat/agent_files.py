"""Agents' files in chat: the way shoppers' files work (chalicelib/chat/service.py `upload`, `store_upload`,
`send_file`), for an agent of the shop: room for one file counted against the conversation's quota, its bytes
stored (S3 through a presigned POST on AWS, the API locally), then sent as the agent's message once its content
is an allowed type, checked on the bytes. The same limits, the same signed links; any conversation of the
agent's own shop, no other."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from chalice.app import Request

from chalicelib.chat import model
from chalicelib.chat.files import _file_key
from chalicelib.chat.model import Author, Message
from chalicelib.chat.service import ChatService, _not_found
from chalicelib.core.blobs import BlobNotFound, BlobStore
from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.core.http import body_fields
from chalicelib.core.ids import new_id
from chalicelib.licensing.model import KeyRecord

LINK_SECONDS = 600  # an upload link lives ten minutes


def _too_large() -> InvalidInput:
    megabytes = model.UPLOAD_MAX_BYTES // (1024 * 1024)
    return InvalidInput(f"A file may be at most {megabytes} MB.", code="FILE_TOO_LARGE",
                        details={"max_mb": megabytes})


def _sized(size: int) -> None:
    if size < 1:
        raise InvalidInput("The file is empty.", code="EMPTY_FILE")
    if size > model.UPLOAD_MAX_BYTES:
        raise _too_large()


def upload_size(request: Request) -> int:
    """`{"size"}` of a request for room (an empty file is refused in words of its own, by `_sized`)."""
    fields = body_fields(request)
    size = fields.integer("size", minimum=0, maximum=1 << 40)
    fields.done()
    assert size is not None
    return size


def upload_bytes(request: Request) -> tuple[str, bytes]:
    """The link's signature and the bytes of a local upload's PUT."""
    query: Mapping[str, str] = request.query_params or {}
    body = request.raw_body
    return query.get("sig", ""), body if isinstance(body, bytes) else body.encode()


def checked_file(blobs: BlobStore, key: str, name: str) -> tuple[str, str, bytes]:
    """An agent's stored upload as it may be sent: (the name shown, its type recognised on the bytes, the
    bytes); refused when it never arrived, is too large, or is not a picture or a PDF."""
    try:
        data = blobs.get(key)
    except BlobNotFound as exc:
        raise InvalidInput("The file has not arrived; send it again.", code="UPLOAD_MISSING") from exc
    if len(data) > model.UPLOAD_MAX_BYTES:
        raise _too_large()
    kind = model.sniff(data)
    if kind is None:
        raise InvalidInput("Only pictures (PNG, JPEG, GIF, WebP) and PDF files can be sent.",
                           code="UNSUPPORTED_FILE")
    return model.file_name(name), kind, data


class AgentFiles:
    def __init__(self, chat: ChatService) -> None:
        self.chat = chat

    def upload(self, licensee_id: str, conversation_id: str, size: int) -> dict[str, Any]:
        """Room for one file of `size` bytes in one of the shop's conversations: where the console sends it."""
        self.chat._current(licensee_id, conversation_id)  # the shop's own, else CONVERSATION_NOT_FOUND
        if self.chat.blobs is None:
            raise _not_found()
        _sized(size)
        if not self.chat.store.take_upload(licensee_id, conversation_id, model.UPLOADS_PER_CONVERSATION):
            raise Conflict(f"A conversation holds at most {model.UPLOADS_PER_CONVERSATION} files.",
                           code="UPLOAD_QUOTA", details={"quota": model.UPLOADS_PER_CONVERSATION})
        upload_id = new_id("up")
        key = _file_key(licensee_id, conversation_id, upload_id)
        link = self.chat.blobs.upload_link(key, "application/octet-stream", model.UPLOAD_MAX_BYTES, LINK_SECONDS)
        if link is None:  # local mode: through the API, signed so that only this upload may be stored
            link = {"method": "PUT", "url": f"/v1/agent/conversations/{conversation_id}/uploads/{upload_id}"
                                            f"?sig={self.chat._file_signature(licensee_id, key, 0)}", "fields": {}}
        return {"upload_id": upload_id, "upload": link, "max_bytes": model.UPLOAD_MAX_BYTES}

    def store(self, licensee_id: str, conversation_id: str, upload_id: str, sig: str, data: bytes) -> None:
        """Local mode's stand-in for S3's presigned POST: the bytes of one upload `upload` handed out."""
        self.chat._current(licensee_id, conversation_id)
        key = _file_key(licensee_id, conversation_id, upload_id)
        if self.chat.blobs is None or not model.is_upload_id(upload_id) or \
                not hmac.compare_digest(sig, self.chat._file_signature(licensee_id, key, 0)):
            raise _not_found()
        _sized(len(data))
        self.chat.blobs.put(key, data, "application/octet-stream")

    def send(self, licensee_id: str, agent: KeyRecord, conversation_id: str, upload_id: str, name: str,
             client_id: str | None) -> Message:
        """The stored upload as the agent's message (pushed to the shopper like any reply); in a conversation
        handed over to email it goes out on the ticket's thread too, attached or as a link (once)."""
        current = self.chat._current(licensee_id, conversation_id)
        if self.chat.blobs is None or not model.is_upload_id(upload_id):
            raise InvalidInput("No such upload.", code="UPLOAD_MISSING")
        key = _file_key(licensee_id, conversation_id, upload_id)
        shown, kind, data = checked_file(self.chat.blobs, key, name)
        message = self.chat._send(licensee_id, conversation_id, Author.AGENT, shown, client_id,
                                  agent_name=agent.agent_name,
                                  attachment=model.Attachment(key, shown, kind, len(data)))
        self.chat.mail_on_ticket(licensee_id, conversation_id, message, f"agent:{agent.key_id}", current)
        return message
