"""`./kefu`: licensor staff's command line. Each area adds its commands to the root group."""

from __future__ import annotations

import importlib
import os
from typing import Any

import click

from chalicelib.core.cli import cli

AREAS = ("chalicelib.licensing.cli", "chalicelib.operations.cli", "chalicelib.billing.cli", "chalicelib.jobs_cli",
         "chalicelib.chat.cli", "chalicelib.mail.cli")


def stage_services(stage: str) -> Any:
    """The services of a stage, with its settings read from .chalice/config.json exactly as Chalice gives them
    to the Lambda functions (variables already set win)."""
    from chalicelib.local.config import stage_environment

    for name, value in stage_environment(stage).items():
        os.environ.setdefault(name, value)
    from chalicelib import bootstrap

    built = bootstrap.build()
    bootstrap.use(built)
    return built


def install_all() -> click.Group:
    """The root group with every area's commands (imported here, not at start-up of the API), building the
    chosen stage's services when a command first needs them."""
    for area in AREAS:
        importlib.import_module(area).install(cli)
    cli.context_settings["obj"] = stage_services
    return cli


def main() -> None:
    install_all()(prog_name="kefu")


if __name__ == "__main__":
    main()
