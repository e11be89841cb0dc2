"""What every area's staff commands share: the root group, the stage, the actor, output and errors.

`./kefu` calls the same services as the API (not HTTP).

The stage comes from `--stage` (default `local`, the DynamoDB Local that `make run` starts); its settings
are read from .chalice/config.json exactly as Chalice gives them to the Lambda functions."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What a command is given: the stage, the actor, and the stage's services, built on first use by the
    function the root command line installs (`chalicelib.cli`), so that this module builds nothing itself."""

    def __init__(self, stage: str, note: str | None, build: Callable[[str], Any] | None = None) -> None:
        self.stage = stage
        self.note = note
        self._build = build
        self._services: Any = None
        self._actor: str | None = None

    @property
    def actor(self) -> str:
        """Who is calling, as the stage knows it (clause 9: the caller's AWS identity, or the login locally),
        with what `--actor` says as a note beside it; asked once per command."""
        if self._actor is None:
            self._actor = str(self.services.caller(self.note))
        return self._actor

    @property
    def services(self) -> Any:
        if self._services is None:
            if self._build is None:
                raise click.UsageError("No services for this command line; run it as ./kefu.")
            self._services = self._build(self.stage)
        return self._services


pass_ctx = click.make_pass_decorator(Context)


def out(data: Any, as_json: bool, human: Callable[[Any], str]) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str) if as_json else human(data))


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")(f)


class KefuGroup(click.Group):
    """Turns kefu's errors and an unreachable database into one readable line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        from botocore.exceptions import EndpointConnectionError

        from chalicelib.core.errors import KefuError

        try:
            return super().invoke(ctx)
        except KefuError as exc:
            click.echo(f"error {exc.code}: {exc.message}", err=True)
            sys.exit(2)
        except EndpointConnectionError as exc:
            click.echo(f"error DATABASE_UNREACHABLE: cannot reach DynamoDB at {exc.kwargs.get('endpoint_url')}. "
                       "For the local stage, start it with `make run`.", err=True)
            sys.exit(2)
        except Exception as exc:
            if type(exc).__name__ in ("PutError", "QueryError", "GetError", "TransactWriteError", "TableError"):
                cause = exc.__cause__ or exc
                if "Could not connect" in str(cause) or "EndpointConnectionError" in repr(cause):
                    click.echo("error DATABASE_UNREACHABLE: cannot reach DynamoDB. For the local stage, start it "
                               "with `make run`.", err=True)
                    sys.exit(2)
            raise


@click.group(cls=KefuGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--stage", default="local", show_default=True, help="Stage of .chalice/config.json to act on.")
@click.option("--actor", default=None, help="A note beside who is acting in the audit trail (who is acting is "
              "the caller's AWS identity on AWS stages, the login locally).")
@click.pass_context
def cli(ctx: click.Context, stage: str, actor: str | None) -> None:
    """kefu staff commands: licensees, agreements, licenses and keys."""
    ctx.obj = Context(stage, actor, ctx.obj)  # ctx.obj: how to build services


def parse_day(_: click.Context, __: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM-DD") from exc


def parse_instant(_: click.Context, __: click.Parameter, value: str | None) -> datetime | None:
    """An ISO time that says its offset (2026-09-30T17:00+08:00): a time without one is ambiguous."""
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use an ISO time with offset, e.g. 2026-09-30T17:00+08:00") from exc
    if instant.tzinfo is None:
        raise click.BadParameter("give the offset, e.g. 2026-09-30T17:00+08:00")
    return instant
