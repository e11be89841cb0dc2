"""One blob store interface for raw mail and attachments: S3 on AWS, a folder in local mode."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol


class BlobNotFound(KeyError):
    """No blob under that key."""


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store `data` under `key`, replacing what was there (writes are idempotent by key)."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`, or BlobNotFound."""
        ...

    def link(self, key: str, filename: str, expires_seconds: int) -> str | None:
        """A URL a browser can fetch the blob from for a while (S3 presigned), or None when the API must
        stream it itself."""
        ...

    def upload_link(self, key: str, content_type: str, max_bytes: int, expires_seconds: int) -> dict[str, Any] | None:
        """How a browser may store one blob under `key` itself for a while, at most `max_bytes` (S3: a presigned
        POST, `{"method", "url", "fields"}`), or None when it must send the bytes through the API."""
        ...

    def view_link(self, key: str, content_type: str, filename: str, expires_seconds: int) -> str | None:
        """Like `link`, but served as `content_type` and shown inline when it is an image."""
        ...

    def delete(self, key: str) -> bool:
        """Remove the blob under `key` (every version of it, where the store keeps versions); False when there
        was none. Erasure (clause 7.2) and retention call this; deleting twice is harmless."""
        ...

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under `prefix`, in key order (erasure of a conversation's files, retention, tests)."""
        ...
