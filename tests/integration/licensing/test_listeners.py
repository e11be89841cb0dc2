"""Other areas follow the license through listeners: told after a change is stored, never able to undo it."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.licensing.events import LicenseChanged
from chalicelib.licensing.model import Status


def test_listeners_are_told_each_stored_change_with_its_action(services, factory) -> None:
    merchant = factory.merchant()
    told: list[tuple[str, str]] = []
    services.licensing.add_listener(lambda event: told.append((event.licensee_id, event.action)))
    services.licensing.amend(merchant.licensee_id, date(2026, 7, 1), "staff:test", seats=5)
    services.licensing.extend(merchant.licensee_id, 1, "staff:test")
    services.licensing.terminate(merchant.licensee_id, date(2026, 8, 1), "by notice", "staff:test")
    assert told == [(merchant.licensee_id, "agreement.amended"), (merchant.licensee_id, "license.extended"),
                    (merchant.licensee_id, "license.terminate")]


def test_a_failing_listener_neither_undoes_the_change_nor_fails_the_staff_command(services, factory) -> None:
    merchant = factory.merchant()

    def broken(event: LicenseChanged) -> None:
        raise RuntimeError("listener down")

    services.licensing.add_listener(broken)
    view = services.licensing.terminate(merchant.licensee_id, date(2026, 6, 15), "by notice", "staff:test")
    assert view.status is Status.TERMINATED


def test_a_change_that_is_refused_tells_no_listener(services, factory) -> None:
    merchant = factory.merchant()
    told: list[str] = []
    services.licensing.add_listener(lambda event: told.append(event.action))
    with pytest.raises(InvalidInput):
        services.licensing.amend(merchant.licensee_id, date(2026, 7, 1), "staff:test")
    assert told == []
