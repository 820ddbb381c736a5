"""A real, private Ray head on 127.0.0.1: the embedded cluster for local runs, tests and demos.

[`LocalRayHead`][synapse_client.ray.local.LocalRayHead] runs ``ray start --head --block`` as a child process in
its own process group, with every listener on loopback and every port chosen free, so several heads can run on one
machine at once. Stopping it ends only its own processes (never ``ray stop``, which would end every Ray on the machine)
and removes its temp dir.

Example:
    ```python
    from synapse_client.ray.local import LocalRayHead

    with LocalRayHead() as head:
        print(head.dashboard_url)  # http://127.0.0.1:<port>
    ```
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

__all__ = ["LocalRayHead", "RayNotInstalledError", "RayStartError", "find_ray_executable"]

_HOST = "127.0.0.1"
_START_ATTEMPTS = 2


class RayNotInstalledError(RuntimeError):
    """The ``ray`` command is not installed (``pip install 'ray[default]'``).

    Example:
        >>> str(RayNotInstalledError("ray not found")).startswith("ray")
        True
    """


class RayStartError(RuntimeError):
    """The Ray head did not start or its dashboard did not answer in time.

    Example:
        >>> isinstance(RayStartError("dashboard did not answer"), RuntimeError)
        True
    """


def find_ray_executable(python: str | None = None, path: str | None = None) -> str:
    """Find the ``ray`` command of the running interpreter's environment, else the one on ``PATH``.

    Args:
        python: The interpreter whose folder is searched first (``sys.executable`` when ``None``).
        path: The search path (the ``PATH`` environment variable when ``None``).

    Returns:
        The absolute path of the ``ray`` executable.

    Raises:
        RayNotInstalledError: When neither exists.

    Example:
        ```python
        ray_bin = find_ray_executable()  # e.g. /venv/bin/ray
        ```
    """
    beside = Path(python or sys.executable).with_name("ray")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("ray", path=path)
    if found is None:
        raise RayNotInstalledError("the `ray` command was not found; install it with: pip install 'ray[default]'")
    return found


def _free_port() -> int:
    # The OS picks a free port; the small window before Ray binds it is acceptable for tests.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        return int(sock.getsockname()[1])


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _descendants(root_pid: int) -> list[tuple[int, str]]:
    """List (pid, start time) below ``root_pid`` (Linux /proc), to end workers that left the process group."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name sits in parentheses and may hold spaces: the ppid is the 2nd field after ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[tuple[int, str]] = []
    stack = [root_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            started = _start_time(child)
            if started is not None:
                found.append((child, started))
            stack.append(child)
    return found


class LocalRayHead:
    """Start and stop a private Ray head with its dashboard on 127.0.0.1.

    The head runs ``ray start --head --block`` with ``--num-cpus``, a short temp dir of its own and free ports for the
    GCS, dashboard, Ray client server, node manager, object manager, dashboard agent, metrics and runtime-env agent;
    workers bind OS-chosen ports. ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` keeps every listener on loopback and
    ``RAY_USAGE_STATS_ENABLED=0`` keeps it offline. Starting takes about 5 seconds.

    Args:
        num_cpus: CPUs the head offers to jobs and tasks.
        start_timeout: Seconds to wait for the dashboard to answer ``/api/version``.
        ray_executable: The ``ray`` command to run; found beside ``sys.executable`` or on ``PATH`` when ``None``.

    Example:
        ```python
        head = LocalRayHead(num_cpus=2)
        head.start()
        try:
            print(head.address, head.dashboard_url)
        finally:
            head.stop()
        ```
    """

    def __init__(self, num_cpus: int = 2, start_timeout: float = 60.0, ray_executable: str | None = None) -> None:
        self.num_cpus = num_cpus
        self.start_timeout = start_timeout
        self._ray_executable = ray_executable
        self._process: subprocess.Popen[bytes] | None = None
        self._temp_dir: str | None = None
        self._log_path: str | None = None
        self.dashboard_port = 0
        self.gcs_port = 0
        self._agent_port = 0

    @property
    def dashboard_url(self) -> str:
        """The dashboard's HTTP base URL, e.g. ``http://127.0.0.1:8265``.

        Example:
            ```python
            RayClient(base_url=head.dashboard_url)
            ```
        """
        return f"http://{_HOST}:{self.dashboard_port}"

    @property
    def address(self) -> str:
        """The GCS address (``127.0.0.1:<port>``) that ``ray.init(address=...)`` connects to.

        Example:
            ```python
            ray.init(address=head.address)
            ```
        """
        return f"{_HOST}:{self.gcs_port}"

    @property
    def running(self) -> bool:
        """Whether the head process is alive.

        Example:
            ```python
            assert head.running
            ```
        """
        return self._process is not None and self._process.poll() is None

    def _command(self, ray_bin: str, temp_dir: str) -> list[str]:
        self.gcs_port = _free_port()
        self.dashboard_port = _free_port()
        self._agent_port = _free_port()
        ports = {
            "--port": self.gcs_port,
            "--dashboard-port": self.dashboard_port,
            "--ray-client-server-port": _free_port(),
            "--node-manager-port": _free_port(),
            "--object-manager-port": _free_port(),
            "--dashboard-agent-listen-port": self._agent_port,
            "--dashboard-agent-grpc-port": _free_port(),
            "--metrics-export-port": _free_port(),
            "--runtime-env-agent-port": _free_port(),
        }
        argv = [ray_bin, "start", "--head", "--block", "--node-ip-address", _HOST, "--dashboard-host", _HOST]
        argv += ["--num-cpus", str(self.num_cpus), "--temp-dir", temp_dir, "--disable-usage-stats"]
        # 0/0: workers bind ports the OS picks, so two heads never hand out the same worker port.
        argv += ["--min-worker-port", "0", "--max-worker-port", "0"]
        for flag, port in ports.items():
            argv += [flag, str(port)]
        return argv

    def start(self) -> LocalRayHead:
        """Start the head and wait until its dashboard answers.

        Returns:
            This head, started.

        Raises:
            RayNotInstalledError: When the ``ray`` command is missing or cannot be run.
            RayStartError: When the head exits early or the dashboard does not answer within ``start_timeout``
                (the head is stopped and its output tail is in the message).

        Example:
            ```python
            head = LocalRayHead().start()
            ```
        """
        if self.running:
            return self
        ray_bin = self._ray_executable or find_ray_executable()
        for attempt in range(1, _START_ATTEMPTS + 1):
            try:
                return self._start_once(ray_bin)
            except RayStartError:
                # A port picked free may be taken before Ray binds it: try once more with fresh ports.
                if attempt == _START_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _start_once(self, ray_bin: str) -> LocalRayHead:
        # A short path: Ray puts Unix sockets under it and their paths are limited to ~107 bytes.
        parent = tempfile.gettempdir()
        if len(parent) > 40 and os.path.isdir("/tmp"):  # noqa: S108 - a private mkdtemp folder below it
            parent = "/tmp"  # noqa: S108
        self._temp_dir = tempfile.mkdtemp(prefix="rh-", dir=parent)
        self._log_path = os.path.join(self._temp_dir, "head.out")
        env = dict(os.environ, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_USAGE_STATS_ENABLED="0")
        env.pop("RAY_ADDRESS", None)  # a caller's RAY_ADDRESS would send `ray start` to another cluster
        # Jobs on this head run `python ...` through a shell: make that the head's own interpreter environment.
        env["PATH"] = os.pathsep.join([os.path.dirname(ray_bin), env.get("PATH", "")])
        try:
            with open(self._log_path, "wb") as log:
                self._process = subprocess.Popen(
                    self._command(ray_bin, self._temp_dir),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,  # own process group: stop() signals exactly these processes
                )
        except OSError as exc:
            self.stop()
            raise RayNotInstalledError(f"cannot run {ray_bin!r}: {exc.strerror}") from None
        try:
            self._wait_ready()
        except BaseException:
            tail = self._output_tail()
            self.stop()
            raise RayStartError(f"Ray head did not become ready: {tail}") from None
        return self

    def _output_tail(self) -> str:
        try:
            return Path(self._log_path or "").read_text(errors="replace")[-2000:]
        except OSError:
            return "(no output)"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        # The dashboard answers first; jobs can be submitted once the head's dashboard agent listens too.
        for url in (f"{self.dashboard_url}/api/version", f"http://{_HOST}:{self._agent_port}/"):
            while not self._answers(url):
                if not self.running:
                    raise RayStartError("ray start exited")
                if time.monotonic() > deadline:
                    raise RayStartError(f"{url} did not answer within {self.start_timeout} s")
                time.sleep(0.25)

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (a loopback http URL we built)
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer means the server is up
        except OSError:
            return False

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the head's own processes (SIGTERM, then SIGKILL) and remove its temp dir.

        Never runs ``ray stop``: that would end every Ray head on the machine. Safe to call twice.

        Args:
            timeout: Seconds to wait after SIGTERM before SIGKILL.

        Example:
            ```python
            head.stop()
            ```
        """
        process = self._process
        if process is not None:
            pids = _descendants(process.pid) if process.poll() is None else []
            if process.poll() is None:
                self._signal_group(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self._signal_group(process.pid, signal.SIGKILL)
                    process.wait(timeout=timeout)
            # Workers may have left the group (setsid) and outlive `ray start`: end those we saw, by pid.
            for pid, started in pids:
                if _start_time(pid) == started:  # the same process, not a reused pid
                    self._signal_pid(pid, signal.SIGKILL)
            self._process = None
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    @staticmethod
    def _signal_group(pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)

    @staticmethod
    def _signal_pid(pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

    def __enter__(self) -> LocalRayHead:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"LocalRayHead(dashboard_url={self.dashboard_url!r}, {state})"
