"""Read JSON and YAML files into dicts, and find the per-user temp folder.

YAML is read with ``yaml.safe_load`` (no Python objects are ever built from tags); PyYAML is imported only when a YAML
file is read. A malformed file raises :class:`~synapse_fileutils.errors.FileFormatError` naming the file, line and
column.

Example:
    >>> import json, tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    ...     json.dump({"name": "demo"}, f)
    >>> get_dict_from_file(f.name)
    {'name': 'demo'}
    >>> os.remove(f.name)
"""

from __future__ import annotations

import os

from .errors import FileFormatError, FileUtilsError

TYPE_CHECKING = False
# Annotations only: typing and collections.abc stay off the import path (import-time budget, DESIGN.md section 4).
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

__all__ = ["CACHE_DIR_ENV", "TEMP_DIR_ENV", "get_cache_dir", "get_dict_from_file", "get_temp_path"]

#: Environment variable that overrides the folder returned by :func:`get_temp_path`.
TEMP_DIR_ENV = "SYNAPSE_TEMP_DIR"
#: Environment variable that moves the per-user cache (downloads, ``FileField`` files) elsewhere.
CACHE_DIR_ENV = "SYNAPSE_CACHE_DIR"

_YAML_SUFFIXES = (".yaml", ".yml")


def get_dict_from_file(file_path: str | os.PathLike[str]) -> dict[str, Any]:
    r"""Load a JSON or YAML file whose top level is a mapping.

    ``.yaml`` and ``.yml`` files are read as YAML (safe loader); any other suffix is read as JSON, as before. The file
    is decoded as UTF-8 (a byte order mark is accepted). An empty YAML file gives an empty dict.

    Args:
        file_path: Path of the file.

    Returns:
        The mapping at the top level of the file.

    Raises:
        FileNotFoundError: If the file does not exist.
        FileFormatError: If the content is not valid UTF-8, JSON or YAML, or its top level is not a mapping; the error
            carries ``.path``, ``.line`` and ``.column`` (1-based) when the parser knows them. Also a ``ValueError``.

    Example:
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        ...     _ = f.write("name: demo\nsizes: [1, 2]\n")
        >>> get_dict_from_file(f.name)
        {'name': 'demo', 'sizes': [1, 2]}
        >>> with open(f.name, "w") as bad:
        ...     _ = bad.write("name: demo\n  broken: [\n")
        >>> try:
        ...     get_dict_from_file(f.name)
        ... except FileFormatError as exc:
        ...     print(exc.line)
        2
        >>> os.remove(f.name)
    """
    from pathlib import Path

    path = Path(file_path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise FileFormatError(path, f"not valid UTF-8 ({exc.reason})", line=line) from exc
    data = _load_yaml(path, text) if path.suffix.lower() in _YAML_SUFFIXES else _load_json(path, text)
    if not isinstance(data, dict):
        raise FileFormatError(path, f"expected a mapping at the top level, found {type(data).__name__}")
    return data


def _load_json(path: Path, text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(path, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from exc
    except RecursionError:  # "[[[[..." nested deeper than the interpreter's stack: a hostile file, not a crash
        raise FileFormatError(path, "invalid JSON: nested too deeply") from None


def _load_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise FileFormatError(path, "invalid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None:  # where the unclosed construct began, often the real mistake
            problem += f" ({context} started at line {context_mark.line + 1})"
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        raise FileFormatError(path, f"invalid YAML: {problem}", line=line, column=column) from exc
    return {} if data is None else data


def get_temp_path(sub_path: str | os.PathLike[str] | None = None) -> Path:
    """Return a path inside this user's Synapse temp folder.

    The folder is ``$SYNAPSE_TEMP_DIR`` when that variable is set, else ``synapse-<uid>`` in the system temp folder
    (:func:`tempfile.gettempdir`, usually ``/tmp``; ``synapse`` on Windows, whose temp folder is already per user).
    It is created with mode 0700 if missing; a folder that exists but belongs to another user, or is a symbolic link,
    is refused, so another account on a shared machine cannot read or plant files there. ``sub_path`` itself is not
    created.

    Args:
        sub_path: A relative path to append, or ``None`` for the folder itself.

    Returns:
        The absolute path.

    Raises:
        ValueError: If ``sub_path`` is absolute or contains ``..``.
        FileUtilsError: If the temp folder is a symbolic link or belongs to another user.

    Example:
        >>> base = get_temp_path()
        >>> base.is_dir()
        True
        >>> get_temp_path("exports/run-1.zip") == base / "exports" / "run-1.zip"
        True
    """
    import tempfile
    from pathlib import Path

    override = os.environ.get(TEMP_DIR_ENV)
    uid = getattr(os, "getuid", lambda: None)()
    if override:
        base = Path(override).absolute()
    else:
        base = Path(tempfile.gettempdir()) / ("synapse" if uid is None else f"synapse-{uid}")
    return _inside_private_folder(base, sub_path, "temp")


def get_cache_dir(sub_path: str | os.PathLike[str] | None = None) -> Path:
    """Return a path inside this user's Synapse cache: the one place downloads and ``FileField`` files are kept.

    The cache root is ``$SYNAPSE_CACHE_DIR`` when that variable is set, else ``$XDG_CACHE_HOME/synapse-sdk``, else
    ``~/.cache/synapse-sdk``. Like :func:`get_temp_path`, the root is created with mode 0700 and refused when it is a
    symbolic link or belongs to another user. ``sub_path`` itself is not created.

    Args:
        sub_path: A relative path to append (``"downloads"``, ``"data-uri"``), or ``None`` for the root.

    Returns:
        The absolute path.

    Raises:
        ValueError: If ``sub_path`` is absolute or contains ``..``.
        FileUtilsError: If the cache root is a symbolic link or belongs to another user.

    Example:
        >>> import tempfile
        >>> os.environ["SYNAPSE_CACHE_DIR"] = tempfile.mkdtemp()
        >>> get_cache_dir("downloads") == get_cache_dir() / "downloads"
        True
        >>> del os.environ["SYNAPSE_CACHE_DIR"]
    """
    from pathlib import Path

    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        base = Path(override).expanduser().absolute()
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "synapse-sdk"
    return _inside_private_folder(base, sub_path, "cache")


def _inside_private_folder(base: Path, sub_path: str | os.PathLike[str] | None, what: str) -> Path:
    """Create ``base`` (0700) if missing, refuse it if it is a link or another user's, and append ``sub_path``."""
    from pathlib import Path

    uid = getattr(os, "getuid", lambda: None)()
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = base.lstat()
    if base.is_symlink() or (uid is not None and info.st_uid != uid):
        raise FileUtilsError(f"refusing {what} folder {os.fspath(base)!r}: it is a link or belongs to another user")
    if sub_path is None:
        return base
    relative = Path(sub_path)
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"sub_path must be a relative path inside the {what} folder, got {os.fspath(sub_path)!r}")
    return base / relative
