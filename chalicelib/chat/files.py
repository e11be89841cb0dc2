"""Files in chat: a shopper's upload (a presigned link on AWS, the API locally), the sniffed type checked on the
bytes before a file becomes a message, and links to view it. Part of ChatService (chalicelib/chat/service.py)."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from chalicelib.chat import model
from chalicelib.chat.model import Author, Conversation, Message, conversation_not_found
from chalicelib.chat.tokens import Visitor
from chalicelib.core.blobs import BlobNotFound, BlobStore
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.ids import new_id
from chalicelib.resources import CHAT_FILES_PREFIX

if TYPE_CHECKING:
    from chalicelib.chat.model import ChatSettings
    from chalicelib.chat.store import ChatStore

FILE_LINK_SECONDS = 3600


class Files:
    store: ChatStore
    clock: Clock
    blobs: BlobStore | None

    if TYPE_CHECKING:
        def chat_settings(self, licensee_id: str) -> ChatSettings: ...

        def _current(self, licensee_id: str, conversation_id: str) -> Conversation: ...

        def _send(self, licensee_id: str, conversation_id: str, author: Author, text: str, client_id: str | None, *,
                  visitor: Visitor | None = None, agent_name: str = "",
                  attachment: model.Attachment | None = None) -> Message: ...


    def upload(self, licensee_id: str, visitor: Visitor, conversation_id: str, size: int) -> dict[str, Any]:
        """Room for one file of `size` bytes in a conversation: where the browser stores it (S3 directly, or
        the API locally). Counted against the conversation's quota now, so a flood of links is refused."""
        current = self._current(licensee_id, conversation_id)
        if current.visitor_id != visitor.visitor_id or self.blobs is None:
            raise conversation_not_found()
        if size < 1:
            raise InvalidInput("The file is empty.", code="EMPTY_FILE")
        if size > model.UPLOAD_MAX_BYTES:
            raise InvalidInput(f"A file may be at most {model.UPLOAD_MAX_BYTES // (1024 * 1024)} MB.",
                               code="FILE_TOO_LARGE", details={"max_mb": model.UPLOAD_MAX_BYTES // (1024 * 1024)})
        if not self.store.take_upload(licensee_id, conversation_id, model.UPLOADS_PER_CONVERSATION):
            raise Conflict(f"A conversation holds at most {model.UPLOADS_PER_CONVERSATION} files.",
                           code="UPLOAD_QUOTA", details={"quota": model.UPLOADS_PER_CONVERSATION})
        upload_id = new_id("up")
        key = _file_key(licensee_id, conversation_id, upload_id)
        link = self.blobs.upload_link(key, "application/octet-stream", model.UPLOAD_MAX_BYTES, 600)
        if link is None:  # local mode: through the API, signed so that only this upload may be stored
            link = {"method": "PUT", "url": f"/v1/widget/conversations/{conversation_id}/uploads/{upload_id}"
                                            f"?sig={self._file_signature(licensee_id, key, 0)}", "fields": {}}
        return {"upload_id": upload_id, "upload": link, "max_bytes": model.UPLOAD_MAX_BYTES}

    def store_upload(self, licensee_id: str, visitor: Visitor, conversation_id: str, upload_id: str, sig: str,
                     data: bytes) -> None:
        """Local mode's stand-in for S3's presigned POST: the bytes of one upload the service handed out."""
        key = _file_key(licensee_id, conversation_id, upload_id)
        current = self._current(licensee_id, conversation_id)
        if current.visitor_id != visitor.visitor_id or self.blobs is None or \
                not hmac.compare_digest(sig, self._file_signature(licensee_id, key, 0)):
            raise conversation_not_found()
        if not data:
            raise InvalidInput("The file is empty.", code="EMPTY_FILE")
        if len(data) > model.UPLOAD_MAX_BYTES:
            raise InvalidInput(f"A file may be at most {model.UPLOAD_MAX_BYTES // (1024 * 1024)} MB.",
                               code="FILE_TOO_LARGE", details={"max_mb": model.UPLOAD_MAX_BYTES // (1024 * 1024)})
        self.blobs.put(key, data, "application/octet-stream")

    def send_file(self, licensee_id: str, visitor: Visitor, conversation_id: str, upload_id: str, name: str,
                  client_id: str | None) -> Message:
        """The stored upload becomes a message, if its content is an allowed type (checked on the bytes). The
        conversation must be the visitor's before any stored byte is read, and the upload an id `upload` gave."""
        current = self._current(licensee_id, conversation_id)
        if current.visitor_id != visitor.visitor_id:
            raise conversation_not_found()
        if self.blobs is None or not model.is_upload_id(upload_id):
            raise InvalidInput("No such upload.", code="UPLOAD_MISSING")
        key = _file_key(licensee_id, conversation_id, upload_id)
        try:
            data = self.blobs.get(key)
        except BlobNotFound as exc:
            raise InvalidInput("The file has not arrived; send it again.", code="UPLOAD_MISSING") from exc
        if len(data) > model.UPLOAD_MAX_BYTES:
            raise InvalidInput(f"A file may be at most {model.UPLOAD_MAX_BYTES // (1024 * 1024)} MB.",
                               code="FILE_TOO_LARGE", details={"max_mb": model.UPLOAD_MAX_BYTES // (1024 * 1024)})
        kind = model.sniff(data)
        if kind is None:
            raise InvalidInput("Only pictures (PNG, JPEG, GIF, WebP) and PDF files can be sent.",
                               code="UNSUPPORTED_FILE")
        shown = model.file_name(name)
        return self._send(licensee_id, conversation_id, Author.VISITOR, shown, client_id, visitor=visitor,
                          attachment=model.Attachment(key, shown, kind, len(data)))

    def file_dict(self, licensee_id: str, attachment: model.Attachment) -> dict[str, Any]:
        """A message's file as clients see it, with a link that works for an hour."""
        expires = int(self.clock.now().timestamp()) + FILE_LINK_SECONDS
        url = self.blobs.view_link(attachment.key, attachment.content_type, attachment.name, FILE_LINK_SECONDS) \
            if self.blobs is not None else None
        if url is None:
            url = (f"/v1/widget/files/{attachment.key.split('/', 2)[2]}?m={licensee_id}&exp={expires}"
                   f"&sig={self._file_signature(licensee_id, attachment.key, expires)}")
        return {"name": attachment.name, "type": attachment.content_type, "size": attachment.size,
                "image": model.is_image(attachment.content_type), "url": url}

    def file(self, licensee_id: str, path: str, expires: int, sig: str) -> tuple[bytes, str]:
        """The bytes and type behind a link `file_dict` signed (local mode), while it is valid."""
        key = f"{CHAT_FILES_PREFIX}{licensee_id}/{path}"
        if expires < self.clock.now().timestamp() or self.blobs is None or \
                not hmac.compare_digest(sig, self._file_signature(licensee_id, key, expires)):
            raise NotFound("This link has expired or is not valid.", code="LINK_EXPIRED")
        try:
            data = self.blobs.get(key)
        except (BlobNotFound, ValueError) as exc:
            raise NotFound("This link has expired or is not valid.", code="LINK_EXPIRED") from exc
        kind = model.sniff(data)
        if kind is None:
            raise NotFound("This link has expired or is not valid.", code="LINK_EXPIRED")
        return data, kind

    def _file_signature(self, licensee_id: str, key: str, expires: int) -> str:
        secret = self.chat_settings(licensee_id).token_secret.encode()
        return hmac.new(secret, f"file:{key}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def _file_key(licensee_id: str, conversation_id: str, upload_id: str) -> str:
    return f"{CHAT_FILES_PREFIX}{licensee_id}/{conversation_id}/{upload_id}"
