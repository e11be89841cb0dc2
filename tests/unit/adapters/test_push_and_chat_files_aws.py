"""The AWS sides of push and chat files, against moto: the Management API adapter posts to a connection and
turns GoneException into `Gone`; the S3 blob store signs a browser's POST for one key, one size range and one
type, and links a checked picture to be shown inline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from unittest import mock

import pytest

REGION = "ap-southeast-1"


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws

    from chalicelib.adapters import apigateway, s3

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    with mock_aws():
        apigateway._clients.clear()
        s3._clients.clear()
        yield
    apigateway._clients.clear()
    s3._clients.clear()
    for key, value in saved.items():
        if value is not None:
            os.environ[key] = value


def test_a_post_reaches_the_connection_and_a_gone_one_says_so(aws: None) -> None:
    from botocore.exceptions import ClientError

    from chalicelib.adapters.apigateway import Gone, ManagementApi, client

    api = ManagementApi("https://abc123.execute-api.ap-southeast-1.amazonaws.com/v1", REGION)
    with mock.patch.object(client(api.endpoint, REGION), "post_to_connection") as post:
        api.post("conn-1=", b'{"type":"status"}')
    post.assert_called_once_with(ConnectionId="conn-1=", Data=b'{"type":"status"}')
    gone = client(api.endpoint, REGION).exceptions.GoneException(
        {"Error": {"Code": "GoneException", "Message": "gone"}}, "PostToConnection")
    assert isinstance(gone, ClientError)
    with mock.patch.object(client(api.endpoint, REGION), "post_to_connection", side_effect=gone), \
            pytest.raises(Gone):
        api.post("conn-2=", b"{}")


def test_a_browser_may_post_one_file_of_limited_size_and_a_picture_is_linked_inline(aws: None) -> None:
    import boto3

    from chalicelib.adapters.s3 import S3Blobs

    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="kefu-test-mail", CreateBucketConfiguration={"LocationConstraint": REGION})
    blobs = S3Blobs("kefu-test-mail", REGION)
    link = blobs.upload_link("chat/lic_1/cnv_1/up_1", "application/octet-stream", 5 * 1024 * 1024, 600)
    assert link is not None and link["method"] == "POST"
    assert link["fields"]["key"] == "chat/lic_1/cnv_1/up_1"
    assert link["fields"]["Content-Type"] == "application/octet-stream"
    import base64
    import json

    policy = json.loads(base64.b64decode(link["fields"]["policy"]))
    assert ["content-length-range", 1, 5 * 1024 * 1024] in policy["conditions"]
    view = blobs.view_link("chat/lic_1/cnv_1/up_1", "image/png", "茶叶.png", 3600)
    assert view is not None and "response-content-type=image%2Fpng" in view
    assert "response-content-disposition=inline" in view
    document = blobs.view_link("chat/lic_1/cnv_1/up_2", "application/pdf", "a.pdf", 3600)
    assert document is not None and "response-content-disposition=attachment" in document
