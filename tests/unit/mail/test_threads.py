from chalicelib.mail.parsing import parse
from chalicelib.mail.threads import MAX_MESSAGE_IDS, ThreadVia, TicketCandidate, choose_ticket, lookups
from chalicelib.mail.tokens import make_token

SECRET = b"k" * 32
DOMAIN = "mail.shop.example"


def mail_from(sender: str, *, to: str = "support@shop.example", extra: str = "", subject: str = "hi"):
    raw = f"From: {sender}\nTo: {to}\nSubject: {subject}\nMessage-ID: <new@client.example>\n{extra}\nbody\n"
    return parse(raw.encode())


def ticket(ticket_id: str, contact: str | None = "anna@example.org", *others: str) -> TicketCandidate:
    return TicketCandidate(ticket_id, contact, frozenset(others))


def test_lookups_read_a_valid_reply_token_the_message_ids_and_the_subject_tag():
    token = make_token("t-1", SECRET)
    mail = mail_from(
        "anna@example.org",
        to=f"reply+{token}@{DOMAIN}",
        subject="Re: [#1042] Broken mug",
        extra=(
            "In-Reply-To: <c@shop.example>\n"
            "References: <a@shop.example>\n <b@shop.example> <c@shop.example>\n"
        ),
    )
    found = lookups(mail, reply_domain=DOMAIN, secret=SECRET)
    assert found.token_ticket_id == "t-1"
    assert found.message_ids == ("c@shop.example", "b@shop.example", "a@shop.example")
    assert found.subject_ticket_number == 1042


def test_lookups_drop_a_forged_reply_token():
    forged = make_token("t-1", b"x" * 32)
    mail = mail_from("anna@example.org", to=f"reply+{forged}@{DOMAIN}")
    assert lookups(mail, reply_domain=DOMAIN, secret=SECRET).token_ticket_id is None


def test_lookups_ask_for_a_bounded_number_of_message_ids_and_never_the_mail_itself():
    references = " ".join(f"<r{n}@x>" for n in range(50)) + " <new@client.example>"
    found = lookups(
        mail_from("a@b.example", extra=f"References: {references}\n"), reply_domain=DOMAIN, secret=SECRET
    )
    assert len(found.message_ids) == MAX_MESSAGE_IDS
    assert "new@client.example" not in found.message_ids
    assert found.message_ids[0] == "r49@x"


def test_reply_token_ticket_wins_over_message_id_and_subject_tag():
    decision = choose_ticket(
        mail_from("anna@example.org"),
        by_token=ticket("t-token"),
        by_message_ids=[ticket("t-mid")],
        by_subject_tag=ticket("t-tag"),
    )
    assert (decision.ticket_id, decision.via) == ("t-token", ThreadVia.REPLY_TOKEN)


def test_message_id_ticket_wins_over_subject_tag():
    decision = choose_ticket(
        mail_from("anna@example.org"), by_message_ids=[ticket("t-mid")], by_subject_tag=ticket("t-tag")
    )
    assert (decision.ticket_id, decision.via) == ("t-mid", ThreadVia.MESSAGE_ID)


def test_subject_tag_is_used_when_nothing_else_matched():
    decision = choose_ticket(mail_from("anna@example.org"), by_subject_tag=ticket("t-tag"))
    assert (decision.ticket_id, decision.via) == ("t-tag", ThreadVia.SUBJECT_TAG)


def test_nothing_found_opens_a_new_ticket():
    decision = choose_ticket(mail_from("anna@example.org"))
    assert (decision.ticket_id, decision.via, decision.refused) == (None, ThreadVia.NEW, ())


def test_a_participant_who_is_not_the_contact_may_join():
    decision = choose_ticket(
        mail_from("Bob@Example.org"), by_token=ticket("t-1", "anna@example.org", "bob@example.org")
    )
    assert decision.ticket_id == "t-1"


def test_a_stranger_with_a_valid_token_gets_a_new_ticket():
    decision = choose_ticket(mail_from("mallory@evil.example"), by_token=ticket("t-1"))
    assert (decision.ticket_id, decision.via, decision.refused) == (None, ThreadVia.NEW, ("t-1",))


def test_a_stranger_quoting_someone_elses_subject_tag_gets_a_new_ticket():
    decision = choose_ticket(mail_from("mallory@evil.example"), by_subject_tag=ticket("t-1"))
    assert decision.ticket_id is None


def test_a_refused_candidate_falls_through_to_the_next_that_admits_the_sender():
    decision = choose_ticket(
        mail_from("anna@example.org"),
        by_token=ticket("t-other", "someone@else.example"),
        by_message_ids=[ticket("t-anna")],
    )
    assert (decision.ticket_id, decision.via, decision.refused) == (
        "t-anna",
        ThreadVia.MESSAGE_ID,
        ("t-other",),
    )


def test_a_mail_without_a_sender_never_joins_a_ticket():
    mail = parse(b"To: support@shop.example\nMessage-ID: <x@y>\n\nhi\n")
    assert choose_ticket(mail, by_token=ticket("t-1")).ticket_id is None


def test_a_ticket_without_a_contact_admits_only_its_participants():
    assert choose_ticket(mail_from("anna@example.org"), by_token=ticket("t-1", None)).ticket_id is None
    assert choose_ticket(
        mail_from("anna@example.org"), by_token=ticket("t-1", None, "anna@example.org")
    ).ticket_id
