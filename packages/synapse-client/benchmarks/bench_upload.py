"""Benchmark the resumable chunked upload against a plain HTTP PUT of the same bytes, all on 127.0.0.1.

Run: ``python packages/synapse-client/benchmarks/bench_upload.py [--quick]``

1. Throughput: ``create_chunked_upload`` of a 1 GiB file in 50 MiB chunks (``--quick``: 64 MiB in 8 MiB chunks)
   as a ratio of ``curl -T`` (a plain streaming PUT of the same file), both to the same lean server that streams
   bodies to disk (best of 3 each, ``--quick``: 2, interleaved), with each client's CPU time; and, for reference,
   the throughput against the test suite's backend-protocol server (which buffers each chunk and checks the MD5).
   What the comparison cannot equalise: curl sends the file as one request (it cannot chunk) and computes no MD5,
   while the protocol needs the whole file's MD5 before it finishes. So the table also gives the MD5 of the file
   alone (read + ``hashlib.md5`` on one core, best of the same rounds): as a ratio of curl it is the ceiling of any
   client of this protocol on this machine. curl's time includes starting the process and connecting (a few ms);
   the chunked upload's excludes imports and the first connection (made before the clock starts).
2. Memory: the uploading process's growth (peak RSS during the call minus RSS before it) and its peak of Python
   allocations (tracemalloc), against the chunk size (the goal: at most 2 chunks).
3. Resume (backend-protocol server): an upload killed (``os._exit``) after half the file is acknowledged, then
   resumed from its state file by a new process: bytes sent again (the goal: 0) and bytes the second process sent.

The servers run in this process and store what they receive on disk; every client runs in its own child process, so
the memory figures are the client's alone.
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
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

HERE = Path(__file__).resolve().parent
CURL = shutil.which("curl") or "/usr/bin/curl"
MiB = 1024 * 1024

CHILD = """
import json, os, sys, time, tracemalloc
from synapse_client.backend import BackendClient, ChunkedUploader

mode, url, token, tenant, path, state, chunk, stop_after = sys.argv[1:9]
chunk, stop_after = int(chunk), int(stop_after)

def rss_kib(field):
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0

def progress(done, total):
    if stop_after and done >= stop_after:
        os._exit(3)  # a crash: the state file holds what the server acknowledged

client = BackendClient(url, access_token=token, tenant=tenant, timeout=(5, 120))
client.get_project(1)  # imports and connection ready before measuring
if mode == "trace":
    tracemalloc.start()
try:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")  # reset the peak RSS to the current RSS
except OSError:
    pass
before = rss_kib("VmRSS")
uploader = ChunkedUploader(client, path, chunk_size=chunk, progress=progress, state_file=state or None)
started, cpu_started = time.perf_counter(), time.process_time()
record = uploader.upload()
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
peak = tracemalloc.get_traced_memory()[1] if mode == "trace" else None
print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_growth_kib": rss_kib("VmHWM") - before, "py_peak": peak,
                  "bytes_sent": uploader.bytes_sent, "id": record["id"]}))
"""


def _load_backend_server() -> Any:
    from synapse_client.testing import backend_server

    return backend_server


class _LeanServer(BaseHTTPRequestHandler):
    """Streams uploads to disk without buffering them: a plain ``PUT /plain`` (for curl) and the chunked-upload
    protocol (multipart part streamed to the upload's file; no MD5 check), so both clients meet the same server cost.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without this, delayed ACKs stall each reply
    root: Path
    uploads: ClassVar[dict[str, int]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drain_to(self, path: Path, count: int, mode: str) -> int:
        written = 0
        with open(path, mode) as file:
            while written < count:
                block = self.rfile.read(min(count - written, MiB))
                if not block:
                    break
                file.write(block)
                written += len(block)
        return written

    def do_GET(self) -> None:
        self._reply(200, {})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._reply(200, {"id": self.path.strip("/").rsplit("/", 1)[-1]})

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if self.path == "/plain":
            self._drain_to(self.root / "plain.bin", length, "wb")
            self._reply(201, {})
            return
        boundary = self.headers.get("Content-Type", "").split("boundary=", 1)[-1]
        head = b""
        while not head.endswith(b"\r\n\r\n"):  # the part's headers, line by line
            line = self.rfile.readline(8192)
            if not line:
                return
            head += line
        tail = len(f"\r\n--{boundary}--\r\n")
        uid = self.path.strip("/").rsplit("/", 1)[-1]
        if uid == "chunked_upload":
            uid = f"u{len(self.uploads)}"
            self.uploads[uid] = 0
        written = self._drain_to(self.root / uid, length - len(head) - tail, "ab")
        self.rfile.read(tail)
        self.uploads[uid] += written
        url = f"http://127.0.0.1:{self.server.server_address[1]}/chunked_upload/{uid}/"
        self._reply(200, {"url": url, "offset": self.uploads[uid]})


class _Endpoint:
    def __init__(self, url: str) -> None:
        self.url = url


def _write_file(path: Path, size: int) -> None:
    block = os.urandom(MiB)
    with open(path, "wb") as file:
        for _ in range(size // MiB):
            file.write(block)
        file.write(block[: size % MiB])


def _child(server: Any, backend: Any, mode: str, path: Path, state: Path | None, chunk: int, stop: int) -> Any:
    argv = [sys.executable, "-c", CHILD, mode, server.url, backend.ACCESS_TOKEN, backend.TENANT, str(path),
            str(state or ""), str(chunk), str(stop)]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False)
    if stop:
        return result.returncode
    if result.returncode != 0:
        raise RuntimeError(f"upload child failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout)


def _curl(url: str, path: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, curl's own) of ``curl -T``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([CURL, "-sS", "-f", "-T", str(path), url, "-o", os.devnull], check=True, timeout=1800)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _md5_alone(path: Path) -> float:
    """Seconds to read and MD5 the file on one thread: the least an upload that must send the MD5 takes."""
    import hashlib

    view = memoryview(bytearray(MiB))
    digest = hashlib.md5(usedforsecurity=False)
    started = time.perf_counter()
    with open(path, "rb", buffering=0) as file:
        while read := file.readinto(view):
            digest.update(view[:read])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64 MiB in 8 MiB chunks instead of 1 GiB in 50 MiB")
    args = parser.parse_args()
    size, chunk, rounds = (64 * MiB, 8 * MiB, 2) if args.quick else (1024 * MiB, 50 * MiB, 3)

    backend = _load_backend_server()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        root = Path(tmp)
        source = root / "source.bin"
        _write_file(source, size)
        (root / "lean").mkdir()
        _LeanServer.root = root / "lean"
        lean = ThreadingHTTPServer(("127.0.0.1", 0), _LeanServer)
        lean.daemon_threads = True
        threading.Thread(target=lean.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        lean_url = f"http://127.0.0.1:{lean.server_address[1]}"
        try:
            load_before = os.getloadavg()[0]
            chunked_runs: list[tuple[float, float]] = []
            curl_runs: list[tuple[float, float]] = []
            md5_times: list[float] = []
            growth: list[int] = []
            for _ in range(rounds):  # interleaved, best of each
                run = _child(_Endpoint(lean_url), backend, "plain", source, None, chunk, 0)
                chunked_runs.append((run["seconds"], run["cpu"]))
                growth.append(run["rss_growth_kib"])
                _clear(root / "lean")
                curl_runs.append(_curl(f"{lean_url}/plain", source))
                _clear(root / "lean")
                md5_times.append(_md5_alone(source))
            load_after = os.getloadavg()[0]
            traced = _child(_Endpoint(lean_url), backend, "trace", source, None, chunk, 0)
            _clear(root / "lean")

            with backend.BackendServer(root / "server") as server:
                protocol_run = _child(server, backend, "plain", source, None, chunk, 0)
                _clear(root / "server" / "uploads")
                state = root / "upload.state"
                before = server.chunk_bytes_received
                killed = _child(server, backend, "plain", source, state, chunk, size // 2)
                saved = json.loads(state.read_text())["offset"]
                resumed = _child(server, backend, "plain", source, state, chunk, 0)
                received = server.chunk_bytes_received - before
        finally:
            lean.shutdown()
            lean.server_close()

    chunked_best, curl_best = min(chunked_runs), min(curl_runs)
    chunked_mib_s = size / MiB / chunked_best[0]
    curl_mib_s = size / MiB / curl_best[0]
    md5_mib_s = size / MiB / min(md5_times)
    print(f"## Chunked upload of {size // MiB} MiB in {chunk // MiB} MiB chunks (127.0.0.1, best of {rounds})\n")
    print(f"{os.cpu_count()} CPUs, load average {load_before:.1f} before and {load_after:.1f} after the rounds.\n")
    print("| measure | chunked upload | plain PUT (`curl -T`) | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| throughput, streaming server (MiB/s) | {chunked_mib_s:.0f} | {curl_mib_s:.0f} | "
          f"{chunked_mib_s / curl_mib_s:.2f}x |")  # fmt: skip
    print(f"| client CPU time of the best run (s) | {chunked_best[1]:.2f} | {curl_best[1]:.2f} | "
          f"{chunked_best[1] / max(curl_best[1], 1e-9):.1f}x |")  # fmt: skip
    print(f"| MD5 of the file alone, one core (MiB/s): the ceiling | {md5_mib_s:.0f} | {curl_mib_s:.0f} | "
          f"{md5_mib_s / curl_mib_s:.2f}x |")  # fmt: skip
    print(f"| throughput, test protocol server (MiB/s) | {size / MiB / protocol_run['seconds']:.0f} | | |")
    print(f"| client RSS growth (MiB) | {min(growth) / 1024:.1f} | | {min(growth) * 1024 / chunk:.2f} chunks |")
    print(f"| client peak Python allocations (MiB) | {traced['py_peak'] / MiB:.1f} | | "
          f"{traced['py_peak'] / chunk:.2f} chunks |")  # fmt: skip
    print()
    print("| resume after a killed process (test protocol server) | bytes |")
    print("|---|---:|")
    print(f"| acknowledged before the kill (exit code {killed}) | {saved:,} |")
    print(f"| sent by the resumed process | {resumed['bytes_sent']:,} |")
    print(f"| received by the server in all | {received:,} |")
    print(f"| sent twice (goal 0) | {received - size:,} |")


def _clear(folder: Path) -> None:
    for path in folder.glob("*"):
        path.unlink()


if __name__ == "__main__":
    main()
