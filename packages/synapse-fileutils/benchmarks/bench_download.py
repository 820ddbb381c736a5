"""Benchmark download_file against curl, resume traffic, and concurrent small downloads, all on 127.0.0.1.

Run: ``python packages/synapse-fileutils/benchmarks/bench_download.py [--quick]``

1. One big file (1 GiB; ``--quick``: 128 MiB) from a local HTTP server (``sendfile``): throughput of
   ``download_file`` as a ratio of ``curl -o`` and of a plain ``urllib.request.urlopen`` + ``shutil.copyfileobj``
   loop (what Python alone reaches here), all in the same run, interleaved, each with its CPU time (user + system);
   and the download process's memory growth (peak RSS during the call minus RSS before it). Neither peer fsyncs;
   ``download_file`` does, before its rename. Best of 5 (``--quick``: 3) because the figures come from shared, noisy
   machines.
2. The same kind of file with the connection dropped halfway: bytes the server sent in all versus the file size
   (a resume that moves only the missing bytes sends exactly the file size).
3. 200 small files with 50 ms server latency: ``files_url_to_path`` (threads) and ``afiles_url_to_path`` (asyncio)
   versus a plain sequential loop of ``download_file``.

The server runs in this process; every client runs in its own child process so neither steals the other's GIL and
the memory figure is the client's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CURL = shutil.which("curl") or "/usr/bin/curl"
MiB = 1024 * 1024


def _load_fileserver():
    from synapse_testkit import fileserver

    return fileserver


def _rss_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak_rss() -> None:
    try:  # Linux >= 4.0: writing 5 to clear_refs resets VmHWM to the current RSS
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass


def child(spec: dict) -> dict:
    """Runs in a child process: one measured operation, result as JSON."""
    import asyncio

    from synapse_fileutils.download import afiles_url_to_path, download_file, files_url_to_path, shared_session

    shared_session()  # import requests and build the pool before measuring
    import aiohttp  # noqa: F401 - imported before measuring, like requests

    folder = Path(spec["folder"])
    if spec["mode"] == "single":
        _reset_peak_rss()
        before = _rss_kib("VmRSS")
        start, cpu = time.perf_counter(), time.process_time()
        path = download_file(spec["url"], folder, progress=False)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        growth = max(_rss_kib("VmHWM") - before, 0) * 1024
        return {"seconds": seconds, "cpu": cpu, "rss_growth": growth, "size": path.stat().st_size}
    if spec["mode"] == "urllib":  # the plain Python loop: no retries, no resume, no fsync, no atomic rename
        import urllib.request

        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "urllib.bin"
        start, cpu = time.perf_counter(), time.process_time()
        with urllib.request.urlopen(spec["url"], timeout=60) as response, open(target, "wb") as out:
            shutil.copyfileobj(response, out)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        return {"seconds": seconds, "cpu": cpu, "size": target.stat().st_size}
    urls = spec["urls"]
    start = time.perf_counter()
    if spec["mode"] == "sequential":
        for url in urls:
            download_file(url, folder, progress=False)
    elif spec["mode"] == "requests":  # what a user would write by hand: no retries, no fsync, no atomic rename
        session = shared_session()
        folder.mkdir(parents=True, exist_ok=True)
        for number, url in enumerate(urls):
            response = session.get(url, timeout=30)
            response.raise_for_status()
            (folder / f"{number}.txt").write_bytes(response.content)
    elif spec["mode"] == "threads":
        files_url_to_path(dict(enumerate(urls)), path_download=folder, progress=False)  # type: ignore[arg-type]
    else:
        asyncio.run(afiles_url_to_path(dict(enumerate(urls)), path_download=folder, progress=False))  # type: ignore[arg-type]
    return {"seconds": time.perf_counter() - start}


def run_child(spec: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_curl(url: str, target: Path) -> dict:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([CURL, "--silent", "--fail", "--output", str(target), url], check=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"seconds": seconds, "cpu": cpu}


def make_file(path: Path, size: int) -> None:
    block = os.urandom(16 * MiB)
    with open(path, "wb") as file:
        written = 0
        while written < size:
            step = min(len(block), size - written)
            file.write(block[:step])
            written += step


def bench_big(fileserver, work: Path, size: int, rounds: int) -> dict:
    source = work / "source.bin"
    make_file(source, size)
    runs: dict[str, list[dict]] = {"curl": [], "urllib": [], "ours": []}
    with fileserver.FileServer() as server:
        url = server.add("/big.bin", source)
        for round_ in range(rounds):
            order = ["curl", "urllib", "ours"]
            order = order[round_ % 3 :] + order[: round_ % 3]  # no tool always goes first (or after the same one)
            for tool in order:
                folder = work / tool
                if tool == "curl":
                    folder.mkdir()
                    result = time_curl(url, folder / "curl.bin")
                else:
                    result = run_child(
                        {"mode": "single" if tool == "ours" else tool, "url": url, "folder": str(folder)}
                    )
                    assert result["size"] == size
                runs[tool].append(result)
                shutil.rmtree(folder)
    source.unlink()
    best = {tool: min(results, key=lambda r: r["seconds"]) for tool, results in runs.items()}
    return {
        **{f"{tool}_mib_s": size / MiB / best[tool]["seconds"] for tool in runs},
        **{f"{tool}_cpu": best[tool]["cpu"] for tool in runs},
        **{f"{tool}_s": best[tool]["seconds"] for tool in runs},
        "ratio": best["curl"]["seconds"] / best["ours"]["seconds"],
        "urllib_ratio": best["urllib"]["seconds"] / best["ours"]["seconds"],
        "rss_growth_mib": max(r["rss_growth"] for r in runs["ours"]) / MiB,
    }


def bench_resume(fileserver, work: Path, size: int) -> dict:
    source = work / "resume.bin"
    make_file(source, size)
    with fileserver.FileServer() as server:
        url = server.add("/resume.bin", source, faults={1: fileserver.Fault(drop_after=size // 2)})
        folder = work / "resume"
        result = run_child({"mode": "single", "url": url, "folder": str(folder)})
        resource = server.resource("/resume.bin")
        shutil.rmtree(folder)
    source.unlink()
    assert result["size"] == size
    return {
        "size": size,
        "first_attempt": resource.requests[0].body_bytes,
        "resumed": resource.requests[1].body_bytes,
        "sent": resource.bytes_sent,
        "ranges": [r.range for r in resource.requests],
    }


def bench_many(fileserver, work: Path, count: int, rounds: int) -> dict:
    results: dict = {}
    with fileserver.FileServer(latency=0.05) as server:
        for mode in ("requests", "sequential", "threads", "async"):
            slow = mode in ("requests", "sequential")  # the slow loops once; the others best of n
            for round_ in range(1 if slow else rounds):
                urls = [server.add(f"/{mode}{round_}/{i}.txt", f"small file {i}\n".encode() * 64) for i in range(count)]
                folder = work / mode
                server.reset_counters()
                seconds = run_child({"mode": mode, "urls": urls, "folder": str(folder)})["seconds"]
                results[mode] = min(seconds, results.get(mode, seconds))
                key = f"{mode}_max_concurrent"
                results[key] = max(server.max_concurrent, results.get(key, 0))
                shutil.rmtree(folder)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="128 MiB instead of 1 GiB")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return

    fileserver = _load_fileserver()
    size = (128 if args.quick else 1024) * MiB
    rounds = 3 if args.quick else 5
    with tempfile.TemporaryDirectory(prefix="bench-download-") as tmp:
        work = Path(tmp)
        big = bench_big(fileserver, work, size, rounds)
        resume = bench_resume(fileserver, work, size)
        many = bench_many(fileserver, work, 200, 3)

    label = f"{size // MiB} MiB"
    kind = "quick" if args.quick else "full"
    print(f"## download_file benchmarks ({kind}; big file best of {rounds}, batches best of 3)\n")
    print("| measurement | synapse-fileutils | baseline | ratio | goal |")
    print("|---|---|---|---|---|")
    print(
        f"| {label} from a local server, throughput (wall {big['ours_s']:.2f} s, CPU {big['ours_cpu']:.2f} s) |"
        f" {big['ours_mib_s']:.0f} MiB/s | `curl -o` {big['curl_mib_s']:.0f} MiB/s (wall {big['curl_s']:.2f} s,"
        f" CPU {big['curl_cpu']:.2f} s) | {big['ratio']:.2f}x curl | >= 1.5x |"
    )
    print(
        f"| same, against `urlopen` + `shutil.copyfileobj` (no fsync) | {big['ours_mib_s']:.0f} MiB/s |"
        f" {big['urllib_mib_s']:.0f} MiB/s (wall {big['urllib_s']:.2f} s, CPU {big['urllib_cpu']:.2f} s) |"
        f" {big['urllib_ratio']:.2f}x urllib | >= 0.8x |"
    )
    print(f"| {label} download, memory growth | {big['rss_growth_mib']:.1f} MiB | | | < 64 MiB |")
    print(
        f"| {label} dropped at {resume['first_attempt'] // MiB} MiB, bytes sent in all | {resume['sent']:,} |"
        f" file {resume['size']:,} | {resume['sent'] / resume['size']:.3f}x file size | 1.000x (only missing bytes)"
        f" |"
    )
    seq, plain = many["sequential"], many["requests"]
    for mode in ("threads", "async"):
        name = "files_url_to_path" if mode == "threads" else "afiles_url_to_path"
        print(
            f"| 200 files, 50 ms latency, {name} (max {many[f'{mode}_max_concurrent']} concurrent) |"
            f" {many[mode]:.2f} s | sequential download_file loop {seq:.2f} s | {seq / many[mode]:.1f}x faster |"
            " >= 8x |"
        )
        print(
            f"| same, against a plain `requests.get` loop (no fsync, no retries) | {many[mode]:.2f} s |"
            f" {plain:.2f} s | {plain / many[mode]:.1f}x faster | |"
        )
    print(f"\nresume requests: {resume['ranges']}; sent {resume['first_attempt']:,} + {resume['resumed']:,} bytes")


if __name__ == "__main__":
    main()
