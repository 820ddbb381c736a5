"""The fresh-machine switch of the synapse-fileutils tests (shared fixtures and profiles are in synapse_testkit)."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """``SYNAPSE_TEST_FFMPEG=wheel``: run the tests as on a fresh machine, with only the ``video`` extra's FFmpeg.

    PATH is replaced by a folder of links to every program but ``ffmpeg`` and ``ffprobe``, before any test runs, so
    every subprocess sees it too; ``test_video`` then checks that the wheel's binary is the one in use.
    """
    if os.environ.get("SYNAPSE_TEST_FFMPEG") != "wheel":
        return
    import shutil
    import tempfile
    from pathlib import Path

    from synapse_testkit.pathfarm import path_without

    for variable in ("SYNAPSE_FFMPEG_BINARY", "SYNAPSE_FFPROBE_BINARY", "IMAGEIO_FFMPEG_EXE"):
        os.environ.pop(variable, None)
    root = tempfile.mkdtemp(prefix="path-without-ffmpeg-")
    config.add_cleanup(lambda: shutil.rmtree(root, ignore_errors=True))
    os.environ["PATH"] = path_without({"ffmpeg", "ffprobe"}, Path(root) / "bin")
