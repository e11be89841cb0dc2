"""A stage's environment as `.chalice/config.json` declares it, for processes Chalice does not start
(the local runner, `./kefu`, tests): the same settings reach the code the same way as on AWS."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def stage_environment(stage: str, root: Path = ROOT) -> dict[str, str]:
    config = json.loads((root / ".chalice" / "config.json").read_text())
    if stage not in config.get("stages", {}):
        raise SystemExit(f"No stage '{stage}' in .chalice/config.json (have: {', '.join(config['stages'])}).")
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    if "KEFU_DATA_DIR" in env and not Path(env["KEFU_DATA_DIR"]).is_absolute():
        env["KEFU_DATA_DIR"] = str(root / env["KEFU_DATA_DIR"])
    return env
