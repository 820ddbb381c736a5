"""Redirects followed by hand, one hop at a time, so that every hop passes the origin and scheme checks.

The transports are told not to follow redirects (``allow_redirects=False``); the caller asks :func:`next_hop` where
a ``3xx`` leads, counts hops against :data:`MAX_REDIRECTS`, and sends caller-given headers only to their own origin
(:func:`~synapse_fileutils.http.origin.headers_for`). Each refusal is a :class:`RedirectError` (a ``ValueError``) that
callers turn into their own typed error, never a raw ``TooManyRedirects`` or ``InvalidSchema``.

Example:
    >>> next_hop("https://api.example.com/a", 302, "/b?x=1", "POST")
    ('https://api.example.com/b?x=1', 'GET')
    >>> try:
    ...     next_hop("https://h/a", 302, "file:///etc/passwd", "GET")
    ... except RedirectError as exc:
    ...     print(exc)
    redirect to a non-HTTP URL refused: file:///etc/passwd
"""

from __future__ import annotations

from urllib.parse import urljoin

from .origin import UnsafeURLError, origin_of
from .redact import redact_url
from .retry import REDIRECT_STATUSES

__all__ = ["MAX_REDIRECTS", "RedirectError", "is_redirect", "next_hop"]

#: Redirects followed at most for one request.
MAX_REDIRECTS = 10


class RedirectError(ValueError):
    """A redirect that is not followed: to a non-HTTP scheme, to an ambiguous URL, or one too many.

    Attributes:
        url: The redirect target, redacted.
        reason: Why it was refused.

    Example:
        >>> RedirectError("more than 10 redirects", "http://h/?sig=1").url
        'http://h/?sig=***'
    """

    def __init__(self, reason: str, url: str) -> None:
        self.reason = reason
        self.url = redact_url(url)
        super().__init__(f"{reason}: {self.url}")

    def __reduce__(self) -> tuple[type[RedirectError], tuple[str, str]]:
        return (type(self), (self.reason, self.url))


def is_redirect(status: int, location: str | None) -> bool:
    """Tell whether a response with ``status`` and ``Location`` header ``location`` redirects.

    Example:
        >>> is_redirect(302, "/x"), is_redirect(302, None), is_redirect(200, "/x")
        (True, False, False)
    """
    return status in REDIRECT_STATUSES and bool(location)


def next_hop(url: str, status: int, location: str, method: str) -> tuple[str, str]:
    """Return where a redirect leads and with which method, or refuse it.

    Args:
        url: The URL that answered with the redirect.
        status: Its status (301, 302, 303, 307 or 308).
        location: Its ``Location`` header, absolute or relative.
        method: The method of the request that was redirected.

    Returns:
        ``(target, method)``: 303 turns any method but HEAD into GET, and so do 301 and 302 for methods other than
        GET and HEAD (as browsers and requests do); 307 and 308 keep the method.

    Raises:
        RedirectError: The target is not http(s), or URL parsers read it differently.

    Example:
        >>> next_hop("http://h/a", 307, "http://other/b", "PUT")
        ('http://other/b', 'PUT')
    """
    target = urljoin(url, location.strip())
    if target.partition(":")[0].lower() not in ("http", "https"):
        raise RedirectError("redirect to a non-HTTP URL refused", target)
    try:
        origin_of(target)
    except UnsafeURLError:
        raise RedirectError("redirect to an ambiguous URL refused", target) from None
    method = method.upper()
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method not in ("GET", "HEAD")):
        method = "GET"
    return target, method
