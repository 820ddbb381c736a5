r"""Follow a job's log across connections: every line once, in order, until the job ends.

A log stream (WebSocket frames, an HTTP chunked body, or polls of the full log) can end while the job still runs, and
Ray replays the whole log from the start on each new connection. [`follow_log`][synapse_client.ray.logs.follow_log]
therefore counts the characters it has consumed, skips that many on every new connection, checks the job status whenever
a connection ends or goes quiet, reconnects with exponential backoff while the job runs, and finishes with one read of
the full log once the job is terminal so nothing printed at the very end is lost. Every new character passes through a
[`StreamLimits`][synapse_client.network.StreamLimits] budget (429 when exceeded).

A chunk source is a callable returning a context manager that yields an iterable of text chunks; ``None`` in that
iterable means "no data for a while" (the engine then checks the status). Leaving the context closes the connection, so
closing the generator returned by [`follow_log`][synapse_client.ray.logs.follow_log] leaves no connection or thread
behind.

Example:
    >>> from contextlib import contextmanager
    >>> @contextmanager
    ... def replaying_source():  # a server that replays the whole log on each connection
    ...     yield ["one\ntwo\n"]
    >>> statuses = iter([JobStatus.RUNNING, JobStatus.SUCCEEDED])
    >>> list(follow_log(replaying_source, lambda: next(statuses), lambda: "one\ntwo\nthree\n", backoff=0))
    ['one', 'two', 'three']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from ..errors import ClientError, RateLimitError
from .jobs import JobStatus

if TYPE_CHECKING:
    from ..network import StreamBudget, StreamLimits

__all__ = ["ChunkSource", "LogCursor", "follow_log"]

ChunkSource = Callable[[], AbstractContextManager[Iterable["str | None"]]]
"""Opens one connection: a context manager yielding text chunks (``None`` = idle tick)."""

# Transport failures that only end one connection: the job status decides whether to reconnect.
_RECONNECTABLE = frozenset({408, 500, 502, 503, 504})


class LogCursor:
    r"""Turn replayed, chunked log text into new complete lines, counting characters already consumed.

    Args:
        budget: The stream budget new text is charged to; ``None`` charges nothing.
        max_line_chars: The longest partial line kept while waiting for its newline (429 beyond it).

    Example:
        >>> cursor = LogCursor()
        >>> cursor.start_connection()
        >>> cursor.feed("a\nb")
        ['a']
        >>> cursor.start_connection()  # the server replays from the start
        >>> cursor.feed("a\nbc\n")
        ['bc']
        >>> cursor.offset
        5
    """

    def __init__(self, budget: StreamBudget | None = None, max_line_chars: int | None = None) -> None:
        self.offset = 0
        self._seen = 0
        # The unterminated last line, in the pieces it arrived in: joined once, when its newline comes, so an endless
        # line fed in small chunks costs linear time, and its length is checked before each piece is kept.
        self._partial: list[str] = []
        self._partial_chars = 0
        self._budget = budget
        self._max_line_chars = max_line_chars

    def start_connection(self) -> None:
        """Note that a new connection starts, which replays the log from its first character.

        Example:
            >>> LogCursor().start_connection()
        """
        self._seen = 0

    def feed(self, chunk: str) -> list[str]:
        r"""Consume one chunk of the current connection.

        Args:
            chunk: Text as received; its replayed prefix (characters before ``offset``) is skipped.

        Returns:
            The complete new lines, without their ``\n``.

        Raises:
            RateLimitError: When the stream budget or the partial-line bound is exceeded (429).

        Example:
            >>> LogCursor().feed("x\ny\nz")
            ['x', 'y']
        """
        start = self._seen
        self._seen += len(chunk)
        if self._seen <= self.offset:
            return []
        new = chunk[max(0, self.offset - start) :]
        return self._consume(new)

    def feed_full(self, text: str) -> list[str]:
        r"""Consume a full copy of the log (for example a final read once the job ended).

        Args:
            text: The whole log from its first character.

        Returns:
            The complete new lines, plus the trailing partial line if any (the log is final).

        Raises:
            RateLimitError: When the stream budget is exceeded (429).

        Example:
            >>> cursor = LogCursor()
            >>> cursor.feed("a\nb")
            ['a']
            >>> cursor.feed_full("a\nbc")
            ['bc']
        """
        self.start_connection()
        lines = self.feed(text)
        return lines + self.flush()

    def flush(self) -> list[str]:
        """Return the unterminated last line, if any (call once the log is final).

        Returns:
            ``[partial]`` or ``[]``.

        Example:
            >>> cursor = LogCursor()
            >>> cursor.feed("no newline")
            []
            >>> cursor.flush()
            ['no newline']
        """
        partial = "".join(self._partial)
        self._partial, self._partial_chars = [], 0
        return [partial] if partial else []

    def _consume(self, new: str) -> list[str]:
        if not new:
            return []
        if self._budget is not None:
            self._budget.consume(new, lines=new.count("\n"))
        self.offset += len(new)
        last_newline = new.rfind("\n")
        tail = new[last_newline + 1 :]
        tail_chars = len(tail) if last_newline >= 0 else self._partial_chars + len(new)
        if self._max_line_chars is not None and tail_chars > self._max_line_chars:
            raise RateLimitError(429, f"log line longer than {self._max_line_chars} characters")
        if last_newline < 0:
            self._partial.append(new)
            self._partial_chars = tail_chars
            return []
        lines = new[:last_newline].split("\n")
        if self._partial:
            lines[0] = "".join(self._partial) + lines[0]
        self._partial = [tail] if tail else []
        self._partial_chars = len(tail)
        return lines


def follow_log(
    open_stream: ChunkSource,
    get_status: Callable[[], JobStatus],
    read_full_log: Callable[[], str],
    *,
    limits: StreamLimits | None = None,
    backoff: float = 0.25,
    max_backoff: float = 2.0,
    max_failures: int = 5,
) -> Iterator[str]:
    r"""Yield a job's log lines once each, in order, reconnecting while the job runs.

    Args:
        open_stream: Opens one connection (see the module docs).
        get_status: Returns the job's current status.
        read_full_log: Returns the whole log; read once after the job is terminal.
        limits: Bounds on what the stream may deliver; ``StreamLimits()`` defaults when ``None``.
        backoff: First delay in seconds before a reconnect; doubles up to ``max_backoff``.
        max_backoff: Longest delay between reconnects, in seconds.
        max_failures: Consecutive failed connections (408/5xx) tolerated before the error is raised.

    Yields:
        Log lines without their trailing ``\n``.

    Raises:
        RateLimitError: When ``limits`` are exceeded (429).
        ClientError: When connecting fails ``max_failures`` times in a row, or with a non-transient status.

    Example:
        ```python
        for line in follow_log(source, get_status, read_full_log):
            print(line)
        ```
    """
    if limits is None:
        from ..network import StreamLimits

        limits = StreamLimits()
    cursor = LogCursor(limits.budget(), limits.max_message_size)
    failures = 0
    delay = backoff
    while True:
        progressed = False
        try:
            with open_stream() as chunks:
                cursor.start_connection()
                for chunk in chunks:
                    if chunk is None:  # quiet: a job that ended may keep the connection open
                        if get_status().is_terminal():
                            break
                        continue
                    lines = cursor.feed(chunk)
                    if lines:
                        progressed = True
                        failures, delay = 0, backoff
                        yield from lines
        except ClientError as exc:
            if exc.status not in _RECONNECTABLE:
                raise
            failures += 0 if progressed else 1
            if failures >= max_failures:
                raise
        if get_status().is_terminal():
            yield from cursor.feed_full(read_full_log())
            return
        time.sleep(delay)
        delay = min(delay * 2, max_backoff) if delay > 0 else 0
