"""transcode_video against the ffmpeg CLI run with exactly the same arguments, on the same clip, in one run.

Usage: python packages/synapse-fileutils/benchmarks/bench_transcode.py [--quick] [--runs N]

Both sides run the same binary, the one the library finds (``find_ffmpeg``: the system FFmpeg, else the ``video``
extra's wheel), so the ratio measures the wrapper, not two different FFmpeg builds. The clip is a 640x480 testsrc with
a sine tone (20 s; 5 s with --quick). Each round runs the CLI, transcode_video without a callback and transcode_video
with a progress callback, in rotating order, and the table reports the median of the per-round ratios (goal: <= 1.05x
the CLI's wall time).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from synapse_fileutils.video import (
    TranscodeConfig,
    build_transcode_command,
    find_ffmpeg,
    find_ffprobe,
    get_video_info,
    transcode_video,
)


def make_clip(path: Path, seconds: int) -> None:
    subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", "testsrc=size=640x480:rate=30", "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
         str(path)],
        check=True,
    )  # fmt: skip


def timed(action: Callable[[], None]) -> tuple[float, float]:
    """Wall time, and CPU time of the child processes (ffmpeg, ffprobe) the action ran."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    action()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 s clip, 3 rounds")
    parser.add_argument("--runs", type=int, default=None, help="rounds (default 7, or 3 with --quick)")
    args = parser.parse_args()
    seconds = 5 if args.quick else 20
    runs = args.runs or (3 if args.quick else 7)
    config = TranscodeConfig()  # the documented defaults: libx264 medium, CRF 28, AAC 128k, +faststart

    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as folder:
        work = Path(folder)
        clip = work / "clip.mp4"
        make_clip(clip, seconds)
        cli_out, lib_out, cb_out = work / "cli.mp4", work / "lib.mp4", work / "callback.mp4"
        # The exact argv transcode_video runs; it writes to a temp name beside the output, the CLI straight to it.
        argv = build_transcode_command(clip, cli_out, config)

        def cli() -> None:
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

        def library() -> None:
            transcode_video(clip, lib_out, config)

        def with_callback() -> None:
            transcode_video(clip, cb_out, config, progress_callback=lambda percent: None)

        actions = {"cli": cli, "library": library, "callback": with_callback}
        times: dict[str, list[float]] = {name: [] for name in actions}
        cpu: dict[str, list[float]] = {name: [] for name in actions}
        cli()  # warm the page cache and the encoder's code once, untimed
        order = list(actions)
        for round_index in range(runs):
            rotated = order[round_index % len(order) :] + order[: round_index % len(order)]
            for name in rotated:
                wall, child_cpu = timed(actions[name])
                times[name].append(wall)
                cpu[name].append(child_cpu)
        same = get_video_info(cli_out)["size"] == get_video_info(lib_out)["size"]

    def ratio(name: str, table: dict[str, list[float]]) -> float:
        return statistics.median(t / c for t, c in zip(table[name], table["cli"], strict=True))

    print(f"## transcode_video vs ffmpeg CLI ({seconds} s 640x480 clip, {runs} rounds, same argv; goal <= 1.05x)\n")
    print("| what | median wall time (s) | wall time vs CLI (median ratio) | child CPU time vs CLI (median ratio) |")
    print("|---|---:|---:|---:|")
    labels = {"cli": "ffmpeg CLI", "library": "transcode_video", "callback": "transcode_video + progress_callback"}
    for name, label in labels.items():
        print(
            f"| {label} | {statistics.median(times[name]):.2f} | {ratio(name, times):.3f}x | {ratio(name, cpu):.3f}x |"
        )
    version = subprocess.run([find_ffmpeg(), "-version"], capture_output=True, text=True, check=True).stdout.split()[2]
    probe = "ffprobe" if find_ffprobe() else "ffmpeg's input summary (no ffprobe)"
    print(f"\nCLI and library outputs have the same size: {same}. Python {sys.version.split()[0]}, FFmpeg {version}")
    print(f"({find_ffmpeg()}); progress durations from {probe}.")


if __name__ == "__main__":
    main()
