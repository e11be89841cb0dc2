"""`./kefu chat`: staff set a merchant's chat hours, retention and identity secret; every change is audited."""

from __future__ import annotations

import json

from chalicelib import bootstrap
from chalicelib.audit import store as audit_store
from chalicelib.chat.model import identity_hash
from chalicelib.cli import install_all
from tests.factories import Factory

cli = install_all()


def test_staff_set_hours_retention_and_an_identity_secret(kefu, factory: Factory,  # type: ignore[no-untyped-def]
                                                          services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    assert "mon 09:00-18:00" in kefu("chat", "hours", merchant.licensee_id, "mon-fri 09:00-18:00")
    assert "30 days" in kefu("chat", "retention", merchant.licensee_id, "30")
    secret = kefu("chat", "identity-secret", merchant.licensee_id).splitlines()[-1]
    assert secret.startswith("kf_idv_")
    services.chat._settings.clear()
    token = services.chat.identify(merchant.licensee_id, "c-1", identity_hash(secret, "c-1"))
    assert token.startswith("v1.")
    assert services.chat.retention(merchant.licensee_id).days == 30
    assert json.loads(kefu("chat", "handovers", merchant.licensee_id, "--json")) == []
    actions = [r.action for r in audit_store.history(f"chat:{merchant.licensee_id}")]
    assert actions == ["chat.hours_set", "chat.retention_set", "chat.identity_secret_rotated"]
    kefu("chat", "hours", merchant.licensee_id, "whenever", expect=2)


def test_an_unknown_merchant_is_refused(kefu) -> None:  # type: ignore[no-untyped-def]
    kefu("chat", "hours", "lic_nobody", "always", expect=2)


def test_staff_word_a_merchants_widget_per_language_and_choose_its_language(  # type: ignore[no-untyped-def]
        kefu, factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    assert "greeting, title" in kefu("chat", "texts", merchant.licensee_id, "zh-CN", "--title", "龙井茶庄客服",
                                     "--greeting", "欢迎光临！")
    services.chat._settings.clear()
    assert services.chat.widget_texts(merchant.licensee_id, "zh-CN")["title"] == "龙井茶庄客服"
    assert services.chat.widget_texts(merchant.licensee_id, "en")["title"] == "Chat with us"
    assert "widget language en" in kefu("chat", "language", merchant.licensee_id, "en")
    services.chat._settings.clear()
    assert services.chat.widget_locale(merchant.licensee_id, ["zh-CN"]) == "en"
    assert "from the browser" in kefu("chat", "language", merchant.licensee_id, "browser")
    kefu("chat", "language", merchant.licensee_id, "fr", expect=2)
    actions = [r.action for r in audit_store.history(f"chat:{merchant.licensee_id}")]
    assert actions == ["chat.texts_set", "chat.locale_set", "chat.locale_set"]
