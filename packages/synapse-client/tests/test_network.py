from __future__ import annotations

import math
import string
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from synapse_client import (
    BadRequestError,
    RateLimitError,
    StreamLimits,
    http_to_websocket_url,
    sanitize_error_message,
    validate_resource_id,
    validate_timeout,
)
from synapse_client.network import MAX_RESOURCE_ID_LENGTH

# -- StreamLimits -------------------------------------------------------------------------------------------------


def test_default_limits_match_the_documented_values() -> None:
    limits = StreamLimits()
    assert (limits.max_messages, limits.max_lines, limits.max_bytes, limits.max_message_size) == (
        10_000,
        50_000,
        50 * 1024 * 1024,
        10 * 1024 * 1024,
    )


def test_limits_are_frozen_and_validated() -> None:
    with pytest.raises(AttributeError):
        StreamLimits().max_lines = 1  # type: ignore[misc]
    for bad in (0, -1, 1.5, True, "10"):
        with pytest.raises(ValueError, match="max_messages"):
            StreamLimits(max_messages=bad)  # type: ignore[arg-type]


def test_exactly_max_messages_pass_and_the_next_fails() -> None:
    budget = StreamLimits(max_messages=3).budget()
    for _ in range(3):
        budget.consume("x\n")
    with pytest.raises(RateLimitError) as info:
        budget.consume("x\n")
    assert info.value.status == 429
    assert "3 messages" in info.value.reason
    assert budget.messages == 3  # the refused message is not counted


def test_too_many_lines_fail() -> None:
    budget = StreamLimits(max_lines=5).budget()
    budget.consume("a\nb\nc\n")
    budget.consume("d\ne")  # an unterminated last line counts as a line
    assert budget.lines == 5
    with pytest.raises(RateLimitError, match="5 lines"):
        budget.consume("f\n")


def test_explicit_line_count_is_used() -> None:
    budget = StreamLimits(max_lines=10).budget()
    budget.consume(b"{...json frame...}", lines=7)
    assert budget.lines == 7
    with pytest.raises(RateLimitError):
        budget.consume(b"{...}", lines=4)


def test_too_many_bytes_fail_counting_utf8() -> None:
    budget = StreamLimits(max_bytes=10).budget()
    budget.consume("가나다")  # 9 bytes in UTF-8, 3 characters
    assert budget.bytes == 9
    with pytest.raises(RateLimitError, match="10 bytes"):
        budget.consume("ab")


def test_oversized_single_message_fails() -> None:
    budget = StreamLimits(max_message_size=100).budget()
    budget.consume(b"x" * 100)
    with pytest.raises(RateLimitError, match="larger than 100 bytes"):
        budget.consume(b"x" * 101)


@given(st.lists(st.text(max_size=30), max_size=40))
def test_budget_counts_match_the_messages(messages: list[str]) -> None:
    budget = StreamLimits().budget()
    for message in messages:
        budget.consume(message)
    assert budget.messages == len(messages)
    assert budget.bytes == sum(len(m.encode("utf-8", "surrogatepass")) for m in messages)
    assert budget.lines == sum(m.count("\n") + (1 if m and not m.endswith("\n") else 0) for m in messages)


# -- validate_resource_id -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resource_id",
    ["raysubmit_AbC123", "02000000", "a" * MAX_RESOURCE_ID_LENGTH, "app.v1:blue@2", "_private", 0, 42],
)
def test_valid_ids_are_returned_as_strings(resource_id: str | int) -> None:
    assert validate_resource_id(resource_id, "job") == str(resource_id)


@pytest.mark.parametrize(
    "resource_id",
    ["", "..", ".", "../etc", "a/b", "a b", "a?x=1", "a#f", "%2e%2e", "a\n", "-rf", "a" * (MAX_RESOURCE_ID_LENGTH + 1)],
)
def test_unsafe_ids_are_rejected_with_400(resource_id: str) -> None:
    with pytest.raises(BadRequestError) as info:
        validate_resource_id(resource_id, "job")
    assert info.value.status == 400
    assert "job ID" in info.value.reason


@pytest.mark.parametrize("resource_id", [None, True, 1.5, -1, b"abc", ["a"]])
def test_wrong_types_are_rejected_with_400(resource_id: object) -> None:
    with pytest.raises(BadRequestError):
        validate_resource_id(resource_id, "node")


@given(st.text(max_size=300))
def test_accepted_ids_are_safe_path_segments(resource_id: str) -> None:
    try:
        accepted = validate_resource_id(resource_id)
    except BadRequestError:
        return
    # an accepted id never needs escaping and can never change which endpoint is called
    assert quote(accepted, safe=":@") == accepted
    assert "/" not in accepted
    assert accepted not in (".", "..")
    assert 0 < len(accepted) <= MAX_RESOURCE_ID_LENGTH


@given(st.text(alphabet=string.ascii_letters + string.digits + "_-.:@", min_size=1, max_size=MAX_RESOURCE_ID_LENGTH))
def test_ids_from_the_safe_alphabet_are_accepted_unless_they_start_with_punctuation(resource_id: str) -> None:
    if resource_id[0] in "-.:@":
        with pytest.raises(BadRequestError):
            validate_resource_id(resource_id)
    else:
        assert validate_resource_id(resource_id) == resource_id


# -- validate_timeout ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(1, 1.0), (0.5, 0.5), (300, 300.0)])
def test_valid_timeouts(value: float, expected: float) -> None:
    assert validate_timeout(value) == expected


@pytest.mark.parametrize("value", [0, -1, 301, math.inf, math.nan, "10", None, True])
def test_invalid_timeouts_are_400(value: object) -> None:
    with pytest.raises(BadRequestError) as info:
        validate_timeout(value)
    assert info.value.status == 400


def test_custom_max_timeout() -> None:
    assert validate_timeout(3600, max_timeout=3600) == 3600.0
    with pytest.raises(BadRequestError, match="at most 5 seconds"):
        validate_timeout(6, max_timeout=5)


# -- sanitize_error_message ---------------------------------------------------------------------------------------

SECRET_ALPHABET = string.ascii_letters + string.digits + "-_."
secrets = st.text(alphabet=SECRET_ALPHABET, min_size=8, max_size=40).filter(lambda s: any(c.isalnum() for c in s))
TEMPLATES = [
    "Authorization: Token {s}",
    "Authorization: Bearer {s}",
    "Token {s}",
    "Bearer {s}",
    "token={s}",
    "access_token={s}",
    "password={s}",
    "https://example.com/api?page=2&access_token={s}&x=1",
    "https://user:{s}@example.com/path",
    "https://{s}@example.com/path",
    "https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4&X-Amz-Credential={s}&X-Amz-Signature={s}",
    '{{"password": "{s}", "user": "bob"}}',
    "{{'token': '{s}'}}",
    "SYNAPSE-Access-Token: Token {s}",
    "SYNAPSE-Agent: Token {s}",
    "api_key: {s}",
]


@given(
    secret=secrets,
    template=st.sampled_from(TEMPLATES),
    before=st.text(max_size=60),
    after=st.text(max_size=60),
)
def test_a_secret_inserted_anywhere_never_survives(secret: str, template: str, before: str, after: str) -> None:
    assume(secret not in before and secret not in after)
    message = f"{before} {template.format(s=secret)} {after}"
    cleaned = sanitize_error_message(message)
    assert secret not in cleaned
    assert "***" in cleaned


@given(secret=secrets, template=st.sampled_from(TEMPLATES), padding=st.integers(0, 5000))
def test_secrets_are_redacted_before_truncation(secret: str, template: str, padding: int) -> None:
    message = "x " * padding + template.format(s=secret)
    cleaned = sanitize_error_message(message, "ctx")
    assert len(cleaned) <= 1000
    assert cleaned.startswith("ctx: ")
    assert secret not in cleaned


@given(st.text(max_size=2000))
def test_sanitize_is_bounded_and_idempotent(text: str) -> None:
    once = sanitize_error_message(text)
    assert len(once) <= 1000
    if len(text) <= 400:  # redaction can lengthen short values (a=b -> a=***); stay clear of the cap
        assert sanitize_error_message(once) == once


def test_plain_messages_are_kept() -> None:
    assert sanitize_error_message("Job raysubmit_1 not found") == "Job raysubmit_1 not found"
    assert sanitize_error_message("Invalid token.") == "Invalid token."
    assert sanitize_error_message("boom", "stop_job") == "stop_job: boom"


def test_long_messages_are_truncated_with_a_marker() -> None:
    cleaned = sanitize_error_message("e" * 10_000)
    assert len(cleaned) <= 1000
    assert cleaned.endswith("chars]")


# -- http_to_websocket_url ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8265/api/jobs/x/logs/tail", "ws://127.0.0.1:8265/api/jobs/x/logs/tail"),
        ("https://agent.example.com/ray/jobs/1/logs?follow=1", "wss://agent.example.com/ray/jobs/1/logs?follow=1"),
        ("HTTPS://Example.com", "wss://Example.com"),
        ("ws://h/x", "ws://h/x"),
        ("wss://h/x", "wss://h/x"),
    ],
)
def test_http_urls_become_websocket_urls(url: str, expected: str) -> None:
    assert http_to_websocket_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://h/x", "file:///etc/passwd", "h/x", "http://", "javascript:alert(1)", ""])
def test_other_urls_are_rejected_with_400(url: str) -> None:
    with pytest.raises(BadRequestError) as info:
        http_to_websocket_url(url)
    assert info.value.status == 400
