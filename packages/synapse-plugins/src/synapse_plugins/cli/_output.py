"""How the CLI reports: exit codes, one-line errors, field errors per field, JSON output.

Example:
    >>> from synapse_plugins.errors import ParamsError
    >>> exit_code_for(ParamsError({"name": ["Field required"]}))
    2
    >>> render_error(ParamsError({"name": ["Field required"]}, action="export"))
    ["invalid params for action 'export':", '  name: Field required']
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "echo_json", "exit_code_for", "fail",
           "render_error", "reporting_errors"]  # fmt: skip

EXIT_OK = 0
#: The action, conversion or remote call failed.
EXIT_FAILED = 1
#: Bad usage, config.yaml or params: nothing ran.
EXIT_USAGE = 2
#: Interrupted (Ctrl-C).
EXIT_INTERRUPTED = 130


def exit_code_for(error: BaseException) -> int:
    """Map an error to the CLI's exit code.

    Args:
        error: What was raised.

    Returns:
        2 for config, params, lookup and OS errors (nothing ran), 130 for an interruption or a stopped run, else 1.

    Example:
        >>> exit_code_for(KeyboardInterrupt())
        130
    """
    from ..errors import ActionLoadError, ActionNotFoundError, ParamsError, PluginConfigError, RunStoppedError

    if isinstance(error, (KeyboardInterrupt, RunStoppedError)):
        return EXIT_INTERRUPTED
    if isinstance(error, (PluginConfigError, ParamsError, ActionNotFoundError, ActionLoadError, OSError)):
        return EXIT_USAGE
    return EXIT_FAILED


def _field_lines(tree: Any, prefix: str = "") -> list[str]:
    if isinstance(tree, dict):
        lines: list[str] = []
        for key, value in tree.items():
            lines += _field_lines(value, f"{prefix}.{key}" if prefix else str(key))
        return lines
    if isinstance(tree, list):
        return [f"  {prefix}: {message}" for message in tree]
    return [f"  {prefix}: {tree}"]


def render_error(error: BaseException) -> list[str]:
    """Return the lines that describe an error to a user (no traceback).

    Args:
        error: What was raised.

    Returns:
        One line, or for params errors a header and one line per field.

    Example:
        >>> render_error(OSError(2, "No such file or directory", "out/x"))
        ["No such file or directory: 'out/x'"]
    """
    from ..errors import ParamsError

    if isinstance(error, ParamsError):
        owner = f" for action {error.action!r}" if error.action else ""
        return [f"invalid params{owner}:", *_field_lines(error.field_errors)]
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename!r}" if error.filename else ""
        return [f"{error.strerror}{where}"]
    text = str(error) or type(error).__name__
    return [text.splitlines()[0] if text else type(error).__name__]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``error: message`` on standard error and exit.

    Args:
        message: One line.
        code: The exit code.

    Raises:
        SystemExit: Always.
    """
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextlib.contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn the SDK's errors into one-line messages and exit codes instead of tracebacks.

    Raises:
        SystemExit: With the error's exit code.
    """
    from synapse_client.errors import ClientError

    from ..errors import PluginError

    try:
        yield
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except (PluginError, ClientError, OSError) as exc:
        lines = render_error(exc)
        click.echo(f"error: {lines[0]}", err=True)
        for line in lines[1:]:
            click.echo(line, err=True)
        sys.exit(exit_code_for(exc))


def echo_json(data: Any) -> None:
    """Print data as indented JSON on standard output.

    Args:
        data: JSON-serializable data (other objects are written with ``str``).

    Example:
        >>> echo_json({"a": 1})
        {
          "a": 1
        }
    """
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
