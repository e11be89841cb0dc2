"""`make bench`: runs every benchmark under bench/ (or those named), prints the figures and writes them to
bench/results/latest.json. Figures are ratios and capacity units measured in one run: machines are noisy."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

# Figures, not log lines: the code under measurement logs only warnings while benchmarks run.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from bench.harness import BenchEnv, Figure

HERE = Path(__file__).parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args(argv)
    names = args.names or sorted(m.name for m in pkgutil.iter_modules([str(HERE)])
                                 if m.name not in ("harness", "__main__") and not m.name.startswith("_"))
    results: dict[str, list[dict[str, object]]] = {}
    failed = False
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        # A benchmark of pure rules (NEEDS_DATABASE = False) starts no DynamoDB Local.
        env = BenchEnv() if getattr(module, "NEEDS_DATABASE", True) else None
        started = time.perf_counter()
        try:
            figures: list[Figure] = module.run(env)
        finally:
            if env is not None:
                env.close()
        print(f"\n{name}  ({time.perf_counter() - started:.1f} s)")
        for figure in figures:
            verdict = "" if figure.met is None else ("  ok" if figure.met else "  MISSED")
            goal = f"  goal {figure.goal}" if figure.goal else ""
            print(f"  {figure.name:<58} {figure.value:>12.4g} {figure.unit:<10}{goal}{verdict}"
                  + (f"  ({figure.note})" if figure.note else ""))
            failed |= figure.met is False
        results[name] = [asdict(f) for f in figures]
    out = HERE / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(HERE.parent)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
