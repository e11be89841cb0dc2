"""What `make run` starts beside DynamoDB Local and the API, one entry per area.

Each entry is called with (services, the runner's arguments, the demo dict, which it may extend before
`.data/demo.json` is rewritten by the runner) and returns (a line to print, a function that stops it)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from chalicelib.bootstrap import Services

Extra = Callable[[Services, argparse.Namespace, dict[str, Any]], tuple[str, Callable[[], None]]]



def _mail(services: Services, args: argparse.Namespace, demo: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    from chalicelib.local.smtp_ingress import smtp_extra

    return smtp_extra(services, args, demo)


def _scheduler(services: Services, args: argparse.Namespace, demo: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    from chalicelib.local.scheduler import start_scheduler

    return start_scheduler(services, args, demo)


def _chat_storefront(built: Services, args: argparse.Namespace, demo: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    from chalicelib.chat.storefront import storefront_extra

    return storefront_extra(built, args, demo)


def _realtime(built: Services, args: argparse.Namespace, demo: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    from chalicelib.local.websocket import realtime_extra

    return realtime_extra(built, args, demo)


def _ops(built: Services, args: argparse.Namespace, demo: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    from chalicelib.local.ops import ops_extra

    return ops_extra(built, args, demo)


def _phone(built: Services, args: argparse.Namespace, demo: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    """Phone needs no server locally: `./kefu phone simulate` sends Connect's events through the handler."""
    from chalicelib.local.demo import phone_number

    demo["phone_number"] = phone_number(built, demo["merchant_id"])
    return (f"phone          {demo['phone_number']}   (./kefu phone simulate {demo['merchant_id']} "
            "--from +8613800138000 --answered-after 8 --duration 60)", lambda: None)


EXTRAS: tuple[Extra, ...] = (_mail, _scheduler, _chat_storefront, _realtime, _ops, _phone)
