"""Settings for the CLI: flags, then the environment, then a per-user config file (mode 0600); ``synapse config``.

Keys and their environment variables:

| key | environment | what |
|---|---|---|
| ``host`` | ``SYNAPSE_HOST`` | the backend's URL |
| ``access_token`` | ``SYNAPSE_ACCESS_TOKEN`` | the backend access token (never printed) |
| ``tenant`` | ``SYNAPSE_TENANT`` | the tenant |
| ``ray_address`` | ``RAY_ADDRESS`` | the Ray dashboard (``http://host:8265``) or GCS (``host:6379``) address |

The file is ``$SYNAPSE_CONFIG_FILE`` if set, else ``$XDG_CONFIG_HOME/synapse/config.json`` (``~/.config/...``).

Example:
    >>> resolve("host", "http://flag", environ={"SYNAPSE_HOST": "http://env"})
    'http://flag'
    >>> resolve("host", None, environ={"SYNAPSE_HOST": "http://env"}, file_values={})
    'http://env'
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

__all__ = ["ENV_NAMES", "SECRET_KEYS", "config", "config_path", "read_config", "resolve", "write_config"]

ENV_NAMES = {
    "host": "SYNAPSE_HOST",
    "access_token": "SYNAPSE_ACCESS_TOKEN",
    "tenant": "SYNAPSE_TENANT",
    "ray_address": "RAY_ADDRESS",
}
SECRET_KEYS = frozenset({"access_token"})


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return the per-user config file's path.

    Args:
        environ: Where to read ``SYNAPSE_CONFIG_FILE`` and ``XDG_CONFIG_HOME`` (default: ``os.environ``).

    Returns:
        The path (it may not exist).

    Example:
        >>> str(config_path({"SYNAPSE_CONFIG_FILE": "/tmp/s.json"}))
        '/tmp/s.json'
    """
    env = os.environ if environ is None else environ
    if env.get("SYNAPSE_CONFIG_FILE"):
        return Path(env["SYNAPSE_CONFIG_FILE"])
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "synapse" / "config.json"


def read_config(path: Path | None = None) -> dict[str, str]:
    """Read the config file; a missing file is empty, a damaged one is an error.

    Args:
        path: The file (default: [`config_path`][synapse_plugins.cli.settings.config_path]).

    Returns:
        The stored values.

    Raises:
        click.ClickException: If the file is not a JSON object of strings.
    """
    path = path or config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise click.ClickException(f"{path}: expected a JSON object of strings")
    return {str(k): v for k, v in data.items() if k in ENV_NAMES}


def write_config(values: Mapping[str, str], path: Path | None = None) -> Path:
    """Write the config file atomically with mode 0600 (it holds a token).

    Args:
        values: Every key to store.
        path: The file (default: [`config_path`][synapse_plugins.cli.settings.config_path]).

    Returns:
        The path written.
    """
    from synapse_fileutils.atomic import atomic_write

    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with atomic_write(path) as handle:
        os.fchmod(handle.fileno(), 0o600)  # before the token is written, not after
        handle.write(json.dumps(dict(values), indent=2, sort_keys=True).encode("utf-8"))
    return path


def resolve(
    key: str,
    flag: str | None,
    *,
    environ: Mapping[str, str] | None = None,
    file_values: Mapping[str, str] | None = None,
) -> str | None:
    """Return a setting: the flag's value, else the environment's, else the config file's.

    Args:
        key: One of ``host``, ``access_token``, ``tenant``, ``ray_address``.
        flag: The value given on the command line, if any.
        environ: The environment (default: ``os.environ``).
        file_values: The config file's values (default: read it).

    Returns:
        The value, or None when none of the three has it.

    Example:
        >>> resolve("tenant", None, environ={}, file_values={"tenant": "acme"})
        'acme'
    """
    if flag:
        return flag
    env = os.environ if environ is None else environ
    if env.get(ENV_NAMES[key]):
        return env[ENV_NAMES[key]]
    values = read_config() if file_values is None else file_values
    return values.get(key) or None


def _shown(key: str, value: str) -> str:
    if key in SECRET_KEYS:
        return f"{value[:2]}***" if len(value) > 8 else "***"
    return value


@click.group("config")
def config() -> None:
    """Show or change the per-user settings file (mode 0600).

    \b
    Examples:
      synapse config set host https://synapse.example.com
      synapse config set access_token   # prompts without echo
      synapse config show
    """  # noqa: D301 - click reads the \b marker to keep the examples unwrapped


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (tokens masked).")
def show(as_json: bool) -> None:
    """Print each setting and where it comes from (tokens masked)."""
    from ._output import echo_json

    stored = read_config()
    rows: dict[str, dict[str, Any]] = {}
    for key, env in ENV_NAMES.items():
        if os.environ.get(env):
            rows[key] = {"value": _shown(key, os.environ[env]), "source": f"environment {env}"}
        elif key in stored:
            rows[key] = {"value": _shown(key, stored[key]), "source": str(config_path())}
        else:
            rows[key] = {"value": None, "source": "unset"}
    if as_json:
        echo_json(rows)
        return
    for key, row in rows.items():
        click.echo(f"{key:13} {row['value'] or '-':40} ({row['source']})")


@config.command("set")
@click.argument("key", type=click.Choice(sorted(ENV_NAMES)))
@click.argument("value", required=False)
def set_(key: str, value: str | None) -> None:
    """Store KEY in the settings file (a token is asked for without echo when VALUE is left out)."""
    if value is None:
        value = click.prompt(key, hide_input=key in SECRET_KEYS)
    values = read_config()
    values[key] = value
    path = write_config(values)
    click.echo(f"{key} saved to {path}")


@config.command("unset")
@click.argument("key", type=click.Choice(sorted(ENV_NAMES)))
def unset(key: str) -> None:
    """Remove KEY from the settings file."""
    values = read_config()
    values.pop(key, None)
    write_config(values)
    click.echo(f"{key} removed")
