"""`./kefu`, as licensor staff use it: the same services as the API, against DynamoDB Local."""

from __future__ import annotations

import getpass
import json
import os
import subprocess

import click
import pytest
from click.testing import CliRunner

from chalicelib.cli import install_all
from chalicelib.local.config import ROOT

cli = install_all()


def party(name: str) -> list[str]:
    return ["--full-name", f"{name} Co., Ltd.", "--short-name", name, "--address", "9 Test Road",
            "--contact", "Zhao Liu", "--phone", "+86 10 1111 2222"]


def test_staff_take_a_licensee_from_signing_to_termination(kefu) -> None:  # type: ignore[no-untyped-def]
    licensee_id = json.loads(kefu("licensees", "create", *party("Cli Shop"), "--json"))["licensee_id"]
    signed = json.loads(kefu("agreements", "sign", licensee_id, "--signed-on", "2026-01-01", "--years", "1",
                             "--place", "Hangzhou", "--signatory", "licensor:Li Wei:Director",
                             "--signatory", "licensee:Zhao Liu", "--channels", "chat,email", "--seats", "1",
                             "--notice-address", "n@cli.example", "--json"))
    assert signed["status"] == "ACTIVE" and signed["ends_on"] == "2026-12-31"
    agent = json.loads(kefu("keys", "issue-agent", licensee_id, "--name", "A", "--email", "a@cli.example", "--json"))
    assert agent["key"].startswith("kf_agent_") and agent["role"] == "agent"
    refused = kefu("keys", "issue-agent", licensee_id, "--name", "B", "--email", "b@cli.example", expect=2)
    assert "SEAT_LIMIT" in refused
    listed = json.loads(kefu("keys", "list", licensee_id, "--json"))
    assert [k["key_id"] for k in listed] == [agent["key_id"]] and "key" not in listed[0]
    assert json.loads(kefu("licenses", "validate", agent["key"], "--channel", "phone", "--json"))["code"] \
        == "CHANNEL_NOT_LICENSED"
    kefu("licenses", "amend", licensee_id, "--effective", "2026-03-01", "--channels", "chat,email,phone",
         "--note", "adds phone")
    kefu("licenses", "extend", licensee_id, "--years", "1")
    kefu("licenses", "suspend", licensee_id, "--reason", "late payment")
    kefu("licenses", "reinstate", licensee_id, "--reason", "paid")
    kefu("keys", "revoke", licensee_id, agent["key_id"])
    shown = json.loads(kefu("licenses", "show", licensee_id, "--json"))
    assert shown["ends_on"] == "2027-12-31" and [a["version"] for a in shown["amendments"]] == [1, 2]
    history = json.loads(kefu("licenses", "history", licensee_id, "--json"))
    # Each change the licensee is told of is followed by its notice (clause 13.1), sent by the system.
    assert [h["action"] for h in history] == [
        "licensee.created", "agreement.signed", "key.issued", "agreement.amended", "notice.amendment",
        "license.extended", "notice.extension", "license.suspend", "notice.suspension", "license.reinstate",
        "notice.reinstatement", "key.revoked"]
    # Clause 9: the actor is who called (the login locally), and --actor only a note beside it.
    login = f"os:{getpass.getuser()}"
    assert all(h["actor"] == f"{login} (staff:test)" for h in history if not h["action"].startswith("notice."))


def test_mistakes_get_one_readable_line_and_exit_code_2(kefu) -> None:  # type: ignore[no-untyped-def]
    out = kefu("licenses", "show", "lic_nobody", expect=2)
    assert out.strip() == "error UNKNOWN_LICENSEE: No licensee lic_nobody."


def test_every_command_has_help() -> None:
    runner = CliRunner()

    def walk(group: click.Group, path: list[str]) -> int:
        seen = 0
        for name, command in group.commands.items():
            result = runner.invoke(cli, [*path, name, "--help"])
            assert result.exit_code == 0 and "Usage:" in result.output, [*path, name]
            seen += 1 + (walk(command, [*path, name]) if isinstance(command, click.Group) else 0)
        return seen

    assert walk(cli, []) > 40
    assert {"licenses", "keys", "billing", "invoices", "jobs", "backups", "chat", "mail"} <= set(cli.commands)


def test_the_kefu_script_at_the_root_runs_the_cli(test_env: dict[str, str]) -> None:
    env = {**os.environ, **test_env}
    result = subprocess.run([str(ROOT / "kefu"), "licensees", "list", "--json"], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)


def test_the_cli_says_when_the_local_database_is_not_running(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.local.dynamodb import free_port

    env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{free_port()}",
           "KEFU_TABLE_LICENSING": "kefu-nowhere"}
    result = subprocess.run([str(ROOT / "kefu"), "licensees", "list"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2
    assert "DATABASE_UNREACHABLE" in result.stderr and "make run" in result.stderr


def test_staff_give_a_merchant_a_support_address(kefu, factory) -> None:  # type: ignore[no-untyped-def]
    licensee_id = factory.licensee()
    added = json.loads(kefu("mail", "addresses", "add", licensee_id, "shop-help", "--json"))
    assert added["address"].startswith("shop-help@")
    assert json.loads(kefu("mail", "addresses", "list", licensee_id, "--json")) == [added["address"]]
    assert "INVALID_ADDRESS" in kefu("mail", "addresses", "add", licensee_id, "no spaces allowed", expect=2)
    assert isinstance(json.loads(kefu("mail", "held", "--json")), list)


def test_staff_release_held_mail_once_and_clear_an_undeliverable_address(kefu, services, factory) -> None:  # type: ignore[no-untyped-def]
    from chalicelib.mail.model import DeliveryEvent, Verdicts
    from tests.mail_helpers import deliver, mail_merchant, raw_mail

    owner, address = mail_merchant(services, factory)
    deliver(services, raw_mail("anna@example.org", address), [address], Verdicts(spam="FAIL", virus="PASS"))
    held = json.loads(kefu("mail", "held", "--licensee", owner.licensee_id, "--json"))
    assert held[0]["reason"] == "spam" and held[0]["ses_id"] in kefu("mail", "held", "--licensee", owner.licensee_id)
    released = json.loads(kefu("mail", "release", owner.licensee_id, held[0]["ses_id"], "--json"))
    assert released["result"] == "released"
    assert "nothing delivered" in kefu("mail", "release", owner.licensee_id, held[0]["ses_id"])
    assert "UNKNOWN_HELD_MAIL" in kefu("mail", "release", owner.licensee_id, "sesnosuch", expect=2)

    services.mail.record_delivery_event(DeliveryEvent("bounce", "p-cli", ("anna@example.org",), True, "Permanent",
                                                      {"licensee": owner.licensee_id}))
    assert "may be sent again" in kefu("mail", "undeliverable", "clear", owner.licensee_id, "anna@example.org")
    assert "NOT_UNDELIVERABLE" in kefu("mail", "undeliverable", "clear", owner.licensee_id, "anna@example.org",
                                       expect=2)


def test_staff_issue_a_merchants_administrator_key_with_role_admin(kefu) -> None:  # type: ignore[no-untyped-def]
    licensee_id = json.loads(kefu("licensees", "create", *party("Role Shop"), "--json"))["licensee_id"]
    kefu("agreements", "sign", licensee_id, "--signed-on", "2026-01-01", "--years", "1", "--place", "Hangzhou",
         "--signatory", "licensor:Li Wei", "--signatory", "licensee:Zhao Liu", "--channels", "chat",
         "--seats", "2", "--notice-address", "n@cli.example")
    admin = json.loads(kefu("keys", "issue-agent", licensee_id, "--name", "Boss", "--email", "boss@cli.example",
                            "--role", "admin", "--json"))
    assert admin["role"] == "admin"
    assert "admin" in kefu("keys", "list", licensee_id)
    assert "Invalid value for '--role'" in kefu("keys", "issue-agent", licensee_id, "--name", "X", "--email",
                                                "x@cli.example", "--role", "owner", expect=2)


def test_staff_write_older_licenses_addresses_for_the_support_desk_and_may_run_it_again(  # type: ignore[no-untyped-def]
        kefu, services, factory) -> None:
    from chalicelib.licensing.store import LicensingItem

    licensee_id = factory.merchant().licensee_id
    address = f"desk-{licensee_id.replace('_', '-')}@shop.example"
    services.licensing.issue_agent_key(licensee_id, "Zhang", address, "test")
    for item in LicensingItem.query(f"ADDRESS#{address}"):
        item.delete()  # as written before the version that keeps addresses
    assert services.licensing.licensees_at(address) == set()
    first = json.loads(kefu("licensees", "index-addresses", "--json"))
    assert first["licensees"] >= 1 and first["addresses"] >= 2
    assert services.licensing.licensees_at(address) == {licensee_id}
    assert "addresses of" in kefu("licensees", "index-addresses")
    assert services.licensing.licensees_at(address) == {licensee_id}
