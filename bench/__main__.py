"""`make bench`: runs every benchmark under bench/ (or those named), prints each figure beside its goal and
writes them to bench/results/latest.json. Figures are ratios and capacity units measured in one run: machines
are noisy. `--markdown` prints latest.json as the README's table.

A benchmark is a module `bench/<name>.py` whose `run(env)` returns rows (`Figure`: figure, value, unit, goal,
whether it is met, a note); the runner knows nothing else of it."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
from pathlib import Path
from typing import Any

# Figures, not log lines: the code under measurement logs only warnings while benchmarks run.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from bench.harness import BenchEnv, Figure

HERE = Path(__file__).parent
LATEST = HERE / "results" / "latest.json"
NOT_BENCHMARKS = ("harness", "__main__")


def row(figure: Figure) -> dict[str, Any]:
    """A figure as latest.json keeps it."""
    return {"figure": figure.name, "value": figure.value, "unit": figure.unit, "goal": figure.goal,
            "met": figure.met, "note": figure.note}


def line(figure: Figure) -> str:
    verdict = "" if figure.met is None else ("  ok" if figure.met else "  MISSED")
    goal = f"  goal {figure.goal}" if figure.goal else ""
    return (f"  {figure.name:<66} {figure.value:>10.4g} {figure.unit:<8}{goal}{verdict}"
            + (f"  ({figure.note})" if figure.note else ""))


def markdown(results: dict[str, list[dict[str, Any]]]) -> str:
    """The README's table: one line per figure, its goal beside it."""
    out = ["| benchmark | figure | measured | goal |", "|---|---|---|---|"]
    for name, rows in results.items():
        for r in rows:
            mark = "" if r["met"] is None else (" ✓" if r["met"] else " ✗")
            out.append(f"| {name} | {r['figure']} | {r['value']:g} {r['unit']} | {r['goal'] or '—'}{mark} |")
    return "\n".join(out)


def benchmarks() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)])
                  if m.name not in NOT_BENCHMARKS and not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--markdown", action="store_true", help="print bench/results/latest.json as a table")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(LATEST.read_text())))
        return 0
    results: dict[str, list[dict[str, Any]]] = {}
    if args.names and LATEST.exists():  # a few benchmarks again: the others' figures stay
        results = json.loads(LATEST.read_text())
    failed = False
    for name in args.names or benchmarks():
        module = importlib.import_module(f"bench.{name}")
        # A benchmark of pure rules (NEEDS_DATABASE = False) starts no DynamoDB Local.
        env = BenchEnv() if getattr(module, "NEEDS_DATABASE", True) else None
        started = time.perf_counter()
        try:
            figures: list[Figure] = module.run(env)
        finally:
            if env is not None:
                env.close()
        print(f"\n{name}  ({time.perf_counter() - started:.1f} s)", flush=True)
        for figure in figures:
            print(line(figure), flush=True)
            failed |= figure.met is False
        results[name] = [row(f) for f in figures]
        LATEST.parent.mkdir(exist_ok=True)  # after each benchmark: one that fails later loses no figures
        LATEST.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {LATEST.relative_to(HERE.parent)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
