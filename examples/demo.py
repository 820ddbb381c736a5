"""The main job: the example YOLO export plugin, run as a Ray job on a local Ray head started on demand.

``nox -s demo`` runs this script. It does what a user does, through the same public path:

1. ``synapse plugin run export --method job --path examples/yolo-export --params @params.json``, with the local DM
   target pointing at ``examples/sample_dataset``. With no ``RAY_ADDRESS`` set, the command starts a Ray head on
   127.0.0.1, packs the plugin folder as the job's ``working_dir``, submits the fixed entrypoint, follows the job's
   log lines and progress (a live bar on a terminal), prints the final status and the result, and stops the head
   when it ends;
2. then the demo checks the export as a YOLO trainer would read it (``dataset.yaml``, ``classes.txt`` sorted by name,
   one label file per image, ``export_stats.json``), and prints the SHA-256 of what was written.

It exits with 0 when everything checks out, 1 otherwise.

Usage: python examples/demo.py [--out DIR] [--ray-address ADDRESS]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from synapse_fileutils import calculate_checksums

HERE = Path(__file__).resolve().parent
PLUGIN = HERE / "yolo-export"
DATASET = HERE / "sample_dataset"


def check_export(folder: Path) -> list[str]:
    """Return what is wrong with a YOLO export folder (an empty list when nothing is)."""
    problems: list[str] = []
    for name in ("dataset.yaml", "classes.txt", "export_stats.json"):
        if not (folder / name).is_file():
            problems.append(f"{name} is missing")
    if problems:
        return problems
    config = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    names = (folder / "classes.txt").read_text(encoding="utf-8").splitlines()
    if names != sorted(names):
        problems.append(f"classes are not sorted by name: {names}")
    if config.get("names") != dict(enumerate(names)):
        problems.append("dataset.yaml's names differ from classes.txt")
    images = sorted(p for p in (folder / "images").rglob("*") if p.is_file())
    sources = sorted(p for p in DATASET.rglob("original_files/*") if p.is_file())
    if len(images) != len(sources):
        problems.append(f"{len(images)} images exported, the dataset has {len(sources)}")
    for image in images:
        label = Path(str(image).replace(f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}")).with_suffix(".txt")
        if not label.is_file():
            problems.append(f"no label file for {image.relative_to(folder)}")
    stats = json.loads((folder / "export_stats.json").read_text(encoding="utf-8"))
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (folder / "labels").rglob("*.txt"))
    if stats.get("total_annotations") != lines:
        problems.append(f"export_stats.json counts {stats.get('total_annotations')} annotations, labels hold {lines}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="where the export goes (default: a new temp folder)")
    parser.add_argument("--ray-address", help="an existing Ray cluster (default: a local head started on demand)")
    args = parser.parse_args()
    out = (args.out or Path(tempfile.mkdtemp(prefix="synapse-demo-"))).resolve()
    params = {
        "name": "sample-yolo",
        "path": str(out),
        "target": "local",
        "filter": {"path": str(DATASET)},
        "save_original_file": True,
    }
    params_file = out / "params.json"
    out.mkdir(parents=True, exist_ok=True)
    params_file.write_text(json.dumps(params, indent=2), encoding="utf-8")

    command = [sys.executable, "-m", "synapse_plugins", "plugin", "run", "export", "--method", "job",
               "--path", str(PLUGIN), "--params", f"@{params_file}"]  # fmt: skip
    if args.ray_address:
        command += ["--ray-address", args.ray_address]
    shown = ["synapse", *command[3:]]
    print("The YOLO export plugin from examples/yolo-export, run as a Ray job on the bundled sample dataset.")
    print(f"$ {shlex.join(shown)}", flush=True)
    started = time.perf_counter()
    env = dict(os.environ)
    if not args.ray_address:
        env.pop("RAY_ADDRESS", None)  # so the command starts its own head on 127.0.0.1
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env, check=False)
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        print(f"\nthe export job did not succeed (exit {result.returncode})")
        return 1
    outcome = json.loads(result.stdout.split("result:", 1)[1])
    folder = Path(outcome["export_path"])

    problems = check_export(folder)
    if problems:
        print("\nthe export is not what a YOLO trainer expects:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    digests = calculate_checksums(files, algorithm="sha256")
    names = (folder / "classes.txt").read_text(encoding="utf-8").splitlines()
    stats = json.loads((folder / "export_stats.json").read_text(encoding="utf-8"))
    print(f"\nexport folder: {folder}")
    print(f"  {stats['total_images']} images, {stats['total_annotations']} annotations, classes {names}")
    for path in files:
        if path.parent == folder:  # the dataset-level files; the per-image ones are counted above
            print(f"  {path.name:18} {path.stat().st_size:>7,} bytes  sha256 {digests[path][:16]}...")
    print(f"  {len(files)} files in all; dataset.yaml is ready for a YOLO trainer (`yolo train data=dataset.yaml`)")
    print(f"demo finished in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
