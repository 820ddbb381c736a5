"""Export from the backend and upload to it: our actions against the old flow's shape on the same protocol server.

Usage: python packages/synapse-plugins/benchmarks/bench_export.py [--quick] [--items N] [--memory-items M]

The backend protocol test server (``packages/synapse-client/tests/backend_server.py``) runs in this process with
20 ms added to every request; it holds N tasks (10 000; 1 000 with --quick), each with a data unit whose original
file is a small binary the server stores. Each flow runs in a fresh Python process (its time and peak memory are
its own) and exports with originals to a local folder:

- ours: the built-in ``export`` action (target ``task``), originals fetched 8 at a time, and a logger with the
  backend logger's shape (log entries POSTed in batches of 200, progress and metrics PATCHed at most once a second);
- old flow: what synapse-sdk v1 did per item, reproduced with ``requests``: page 1 read twice (validation, then the
  listing), then per item a sequential ``requests.get`` of the original (body in memory, plain write), one PATCH per
  ``set_progress``, one per ``log_metrics`` (two per item), and a POST of the log queue per file event (two per
  item). It runs on the first 300 items (30 with --quick) and its rate is items per second over those.

Peak memory of ours is measured at N and at M items (100 000; 10 000 with --quick) without the added latency, to
show it does not grow with the number of items. Peak memory is the worker's largest RSS (sampled every 20 ms) minus its
RSS after imports. ``--memory-only`` runs just the two memory runs.

Upload: 1 000 small files (200 with --quick) in one folder, 20 ms per request: the built-in ``upload`` action
(10 at a time, data units in batches of 100) against the v1 shape (one file, then one data unit, one request each,
in sequence).
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
LATENCY = 0.02
ENV_NAMES = ("SYNAPSE_HOST", "SYNAPSE_ACCESS_TOKEN", "SYNAPSE_TENANT")
PROJECT = 3


def _server_modules() -> Any:
    import synapse_client.testing as servers  # the backend server and the protocol helpers live there

    return servers, servers


def rss_mib() -> float:
    """The resident set size now, in MiB (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / (1024 * 1024)


class PeakSampler:
    """The largest resident set size seen while running, sampled every 20 ms (``ru_maxrss`` keeps import spikes)."""

    def __init__(self) -> None:
        self.peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mib())

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib())


# --- the workers (run in fresh processes) ----------------------------------------------------------------------------


class BatchingLogger:
    """The backend logger's shape: logs POSTed 200 at a time, progress and metrics PATCHed at most once a second."""

    def __init__(self, url: str, token: str, tenant: str, job: str) -> None:
        import requests

        self.session = requests.Session()
        self.session.headers.update({"Synapse-Access-Token": f"Token {token}", "SYNAPSE-Tenant": f"Token {tenant}"})
        self.url, self.job = url.rstrip("/"), job
        self.queue: list[dict[str, Any]] = []
        self.pending: dict[str, Any] = {}
        self.last = 0.0
        self.lock = threading.Lock()

    def log(self, entry: Any) -> None:
        with self.lock:
            self.queue.append(entry.to_wire())
            if len(self.queue) >= 200:
                self._flush_logs()

    def _flush_logs(self) -> None:
        if self.queue:
            self.session.post(f"{self.url}/logs/", json=self.queue, timeout=30)
            self.queue = []

    def _patch(self, key: str, record: dict[str, Any], *, force: bool = False) -> None:
        with self.lock:
            self.pending[key] = record
            if force or time.monotonic() - self.last >= 1.0:
                self.session.patch(f"{self.url}/jobs/{self.job}/", json=self.pending, timeout=30)
                self.pending, self.last = {}, time.monotonic()

    def set_progress(self, record: dict[str, Any]) -> None:
        self._patch("progress_record", record)

    def set_metrics(self, record: dict[str, Any]) -> None:
        self._patch("metrics_record", record)

    def set_status(self, status: Any, *, result: Any = None, error: str | None = None) -> None:
        pass

    def close(self) -> None:
        with self.lock:
            self._flush_logs()
            if self.pending:
                self.session.patch(f"{self.url}/jobs/{self.job}/", json=self.pending, timeout=30)


def run_ours(url: str, token: str, tenant: str, out: Path) -> int:
    from synapse_plugins.execution import Invocation, execute

    plugin = out / "plugin"
    plugin.mkdir(parents=True)
    (plugin / "config.yaml").write_text(
        "code: bench-export\nname: Bench\nversion: 0.1.0\ncategory: export\nactions:\n  export: {}\n", encoding="utf-8"
    )
    params = {"name": "bench", "path": str(out / "exports"), "target": "task", "filter": {"project": PROJECT}}
    environ = {"SYNAPSE_HOST": url, "SYNAPSE_ACCESS_TOKEN": token, "SYNAPSE_TENANT": tenant}
    logger = BatchingLogger(url, token, tenant, "1")
    result = execute(Invocation.create(plugin, "export", params, env_names=ENV_NAMES), logger=logger, environ=environ)
    return len(list((Path(result["export_path"]) / "json").iterdir()))


def run_old(url: str, token: str, tenant: str, out: Path, limit: int) -> int:
    """The v1 export loop's requests, in order, sequentially."""
    import requests

    session = requests.Session()
    session.headers.update({"Synapse-Access-Token": f"Token {token}", "SYNAPSE-Tenant": f"Token {tenant}"})
    base = url.rstrip("/")
    params = {"project": PROJECT, "expand": "data_unit"}
    session.get(f"{base}/sdk/tasks/", params=params, timeout=60).json()  # validation: page 1
    page_url: str | None = f"{base}/sdk/tasks/"
    (out / "json").mkdir(parents=True)
    (out / "origin_files").mkdir()
    logs: list[dict[str, Any]] = []
    done = 0
    while page_url and done < limit:
        page = session.get(page_url, params=params if page_url.endswith("/sdk/tasks/") else None, timeout=60).json()
        page_url = page["next"]
        for task in page["results"]:
            if done >= limit:
                break
            done += 1
            session.patch(f"{base}/jobs/1/", json={"progress_record": {"n": done}}, timeout=60)  # set_progress
            files = task["data_unit"]["files"]["image_1"]
            body = requests.get(files["url"], timeout=None).content  # v1: no timeout, body in memory
            (out / "origin_files" / files["file_name_original"]).write_bytes(body)
            logs.append({"event": "export_original_file", "data": {"target_id": task["id"]}, "job": "1"})
            session.post(f"{base}/logs/", json=logs, timeout=60)  # v1 posts the whole queue, cleared on success
            logs = []
            session.patch(f"{base}/jobs/1/", json={"metrics_record": {"original_file": done}}, timeout=60)
            name = Path(files["file_name_original"]).stem
            (out / "json" / f"{name}.json").write_text(json.dumps(task["data"], indent=4), encoding="utf-8")
            logs.append({"event": "export_data_file", "data": {"target_id": task["id"]}, "job": "1"})
            session.post(f"{base}/logs/", json=logs, timeout=60)
            logs = []
            session.patch(f"{base}/jobs/1/", json={"metrics_record": {"data_file": done}}, timeout=60)
    return done


def run_upload(flow: str, url: str, token: str, tenant: str, source: Path, out: Path) -> int:
    if flow == "sequential":
        from synapse_client.backend import BackendClient

        client = BackendClient(url, access_token=token, tenant=tenant)
        count = 0
        for path in sorted((source / "image_1").iterdir()):
            data_file = client.create_data_file(path)
            client.create_data_units([{"data_collection": 1, "files": {"image_1": {"checksum": data_file["checksum"],
                                                                                  "path": path.name}}}])  # fmt: skip
            count += 1
        return count
    from synapse_plugins.execution import Invocation, execute
    from synapse_plugins.run.loggers import NullLogger

    plugin = out / "plugin"
    plugin.mkdir(parents=True)
    (plugin / "config.yaml").write_text(
        "code: bench-upload\nname: Bench\nversion: 0.1.0\ncategory: upload\nactions:\n  upload: {}\n", encoding="utf-8"
    )
    params = {"name": "bench", "path": str(source), "collection": 1}
    environ = {"SYNAPSE_HOST": url, "SYNAPSE_ACCESS_TOKEN": token, "SYNAPSE_TENANT": tenant}
    result = execute(Invocation.create(plugin, "upload", params, env_names=ENV_NAMES), logger=NullLogger(),
                     environ=environ)  # fmt: skip
    return int(result["generated_data_units_count"])


def worker(args: list[str]) -> None:
    kind, url, token, tenant, out = args[:5]
    import requests  # noqa: F401 - every worker pays the same imports before the baseline

    import synapse_plugins.execution
    import synapse_plugins.export.action  # noqa: F401

    baseline = rss_mib()
    start = time.perf_counter()
    with PeakSampler() as sampler:
        if kind == "ours":
            items = run_ours(url, token, tenant, Path(out))
        elif kind == "old":
            items = run_old(url, token, tenant, Path(out), int(args[5]))
        else:
            items = run_upload(kind, url, token, tenant, Path(args[5]), Path(out))
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "items": items, "peak_mib": sampler.peak - baseline}))


# --- the driver ----------------------------------------------------------------------------------------------------


def measure(kind: str, server: Any, token: str, tenant: str, *extra: str) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix=f"bench-export-{kind}-"))
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", kind, server.url, token, tenant, str(out), *extra],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode:
            raise SystemExit(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        return result
    finally:
        shutil.rmtree(out, ignore_errors=True)


def populate(server: Any, count: int) -> None:
    for i in range(count):
        stored = server.store_file(f"img{i:06d}.jpg", f"original image {i:06d} ".encode() * 40)  # ~1 KiB each
        files = {"image_1": {"url": stored["url"], "checksum": stored["checksum"],
                             "file_name_original": f"img{i:06d}.jpg", "is_primary": True}}  # fmt: skip
        server.add("tasks", {"project": PROJECT, "data": {"i": i, "boxes": [[i % 50, 3, 10, 12]]},
                             "data_unit": {"id": 10_000_000 + i, "files": files}})  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 000 items (memory at 10 000), 200 uploads")
    parser.add_argument("--items", type=int)
    parser.add_argument("--memory-items", type=int)
    parser.add_argument("--memory-only", action="store_true", help="only the peak memory at N and M items")
    args = parser.parse_args()
    items = args.items or (1_000 if args.quick else 10_000)
    memory_items = args.memory_items or (10_000 if args.quick else 100_000)
    old_items = 30 if args.quick else 300
    uploads = 200 if args.quick else 1_000
    backend_server, protocol_server = _server_modules()
    token, tenant = backend_server.ACCESS_TOKEN, backend_server.TENANT
    delay = protocol_server.Fault.delay(LATENCY, times=None)
    if args.memory_only:
        with tempfile.TemporaryDirectory(prefix="bench-export-server-") as scratch:
            print("| export peak memory (no added latency) | items | seconds | peak MiB above imports |")
            print("|---|---|---|---|")
            for count in (items, memory_items):
                with backend_server.BackendServer(Path(scratch) / str(count)) as server:
                    populate(server, count)
                    server.add("projects", {"id": PROJECT, "title": "Bench", "configuration": {}})
                    run = measure("ours", server, token, tenant)
                print(f"| ours | {run['items']:,} | {run['seconds']:.1f} | {run['peak_mib']:.1f} |", flush=True)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-export-server-") as scratch:
        with backend_server.BackendServer(Path(scratch) / "a") as server:
            populate(server, items)
            server.add("projects", {"id": PROJECT, "title": "Bench", "configuration": {}})
            server.protocol.inject("*", r".*", delay)
            ours = measure("ours", server, token, tenant)
            old = measure("old", server, token, tenant, str(old_items))
        with backend_server.BackendServer(Path(scratch) / "b") as server:
            populate(server, memory_items)
            server.add("projects", {"id": PROJECT, "title": "Bench", "configuration": {}})
            big = measure("ours", server, token, tenant)
        source = Path(scratch) / "upload" / "image_1"
        source.mkdir(parents=True)
        for i in range(uploads):
            (source / f"f{i:05d}.bin").write_bytes(f"small file {i}\n".encode() * 8)
        results = {}
        for flow in ("ours-upload", "sequential"):
            with backend_server.BackendServer(Path(scratch) / flow) as server:
                server.protocol.inject("*", r".*", delay)
                results[flow] = measure(flow, server, token, tenant, str(source.parent))
    ours_rate = ours["items"] / ours["seconds"]
    old_rate = old["items"] / old["seconds"]
    rows.append(f"| export with originals, {LATENCY * 1000:.0f} ms/request | {ours['items']:,} items in "
                f"{ours['seconds']:.1f} s = {ours_rate:.0f} items/s | {old['items']} items in {old['seconds']:.1f} s = "
                f"{old_rate:.1f} items/s | {ours_rate / old_rate:.1f}x |")  # fmt: skip
    up, seq = results["ours-upload"], results["sequential"]
    rows.append(f"| upload of {uploads:,} small files, {LATENCY * 1000:.0f} ms/request | {up['items']:,} units in "
                f"{up['seconds']:.1f} s | {seq['items']:,} in {seq['seconds']:.1f} s (sequential) "
                f"| {seq['seconds'] / up['seconds']:.1f}x |")  # fmt: skip
    print("| what | ours | old flow's shape | ratio |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("| export peak memory (no added latency) | items | seconds | peak MiB above imports |")
    print("|---|---|---|---|")
    print(f"| ours | {ours['items']:,} | {ours['seconds']:.1f} (20 ms/request) | {ours['peak_mib']:.1f} |")
    print(f"| ours | {big['items']:,} | {big['seconds']:.1f} | {big['peak_mib']:.1f} |")
    print(f"| old flow (first {old['items']} items) | {old['items']} | {old['seconds']:.1f} | {old['peak_mib']:.1f} |")
    os.sync()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
    else:
        main()
