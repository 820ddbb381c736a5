"""Typed records for the backend's main resources, which keep every field the server sent.

Each record is a dataclass with the fields the SDK relies on, plus ``extra`` for anything else the server sends
(newer servers add fields; nothing is dropped). Records are also read-only mappings, so code written for the plain
dicts of earlier releases (``task["data"]``, ``job.get("status")``) keeps working, and
[`to_dict`][synapse_client.backend.models.Record.to_dict] gives back exactly what the server sent.

Example:
    >>> task = Task.from_dict({"id": 7, "project": 1, "data": {"a": 1}, "priority": 3})
    >>> task.id, task["priority"], task.extra
    (7, 3, {'priority': 3})
    >>> task.to_dict() == {"id": 7, "project": 1, "data": {"a": 1}, "priority": 3}
    True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from ..ray.jobs import JobStatus, is_terminal_status

__all__ = [
    "ChunkedUploadRecord",
    "DataCollection",
    "DataFile",
    "DataUnit",
    "FileSpecification",
    "Job",
    "JobStatus",
    "Model",
    "Plugin",
    "PluginRelease",
    "Project",
    "Record",
    "Storage",
    "Task",
]

_RecordT = TypeVar("_RecordT", bound="Record")
_MISSING = object()


@dataclass(eq=True)
class Record(Mapping[str, Any]):
    """Base of every record: typed fields plus ``extra``, readable as a mapping of what the server sent.

    Fields the server did not send stay at their defaults and are left out of
    [`to_dict`][synapse_client.backend.models.Record.to_dict] and of the mapping view.

    Attributes:
        id: The record's id (None for records the server has not numbered).
        extra: Every field the server sent that has no attribute here.

    Example:
        >>> record = Record.from_dict({"id": 1, "colour": "red"})
        >>> dict(record)
        {'id': 1, 'colour': 'red'}
    """

    id: Any = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    _sent: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    _hidden: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def from_dict(cls: type[_RecordT], data: Mapping[str, Any]) -> _RecordT:
        """Build a record from a server response, keeping unknown fields in ``extra``.

        Args:
            data: The JSON object the server sent.

        Returns:
            The record.

        Raises:
            TypeError: If ``data`` is not a mapping.

        Example:
            >>> Job.from_dict({"id": 3, "status": "running", "queue": "gpu"}).status
            'running'
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__} expects a JSON object, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls) if f.name not in ("extra", "_sent")}
        known = {key: value for key, value in data.items() if key in names}
        extra = {key: value for key, value in data.items() if key not in names}
        return cls(**known, extra=extra, _sent=frozenset(data))

    def to_dict(self) -> dict[str, Any]:
        """Return the record as the server sent it (with any changes made to the attributes since).

        Returns:
            A new dict: the typed fields that were sent or set, then ``extra``.

        Example:
            >>> Project.from_dict({"id": 1, "title": "Cats", "x": 0}).to_dict()
            {'id': 1, 'title': 'Cats', 'x': 0}
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("extra", "_sent"):
                continue
            value = getattr(self, f.name)
            if f.name in self._sent or value != _default_of(f):
                out[f.name] = value
        out.update(self.extra)
        return out

    def __getitem__(self, key: str) -> Any:
        value = self.to_dict().get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


def _default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return _MISSING


@dataclass(eq=True)
class Project(Record):
    """A project; its ``configuration`` holds the annotation classes.

    Example:
        >>> Project.from_dict({"id": 1, "title": "Cats", "configuration": {"classes": []}}).title
        'Cats'
    """

    title: str | None = None
    configuration: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=True)
class Task(Record):
    """A labeling task of a project, pointing at a data unit.

    Example:
        >>> Task.from_dict({"id": 2, "project": 1, "data_unit": 5}).data_unit
        5
    """

    project: Any = None
    data_unit: Any = None
    data: Any = None
    status: str | None = None


@dataclass(eq=True)
class FileSpecification(Record):
    """One file slot of a data collection: its name, whether it is required and its file type.

    Example:
        >>> FileSpecification.from_dict({"name": "image_1", "is_required": True, "file_type": "image"}).is_required
        True
    """

    name: str | None = None
    is_required: bool = False
    file_type: str | None = None


@dataclass(eq=True)
class DataCollection(Record):
    """A data collection and (when expanded) its file specifications.

    Example:
        >>> collection = DataCollection.from_dict(
        ...     {"id": 4, "name": "Street", "file_specifications": [{"name": "image_1", "is_required": True}]}
        ... )
        >>> [spec.name for spec in collection.specifications]
        ['image_1']
    """

    name: str | None = None
    file_specifications: list[dict[str, Any]] = field(default_factory=list)

    @property
    def specifications(self) -> list[FileSpecification]:
        """The file specifications as typed records.

        Example:
            >>> DataCollection.from_dict({"id": 1}).specifications
            []
        """
        return [FileSpecification.from_dict(spec) for spec in self.file_specifications if isinstance(spec, Mapping)]


@dataclass(eq=True)
class DataFile(Record):
    """An uploaded data file: its checksum (SHA-1) and size in bytes.

    Example:
        >>> DataFile.from_dict({"id": 9, "checksum": "ab", "size": 3}).size
        3
    """

    checksum: str | None = None
    size: int | None = None


@dataclass(eq=True)
class DataUnit(Record):
    """A data unit: files by specification name, metadata and its data collection.

    Example:
        >>> DataUnit.from_dict({"id": 1, "files": {"image_1": {"checksum": "ab", "path": "a.jpg"}}}).files["image_1"]
        {'checksum': 'ab', 'path': 'a.jpg'}
    """

    files: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    data_collection: Any = None


@dataclass(eq=True)
class Job(Record):
    """A backend job record (a plugin run).

    ``status`` is kept as the server sent it (older servers spell it in lower case, the current one in upper case);
    compare it through [`JobStatus`][synapse_client.ray.jobs.JobStatus], which reads either:
    ``JobStatus(job.status) is JobStatus.RUNNING``.

    Example:
        >>> Job.from_dict({"id": 1, "status": "succeeded"}).is_terminal
        True
        >>> JobStatus(Job.from_dict({"id": 1, "status": "running"}).status)
        <JobStatus.RUNNING: 'RUNNING'>
    """

    status: str | None = None
    progress_record: Any = None
    metrics_record: Any = None
    result: Any = None

    @property
    def is_terminal(self) -> bool:
        """Whether the job is stopped, succeeded or failed.

        Example:
            >>> Job.from_dict({"id": 1, "status": "running"}).is_terminal
            False
        """
        return is_terminal_status(self.status)


@dataclass(eq=True)
class Plugin(Record):
    """A plugin registered on the backend.

    Example:
        >>> Plugin.from_dict({"id": 1, "code": "yolo-export", "name": "YOLO export"}).code
        'yolo-export'
    """

    code: str | None = None
    name: str | None = None
    category: str | None = None


@dataclass(eq=True)
class PluginRelease(Record):
    """A published release of a plugin.

    Example:
        >>> PluginRelease.from_dict({"id": 2, "plugin": 1, "version": "1.0.0"}).version
        '1.0.0'
    """

    plugin: Any = None
    version: str | None = None


@dataclass(eq=True)
class Storage(Record):
    """A storage; its ``configuration`` holds credentials, so it never appears in the repr.

    Example:
        >>> storage = Storage.from_dict({"id": 1, "provider": "amazon_s3", "configuration": {"secret_key": "x"}})
        >>> "secret_key" in repr(storage)
        False
    """

    name: str | None = None
    category: str | None = None
    provider: str | None = None
    configuration: dict[str, Any] = field(default_factory=dict, repr=False)
    is_default: bool = False


@dataclass(eq=True)
class Model(Record):
    """A trained model registered on the backend.

    Example:
        >>> Model.from_dict({"id": 3, "name": "yolo", "plugin": 1}).name
        'yolo'
    """

    name: str | None = None
    plugin: Any = None
    file: Any = None


@dataclass(eq=True)
class ChunkedUploadRecord(Record):
    """A finished chunked upload: pass its ``id`` to ``create_data_file`` or ``create_model``.

    Example:
        >>> ChunkedUploadRecord.from_dict({"id": "a1b2", "filename": "x.zip"}).id
        'a1b2'
    """

    filename: str | None = None
