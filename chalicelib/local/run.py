"""`make run`: the whole system on loopback, in one process tree that Ctrl-C stops.

DynamoDB Local (data on disk under .data/), tables from the models, the demo, and the HTTP API served by
Chalice's local server with the `local` stage of .chalice/config.json."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from chalicelib.local import instance
from chalicelib.local.config import ROOT, stage_environment

_PORT_TAKEN = "port {port} is already in use, so {what} cannot start there; stop what holds it or pick another " \
              "port (make run {flag}=...)."


def _taken_ports(args: argparse.Namespace) -> list[str]:
    """One line per port that is not free, before anything starts."""
    from chalicelib.local.dynamodb import port_in_use

    wanted = [(args.api_port, "the API", "API_PORT"), (args.dynamodb_port, "DynamoDB Local", "DYNAMODB_PORT"),
              (args.smtp_port, "inbound SMTP", "SMTP_PORT"), (args.storefront_port, "the demo storefront",
                                                              "STOREFRONT_PORT")]
    lines, seen = [], set()
    for port, what, flag in wanted:
        if port in seen:
            lines.append(f"port {port} is given twice; {what} needs a port of its own (make run {flag}=...).")
        elif port_in_use(port):
            lines.append(_PORT_TAKEN.format(port=port, what=what, flag=flag))
        seen.add(port)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--dynamodb-port", type=int, default=8600)
    parser.add_argument("--storefront-port", type=int, default=8001, help="the demo storefront (widget origin)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".data")
    parser.add_argument("--smtp-port", type=int, default=2525, help="inbound SMTP (mail to support addresses)")
    parser.add_argument("--realtime-port", type=int, default=8002, help="push to widgets and consoles (WebSocket)")
    args = parser.parse_args(argv)
    args.storefront_origin = f"http://127.0.0.1:{args.storefront_port}"
    taken = _taken_ports(args)
    if taken:
        for line in taken:
            print(f"kefu: {line}", file=sys.stderr)
        return 1

    # The stage's settings go into the environment before any app code is imported, as on Lambda.
    os.environ.update(stage_environment("local"))
    os.environ["KEFU_DATA_DIR"] = str(args.data_dir)
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://127.0.0.1:{args.dynamodb_port}"
    os.environ["KEFU_SMTP_LISTEN"] = f"127.0.0.1:{args.smtp_port}"

    from chalicelib.local.dynamodb import DynamoDBLocal, DynamoDBLocalError

    database = DynamoDBLocal(args.dynamodb_port, data_dir=args.data_dir / "dynamodb")
    try:
        database.start()
    except DynamoDBLocalError as exc:
        print(f"kefu: {exc}", file=sys.stderr)
        return 1
    try:
        return _serve(args, database.endpoint)
    finally:
        database.stop()


def _serve(args: argparse.Namespace, endpoint: str) -> int:
    from chalice.config import Config

    from chalicelib import bootstrap
    from chalicelib.adapters.dynamodb import ensure_tables
    from chalicelib.local.demo import seed
    from chalicelib.local.dynamodb import port_in_use
    from chalicelib.local.http_server import create_server

    built = bootstrap.build()
    bootstrap.use(built)
    created = ensure_tables(built.tables)
    api = f"http://127.0.0.1:{args.api_port}"
    demo = seed(built, args.data_dir, api, args.storefront_origin)

    if port_in_use(args.api_port):  # taken while DynamoDB Local started
        print(f"kefu: {_PORT_TAKEN.format(port=args.api_port, what='the API', flag='API_PORT')}", file=sys.stderr)
        return 1
    # Ctrl-C from here on stops everything cleanly, even while the rest is still starting.
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)

    # What else local mode runs beside the API (each returns a line to print and a function that stops it).
    # Started before the API answers, so that once /v1/health does, demo.json is final and everything is up.
    from chalicelib.local.extras import EXTRAS

    started = [extra(built, args, demo) for extra in EXTRAS]
    (args.data_dir / "demo.json").write_text(json.dumps(demo, indent=2, ensure_ascii=False) + "\n")

    from app import app

    config = Config.create(chalice_stage="local", app_name="kefu", chalice_app=app)
    server = create_server(app, config, "127.0.0.1", args.api_port)
    thread = threading.Thread(target=server.serve_forever, name="api", daemon=True)
    thread.start()

    print("\nkefu is running locally:", flush=True)
    print(f"  API            {api}   (health: {api}/v1/health)")
    print(f"  DynamoDB Local {endpoint}   (data in {args.data_dir / 'dynamodb'})")
    if created:
        print(f"  tables created {', '.join(created)}")
    print(f"  demo merchant  {demo['merchant_id']}")
    print(f"  widget key     {demo['widget_key']}   (allowed origin {demo['allowed_origin']})")
    print(f"  agent key      {demo['agent_key']}")
    print(f"  written to     {args.data_dir / 'demo.json'}")
    for line, _ in started:
        print(f"  {line}")
    print("Staff commands: ./kefu --help.  Press Ctrl-C to stop everything.", flush=True)

    record = instance.write(instance.Instance(api=api, dynamodb=endpoint, smtp=built.settings.smtp_listen,
                                              storefront=args.storefront_origin, data_dir=str(args.data_dir),
                                              pid=os.getpid()))
    print(f"  instance       {record}   (./kefu acts on this instance)", flush=True)
    stop.wait()
    instance.clear(os.getpid())
    print("\nkefu: stopping.", flush=True)
    for _, stop_extra in reversed(started):
        stop_extra()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
