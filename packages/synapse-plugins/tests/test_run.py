from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_plugins import MetricsRecord, Run
from synapse_plugins.run import ProgressTracker, normalize_categories
from synapse_plugins.run.loggers import ConsoleLogger, MemoryLogger, TeeLogger


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_overall_percent_and_eta_per_category():
    clock = FakeClock()
    logger = MemoryLogger()
    run = Run(logger, progress_categories={"dataset": 20, "train": 75, "model_upload": 5}, clock=clock)
    run.set_progress(10, 10, "dataset")
    clock.now = 10.0
    run.set_progress(0, 100, "train")
    clock.now = 20.0
    run.set_progress(25, 100, "train")
    record = logger.progress[-1]
    assert record["current_progress"] == {
        "overall": 38.75, "category": "train", "percent": 25.0, "time_remaining": 30.0,
    }  # fmt: skip
    assert record["record"]["categories"]["model_upload"] == {"proportion": 5.0, "percent": 0.0,
                                                              "time_remaining": None}  # fmt: skip


def test_progress_never_goes_backwards_and_total_zero_is_done():
    run = Run()
    run.set_progress(8, 10)
    run.set_progress(2, 10)
    assert run.progress.snapshot().percent == 80.0
    empty = Run(progress_categories={"dataset_conversion": 100})
    empty.set_progress(0, 0, "dataset_conversion")
    assert empty.progress.overall == 100.0


def test_first_call_need_not_start_at_zero():
    clock = FakeClock()
    run = Run(clock=clock)
    run.set_progress(50, 100)
    clock.now = 5.0
    run.set_progress(60, 100)
    assert run.progress.snapshot().time_remaining == 20.0


@pytest.mark.parametrize(
    ("current", "total", "category"), [(1, -1, None), (1.5, 2, None), ("1", 2, None), (1, 2, "nope")]
)
def test_bad_progress_arguments_are_value_errors(current, total, category):
    run = Run(progress_categories={"a": 1})
    with pytest.raises(ValueError, match=r"set_progress|category"):
        run.set_progress(current, total, category)


def test_category_required_when_several_are_declared():
    with pytest.raises(ValueError, match="needs a category"):
        Run(progress_categories={"a": 1, "b": 1}).set_progress(1, 2)


def test_v1_proportion_dicts_are_accepted():
    assert normalize_categories({"a": {"proportion": 2}, "b": {"proportion": 2}}) == {"a": 50.0, "b": 50.0}
    with pytest.raises(ValueError, match="above 0"):
        normalize_categories({"a": 0})
    with pytest.raises(ValueError, match="number"):
        normalize_categories({"a": float("nan")})


def test_progress_failed_marks_the_category():
    logger = MemoryLogger()
    run = Run(logger, progress_categories={"a": 1, "b": 1})
    run.set_progress(1, 2, "a")
    run.set_progress_failed()
    assert logger.progress[-1]["record"]["categories"]["a"]["status"] == "failed"


def test_metrics_merge_per_category_and_records():
    logger = MemoryLogger()
    run = Run(logger, metrics_categories=["data_file", "original_file"])
    run.log_metrics(run.MetricsRecord(stand_by=3), "data_file")
    run.log_metrics(MetricsRecord(stand_by=2, success=1, failed=0), "data_file")
    run.set_metrics({"note": "x"}, "original_file")
    assert logger.metrics[-1] == {"record": {"categories": {
        "data_file": {"stand_by": 2, "success": 1, "failed": 0}, "original_file": {"note": "x"}}}}  # fmt: skip
    with pytest.raises(ValueError, match="unknown metrics category"):
        run.set_metrics({"a": 1}, "other")
    with pytest.raises(ValueError, match="mapping"):
        run.set_metrics(["not", "a", "dict"], "data_file")  # type: ignore[arg-type]


def test_messages_contexts_and_job_id():
    logger = MemoryLogger()
    run = Run(logger, job_id=42)
    for context in ("info", "success", "WARNING", "danger"):
        run.log_message(context, context=context)
    with pytest.raises(ValueError, match="info, success, warning, danger"):
        run.log_message("x", context="error")
    assert [e.data["context"] for e in logger.entries] == ["info", "success", "warning", "danger"]
    assert {e.job for e in logger.entries} == {"42"}
    assert len({e.event_id for e in logger.entries}) == 4


def test_a_failing_logger_never_fails_the_action():
    class Broken(MemoryLogger):
        def log(self, entry):
            raise OSError("backend down")

        def set_progress(self, record):
            raise OSError("backend down")

    good = MemoryLogger()
    run = Run(TeeLogger(Broken(), good))
    run.log_message("still here")
    run.set_progress(1, 1)
    assert good.messages == ["still here"]
    Run(Broken()).log_message("no raise")


def test_run_is_thread_safe():
    logger = MemoryLogger()
    run = Run(logger)

    def work():
        for i in range(200):
            run.set_progress(i, 1000)
            run.log_message("m")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(logger.messages) == 800
    assert len(logger.progress) == 800


def test_console_logger_plain_lines_are_throttled(capsys):
    import io

    out = io.StringIO()
    run = Run(ConsoleLogger(out, progress_bar=False))
    for i in range(1001):
        run.set_progress(i, 1000)
    lines = out.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[-1].startswith("progress 100.0%")


def test_console_logger_draws_a_bar_on_a_terminal():
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    logger = ConsoleLogger(out)
    run = Run(logger, progress_categories={"convert": 1})
    run.set_progress(5, 10, "convert")
    run.log_message("halfway")
    logger.close()
    text = out.getvalue()
    assert "convert" in text
    assert "halfway" in text


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=40))
def test_percent_is_monotonic_and_bounded(reports):
    tracker = ProgressTracker({"a": 1})
    last = 0.0
    for step, (current, total) in enumerate(reports):
        tracker.update("a", current, total, now=float(step))
        percent = tracker.snapshot("a").percent
        assert last <= percent <= 100.0
        assert 0.0 <= tracker.overall <= 100.0
        last = percent
