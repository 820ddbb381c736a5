"""The typed model of a plugin's ``config.yaml``.

Unknown keys are refused (a typo such as ``smart_tool_type`` must not vanish silently), versions are SemVer, PEP 440
specifiers under ``requires`` are checked when the plugin is loaded.

Example:
    >>> config = PluginConfig.model_validate(
    ...     {
    ...         "code": "yolo-export",
    ...         "name": "YOLO export",
    ...         "version": "1.0.0",
    ...         "category": "export",
    ...         "actions": {"export": {"entrypoint": "plugin.export:Exporter"}},
    ...     }
    ... )
    >>> config.actions["export"].entrypoint
    'plugin.export:Exporter'
    >>> config.category.value
    'export'
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..categories import PluginCategory, RunMethod
from ..types import NonBlankStr, SlugStr

__all__ = [
    "ANNOTATION_TYPES",
    "DATA_TYPES",
    "ActionConfig",
    "PluginConfig",
    "Requirements",
    "split_entrypoint",
]

#: Data types a plugin can declare (``data_types``).
DATA_TYPES = ("image", "video", "audio", "text", "pcd")
#: Annotation types an action can declare (``annotation_types``).
ANNOTATION_TYPES = (*DATA_TYPES, "prompt")

DataType = Literal["image", "video", "audio", "text", "pcd"]
AnnotationType = Literal["image", "video", "audio", "text", "pcd", "prompt"]

# SemVer 2.0.0, https://semver.org (the official regex, without named groups).
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
# module.sub:Class, or module.sub.Class (the last dot splits); identifiers only, so nothing else can be imported.
_ENTRYPOINT = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?$")


def _semver(value: str) -> str:
    if not _SEMVER.match(value):
        raise ValueError("must be a SemVer version such as 1.0.0 (MAJOR.MINOR.PATCH)")
    return value


def _specifier(value: str) -> str:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        raise ValueError("must be a PEP 440 version specifier such as '>=3.10'") from None
    return value


def _entrypoint(value: str) -> str:
    if not _ENTRYPOINT.match(value):
        raise ValueError("must be 'module:Name' or 'module.Name' (dotted Python identifiers)")
    if ":" not in value and "." not in value:
        raise ValueError("must name a module and an object in it: 'module:Name' or 'module.Name'")
    return value


def split_entrypoint(entrypoint: str) -> tuple[str, str]:
    """Split an entrypoint into the module to import and the attribute path inside it.

    Args:
        entrypoint: ``module.sub:Class`` or ``module.sub.Class``.

    Returns:
        ``(module, attribute)``.

    Example:
        >>> split_entrypoint("plugin.export:Exporter")
        ('plugin.export', 'Exporter')
        >>> split_entrypoint("plugin.train.TrainAction")
        ('plugin.train', 'TrainAction')
    """
    if ":" in entrypoint:
        module, attribute = entrypoint.split(":", 1)
    else:
        module, _, attribute = entrypoint.rpartition(".")
    return module, attribute


SemVer = Annotated[str, AfterValidator(_semver)]
Specifier = Annotated[str, AfterValidator(_specifier)]
Entrypoint = Annotated[str, AfterValidator(_entrypoint)]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Requirements(_Strict):
    """What a plugin needs from the machine it runs on, as PEP 440 specifiers; checked when it is loaded.

    Attributes:
        sdk: Versions of ``synapse-plugins`` the plugin works with (``">=0.1,<1"``).
        python: Python versions (``">=3.10"``).

    Example:
        >>> Requirements(python=">=3.10").python
        '>=3.10'
    """

    sdk: Specifier | None = None
    python: Specifier | None = None


class ActionConfig(_Strict):
    """One entry of ``actions:`` in ``config.yaml``.

    Attributes:
        entrypoint: What runs the action: an [`Action`][synapse_plugins.actions.Action] subclass, a function
            ``fn(run, params)``, or the hook class a built-in action calls (``BaseExporter`` for ``export``), as
            ``module:Name`` or ``module.Name`` relative to the plugin folder. Without it, the action registered
            under this action's name (a built-in, or an installed package's entry point) runs.
        method: How the platform runs it (``job``, ``task``, ``restapi``); when absent, the action class's
            ``method``, else the built-in default for the action's name (``export`` and ``upload``: job).
        description: Shown on the platform.
        annotation_types: Annotation types the action handles (the platform's UI filter), e.g. ``[image]``.
        data_expand: Export only: ask the backend to expand each result's data (``expand=data``).

    Example:
        >>> ActionConfig(entrypoint="plugin.main:run", method="task").method.value
        'task'
    """

    entrypoint: Entrypoint | None = None
    method: RunMethod | None = None
    description: str = ""
    annotation_types: list[AnnotationType] = Field(default_factory=list)
    data_expand: bool = True


class PluginConfig(_Strict):
    """A plugin's ``config.yaml``, validated.

    Attributes:
        code: The plugin's identifier on the platform (lowercase letters, digits, ``-``, ``_``).
        name: Its display name.
        version: Its SemVer version (``1.2.0``).
        category: What it does ([`PluginCategory`][synapse_plugins.categories.PluginCategory]).
        description: A one-paragraph description.
        readme: The README file shown on the platform, relative to the plugin folder.
        package_manager: ``pip`` or ``uv``: what installs ``requirements.txt`` on the cluster.
        package_manager_options: Extra options for it (``["--no-cache"]``).
        data_types: Data types the plugin handles (the platform's filter).
        annotation_types: Annotation types every action handles unless the action says otherwise.
        requires: Versions of the SDK and Python the plugin needs; checked at load.
        env: Plain (non-secret) environment variables the action sees. These travel in Ray's ``runtime_env``,
            which Ray's dashboard shows: never put a secret here.
        actions: The plugin's actions by name.

    Example:
        >>> PluginConfig.model_validate(
        ...     {
        ...         "code": "hello",
        ...         "name": "Hello",
        ...         "version": "0.1.0",
        ...         "category": "pre_annotation",
        ...         "actions": {"greet": {"entrypoint": "plugin.main:greet"}},
        ...     }
        ... ).version
        '0.1.0'
    """

    code: SlugStr
    name: NonBlankStr
    version: SemVer
    category: PluginCategory
    description: str = ""
    readme: str = "README.md"
    package_manager: Literal["pip", "uv"] = "pip"
    package_manager_options: list[str] = Field(default_factory=list)
    data_types: list[DataType] = Field(default_factory=list)
    annotation_types: list[AnnotationType] = Field(default_factory=list)
    requires: Requirements = Field(default_factory=Requirements)
    env: dict[EnvName, str] = Field(default_factory=dict)
    actions: dict[SlugStr, ActionConfig] = Field(min_length=1)
