"""The demo storefront of `make run`: a static page on its own origin (http://127.0.0.1:8001) with the widget
snippet in it, so the widget is seen as a merchant's shoppers see it, loaded across origins from the API."""

from __future__ import annotations

import argparse
import html
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo Tea House</title>
<style>body{{font:16px/1.5 Georgia,serif;max-width:760px;margin:40px auto;padding:0 16px;color:#3b2f2f}}
h1{{color:#6b3e26}} button, input {{font-size:20px}} .product{{border:1px solid #d8c3a5;padding:16px;margin:12px 0}}
/* a storefront's own rules must not reach the widget */ * {{ color: #a0522d !important; }}</style>
</head><body>
<h1>Demo Tea House</h1>
<p>Longjing, Biluochun and Tieguanyin from the hills around Hangzhou. Questions? Use the chat at the bottom right.</p>
<div class="product"><h2>Longjing 2026, 200 g</h2><p>¥ 268.00</p></div>
<div class="product"><h2>Tieguanyin, 250 g</h2><p>¥ 198.00</p></div>
<script src="{api}/v1/widget.js?key={key}" async></script>
</body></html>
"""


def page(api: str, widget_key: str) -> bytes:
    return PAGE.format(api=html.escape(api, quote=True), key=html.escape(widget_key, quote=True)).encode()


class _Handler(BaseHTTPRequestHandler):
    body = b""
    api = ""

    @staticmethod
    def push() -> str:
        """The push socket's address, read per request (none unless `serve` is told one)."""
        return ""

    def do_GET(self) -> None:
        if urlsplit(self.path).path not in ("/", "/index.html"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in security(self.api, self.push()).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def security(api: str, push: str = "") -> dict[str, str]:
    """The headers a merchant's page should send with the widget on it: scripts and calls to the API only, and
    the widget's push socket (its own address: API Gateway's WebSocket API, or the loopback server locally)."""
    from chalicelib.core.http import PAGE_HEADERS

    socket = " ".join(dict.fromkeys(filter(None, (api.replace("http", "ws", 1), push))))
    return {**PAGE_HEADERS, "Content-Security-Policy": (
        f"default-src 'self'; script-src {api}; connect-src {api} {socket}; style-src 'unsafe-inline' {api}; "
        f"img-src 'self' data: {api}; font-src {api}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")}


def serve(host: str, port: int, api: str, widget_key: str, push: Callable[[], str] = lambda: "",
          ) -> tuple[ThreadingHTTPServer, Callable[[], None]]:
    """Serve the page in a thread; returns the server and a function that stops it. `push` gives the push
    socket's address when the page is asked for (push may start after the page)."""
    handler = type("StorefrontHandler", (_Handler,), {"body": page(api, widget_key), "api": api,
                                                      "push": staticmethod(push)})
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, name="storefront", daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
    return server, stop


def storefront_extra(built: Any, args: argparse.Namespace, demo: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    """`make run`: the demo storefront on the allowed origin, and the console's address in the demo file."""
    origin = urlsplit(args.storefront_origin)
    demo["storefront"] = args.storefront_origin
    demo["console"] = f"{demo['api']}/console"
    try:
        _, stop = serve(origin.hostname or "127.0.0.1", origin.port or 8001, demo["api"], demo["widget_key"],
                        lambda: str(demo.get("realtime") or ""))
    except OSError as exc:  # the port is taken: the rest of the system still runs
        return (f"storefront     not started: {args.storefront_origin} is not free ({exc.strerror}); "
                f"the console is at {demo['console']}", lambda: None)
    return (f"storefront     {args.storefront_origin}   (the chat widget; agents answer at {demo['console']})",
            stop)
