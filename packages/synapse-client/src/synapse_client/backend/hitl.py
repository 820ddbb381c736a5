"""Assignments: labeling results (human in the loop).

Example:
    ```python
    assignments, count = client.list_assignments(params={"project": 1}, list_all=True)
    ```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, overload

from .listing import BackendMixinBase, Page, RecordPages, UrlConversion
from .models import Record

__all__ = ["HITLClientMixin"]


class HITLClientMixin(BackendMixinBase):
    """Assignments (``assignments/``, ``sdk/assignments/``).

    Example:
        ```python
        assignment = client.get_assignment(5)
        ```
    """

    def get_assignment(self, pk: int | str) -> Record:
        """Return an assignment (a labeling result).

        Endpoint: ``GET assignments/{pk}/``.

        Args:
            pk: The assignment's id.

        Returns:
            The assignment.

        Raises:
            NotFoundError: (404) if there is no such assignment.

        Example:
            ```python
            client.get_assignment(5)["data"]
            ```
        """
        result: Record = self._get_record(Record, f"assignments/{self._id(pk, 'assignment')}/")
        return result

    @overload
    def list_assignments(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: Literal[False] = False,
        page_size: int | None = None,
    ) -> Page: ...

    @overload
    def list_assignments(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        *,
        list_all: Literal[True],
        page_size: int | None = None,
    ) -> tuple[RecordPages[Record], int | None]: ...

    @overload
    def list_assignments(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[Record], int | None]: ...

    def list_assignments(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[Record], int | None]:
        """List assignments.

        Endpoint: ``GET sdk/assignments/``.

        Args:
            params: Filters, for example ``{"project": 1}``.
            url_conversion: Download the files of each page's assignments (see
                [`resolve_url_conversion`][synapse_client.backend.listing.resolve_url_conversion]).
            list_all: Return ``(assignments, count)`` with a lazy iterator over every page.
            page_size: Items per page.

        Returns:
            The first page, or ``(RecordPages, count)`` with ``list_all=True``.

        Example:
            ```python
            assignments, count = client.list_assignments(params={"project": 1}, list_all=True)
            ```
        """
        return self._list_records(
            "sdk/assignments/", params, list_all=list_all, page_size=page_size, record_type=Record,
            url_conversion=url_conversion,
        )  # fmt: skip

    def set_tags_assignments(self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> Any:
        """Set tags on assignments.

        Endpoint: ``POST assignments/set_tags/``.

        Args:
            data: For example ``{"ids": [1, 2], "tags": [3], "action": "add"}``.
            params: Query parameters.

        Returns:
            The server's answer.

        Example:
            ```python
            client.set_tags_assignments({"ids": [1, 2], "tags": [3], "action": "add"})
            ```
        """
        return self._post("assignments/set_tags/", json=dict(data), params=dict(params) if params else None)
