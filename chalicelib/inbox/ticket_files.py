"""Agents' files on email replies: room for one file on a ticket, its bytes stored (S3 through a presigned POST
on AWS, the API locally), then carried by the reply through the one mailer and kept with the message in the
thread, behind the same signed links as customers' attachments. The limits are chat's: 5 MB a file, pictures
(PNG, JPEG, GIF, WebP) and PDF only, recognised by their bytes; at most MAX_PER_REPLY files on one reply, and
room for at most UPLOADS_PER_TICKET files on one ticket over its life (taken when the room is given, as chat's
quota is: a link nobody used counts too), so that one key cannot fill the blob store through one ticket."""

from __future__ import annotations

import hmac
from typing import Any

from chalicelib.chat import model as chat_model
from chalicelib.chat.agent_files import LINK_SECONDS, _sized, checked_file
from chalicelib.chat.service import ChatService
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.ids import new_id
from chalicelib.mail.parsing import Attachment
from chalicelib.mail.service import MailService
from chalicelib.resources import CHAT_FILES_PREFIX

MAX_PER_REPLY = 5
# Ten replies' worth of files: a long thread of invoices and photos fits, and one ticket holds at most
# 50 x 5 MB of agents' files (chat's is 10 a conversation: a chat is one sitting, a ticket lasts).
UPLOADS_PER_TICKET = 50


def _key(licensee_id: str, ticket_id: str, upload_id: str) -> str:
    # under the prefix the API's role may write (agents' and shoppers' files), one folder per ticket
    return f"{CHAT_FILES_PREFIX}{licensee_id}/{ticket_id}/{upload_id}"


class TicketFiles:
    def __init__(self, mail: MailService, chat: ChatService) -> None:
        self.mail, self.chat = mail, chat

    def _ticket(self, licensee_id: str, ticket_id: str) -> None:
        if self.mail.store.ticket(licensee_id, ticket_id) is None:
            raise NotFound("No such ticket.", code="UNKNOWN_TICKET")

    def upload(self, licensee_id: str, ticket_id: str, size: int) -> dict[str, Any]:
        """Room for one file of `size` bytes on one of the shop's tickets: where the console sends it. The
        ticket's quota is taken first, in one conditional write (no read before it, so concurrent requests can
        never pass it); only a refusal reads, to tell an unknown ticket from a full one."""
        _sized(size)
        if not self.mail.store.take_upload(licensee_id, ticket_id, UPLOADS_PER_TICKET):
            self._ticket(licensee_id, ticket_id)
            raise Conflict(f"A ticket holds at most {UPLOADS_PER_TICKET} files.", code="UPLOAD_QUOTA",
                           details={"quota": UPLOADS_PER_TICKET})
        upload_id = new_id("up")
        key = _key(licensee_id, ticket_id, upload_id)
        link = self.mail.blobs.upload_link(key, "application/octet-stream", chat_model.UPLOAD_MAX_BYTES, LINK_SECONDS)
        if link is None:  # local mode: through the API, signed so that only this upload may be stored
            link = {"method": "PUT", "url": f"/v1/agent/tickets/{ticket_id}/uploads/{upload_id}"
                                            f"?sig={self.chat._file_signature(licensee_id, key, 0)}", "fields": {}}
        return {"upload_id": upload_id, "upload": link, "max_bytes": chat_model.UPLOAD_MAX_BYTES}

    def store(self, licensee_id: str, ticket_id: str, upload_id: str, sig: str, data: bytes) -> None:
        """Local mode's stand-in for S3's presigned POST."""
        self._ticket(licensee_id, ticket_id)
        key = _key(licensee_id, ticket_id, upload_id)
        if not chat_model.is_upload_id(upload_id) or \
                not hmac.compare_digest(sig, self.chat._file_signature(licensee_id, key, 0)):
            raise NotFound("No such upload.", code="UPLOAD_MISSING")
        _sized(len(data))
        self.mail.blobs.put(key, data, "application/octet-stream")

    def parts(self, licensee_id: str, ticket_id: str,
              uploads: list[tuple[str, str]]) -> tuple[tuple[Attachment, bytes], ...]:
        """The stored uploads `(upload_id, name)` as a reply's attachments, each checked on its bytes."""
        self._ticket(licensee_id, ticket_id)
        if len(uploads) > MAX_PER_REPLY:
            raise InvalidInput(f"At most {MAX_PER_REPLY} files on one reply.", code="TOO_MANY_FILES",
                               details={"max_items": MAX_PER_REPLY})
        out: list[tuple[Attachment, bytes]] = []
        for upload_id, name in uploads:
            if not chat_model.is_upload_id(upload_id):
                raise InvalidInput("No such upload.", code="UPLOAD_MISSING")
            key = _key(licensee_id, ticket_id, upload_id)
            shown, kind, data = checked_file(self.mail.blobs, key, name)
            out.append((Attachment(shown, kind, len(data), blob_key=key), data))
        return tuple(out)
