"""Routes of a merchant's administrators (`/v1/admin/*`): an agent key with the admin role, and only that.
The merchant is the key's; an id of another merchant's agent is simply not found."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.admin.model import MAX_ACKNOWLEDGEMENT, MAX_WIDGET_TEXT, WIDGET_TEXTS, SettingsChange, agent_dict
from chalicelib.bootstrap import services
from chalicelib.core.errors import InvalidInput
from chalicelib.core.http import body_fields, json_response, script_response
from chalicelib.core.validation import Fields
from chalicelib.licensing.guard import Principal, require_admin
from chalicelib.licensing.model import Role

if TYPE_CHECKING:  # the service (and PynamoDB under it) loads on first use, not at import (cold start)
    from chalicelib.admin.service import AdminService

admin_api = Blueprint(__name__)
STATIC = Path(__file__).parent / "static"


def _admin() -> tuple[Principal, AdminService]:
    from chalicelib.admin.service import AdminService

    built = services()
    principal = require_admin(admin_api.current_request, built.licensing)
    return principal, AdminService(built.licensing, built.chat, built.mail)


@admin_api.route("/v1/admin/agents", methods=["GET"])
def list_agents() -> Response:
    """The shop's agents (never their keys) and the seats the license gives."""
    principal, admin = _admin()
    return json_response(admin.team(principal.licensee_id))


@admin_api.route("/v1/admin/agents", methods=["POST"])
def add_agent() -> Response:
    """`{"name", "email", "role"?}` → 201 with the new key, shown this once."""
    principal, admin = _admin()
    fields = body_fields(admin_api.current_request)
    name = fields.required_text("name", max_length=100)
    email = fields.email("email") or ""
    role = Role(fields.choice("role", [r.value for r in Role], required=False) or Role.AGENT.value)
    fields.done()
    issued = admin.add_agent(principal.licensee_id, principal.key, name, email, role)
    return json_response({**agent_dict(issued.key), "key": issued.secret}, 201)


@admin_api.route("/v1/admin/agents/{agent_id}", methods=["DELETE"])
def remove_agent(agent_id: str) -> Response:
    """Revoke an agent's key; it stops working at once and its seat is free."""
    principal, admin = _admin()
    return json_response(agent_dict(admin.remove_agent(principal.licensee_id, principal.key, agent_id[:64])))


@admin_api.route("/v1/admin/settings", methods=["GET"])
def get_settings() -> Response:
    principal, admin = _admin()
    return json_response(admin.settings(principal.licensee_id))


@admin_api.route("/v1/admin/settings", methods=["PUT"])
def put_settings() -> Response:
    """Any of `timezone`, `chat_hours`, `widget_texts` {locale: {greeting, offline}}, `acknowledge`,
    `acknowledgement_texts` {locale: text}; what is left out stays as it is. An empty text restores the
    default."""
    principal, admin = _admin()
    fields = body_fields(admin_api.current_request)
    change = SettingsChange(
        timezone=fields.text("timezone", max_length=64, required=False),
        hours=fields.text("chat_hours", max_length=500, required=False, min_length=0),
        widget_texts=_per_language(fields, "widget_texts", lambda f, name: {
            key: _text(f, key, MAX_WIDGET_TEXT) for key in WIDGET_TEXTS if key in f.names()}),
        acknowledge=fields.boolean("acknowledge", required=False),
        acknowledgement_texts=_flat_per_language(fields, "acknowledgement_texts", MAX_ACKNOWLEDGEMENT))
    fields.done()
    return json_response(admin.update_settings(principal.licensee_id, principal.key, change))


@admin_api.route("/v1/admin/held-mail", methods=["GET"])
def held_mail() -> Response:
    """Mail kept back from the shop's agents, with the reason, and whether an admin may release it."""
    principal, admin = _admin()
    return json_response({"items": admin.held_mail(principal.licensee_id), "next": None})


@admin_api.route("/v1/admin/held-mail/{ses_id}/release", methods=["POST"])
def release_held_mail(ses_id: str) -> Response:
    """Deliver a held mail to the agents after all, where the rules allow (409 NOT_RELEASABLE otherwise)."""
    principal, admin = _admin()
    return json_response(admin.release(principal.licensee_id, principal.key, ses_id[:200]))


@cache
def _script() -> str:
    return (STATIC / "admin.js").read_text(encoding="utf-8")


@admin_api.route("/console-admin.js", methods=["GET"])
def console_script() -> Response:
    """The console's Admin tab, added through the console's tab hook (shown to admins only)."""
    return script_response(_script())


def _text(fields: Fields, name: str, max_length: int) -> str:
    return fields.text(name, max_length=max_length, required=False, min_length=0) or ""


def _per_language(fields: Fields, name: str, read: Any) -> dict[str, dict[str, str]] | None:
    nested = fields.nested(name, required=False)
    if nested is None:
        return None
    out: dict[str, dict[str, str]] = {}
    for locale in nested.names():
        inner = nested.nested(locale)
        assert inner is not None
        out[locale] = read(inner, locale)
        inner.done()
    nested.done()
    return out


def _flat_per_language(fields: Fields, name: str, max_length: int) -> dict[str, str] | None:
    nested = fields.nested(name, required=False)
    if nested is None:
        return None
    out = {locale: _text(nested, locale, max_length) for locale in nested.names()}
    nested.done()
    if len(out) > 20:
        raise InvalidInput(f"'{name}' has too many languages.", code="TOO_MANY_ITEMS", details={"field": name})
    return out
