"""Local mode's failed events: one JSON file per event under .data/failed/, as Lambda's on-failure destination
keeps them on AWS (same fields: the request payload, the error, when)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from chalicelib.core.failures import FailedEvent, destination_record
from chalicelib.core.ids import new_id


class FolderFailedEvents:
    def __init__(self, root: Path) -> None:
        self.root = root

    def record(self, function: str, payload: dict[str, Any], error: str, at: datetime) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{at.strftime('%Y%m%dT%H%M%S%f')}-{new_id('failed')}.json"
        body = {"timestamp": at.isoformat(), "requestContext": {"functionArn": function, "condition": "Error"},
                "requestPayload": payload, "responsePayload": {"errorType": error}}
        temporary = self.root / (name + ".part")
        temporary.write_text(json.dumps(body, ensure_ascii=False))
        temporary.replace(self.root / name)

    def pending(self) -> list[FailedEvent]:
        if not self.root.exists():
            return []
        return [destination_record(json.loads(path.read_text()), path.name)
                for path in sorted(self.root.glob("*.json"))]

    def remove(self, event: FailedEvent) -> None:
        (self.root / event.handle).unlink(missing_ok=True)
