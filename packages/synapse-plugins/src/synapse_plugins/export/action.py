"""The built-in ``export`` action: validate the params, open the target and the storage, run the plugin's exporter.

Example:
    >>> ExportAction.validate_params(
    ...     {"name": "out", "target": "local", "filter": {"path": "dataset"}, "path": "exports"}
    ... ).save_original_file
    True
    >>> ExportAction.progress_categories, ExportAction.metrics_categories
    ({'dataset_conversion': 100}, ['data_file', 'original_file'])
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..actions.hooks import HookAction
from ..categories import PluginCategory, RunMethod
from ..errors import ExportError
from ..types import NonBlankStr
from .exporter import BaseExporter
from .files import safe_file_name
from .targets import TARGETS, backend_client, open_storage, open_target

__all__ = ["ExportAction", "ExportParams"]


class ExportParams(BaseModel):
    """The ``export`` action's params.

    Attributes:
        name: The export folder's name (a plain name; ``name(1)``... when it exists).
        description: Free text.
        storage: A platform storage id; without it ``path`` is a local folder or a storage URL.
        path: The folder the export goes in, relative to the storage root (or the folder/URL itself).
        save_original_file: Also save each item's original file (the default applies).
        target: ``assignment``, ``ground_truth``, ``task`` or ``local``.
        filter: The target's filter (``project``, ``ground_truth_dataset_version``, or ``path`` for ``local``).
        extra_params: Plugin-specific params, passed to the exporter both flat and as ``extra_params``.
        download_workers: Original files downloading at the same time.

    Example:
        >>> from pydantic import ValidationError
        >>> try:
        ...     ExportParams(name="a", path="out", target="task", filter={})
        ... except ValidationError as exc:
        ...     print(exc.errors()[0]["msg"])
        Value error, filter: target 'task' needs filter.project
    """

    model_config = ConfigDict(extra="forbid")

    name: NonBlankStr
    description: str | None = None
    storage: int | None = None
    path: str = ""
    save_original_file: bool = True
    target: Literal["assignment", "ground_truth", "task", "local"]
    filter: dict[str, Any] = Field(default_factory=dict)
    extra_params: dict[str, Any] | None = None
    download_workers: int = Field(default=8, ge=1, le=64)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if safe_file_name(value, fallback="") != value:
            raise ValueError("must be a plain folder name (no '/', '\\\\', leading dots or control characters)")
        return value

    @model_validator(mode="after")
    def _filter_for_target(self) -> ExportParams:
        key = TARGETS[self.target]
        if self.filter.get(key) in (None, ""):
            raise ValueError(f"filter: target {self.target!r} needs filter.{key}")
        return self


class ExportAction(HookAction[ExportParams]):
    """Export a target's items through the plugin's ``BaseExporter`` subclass.

    The result is ``{"export_path": <unique export folder>, "count": <items the target held>}``.
    """

    name = "export"
    category = PluginCategory.EXPORT
    method = RunMethod.JOB
    params_model = ExportParams
    progress_categories: ClassVar[dict[str, Any]] = {"dataset_conversion": 100}
    metrics_categories: ClassVar[list[str]] = ["data_file", "original_file"]
    #: What a plugin's entrypoint must subclass.
    hook_base: ClassVar[type[BaseExporter]] = BaseExporter
    #: The exporter this action runs (``bind`` makes a subclass per plugin).
    hook_cls: ClassVar[type[BaseExporter]] = BaseExporter

    def start(self) -> dict[str, Any]:
        """Run the export.

        Returns:
            ``{"export_path", "count"}``.

        Raises:
            ExportError: The target, its filter or the storage cannot be used.
        """
        params = self.params
        env = self.context.env or {}
        needs_backend = params.target != "local" or params.storage is not None
        client = backend_client(env) if needs_backend else None
        if needs_backend and client is None:
            raise ExportError(f"target {params.target!r} needs the backend: set SYNAPSE_HOST and SYNAPSE_ACCESS_TOKEN "
                              "(allow the token with env_names), or use target 'local'")  # fmt: skip
        self.run.log_message("Export started.")
        storage, path_root = open_storage(params.storage, params.path, client)
        results = open_target(params.target, params.filter, client=client)
        self.run.log_message(f"{results.count} items found." if results.count else "No results found.")
        extra = dict(params.extra_params or {})
        exporter_params: dict[str, Any] = {
            **extra,
            "name": params.name,
            "description": params.description,
            "storage": params.storage,
            "path": params.path,
            "save_original_file": params.save_original_file,
            "target": params.target,
            "filter": dict(params.filter),
            "extra_params": extra,
            "count": results.count,
            "configuration": results.configuration,
            "project_id": results.project_id,
        }
        exporter = self.hook_cls(self.run, results.items, path_root, **exporter_params)
        exporter.export_storage = storage
        exporter.download_workers = params.download_workers
        folder = exporter.export()
        self.run.log_message("Export completed.", context="success")
        return {"export_path": str(folder), "count": results.count}
