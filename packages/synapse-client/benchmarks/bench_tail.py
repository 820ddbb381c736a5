"""Ray log tail: latency (job print -> client yield) and 10 000-line throughput, per protocol, against Ray's own client.

Starts a private Ray head (synapse_client.testing.LocalRayHead) unless --dashboard-url is given, then:

1. latency: one job prints N timestamped lines 0.2 s apart; RayClient.tail_job_logs over 'stream' and 'websocket'
   and ray.job_submission.JobSubmissionClient.tail_job_logs follow it at the same time; each line's delay is the
   client's clock at yield minus the timestamp the job printed (same machine, same clock). Goal: median <= 1.5 s.
2. throughput: one finished job with 10 000 lines is tailed (whole replay) by each; lines/s (median of 3 runs) and
   peak Python memory (tracemalloc, separate run).

Usage: python packages/synapse-client/benchmarks/bench_tail.py [--quick] [--dashboard-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterable

from synapse_client.ray import RayClient
from synapse_client.testing import LocalRayHead

LATENCY_SCRIPT = (
    "import sys, time\n"
    "for i in range(int(sys.argv[1])):\n"
    "    print(f'tick {i} {time.time():.6f}', flush=True)\n"
    "    time.sleep(0.2)\n"
)
BULK_SCRIPT = "import sys\nfor i in range(int(sys.argv[1])):\n    print(f'bulk line {i:06d} ' + 'z' * 40)\n"


def ray_tail_lines(dashboard_url: str, job_id: str) -> Iterable[str]:
    """Ray's JobSubmissionClient.tail_job_logs (async, yields chunks) turned into a line iterator."""
    from ray.job_submission import JobSubmissionClient

    ray_client = JobSubmissionClient(dashboard_url)

    async def collect(out: list[str], on_line: Callable[[str], None] | None) -> None:
        partial = ""
        async for chunk in ray_client.tail_job_logs(job_id):
            *lines, partial = (partial + chunk).split("\n")
            for line in lines:
                if on_line is not None:
                    on_line(line)
                out.append(line)
        if partial:
            out.append(partial)

    lines: list[str] = []
    asyncio.run(collect(lines, None))
    return lines


def ray_tail_latency(dashboard_url: str, job_id: str, delays: list[float]) -> None:
    from ray.job_submission import JobSubmissionClient

    ray_client = JobSubmissionClient(dashboard_url)

    async def run() -> None:
        partial = ""
        async for chunk in ray_client.tail_job_logs(job_id):
            *lines, partial = (partial + chunk).split("\n")
            now = time.time()
            delays.extend(now - float(line.split()[2]) for line in lines if line.startswith("tick "))

    asyncio.run(run())


def ours_latency(client: RayClient, job_id: str, protocol: str, delays: list[float]) -> None:
    for line in client.tail_job_logs(job_id, protocol=protocol, poll_interval=0.25):
        if line.startswith("tick "):
            delays.append(time.time() - float(line.split()[2]))


def measure_latency(client: RayClient, url: str, count: int) -> dict[str, float]:
    job_id = client.submit_job([sys.executable, "-c", LATENCY_SCRIPT, str(count)])
    delays: dict[str, list[float]] = {"stream": [], "websocket": [], "ray": []}
    threads = [
        threading.Thread(target=ours_latency, args=(client, job_id, "stream", delays["stream"])),
        threading.Thread(target=ours_latency, args=(client, job_id, "websocket", delays["websocket"])),
        threading.Thread(target=ray_tail_latency, args=(url, job_id, delays["ray"])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    for name, values in delays.items():
        if len(values) != count:
            raise SystemExit(f"{name}: got {len(values)} of {count} lines")
    return {name: statistics.median(values) for name, values in delays.items()}


def measure_bulk(client: RayClient, url: str, count: int) -> dict[str, tuple[float, float]]:
    job_id = client.submit_job([sys.executable, "-c", BULK_SCRIPT, str(count)])
    client.wait_for_job(job_id, timeout=300)
    runners: dict[str, Callable[[], Iterable[str]]] = {
        "stream": lambda: list(client.tail_job_logs(job_id, protocol="stream")),
        "websocket": lambda: list(client.tail_job_logs(job_id, protocol="websocket")),
        "ray": lambda: ray_tail_lines(url, job_id),
    }
    results: dict[str, tuple[float, float]] = {}
    for name, run in runners.items():
        rates = []
        for _ in range(3):
            started = time.perf_counter()
            lines = [line for line in run() if line.startswith("bulk line ")]
            elapsed = time.perf_counter() - started
            if len(lines) != count:
                raise SystemExit(f"{name}: got {len(lines)} of {count} lines")
            rates.append(count / elapsed)
        tracemalloc.start()
        run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results[name] = (statistics.median(rates), peak / 2**20)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 latency lines and 2 000 bulk lines")
    parser.add_argument("--dashboard-url", help="use this Ray dashboard instead of starting a private head")
    args = parser.parse_args()
    latency_lines, bulk_lines = (10, 2_000) if args.quick else (30, 10_000)

    head = None if args.dashboard_url else LocalRayHead(num_cpus=2).start()
    url = args.dashboard_url or (head.dashboard_url if head else "")
    try:
        with RayClient(url) as client:
            latency = measure_latency(client, url, latency_lines)
            bulk = measure_bulk(client, url, bulk_lines)
    finally:
        if head is not None:
            head.stop()

    ray_rate, ray_peak = bulk["ray"]
    print(f"## Ray log tail ({latency_lines} latency lines, {bulk_lines} bulk lines)\n")
    print("| client | median latency (s) | latency vs Ray | lines/s | throughput vs Ray | peak MiB | memory vs Ray |")
    print("|---|---|---|---|---|---|---|")
    names = {"stream": "RayClient stream", "websocket": "RayClient websocket", "ray": "JobSubmissionClient (Ray)"}
    for key, name in names.items():
        rate, peak = bulk[key]
        print(
            f"| {name} | {latency[key]:.2f} | {latency[key] / latency['ray']:.2f}x | {rate:,.0f} | "
            f"{rate / ray_rate:.2f}x | {peak:.1f} | {peak / ray_peak:.2f}x |"
        )
    goal = all(latency[key] <= 1.5 for key in ("stream", "websocket"))
    print(f"\nGoal median latency <= 1.5 s: {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
