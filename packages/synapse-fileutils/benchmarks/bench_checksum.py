"""calculate_checksum against hashlib.file_digest (same algorithm, same file, same run), plus parallel checksums.

Usage: python packages/synapse-fileutils/benchmarks/bench_checksum.py [--quick] [--size-mib N] [--rounds N]

A file of 1 GiB (64 MiB with --quick) of random bytes is written to a temp folder and read once to warm the page
cache, so both sides hash from memory and the figure compares the hashing loops, not the disk. Each round times
hashlib.file_digest and calculate_checksum in alternating order; the table reports the throughput ratio from CPU time
and from the best wall time (goal: >= 0.95x) and the extra peak memory of each call measured with tracemalloc
(goal: < 16 MiB).
The last row hashes the same bytes split into 16 files with calculate_checksums (threads) against a sequential loop
of hashlib.file_digest. The temp folder is deleted at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from synapse_fileutils import calculate_checksum, calculate_checksums

MIB = 1024 * 1024


def file_digest(path: Path, algorithm: str) -> str:
    """What a user would write instead: hashlib.file_digest (Python 3.11+), or its loop on older Pythons."""
    with open(path, "rb") as file:
        if hasattr(hashlib, "file_digest"):
            return hashlib.file_digest(file, algorithm).hexdigest()
        digest = hashlib.new(algorithm)
        while chunk := file.read(256 * 1024):
            digest.update(chunk)
        return digest.hexdigest()


def write_random_file(path: Path, size: int) -> None:
    block = os.urandom(8 * MIB)
    with open(path, "wb") as file:
        remaining = size
        while remaining > 0:
            file.write(block[: min(remaining, len(block))])
            remaining -= len(block)


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall time and CPU time of this process (user + system) for one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def peak_memory(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def compare(ours: Callable[[], object], theirs: Callable[[], object], rounds: int) -> dict[str, float]:
    """Throughput ratios (theirs / ours time) from the best wall times and from the summed CPU times.

    The machine is shared: other processes stretch wall times at random. The best of several rounds is the least
    disturbed one, and CPU time (what this process itself spent) ignores time spent waiting for a core. The two sides
    alternate who goes first.
    """
    our_walls, their_walls, our_cpu, their_cpu = [], [], 0.0, 0.0
    for index in range(rounds):
        if index % 2:
            (our_wall, our_c), (their_wall, their_c) = timed(ours), timed(theirs)
        else:
            (their_wall, their_c), (our_wall, our_c) = timed(theirs), timed(ours)
        our_walls.append(our_wall)
        their_walls.append(their_wall)
        our_cpu += our_c
        their_cpu += their_c
    return {
        "wall_ratio": min(their_walls) / min(our_walls),
        "cpu_ratio": their_cpu / our_cpu,
        "ours": min(our_walls),
        "theirs": min(their_walls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="64 MiB file, 3 rounds")
    parser.add_argument(
        "--size-mib", type=int, default=None, help="file size in MiB (default 1024, or 64 with --quick)"
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds per algorithm (default 7, or 3 with --quick)")
    args = parser.parse_args()
    size = (args.size_mib or (64 if args.quick else 1024)) * MIB
    rounds = args.rounds or (3 if args.quick else 7)
    baseline = "hashlib.file_digest" if hasattr(hashlib, "file_digest") else "hashlib read loop (Python < 3.11)"

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-checksum-") as folder:
        path = Path(folder) / "big.bin"
        write_random_file(path, size)
        file_digest(path, "md5")  # warm the page cache
        for algorithm in ("sha1", "sha256", "md5"):
            assert calculate_checksum(path, algorithm) == file_digest(path, algorithm)
            result = compare(
                lambda a=algorithm: calculate_checksum(path, a), lambda a=algorithm: file_digest(path, a), rounds
            )
            our_peak = peak_memory(lambda a=algorithm: calculate_checksum(path, a))
            their_peak = peak_memory(lambda a=algorithm: file_digest(path, a))
            rows.append(
                f"| `calculate_checksum` {algorithm} | {baseline} | {result['cpu_ratio']:.2f}x "
                f"| {result['wall_ratio']:.2f}x | {size / MIB / result['ours']:.0f} MiB/s "
                f"| {size / MIB / result['theirs']:.0f} MiB/s | {our_peak / MIB:.2f} MiB | {their_peak / MIB:.2f} MiB |"
            )

        parts = 16
        part_paths = []
        for index in range(parts):
            part = Path(folder) / f"part-{index}.bin"
            write_random_file(part, size // parts)
            part_paths.append(part)
        for part in part_paths:
            file_digest(part, "md5")

        def sequential() -> object:
            return [file_digest(part, "sha256") for part in part_paths]

        assert list(calculate_checksums(part_paths, "sha256").values()) == sequential()
        result = compare(lambda: calculate_checksums(part_paths, "sha256"), sequential, rounds)
        our_peak = peak_memory(lambda: calculate_checksums(part_paths, "sha256"))
        their_peak = peak_memory(sequential)
        rows.append(
            f"| `calculate_checksums` sha256, {parts} files, {os.cpu_count()} CPUs | sequential {baseline} "
            f"| {result['cpu_ratio']:.2f}x (same work) | {result['wall_ratio']:.2f}x "
            f"| {size / MIB / result['ours']:.0f} MiB/s | {size / MIB / result['theirs']:.0f} MiB/s "
            f"| {our_peak / MIB:.2f} MiB | {their_peak / MIB:.2f} MiB |"
        )

    print(f"Checksums of a {size // MIB} MiB file (page cache warm), {rounds} alternating rounds, Python "
          f"{sys.version.split()[0]}. Ratios are our throughput / baseline throughput (goal >= 0.95x), from CPU time "
          "(this process only, robust on a busy machine) and from the best wall time; MiB/s from the best wall "
          "time; peak = extra memory traced during one call (goal < 16 MiB).\n")  # fmt: skip
    print("| what | against | ratio (CPU) | ratio (best wall) | ours | baseline | our peak | baseline peak |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
