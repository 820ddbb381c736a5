"""Benchmark storage uploads and downloads against the tools a user would pick instead.

Moves one big file (1 GiB; ``--quick``: 64 MiB) through

* the local provider, against ``cp``;
* the S3 provider on moto's S3 server on 127.0.0.1 (in its own process), against boto3's ``upload_file`` /
  ``download_file`` (multipart, 10 threads).

Every measured operation runs in a fresh Python process, which reports its wall time and its peak memory growth over
the baseline after imports (``ru_maxrss``), so one run's buffers cannot hide in another's figure. Goal: memory growth
< 64 MiB for our provider. Throughput is reported as a ratio (theirs' time / our time; > 1 means we are faster).

Usage: python packages/synapse-fileutils/benchmarks/bench_storage.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
ACCESS_KEY = "AKIABENCHMARK0000000"
SECRET_KEY = "bench-secret-key"
BUCKET = "bench-bucket"

MOTO_SERVER = """
import logging, sys
from moto.server import ThreadedMotoServer
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # runs until the parent closes our stdin
server.stop()
"""


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(task: dict[str, Any]) -> dict[str, float]:
    """Run one operation in this (fresh) process; return seconds and peak memory growth in MiB."""
    kind, src, dst = task["kind"], task["src"], task["dst"]
    endpoint = task.get("endpoint")
    if kind.startswith("ours-s3"):
        from synapse_fileutils.storage import get_storage

        storage = get_storage(
            {
                "provider": "amazon_s3",
                "configuration": {
                    "bucket_name": BUCKET,
                    "access_key": ACCESS_KEY,
                    "secret_key": SECRET_KEY,
                    "endpoint_url": endpoint,
                    "region_name": "us-east-1",
                },
            }
        )
        storage.exists("warm-up")  # loads the client and its service model, as creating the boto3 client does
    elif kind.startswith("ours-local"):
        from synapse_fileutils.storage import LocalStorage

        storage = LocalStorage(task["root"])
    elif kind.startswith("boto3"):
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        )
    baseline = _rss_mib()
    started = time.perf_counter()
    if kind in ("ours-s3-upload", "ours-local-upload"):
        storage.upload(src, dst)
    elif kind in ("ours-s3-download", "ours-local-download"):
        storage.download(src, dst)
    elif kind == "boto3-upload":
        client.upload_file(src, BUCKET, dst)
    elif kind == "boto3-download":
        client.download_file(BUCKET, src, dst)
    else:
        raise ValueError(kind)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "growth_mib": max(0.0, _rss_mib() - baseline)}


def run_child(task: dict[str, Any]) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(task)], capture_output=True, text=True, check=False
    )
    if proc.returncode:
        raise RuntimeError(f"{task['kind']} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def time_cp(src: Path, dst: Path, *, fsync: bool = False) -> float:
    """Time ``cp``; with ``fsync``, also flush the copy to disk as our atomic writes do (cp itself does not)."""
    started = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    if fsync:
        fd = os.open(dst, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return time.perf_counter() - started


def make_file(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with open(path, "wb") as out:
        for _ in range(size // MIB):
            out.write(block)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64 MiB instead of 1 GiB")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0

    size = 64 * MIB if args.quick else 1024 * MIB
    work = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    moto = subprocess.Popen(
        [sys.executable, "-c", MOTO_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert moto.stdout is not None
        endpoint = f"http://127.0.0.1:{int(moto.stdout.readline())}"
        import boto3

        boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        ).create_bucket(Bucket=BUCKET)  # fmt: skip
        source = work / "source.bin"
        make_file(source, size)
        root = work / "root"
        rows = []

        # Local provider vs cp.
        up = run_child({"kind": "ours-local-upload", "src": str(source), "dst": "up.bin", "root": str(root)})
        cp_up = time_cp(source, work / "cp-up.bin", fsync=True)
        down = run_child(
            {"kind": "ours-local-download", "src": "up.bin", "dst": str(work / "down.bin"), "root": str(root)}
        )
        cp_down = time_cp(root / "up.bin", work / "cp-down.bin", fsync=True)
        assert (work / "down.bin").stat().st_size == size
        rows.append(("local upload", up, {"seconds": cp_up, "growth_mib": float("nan")}, "cp + fsync"))
        rows.append(("local download", down, {"seconds": cp_down, "growth_mib": float("nan")}, "cp + fsync"))
        for name in ("cp-up.bin", "cp-down.bin", "down.bin"):
            (work / name).unlink()
        shutil.rmtree(root)

        # S3 provider vs boto3 (same server, fresh keys).
        up = run_child({"kind": "ours-s3-upload", "src": str(source), "dst": "ours.bin", "endpoint": endpoint})
        b_up = run_child({"kind": "boto3-upload", "src": str(source), "dst": "boto3.bin", "endpoint": endpoint})
        down = run_child(
            {"kind": "ours-s3-download", "src": "ours.bin", "dst": str(work / "o.bin"), "endpoint": endpoint}
        )
        b_down = run_child(
            {"kind": "boto3-download", "src": "boto3.bin", "dst": str(work / "b.bin"), "endpoint": endpoint}
        )
        assert (work / "o.bin").stat().st_size == size
        rows.append(("S3 upload (moto, 127.0.0.1)", up, b_up, "boto3 upload_file"))
        rows.append(("S3 download (moto, 127.0.0.1)", down, b_down, "boto3 download_file"))
    finally:
        if moto.stdin is not None:
            moto.stdin.close()
        try:
            moto.wait(timeout=30)
        except subprocess.TimeoutExpired:
            moto.kill()
        shutil.rmtree(work, ignore_errors=True)

    print(f"### storage: {size // MIB} MiB file{' (quick)' if args.quick else ''}\n")
    print("| operation | ours MiB/s | other tool | other MiB/s | throughput ratio (ours/other) "
          "| ours memory growth MiB | other memory growth MiB | goal: growth < 64 MiB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for name, ours, theirs, tool in rows:
        ours_rate = size / MIB / ours["seconds"]
        theirs_rate = size / MIB / theirs["seconds"]
        other_growth = (
            "n/a (separate binary)" if theirs["growth_mib"] != theirs["growth_mib"] else f"{theirs['growth_mib']:.1f}"
        )
        ok = "yes" if ours["growth_mib"] < 64 else "NO"
        print(f"| {name} | {ours_rate:.0f} | {tool} | {theirs_rate:.0f} | {ours_rate / theirs_rate:.2f}x "
              f"| {ours['growth_mib']:.1f} | {other_growth} | {ok} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
