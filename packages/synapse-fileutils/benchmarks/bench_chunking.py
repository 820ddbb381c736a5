"""Peak memory and throughput of read_file_in_chunks and read_file_in_chunk_views against a plain read() loop.

Usage: python packages/synapse-fileutils/benchmarks/bench_chunking.py [--quick] [--size-mib N] [--chunk-mib N]

A file of 1 GiB (64 MiB with --quick) is read in 50 MiB chunks (8 MiB with --quick), each chunk fed to a SHA-1 hash
as an upload or a hash would consume it. Peak memory is what tracemalloc saw during the whole iteration, which the
issue bounds by 2 chunks + 20 MiB. The baseline is what a user writes by hand: ``while chunk := f.read(n)``.
Throughput ratio = baseline CPU time / our CPU time over all rounds (CPU time of this process, so other processes on a
busy machine do not skew it). The temp folder is deleted at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path

from synapse_fileutils import read_file_in_chunk_views, read_file_in_chunks

MIB = 1024 * 1024


def plain_loop(path: Path, chunk_size: int) -> Iterable[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(chunk_size):
            yield chunk


def consume(chunks: Iterable[bytes | memoryview], chunk_size: int) -> int:
    digest = hashlib.sha1()
    count = 0
    sizes_ok = True
    previous = None
    for chunk in chunks:
        if previous is not None and previous != chunk_size:
            sizes_ok = False
        previous = len(chunk)
        digest.update(chunk)
        count += 1
    if not sizes_ok:
        raise AssertionError("a chunk before the last was short")
    return count


def measure(make: Callable[[], Iterable[bytes | memoryview]], chunk_size: int) -> tuple[float, int]:
    """CPU time of this process for one pass (robust on a shared machine), and the traced peak of another pass."""
    start = time.process_time()
    consume(make(), chunk_size)
    elapsed = time.process_time() - start
    tracemalloc.start()
    try:
        consume(make(), chunk_size)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="64 MiB file, 8 MiB chunks")
    parser.add_argument("--size-mib", type=int, default=None)
    parser.add_argument("--chunk-mib", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = (args.size_mib or (64 if args.quick else 1024)) * MIB
    chunk_size = (args.chunk_mib or (8 if args.quick else 50)) * MIB
    budget = 2 * chunk_size + 20 * MIB

    with tempfile.TemporaryDirectory(prefix="bench-chunking-") as folder:
        path = Path(folder) / "big.bin"
        block = os.urandom(8 * MIB)
        with open(path, "wb") as file:
            for offset in range(0, size, len(block)):
                file.write(block[: min(len(block), size - offset)])
        consume(plain_loop(path, chunk_size), chunk_size)  # warm the page cache

        candidates: dict[str, Callable[[], Iterable[bytes | memoryview]]] = {
            "`read_file_in_chunks`": lambda: read_file_in_chunks(path, chunk_size),
            "`read_file_in_chunk_views`": lambda: read_file_in_chunk_views(path, chunk_size),
        }
        rows = []
        for name, make in candidates.items():
            base_total, our_total, peaks = 0.0, 0.0, []
            for _ in range(args.rounds):
                base_time, base_peak = measure(lambda: plain_loop(path, chunk_size), chunk_size)
                our_time, our_peak = measure(make, chunk_size)
                base_total += base_time
                our_total += our_time
                peaks.append((our_peak, base_peak))
            our_peak = max(p[0] for p in peaks)
            base_peak = max(p[1] for p in peaks)
            verdict = "ok" if our_peak <= budget else "OVER"
            rows.append(
                f"| {name} | {base_total / our_total:.2f}x | {our_peak / MIB:.1f} MiB "
                f"({our_peak / chunk_size:.2f} chunks) | {base_peak / MIB:.1f} MiB | {budget / MIB:.0f} MiB {verdict} |"
            )

    print(f"Reading a {size // MIB} MiB file in {chunk_size // MIB} MiB chunks into SHA-1, {args.rounds} rounds. "
          "Baseline: a hand-written `f.read(chunk_size)` loop. Throughput from CPU time; peak: tracemalloc during "
          "the iteration.\n")  # fmt: skip
    print("| reader | throughput vs baseline (CPU) | our peak | baseline peak | budget (2 chunks + 20 MiB) |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
