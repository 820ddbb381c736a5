from __future__ import annotations

import pickle

import pytest

from synapse_client import (
    AuthenticationError,
    BadRequestError,
    ClientError,
    ClientTimeoutError,
    ConflictError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    error_for_status,
)


def test_client_error_keeps_status_and_reason() -> None:
    with pytest.raises(ClientError) as info:
        raise ClientError(404, "Job not found")
    assert info.value.status == 404
    assert info.value.reason == "Job not found"
    assert str(info.value) == "404: Job not found"


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
        (502, ServerError),
        (504, ServerError),
        (503, ServiceUnavailableError),
        (418, ClientError),
        (302, ClientError),
    ],
)
def test_error_for_status_picks_the_family(status: int, cls: type[ClientError]) -> None:
    error = error_for_status(status, "reason", body={"detail": "x"}, method="GET", url="http://h/x")
    assert type(error) is cls
    assert (error.status, error.reason, error.body, error.method, error.url) == (
        status,
        "reason",
        {"detail": "x"},
        "GET",
        "http://h/x",
    )


def test_families_share_the_base_class() -> None:
    assert issubclass(ServiceUnavailableError, ServerError)
    assert issubclass(InvalidResponseError, ServerError)
    assert issubclass(BadRequestError, ValueError)  # bad input caught before sending reads like a ValueError too
    assert all(issubclass(cls, ClientError) for cls in (NotFoundError, RateLimitError, ConflictError))


def test_retry_after_is_kept_only_on_rate_limit_errors() -> None:
    assert error_for_status(429, "slow down", retry_after=2.5).retry_after == 2.5  # type: ignore[attr-defined]
    assert not hasattr(error_for_status(503, "down", retry_after=2.5), "retry_after")


def test_url_and_reason_and_body_are_redacted() -> None:
    error = ClientError(
        401,
        "rejected Token 0123456789abcdef0123",
        body={"token": "abcd", "detail": "password=hunter2"},
        method="POST",
        url="https://bob:pw@api.example.com/x?access_token=zzz&page=2",
    )
    assert error.url == "https://***@api.example.com/x?access_token=***&page=***"
    assert error.reason == "rejected Token ***"
    assert error.body == {"token": "***", "detail": "password=***"}
    text = str(error) + repr(error)
    for secret in ("0123456789abcdef0123", "hunter2", "zzz", "bob:pw"):
        assert secret not in text


def test_str_names_the_request() -> None:
    error = NotFoundError(404, "Job not found", method="GET", url="http://127.0.0.1:8265/api/jobs/x")
    assert str(error) == "404: Job not found (GET http://127.0.0.1:8265/api/jobs/x)"
    assert repr(error) == (
        "NotFoundError(status=404, reason='Job not found', method='GET', url='http://127.0.0.1:8265/api/jobs/x')"
    )


def test_long_reason_is_truncated() -> None:
    error = ClientError(500, "x" * 100_000)
    assert len(error.reason) <= 1000


@pytest.mark.parametrize("cls", [ClientError, RateLimitError, ServiceUnavailableError, BadRequestError])
def test_errors_survive_pickling(cls: type[ClientError]) -> None:
    error = cls(429, "slow", body={"a": 1}, method="GET", url="http://h/x?token=abc")
    if isinstance(error, RateLimitError):
        error.retry_after = 4.0
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert (copy.status, copy.reason, copy.body, copy.method, copy.url) == (
        429,
        "slow",
        {"a": 1},
        "GET",
        "http://h/x?token=***",
    )
    assert getattr(copy, "retry_after", None) == getattr(error, "retry_after", None)
    assert str(copy) == str(error)
