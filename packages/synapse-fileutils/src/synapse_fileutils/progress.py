"""Progress reporting for long operations: the one protocol of the SDK, its callable form, and adapters.

Every long operation of the three packages (downloads, uploads, storage copies, data-collection uploads, and the
plugin framework's runs) reports to a [`ProgressReporter`][synapse_fileutils.progress.ProgressReporter]: an object
with ``start(total)``, ``advance(n)`` and ``finish()``. Where a plain function is handier, it has one signature,
[`ProgressCallback`][synapse_fileutils.progress.ProgressCallback] ``(done, total)``, adapted by
[`CallbackProgress`][synapse_fileutils.progress.CallbackProgress]. Both are defined here once and imported
everywhere.

Why three methods and no label argument: a reporter is made for one operation, so it knows its label (a file name,
"downloads") when it is made; ``start`` may be called again to restart from zero; the counts are plain integers in the
operation's unit (bytes, files, items). That is the whole contract, small enough for any display (a terminal bar,
tqdm, a backend job's progress record) to implement in a few lines.

Implementations:

- [`NullProgress`][synapse_fileutils.progress.NullProgress]: reports nothing (the default off a terminal);
- [`CallbackProgress`][synapse_fileutils.progress.CallbackProgress]: calls ``callback(done, total)``, throttled to
  about one call per percent (or per ``min_interval`` seconds when the total is unknown), the end reported once;
- [`TerminalProgressBar`][synapse_fileutils.progress.TerminalProgressBar]: a one-line bar on stderr with the label,
  the rate and an ETA, no dependency;
- [`TqdmProgress`][synapse_fileutils.progress.TqdmProgress]: the same through tqdm (the ``progress`` extra), used by
  default on a terminal when tqdm is installed;
- [`percent_callback`][synapse_fileutils.progress.percent_callback]: feeds a reporter from a
  [`PercentCallback`][synapse_fileutils.progress.PercentCallback] (what ``transcode_video`` calls).

[`resolve_progress`][synapse_fileutils.progress.resolve_progress] turns what a caller passed (``None``, a bool, a
reporter or a callable) into a reporter.

Example:
    >>> seen = []
    >>> progress = CallbackProgress(lambda done, total: seen.append((done, total)))
    >>> progress.start(10)
    >>> for _ in range(10):
    ...     progress.advance(1)
    >>> progress.finish()
    >>> seen[0], seen[-1], seen.count((10, 10))
    ((0, 10), (10, 10), 1)
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO, runtime_checkable

__all__ = [
    "CallbackProgress",
    "NullProgress",
    "PercentCallback",
    "ProgressCallback",
    "ProgressReporter",
    "TerminalProgressBar",
    "TqdmProgress",
    "default_progress",
    "percent_callback",
    "resolve_progress",
]

#: A plain function that receives the units done so far and the total (``None`` when unknown): the SDK's one
#: progress callable.
ProgressCallback = Callable[[int, int | None], None]

#: A function that receives the percentage done (0 to 100), as video's ``progress_callback`` always has; adapt a
#: reporter to it with [`percent_callback`][synapse_fileutils.progress.percent_callback].
PercentCallback = Callable[[float], object]

#: How often CallbackProgress reports when the total is known: once per this fraction of it (plus start and end).
_STEP = 0.01


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
    """Adapt a ``callback(done, total)`` function to the reporter protocol, throttled.

    The callback gets ``(0, total)`` at the start, then a call each time another hundredth of ``total`` is done (when
    the total is unknown: at most one call per ``min_interval`` seconds), and the final count exactly once: a 200 MB
    download calls it about a hundred times, not once per 64 KiB chunk. It runs in the thread that does the work.

    Args:
        callback: Called with the units done so far and the total (``None`` when unknown).
        min_interval: Seconds between calls when the total is unknown (0 reports every advance).

    Example:
        >>> progress = CallbackProgress(lambda done, total: print(f"{done}/{total}"))
        >>> progress.start(2)
        0/2
        >>> progress.advance(2)
        2/2
        >>> progress.finish()  # the end was already reported
    """

    def __init__(self, callback: ProgressCallback, *, min_interval: float = 0.1) -> None:
        self._callback = callback
        self._min_interval = min_interval
        self.done = 0
        self.total: int | None = None
        self._reported: int | None = None
        self._next = 0
        self._last_time = 0.0

    def _report(self) -> None:
        self._reported = self.done
        self._last_time = time.monotonic()
        if self.total:
            step = max(1, int(self.total * _STEP))
            self._next = (self.done // step + 1) * step
        self._callback(self.done, self.total)

    def start(self, total: int | None) -> None:
        """Reset the count and report ``(0, total)``.

        Args:
            total: Units expected, or ``None`` when unknown.
        """
        self.done = 0
        self.total = total
        self._report()

    def advance(self, n: int) -> None:
        """Add ``n``; report when another hundredth is done, or the total reached.

        Args:
            n: Units done since the last call.
        """
        self.done += n
        if self.total:
            due = self.done >= self._next or self.done >= self.total
        else:
            due = time.monotonic() - self._last_time >= self._min_interval
        if due and self.done != self._reported:
            self._report()

    def finish(self) -> None:
        """Report the final count, unless it was the last one reported."""
        if self.done != self._reported:
            self._report()


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
        >>> out.getvalue().splitlines()[-1]  # doctest: +ELLIPSIS
        'demo  50.0% [###############...............] 2/4 files ETA 00:...'

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
        if self._total and 0 < self._done < self._total:
            suffix += f" ETA {_format_duration((self._total - self._done) * elapsed / self._done)}"
        prefix = f"{self.description} " if self.description else ""
        self._stream.write(f"\r{prefix}{bar}{suffix.strip()}")
        self._stream.flush()


class TqdmProgress:
    """Show progress with [tqdm](https://tqdm.github.io/): the label, a bar, the rate and an ETA.

    Needs the ``progress`` extra (``pip install "synapse-fileutils[progress]"``); tqdm is imported at ``start``, so
    making one costs nothing. tqdm throttles its own redraws.

    Args:
        description: The label shown before the bar (a file name, "downloads").
        unit: ``"bytes"`` shows sizes in KiB/MiB; anything else counts that unit.
        file: Where to draw (stderr by default).
        **options: Passed to ``tqdm.tqdm`` (``leave``, ``ncols``, ``position``...).

    Raises:
        ModuleNotFoundError: At ``start``, when tqdm is not installed.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> bar = TqdmProgress("cat.jpg", file=out)
        >>> bar.start(2048)
        >>> bar.advance(2048)
        >>> bar.finish()
        >>> "cat.jpg" in out.getvalue() and "100%" in out.getvalue()
        True
    """

    def __init__(
        self, description: str = "", *, unit: str = "bytes", file: TextIO | None = None, **options: Any
    ) -> None:
        self.description = description
        self._unit = unit
        self._file = file
        self._options = options
        self._bar: Any = None

    def start(self, total: int | None) -> None:
        """Open a new bar (closing one already open, for a restart).

        Args:
            total: Units expected, or ``None`` when unknown.
        """
        from tqdm import tqdm

        if self._bar is not None:
            self._bar.close()
        units: dict[str, Any] = (
            {"unit": "B", "unit_scale": True, "unit_divisor": 1024} if self._unit == "bytes" else {"unit": self._unit}
        )
        self._bar = tqdm(
            total=total, desc=self.description or None, file=self._file or sys.stderr, **{**units, **self._options}
        )

    def advance(self, n: int) -> None:
        """Move the bar by ``n`` units.

        Args:
            n: Units done since the last call.
        """
        if self._bar is not None:
            self._bar.update(n)

    def finish(self) -> None:
        """Close the bar (its last state stays on screen)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def percent_callback(reporter: ProgressReporter) -> PercentCallback:
    """Adapt a reporter to a [`PercentCallback`][synapse_fileutils.progress.PercentCallback], e.g. for a transcode.

    The reporter is started with a total of 100 on the first call and advanced by whole percents; call its
    ``finish()`` yourself when the operation ends.

    Args:
        reporter: Any reporter (a terminal bar, tqdm, a run's progress).

    Returns:
        A function taking the percentage done.

    Example:
        >>> seen = []
        >>> on_percent = percent_callback(CallbackProgress(lambda done, total: seen.append(done)))
        >>> for percent in (12.5, 40.0, 99.9):
        ...     on_percent(percent)
        >>> seen
        [0, 12, 40, 99]
    """
    done = -1

    def on_percent(percent: float) -> None:
        nonlocal done
        if done < 0:
            reporter.start(100)
            done = 0
        now = max(done, min(100, int(percent)))
        if now > done:
            reporter.advance(now - done)
            done = now

    return on_percent


def _format_duration(seconds: float) -> str:
    total = int(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def default_progress(description: str = "", *, unit: str = "bytes") -> ProgressReporter:
    """Return a progress bar when stderr is an interactive terminal, else a silent reporter.

    Args:
        description: The label shown before the bar (the file name for a download).
        unit: ``"bytes"`` or the name of the counted unit.

    Returns:
        On a TTY a [`TqdmProgress`][synapse_fileutils.progress.TqdmProgress] when tqdm is installed (the
        ``progress`` extra), else a [`TerminalProgressBar`][synapse_fileutils.progress.TerminalProgressBar]; off a
        TTY a [`NullProgress`][synapse_fileutils.progress.NullProgress].

    Example:
        >>> isinstance(default_progress(), ProgressReporter)
        True
    """
    isatty = getattr(sys.stderr, "isatty", None)
    if isatty is not None and isatty():
        if importlib.util.find_spec("tqdm") is not None:
            return TqdmProgress(description, unit=unit)
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
