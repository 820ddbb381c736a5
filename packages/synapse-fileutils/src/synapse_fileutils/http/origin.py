r"""Same-origin decisions made with the URL parser the transport itself uses, and header stripping off-origin.

Auth headers must reach only the host they belong to. A check that parses a URL one way while the transport connects
to what another parser reads is no check: ``http://127.0.0.1:1111\@127.0.0.1:2222/`` is host ``127.0.0.1`` port
``2222`` to :func:`urllib.parse.urlsplit`, but port ``1111`` to urllib3 (which requests uses). :func:`origin_of`
reads a URL with urllib3's parser *and* with :func:`~urllib.parse.urlsplit`, and refuses it with
:class:`UnsafeURLError` when they disagree, or when its authority holds characters that parsers are known to read
differently (backslash, whitespace, control characters).

Example:
    >>> origin_of("https://Example.com/a")
    Origin(scheme='https', host='example.com', port=443)
    >>> try:
    ...     origin_of("http://127.0.0.1:1111\\@127.0.0.1:2222/")
    ... except UnsafeURLError as exc:
    ...     print(exc)
    refusing an ambiguous URL: http://***@127.0.0.1:2222/
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from .redact import redact_url

__all__ = ["Origin", "UnsafeURLError", "headers_for", "origin_of", "same_origin"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# Characters that never belong in an authority and that URL parsers treat differently (WHATWG turns "\" into "/").
_AMBIGUOUS = re.compile(r"[\\\s\x00-\x1f\x7f]")


class UnsafeURLError(ValueError):
    """A URL that URL parsers read differently (so its real destination is unclear), or that cannot be parsed.

    Also a :class:`ValueError`. The message and :attr:`url` hold the URL redacted.

    Attributes:
        url: The redacted URL.

    Example:
        >>> UnsafeURLError("http://h/?sig=1").url
        'http://h/?sig=***'
    """

    def __init__(self, url: str, reason: str = "refusing an ambiguous URL") -> None:
        self.url = redact_url(url)
        super().__init__(f"{reason}: {self.url}")

    def __reduce__(self) -> tuple[type[UnsafeURLError], tuple[str]]:
        return (type(self), (self.url,))


class Origin(NamedTuple):
    """The scheme, host and port a request is sent to (RFC 6454); the host is lower-case, the port explicit."""

    scheme: str
    host: str
    port: int | None


def origin_of(url: str) -> Origin:
    """Return where a request for ``url`` goes, as the transport (urllib3, under requests) reads it.

    Args:
        url: An absolute URL.

    Returns:
        The origin: scheme, lower-case host and port (the scheme's default port when none is given).

    Raises:
        UnsafeURLError: When the URL cannot be parsed, its authority holds a backslash, whitespace or control
            characters, or urllib3 and :func:`urllib.parse.urlsplit` read different hosts or ports from it.

    Example:
        >>> origin_of("http://user:pw@[::1]:8080/x")
        Origin(scheme='http', host='[::1]', port=8080)
    """
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    if not isinstance(url, str):
        raise UnsafeURLError(repr(url), "not a URL")
    authority = url.partition("://")[2].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if _AMBIGUOUS.search(authority):
        raise UnsafeURLError(url)
    try:
        theirs = parse_url(url)
        ours = urlsplit(url)
        our_port = ours.port
    except (LocationParseError, ValueError):
        raise UnsafeURLError(url, "refusing a URL that does not parse") from None
    scheme = (theirs.scheme or "").lower()
    host = (theirs.host or "").lower()
    port = theirs.port if theirs.port is not None else _DEFAULT_PORTS.get(scheme)
    our_host = (ours.hostname or "").lower()
    if our_host and ":" in our_host:
        our_host = f"[{our_host}]"  # urllib3 keeps the brackets of an IPv6 literal
    if our_port is None:
        our_port = _DEFAULT_PORTS.get(ours.scheme.lower())
    if (scheme, host.split("%", 1)[0], port) != (ours.scheme.lower(), our_host.split("%", 1)[0], our_port):
        raise UnsafeURLError(url)
    return Origin(scheme, host, port)


def same_origin(url: str, other: str) -> bool:
    """Tell whether two URLs share scheme, host and port; an ambiguous URL is never the same origin.

    Args:
        url: An absolute URL.
        other: Another absolute URL.

    Returns:
        True when both parse unambiguously to the same origin.

    Example:
        >>> same_origin("http://h/a", "http://h:80/b"), same_origin("http://h/a", "https://h/a")
        (True, False)
    """
    try:
        return origin_of(url) == origin_of(other)
    except UnsafeURLError:
        return False


def headers_for(
    target: str, origin: str | Origin, headers: Mapping[str, str], caller_given: Iterable[str]
) -> dict[str, str]:
    """Return the headers to send to ``target``: all of them on ``origin``, without the caller-given ones elsewhere.

    A redirect or a pagination link may point at another host. Every header the caller supplied (``Authorization``,
    ``X-Api-Key``, ``SYNAPSE-Access-Token``, any other) may be a secret, so off-origin none of them is sent; headers
    the library itself sets (``Accept``, ``User-Agent``, ``Range``...) stay.

    Args:
        target: The URL about to be requested.
        origin: The origin the caller's headers belong to (a URL or an :class:`Origin`).
        headers: All headers of the request.
        caller_given: Names of the headers the caller supplied (any case).

    Returns:
        A new dict.

    Raises:
        UnsafeURLError: When ``target`` is ambiguous (see :func:`origin_of`).

    Example:
        >>> headers_for("https://cdn/x", "https://api/", {"X-Api-Key": "k", "Range": "bytes=0-"}, ["x-api-key"])
        {'Range': 'bytes=0-'}
    """
    home = origin if isinstance(origin, Origin) else origin_of(origin)
    if origin_of(target) == home:
        return dict(headers)
    drop = {name.lower() for name in caller_given}
    return {name: value for name, value in headers.items() if name.lower() not in drop}
