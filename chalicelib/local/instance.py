"""Which local instance is running: `make run` writes its endpoints and data folder here, `./kefu` reads them,
so that staff commands act on the instance that actually runs (whatever ports it was given), or say that
none does."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from chalicelib.local.config import ROOT


@dataclass(frozen=True)
class Instance:
    api: str
    dynamodb: str
    smtp: str
    storefront: str
    data_dir: str
    pid: int

    def environment(self) -> dict[str, str]:
        """The settings a process needs to act on this instance."""
        return {"AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb, "KEFU_DATA_DIR": self.data_dir,
                "KEFU_SMTP_LISTEN": self.smtp}


def path() -> Path:
    """KEFU_INSTANCE_FILE, else .data/instance.json of the checkout (one per working copy)."""
    return Path(os.environ.get("KEFU_INSTANCE_FILE") or ROOT / ".data" / "instance.json")


def write(instance: Instance) -> Path:
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(instance), indent=2) + "\n")
    temporary.replace(target)
    return target


def clear(pid: int) -> None:
    """Forget the record, if it is still this process's."""
    current = read()
    if current is not None and current.pid == pid:
        path().unlink(missing_ok=True)


def read() -> Instance | None:
    try:
        return Instance(**json.loads(path().read_text()))
    except (OSError, ValueError, TypeError):
        return None


def running() -> Instance | None:
    """The recorded instance if its process is still alive."""
    found = read()
    if found is None:
        return None
    try:
        os.kill(found.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return found
    return found
