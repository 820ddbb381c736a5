"""BaseClient against a real HTTP server on 127.0.0.1 with injected faults (no mocks)."""

from __future__ import annotations

import io
import logging
import pickle
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_client import (
    DEFAULT_TIMEOUT,
    AuthenticationError,
    BadRequestError,
    BaseClient,
    ClientError,
    ClientTimeoutError,
    ConflictError,
    HttpEvent,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
)
from synapse_client.testing import Fault, ProtocolServer, RecordedRequest, Reply, Stream, json_reply
from synapse_fileutils.http import MAX_REDIRECTS, USER_AGENT
from synapse_fileutils.http.retry import backoff_delay, parse_retry_after

TOKEN = "tok_9f8e7d6c5b4a3210fedcba"


class TokenClient(BaseClient):
    def __init__(self, base_url: str, token: str = TOKEN, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self._token = token

    def _get_headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self._token}", "SYNAPSE-Tenant": "Token acme-tenant-01"}


def make_client(server: ProtocolServer, **kwargs: Any) -> TokenClient:
    kwargs.setdefault("backoff", 0.01)  # keep retry waits short; the policy itself is tested through events
    return TokenClient(server.url, **kwargs)


def events_of(kind: str, events: list[HttpEvent]) -> list[HttpEvent]:
    return [event for event in events if event.kind == kind]


# -- success paths ------------------------------------------------------------------------------------------------


def test_get_returns_json_and_sends_auth_and_params(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/api/jobs/(?P<job_id>\w+)/", lambda req: {"id": req.params["job_id"]})
    with make_client(protocol_server) as client:
        assert client._get("api/jobs/abc/", params={"expand": "logs"}) == {"id": "abc"}
    (request,) = protocol_server.requests
    assert request.header("Authorization") == f"Token {TOKEN}"
    assert request.query == {"expand": ["logs"]}
    assert request.header("Accept") == "application/json"
    assert request.header("User-Agent") == USER_AGENT  # the SDK's one, defined in synapse_fileutils.http


def test_json_post_put_patch_delete_bodies(protocol_server: ProtocolServer) -> None:
    protocol_server.route("*", r"/items/", lambda req: {"method": req.method, "got": req.json()})
    protocol_server.route("DELETE", r"/items/", lambda req: Reply(204))
    with make_client(protocol_server) as client:
        assert client._post("items/", json={"a": 1}) == {"method": "POST", "got": {"a": 1}}
        assert client._put("items/", json=[1, 2]) == {"method": "PUT", "got": [1, 2]}
        assert client._patch("items/", json={"b": None}) == {"method": "PATCH", "got": {"b": None}}
        assert client._delete("items/") is None
    assert [r.method for r in protocol_server.requests] == ["POST", "PUT", "PATCH", "DELETE"]


def test_multipart_upload_sends_file_and_fields(protocol_server: ProtocolServer) -> None:
    protocol_server.route("POST", r"/upload/", lambda req: {"size": len(req.body)})
    payload = b"\x00\x01binary-content\xff" * 100
    with make_client(protocol_server) as client:
        result = client._post("upload/", data={"name": "a.bin"}, files={"file": ("a.bin", io.BytesIO(payload))})
    (request,) = protocol_server.requests
    assert request.header("Content-Type", "").startswith("multipart/form-data; boundary=")
    assert payload in request.body
    assert b'name="name"' in request.body
    assert result == {"size": len(request.body)}


def test_text_body_is_returned_as_text(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/logs", lambda req: Reply(200, "line 1\nline 2\n", {"Content-Type": "text/plain"}))
    with make_client(protocol_server) as client:
        assert client._get("logs") == "line 1\nline 2\n"


def test_stream_true_returns_open_response_with_chunks(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/tail", lambda req: Stream([f"line {i}\n" for i in range(5)]))
    with make_client(protocol_server) as client, client._request("GET", "tail", stream=True) as response:
        lines = list(response.iter_lines(decode_unicode=True))
    assert lines == [f"line {i}" for i in range(5)]


def test_connections_are_pooled_across_calls(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/ping", json={"ok": True})
    with make_client(protocol_server) as client:
        for _ in range(5):
            client._get("ping")
    # HTTP/1.1 keep-alive through the pooled session: five requests, one TCP connection
    assert len(protocol_server.requests) == 5
    assert len({r.client_port for r in protocol_server.requests}) == 1


# -- timeouts -----------------------------------------------------------------------------------------------------


def test_read_timeout_maps_to_408_and_is_not_retried(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/slow", json={"ok": True})
    protocol_server.inject("GET", r"/slow", Fault.delay(2.0))
    with make_client(protocol_server, timeout=(2, 0.2)) as client, pytest.raises(ClientTimeoutError) as info:
        client._get("slow")
    assert info.value.status == 408
    assert info.value.method == "GET"
    assert info.value.url == protocol_server.url_for("slow")
    assert len(protocol_server.requests) == 1


def test_per_call_timeout_overrides_client_timeout(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/slow", json={"ok": True})
    protocol_server.inject("GET", r"/slow", Fault.delay(0.5))
    with make_client(protocol_server, timeout=(2, 0.1)) as client:
        assert client._get("slow", timeout=(2, 5)) == {"ok": True}


def test_timeouts_are_validated_before_any_request(protocol_server: ProtocolServer) -> None:
    with pytest.raises(BadRequestError):
        BaseClient(protocol_server.url, timeout=0)
    with pytest.raises(BadRequestError):
        BaseClient(protocol_server.url, timeout=(1, float("inf")))
    with make_client(protocol_server) as client, pytest.raises(BadRequestError):
        client._get("x", timeout=-1)
    assert protocol_server.requests == []
    assert BaseClient(protocol_server.url, timeout=None).timeout == DEFAULT_TIMEOUT


# -- retries ------------------------------------------------------------------------------------------------------


def test_5xx_then_success_is_retried(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/jobs/", json=[{"id": 1}])
    protocol_server.inject("GET", r"/jobs/", Fault.status(503), Fault.status(502), Fault.status(504))
    events: list[HttpEvent] = []
    with make_client(protocol_server, retries=3, event_hook=events.append) as client:
        assert client._get("jobs/") == [{"id": 1}]
    assert len(protocol_server.requests) == 4
    assert [e.status for e in events_of("response", events)] == [503, 502, 504, 200]
    assert len(events_of("retry", events)) == 3


def test_retries_are_bounded_and_last_error_raised(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/jobs/", json=[])
    protocol_server.inject("GET", r"/jobs/", Fault.status(503, {"detail": "cluster down"}, times=None))
    with make_client(protocol_server, retries=2) as client, pytest.raises(ServiceUnavailableError) as info:
        client._get("jobs/")
    assert info.value.reason == "cluster down"
    assert len(protocol_server.requests) == 3


def test_500_is_not_retried(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/boom", json={})
    protocol_server.inject("GET", r"/boom", Fault.status(500, {"detail": "bug"}))
    with make_client(protocol_server) as client, pytest.raises(ServerError) as info:
        client._get("boom")
    assert info.value.status == 500
    assert len(protocol_server.requests) == 1


def test_429_retry_after_seconds_is_honoured(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/jobs/", json={"ok": True})
    protocol_server.inject("GET", r"/jobs/", Fault.rate_limit(retry_after="1"))
    events: list[HttpEvent] = []
    with make_client(protocol_server, backoff=5.0, event_hook=events.append) as client:
        assert client._get("jobs/") == {"ok": True}
    assert len(protocol_server.requests) == 2
    (retry,) = events_of("retry", events)
    assert retry.delay == 1.0  # the server's value, not the 5 s backoff
    assert retry.detail == "HTTP 429"


def test_429_retry_after_http_date_is_parsed(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/jobs/", json={"ok": True})
    protocol_server.inject("GET", r"/jobs/", Fault.rate_limit(retry_after="Thu, 01 Jan 1970 00:00:00 GMT"))
    events: list[HttpEvent] = []
    with make_client(protocol_server, backoff=5.0, event_hook=events.append) as client:
        assert client._get("jobs/") == {"ok": True}
    (retry,) = events_of("retry", events)
    assert retry.delay == 0.0  # a date in the past means "now"


def test_retry_after_above_cap_is_raised_to_the_caller(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/jobs/", json={"ok": True})
    protocol_server.inject("GET", r"/jobs/", Fault.rate_limit(retry_after="3600"))
    with make_client(protocol_server, max_retry_after=30) as client, pytest.raises(RateLimitError) as info:
        client._get("jobs/")
    assert info.value.status == 429
    assert info.value.retry_after == 3600.0
    assert len(protocol_server.requests) == 1


def test_post_is_not_retried_by_default(protocol_server: ProtocolServer) -> None:
    protocol_server.route("POST", r"/jobs/", json={"id": 1})
    protocol_server.inject("POST", r"/jobs/", Fault.status(503))
    with make_client(protocol_server) as client, pytest.raises(ServiceUnavailableError):
        client._post("jobs/", json={"entrypoint": "echo"})
    assert len(protocol_server.requests) == 1


def test_post_is_retried_when_marked_safe(protocol_server: ProtocolServer) -> None:
    protocol_server.route("POST", r"/jobs/", lambda req: {"got": req.json()})
    protocol_server.inject("POST", r"/jobs/", Fault.status(503))
    with make_client(protocol_server) as client:
        assert client._post("jobs/", json={"a": 1}, retry=True) == {"got": {"a": 1}}
    assert [r.json() for r in protocol_server.requests] == [{"a": 1}, {"a": 1}]


def test_get_with_retry_false_is_sent_once(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/jobs/", json={})
    protocol_server.inject("GET", r"/jobs/", Fault.status(503))
    with make_client(protocol_server) as client, pytest.raises(ServiceUnavailableError):
        client._get("jobs/", retry=False)
    assert len(protocol_server.requests) == 1


def test_put_with_file_is_rewound_before_retry(protocol_server: ProtocolServer) -> None:
    protocol_server.route("PUT", r"/files/1/", lambda req: {"size": len(req.body)})
    protocol_server.inject("PUT", r"/files/1/", Fault.status(502))
    payload = b"0123456789" * 1000
    with make_client(protocol_server) as client:
        client._put("files/1/", files={"file": ("a.bin", io.BytesIO(payload))})
    first, second = protocol_server.requests
    assert payload in first.body
    assert payload in second.body


def test_generator_body_is_not_retried(protocol_server: ProtocolServer) -> None:
    protocol_server.route("PUT", r"/raw", json={})
    protocol_server.inject("PUT", r"/raw", Fault.status(503))
    with make_client(protocol_server) as client, pytest.raises(ServiceUnavailableError):
        client._put("raw", data=(chunk for chunk in [b"a", b"b"]))
    (request,) = protocol_server.requests
    assert request.body == b"ab"


# -- transport failures -------------------------------------------------------------------------------------------


def test_connection_reset_maps_to_503_after_retries(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/jobs/", json={})
    protocol_server.inject("GET", r"/jobs/", Fault.reset(times=None))
    events: list[HttpEvent] = []
    client = make_client(protocol_server, retries=2, event_hook=events.append)
    with client, pytest.raises(ServiceUnavailableError) as info:
        client._get("jobs/")
    assert info.value.status == 503
    assert len(protocol_server.requests) == 3
    assert len(events_of("error", events)) == 3


def test_connection_reset_once_then_success(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/jobs/", json={"ok": True})
    protocol_server.inject("GET", r"/jobs/", Fault.reset())
    with make_client(protocol_server) as client:
        assert client._get("jobs/") == {"ok": True}
    assert len(protocol_server.requests) == 2


def test_connection_closed_mid_body_maps_to_503(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/big", json={"items": list(range(1000))})
    protocol_server.inject("GET", r"/big", Fault.close_mid_body(after=20, times=None))
    with make_client(protocol_server, retries=1) as client, pytest.raises(ServiceUnavailableError) as info:
        client._get("big")
    assert "Connection lost" in info.value.reason
    assert len(protocol_server.requests) == 2


def test_connection_refused_maps_to_503() -> None:
    with socket.socket() as sock:  # a port nobody listens on: bind, read the number, close
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    events: list[HttpEvent] = []
    client = BaseClient(f"http://127.0.0.1:{port}", retries=2, backoff=0.01, event_hook=events.append)
    with client, pytest.raises(ServiceUnavailableError) as info:
        client._get("health")
    assert info.value.status == 503
    assert len(events_of("error", events)) == 3


def test_truncated_json_in_200_is_invalid_response(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/jobs/", json={"results": [{"id": i} for i in range(20)]})
    protocol_server.inject("GET", r"/jobs/", Fault.truncated_json(keep=0.5))
    with make_client(protocol_server) as client, pytest.raises(InvalidResponseError) as info:
        client._get("jobs/")
    assert info.value.status == 502
    assert info.value.body.startswith('{"results": [{"id": 0}')
    assert len(protocol_server.requests) == 1


@pytest.mark.parametrize("status", [200, 400])
def test_json_nested_too_deeply_is_a_typed_error(protocol_server: ProtocolServer, status: int) -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    protocol_server.route("GET", r"/deep/", lambda req: Reply(status, deep, {"Content-Type": "application/json"}))
    with make_client(protocol_server) as client, pytest.raises(ClientError) as info:
        client._get("deep/")
    assert info.value.status == (502 if status == 200 else 400)
    if status == 200:
        assert "nested too deeply" in str(info.value.reason)


# -- error mapping ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (408, ClientTimeoutError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServiceUnavailableError),
        (418, ClientError),
    ],
)
def test_error_status_maps_to_typed_error_with_body(
    protocol_server: ProtocolServer, status: int, cls: type[ClientError]
) -> None:
    body = {"detail": f"failure {status}", "field": ["must be set"]}
    protocol_server.route("GET", r"/thing/", lambda req: json_reply(body, status))
    with make_client(protocol_server, retries=0) as client, pytest.raises(ClientError) as info:
        client._get("thing/")
    assert type(info.value) is cls
    assert info.value.status == status
    assert info.value.reason == f"failure {status}"
    assert info.value.body == body
    assert info.value.method == "GET"
    assert info.value.url == protocol_server.url_for("thing/")


def test_text_error_body_becomes_reason(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/api/jobs/x", lambda req: Reply(404, "Job x does not exist"))
    with make_client(protocol_server) as client, pytest.raises(NotFoundError) as info:
        client._get("api/jobs/x")
    assert info.value.reason == "Job x does not exist"
    assert info.value.body == "Job x does not exist"


def test_huge_error_body_is_truncated(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/huge", lambda req: Reply(400, "E" * 500_000))
    with make_client(protocol_server) as client, pytest.raises(BadRequestError) as info:
        client._get("huge")
    assert len(info.value.body) <= 4000
    assert len(str(info.value)) < 2000


# -- secrets ------------------------------------------------------------------------------------------------------


def test_tokens_never_reach_errors_reprs_or_logs(
    protocol_server: ProtocolServer, caplog: pytest.LogCaptureFixture
) -> None:
    def echo(req: RecordedRequest) -> Reply:  # a careless server that echoes the credentials back
        return json_reply({"detail": f"bad credentials {req.header('Authorization')}", "seen": dict(req.headers)}, 403)

    protocol_server.route("GET", r"/secret", echo)
    caplog.set_level(logging.DEBUG, logger="synapse_client")
    with make_client(protocol_server) as client, pytest.raises(PermissionDeniedError) as info:
        client._get("secret", params={"access_token": "qs-secret-123456", "page": "2"})
    error = info.value
    texts = [str(error), repr(error), repr(error.body), str(error.reason), repr(client), caplog.text]
    for text in texts:
        assert TOKEN not in text
        assert "qs-secret-123456" not in text
        assert "acme-tenant-01" not in text
    assert error.url.endswith("/secret?access_token=***&page=***")  # every query value hidden, keys kept
    assert any("-> GET" in record.getMessage() for record in caplog.records)
    assert any("<- 403 GET" in record.getMessage() for record in caplog.records)
    # the server did receive the real credentials
    assert protocol_server.requests[0].header("Authorization") == f"Token {TOKEN}"


def test_credentials_in_base_url_are_redacted(protocol_server: ProtocolServer) -> None:
    url = protocol_server.url.replace("http://", "http://user:hunter2pass@")
    client = BaseClient(url, retries=0)
    assert "hunter2pass" not in repr(client)


def test_redirect_to_other_origin_drops_auth_headers(protocol_server: ProtocolServer) -> None:
    with ProtocolServer() as other:
        other.route("GET", r"/landing", json={"landed": True})
        protocol_server.route("GET", r"/go", lambda req: Reply(302, "", {"Location": other.url_for("landing")}))
        protocol_server.route("GET", r"/here", lambda req: Reply(301, "", {"Location": "/final"}))
        protocol_server.route("GET", r"/final", json={"final": True})
        with make_client(protocol_server) as client:
            assert client._get("go") == {"landed": True}
            assert client._get("here") == {"final": True}
        (landed,) = other.requests
    assert landed.header("Authorization") is None
    assert landed.header("SYNAPSE-Tenant") is None
    final = protocol_server.requests_for("GET", r"/final")[0]
    assert final.header("Authorization") == f"Token {TOKEN}"


def test_redirect_to_other_origin_drops_every_caller_given_header(protocol_server: ProtocolServer) -> None:
    with ProtocolServer() as other:
        other.route("GET", r"/landing", json={"landed": True})
        protocol_server.route("GET", r"/go", lambda req: Reply(302, "", {"Location": other.url_for("landing")}))
        with make_client(protocol_server) as client:
            assert client._get("go", headers={"X-Api-Key": "key-123456", "SYNAPSE-Access-Token": "t-123456"}) == {
                "landed": True
            }
        (landed,) = other.requests
    first = protocol_server.requests_for("GET", r"/go")[0]
    assert first.header("X-Api-Key") == "key-123456"  # the caller's own origin gets them
    assert landed.header("X-Api-Key") is None
    assert landed.header("SYNAPSE-Access-Token") is None
    assert landed.header("Authorization") is None


def test_redirect_that_parsers_read_differently_is_refused(protocol_server: ProtocolServer) -> None:
    with ProtocolServer() as other:
        other.route("GET", r"/x", json={"stolen": True})
        ambiguous = f"http://127.0.0.1:{other.port}\\@127.0.0.1:{protocol_server.port}/x"
        protocol_server.route("GET", r"/go", lambda req: Reply(302, "", {"Location": ambiguous}))
        with make_client(protocol_server) as client:
            with pytest.raises(BadRequestError, match="ambiguous"):
                client._get("go")
            with pytest.raises(BadRequestError, match="ambiguous"):
                client._get(ambiguous)  # asked for directly, too
        assert other.requests == []


def test_transport_debug_lines_carry_no_signature_or_path_token(
    protocol_server: ProtocolServer, caplog: pytest.LogCaptureFixture
) -> None:
    protocol_server.route("GET", r"/agents/.*", json={})
    caplog.set_level(logging.DEBUG, logger="urllib3")
    with make_client(protocol_server) as client:
        client._get(f"agents/{TOKEN}/connect/", params={"X-Amz-Signature": "sig-abcdef123456"})
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("urllib3")]
    assert any('"GET /agents/' in line for line in lines)  # urllib3 did log the request line
    assert all(TOKEN not in line and "sig-abcdef123456" not in line for line in lines)


def test_absolute_url_to_other_origin_gets_no_auth(protocol_server: ProtocolServer) -> None:
    with ProtocolServer() as other:
        other.route("PUT", r"/bucket/key", json={})
        with make_client(protocol_server) as client:
            client._put(other.url_for("bucket/key") + "?X-Amz-Signature=abc", data=b"x")
        (request,) = other.requests
    assert request.header("Authorization") is None


# -- lifecycle ----------------------------------------------------------------------------------------------------


def test_repr_and_pickle_keep_no_session(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/ping", json={"ok": True})
    client = make_client(protocol_server, timeout=(1, 2))
    client._get("ping")
    copy = pickle.loads(pickle.dumps(client))
    assert repr(copy) == f"TokenClient(base_url='{protocol_server.url}', timeout=(1.0, 2.0))"
    assert copy._get("ping") == {"ok": True}
    client.close()
    copy.close()


def test_external_session_is_not_closed(protocol_server: ProtocolServer) -> None:
    import requests

    protocol_server.route("GET", r"/ping", json={"ok": True})
    with requests.Session() as session:
        client = BaseClient(protocol_server.url, session=session)
        client.close()
        assert client._get("ping") == {"ok": True}  # after close, a new own session is opened


@pytest.mark.parametrize("base_url", ["ftp://example.com", "example.com", "http://", ""])
def test_bad_base_url_is_rejected(base_url: str) -> None:
    with pytest.raises(BadRequestError):
        BaseClient(base_url)


def test_non_http_absolute_path_is_rejected(protocol_server: ProtocolServer) -> None:
    with make_client(protocol_server) as client, pytest.raises(BadRequestError):
        client._get("file:///etc/passwd")
    assert protocol_server.requests == []


def test_chunked_body_cut_mid_stream_maps_to_503(protocol_server: ProtocolServer) -> None:
    chunks = ['{"results": [', *[f'{{"id": {i}}}, ' for i in range(50)], '{"id": 50}]}']
    protocol_server.route("GET", r"/chunked", lambda req: Stream(chunks, content_type="application/json"))
    protocol_server.inject("GET", r"/chunked", Fault.close_mid_body(after=40))
    with make_client(protocol_server) as client:
        assert len(client._get("chunked")["results"]) == 51  # the retry reads the whole body
    assert len(protocol_server.requests) == 2


def test_head_and_empty_bodies_return_none(protocol_server: ProtocolServer) -> None:
    protocol_server.route("HEAD", r"/exists", lambda req: Reply(200, "", {"Content-Type": "application/json"}))
    protocol_server.route("PUT", r"/empty", lambda req: Reply(200, "  \n"))
    with make_client(protocol_server) as client:
        assert client._request("HEAD", "exists").status_code == 200
        assert client._put("empty") is None


def test_post_redirected_with_303_becomes_get(protocol_server: ProtocolServer) -> None:
    protocol_server.route("POST", r"/jobs/", lambda req: Reply(303, "", {"Location": "/jobs/7/"}))
    protocol_server.route("GET", r"/jobs/7/", json={"id": 7})
    with make_client(protocol_server) as client:
        assert client._post("jobs/", json={"a": 1}) == {"id": 7}
    assert [(r.method, r.path) for r in protocol_server.requests] == [("POST", "/jobs/"), ("GET", "/jobs/7/")]


def test_redirect_loop_and_non_http_redirect_are_refused(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/loop", lambda req: Reply(302, "", {"Location": "/loop"}))
    protocol_server.route("GET", r"/ftp", lambda req: Reply(302, "", {"Location": "ftp://127.0.0.1/x"}))
    with make_client(protocol_server) as client:
        with pytest.raises(InvalidResponseError, match="redirects"):
            client._get("loop")
        assert len(protocol_server.requests) == 1 + MAX_REDIRECTS  # the first request and every redirect allowed
        with pytest.raises(BadRequestError, match="non-HTTP"):
            client._get("ftp")


def test_error_status_on_a_streamed_request_keeps_the_body(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/tail", lambda req: json_reply({"detail": "Job not found"}, 404))
    with make_client(protocol_server) as client, pytest.raises(NotFoundError) as info:
        client._request("GET", "tail", stream=True)
    assert info.value.body == {"detail": "Job not found"}


def test_invalid_header_value_is_400_before_sending(protocol_server: ProtocolServer) -> None:
    with make_client(protocol_server) as client, pytest.raises(BadRequestError):
        client._get("x", headers={"X-Bad": "a\r\nInjected: 1"})
    assert protocol_server.requests == []


def test_connect_timeout_maps_to_408_and_is_retried() -> None:
    # A listening socket that never accepts, with its backlog filled: the kernel drops further SYNs, so connecting
    # times out (a real connect timeout, on loopback).
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        events: list[HttpEvent] = []
        client = BaseClient(
            f"http://127.0.0.1:{port}", timeout=(0.2, 1), retries=1, backoff=0.01, event_hook=events.append
        )
        with client, pytest.raises(ClientTimeoutError) as info:
            client._get("health")
        assert info.value.status == 408
        assert "connecting" in info.value.reason
        assert len(events_of("error", events)) == 2  # connect timeouts are retried: nothing reached the server
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# -- retry policy helpers -----------------------------------------------------------------------------------------


@given(attempt=st.integers(1, 50), backoff=st.floats(0, 60), cap=st.floats(0.1, 120))
def test_backoff_delay_stays_within_half_and_full_capped_base(attempt: int, backoff: float, cap: float) -> None:
    base = min(cap, backoff * 2.0 ** (attempt - 1))
    delay = backoff_delay(attempt, backoff, cap)
    assert base / 2 <= delay <= base


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # in the past: no wait
        ("-3", None),
        ("nan", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)
    assert parse_retry_after(value, now=now) == expected


def test_one_client_serves_many_threads(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/items/(?P<pk>\d+)/", lambda req: {"pk": int(req.params["pk"])})
    with make_client(protocol_server, pool_maxsize=4) as client, ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda pk: client._get(f"items/{pk}/")["pk"], range(40)))
    assert results == list(range(40))
    assert len(protocol_server.requests) == 40


def test_event_hook_sees_redacted_request_headers(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/ping", json={"ok": True})
    events: list[HttpEvent] = []
    with make_client(protocol_server, event_hook=events.append) as client:
        client._get("ping", headers={"X-Api-Key": "key-1234567890"})
    (request_event,) = events_of("request", events)
    assert request_event.headers["Authorization"] == "***"
    assert request_event.headers["X-Api-Key"] == "***"
    assert request_event.headers["Accept"] == "application/json"
    (response_event,) = events_of("response", events)
    assert response_event.status == 200
    assert response_event.attempt == 1


def test_protocol_server_decorator_routes_override_and_unknown_paths(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/v", json={"version": 1})

    @protocol_server.route("GET", r"/v")
    def newer(request: RecordedRequest) -> dict[str, int]:
        return {"version": 2}

    with make_client(protocol_server) as client:
        assert client._get("v") == {"version": 2}  # the later route wins
        with pytest.raises(NotFoundError) as info:
            client._get("nowhere")
    assert info.value.body == {"detail": "Not found."}
    assert [r.path for r in protocol_server.requests_for("GET", r"/.*")] == ["/v", "/nowhere"]
