"""The demo storefront that `make run` serves: the snippet, on its own origin, named in the demo file."""

from __future__ import annotations

import argparse
import socket
import urllib.request

from chalicelib.chat.storefront import storefront_extra
from chalicelib.local.dynamodb import free_port


def test_make_run_serves_the_storefront_with_the_snippet_and_names_it_and_the_console() -> None:
    port = free_port()
    demo = {"api": "http://127.0.0.1:8000", "widget_key": "kf_pub_demo\"<key>"}
    line, stop = storefront_extra(None, argparse.Namespace(storefront_origin=f"http://127.0.0.1:{port}"), demo)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            page = response.read().decode()
    finally:
        stop()
    assert '<script src="http://127.0.0.1:8000/v1/widget.js?key=kf_pub_demo&quot;&lt;key&gt;" async>' in page
    assert demo["storefront"] == f"http://127.0.0.1:{port}" and demo["console"] == "http://127.0.0.1:8000/console"
    assert demo["storefront"] in line


def test_a_busy_storefront_port_does_not_stop_make_run() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        demo = {"api": "http://127.0.0.1:8000", "widget_key": "kf_pub_demo"}
        line, stop = storefront_extra(None, argparse.Namespace(storefront_origin=f"http://127.0.0.1:{busy}"), demo)
        stop()
    assert "not started" in line and demo["console"] == "http://127.0.0.1:8000/console"
