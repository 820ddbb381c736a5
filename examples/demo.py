"""The main job: start a local Ray head, run the export job on it, follow its log, and check what it produced.

Run it with ``nox -s demo`` (which installs the three packages with their extras). Steps:

1. start a Ray head on 127.0.0.1 (``synapse_client.testing.LocalRayHead``; stopped at the end);
2. submit ``examples/demo_job.py`` as a Ray job with ``RayClient.submit_job`` (an argv list, never a shell string);
3. follow the job's log live over the dashboard's WebSocket (``RayClient.tail_job_logs``);
4. wait for the job to end, then check every output archive against the SHA-256 the job recorded, open the COCO
   export, and print a summary.

Usage: python examples/demo.py [--out DIR] [--protocol websocket|stream]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from synapse_client.ray import JobStatus, RayClient
from synapse_client.testing import LocalRayHead
from synapse_fileutils import calculate_checksums
from synapse_fileutils.video import FFmpegNotFoundError, find_ffmpeg

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="where the job writes (default: a new temp folder)")
    parser.add_argument("--protocol", choices=["websocket", "stream"], default="websocket")
    args = parser.parse_args()
    try:
        print(f"ffmpeg: {find_ffmpeg()}", flush=True)  # the system's, else the video extra's wheel
    except FFmpegNotFoundError as error:
        print(f"the demo transcodes a clip: {error}")
        return 2
    out = (args.out or Path(tempfile.mkdtemp(prefix="synapse-demo-"))).resolve()
    dataset = HERE / "sample_dataset"

    started = time.perf_counter()
    print("starting a local Ray head on 127.0.0.1 ...", flush=True)
    with LocalRayHead(num_cpus=2) as head, RayClient(head.dashboard_url) as client:
        print(f"Ray {client.get_version().get('ray_version', '?')} dashboard at {head.dashboard_url}", flush=True)
        job_id = client.submit_job(
            [sys.executable, str(HERE / "demo_job.py"), "--dataset", str(dataset), "--out", str(out)],
            metadata={"demo": "export-sample-dataset"},
        )
        print(f"submitted job {job_id}; following its log over {args.protocol}:", flush=True)
        lines = 0
        for line in client.tail_job_logs(job_id, protocol=args.protocol):
            lines += 1
            print(f"  job | {line}", flush=True)
        job = client.wait_for_job(job_id, timeout=300)
        print(f"job {job_id} ended {job.status.value} after {lines} log lines", flush=True)
        if job.status is not JobStatus.SUCCEEDED:
            print(client.list_job_logs(job_id)[-4000:])
            return 1

    manifest = json.loads((out / "manifest.json").read_text())
    outputs = [*out.glob("*.zip"), out / "clip.mp4"]
    actual = {Path(p).name: d for p, d in calculate_checksums(outputs, algorithm="sha256").items()}
    if actual != manifest["sha256"]:
        print(f"checksum mismatch: job recorded {manifest['sha256']}, found {actual}")
        return 1
    with zipfile.ZipFile(out / "coco.zip") as bundle:
        coco_files = [n for n in bundle.namelist() if n.endswith(".json")]
        coco = json.loads(bundle.read(coco_files[0]))
    print(f"\noutputs in {out} (SHA-256 verified):")
    for name, digest in sorted(actual.items()):
        print(f"  {name:10} {(out / name).stat().st_size:>9,} bytes  sha256 {digest[:16]}...")
    print(f"COCO {coco_files[0]}: {len(coco['images'])} images, {len(coco['annotations'])} annotations, "
          f"categories {[c['name'] for c in coco['categories']]}")  # fmt: skip
    print(f"demo finished in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
