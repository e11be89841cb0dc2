"""Chat's pure rules: message text, statuses, rate windows, round robin, business hours, stamps, the poll cursor,
verified identity and visitor tokens. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.chat import model, stamps, tokens
from chalicelib.chat.model import Agent, Presence, RateLimit, Status, Unavailable
from chalicelib.core.errors import InvalidInput, Unauthorized

NOW = datetime(2026, 6, 15, 4, 0, 30, tzinfo=UTC)  # Monday 12:00:30 in Shanghai


def agent(agent_id: str, *, presence: Presence = Presence.ONLINE, seen: timedelta = timedelta(seconds=10),
          load: int = 0, capacity: int = 3, assigned: datetime | None = None) -> Agent:
    return Agent(agent_id, agent_id, presence, NOW - seen, load, capacity, assigned)


@pytest.mark.parametrize(("text", "code"), [("", "EMPTY_MESSAGE"), ("  \n\t", "EMPTY_MESSAGE"),
                                            ("x" * 4001, "MESSAGE_TOO_LONG"), (7, "WRONG_TYPE")])
def test_a_message_is_1_to_4000_characters_of_text(text: object, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.message_text(text)
    assert refused.value.code == code


def test_a_message_keeps_its_inner_markup_and_loses_surrounding_blanks() -> None:
    assert model.message_text("  <b>hi</b>\n") == "<b>hi</b>"
    assert model.message_text("茶" * 4000) == "茶" * 4000


@pytest.mark.parametrize("value", ["short", "x" * 65, "has space!", "éééééééé"])
def test_client_ids_are_8_to_64_safe_characters(value: str) -> None:
    with pytest.raises(InvalidInput):
        model.client_id(value)


def test_a_shopper_message_reopens_whatever_the_status() -> None:
    assert {model.after_visitor_message(s) for s in Status} == {Status.OPEN}
    assert not model.can_change(Status.RESOLVED, Status.RESOLVED)
    assert model.can_change(Status.OPEN, Status.PENDING)


def test_rate_windows_are_fixed_and_retry_after_counts_to_the_end_of_the_window() -> None:
    rule = RateLimit(20, 60)
    assert model.window(NOW, rule) == model.window(NOW + timedelta(seconds=29), rule)
    assert model.window(NOW + timedelta(seconds=30), rule) == model.window(NOW, rule) + 1
    assert model.retry_after(NOW, rule) == 30
    assert model.retry_after(NOW + timedelta(seconds=29, microseconds=900_000), rule) == 1


def test_round_robin_goes_to_the_agent_assigned_longest_ago_among_online_agents_with_room() -> None:
    agents = [agent("a", assigned=NOW - timedelta(minutes=1)), agent("b", assigned=NOW - timedelta(minutes=5)),
              agent("c", assigned=None, load=3), agent("d", presence=Presence.AWAY),
              agent("e", seen=timedelta(minutes=4))]
    assert model.choose_assignee(agents, NOW).agent_id == "b"  # type: ignore[union-attr]
    assert model.choose_assignee([agent("z"), agent("y")], NOW).agent_id == "y"  # type: ignore[union-attr]
    assert model.choose_assignee(agents[2:], NOW) is None
    assert model.choose_assignee(agents, NOW, holders=frozenset({"a"})).agent_id == "a"  # type: ignore[union-attr]


def test_an_agent_is_online_only_while_their_console_keeps_calling() -> None:
    assert model.is_online(agent("a", seen=model.PRESENCE_STALE), NOW)
    assert not model.is_online(agent("a", seen=model.PRESENCE_STALE + timedelta(seconds=1)), NOW)


def test_business_hours_are_read_in_the_merchants_time_zone() -> None:
    hours = model.parse_hours("mon-fri 09:00-18:00, sat 10:00-14:00", "Asia/Shanghai")
    assert model.format_hours(hours).startswith("mon 09:00-18:00")
    assert model.is_open(hours, NOW)                                   # Monday 12:00 in Shanghai
    assert not model.is_open(hours, NOW + timedelta(hours=6))          # 18:00: closed
    assert not model.is_open(hours, NOW - timedelta(hours=11))         # Monday 01:00
    assert model.is_open(model.parse_hours("always", "Asia/Shanghai"), NOW - timedelta(hours=11))
    assert model.unavailable(hours, [agent("a")], NOW + timedelta(hours=8)) is Unavailable.OUTSIDE_HOURS
    assert model.unavailable(hours, [agent("a", presence=Presence.AWAY)], NOW) is Unavailable.NO_AGENT_ONLINE
    assert model.unavailable(hours, [agent("a")], NOW) is None


@pytest.mark.parametrize("spec", ["mon-fri", "fri-mon 09:00-18:00", "mon 18:00-09:00", "noday 09:00-10:00"])
def test_unreadable_hours_are_refused(spec: str) -> None:
    with pytest.raises(InvalidInput):
        model.parse_hours(spec, "Asia/Shanghai")


def test_a_process_stamps_its_messages_in_order_even_within_one_millisecond_or_when_its_clock_goes_back() -> None:
    stamper = stamps.Stamper()
    keys = [stamper.next(NOW) for _ in range(5)] + [stamper.next(NOW - timedelta(seconds=3))]
    assert keys == sorted(keys) and len(set(keys)) == 6
    assert {len(k) for k in keys} == {stamps.STAMP_DIGITS + stamps.TAG_CHARS}
    assert keys[0][:stamps.STAMP_DIGITS] == str(stamps.millis(NOW))
    assert stamper.next(NOW + timedelta(milliseconds=1)) > keys[-1]
    other = stamps.Stamper()  # another function instance in the same millisecond: another key
    assert other.next(NOW) not in keys


def test_a_client_id_that_carries_its_time_stands_for_one_key_wherever_and_whenever_it_is_sent() -> None:
    made = f"{stamps.millis(NOW)}-3f9a0c11d2e4"
    stamp = stamps.client_stamp(made, NOW)
    assert stamp is not None and stamp.startswith(str(stamps.millis(NOW)))
    assert stamps.client_stamp(made, NOW + timedelta(seconds=5)) == stamp        # the retry, elsewhere, later
    assert stamps.client_stamp(f"{stamps.millis(NOW)}-3f9a0c11d2e5", NOW) != stamp
    assert stamps.client_stamp(made, NOW + stamps.KEY_BEHIND + timedelta(seconds=1)) is None  # too far back
    assert stamps.stamp_of_client(made) == stamp                                  # the key it had, to look up
    assert stamps.client_stamp("c0123456789abcdef", NOW) is None                 # an id with no time
    assert stamps.client_stamp(None, NOW) is None
    ahead = f"{stamps.millis(NOW + timedelta(minutes=2))}-3f9a0c11d2e4"         # a clock ahead: taken as it is
    assert stamps.client_stamp(ahead, NOW) is not None


def test_cursors_read_as_they_are_written_and_old_numbers_start_from_the_beginning() -> None:
    cursor = stamps.Cursor(stamps.millis(NOW), frozenset({"abc0000001", "zz00000002"}))
    assert stamps.parse_cursor(str(cursor)) == cursor
    assert stamps.parse_cursor("0") == stamps.Cursor() == stamps.parse_cursor(None) == stamps.parse_cursor("7")
    assert str(stamps.Cursor()) == "0" and stamps.Cursor().read_from() == "0"
    back = stamps.millis(NOW - stamps.SETTLE - stamps.KEY_BEHIND)
    assert cursor.read_from() == str(back).zfill(stamps.STAMP_DIGITS)
    for bad in ("abc", "c12x", "c1.A!", "c" + "1" * 20, "c1." + "a" * 3000):
        with pytest.raises(InvalidInput):
            stamps.parse_cursor(bad)


def test_a_poll_hands_out_what_the_caller_lacks_even_when_it_is_stamped_before_what_it_polled() -> None:
    stamper = stamps.Stamper("aaaaaa")
    first, second = stamper.next(NOW - timedelta(minutes=5)), stamper.next(NOW - timedelta(seconds=1))
    new, cursor = stamps.poll_cursor(stamps.Cursor(), [(first, NOW - timedelta(minutes=5)),
                                                     (second, NOW - timedelta(seconds=1))], NOW)
    assert new == {first, second}
    assert cursor.at_ms == stamps.millis(NOW) and cursor.held == {stamps.tag(second)}  # only the unsettled one
    # Another instance, its clock a second behind, stamped a message before `second`; it shows only now.
    late = stamps.Stamper("bbbbbb").next(NOW - timedelta(seconds=2))
    assert late < second
    later = NOW + timedelta(seconds=2)
    found = [(first, NOW - timedelta(minutes=5)), (late, NOW + timedelta(seconds=1)),
             (second, NOW - timedelta(seconds=1))]
    new, again = stamps.poll_cursor(cursor, found, later)
    assert new == {late}                          # not `second`, held; not `first`, settled long before
    nothing, _ = stamps.poll_cursor(again, found, later + timedelta(seconds=1))
    assert nothing == set()
    settled, _ = stamps.poll_cursor(again, found, later + stamps.SETTLE * 3)
    assert settled == set()


def test_a_shopper_message_after_the_last_change_of_status_reopens() -> None:
    assert stamps.reopened_by(Status.RESOLVED, "0000000000005aaaa", ["0000000000006aaaa"])
    assert not stamps.reopened_by(Status.RESOLVED, "0000000000005aaaa", ["0000000000004aaaa"])
    assert not stamps.reopened_by(Status.OPEN, "0000000000005aaaa", ["0000000000006aaaa"])
    assert not stamps.reopened_by(Status.PENDING, "", ["0000000000001aaaa"])  # changed before stamps: as stored


def test_verified_identity_is_an_hmac_of_the_customer_id() -> None:
    digest = model.identity_hash("secret", "customer-42")
    assert model.identity_matches("secret", "customer-42", digest.upper())
    assert not model.identity_matches("secret", "customer-43", digest)
    assert not model.identity_matches("other", "customer-42", digest)


def test_a_visitor_token_is_bound_to_its_merchant_and_expires() -> None:
    visitor = tokens.Visitor("lic_a", "vis_1", "customer-42")
    token = tokens.sign(visitor, "s3cret", NOW, timedelta(days=1))
    assert tokens.verify(token, "lic_a", "s3cret", NOW) == visitor
    for licensee, secret, at in (("lic_b", "s3cret", NOW), ("lic_a", "other", NOW),
                                 ("lic_a", "s3cret", NOW + timedelta(days=1))):
        with pytest.raises(Unauthorized):
            tokens.verify(token, licensee, secret, at)
    with pytest.raises(Unauthorized):
        tokens.verify("v1.garbage", "lic_a", "s3cret", NOW)
