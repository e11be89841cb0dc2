"""`./kefu`: licensor staff's command line. Each area adds its commands to the root group."""

from __future__ import annotations

from chalicelib.core.cli import cli


def main() -> None:
    from chalicelib.licensing import cli as licensing_cli

    licensing_cli.install(cli)
    from chalicelib.operations import cli as operations_cli

    operations_cli.install(cli)
    from chalicelib import jobs_cli
    from chalicelib.billing import cli as billing_cli

    billing_cli.install(cli)
    jobs_cli.install(cli)
    from chalicelib.chat import cli as chat_cli

    chat_cli.install(cli)
    cli(prog_name="kefu")


if __name__ == "__main__":
    main()
