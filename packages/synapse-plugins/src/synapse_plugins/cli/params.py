"""Parse params given on the command line: ``--params JSON|@file`` and repeatable ``-p NAME=TYPE:VALUE``.

Example:
    >>> parse_params('{"a": 1}', ("b=int:2", "c=hello", "d=json:[1, 2]", "e=bool:yes"))
    {'a': 1, 'b': 2, 'c': 'hello', 'd': [1, 2], 'e': True}
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

__all__ = ["parse_params"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# A params file is a form's worth of JSON; a bigger one is refused before it is read.
_MAX_PARAMS_BYTES = 16 * 1024 * 1024


def _json_object(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise click.BadParameter(f"{where} is not JSON: {exc}", param_hint="--params") from None
    if not isinstance(value, dict):
        raise click.BadParameter(f"{where} must be a JSON object", param_hint="--params")
    return value


def _typed(item: str) -> tuple[str, Any]:
    name, sep, rest = item.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{item!r}: expected NAME=VALUE or NAME=TYPE:VALUE", param_hint="-p")
    kind, colon, value = rest.partition(":")
    if not colon or kind not in ("str", "int", "float", "bool", "json"):
        return name, rest
    try:
        if kind == "int":
            return name, int(value)
        if kind == "float":
            return name, float(value)
        if kind == "bool":
            lowered = value.lower()
            if lowered not in _TRUE | _FALSE:
                raise ValueError(f"not a boolean: {value!r}")
            return name, lowered in _TRUE
        if kind == "json":
            return name, json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise click.BadParameter(f"{item!r}: {exc}", param_hint="-p") from None
    return name, value


def parse_params(params: str | None, items: Sequence[str] = ()) -> dict[str, Any]:
    """Merge ``--params`` (a JSON object, or ``@file``) with ``-p`` items (later ones win).

    Args:
        params: A JSON object's text, ``@path`` to a file holding one, ``@-`` for standard input, or None.
        items: ``NAME=VALUE`` (a string) or ``NAME=TYPE:VALUE`` with TYPE str, int, float, bool or json.

    Returns:
        The params.

    Raises:
        click.BadParameter: For text that is not a JSON object, a missing file, or a bad item.

    Example:
        >>> parse_params(None, ("epochs=int:3",))
        {'epochs': 3}
    """
    result: dict[str, Any] = {}
    if params:
        if params.startswith("@"):
            where = params[1:]
            if where == "-":
                text = sys.stdin.read(_MAX_PARAMS_BYTES + 1)
            else:
                path = Path(where)
                try:
                    if path.stat().st_size > _MAX_PARAMS_BYTES:
                        raise click.BadParameter(f"{where} is larger than 16 MiB", param_hint="--params")
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise click.BadParameter(f"cannot read {where}: {exc}", param_hint="--params") from None
            if len(text) > _MAX_PARAMS_BYTES:
                raise click.BadParameter("params larger than 16 MiB", param_hint="--params")
            result.update(_json_object(text, where))
        else:
            result.update(_json_object(params, "--params"))
    for item in items:
        name, value = _typed(item)
        result[name] = value
    return result
