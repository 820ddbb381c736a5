"""What really failed inside a transport exception, in words a user can act on.

requests and urllib3 wrap the operating system's error several layers deep, and their messages say
``HTTPConnectionPool(...): Max retries exceeded with url: ...`` even when our own code made the only attempt (their
retries are off; ours count). :func:`describe_cause` digs out the root failure ("Connection refused", "Name or service
not known", "Read timed out") instead.

Example:
    >>> try:
    ...     try:
    ...         raise ConnectionRefusedError(111, "Connection refused")
    ...     except OSError as exc:
    ...         raise RuntimeError("Max retries exceeded with url: /a?sig=1") from exc
    ... except RuntimeError as outer:
    ...     describe_cause(outer)
    'ConnectionRefusedError: Connection refused'
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["describe_cause", "walk_causes"]


def walk_causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield ``exc`` and every exception linked to it: causes, contexts, wrapped ``args`` and urllib3's ``reason``.

    Args:
        exc: The exception a transport raised.

    Yields:
        Each linked exception once, outermost first.

    Example:
        >>> [type(e).__name__ for e in walk_causes(ValueError(KeyError("k")))]
        ['ValueError', 'KeyError']
    """
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack += [arg for arg in current.args if isinstance(arg, BaseException)]
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException):
                stack.append(linked)


def describe_cause(exc: BaseException) -> str:
    """Return ``"<type>: <words>"`` for the root failure of a transport exception.

    The operating system's words (``strerror``) win when an :class:`OSError` is in the chain; else the innermost
    linked exception's own message. The result may still quote a URL: redact it before showing it.

    Args:
        exc: The exception a transport raised.

    Returns:
        A short description.

    Example:
        >>> describe_cause(TimeoutError("Read timed out. (read timeout=5)"))
        'TimeoutError: Read timed out. (read timeout=5)'
    """
    chain = list(walk_causes(exc))
    for cause in chain:
        if isinstance(cause, OSError) and cause.strerror:
            return f"{type(cause).__name__}: {cause.strerror}"
    innermost = chain[-1]
    return f"{type(innermost).__name__}: {innermost}"
