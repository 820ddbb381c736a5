"""Progress reporting for long operations: a tiny protocol and three implementations.

A long operation (a download, a batch of downloads) accepts any object with ``start(total)``, ``advance(n)`` and
``finish()``. This module provides:

- :class:`NullProgress`: reports nothing (the default when stderr is not a terminal);
- :class:`CallbackProgress`: calls ``callback(done, total)``, to feed another library's progress display;
- :class:`TerminalProgressBar`: a one-line bar on stderr, redrawn at most every ``min_interval`` seconds.

:func:`resolve_progress` turns what a caller passed (``None``, a reporter or a plain callable) into a reporter.

Example:
    >>> seen = []
    >>> progress = CallbackProgress(lambda done, total: seen.append((done, total)))
    >>> progress.start(10)
    >>> progress.advance(4)
    >>> progress.finish()
    >>> seen
    [(0, 10), (4, 10), (4, 10)]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO, runtime_checkable

__all__ = [
    "CallbackProgress",
    "NullProgress",
    "ProgressCallback",
    "ProgressReporter",
    "TerminalProgressBar",
    "default_progress",
    "resolve_progress",
]

#: A plain function that receives the units done so far and the total (``None`` when unknown).
ProgressCallback = Callable[[int, int | None], None]


@runtime_checkable
class ProgressReporter(Protocol):
    """What a long operation reports to: the total, then increments, then the end.

    ``start`` may be called again to restart from zero (a download whose server ignored a resume request).

    Example:
        >>> isinstance(NullProgress(), ProgressReporter)
        True
    """

    def start(self, total: int | None) -> None:
        """Begin (or restart) counting from zero.

        Args:
            total: Units expected in all (bytes, files), or ``None`` when unknown.
        """

    def advance(self, n: int) -> None:
        """Record ``n`` more units done.

        Args:
            n: Units done since the last call.
        """

    def finish(self) -> None:
        """Mark the operation as ended (successfully or not)."""


class NullProgress:
    """A reporter that reports nothing.

    Example:
        >>> progress = NullProgress()
        >>> progress.start(3)
        >>> progress.advance(3)
        >>> progress.finish()
    """

    def start(self, total: int | None) -> None:
        """Ignore the start.

        Args:
            total: Ignored.
        """

    def advance(self, n: int) -> None:
        """Ignore an increment.

        Args:
            n: Ignored.
        """

    def finish(self) -> None:
        """Ignore the end."""


class CallbackProgress:
    """Adapt a ``callback(done, total)`` function to the reporter protocol.

    The callback runs on every call, in the thread that does the work; keep it cheap.

    Args:
        callback: Called with the units done so far and the total (``None`` when unknown).

    Example:
        >>> progress = CallbackProgress(lambda done, total: print(f"{done}/{total}"))
        >>> progress.start(2)
        0/2
        >>> progress.advance(2)
        2/2
    """

    def __init__(self, callback: ProgressCallback) -> None:
        self._callback = callback
        self.done = 0
        self.total: int | None = None

    def start(self, total: int | None) -> None:
        """Reset the count and report ``(0, total)``.

        Args:
            total: Units expected, or ``None`` when unknown.
        """
        self.done = 0
        self.total = total
        self._callback(0, total)

    def advance(self, n: int) -> None:
        """Add ``n`` and report the new count.

        Args:
            n: Units done since the last call.
        """
        self.done += n
        self._callback(self.done, self.total)

    def finish(self) -> None:
        """Report the final count once more."""
        self._callback(self.done, self.total)


def _format_bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover - the loop always returns


class TerminalProgressBar:
    """A single-line progress bar written to a terminal stream (stderr by default).

    Args:
        description: Text shown before the bar (a file name, "downloads").
        stream: Where to draw; defaults to :data:`sys.stderr` at construction time.
        unit: ``"bytes"`` shows sizes and speed in KiB/MiB; anything else shows plain counts with that unit name.
        min_interval: Seconds between redraws, so a fast loop does not spend its time drawing.
        width: Width of the bar in characters.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> bar = TerminalProgressBar("demo", stream=out, unit="files", min_interval=0)
        >>> bar.start(4)
        >>> bar.advance(2)
        >>> bar.finish()
        >>> out.getvalue().splitlines()[-1].endswith("2/4 files")
        True
    """

    def __init__(
        self,
        description: str = "",
        *,
        stream: TextIO | None = None,
        unit: str = "bytes",
        min_interval: float = 0.1,
        width: int = 30,
    ) -> None:
        self.description = description
        self._stream = stream if stream is not None else sys.stderr
        self._unit = unit
        self._min_interval = min_interval
        self._width = width
        self._done = 0
        self._total: int | None = None
        self._started = time.monotonic()
        self._last_draw = 0.0

    def start(self, total: int | None) -> None:
        """Reset the bar and draw it empty.

        Args:
            total: Units expected, or ``None`` when unknown (the bar then shows only the count).
        """
        self._done = 0
        self._total = total
        self._started = time.monotonic()
        self._draw(force=True)

    def advance(self, n: int) -> None:
        """Add ``n`` and redraw if ``min_interval`` has passed.

        Args:
            n: Units done since the last call.
        """
        self._done += n
        self._draw(force=False)

    def finish(self) -> None:
        """Draw the final state and end the line."""
        self._draw(force=True)
        self._stream.write("\n")
        self._stream.flush()

    def _amount(self, value: int) -> str:
        return _format_bytes(value) if self._unit == "bytes" else str(value)

    def _draw(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self._min_interval:
            return
        self._last_draw = now
        elapsed = max(now - self._started, 1e-9)
        if self._total:
            fraction = min(self._done / self._total, 1.0)
            filled = int(fraction * self._width)
            bar = f"{fraction * 100:5.1f}% [{'#' * filled}{'.' * (self._width - filled)}] "
            amount = f"{self._amount(self._done)}/{self._amount(self._total)}"
        else:
            bar = ""
            amount = self._amount(self._done)
        suffix = f" {amount} {self._unit}" if self._unit != "bytes" else f" {amount}"
        if self._unit == "bytes":
            suffix += f" {_format_bytes(self._done / elapsed)}/s"
        prefix = f"{self.description} " if self.description else ""
        self._stream.write(f"\r{prefix}{bar}{suffix.strip()}")
        self._stream.flush()


def default_progress(description: str = "", *, unit: str = "bytes") -> ProgressReporter:
    """Return a terminal bar when stderr is an interactive terminal, else a silent reporter.

    Args:
        description: Text shown before the bar.
        unit: Passed to :class:`TerminalProgressBar`.

    Returns:
        A :class:`TerminalProgressBar` on a TTY, otherwise a :class:`NullProgress`.

    Example:
        >>> isinstance(default_progress(), ProgressReporter)
        True
    """
    isatty = getattr(sys.stderr, "isatty", None)
    if isatty is not None and isatty():
        return TerminalProgressBar(description, unit=unit)
    return NullProgress()


def resolve_progress(
    progress: ProgressReporter | ProgressCallback | bool | None,
    description: str = "",
    *,
    unit: str = "bytes",
) -> ProgressReporter:
    """Turn a caller's ``progress`` argument into a reporter.

    Args:
        progress: ``None`` or ``True`` for :func:`default_progress`, ``False`` for silence, a reporter as is, or a
            ``callback(done, total)`` function wrapped in :class:`CallbackProgress`.
        description: Text for the terminal bar, when one is made.
        unit: Unit for the terminal bar, when one is made.

    Returns:
        A reporter.

    Raises:
        TypeError: If ``progress`` is none of the accepted kinds.

    Example:
        >>> isinstance(resolve_progress(False), NullProgress)
        True
        >>> isinstance(resolve_progress(lambda done, total: None), CallbackProgress)
        True
    """
    if progress is None or progress is True:
        return default_progress(description, unit=unit)
    if progress is False:
        return NullProgress()
    if isinstance(progress, ProgressReporter):
        return progress
    if callable(progress):
        return CallbackProgress(progress)
    raise TypeError(f"progress must be a reporter, a callable(done, total), a bool or None, not {type(progress)!r}")
