"""Import time of synapse_fileutils over bare Python, in fresh processes.

Usage: python packages/synapse-fileutils/benchmarks/bench_import.py [--quick] [--runs N]

Each run starts a new interpreter (``python -c "import synapse_fileutils"``) and, in alternating order, one that
imports nothing (``python -c "pass"``). The figure is the median difference (goal: <= 50 ms), measured twice: as CPU
time of the child process (user + system, from ``getrusage``; what importing costs, unaffected by other processes on a
busy machine) and as wall time. For scale, the same is measured for ``import requests``, the import a user of the
earlier SDK paid at start-up. The ``-X importtime`` list of the slowest modules follows the table.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time


def run(code: str) -> tuple[float, float]:
    """Wall time and child CPU time (seconds) of one fresh interpreter running ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def overhead(code: str, runs: int) -> tuple[float, float]:
    """Median extra (CPU ms, wall ms) of ``code`` over an interpreter that runs nothing."""
    run("pass")  # warm the OS caches
    run(code)
    cpu_deltas, wall_deltas = [], []
    for index in range(runs):
        if index % 2:
            ours, bare = run(code), run("pass")
        else:
            bare, ours = run("pass"), run(code)
        wall_deltas.append(ours[0] - bare[0])
        cpu_deltas.append(ours[1] - bare[1])
    return statistics.median(cpu_deltas) * 1000, statistics.median(wall_deltas) * 1000


def slowest_modules(module: str, count: int = 8) -> list[tuple[int, str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_part, cumulative_us, name = line.split("|", 2)  # "import time:  self | cumulative | name"
        rows.append((int(cumulative_us), name.strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="7 runs instead of 21")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (7 if args.quick else 21)

    cpu, wall = overhead("import synapse_fileutils", runs)
    try:
        requests_cpu, requests_wall = overhead("import requests", runs)
    except subprocess.CalledProcessError:
        requests_cpu = requests_wall = float("nan")

    print(f"Import time over bare Python {sys.version.split()[0]}, median of {runs} fresh processes each.\n")
    print("| import | over bare python (CPU) | over bare python (wall) | goal | CPU vs `import requests` |")
    print("|---|---|---|---|---|")
    verdict = "ok" if cpu <= 50 else "OVER"
    versus = cpu / requests_cpu
    print(f"| `import synapse_fileutils` | {cpu:.1f} ms | {wall:.1f} ms | <= 50 ms {verdict} | {versus:.2f}x |")
    print(f"| `import requests` (for scale) | {requests_cpu:.1f} ms | {requests_wall:.1f} ms | | 1.00x |")
    print("\nSlowest modules under `import synapse_fileutils` (cumulative, -X importtime, one run):\n")
    for cumulative_us, name in slowest_modules("synapse_fileutils"):
        print(f"- `{name}`: {cumulative_us / 1000:.1f} ms")


if __name__ == "__main__":
    main()
