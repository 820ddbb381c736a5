"""The one HTTP policy: redaction that never raises, origins read as the transport reads them, redirects, retries."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_fileutils.http import (
    TRANSIENT_STATUSES,
    UNPROCESSED_STATUSES,
    RedirectError,
    UnsafeURLError,
    headers_for,
    next_hop,
    origin_of,
    quiet_transport_logs,
    redact_text,
    redact_url,
    same_origin,
    urllib3_retry,
)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:pw@h/x?X-Amz-Signature=s#f", "https://***@h/x?X-Amz-Signature=***"),
        ("https://u:pw@h/x?a=s#frag", "https://***@h/x?a=***#***"),
        ("sftp://u@h:22/p", "sftp://***@h:22/p"),
        ("s3://b/p?secret_key=k", "s3://b/p?secret_key=***"),
        (
            "https://acct.blob.core.windows.net/c/b?sv=2024&sig=abc%2Bdef",
            "https://acct.blob.core.windows.net/c/b?sv=***&sig=***",
        ),
        ("http://example.com/plain.txt", "http://example.com/plain.txt"),
        ("http://h:99999/a.pt?X-Amz-Signature=abc", "http://h:99999/a.pt?X-Amz-Signature=***"),
        ("http://[::1/a?sig=1", "http://[::1/a?sig=***"),
        ("/relative/path?token=abc&page=2", "/relative/path?token=***&page=***"),
    ],
)
def test_redact_url_hides_user_info_query_values_and_fragment(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@given(st.text(max_size=200))
def test_redact_url_never_raises_and_leaks_no_query_value(text: str) -> None:
    url = f"https://h:{text}/p?X-Amz-Signature=SECRETSIG123&x={text}"
    shown = redact_url(url)
    assert "SECRETSIG123" not in shown
    redact_url(text)  # any text at all: no exception
    redact_text(text)


def test_redact_url_accepts_non_strings() -> None:
    assert redact_url(None) == "None"  # type: ignore[arg-type]


def test_origin_is_read_as_urllib3_reads_it() -> None:
    assert origin_of("HTTPS://Example.COM/a") == ("https", "example.com", 443)
    assert same_origin("http://h/a", "http://h:80/b")
    assert not same_origin("http://h/a", "http://h:81/a")
    assert not same_origin("http://h/a", "https://h/a")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1111\\@127.0.0.1:2222/",
        "http://evil.example\\.good.example/",
        "http://h :80/",
        "http://h\t/",
        "http://h:99999/",
        "http://h:abc/",
    ],
)
def test_urls_the_parsers_read_differently_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        origin_of(url)
    assert not same_origin(url, "http://127.0.0.1:2222/")


def test_headers_for_strips_every_caller_given_header_off_origin() -> None:
    headers = {"Authorization": "Token a", "X-Api-Key": "k", "Synapse-Access-Token": "t", "Range": "bytes=5-"}
    given = ["authorization", "x-api-key", "synapse-access-token"]
    assert headers_for("https://api/x", "https://api/", headers, given) == headers
    assert headers_for("https://cdn/x", "https://api/", headers, given) == {"Range": "bytes=5-"}
    with pytest.raises(UnsafeURLError):
        headers_for("http://a:1\\@api/", "https://api/", headers, given)


@pytest.mark.parametrize(
    ("location", "reason"),
    [("file:///etc/passwd", "non-HTTP"), ("ftp://h/x", "non-HTTP"), ("http://127.0.0.1:1\\@127.0.0.1:2/", "ambiguous")],
)
def test_redirects_to_other_schemes_or_ambiguous_urls_are_refused(location: str, reason: str) -> None:
    with pytest.raises(RedirectError, match=reason):
        next_hop("http://127.0.0.1:2/a", 302, location, "GET")


def test_redirect_methods_follow_rfc_9110() -> None:
    assert next_hop("http://h/a", 303, "/b", "PUT") == ("http://h/b", "GET")
    assert next_hop("http://h/a", 303, "/b", "HEAD") == ("http://h/b", "HEAD")
    assert next_hop("http://h/a", 302, "/b", "POST") == ("http://h/b", "GET")
    assert next_hop("http://h/a", 308, "/b", "POST") == ("http://h/b", "POST")


def test_status_sets_name_their_intent() -> None:
    assert UNPROCESSED_STATUSES < TRANSIENT_STATUSES
    assert 500 in TRANSIENT_STATUSES
    assert 500 not in UNPROCESSED_STATUSES


def test_urllib3_retry_caps_retry_after() -> None:
    from urllib3 import HTTPResponse

    retry = urllib3_retry(3, max_retry_after=2.0)
    response = HTTPResponse(status=503, headers={"Retry-After": "3600"})
    assert retry.get_retry_after(response) == 2.0
    assert retry.new(total=1).max_retry_after == 2.0


def test_transport_log_filter_redacts_request_lines(caplog: pytest.LogCaptureFixture) -> None:
    quiet_transport_logs(["path-token-abcdef"])
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    target = "/a/path-token-abcdef/x.pt?X-Amz-Signature=s1g"
    logging.getLogger("urllib3.connectionpool").debug(
        '%s://%s:%s "%s %s %s" %s %s', "http", "h", 80, "GET", target, "HTTP/1.1", 200, 5
    )
    assert caplog.records[-1].getMessage() == 'http://h:80 "GET /a/***/x.pt?X-Amz-Signature=*** HTTP/1.1" 200 5'
