"""Run every benchmark script and collect their reports.

Each ``bench_*.py`` under ``packages/*/benchmarks/`` and ``benchmarks/`` is a standalone script that prints a Markdown
table of ratios against the tool a user would pick instead. This runner executes them one after another (never in
parallel: they measure throughput), echoes their output and writes it all to ``build/bench/report.md``.

Usage: python tools/run_benchmarks.py [--quick] [NAME_FILTER ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def discover(filters: list[str]) -> list[Path]:
    scripts = sorted(ROOT.glob("packages/*/benchmarks/bench_*.py")) + sorted(ROOT.glob("benchmarks/bench_*.py"))
    return [s for s in scripts if not filters or any(f in str(s.relative_to(ROOT)) for f in filters)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("filters", nargs="*", help="run only scripts whose path contains one of these")
    args = parser.parse_args()
    report = [f"# Benchmark report ({time.strftime('%Y-%m-%d %H:%M:%S %Z')}{', quick' if args.quick else ''})", ""]
    failed = []
    for script in discover(args.filters):
        name = str(script.relative_to(ROOT))
        print(f"\n=== {name}", flush=True)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(script), *(["--quick"] if args.quick else [])],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        print(proc.stdout, end="")
        if proc.returncode:
            print(proc.stderr[-4000:], file=sys.stderr)
            failed.append(name)
        report += [f"## {name} ({elapsed:.0f} s{', FAILED' if proc.returncode else ''})", "", proc.stdout.strip(), ""]
    out = ROOT / "build" / "bench" / "report.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(report) + "\n", encoding="utf-8")
    print(f"\nreport written to {out.relative_to(ROOT)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
