from pathlib import Path

from chalicelib.mail.parsing import ParsedMail, parse

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse_fixture(name: str, **options: int) -> ParsedMail:
    return parse(fixture_bytes(name), **options)
