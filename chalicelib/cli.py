"""`./kefu`: licensor staff's command line. Each area adds its commands to the root group."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from chalicelib.core.cli import cli

AREAS = ("chalicelib.licensing.cli", "chalicelib.operations.cli", "chalicelib.billing.cli", "chalicelib.jobs_cli",
         "chalicelib.chat.cli", "chalicelib.mail.cli", "chalicelib.phone.cli", "chalicelib.support.cli",
         "chalicelib.training.cli", "chalicelib.audit.cli", "chalicelib.notices.cli", "chalicelib.privacy.cli")


def stage_services(stage: str) -> Any:
    """The services of a stage, with its settings read from .chalice/config.json exactly as Chalice gives them
    to the Lambda functions (variables already set win)."""
    from chalicelib.local.config import stage_environment

    for name, value in {**stage_environment(stage), **_instance(stage)}.items():
        os.environ.setdefault(name, value)
    from chalicelib import bootstrap

    built = bootstrap.build()
    bootstrap.use(built)
    return built


def _instance(stage: str) -> dict[str, str]:
    """On the local stage, the endpoints and data folder of the `make run` that is running (whatever its
    ports), unless the environment names a database itself."""
    if stage != "local" or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        return {}
    from chalicelib.local import instance

    running = instance.running()
    if running is None:
        click.echo(f"error NO_LOCAL_INSTANCE: no local kefu is running ({instance.path().name} records none); "
                   "start one with `make run`, or name a stage with --stage.", err=True)
        sys.exit(2)
    return running.environment()


def install_all() -> click.Group:
    """The root group with every area's commands (imported here, not at start-up of the API), building the
    chosen stage's services when a command first needs them."""
    for area in AREAS:
        importlib.import_module(area).install(cli)
    cli.context_settings["obj"] = stage_services
    return cli


def main() -> None:
    from chalicelib.core.observability import log_to_stderr

    log_to_stderr()
    install_all()(prog_name="kefu")


if __name__ == "__main__":
    main()
