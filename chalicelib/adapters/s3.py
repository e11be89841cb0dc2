"""Blobs in S3: the raw mail SES stores and the attachments kefu keeps. One client per process, made lazily."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from chalicelib.core.blobs import BlobNotFound

_clients: dict[str, Any] = {}


def client(region: str) -> Any:
    if region not in _clients:
        import boto3
        from botocore.config import Config

        # SigV4 presigned links: the only kind newer regions accept.
        _clients[region] = boto3.client("s3", region_name=region, config=Config(signature_version="s3v4"))
    return _clients[region]


class S3Blobs:
    def __init__(self, bucket: str, region: str) -> None:
        self.bucket = bucket
        self.region = region

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        client(self.region).put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                                       ServerSideEncryption="AES256")

    def get(self, key: str) -> bytes:
        s3 = client(self.region)
        try:
            response = s3.get_object(Bucket=self.bucket, Key=key)
        except s3.exceptions.NoSuchKey as exc:
            raise BlobNotFound(key) from exc
        return bytes(response["Body"].read())

    def link(self, key: str, filename: str, expires_seconds: int) -> str | None:
        # Always a download: a blob from a stranger's mail must never render as a page of our origin.
        disposition = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
        return str(client(self.region).generate_presigned_url(
            "get_object", ExpiresIn=expires_seconds,
            Params={"Bucket": self.bucket, "Key": key,
                    "ResponseContentDisposition": disposition,
                    "ResponseContentType": "application/octet-stream"}))

    def upload_link(self, key: str, content_type: str, max_bytes: int, expires_seconds: int) -> dict[str, Any] | None:
        # The policy pins the key, the size and the encryption: the browser can store this one object only.
        post = client(self.region).generate_presigned_post(
            Bucket=self.bucket, Key=key, ExpiresIn=expires_seconds,
            Fields={"Content-Type": content_type, "x-amz-server-side-encryption": "AES256"},
            Conditions=[["content-length-range", 1, max_bytes], {"Content-Type": content_type},
                        {"x-amz-server-side-encryption": "AES256"}])
        return {"method": "POST", "url": post["url"], "fields": post["fields"]}

    def view_link(self, key: str, content_type: str, filename: str, expires_seconds: int) -> str | None:
        # only types whose content was checked reach here; anything but an image is still a download
        kind = "inline" if content_type.startswith("image/") else "attachment"
        return str(client(self.region).generate_presigned_url(
            "get_object", ExpiresIn=expires_seconds,
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type,
                    "ResponseContentDisposition": f"{kind}; filename*=UTF-8''{quote(filename, safe='')}"}))

    def delete(self, key: str) -> bool:
        # The bucket is versioned: erasure removes every version, not only the current one (a delete marker
        # alone would leave the bytes behind).
        s3 = client(self.region)
        found = False
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=key):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if entry["Key"] == key:
                    s3.delete_object(Bucket=self.bucket, Key=key, VersionId=entry["VersionId"])
                    found = True
        return found

    def keys(self, prefix: str) -> Iterator[str]:
        for page in client(self.region).get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                yield str(entry["Key"])

    def check(self) -> None:
        """Health: the bucket exists and this function may list it (HeadBucket; raises otherwise)."""
        client(self.region).head_bucket(Bucket=self.bucket)
