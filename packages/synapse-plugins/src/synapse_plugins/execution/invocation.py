"""``Invocation``: everything that crosses a process boundary to run an action, as plain data.

Every execution method (local, Ray task, Ray job, Serve) takes the same invocation, so a test written for local
proves the others. It carries the params as JSON text (passed byte for byte, never interpolated into a command
line) and the *names*, never the values, of the environment variables the action may see.

Example:
    >>> inv = Invocation.create("examples/yolo-export", "export", {"name": "run $(id)"}, job_id="12")
    >>> Invocation.from_json(inv.to_json()) == inv
    True
    >>> inv.params["name"]
    'run $(id)'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ENV_ALLOWED_BY_DEFAULT", "Invocation"]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Environment variables an action sees by default (none carries a secret).
ENV_ALLOWED_BY_DEFAULT = ("SYNAPSE_LANGUAGE", "SYNAPSE_HOST", "SYNAPSE_TENANT")


@dataclass(frozen=True)
class Invocation:
    """One request to run an action.

    Attributes:
        plugin_path: The plugin folder (on the machine that runs it; a Ray job gets its packaged copy).
        action: The action's name.
        params_json: The params, as a JSON object's text.
        job_id: The platform job this run reports to, if any.
        env_names: Names of environment variables the action may read (an allow-list).

    Example:
        >>> Invocation.create("p", "a", None).params
        {}
    """

    plugin_path: str
    action: str
    params_json: str = "{}"
    job_id: str | None = None
    env_names: tuple[str, ...] = field(default=ENV_ALLOWED_BY_DEFAULT)

    def __post_init__(self) -> None:
        if not isinstance(self.action, str) or not self.action:
            raise ValueError("Invocation.action must be a non-empty string")
        for name in self.env_names:
            if not _ENV_NAME.match(name):
                raise ValueError(f"Invocation.env_names: {name!r} is not an environment variable name")
        if not isinstance(json.loads(self.params_json), dict):
            raise ValueError("Invocation.params_json must be a JSON object")

    @classmethod
    def create(
        cls,
        plugin_path: str | os.PathLike[str],
        action: str,
        params: Mapping[str, Any] | None,
        *,
        job_id: str | int | None = None,
        env_names: Iterable[str] = ENV_ALLOWED_BY_DEFAULT,
    ) -> Invocation:
        """Build an invocation from a params mapping.

        Args:
            plugin_path: The plugin folder.
            action: The action's name.
            params: The params (JSON-serializable), or None for ``{}``.
            job_id: The platform job id.
            env_names: Environment variable names the action may read.

        Returns:
            The invocation.

        Raises:
            TypeError: If the params cannot be serialized to JSON.

        Example:
            >>> Invocation.create("p", "a", {"x": 1}).params_json
            '{"x": 1}'
        """
        text = json.dumps(dict(params or {}), ensure_ascii=False, allow_nan=False)
        return cls(
            plugin_path=os.fspath(plugin_path),
            action=action,
            params_json=text,
            job_id=None if job_id is None else str(job_id),
            env_names=tuple(dict.fromkeys(env_names)),
        )

    @property
    def params(self) -> dict[str, Any]:
        """The params, parsed.

        Example:
            >>> Invocation("p", "a", '{"k": "v"}').params
            {'k': 'v'}
        """
        value: dict[str, Any] = json.loads(self.params_json)
        return value

    def allowed_env(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Return the allowed variables that are set in ``environ`` (default: this process's environment).

        Args:
            environ: Where to read them.

        Returns:
            ``{name: value}`` for each allowed name that is set.

        Example:
            >>> Invocation("p", "a", env_names=("A", "B")).allowed_env({"A": "1", "C": "3"})
            {'A': '1'}
        """
        source = os.environ if environ is None else environ
        return {name: source[name] for name in self.env_names if name in source}

    def to_json(self) -> str:
        """Serialize the invocation (for a file in a Ray job's working dir, or a task argument).

        Example:
            >>> '"action": "a"' in Invocation("p", "a").to_json()
            True
        """
        return json.dumps(
            {
                "plugin_path": self.plugin_path,
                "action": self.action,
                "params_json": self.params_json,
                "job_id": self.job_id,
                "env_names": list(self.env_names),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Invocation:
        """Read an invocation written by ``to_json``.

        Args:
            text: The JSON text.

        Returns:
            The invocation.

        Raises:
            ValueError: If the text is not an invocation.

        Example:
            >>> Invocation.from_json('{"plugin_path": "p", "action": "a"}').action
            'a'
        """
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("an invocation is a JSON object")
        unknown = set(data) - {"plugin_path", "action", "params_json", "job_id", "env_names"}
        if unknown:
            raise ValueError(f"unknown invocation fields: {', '.join(sorted(unknown))}")
        try:
            return cls(
                plugin_path=str(data["plugin_path"]),
                action=str(data["action"]),
                params_json=str(data.get("params_json", "{}")),
                job_id=None if data.get("job_id") is None else str(data["job_id"]),
                env_names=tuple(data.get("env_names", ENV_ALLOWED_BY_DEFAULT)),
            )
        except KeyError as exc:
            raise ValueError(f"invocation lacks {exc.args[0]!r}") from None
