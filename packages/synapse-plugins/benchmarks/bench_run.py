"""Run overhead: a plugin action with the backend logger against the same action with the memory logger.

Usage: python packages/synapse-plugins/benchmarks/bench_run.py [--quick] [--reps N]

The action (a real plugin folder, run through ``synapse_plugins.execution.execute`` as ``run_plugin`` does) makes
100,000 ``set_progress`` and 10,000 ``log_message`` calls (10,000 / 1,000 with --quick). The memory logger keeps every
record (as tests do); the null logger keeps nothing. The backend logger talks to the test suite's backend protocol
server, run in its own process with 50 ms added to every request, so the server's work does not share this process's
interpreter. Each run is a fresh Python process (so time and memory are its own), the three loggers interleaved,
``--reps`` times each (default 3).

Reported: the action's own wall time (from its first call to its return) with the backend logger divided by its
time with the memory logger (best of the reps each; goal <= 1.05x) and by its time with the null logger (no reporting
at all: the limit), the time ``close()`` took to flush the rest, the whole run (from making the logger to its
close), the peak RSS growth of the process during the run
(``ru_maxrss`` after minus RSS before), and the requests the backend logger sent, next to the one-request-per-call
shape of the old SDK (110,000 requests, 5,500 s at 50 ms).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
LATENCY = 0.05

SERVER = """
import sys
import synapse_client.testing as backend_server

with backend_server.BackendServer(sys.argv[1]) as server:
    server.latency = float(sys.argv[2])
    job = server.add("jobs", {"status": "pending", "progress_record": None, "metrics_record": None})
    print(server.url, server.access_token, server.tenant, job["id"], flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
"""

ACTION = """
import time


def busy(run, params):
    progress, every = params["progress"], params["progress"] // params["messages"]
    started = time.perf_counter()
    for i in range(1, progress + 1):
        run.set_progress(i, progress)
        if i % every == 0:
            run.log_message(f"item {i} done")
    return time.perf_counter() - started
"""


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def child(kind: str, plugin: str, progress: int, messages: int, server: list[str]) -> None:
    import resource
    import time

    from synapse_plugins.execution import Invocation, execute
    from synapse_plugins.run.loggers import MemoryLogger, NullLogger

    logger: Any
    run_started = time.perf_counter()
    if kind == "backend":
        from synapse_client.backend import BackendClient
        from synapse_plugins.run.loggers.backend import BackendLogger

        url, token, tenant, job = server
        logger = BackendLogger(BackendClient(url, access_token=token, tenant=tenant), job)
    else:
        job = "1"
        logger = MemoryLogger() if kind == "memory" else NullLogger()
    invocation = Invocation.create(plugin, "busy", {"progress": progress, "messages": messages}, job_id=job)
    closed: dict[str, float] = {}
    close = logger.close

    def timed_close() -> None:
        started = time.perf_counter()
        close()
        closed["seconds"] = time.perf_counter() - started

    logger.close = timed_close
    before = rss_kib()
    seconds = execute(invocation, logger=logger)
    run_s = time.perf_counter() - run_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = {"action_s": seconds, "close_s": closed["seconds"], "run_s": run_s, "rss_growth_kib": peak - before}
    if kind == "backend":
        report.update(requests=logger.requests, sent=logger.sent, dropped=logger.dropped)
    print(json.dumps(report))


def write_plugin(root: Path) -> Path:
    folder = root / "bench-run-plugin"
    folder.mkdir()
    (folder / "bench_run_action.py").write_text(ACTION, encoding="utf-8")
    (folder / "config.yaml").write_text(
        "code: bench-run\nname: Bench run\nversion: 0.1.0\ncategory: pre_annotation\n"
        "actions:\n  busy:\n    entrypoint: bench_run_action:busy\n",
        encoding="utf-8",
    )
    return folder


def run_child(kind: str, plugin: Path, progress: int, messages: int, server: list[str]) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", kind, str(plugin), str(progress), str(messages), *server]
    proc = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, plugin, progress, messages, *server = args.child
        child(kind, plugin, int(progress), int(messages), server)
        return
    progress, messages = (10_000, 1_000) if args.quick else (100_000, 10_000)
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        plugin = write_plugin(Path(tmp))
        server_proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(Path(tmp) / "server"), str(LATENCY)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert server_proc.stdout is not None
            server = server_proc.stdout.readline().split()
            runs: dict[str, list[dict[str, Any]]] = {"memory": [], "backend": [], "null": []}
            for _ in range(args.reps):
                for kind in ("memory", "backend", "null"):
                    runs[kind].append(run_child(kind, plugin, progress, messages, server))
        finally:
            assert server_proc.stdin is not None
            server_proc.stdin.close()
            server_proc.wait(timeout=30)

    def best(kind: str, key: str) -> float:
        return min(run[key] for run in runs[kind])

    ratio = best("backend", "action_s") / best("memory", "action_s")
    ratios = [b["action_s"] / m["action_s"] for m, b in zip(runs["memory"], runs["backend"], strict=True)]
    backend = min(runs["backend"], key=lambda run: run["action_s"])
    old_requests = progress + messages
    print(f"Action with {progress:,} set_progress and {messages:,} log_message calls, {LATENCY * 1000:.0f} ms per "
          f"request, best of {args.reps} fresh processes each\n")  # fmt: skip
    print("| logger | action wall time | close (flush) | whole run | peak RSS growth | requests |")
    print("|---|---|---|---|---|---|")
    for kind in ("null", "memory", "backend"):
        fastest = min(runs[kind], key=lambda run: run["action_s"])
        requests = f"{fastest['requests']}" if kind == "backend" else "0"
        print(f"| {kind} | {fastest['action_s']:.2f} s | {fastest['close_s']:.2f} s | {fastest['run_s']:.2f} s | "
              f"{fastest['rss_growth_kib'] / 1024:.1f} MiB | {requests} |")  # fmt: skip
    print(f"| old SDK shape (one request per call) | >= {old_requests * LATENCY:,.0f} s | | | | {old_requests:,} |")
    print()
    median = statistics.median(ratios)
    print(f"backend / memory action wall time: **{ratio:.3f}x** (goal <= 1.05x; per-pair median {median:.3f}x); "
          f"events sent {backend['sent']:,}, dropped {backend['dropped']}")  # fmt: skip
    limit = best("backend", "action_s") / best("null", "action_s")
    print(f"backend / null logger (no reporting at all, the limit): {limit:.3f}x")


if __name__ == "__main__":
    main()
