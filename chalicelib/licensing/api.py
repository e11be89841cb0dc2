"""Licensing routes: validation for merchants' own integrations, and a merchant's view of its license."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.bootstrap import services
from chalicelib.core.http import body_fields, json_response
from chalicelib.licensing.guard import identify_agent, require_staff
from chalicelib.licensing.model import Channel

licensing_api = Blueprint(__name__)


@licensing_api.route("/v1/licenses/validate", methods=["POST"])
def validate_key() -> Response:
    """Always 200 for a well-formed request: `valid`, a `code`, and the license's status, end and channels."""
    fields = body_fields(licensing_api.current_request)
    key = fields.required_text("key", max_length=200)
    channel = Channel(fields.choice("channel", [c.value for c in Channel]) or "")
    fields.done()
    return json_response(services().licensing.validate(key, channel).public())


@licensing_api.route("/v1/license", methods=["GET"])
def own_license() -> Response:
    """The calling merchant's license as its agents' console shows it. Answers whatever the status, so
    that a suspended merchant can see why; only an unknown key is refused."""
    from chalicelib.licensing.views import key_dict

    validation = identify_agent(licensing_api.current_request, services().licensing, None)
    assert validation.key is not None
    return json_response({"licensee_id": validation.licensee_id, **validation.public(),
                          "key": key_dict(validation.key)})


@licensing_api.route("/v1/staff/me", methods=["GET"])
def staff_me() -> Response:
    """Who holds this licensor staff key: the console signs staff in to the licensor's workspace with it."""
    staff = require_staff(licensing_api.current_request, services().licensing)
    return json_response({"key_id": staff.key_id, "name": staff.agent_name, "email": staff.agent_email,
                          "role": "staff", "timezone": services().settings.timezone.key})
