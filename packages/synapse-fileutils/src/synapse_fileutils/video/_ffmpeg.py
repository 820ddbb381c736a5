"""Run the ffmpeg/ffprobe binaries: argv lists only, inputs opened as what they claim, stderr drained, progress parsed.

The binaries come from :mod:`.binaries`. Every user input is opened through :func:`input_args`: only the demuxers of
the container its extension claims, and only the ``file`` protocol, so a playlist posing as a video cannot make ffmpeg
read other files or hosts.
ffmpeg runs in its own session so a terminal Ctrl-C reaches Python only; Python then kills ffmpeg itself and the
caller's cleanup (the atomic temp file) runs. stderr is read while ffmpeg runs (a thread, or a task in asyncio), so a
chatty ffmpeg never blocks on a full pipe, and only a bounded tail of it is kept for error messages.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections import deque
from collections.abc import Sequence
from typing import IO

from ..progress import PercentCallback
from .formats import demuxers_for

#: stderr lines kept for error messages, and the longest line kept (in characters).
TAIL_LINES = 20
MAX_LINE = 400
#: How often ffmpeg reports progress, in seconds.
PROGRESS_PERIOD = "0.25"
_READ_SIZE = 65536


def file_url(path: str | os.PathLike[str]) -> str:
    """Name a local file for ffmpeg so it is never parsed as a protocol or an option.

    Args:
        path: A local path.

    Returns:
        ``file:`` followed by the absolute path.

    Example:
        >>> file_url("/videos/concat:a.mp4")
        'file:/videos/concat:a.mp4'
    """
    return "file:" + os.path.abspath(os.fspath(path))


def input_args(path: str | os.PathLike[str]) -> list[str]:
    """Return the ffmpeg/ffprobe options that open a user's file as the container it claims to be, ``-i`` included.

    Only the demuxers of the container its extension names are allowed (all supported video containers for another
    extension), and only the ``file`` protocol: an HLS playlist or a concat list named ``.mp4`` is refused instead of
    reading the files it lists.

    Args:
        path: A local path.

    Returns:
        An argv fragment ending with ``-i`` and the file's ``file:`` URL.

    Example:
        >>> input_args("/videos/a.mkv")
        ['-format_whitelist', 'matroska', '-protocol_whitelist', 'file', '-i', 'file:/videos/a.mkv']
    """
    return ["-format_whitelist", demuxers_for(path), "-protocol_whitelist", "file", "-i", file_url(path)]


class StderrTail:
    r"""Keep the last lines of a byte stream, bounded in count and length, redacted.

    Example:
        >>> tail = StderrTail()
        >>> tail.feed(b"first\nsec")
        >>> tail.feed(b"ond\n")
        >>> tail.lines()
        ['first', 'second']
    """

    def __init__(self, max_lines: int = TAIL_LINES, max_line: int = MAX_LINE, head_bytes: int = 0) -> None:
        # The SDK's one redaction (never raises), imported when a process runs: importing the video package stays cheap.
        from ..http.redact import redact_text

        self._redact = redact_text
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._partial = bytearray()
        self._max_line = max_line
        self._head_bytes = head_bytes
        #: The first ``head_bytes`` bytes of the stream, unredacted (for parsing ffmpeg's input summary).
        self.head = bytearray()

    def feed(self, data: bytes) -> None:
        """Add a chunk of output.

        Args:
            data: Bytes as read from the pipe; lines may span chunks.
        """
        if len(self.head) < self._head_bytes:
            self.head += data[: self._head_bytes - len(self.head)]
        *complete, rest = data.split(b"\n")
        for piece in complete:
            self._partial += piece[: max(0, self._max_line - len(self._partial))]
            self._push()
        self._partial += rest[: max(0, self._max_line - len(self._partial))]

    def _push(self) -> None:
        text = self._partial.decode("utf-8", "replace").rstrip("\r").strip()
        self._partial.clear()
        if text:
            self._lines.append(self._redact(text))

    def lines(self) -> list[str]:
        """Return the kept lines, oldest first, including an unfinished last line.

        Returns:
            The lines.
        """
        if self._partial:
            self._push()
        return list(self._lines)


class ProgressTracker:
    """Turn ffmpeg ``-progress`` key=value lines into strictly increasing percentages below 100.

    The expected duration may arrive late (``set_total`` from a probe running beside ffmpeg); reports start once it
    is known. The callback is only ever called from ``feed_line`` and ``finish``, so it runs in the caller's thread.
    The caller reports the final 100 itself (``finish``), once the output is in place.

    Args:
        total_seconds: Expected output duration; ``None`` or ``0`` until known.
        callback: Called with each new percentage.

    Example:
        >>> seen = []
        >>> tracker = ProgressTracker(None, seen.append)
        >>> tracker.feed_line("out_time_us=250000")
        >>> tracker.set_total(2.0)
        >>> tracker.flush()
        >>> for line in ["out_time_us=N/A", "out_time_us=500000", "out_time_us=500000", "out_time_us=9000000"]:
        ...     tracker.feed_line(line)
        >>> tracker.finish()
        >>> seen
        [12.5, 25.0, 99.9, 100.0]
    """

    CEILING = 99.9

    def __init__(self, total_seconds: float | None, callback: PercentCallback | None) -> None:
        self._total_us = 0.0
        self._callback = callback
        self._last = -1.0
        self._last_out_us = -1
        self.set_total(total_seconds)

    @property
    def reports(self) -> bool:
        """Whether anyone listens (a callback was given)."""
        return self._callback is not None

    def set_total(self, total_seconds: float | None) -> None:
        """Set the expected output duration (safe to call from another thread).

        Args:
            total_seconds: Seconds, or ``None`` when unknown.
        """
        if total_seconds and total_seconds > 0:
            self._total_us = total_seconds * 1_000_000

    def feed_line(self, line: str) -> None:
        """Parse one progress line and report if the percentage grew.

        Args:
            line: A line such as ``out_time_us=1500000``.
        """
        key, _, value = line.strip().partition("=")
        if key == "out_time_us" and value.isdigit():
            self._last_out_us = int(value)
            self._report()

    def flush(self) -> None:
        """Report the last position again, for a duration that arrived after ffmpeg's last progress line."""
        self._report()

    def _report(self) -> None:
        total_us = self._total_us
        if self._callback is None or total_us <= 0 or self._last_out_us < 0:
            return
        percent = min(self.CEILING, round(self._last_out_us * 100 / total_us, 2))
        if percent > self._last:
            self._last = percent
            self._callback(percent)

    def finish(self) -> None:
        """Report exactly 100."""
        if self._callback is not None:
            self._callback(100.0)


class ProcessRegistry:
    """Running ffmpeg processes of a batch, so an interrupted batch can kill them all.

    Example:
        >>> registry = ProcessRegistry()
        >>> registry.kill_all()
        >>> registry.cancelled
        True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen[bytes]] = set()
        self.cancelled = False

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        """Track a started process; kill it at once if the registry was already cancelled.

        Args:
            proc: The process.
        """
        with self._lock:
            self._procs.add(proc)
            if self.cancelled:
                proc.kill()

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop tracking a finished process.

        Args:
            proc: The process.
        """
        with self._lock:
            self._procs.discard(proc)

    def kill_all(self) -> None:
        """Kill every tracked process and any started later."""
        with self._lock:
            self.cancelled = True
            for proc in self._procs:
                proc.kill()


def _drain(stream: IO[bytes], tail: StderrTail) -> None:
    read = getattr(stream, "read1", stream.read)
    while data := read(_READ_SIZE):
        tail.feed(data)


def run(
    argv: Sequence[str],
    *,
    progress: ProgressTracker | None = None,
    registry: ProcessRegistry | None = None,
    stderr: StderrTail | None = None,
) -> tuple[int, list[str], bytes]:
    """Run ffmpeg or ffprobe to completion, feeding stdout lines to ``progress`` if given.

    Any exception while it runs (KeyboardInterrupt, an exception from the progress callback) kills the process and
    waits for it before propagating.

    Args:
        argv: The full command, binary first.
        progress: Receives stdout line by line (ffmpeg ``-progress pipe:1``); without it stdout is returned whole.
        registry: Tracks the process so another thread can kill it.
        stderr: Collects stderr; a default :class:`StderrTail` when ``None``.

    Returns:
        The exit code, the stderr tail and, when ``progress`` is ``None``, the whole stdout.
    """
    tail = stderr if stderr is not None else StderrTail()
    proc = subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout is not None and proc.stderr is not None  # noqa: PT018 - narrowing for mypy
    if registry is not None:
        registry.add(proc)
    drainer = threading.Thread(target=_drain, args=(proc.stderr, tail), name="ffmpeg-stderr", daemon=True)
    drainer.start()
    output = b""
    try:
        if progress is None:
            output = proc.stdout.read()
        else:
            while line := proc.stdout.readline(MAX_LINE):
                progress.feed_line(line.decode("ascii", "replace"))
        returncode = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        drainer.join()
        proc.stdout.close()
        proc.stderr.close()
        if registry is not None:
            registry.discard(proc)
    return returncode, tail.lines(), output


async def arun(
    argv: Sequence[str], *, progress: ProgressTracker | None = None, stderr: StderrTail | None = None
) -> tuple[int, list[str], bytes]:
    """Run ffmpeg or ffprobe as an asyncio subprocess; cancellation kills it.

    Args:
        argv: The full command, binary first.
        progress: Receives stdout line by line; without it stdout is returned whole.
        stderr: Collects stderr; a default :class:`StderrTail` when ``None``.

    Returns:
        The exit code, the stderr tail and, when ``progress`` is ``None``, the whole stdout.
    """
    import asyncio  # only async callers pay for it

    tail = stderr if stderr is not None else StderrTail()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stderr is not None  # noqa: PT018 - narrowing for mypy
    pipe = proc.stderr

    async def drain() -> None:
        while data := await pipe.read(_READ_SIZE):
            tail.feed(data)

    drainer = asyncio.ensure_future(drain())
    output = b""
    try:
        if progress is None:
            output = await proc.stdout.read()
        else:
            pending = b""
            while data := await proc.stdout.read(_READ_SIZE):
                *lines, pending = (pending + data).split(b"\n")
                pending = pending[-MAX_LINE:]
                for line in lines:
                    progress.feed_line(line.decode("ascii", "replace"))
        returncode = await proc.wait()
        await drainer
    except BaseException:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        drainer.cancel()
        # Reap the killed process even though this task is being cancelled: no zombie, no writer left behind.
        await asyncio.shield(proc.wait())
        raise
    return returncode, tail.lines(), output
