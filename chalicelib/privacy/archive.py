"""The export archive (clauses 7.2, 11.2): one ZIP holding `data.json` (everything kefu holds, as plain JSON),
the files under `files/`, and a README in the merchant's languages. The same format for one person's data and
for a merchant's whole export after termination."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import date, datetime
from enum import Enum
from typing import Any

from chalicelib import i18n

FORMAT = "kefu-export/1"


def plain(value: Any) -> Any:
    """A value as JSON can carry it: records as objects, instants as ISO text, sets as sorted lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return None
    return value


def safe_name(name: str) -> str:
    """A file name that stays inside its folder of the archive, whatever a customer called the file."""
    cleaned = "".join(c if c.isalnum() or c in "-_.()" else "_" for c in name).strip("._")
    return cleaned[:120] or "file"


def build(data: dict[str, Any], files: list[tuple[str, bytes]], locales: tuple[str, ...]) -> bytes:
    """The archive's bytes: data.json, every file at its path, and README.txt in each language given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps({"format": FORMAT, **plain(data)}, ensure_ascii=False, indent=2))
        readme = "\n\n".join(i18n.text("privacy", "archive.readme", locale, format=FORMAT) for locale in locales)
        archive.writestr("README.txt", readme + "\n")
        seen: set[str] = set()
        for path, content in files:
            unique, n = path, 1
            while unique in seen:  # two files of one name in one message keep both
                n += 1
                unique = f"{path}-{n}"
            seen.add(unique)
            archive.writestr(unique, content)
    return buffer.getvalue()


def read(archive: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """data.json and the files of an archive (tests, and staff checking one)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        data = json.loads(opened.read("data.json"))
        files = {name: opened.read(name) for name in opened.namelist() if name.startswith("files/")}
    return data, files
