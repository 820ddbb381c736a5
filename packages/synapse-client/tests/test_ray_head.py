"""LocalRayHead: a second private head runs beside the session's, and stopping it ends only its own processes."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest

from synapse_client.ray.local import _descendants
from synapse_client.testing import LocalRayHead, RayNotInstalledError, find_ray_executable

pytestmark = pytest.mark.ray


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/api/version", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie (state Z, waiting for an init that may never reap it) has ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_two_heads_run_side_by_side_and_stop_alone(ray_head: LocalRayHead) -> None:
    second = LocalRayHead(num_cpus=1).start()
    try:
        assert second.dashboard_url != ray_head.dashboard_url
        assert second.address.startswith("127.0.0.1:")
        assert _answers(second.dashboard_url)
        assert _answers(ray_head.dashboard_url)
        assert second._process is not None
        pids = [pid for pid, _ in _descendants(second._process.pid)]
        assert pids  # gcs_server, raylet, dashboard...
        temp_dir = Path(second._temp_dir or "")
        assert temp_dir.is_dir()
    finally:
        second.stop()
    assert not second.running
    assert not temp_dir.exists()
    assert [pid for pid in pids if _alive(pid)] == []
    assert _answers(ray_head.dashboard_url)  # the session's head was not touched
    second.stop()  # a second stop is harmless


def test_missing_ray_executable_is_a_typed_error(tmp_path: Path) -> None:
    head = LocalRayHead(ray_executable=os.fspath(tmp_path / "no-such-ray"))
    with pytest.raises(RayNotInstalledError, match="no-such-ray"):
        head.start()
    assert not head.running


def test_find_ray_executable_reports_missing_ray(tmp_path: Path) -> None:
    # An interpreter folder without `ray` and a search path without it: the error says how to install Ray.
    with pytest.raises(RayNotInstalledError, match="pip install"):
        find_ray_executable(python=os.fspath(tmp_path / "python"), path=os.fspath(tmp_path))
    assert find_ray_executable().endswith("ray")
