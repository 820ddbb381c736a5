"""The one progress protocol: throttled callbacks, the end reported once, bars that show the label and an ETA."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from synapse_fileutils import download_file
from synapse_fileutils.progress import (
    CallbackProgress,
    NullProgress,
    ProgressReporter,
    TerminalProgressBar,
    TqdmProgress,
    percent_callback,
    resolve_progress,
)
from synapse_testkit.fileserver import FileServer

MiB = 1024 * 1024


def test_a_200_mb_download_calls_back_about_a_hundred_times_and_reports_the_end_once(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    with source.open("wb") as file:
        file.truncate(200 * MiB)  # sparse: costs no disk write
    calls: list[tuple[int, int | None]] = []
    with FileServer() as server:
        url = server.add("/big.bin", source)
        path = download_file(url, tmp_path / "out", progress=lambda done, total: calls.append((done, total)))
    assert path.stat().st_size == 200 * MiB
    assert calls[0] == (0, 200 * MiB)
    assert calls[-1] == (200 * MiB, 200 * MiB)
    assert calls.count((200 * MiB, 200 * MiB)) == 1  # the end is reported once
    assert len(calls) <= 102  # start, one call per percent, and nothing more (not one per 64 KiB chunk)
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})  # strictly increasing


def test_known_total_reports_each_percent_once() -> None:
    seen: list[int] = []
    progress = CallbackProgress(lambda done, total: seen.append(done))
    progress.start(1000)
    for _ in range(1000):
        progress.advance(1)
    progress.finish()
    assert seen == list(range(0, 1001, 10))


def test_unknown_total_reports_by_interval_and_the_end_once() -> None:
    seen: list[tuple[int, int | None]] = []
    progress = CallbackProgress(lambda done, total: seen.append((done, total)), min_interval=0)
    progress.start(None)
    progress.advance(3)
    progress.advance(4)
    progress.finish()
    progress.finish()
    assert seen == [(0, None), (3, None), (7, None)]


def test_restart_counts_from_zero_again() -> None:
    seen: list[int] = []
    progress = CallbackProgress(lambda done, total: seen.append(done))
    progress.start(4)
    progress.advance(2)
    progress.start(4)  # the server ignored a resume: the count starts over
    progress.advance(4)
    progress.finish()
    assert seen == [0, 2, 0, 4]


def test_terminal_bar_shows_the_label_and_an_eta() -> None:
    out = io.StringIO()
    bar = TerminalProgressBar("cat.jpg", stream=out, min_interval=0)
    bar.start(4 * MiB)
    bar.advance(MiB)
    bar.finish()
    frames = out.getvalue().split("\r")
    assert all(frame.startswith("cat.jpg") for frame in frames if frame)
    assert "ETA " in frames[-1] or "ETA " in frames[-2]


def test_tqdm_adapter_shows_the_label_and_an_eta() -> None:
    out = io.StringIO()
    bar = TqdmProgress("cat.jpg", file=out, mininterval=0)
    bar.start(4 * MiB)
    bar.advance(MiB)
    bar.advance(MiB)
    bar.finish()
    text = out.getvalue()
    assert "cat.jpg" in text
    assert "1.00M/4.00M" in text
    assert "<" in text  # tqdm's "elapsed<remaining" ETA field
    assert isinstance(bar, ProgressReporter)


def test_percent_callback_feeds_a_reporter_whole_percents() -> None:
    seen: list[tuple[int, int | None]] = []
    on_percent = percent_callback(CallbackProgress(lambda done, total: seen.append((done, total))))
    for percent in (0.4, 10.2, 10.9, 55.5, 100.0):
        on_percent(percent)
    assert seen == [(0, 100), (10, 100), (55, 100), (100, 100)]


def test_resolve_progress_kinds() -> None:
    assert isinstance(resolve_progress(False), NullProgress)
    assert isinstance(resolve_progress(lambda done, total: None), CallbackProgress)
    reporter = NullProgress()
    assert resolve_progress(reporter) is reporter
    with pytest.raises(TypeError):
        resolve_progress(42)  # type: ignore[arg-type]
