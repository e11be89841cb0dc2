"""parse() must never raise: whatever arrives, the caller gets data and a list of problems."""

import random

import pytest

from chalicelib.mail.html_text import html_to_text
from chalicelib.mail.loops import classify
from chalicelib.mail.parsing import ParsedMail, Problem, parse
from chalicelib.mail.quotes import strip_reply
from chalicelib.mail.threads import choose_ticket, lookups
from tests.unit.mail.helpers import FIXTURES

SEEDS = 3000
SEEDS_PER_CASE = 500
SECRET = b"f" * 32

# Pieces that steer mutations into the parser's less travelled paths.
TOKENS = [
    b"\r\n",
    b"\n\n",
    b"--",
    b"boundary=",
    b'boundary=""',
    b"Content-Type: multipart/mixed; boundary=x\n",
    b"Content-Type: message/rfc822\n",
    b"Content-Transfer-Encoding: base64\n",
    b"Content-Transfer-Encoding: quoted-printable\n",
    b"charset=",
    b"charset=base64",
    b"charset=x-unknown",
    b"=?",
    b"?=",
    b"=?gb2312?B?",
    b"=?utf-8?Q?=E4=",
    b"filename*0*=",
    b"filename*=''%",
    b"<",
    b">",
    b"\x00",
    b"\xff\xfe",
    b"\xe4\xbd",
    b"=\n",
    b"Date: Fri, 99 Nov 99999 99:99:99 +9999\n",
    b"<blockquote><script>",
]


def corpus() -> list[bytes]:
    return [path.read_bytes() for path in sorted(FIXTURES.rglob("*.eml"))]


def mutate(rng: random.Random, data: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        operation = rng.randrange(6)
        position = rng.randint(0, len(buffer))
        if operation == 0 and buffer:  # flip bytes
            for _ in range(rng.randint(1, 16)):
                buffer[rng.randrange(len(buffer))] = rng.randrange(256)
        elif operation == 1:  # truncate
            del buffer[position:]
        elif operation == 2:  # insert a steering token
            buffer[position:position] = rng.choice(TOKENS)
        elif operation == 3:  # delete a slice
            del buffer[position : position + rng.randint(1, 200)]
        elif operation == 4:  # duplicate a slice elsewhere
            start = rng.randint(0, len(buffer))
            piece = buffer[start : start + rng.randint(1, 300)]
            buffer[position:position] = piece
        else:  # insert random bytes
            buffer[position:position] = rng.randbytes(rng.randint(1, 64))
    return bytes(buffer)


def check(raw: bytes) -> None:
    mail = parse(raw)
    assert isinstance(mail, ParsedMail)
    assert all(isinstance(problem, Problem) for problem in mail.problems)
    assert isinstance(mail.text, str) and isinstance(mail.new_text, str)
    classify(mail)
    found = lookups(mail, reply_domain="mail.shop.example", secret=SECRET)
    assert len(found.message_ids) <= 20
    choose_ticket(mail)


@pytest.mark.parametrize("case", range(SEEDS // SEEDS_PER_CASE))
def test_parse_never_raises_on_mutated_mail(case):
    rng = random.Random(20261120 + case)
    mails = corpus()
    for _ in range(SEEDS_PER_CASE):
        check(mutate(rng, rng.choice(mails)))


def test_parse_never_raises_on_random_bytes():
    rng = random.Random(7)
    for _ in range(500):
        check(rng.randbytes(rng.randint(0, 2000)))


def test_parse_never_raises_on_every_truncation_of_a_multipart_mail():
    raw = (FIXTURES / "attachments_rfc2231.eml").read_bytes()
    for end in range(0, len(raw), 7):
        check(raw[:end])


@pytest.mark.parametrize("depth", [40, 5000])
def test_deeply_nested_multiparts_are_reported_and_the_headers_still_read(depth):
    raw = b"From: a@example.com\nMessage-ID: <x@y>\n"
    for level in range(depth):
        raw += f"Content-Type: multipart/mixed; boundary=b{level}\n\n--b{level}\n".encode()
    raw += b"Content-Type: text/plain\n\ndeep\n"
    mail = parse(raw)
    assert (mail.from_address, mail.message_id) == ("a@example.com", "x@y")
    assert mail.problems == (Problem.BROKEN_MIME, Problem.NO_BODY)


def test_strip_reply_and_html_to_text_never_raise_on_mutated_text():
    rng = random.Random(99)
    samples = [parse(raw).text for raw in corpus()] + [parse(raw).html or "" for raw in corpus()]
    for _ in range(500):
        text = rng.choice(samples)
        cut = rng.randint(0, len(text))
        insert = rng.choice(["<", ">", "\n> ", "wrote:", "发件人：", "&#", "<pre>", "--"])
        text = text[:cut] + insert + text[cut:]
        assert isinstance(strip_reply(text), str)
        assert isinstance(html_to_text(text), str)
