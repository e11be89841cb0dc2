"""Notices on DynamoDB Local (clause 13.1): every kind recorded once with time, content and delivery status at the
agreement's notice address; licensing's changes told by themselves; a bounce or complaint marks a notice not
delivered, once, and alerts staff."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from chalicelib import bootstrap, i18n
from chalicelib.audit import store as audit_store
from chalicelib.core.mailer import Delivery
from chalicelib.mail.handler import on_delivery_events
from chalicelib.metrics import MemorySink
from chalicelib.notices.model import NoticeKind
from tests.factories import Factory


def _params(kind: NoticeKind) -> dict[str, str]:
    """A value for every placeholder of the kind's texts, in every language."""
    names: set[str] = set()
    for locale in i18n.locales():
        for key, template in i18n.catalogue("notices", locale).items():
            if key.startswith(f"{kind.value}."):
                names |= i18n.placeholders(template)
    return {name: f"<{name}>" for name in names}


# Invoices and late fees go out as the invoice is issued (tests/integration/billing); every other kind here.
@pytest.mark.parametrize("kind", [k for k in NoticeKind if k not in (NoticeKind.INVOICE, NoticeKind.LATE_FEE)])
def test_every_kind_of_notice_is_recorded_once_with_its_content_and_delivery(services: bootstrap.Services,
                                                                             factory: Factory,
                                                                             kind: NoticeKind) -> None:
    merchant = factory.merchant()
    variant = "staff" if kind in (NoticeKind.SUSPENSION, NoticeKind.REINSTATEMENT) else ""
    variant = "overdue" if kind is NoticeKind.REMINDER else variant
    assert services.notices.notify(merchant.licensee_id, kind, f"{kind.value}#one", _params(kind), variant=variant)
    # The same business key again (a retried job, a redelivered event) records and sends nothing more.
    assert not services.notices.notify(merchant.licensee_id, kind, f"{kind.value}#one", _params(kind),
                                       variant=variant)
    [notice] = [n for n in services.billing.notices(merchant.licensee_id) if n.key == f"{kind.value}#one"]
    assert notice.kind is kind and notice.recipient == "notices@shop.example"
    assert notice.delivery is Delivery.SENT and notice.sent_at is not None and notice.created_at is not None
    assert " / " in notice.subject and "——————" in notice.text  # zh-CN first, English beneath
    history = [r for r in audit_store.history(f"licensee:{merchant.licensee_id}") if r.action == f"notice.{kind}"]
    assert len(history) == 1 and history[0].details == {"key": f"{kind.value}#one"}


def test_licensing_changes_by_staff_are_told_to_the_licensee_once_each(services: bootstrap.Services,
                                                                       factory: Factory) -> None:
    merchant = factory.merchant()
    lic = merchant.licensee_id
    services.licensing.extend(lic, 1, "staff:test")
    services.licensing.amend(lic, date(2026, 7, 1), "staff:test", seats=5)
    services.licensing.suspend(lic, "abuse report", "staff:test")
    services.licensing.reinstate(lic, "resolved", "staff:test")
    services.licensing.terminate(lic, date(2026, 9, 30), "by notice", "staff:test")
    kinds = sorted(n.kind.value for n in services.billing.notices(lic))  # one clock instant: order by name
    assert kinds == ["amendment", "extension", "reinstatement", "suspension", "termination"]
    suspension = next(n for n in services.billing.notices(lic) if n.kind is NoticeKind.SUSPENSION)
    assert "abuse report" in suspension.text and "暂停" in suspension.subject
    termination = next(n for n in services.billing.notices(lic) if n.kind is NoticeKind.TERMINATION)
    assert "2026-09-30" in termination.subject


def test_billings_own_suspension_sends_one_notice_not_two(services: bootstrap.Services, factory: Factory) -> None:
    merchant = factory.merchant()
    services.licensing.ensure_suspended(merchant.licensee_id, "late payment (clause 8)", "system:billing")
    assert services.billing.notices(merchant.licensee_id) == []  # billing sends its own, with the amount


def test_a_maintenance_window_is_announced_to_every_licensee_in_force_once(services: bootstrap.Services,
                                                                          factory: Factory) -> None:
    first, second = factory.merchant(), factory.merchant()
    starts, ends = datetime(2026, 6, 20, 14, 0, tzinfo=UTC), datetime(2026, 6, 20, 16, 0, tzinfo=UTC)
    done = services.notices.announce_maintenance(starts, ends, "数据库升级 / database upgrade",
                                                 [first.licensee_id, second.licensee_id])
    assert set(done.notified) == {first.licensee_id, second.licensee_id}
    again = services.notices.announce_maintenance(starts, ends, "数据库升级 / database upgrade",
                                                  [first.licensee_id, second.licensee_id])
    assert again.notified == () and set(again.already) == {first.licensee_id, second.licensee_id}
    [notice] = services.billing.notices(first.licensee_id)
    assert notice.kind is NoticeKind.MAINTENANCE and "2026-06-20 22:00" in notice.subject


def _bounce(notice_provider_id: str, licensee_id: str, kind: str = "Bounce") -> dict[str, object]:
    body: dict[str, object] = {"notificationType": kind,
                               "mail": {"messageId": notice_provider_id,
                                        "tags": {"licensee": [licensee_id], "kind": ["invoice"], "area": ["notice"]}}}
    if kind == "Bounce":
        body["bounce"] = {"bounceType": "Permanent", "bounceSubType": "General",
                          "bouncedRecipients": [{"emailAddress": "notices@shop.example"}]}
    else:
        body["complaint"] = {"complainedRecipients": [{"emailAddress": "notices@shop.example"}],
                             "complaintFeedbackType": "abuse"}
    return {"Records": [{"Sns": {"Message": json.dumps(body)}}]}


def test_a_bounced_notice_reads_not_delivered_once_and_alerts_staff(services: bootstrap.Services,
                                                                    factory: Factory, metrics: MemorySink) -> None:
    merchant = factory.merchant()
    services.notices.notify(merchant.licensee_id, NoticeKind.RENEWAL, "renewal#bounce",
                            {"end": "2026-12-31", "days": 30})
    [sent] = services.billing.notices(merchant.licensee_id)
    assert sent.delivery is Delivery.SENT and sent.provider_id
    event = _bounce(sent.provider_id, merchant.licensee_id)
    assert on_delivery_events(event, services) == {"events": 1, "matched": 1}
    assert on_delivery_events(event, services) == {"events": 1, "matched": 0}  # SNS delivers it again
    [bounced] = services.billing.notices(merchant.licensee_id)
    assert bounced.delivery is Delivery.NOT_DELIVERED and bounced.error == "Permanent/General"
    assert bounced.as_dict()["delivery"] == "not_delivered"
    assert metrics.total("NoticesUndelivered", kind="renewal", event="not_delivered") == 1
    undelivered = [r for r in audit_store.history(f"licensee:{merchant.licensee_id}")
                   if r.action == "notice.undelivered"]
    assert len(undelivered) == 1 and undelivered[0].details["key"] == "renewal#bounce"
    # The notice is not sent again to an address that bounces: it is out of the delivery queue.
    assert all(n.key != "renewal#bounce" for n in services.billing.notifier.ctx.store.pending_notices())


def test_a_complaint_about_a_notice_is_recorded_and_a_mail_event_still_goes_to_mail(services: bootstrap.Services,
                                                                                     factory: Factory,
                                                                                     metrics: MemorySink) -> None:
    merchant = factory.merchant()
    services.notices.notify(merchant.licensee_id, NoticeKind.MAINTENANCE, "maintenance#complaint",
                            _params(NoticeKind.MAINTENANCE))
    [sent] = services.billing.notices(merchant.licensee_id)
    assert on_delivery_events(_bounce(str(sent.provider_id), merchant.licensee_id, "Complaint"), services)[
        "matched"] == 1
    assert services.billing.notices(merchant.licensee_id)[0].delivery is Delivery.COMPLAINED
    on_delivery_events({"Records": [{"Sns": {"Message": json.dumps({
        "notificationType": "Bounce", "bounce": {"bounceType": "Permanent", "bouncedRecipients": []},
        "mail": {"messageId": "not-a-notice", "tags": {"licensee": [merchant.licensee_id], "kind": ["reply"]}}})}}]},
        services)
    assert metrics.total("MailDeliveryEvents", kind="bounce", matched="no") == 1


def test_a_licensee_that_chose_english_gets_its_notices_in_english_only(services: bootstrap.Services,
                                                                         factory: Factory) -> None:
    chose, default = factory.merchant(), factory.merchant()
    services.notices.set_language(chose.licensee_id, "en", "staff:test")
    for merchant in (chose, default):
        services.notices.notify(merchant.licensee_id, NoticeKind.RENEWAL, "renewal#language",
                                {"end": "2026-12-31", "days": 30})
    [english] = services.billing.notices(chose.licensee_id)
    [both] = services.billing.notices(default.licensee_id)
    assert english.subject == "Your license agreement ends on 2026-12-31: 30 days left" and "续期" not in english.text
    assert both.subject.startswith("您的许可协议将于") and "Your license agreement" in both.subject
    assert [r.details for r in audit_store.history(f"licensee:{chose.licensee_id}")
            if r.action == "notices.language_set"] == [{"language": "en"}]
    with pytest.raises(Exception, match="Notices are written in"):
        services.notices.set_language(chose.licensee_id, "fr", "staff:test")
