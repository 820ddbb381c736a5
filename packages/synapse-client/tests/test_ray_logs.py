"""The log-follow engine and the job records: offsets across replays, reconnects, limits, closing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_client.errors import NotFoundError, RateLimitError, ServiceUnavailableError
from synapse_client.network import StreamLimits
from synapse_client.ray.jobs import JobDetails, JobStatus
from synapse_client.ray.lifecycle import entrypoint_to_string
from synapse_client.ray.logs import LogCursor, follow_log


class ReplayingLog:
    """A log that grows by one chunk per connection and is replayed from the start on every connection."""

    def __init__(self, chunks: list[str], cut_after: list[int] | None = None) -> None:
        self.chunks = chunks
        self.connections = 0
        self.closed = 0
        self.cut_after = cut_after or []  # per connection: characters sent before the connection breaks

    @property
    def text(self) -> str:
        return "".join(self.chunks[: self.connections])

    def status(self) -> JobStatus:
        return JobStatus.SUCCEEDED if self.connections >= len(self.chunks) else JobStatus.RUNNING

    @contextmanager
    def open(self) -> Iterator[Iterable[str | None]]:
        self.connections += 1
        text = self.text
        if self.connections <= len(self.cut_after):
            text = text[: self.cut_after[self.connections - 1]]
        try:
            # Replayed in small frames, like the dashboard's WebSocket.
            yield [text[i : i + 7] for i in range(0, len(text), 7)]
        finally:
            self.closed += 1


@given(st.lists(st.text(alphabet="ab\n", max_size=30), min_size=1, max_size=8))
def test_lines_joined_equal_the_log_whatever_the_replays(chunks: list[str]) -> None:
    log = ReplayingLog(chunks)
    lines = list(follow_log(log.open, log.status, lambda: "".join(chunks), backoff=0))
    assert lines == "".join(chunks).splitlines()
    assert log.closed == log.connections


def test_cut_connections_lose_and_repeat_nothing() -> None:
    chunks = [f"line {i}\n" for i in range(6)]
    log = ReplayingLog(chunks, cut_after=[3, 10, 0, 25])  # cuts mid-line, and one connection that sends nothing
    lines = list(follow_log(log.open, log.status, lambda: "".join(chunks), backoff=0))
    assert lines == [f"line {i}" for i in range(6)]


def test_final_read_catches_up_what_the_stream_missed() -> None:
    @contextmanager
    def ends_early() -> Iterator[list[str | None]]:
        yield ["first\nsec"]

    lines = list(follow_log(ends_early, lambda: JobStatus.FAILED, lambda: "first\nsecond\nlast", backoff=0))
    assert lines == ["first", "second", "last"]


def test_idle_ticks_check_status_and_finish() -> None:
    statuses = iter([JobStatus.RUNNING, JobStatus.STOPPED, JobStatus.STOPPED])

    @contextmanager
    def quiet() -> Iterator[Iterator[str | None]]:
        def frames() -> Iterator[str | None]:
            yield "a\n"
            while True:
                yield None

        yield frames()

    assert list(follow_log(quiet, lambda: next(statuses), lambda: "a\nb\n", backoff=0)) == ["a", "b"]


def test_repeated_connection_failures_raise_after_max_failures() -> None:
    attempts = []

    @contextmanager
    def refused() -> Iterator[list[str | None]]:
        attempts.append(1)
        raise ServiceUnavailableError(503, "connection refused")
        yield []  # pragma: no cover

    with pytest.raises(ServiceUnavailableError):
        list(follow_log(refused, lambda: JobStatus.RUNNING, str, backoff=0, max_failures=3))
    assert len(attempts) == 3


def test_not_found_is_raised_at_once() -> None:
    @contextmanager
    def missing() -> Iterator[list[str | None]]:
        raise NotFoundError(404, "no such job")
        yield []  # pragma: no cover

    with pytest.raises(NotFoundError):
        list(follow_log(missing, lambda: JobStatus.RUNNING, str, backoff=0))


def test_limits_count_new_text_only_and_raise_429() -> None:
    chunks = ["a\n", "b\n", "c\n", "d\n"]
    log = ReplayingLog(chunks)
    # Four new lines in total: replays of earlier lines must not count against max_lines.
    assert list(follow_log(log.open, log.status, lambda: "".join(chunks), limits=StreamLimits(max_lines=4), backoff=0))
    log = ReplayingLog(chunks)
    with pytest.raises(RateLimitError):
        list(follow_log(log.open, log.status, lambda: "".join(chunks), limits=StreamLimits(max_lines=3), backoff=0))


def test_a_line_longer_than_max_message_size_is_429() -> None:
    cursor = LogCursor(StreamLimits(max_message_size=20).budget(), max_line_chars=10)
    assert cursor.feed("short\n12345") == ["short"]
    with pytest.raises(RateLimitError):
        cursor.feed("678901")


def test_an_endless_line_in_small_chunks_is_kept_in_linear_time() -> None:
    # 16 MiB in 512-character chunks: rejoining the partial line per chunk would copy ~256 GiB and never finish.
    cursor = LogCursor(max_line_chars=32 * 1024 * 1024)
    piece = "x" * 512
    for _ in range(32 * 1024):
        assert cursor.feed(piece) == []
    assert cursor.feed("\nnext") == [piece * 32 * 1024]
    assert cursor.flush() == ["next"]


def test_an_endless_line_is_refused_before_the_piece_over_the_bound_is_kept() -> None:
    cursor = LogCursor(max_line_chars=1000)
    for _ in range(3):
        cursor.feed("y" * 300)
    with pytest.raises(RateLimitError, match="longer than 1000"):
        cursor.feed("y" * 300)


@given(st.lists(st.text(alphabet="ab\n", max_size=20), max_size=20))
def test_any_chunking_yields_the_lines_of_the_whole_text(chunks: list[str]) -> None:
    cursor = LogCursor()
    lines = [line for chunk in chunks for line in cursor.feed(chunk)] + cursor.flush()
    whole = "".join(chunks)
    expected = whole.split("\n")
    if expected[-1] == "":
        expected.pop()
    assert lines == expected


def test_closing_the_generator_closes_the_connection() -> None:
    log = ReplayingLog(["a\nb\nc\n", "d\n", "e\n"])
    tail = follow_log(log.open, log.status, lambda: "", backoff=0)
    assert next(tail) == "a"
    tail.close()
    assert log.closed == log.connections == 1


def test_job_status_and_details() -> None:
    assert [s for s in JobStatus if s.is_terminal()] == [JobStatus.STOPPED, JobStatus.SUCCEEDED, JobStatus.FAILED]
    job = JobDetails.from_dict(
        {"submission_id": "s", "job_id": "02", "status": "running", "start_time": 1_700_000_000_000, "end_time": None}
    )
    assert job.job_id == "s"
    assert job.status is JobStatus.RUNNING
    assert job.start_time == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert job.end_time is None
    assert job.get("job_id") == "02"
    with pytest.raises(ValueError, match=r"'strange'.*PENDING"):
        JobDetails.from_dict({"status": "strange"})


def test_argv_entrypoints_are_quoted() -> None:
    assert entrypoint_to_string(["echo", "a b", "$(id)"]) == "echo 'a b' '$(id)'"
    assert entrypoint_to_string("python -V") == "python -V"


def test_importing_the_ray_agent_and_testing_modules_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, synapse_client.ray, synapse_client.agent, synapse_client.testing\n"
        "print(sorted(m for m in ('requests', 'websockets', 'ray', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_async_follower_matches_the_sync_one_across_cut_connections() -> None:
    import asyncio
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from synapse_client.ray.async_logs import afollow_log

    chunks = [f"line {i}\n" for i in range(6)]
    log = ReplayingLog(chunks, cut_after=[3, 10, 0, 25])

    @asynccontextmanager
    async def open_async() -> AsyncIterator[AsyncIterator[str | None]]:
        with log.open() as frames:

            async def replay() -> AsyncIterator[str | None]:
                for frame in frames:
                    yield frame

            yield replay()

    async def status() -> JobStatus:
        return log.status()

    async def full() -> str:
        return "".join(chunks)

    async def collect() -> list[str]:
        return [line async for line in afollow_log(open_async, status, full, backoff=0)]

    assert asyncio.run(collect()) == [f"line {i}" for i in range(6)]
    assert log.closed == log.connections
