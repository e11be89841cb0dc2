"""`./kefu`: licensor staff's command line. Each area adds its commands to the root group."""

from __future__ import annotations

import importlib

import click

from chalicelib.core.cli import cli

AREAS = ("chalicelib.licensing.cli", "chalicelib.operations.cli", "chalicelib.billing.cli", "chalicelib.jobs_cli",
         "chalicelib.chat.cli", "chalicelib.mail.cli", "chalicelib.support.cli",
         "chalicelib.training.cli")


def install_all() -> click.Group:
    """The root group with every area's commands (imported here, not at start-up of the API)."""
    for area in AREAS:
        importlib.import_module(area).install(cli)
    return cli


def main() -> None:
    from chalicelib.core.observability import log_to_stderr

    log_to_stderr()
    install_all()(prog_name="kefu")


if __name__ == "__main__":
    main()
