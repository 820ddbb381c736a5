"""Projects, tasks and task tags.

Example:
    ```python
    project = client.get_project(1)
    tasks, count = client.list_tasks(params={"project": 1}, list_all=True)
    ```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, overload

from .listing import BackendMixinBase, Page, RecordPages, UrlConversion, as_json_list
from .models import Project, Record, Task

__all__ = ["AnnotationClientMixin"]


class AnnotationClientMixin(BackendMixinBase):
    """Projects (``projects/``), tasks (``tasks/``, ``sdk/tasks/``) and task tags (``task_tags/``).

    Example:
        ```python
        client.annotate_task_data(7, {"annotations": []})
        ```
    """

    def get_project(self, pk: int | str) -> Project:
        """Return a project; its ``configuration`` holds the annotation classes.

        Endpoint: ``GET projects/{pk}/``.

        Args:
            pk: The project's id.

        Returns:
            The project.

        Raises:
            BadRequestError: (400) for an invalid id.
            NotFoundError: (404) if there is no such project.

        Example:
            ```python
            classes = client.get_project(1).configuration.get("classes", [])
            ```
        """
        result: Project = self._get_record(Project, f"projects/{self._id(pk, 'project')}/")
        return result

    def get_task(
        self, pk: int | str, params: Mapping[str, Any] | None = None, url_conversion: UrlConversion = None
    ) -> Task:
        """Return a task.

        Endpoint: ``GET tasks/{pk}/``.

        Args:
            pk: The task's id.
            params: Query parameters (for example ``{"expand": "data_unit"}``).
            url_conversion: Download the files the task refers to and replace their URLs with local paths (see
                [`resolve_url_conversion`][synapse_client.backend.listing.resolve_url_conversion]).

        Returns:
            The task.

        Raises:
            NotFoundError: (404) if there is no such task.

        Example:
            ```python
            task = client.get_task(7, params={"expand": "data_unit"})
            ```
        """
        result: Task = self._get_record(
            Task, f"tasks/{self._id(pk, 'task')}/", params=params, url_conversion=url_conversion
        )
        return result

    def annotate_task_data(self, pk: int | str, data: Any, action: str = "submit") -> Any:
        """Submit annotation data for a task.

        Endpoint: ``PUT tasks/{pk}/annotate_task_data/`` with ``{"action": action, "data": data}``. A mapping that
        already has an ``action`` key is sent as is (as earlier releases did).

        Args:
            pk: The task's id.
            data: The annotation data.
            action: What to do with it; ``"submit"`` by default.

        Returns:
            The server's answer.

        Raises:
            BadRequestError: (400) if the server refuses the data (field errors in ``body``).

        Example:
            ```python
            client.annotate_task_data(7, {"annotations": [{"id": "a1", "classification": {"class": "cat"}}]})
            ```
        """
        body = data if isinstance(data, Mapping) and "action" in data else {"action": action, "data": data}
        return self._put(f"tasks/{self._id(pk, 'task')}/annotate_task_data/", json=body)

    @overload
    def list_tasks(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: Literal[False] = False,
        page_size: int | None = None,
    ) -> Page: ...

    @overload
    def list_tasks(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        *,
        list_all: Literal[True],
        page_size: int | None = None,
    ) -> tuple[RecordPages[Task], int | None]: ...

    @overload
    def list_tasks(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[Task], int | None]: ...

    def list_tasks(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[Task], int | None]:
        """List tasks.

        Endpoint: ``GET sdk/tasks/``.

        Args:
            params: Filters, for example ``{"project": 1}``.
            url_conversion: Download the files of each page's tasks (see
                [`resolve_url_conversion`][synapse_client.backend.listing.resolve_url_conversion]).
            list_all: Return ``(tasks, count)`` with a lazy iterator over every page instead of the first page.
            page_size: Items per page.

        Returns:
            The first page ``{"count", "next", "previous", "results"}``, or ``(RecordPages, count)`` with
            ``list_all=True``.

        Example:
            ```python
            tasks, count = client.list_tasks(params={"project": 1}, list_all=True)
            for task in tasks:
                print(task.id)
            ```
        """
        return self._list_records(
            "sdk/tasks/", params, list_all=list_all, page_size=page_size, record_type=Task,
            url_conversion=url_conversion,
        )  # fmt: skip

    def create_tasks(self, data: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> Any:
        """Create tasks.

        Endpoint: ``POST tasks/`` with a list of ``{"project": ..., "data_unit": ...}``.

        Args:
            data: One task or a list of tasks.

        Returns:
            The created tasks.

        Example:
            ```python
            client.create_tasks([{"project": 1, "data_unit": 10}, {"project": 1, "data_unit": 11}])
            ```
        """
        return self._post("tasks/", json=as_json_list(data))

    def set_tags_tasks(self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> Any:
        """Set tags on tasks.

        Endpoint: ``POST tasks/set_tags/``.

        Args:
            data: For example ``{"ids": [1, 2], "tags": [3], "action": "add"}``.
            params: Query parameters.

        Returns:
            The server's answer.

        Example:
            ```python
            client.set_tags_tasks({"ids": [1, 2], "tags": [3], "action": "add"})
            ```
        """
        return self._post("tasks/set_tags/", json=dict(data), params=dict(params) if params else None)

    def get_task_tag(self, pk: int | str) -> Record:
        """Return a task tag.

        Endpoint: ``GET task_tags/{pk}/``.

        Args:
            pk: The tag's id.

        Returns:
            The tag.

        Example:
            ```python
            client.get_task_tag(3)["name"]
            ```
        """
        result: Record = self._get_record(Record, f"task_tags/{self._id(pk, 'task tag')}/")
        return result

    @overload
    def list_task_tags(
        self,
        params: Mapping[str, Any] | None = None,
        list_all: Literal[False] = False,
        page_size: int | None = None,
    ) -> Page: ...

    @overload
    def list_task_tags(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        list_all: Literal[True],
        page_size: int | None = None,
    ) -> tuple[RecordPages[Record], int | None]: ...

    @overload
    def list_task_tags(
        self,
        params: Mapping[str, Any] | None = None,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Page | tuple[RecordPages[Record], int | None]: ...

    def list_task_tags(
        self, params: Mapping[str, Any] | None = None, list_all: bool = False, page_size: int | None = None
    ) -> Page | tuple[RecordPages[Record], int | None]:
        """List task tags.

        Endpoint: ``GET task_tags/``.

        Args:
            params: Filters, for example ``{"project": 1}``.
            list_all: Return ``(tags, count)`` with a lazy iterator over every page.
            page_size: Items per page.

        Returns:
            The first page, or ``(RecordPages, count)`` with ``list_all=True``.

        Example:
            ```python
            page = client.list_task_tags(params={"project": 1})
            ```
        """
        return self._list_records("task_tags/", params, list_all=list_all, page_size=page_size, record_type=Record)
