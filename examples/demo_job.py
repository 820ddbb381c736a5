"""The demo's Ray job: export the bundled sample dataset to COCO, YOLO and Pascal VOC, and make a web-ready clip.

Runs as a Ray job's entrypoint (``examples/demo.py`` submits it). The three conversions and the transcode run as Ray
tasks in parallel on the cluster; the job prints its progress (the client tails it) and writes a manifest of every
output archive with its SHA-256, so the submitter can check what arrived.

Usage: python examples/demo_job.py --dataset DIR --out DIR
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import ray

from synapse_fileutils import archive, calculate_checksums
from synapse_fileutils.atomic import atomic_write
from synapse_fileutils.video import TranscodeConfig, find_ffmpeg, get_video_info, transcode_video
from synapse_plugins.converters import convert_dm_to_coco, convert_dm_to_voc, convert_dm_to_yolo

CONVERTERS = {"coco": convert_dm_to_coco, "yolo": convert_dm_to_yolo, "voc": convert_dm_to_voc}


@ray.remote
def export(fmt: str, dataset: str, out: str) -> dict[str, Any]:
    """Convert the DM dataset to one format and zip the result."""
    target = Path(out) / fmt
    report = CONVERTERS[fmt](dataset, target)
    zipped = Path(out) / f"{fmt}.zip"
    archive(target, zipped)
    return {
        "format": fmt,
        "archive": zipped.name,
        "converted": report.converted,
        "failed": len(report.failures),
        "dropped": report.dropped,
        "classes": report.classes,
    }


@ray.remote
def make_clip(out: str) -> dict[str, Any]:
    """Render a 4 s test pattern with ffmpeg, then transcode it for the web, printing the progress."""
    source = Path(out) / "source.mkv"
    subprocess.run(
        [find_ffmpeg(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", "4", "-c:v", "ffv1", "-c:a", "pcm_s16le", str(source)],
        check=True,
    )  # fmt: skip
    shown: set[int] = set()

    def progress(percent: float) -> None:
        step = int(percent // 25) * 25
        if step not in shown:
            shown.add(step)
            print(f"transcode {step:3d}%", flush=True)

    target = Path(out) / "clip.mp4"
    transcode_video(
        source, target, TranscodeConfig(resolution="320x180", preset="veryfast"), progress_callback=progress
    )
    source.unlink()
    info = get_video_info(target)
    return {"archive": target.name, "width": info["width"], "height": info["height"], "duration": info["duration"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    ray.init(address="auto", logging_level="ERROR", log_to_driver=False)
    print(f"job started on a cluster with {ray.cluster_resources().get('CPU', 0):.0f} CPUs", flush=True)
    pending = {export.remote(fmt, args.dataset, str(out)): fmt for fmt in CONVERTERS}
    pending[make_clip.remote(str(out))] = "clip"
    results: list[dict[str, Any]] = []
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        result = ray.get(done[0])
        name = pending.pop(done[0])
        results.append(result)
        if name == "clip":
            print(f"clip: {result['width']}x{result['height']}, {result['duration']:.1f} s -> clip.mp4", flush=True)
        else:
            print(
                f"{name}: {result['converted']} items converted, {result['failed']} failed, "
                f"classes {result['classes']}, dropped {result['dropped'] or 'nothing'} -> {result['archive']}",
                flush=True,
            )
    digests = calculate_checksums([out / r["archive"] for r in results], algorithm="sha256")
    manifest = {"outputs": results, "sha256": {Path(p).name: d for p, d in digests.items()}}
    with atomic_write(out / "manifest.json") as file:
        file.write(json.dumps(manifest, indent=2).encode())
    print("manifest.json written", flush=True)
    return 0 if all(r.get("failed", 0) == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
