"""Lazy iteration over Django-REST-Framework paginated lists.

A DRF page looks like ``{"count": N, "next": url | null, "previous": url | null, "results": [...]}``.
[`PageIterator`][synapse_client.pagination.PageIterator] yields the items of every page, fetching each page once, only
when iteration reaches it, and follows the server's absolute ``next`` URL after checking it stays on the client's
host (a ``next`` pointing elsewhere would otherwise receive the client's auth headers).

Example:
    >>> from synapse_client.base import BaseClient
    >>> items = BaseClient("http://127.0.0.1:9")._list("jobs/", list_all=True)
    >>> items.pages_fetched  # nothing fetched yet
    0
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urljoin

from synapse_fileutils.http.redact import redact_url

from .errors import InvalidResponseError

if TYPE_CHECKING:
    from .base import BaseClient

__all__ = ["Page", "PageIterator"]


class Page(TypedDict):
    """One page of a DRF list as the clients return it with ``list_all=False``.

    ``results`` holds the items (typed records on the backend client).

    Example:
        >>> page: Page = {"count": 1, "next": None, "previous": None, "results": [{"id": 1}]}
        >>> page["results"][0]["id"]
        1
    """

    count: int
    next: str | None
    previous: str | None
    results: list[Any]


class PageIterator(Iterator[Any]):
    """An iterator over the items of a DRF-paginated collection, fetching pages lazily, each exactly once.

    Only the current page is held in memory. A plain JSON array (an unpaginated endpoint) is accepted as a single
    page.

    Args:
        client: The client whose ``_get`` fetches the pages (timeouts, retries and errors are the client's).
        path: The collection's path (relative to ``base_url``) or absolute URL.
        params: Query parameters for the first page; later pages use the server's ``next`` URL as is.
        max_pages: Stop with an error after this many pages (None: no bound besides loop detection).

    Raises:
        InvalidResponseError: (502, while iterating) if a page is not a DRF page or a JSON array, if ``next`` points
            to another scheme, host or port than ``base_url``, if ``next`` repeats an earlier page, or if more than
            ``max_pages`` pages come.
        ClientError: As the client's ``_get`` raises, while iterating.

    Attributes:
        pages_fetched: Pages fetched so far.

    Example:
        >>> from synapse_client.base import BaseClient
        >>> pages = PageIterator(BaseClient("http://127.0.0.1:9"), "jobs/", {"status": "RUNNING"})
        >>> pages.pages_fetched
        0
    """

    def __init__(
        self,
        client: BaseClient,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        max_pages: int | None = None,
    ) -> None:
        self._client = client
        self._next_url: str | None = client._url(path)
        self._params: dict[str, Any] | None = dict(params) if params else None
        self._items: Iterator[Any] = iter(())
        self._count: int | None = None
        self._seen: set[str] = set()
        self._max_pages = max_pages
        self.pages_fetched = 0

    def __repr__(self) -> str:
        return f"PageIterator(pages_fetched={self.pages_fetched}, count={self._count!r})"

    def __iter__(self) -> PageIterator:
        return self

    def __next__(self) -> Any:
        while True:
            for item in self._items:
                return item
            if self._next_url is None:
                raise StopIteration
            self._fetch_page()

    @property
    def count(self) -> int | None:
        """The server's total ``count`` of items; fetches the first page if no page was fetched yet.

        Returns:
            The count from the first page (or the length of an unpaginated array), None if the server sent none.

        Example:
            >>> from synapse_client.base import BaseClient
            >>> pages = PageIterator(BaseClient("http://127.0.0.1:9", retries=0), "jobs/")
            >>> pages.count  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            synapse_client.errors.ServiceUnavailableError: 503: ...
        """
        if self.pages_fetched == 0 and self._next_url is not None:
            self._fetch_page()
        return self._count

    def _fetch_page(self) -> None:
        url = self._next_url
        assert url is not None
        if self._max_pages is not None and self.pages_fetched >= self._max_pages:
            raise InvalidResponseError(502, f"More than {self._max_pages} pages", method="GET", url=url)
        self._seen.add(url)
        page = self._client._get(url, params=self._params)
        self._params = None  # the next URL carries the query the server wants
        self.pages_fetched += 1
        if isinstance(page, list):
            results: list[Any] = page
            next_url: Any = None
            count: Any = len(page)
        elif isinstance(page, dict) and isinstance(page.get("results"), list):
            results = page["results"]
            next_url = page.get("next")
            count = page.get("count")
        else:
            raise InvalidResponseError(
                502, "Expected a paginated list ({count, next, results}) or a JSON array", method="GET", url=url
            )
        if self.pages_fetched == 1:
            self._count = count if isinstance(count, int) and not isinstance(count, bool) else None
        self._items = iter(results)
        self._next_url = self._check_next(url, next_url)

    def _check_next(self, current: str, next_url: Any) -> str | None:
        if next_url is None or next_url == "":
            return None
        if not isinstance(next_url, str):
            raise InvalidResponseError(502, "Pagination 'next' is not a URL", method="GET", url=current)
        resolved = urljoin(current, next_url)
        if not self._client._is_own_origin(resolved):
            raise InvalidResponseError(
                502,
                f"Pagination 'next' URL {redact_url(resolved)!r} leaves the client's origin; refusing to follow",
                method="GET",
                url=current,
            )
        if resolved in self._seen:
            raise InvalidResponseError(
                502, "Pagination loop: 'next' repeats an earlier page", method="GET", url=current
            )
        return resolved
