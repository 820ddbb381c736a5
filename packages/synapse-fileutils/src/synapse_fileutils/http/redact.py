"""Redaction of secrets (tokens, passwords, URL credentials, presigned query strings) from text, URLs and headers.

These helpers are what every error message, log line and ``repr`` of the Synapse packages goes through. They
over-redact rather than under-redact: a harmless word next to ``token=`` may be hidden, a real token never survives.
None of them raises, whatever the input: a message that fails to redact would be a message that leaks.

Example:
    >>> redact_text("GET https://bob:hunter2@example.com/x?access_token=abc123&page=2")
    'GET https://***@example.com/x?access_token=***&page=***'
    >>> redact_headers({"Authorization": "Token 0123456789abcdef", "Accept": "application/json"})
    {'Authorization': '***', 'Accept': 'application/json'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "REDACTED",
    "is_sensitive_key",
    "redact_headers",
    "redact_json",
    "redact_text",
    "redact_url",
    "truncate",
    "url_secrets",
]

#: What a secret is replaced with.
REDACTED = "***"
#: Default length cap of a sanitized message, in characters.
MAX_MESSAGE_LENGTH = 1000

# Names (of query parameters, JSON keys, headers) whose values are secrets. Matched anywhere in the name, so
# ``SYNAPSE-Access-Token``, ``agent_token`` and ``X-Amz-Signature`` are all covered; the platform's ``SYNAPSE-Agent``,
# ``SYNAPSE-User`` and ``SYNAPSE-Tenant`` headers carry tokens too.
_SENSITIVE_NAME = (
    r"token|secret|passw(?:or)?d|pwd|api[_-]?key|apikey|authorization|cookie|signature|credential|session[_-]?id"
    r"|x-amz-[a-z0-9-]+|x-goog-[a-z0-9-]+|private[_-]?key|synapse-(?:agent|user|tenant)"
)
_SENSITIVE_NAME_RE = re.compile(_SENSITIVE_NAME, re.IGNORECASE)

# "Token abc...", "Bearer abc...": an auth scheme followed by a credential of 8 or more token characters (short words
# after "token" in prose, as in "Invalid token header.", are left alone).
_SCHEME_RE = re.compile(r"\b(Bearer|BEARER|bearer|Token|TOKEN|token|Basic|BASIC|JWT|Digest)(\s+)[A-Za-z0-9._~+/=-]{8,}")
# The key and separator of key=value, key: value, "key": "value", 'key': 'value' (also with JSON-escaped quotes). A key
# starts where a run of name characters starts (the lookbehind), which keeps matching linear in the text's length.
_KEY_SEP_RE = re.compile(r"(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)(\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?)")
# The value after a secret key; an auth scheme in it ("Authorization: Token abc") is kept, the credential is not.
_VALUE_RE = re.compile(r"((?:Bearer|Token|Basic|JWT)\s+)?([^\s&\"',;}\]\\)]+)")
# scheme://user:password@host or scheme://token@host (userinfo capped at 256 characters to stay linear).
_URL_CREDENTIALS_RE = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@?#]{1,256}@")
# The query string of an absolute URL inside text ("GET https://h/a?sig=1 failed"): its values are hidden.
_URL_QUERY_RE = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*://[^\s?#\"'<>]{1,2048})\?([^\s#\"'<>]*)")
_SCHEME_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def is_sensitive_key(name: str) -> bool:
    """Tell whether a header, query parameter or JSON key names a secret.

    Args:
        name: The key, in any case.

    Returns:
        True for names such as ``Authorization``, ``access_token``, ``password``, ``X-Amz-Signature``.

    Example:
        >>> is_sensitive_key("SYNAPSE-Access-Token"), is_sensitive_key("page_size")
        (True, False)
    """
    return _SENSITIVE_NAME_RE.search(name) is not None


def truncate(text: str, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut.

    Args:
        text: The text to shorten.
        limit: Maximum length of the result, in characters (values below 40 count as 40).

    Returns:
        ``text`` itself when short enough, else its start followed by ``"... [truncated N chars]"``.

    Example:
        >>> truncate("x" * 60, limit=40)
        'xxxxxxxxxxxxxxxx... [truncated 44 chars]'
    """
    limit = max(limit, 40)
    if len(text) <= limit:
        return text
    # The marker's width depends on how much is cut; the widest marker (everything cut) bounds it.
    keep = limit - len(f"... [truncated {len(text)} chars]")
    return f"{text[:keep]}... [truncated {len(text) - keep} chars]"


def _redact_key_values(text: str) -> str:
    # Rebuild the text once, left to right: a value may itself look like a key ("token=password:x"), so keys found
    # inside a value already replaced are skipped.
    pieces: list[str] = []
    position = 0
    for match in _KEY_SEP_RE.finditer(text):
        if match.start() < position or not is_sensitive_key(match.group(1)):
            continue  # inside a value already redacted, or an ordinary key
        value = _VALUE_RE.match(text, match.end())
        if value is None:
            continue
        pieces += [text[position : value.start(2)], REDACTED]
        position = value.end(2)
    if not pieces:
        return text
    pieces.append(text[position:])
    return "".join(pieces)


def redact_text(text: object, secrets: Iterable[str | None] = ()) -> str:
    """Replace every secret found in free text with ``***``.

    Covers auth schemes (``Token xxx``, ``Bearer xxx``), ``key=value`` and ``"key": "value"`` pairs whose key names a
    secret (``token``, ``access_token``, ``password``, ``X-Amz-Signature``, ...), credentials in URLs
    (``https://user:pass@host``), query strings of absolute URLs, and the literal ``secrets`` given (for example the
    query string of the URL a transport library quotes in its message).

    Args:
        text: Any text: an error message, a URL, a response body.
        secrets: Values to replace wherever they appear; values shorter than 4 characters are ignored (replacing them
            would mangle ordinary text without protecting anything).

    Returns:
        The text with secrets replaced. Not truncated.

    Example:
        >>> redact_text("Authorization: Bearer eyJhbGciOi.J9abc")
        'Authorization: Bearer ***'
        >>> redact_text('{"password": "hunter2", "user": "bob"}')
        '{"password": "***", "user": "bob"}'
        >>> redact_text("GET /a.pt?sig=XYZ1 failed", secrets=url_secrets("https://h/a.pt?sig=XYZ1"))
        'GET /a.pt?*** failed'
    """
    if not isinstance(text, str):
        text = _safe_str(text)
    for secret in sorted({s for s in secrets if isinstance(s, str) and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _URL_CREDENTIALS_RE.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    text = _URL_QUERY_RE.sub(lambda m: f"{m.group(1)}?{_mask_query(m.group(2))}", text)
    text = _redact_key_values(text)
    return _SCHEME_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


def url_secrets(url: object) -> list[str]:
    """Return the parts of ``url`` that may hold secrets: its user info, query string and fragment.

    Transport libraries quote parts of the request URL in their messages (``GET /a?sig=... HTTP/1.1``); pass these to
    :func:`redact_text` to remove them wherever they appear.

    Args:
        url: The requested URL.

    Returns:
        The non-empty secret-bearing parts, longest first (an empty list for text that is not a URL).

    Example:
        >>> url_secrets("https://u:pw@h/a?sig=1#t")
        ['sig=1', 'u:pw', 't']
    """
    if not isinstance(url, str):
        return []
    rest = url.split("#", 1)
    fragment = rest[1] if len(rest) > 1 else ""
    rest = rest[0].split("?", 1)
    query = rest[1] if len(rest) > 1 else ""
    authority = rest[0].split("://", 1)[-1].split("/", 1)[0]
    userinfo = authority.rpartition("@")[0]
    return sorted((part for part in (query, userinfo, fragment) if part), key=len, reverse=True)


def redact_url(url: object) -> str:
    """Return ``url`` safe to show: user info, query values and fragment replaced with ``***``; never raises.

    This is the one URL redaction of every Synapse package. The scheme, host, port and path stay, so the URL still
    says what was requested; every query *value* is hidden (whatever its name: a presigned URL's signature may be
    called ``X-Amz-Signature``, ``sig`` or anything else), the keys stay. Secrets found in the path by the text rules
    (``/auth/Token abc...``) are hidden too. Input that is not a parseable URL is redacted as text.

    Args:
        url: Any URL (absolute or relative), or any other value (it is shown as text).

    Returns:
        The redacted URL.

    Example:
        >>> redact_url("https://s3.example.com/b/k?X-Amz-Credential=AKIA&X-Amz-Signature=abc&v=1")
        'https://s3.example.com/b/k?X-Amz-Credential=***&X-Amz-Signature=***&v=***'
        >>> redact_url("https://user:pw@example.com:8443/a/b.zip#frag")
        'https://***@example.com:8443/a/b.zip#***'
        >>> redact_url("http://h:99999/a.pt?sig=1")  # a bad port: redacted all the same
        'http://h:99999/a.pt?sig=***'
    """
    if not isinstance(url, str):
        return redact_text(_safe_str(url))
    base, hash_sign, fragment = url.partition("#")
    base, question, query = base.partition("?")
    scheme, sep, rest = base.partition("://")
    if sep and _SCHEME_NAME_RE.fullmatch(scheme):
        authority, slash, path = rest.partition("/")
        if "@" in authority:
            authority = f"{REDACTED}@{authority.rpartition('@')[2]}"
        base = f"{scheme}://{authority}{slash}{path}"
    result = base
    if question:
        result += "?" + _mask_query(query)
    if hash_sign:
        result += "#" + (REDACTED if fragment else "")
    return redact_text(result)  # catch secrets in the path, such as "/auth/Token abc..."


def _mask_query(query: str) -> str:
    if not query:
        return query
    return "&".join(
        f"{pair.partition('=')[0]}={REDACTED}" if "=" in pair else (pair if not pair else REDACTED)
        for pair in query.split("&")
    )


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:  # a value whose __str__ fails still gets a message
        return f"<{type(value).__name__}>"


def redact_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """Copy ``headers`` with the values of secret headers replaced by ``***``.

    Args:
        headers: Request or response headers.

    Returns:
        A new dict; ``Authorization``, ``Cookie``, ``*-Token``, ``*-Api-Key``... values are ``***``, others kept
        (with any secret inside them redacted).

    Example:
        >>> redact_headers({"Accept": "application/json", "SYNAPSE-Access-Token": "Token abc"})
        {'Accept': 'application/json', 'SYNAPSE-Access-Token': '***'}
    """
    return {
        key: REDACTED if is_sensitive_key(str(key)) else (redact_text(value) if isinstance(value, str) else value)
        for key, value in headers.items()
    }


def redact_json(value: Any, _depth: int = 0) -> Any:
    """Copy a parsed JSON value with secret keys' values replaced and secrets in strings redacted.

    Args:
        value: A parsed JSON value (dict, list, str, number, bool or None).

    Returns:
        A redacted copy of the same shape. Containers nested deeper than 32 levels are replaced by ``"..."``.

    Example:
        >>> redact_json({"detail": "bad", "token": "abc", "items": [{"password": "x"}]})
        {'detail': 'bad', 'token': '***', 'items': [{'password': '***'}]}
    """
    if _depth > 32:
        return "..."
    if isinstance(value, dict):
        return {
            key: REDACTED if isinstance(key, str) and is_sensitive_key(key) else redact_json(item, _depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item, _depth + 1) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
