"""Import time of synapse_client over bare Python, in fresh processes.

Usage: python packages/synapse-client/benchmarks/bench_import.py [--quick] [--runs N]

Each run starts a new interpreter (``python -c "import synapse_client"``) and, in alternating order, one that imports
nothing (``python -c "pass"``); the figure is the median difference of wall times (goal: <= 150 ms). The same is
measured for ``import requests`` (what a user of the earlier SDK paid at start-up, and what a hand-written client
would import) and ``import httpx`` when installed, in the same run, so the table reads as ratios. A check that
``import synapse_client`` loads none of the heavy modules (requests, urllib3, websockets, ray...) and the
``-X importtime`` list of the slowest modules follow the table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time

HEAVY = ["requests", "urllib3", "websockets", "aiohttp", "ray", "yaml", "pydantic", "fsspec", "click"]


def wall(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def overhead(code: str, runs: int) -> float:
    wall("pass")  # warm the OS caches
    wall(code)
    deltas = []
    for index in range(runs):
        if index % 2:
            ours, bare = wall(code), wall("pass")
        else:
            bare, ours = wall("pass"), wall(code)
        deltas.append(ours - bare)
    return statistics.median(deltas) * 1000


def heavy_modules_loaded(module: str) -> list[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return sorted(set(json.loads(proc.stdout)) & set(HEAVY))


def slowest_modules(module: str, count: int = 8) -> list[tuple[int, str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_part, cumulative_us, name = line.split("|", 2)  # "import time:  self | cumulative | name"
        rows.append((int(cumulative_us), name))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="7 runs instead of 21")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (7 if args.quick else 21)

    ours = overhead("import synapse_client", runs)
    peers: dict[str, float] = {}
    for peer in ("requests", "httpx"):
        if importlib.util.find_spec(peer) is not None:
            peers[peer] = overhead(f"import {peer}", runs)

    print(f"Import time over bare Python {sys.version.split()[0]}, median of {runs} fresh processes.\n")
    print("| import | over bare python | goal | vs `import requests` |")
    print("|---|---|---|---|")
    base = peers.get("requests")
    versus = f"{ours / base:.2f}x" if base else "n/a"
    print(f"| `import synapse_client` | {ours:.1f} ms | <= 150 ms {'ok' if ours <= 150 else 'OVER'} | {versus} |")
    for peer, ms in peers.items():
        ratio = f"{ms / base:.2f}x" if base else "n/a"
        print(f"| `import {peer}` (what a hand-written client imports) | {ms:.1f} ms | | {ratio} |")
    loaded = heavy_modules_loaded("synapse_client")
    print(f"\nHeavy modules loaded by `import synapse_client`: {', '.join(loaded) if loaded else 'none'}.")
    print("\nSlowest modules under `import synapse_client` (cumulative, -X importtime):\n")
    for cumulative_us, name in slowest_modules("synapse_client"):
        print(f"- `{name.strip()}`: {cumulative_us / 1000:.1f} ms")


if __name__ == "__main__":
    main()
