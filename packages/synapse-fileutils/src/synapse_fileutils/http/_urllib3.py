"""urllib3 pieces of the retry policy, in their own module so that only code that retries through urllib3 imports it."""

from __future__ import annotations

from typing import Any

from urllib3.util import Retry

__all__ = ["CappedRetry"]


class CappedRetry(Retry):
    """A :class:`~urllib3.util.Retry` that waits at most ``max_retry_after`` seconds for a ``Retry-After``."""

    def __init__(self, *args: Any, max_retry_after: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_retry_after = max_retry_after

    def new(self, **kwargs: Any) -> CappedRetry:
        kwargs.setdefault("max_retry_after", self.max_retry_after)
        return super().new(**kwargs)

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(float(value), self.max_retry_after)
