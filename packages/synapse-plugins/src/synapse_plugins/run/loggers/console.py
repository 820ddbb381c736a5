"""A logger for people: messages as lines, progress as a live bar with ETA on a terminal, as plain lines elsewhere.

On a terminal (``stream.isatty()``) progress is drawn with rich's progress bar (overall percent, current category
and time remaining); elsewhere (a CI log, a Ray job's log) a progress line is printed when the overall percent
passes another 10 % step or a category changes, so logs stay short.

Example:
    >>> import io
    >>> from synapse_plugins.run import Run
    >>> out = io.StringIO()
    >>> run = Run(ConsoleLogger(out))
    >>> run.log_message("Export started")
    >>> run.set_progress(5, 10)
    >>> print(out.getvalue().strip())
    [info] Export started
    progress  50.0%
"""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from synapse_client.ray.jobs import JobStatus

    from ..records import LogEntry

__all__ = ["ConsoleLogger"]

_STEP = 10.0


class ConsoleLogger:
    r"""Print a run's messages and progress.

    Args:
        stream: Where to write (default: standard error, read when each line is written).
        progress_bar: Draw a live bar: True, False, or None for "when ``stream`` is a terminal".
        show_events: Also print events other than messages (as ``event {json}``).

    Example:
        >>> import io
        >>> from synapse_plugins.run.records import LogEntry
        >>> out = io.StringIO()
        >>> ConsoleLogger(out).log(LogEntry.message("careful", context="warning"))
        >>> out.getvalue()
        '[warning] careful\n'
    """

    def __init__(self, stream: TextIO | None = None, *, progress_bar: bool | None = None, show_events: bool = False):
        self._stream = stream
        self._lock = threading.Lock()
        self._bar_wanted = progress_bar
        self._bar: Any = None
        self._task: Any = None
        self._shown_step = -1.0
        self._shown_category: str | None = None
        self.show_events = show_events

    @property
    def stream(self) -> TextIO:
        """The stream written to."""
        return self._stream if self._stream is not None else sys.stderr

    def _write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def log(self, entry: LogEntry) -> None:
        """Print a message (``[context] text``), and other events when ``show_events`` is on."""
        with self._lock:
            if entry.event == "message":
                self._write(f"[{entry.data.get('context', 'info')}] {entry.data.get('content', '')}")
            elif entry.event == "dev_event":
                self._write(f"[dev] {entry.data.get('message', '')}")
            elif self.show_events:
                self._write(f"{entry.event} {json.dumps(entry.data, default=str, ensure_ascii=False)}")

    def _use_bar(self) -> bool:
        if self._bar_wanted is not None:
            return self._bar_wanted
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def set_progress(self, record: dict[str, Any]) -> None:
        """Draw the bar, or print a line when the run passes another 10 %."""
        current = record.get("current_progress", {})
        overall = float(current.get("overall") or 0.0)
        category = current.get("category")
        with self._lock:
            if self._use_bar():
                self._draw(overall, category, current)
                return
            step = (overall // _STEP) * _STEP
            if step <= self._shown_step and category == self._shown_category:
                return
            self._shown_step, self._shown_category = step, category
            categories = record.get("record", {}).get("categories", {})
            label = ""
            if category and len(categories) > 1:
                label = f"  {category} {categories.get(category, {}).get('percent', 0.0):.1f}%"
            elif category:
                label = f"  {category}"
            eta = current.get("time_remaining")
            eta_text = f", about {eta:.0f} s left" if isinstance(eta, (int, float)) and eta >= 1 else ""
            self._write(f"progress {overall:5.1f}%{label}{eta_text}")

    def _draw(self, overall: float, category: str | None, current: dict[str, Any]) -> None:
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>5.1f}%"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("run", total=100.0)
        self._bar.update(self._task, completed=overall, description=category or "progress")

    def set_metrics(self, record: dict[str, Any]) -> None:
        """Metrics are not printed (they show in the final summary of the CLI)."""

    def set_status(self, status: JobStatus, *, result: Any = None, error: str | None = None) -> None:
        """Print the final status (RUNNING is not printed)."""
        if not status.is_terminal():
            return
        with self._lock:
            self._stop_bar()
            self._write(f"run {status.value.lower()}" + (f": {error}" if error else ""))

    def _stop_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def close(self) -> None:
        """Stop the bar if one is drawn."""
        with self._lock:
            self._stop_bar()
