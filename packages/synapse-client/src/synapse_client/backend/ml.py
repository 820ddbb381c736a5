"""Models and ground truth.

Example:
    ```python
    models = client.list_models(params={"plugin": 1})
    ```
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal, overload

from .core import CoreClientMixin
from .listing import Page, RecordPages, UrlConversion
from .models import Model, Record

__all__ = ["MLClientMixin"]


class MLClientMixin(CoreClientMixin):
    """Models (``models/``) and ground truth (``sdk/ground_truth_events/``, ``ground_truth_dataset_versions/``).

    Example:
        ```python
        model = client.get_model(3)
        ```
    """

    @overload
    def list_models(
        self,
        params: Mapping[str, Any] | None = None,
        list_all: Literal[False] = False,
        page_size: int | None = None,
    ) -> Page: ...

    @overload
    def list_models(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        list_all: Literal[True],
        page_size: int | None = None,
    ) -> tuple[RecordPages[Model], int | None]: ...

    @overload
    def list_models(
        self,
        params: Mapping[str, Any] | None = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[Model], int | None]: ...

    def list_models(
        self, params: Mapping[str, Any] | None = None, list_all: bool = False, page_size: int | None = None
    ) -> Page | tuple[RecordPages[Model], int | None]:
        """List models.

        Endpoint: ``GET models/``.

        Args:
            params: Filters.
            list_all: Return ``(models, count)`` with a lazy iterator over every page.
            page_size: Items per page.

        Returns:
            The first page, or ``(RecordPages, count)`` with ``list_all=True``.

        Example:
            ```python
            page = client.list_models(params={"plugin": 1})
            ```
        """
        return self._list_records("models/", params, list_all=list_all, page_size=page_size, record_type=Model)

    def get_model(
        self, pk: int | str, params: Mapping[str, Any] | None = None, url_conversion: UrlConversion = None
    ) -> Model:
        """Return a model.

        Endpoint: ``GET models/{pk}/``.

        Args:
            pk: The model's id.
            params: Query parameters.
            url_conversion: Download the model's file (``{"files_fields": ["file"]}``) and replace its URL with a
                local path (see [`resolve_url_conversion`][synapse_client.backend.listing.resolve_url_conversion]).

        Returns:
            The model.

        Example:
            ```python
            model = client.get_model(3, url_conversion={"files_fields": ["file"]})
            ```
        """
        result: Model = self._get_record(
            Model, f"models/{self._id(pk, 'model')}/", params=params, url_conversion=url_conversion
        )
        return result

    def create_model(self, data: Mapping[str, Any]) -> Model:
        """Register a model; its file is sent with the resumable chunked upload.

        Endpoint: ``POST models/`` with the fields of ``data``, where ``file`` (a path) is replaced by
        ``chunked_upload``: the id of a finished
        [`create_chunked_upload`][synapse_client.backend.core.CoreClientMixin.create_chunked_upload].

        Args:
            data: The model's fields, with ``file`` the path of the model file (optional).

        Returns:
            The created model.

        Raises:
            FileNotFoundError: If ``file`` does not exist.

        Example:
            ```python
            client.create_model({"name": "yolo", "plugin": 1, "file": "/models/yolo.zip"})
            ```
        """
        body = dict(data)
        file = body.pop("file", None)
        if file is not None:
            upload = self.create_chunked_upload(os.fspath(file), progress=False)
            body["chunked_upload"] = upload["id"]
        result: Model = self._record(Model, self._post("models/", json=body))
        return result

    @overload
    def list_ground_truth_events(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: Literal[False] = False,
        page_size: int | None = None,
    ) -> Page: ...

    @overload
    def list_ground_truth_events(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        *,
        list_all: Literal[True],
        page_size: int | None = None,
    ) -> tuple[RecordPages[Record], int | None]: ...

    @overload
    def list_ground_truth_events(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[Record], int | None]: ...

    def list_ground_truth_events(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[Record], int | None]:
        """List ground-truth events.

        Endpoint: ``GET sdk/ground_truth_events/``.

        Args:
            params: Filters, for example ``{"ground_truth_dataset_versions": 2}``.
            url_conversion: Download the files of each page's events (see
                [`resolve_url_conversion`][synapse_client.backend.listing.resolve_url_conversion]).
            list_all: Return ``(events, count)`` with a lazy iterator over every page.
            page_size: Items per page.

        Returns:
            The first page, or ``(RecordPages, count)`` with ``list_all=True``.

        Example:
            ```python
            events, count = client.list_ground_truth_events({"ground_truth_dataset_versions": 2}, list_all=True)
            ```
        """
        return self._list_records(
            "sdk/ground_truth_events/", params, list_all=list_all, page_size=page_size, record_type=Record,
            url_conversion=url_conversion,
        )  # fmt: skip

    def get_ground_truth_version(self, pk: int | str) -> Record:
        """Return a ground-truth dataset version.

        Endpoint: ``GET ground_truth_dataset_versions/{pk}/``.

        Args:
            pk: The version's id.

        Returns:
            The version.

        Example:
            ```python
            version = client.get_ground_truth_version(2)
            ```
        """
        result: Record = self._get_record(
            Record, f"ground_truth_dataset_versions/{self._id(pk, 'ground truth version')}/"
        )
        return result
