r"""How a Ray job's run events and result travel in its log, and why this survives Ray's 16 MiB truncation.

The job's entrypoint prints each event frame as one line ``@@synapse:<marker> <json>``; the marker is random per
run, so lines the action prints (or params it echoes) are never taken for events. The last line it prints is the
``end`` frame, ``@@synapse:<marker>:end <length> <sha256/16> <json>``: the final status with the result or the error.

Why the log and not a side channel: a job submitted over HTTP can be followed and collected over HTTP alone (no
``ray`` on the caller, no second store to clean up), and the dashboard shows the same events a caller sees. Why it
is safe against truncation: Ray keeps the *last* 16 MiB of a job's log, and the end frame is the last line. The
caller reads the log's tail, finds the last end line of its marker, and checks the declared length and digest: a
cut-off or forged frame is refused, never half-read. Results are capped at
[`MAX_RESULT_BYTES`][synapse_plugins.execution.joblog.MAX_RESULT_BYTES] (8 MiB) so the end frame always fits; a
bigger result fails the run with a message saying to store it and return a reference. Results travel as JSON.

Example:
    >>> line = end_line("m1", '{"seq": 1, "k": "end", "status": "SUCCEEDED", "result": 42}')
    >>> find_end("noise\n" + line + "\n", "m1").result
    42
    >>> parse_line("@@synapse:m1 " + '{"seq": 0, "k": "status", "status": "RUNNING"}', "m1").status.value
    'RUNNING'
    >>> parse_line("@@synapse:other {}", "m1").text
    '@@synapse:other {}'
"""

from __future__ import annotations

import hashlib
import json

from .events import LogLine, RunEnded, RunEvent, decode_event

__all__ = ["MAX_RESULT_BYTES", "PREFIX", "end_line", "find_end", "frame_line", "parse_line"]

PREFIX = "@@synapse:"
#: The largest end frame (result or error included) a job may print, in bytes.
MAX_RESULT_BYTES = 8 * 1024 * 1024
_DIGEST_CHARS = 16


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:_DIGEST_CHARS]


def frame_line(marker: str, frame: str) -> str:
    """Return the log line of one event frame.

    Example:
        >>> frame_line("m", "{}")
        '@@synapse:m {}'
    """
    return f"{PREFIX}{marker} {frame}"


def end_line(marker: str, frame: str) -> str:
    """Return the log line of the end frame, with its length and digest.

    Example:
        >>> end_line("m", "{}").split()[1:3]
        ['2', '44136fa355b3678a']
    """
    return f"{PREFIX}{marker}:end {len(frame)} {_digest(frame)} {frame}"


def parse_line(line: str, marker: str) -> RunEvent:
    """Read one log line: this run's event, or a plain line.

    Args:
        line: The line, without its newline.
        marker: The run's marker.

    Returns:
        The typed event; [`LogLine`][synapse_plugins.execution.events.LogLine] for anything that is not a valid
        frame of this run.

    Example:
        >>> parse_line("hello", "m")
        LogLine(text='hello')
    """
    own = f"{PREFIX}{marker}"
    if line.startswith(own + " "):
        try:
            return decode_event(json.loads(line[len(own) + 1 :]))
        except ValueError:
            return LogLine(line)
    if line.startswith(own + ":end "):
        ended = _read_end(line[len(own) + 5 :])
        return ended if ended is not None else LogLine(line)
    return LogLine(line)


def _read_end(rest: str) -> RunEnded | None:
    parts = rest.split(" ", 2)
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    length, digest, frame = int(parts[0]), parts[1], parts[2]
    if len(frame) != length or _digest(frame) != digest:
        return None
    try:
        event = decode_event(json.loads(frame))
    except ValueError:
        return None
    return event if isinstance(event, RunEnded) else None


def find_end(log: str, marker: str) -> RunEnded | None:
    """Find a run's end frame in its log (the last valid one), or None when the log has none.

    Args:
        log: The job's log text (or its tail).
        marker: The run's marker.

    Returns:
        The final event, or None (the entrypoint never finished: killed, or its Python failed to start).

    Example:
        >>> find_end("no frames here", "m") is None
        True
    """
    tag = f"{PREFIX}{marker}:end "
    end = len(log)
    while (start := log.rfind(tag, 0, end)) != -1:
        if start == 0 or log[start - 1] == "\n":
            stop = log.find("\n", start)
            ended = _read_end(log[start + len(tag) : stop if stop != -1 else len(log)].rstrip("\r"))
            if ended is not None:
                return ended
        end = start
    return None
