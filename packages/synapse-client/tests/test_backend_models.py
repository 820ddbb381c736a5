"""Typed backend records: unknown fields are kept, the mapping view and to_dict give back what the server sent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_client.backend import DataCollection, Job, JobStatus, Record, Storage, Task

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=12), json_values, max_size=8))
def test_records_round_trip_any_server_object(data: dict[str, object]) -> None:
    for record_type in (Record, Task, Job, Storage, DataCollection):
        record = record_type.from_dict(data)
        assert record.to_dict() == data
        assert dict(record) == data
        assert len(record) == len(data)


def test_typed_fields_and_extra() -> None:
    task = Task.from_dict({"id": 1, "project": 2, "data_unit": 3, "new_field": [1]})
    assert (task.id, task.project, task.data_unit) == (1, 2, 3)
    assert task.extra == {"new_field": [1]}
    assert task.get("missing") is None
    with pytest.raises(KeyError):
        task["missing"]


def test_changed_attributes_show_in_to_dict() -> None:
    job = Job.from_dict({"id": 1})
    job.status = JobStatus.FAILED
    assert job.to_dict() == {"id": 1, "status": "FAILED"}
    assert job.is_terminal


@pytest.mark.parametrize("sent", ["succeeded", "SUCCEEDED", "Succeeded"])
def test_job_status_reads_any_case(sent: str) -> None:
    job = Job.from_dict({"id": 1, "status": sent})
    assert job.is_terminal
    assert JobStatus(job.status) is JobStatus.SUCCEEDED
    assert job.to_dict()["status"] == sent  # the record keeps what the server sent


def test_backend_and_ray_share_one_job_status() -> None:
    from synapse_client.ray import JobStatus as RayJobStatus

    assert JobStatus is RayJobStatus
    assert JobStatus.is_terminal("stopped")
    assert not JobStatus.is_terminal("pending")
    assert not JobStatus.is_terminal(None)
    assert not JobStatus.is_terminal("exploded")


def test_from_dict_refuses_non_objects() -> None:
    with pytest.raises(TypeError):
        Task.from_dict([1, 2])  # type: ignore[arg-type]


def test_storage_repr_hides_the_configuration() -> None:
    storage = Storage.from_dict({"id": 1, "configuration": {"password": "hunter2-secret"}})
    assert "hunter2-secret" not in repr(storage)
    assert storage["configuration"] == {"password": "hunter2-secret"}
