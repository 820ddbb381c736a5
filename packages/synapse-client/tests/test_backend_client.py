"""BackendClient against synapse_client.testing.BackendServer: every endpoint, for real."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_client.backend import (
    BackendClient,
    DataCollection,
    DataUnit,
    Job,
    JobStatus,
    Model,
    Plugin,
    PluginRelease,
    Project,
    Record,
    RecordPages,
    Storage,
    Task,
)
from synapse_client.errors import (
    AuthenticationError,
    BadRequestError,
    ClientError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
)
from synapse_client.network import StreamLimits
from synapse_client.testing import ACCESS_TOKEN, AGENT_TOKEN, STORAGE_SECRET, TENANT, Fault, Stream


@pytest.fixture
def client(backend_server: Any) -> Iterator[BackendClient]:
    with BackendClient(backend_server.url, access_token=ACCESS_TOKEN, tenant=TENANT, retries=2, backoff=0) as c:
        yield c


# -- auth and errors ---------------------------------------------------------------------------------------------------


def test_environment_configures_a_client_built_without_arguments(
    backend_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNAPSE_HOST", backend_server.url)
    monkeypatch.setenv("SYNAPSE_ACCESS_TOKEN", ACCESS_TOKEN)
    monkeypatch.setenv("SYNAPSE_TENANT", TENANT)
    with BackendClient(retries=0) as from_env:
        assert from_env.get_project(1).id == 1  # the server checks both tokens
    with BackendClient(backend_server.url, access_token="explicit-wins", retries=0) as explicit:
        assert explicit._get_headers()["Synapse-Access-Token"] == "Token explicit-wins"
    monkeypatch.delenv("SYNAPSE_HOST")
    with pytest.raises(BadRequestError, match="SYNAPSE_HOST"):
        BackendClient()


def test_every_auth_header_is_sent_when_set(backend_server: Any) -> None:
    with BackendClient(
        backend_server.url, access_token=ACCESS_TOKEN, token="api-t0ken-1", tenant=TENANT, agent_token="agent-t0k-2"
    ) as client:
        client.get_project(1)
    request = backend_server.protocol.requests_for("GET", r"/projects/1/")[-1]
    assert request.header("Synapse-Access-Token") == f"Token {ACCESS_TOKEN}"
    assert request.header("Authorization") == "Token api-t0ken-1"
    assert request.header("SYNAPSE-Tenant") == f"Token {TENANT}"
    assert request.header("SYNAPSE-Agent") == "Token agent-t0k-2"


def test_unset_tokens_send_no_header(backend_server: Any) -> None:
    with BackendClient(backend_server.url, access_token=ACCESS_TOKEN, tenant=TENANT) as client:
        client.get_project(1)
    request = backend_server.protocol.requests_for("GET", r"/projects/1/")[-1]
    assert request.header("Authorization") is None
    assert request.header("SYNAPSE-Agent") is None


def test_401_without_access_token_keeps_body(backend_server: Any) -> None:
    with BackendClient(backend_server.url, tenant=TENANT) as client, pytest.raises(AuthenticationError) as info:
        client.get_project(1)
    assert info.value.status == 401
    assert info.value.body == {"detail": "Authentication credentials were not provided."}


def test_403_for_a_wrong_tenant_and_a_forbidden_project(backend_server: Any, client: BackendClient) -> None:
    other = BackendClient(backend_server.url, access_token=ACCESS_TOKEN, tenant="other-tenant")
    with other, pytest.raises(PermissionDeniedError) as info:
        other.get_task(1000)
    assert info.value.status == 403
    with pytest.raises(PermissionDeniedError):
        client.get_project(2)


def test_404_and_400_field_errors_surface_in_client_error(client: BackendClient) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.get_task(999_999)
    assert missing.value.status == 404
    assert missing.value.body == {"detail": "Not found."}
    with pytest.raises(BadRequestError) as bad:
        client.create_plugin({"name": "no code"})
    assert bad.value.status == 400
    assert bad.value.body == {"code": ["This field is required."]}
    assert isinstance(bad.value, ClientError)


def test_tokens_never_appear_in_errors_or_repr(backend_server: Any) -> None:
    client = BackendClient(backend_server.url, access_token="very-secret-access", tenant="very-secret-tenant")
    assert "very-secret" not in repr(client)
    with pytest.raises(AuthenticationError) as info:
        client.get_project(1)
    assert "very-secret" not in str(info.value) + repr(info.value)
    client.close()


def test_invalid_ids_are_refused_before_any_request(backend_server: Any, client: BackendClient) -> None:
    with pytest.raises(BadRequestError):
        client.get_task("../admin")
    assert backend_server.protocol.requests_for("*", r".*admin.*") == []


def test_get_is_retried_after_503_and_429(backend_server: Any, client: BackendClient) -> None:
    backend_server.protocol.inject("GET", r"/jobs/1/", Fault.status(503), Fault.rate_limit("0"))
    assert client.get_job(1).status == "RUNNING"
    assert len(backend_server.protocol.requests_for("GET", r"/jobs/1/")) == 3


def test_post_is_not_retried(backend_server: Any, client: BackendClient) -> None:
    backend_server.protocol.inject("POST", r"/plugins/1/run/", Fault.status(503))
    with pytest.raises(ServiceUnavailableError):
        client.run_plugin(1, {"agent": 2, "action": "export"})
    assert len(backend_server.protocol.requests_for("POST", r"/plugins/1/run/")) == 1


def test_truncated_json_is_an_invalid_response(backend_server: Any, client: BackendClient) -> None:
    backend_server.protocol.inject("GET", r"/projects/1/", Fault.truncated_json())
    with pytest.raises(InvalidResponseError):
        client.get_project(1)


def test_client_pickles_without_its_session(client: BackendClient) -> None:
    client.get_project(1)
    copy = pickle.loads(pickle.dumps(client))
    assert copy.get_project(1).title == "Cats"
    copy.close()


# -- annotation --------------------------------------------------------------------------------------------------------


def test_get_project_keeps_unknown_fields(client: BackendClient) -> None:
    project = client.get_project(1)
    assert isinstance(project, Project)
    assert project.configuration == {"classes": [{"id": "cat"}]}
    assert project.extra == {"x_new": 1}
    assert project["x_new"] == 1


def test_get_task_and_annotate_task_data(backend_server: Any, client: BackendClient) -> None:
    task = client.get_task(1002)
    assert isinstance(task, Task)
    assert task.project == 1
    result = client.annotate_task_data(task.id, {"annotations": [{"class": "cat"}]})
    assert result["status"] == "submitted"
    body = backend_server.protocol.requests_for("PUT", r"/tasks/1002/annotate_task_data/")[-1].json()
    assert body == {"action": "submit", "data": {"annotations": [{"class": "cat"}]}}
    assert client.get_task(task.id).data == {"annotations": [{"class": "cat"}]}


def test_annotate_task_data_rejects_an_unknown_action(client: BackendClient) -> None:
    with pytest.raises(BadRequestError) as info:
        client.annotate_task_data(1002, {}, action="destroy")
    assert "action" in info.value.body


def test_list_tasks_first_page_and_filters(client: BackendClient) -> None:
    page = client.list_tasks(params={"project": 1}, page_size=2)
    assert page["count"] == 5
    assert page["next"].startswith("http://127.0.0.1:")
    assert [type(task) for task in page["results"]] == [Task, Task]
    assert client.list_tasks(params={"project": 99})["count"] == 0


def test_list_tasks_all_fetches_each_page_once(backend_server: Any, client: BackendClient) -> None:
    tasks, count = client.list_tasks(params={"project": 1}, list_all=True, page_size=2)
    assert isinstance(tasks, RecordPages)
    assert count == 5
    assert backend_server.protocol.requests_for("GET", r"/sdk/tasks/").__len__() == 1
    ids = [task.id for task in tasks]
    assert len(ids) == len(set(ids)) == 5
    assert len(backend_server.protocol.requests_for("GET", r"/sdk/tasks/")) == 3


def test_list_all_is_lazy(backend_server: Any, client: BackendClient) -> None:
    tasks, _ = client.list_tasks(list_all=True, page_size=2)
    next(tasks)
    next(tasks)
    assert len(backend_server.protocol.requests_for("GET", r"/sdk/tasks/")) == 1
    next(tasks)
    assert len(backend_server.protocol.requests_for("GET", r"/sdk/tasks/")) == 2


def test_create_tasks_and_set_tags(backend_server: Any, client: BackendClient) -> None:
    created = client.create_tasks([{"project": 1, "data_unit": 1001}, {"project": 1, "data_unit": 1006}])
    assert [task["data_unit"] for task in created] == [1001, 1006]
    assert client.list_tasks(params={"data_unit": 1001})["count"] == 2
    assert client.set_tags_tasks({"ids": [created[0]["id"]], "tags": [1], "action": "add"}) == {"updated": 1}
    assert backend_server.tag_calls[-1] == ("tasks", {"ids": [created[0]["id"]], "tags": [1], "action": "add"})


def test_create_tasks_field_errors(client: BackendClient) -> None:
    with pytest.raises(BadRequestError) as info:
        client.create_tasks({"project": 1})
    assert info.value.body == {"data_unit": ["This field is required."]}


def test_task_tags(client: BackendClient) -> None:
    assert client.get_task_tag(1)["name"] == "hard"
    tags, count = client.list_task_tags(params={"project": 1}, list_all=True)
    assert count == 2
    assert sorted(tag["name"] for tag in tags) == ["easy", "hard"]
    assert client.list_task_tags()["count"] == 2


# -- data collections --------------------------------------------------------------------------------------------------


def test_data_collections(backend_server: Any, client: BackendClient) -> None:
    collection = client.get_data_collection(1)
    assert isinstance(collection, DataCollection)
    assert [(spec.name, spec.is_required) for spec in collection.specifications] == [
        ("image_1", True),
        ("meta_json", False),
    ]
    assert backend_server.protocol.requests_for("GET", r"/data_collections/1/")[-1].query == {
        "expand": ["file_specifications"]
    }
    page = client.list_data_collection()
    assert page["count"] == 1
    collections, count = client.list_data_collection(list_all=True)
    assert [c.name for c in collections] == ["Street"]
    assert count == 1


def test_create_data_file_multipart(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\x00\xffjpeg\r\n--bytes" * 100)
    data_file = client.create_data_file(path)
    assert data_file.size == path.stat().st_size
    stored = backend_server.files_by_checksum[data_file.checksum]
    assert (Path(backend_server.storage_dir) / "files" / stored["checksum"]).read_bytes() == path.read_bytes()
    assert stored["file_name_original"] == "photo.jpg"


def test_create_data_file_with_chunked_upload(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(range(256)) * 40)
    data_file = client.create_data_file(path, use_chunked_upload=True)
    assert data_file.size == 10240
    assert backend_server.files_by_checksum[data_file.checksum]["file_name_original"] == "big.bin"


def test_verify_checksums(backend_server: Any, client: BackendClient) -> None:
    known = next(iter(backend_server.files_by_checksum))
    answer = client.data_files_verify_checksums([known, "0" * 40])
    assert answer == {"checksums": [known]}


def test_data_units(backend_server: Any, client: BackendClient) -> None:
    unit = client.get_data_unit(1001)
    assert isinstance(unit, DataUnit)
    assert unit.meta == {"index": 0}
    checksum = unit.files["image_1"]["checksum"]
    created = client.create_data_units(
        [{"data_collection": 1, "files": {"image_1": {"checksum": checksum, "path": "a.txt"}}, "meta": {"k": 1}}]
    )
    assert isinstance(created[0], DataUnit)
    assert created[0].meta == {"k": 1}
    units, count = client.list_data_units(params={"data_collection": 1}, list_all=True, page_size=4)
    assert count == 6
    assert len(list(units)) == 6
    with pytest.raises(BadRequestError) as info:
        client.create_data_units({"data_collection": 1, "files": {"image_1": {"checksum": "nope", "path": "x"}}})
    assert info.value.body == {"files": {"image_1": ["Unknown checksum."]}}


# -- url conversion ----------------------------------------------------------------------------------------------------


def test_list_data_units_url_conversion_downloads_per_page(
    backend_server: Any, client: BackendClient, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    units, _ = client.list_data_units(
        url_conversion={"path_download": downloads, "coerce": str, "max_workers": 2},
        list_all=True,
        page_size=2,
    )
    first = next(units)
    assert len(backend_server.protocol.requests_for("GET", r"/files/.*")) == 2  # only the first page's files
    path = Path(first["files"]["image_1"]["path"])
    assert path.read_bytes() == b"seed file 0\n"
    assert "url" not in first["files"]["image_1"]
    rest = list(units)
    assert len(rest) == 4
    assert len(backend_server.protocol.requests_for("GET", r"/files/.*")) == 5


def test_first_page_url_conversion_of_tasks_and_assignments(client: BackendClient, tmp_path: Path) -> None:
    page = client.list_tasks(url_conversion={"path_download": tmp_path, "coerce": Path}, page_size=1)
    assert page["results"][0]["files"]["image_1"]["path"].read_bytes() == b"seed file 0\n"
    assignments = client.list_assignments(url_conversion={"path_download": tmp_path, "coerce": str}, page_size=1)
    assert Path(assignments["results"][0]["files"]["image_1"]).read_bytes() == b"seed file 0\n"


def test_get_task_url_conversion(client: BackendClient, tmp_path: Path) -> None:
    task = client.get_task(1007, url_conversion={"path_download": tmp_path, "coerce": str})
    assert Path(task.extra["files"]["image_1"]["path"]).read_bytes() == b"seed file 1\n"


def test_bad_url_conversion_options_fail_before_any_request(backend_server: Any, client: BackendClient) -> None:
    with pytest.raises(BadRequestError):
        client.list_tasks(url_conversion={"nonsense": 1})
    assert backend_server.protocol.requests_for("GET", r"/sdk/tasks/") == []


# -- HITL --------------------------------------------------------------------------------------------------------------


def test_assignments(backend_server: Any, client: BackendClient) -> None:
    first = client.list_assignments(params={"project": 1})["results"][0]
    assert client.get_assignment(first["id"])["data"] == {"labels": [0]}
    assignments, count = client.list_assignments(list_all=True, page_size=3)
    assert count == 5
    assert len(list(assignments)) == 5
    assert client.set_tags_assignments({"ids": [first["id"]], "tags": [2]}, params={"project": 1}) == {"updated": 1}
    request = backend_server.protocol.requests_for("POST", r"/assignments/set_tags/")[-1]
    assert request.query == {"project": ["1"]}


# -- integration -------------------------------------------------------------------------------------------------------


def test_health_check_agent_keeps_the_token_out_of_logs(
    backend_server: Any, client: BackendClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="synapse_client"):
        assert client.health_check_agent(AGENT_TOKEN) == {"connected": True}
        with pytest.raises(NotFoundError) as info:
            client.health_check_agent("unknown-agent-token")
    assert backend_server.agents_connected == [AGENT_TOKEN]
    assert "unknown-agent-token" not in str(info.value)
    assert AGENT_TOKEN not in caplog.text
    assert "unknown-agent-token" not in caplog.text
    assert "connect" in caplog.text


def test_plugins(client: BackendClient) -> None:
    plugin = client.get_plugin(1)
    assert isinstance(plugin, Plugin)
    assert plugin.code == "yolo-export"
    assert client.get_plugin("yolo-export").id == 1
    created = client.create_plugin({"code": "seg", "name": "Segmenter", "category": "neural_net"})
    assert created.category == "neural_net"
    updated = client.update_plugin(created.id, {"name": "Segmenter 2"})
    assert updated.name == "Segmenter 2"
    assert client.get_plugin(created.id).name == "Segmenter 2"


def test_run_plugin_creates_a_job(client: BackendClient) -> None:
    result = client.run_plugin("yolo-export", {"agent": 2, "version": "1.0.0", "action": "export", "params": {}})
    job = client.get_job(result["job_id"])
    assert JobStatus(job.status) is JobStatus.PENDING
    assert job["action"] == "export"
    with pytest.raises(BadRequestError) as info:
        client.run_plugin(1, {"agent": 2})
    assert info.value.body == {"action": ["This field is required."]}


def test_plugin_releases(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    assert client.get_plugin_release(1).version == "0.9.0"
    archive = tmp_path / "plugin.zip"
    archive.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    release = client.create_plugin_release({"plugin": 1, "version": "1.0.0", "file": archive})
    assert isinstance(release, PluginRelease)
    assert release.version == "1.0.0"
    assert release["plugin"] == "1"  # form fields arrive as text
    assert release["file_name"] == "plugin.zip"
    assert release["file_size"] == 104
    with pytest.raises(BadRequestError):
        client.create_plugin_release({"plugin": 1})


def test_jobs(client: BackendClient) -> None:
    job = client.get_job(1)
    assert isinstance(job, Job)
    assert not job.is_terminal
    updated = client.update_job(1, {"status": "succeeded", "result": {"n": 3}})
    assert updated.is_terminal
    assert client.get_job(1).result == {"n": 3}
    jobs, count = client.list_jobs(list_all=True)
    assert count == 2
    assert {j.id for j in jobs} == {1, 2}
    assert client.list_jobs(params={"status": "succeeded"})["count"] == 2
    with pytest.raises(BadRequestError) as info:
        client.update_job(1, {"status": "exploded"})
    assert "status" in info.value.body


def test_job_console_logs_and_tail(client: BackendClient) -> None:
    assert client.list_job_console_logs(1) == {"results": [f"line {i}" for i in range(5)]}
    assert list(client.tail_job_console_logs(1)) == [f"line {i}" for i in range(5)]


def test_tail_stops_at_the_stream_limits(client: BackendClient) -> None:
    with pytest.raises(RateLimitError):
        list(client.tail_job_console_logs(1, limits=StreamLimits(max_lines=2)))


def test_tail_refuses_an_endless_line_while_reading_it(backend_server: Any, client: BackendClient) -> None:
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        yield b"first\r\n"
        for _ in range(10_000):  # 5 MiB without a newline, far past the 64 KiB bound below
            sent.append(1)
            yield b"z" * 512

    backend_server.protocol.route("GET", r"/jobs/7/tail_console_logs/", lambda req: Stream(endless()))
    lines: list[str] = []
    with pytest.raises(RateLimitError, match="longer than"):
        lines.extend(client.tail_job_console_logs(7, limits=StreamLimits(max_message_size=64 * 1024)))
    assert lines == ["first"]
    assert len(sent) < 10_000  # refused while the line was still arriving


def test_tail_broken_stream_is_service_unavailable(backend_server: Any, client: BackendClient) -> None:
    backend_server.protocol.inject("GET", r"/jobs/1/tail_console_logs/", Fault.close_mid_body(after=8))
    lines: list[str] = []
    with pytest.raises(ServiceUnavailableError):
        lines.extend(client.tail_job_console_logs(1))
    assert lines == ["line 0"]  # the complete line before the cut; the cut-off "l" is not handed out
    assert len(backend_server.protocol.requests_for("GET", r"/jobs/1/tail_console_logs/")) == 1


def test_create_logs_sends_files_inline(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    export = tmp_path / "out.json"
    export.write_text('{"a": 1}')
    events = [
        {"event": "message", "data": {"content": "hi"}, "datetime": "2026-01-01T00:00:00Z", "job": 1},
        {"event": "export", "data": {}, "datetime": "2026-01-01T00:00:01Z", "job": 1, "file": str(export)},
    ]
    assert client.create_logs(events) == {"created": 2}
    assert backend_server.logs[0]["data"] == {"content": "hi"}
    assert backend_server.logs[1]["file"].startswith("data:application/json;base64,")
    assert events[1]["file"] == str(export)  # the caller's list is not changed


def test_create_logs_with_an_idempotency_key_is_retried_and_stored_once(backend_server: Any, client: BackendClient):
    backend_server.fail_every = 1  # the first POST is stored, then answered 503: the answer is lost, not the work
    backend_server.fail_pattern = r"/logs/"
    events = [{"event": "message", "data": {"content": "once"}, "datetime": "x", "job": 1, "event_id": "e-1"}]
    with pytest.raises(ServiceUnavailableError):
        client.create_logs(events)  # no key: a POST is sent once
    backend_server.fail_every = 0
    backend_server.protocol.inject("POST", "/logs/", Fault.status(503))
    assert client.create_logs(events, idempotency_key="batch-1") == {"created": 0}  # already stored: dropped
    posts = backend_server.protocol.requests_for("POST", "/logs/")
    assert [r.header("Idempotency-Key") for r in posts] == [None, "batch-1", "batch-1"]
    assert [e["event_id"] for e in backend_server.logs] == ["e-1"]
    assert len(backend_server.logs_received) == 2


def test_serve_applications(client: BackendClient) -> None:
    created = client.create_serve_application({"name": "seg", "agent": 2, "job": 1})
    assert isinstance(created, Record)
    assert created["name"] == "seg"
    apps, count = client.list_serve_applications(list_all=True)
    assert count == 2
    assert sorted(a["name"] for a in apps) == ["seg", "yolo"]
    assert client.list_serve_applications(params={"agent": 2})["count"] == 2


def test_get_storage_hides_credentials_in_repr(backend_server: Any, client: BackendClient) -> None:
    storage = client.get_storage(1)
    assert isinstance(storage, Storage)
    assert storage.configuration["secret_access_key"] == STORAGE_SECRET
    assert STORAGE_SECRET not in repr(storage)
    assert backend_server.protocol.requests_for("GET", r"/storages/1/")[-1].query == {"with_configuration": ["True"]}


# -- ML ----------------------------------------------------------------------------------------------------------------


def test_models(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    model_file = tmp_path / "weights.bin"
    model_file.write_bytes(b"w" * 5000)
    created = client.create_model({"name": "seg-v1", "plugin": 1, "file": model_file})
    assert isinstance(created, Model)
    assert created.name == "seg-v1"
    assert "chunked_upload" in backend_server.protocol.requests_for("POST", r"/models/")[-1].json()
    fetched = client.get_model(created.id, url_conversion={"files_fields": ["file"], "path_download": tmp_path / "m"})
    assert Path(fetched.file).read_bytes() == b"w" * 5000
    models, count = client.list_models(list_all=True)
    assert count == 2
    assert {m.name for m in models} == {"yolo-v8", "seg-v1"}
    assert client.list_models(params={"plugin": 1})["count"] == 2


def test_ground_truth(client: BackendClient, tmp_path: Path) -> None:
    assert client.get_ground_truth_version(2)["name"] == "v2"
    events, count = client.list_ground_truth_events(
        params={"ground_truth_dataset_versions": 2},
        url_conversion={"path_download": tmp_path, "coerce": str},
        list_all=True,
        page_size=2,
    )
    assert count == 5
    contents = sorted(Path(e["files"]["image_1"]["path"]).read_bytes() for e in events)
    assert contents == sorted(f"seed file {i}\n".encode() for i in range(5))
    assert client.list_ground_truth_events()["count"] == 5
