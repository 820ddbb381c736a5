"""The ``synapse`` command line: ``plugin create|run|publish``, ``job list|get|logs|stop``, ``convert``, ``config``.

Each command's module is imported only when that command runs, so ``synapse --help`` stays fast and nothing happens
at import time (no ``.env`` loading, no ``sys.path`` edits).

Exit codes: 0 success, 1 the action (or conversion, or remote call) failed, 2 bad usage, config or params, 130
interrupted.

Example:
    ```console
    $ synapse --version
    synapse-plugins 0.1.0
    $ synapse plugin create ./hello --code hello --name Hello --category pre_annotation --yes
    $ synapse plugin run pre_annotation --path ./hello --params '{"message": "hi"}'
    $ synapse convert --from dm --to coco ./dataset ./dataset-coco
    ```
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

from ..__about__ import __version__

__all__ = ["cli", "main"]

# command name -> "module:attribute" (relative to this package), imported when the command is used.
_COMMANDS = {
    "plugin": ".plugin:plugin",
    "job": ".job:job",
    "convert": ".convert:convert",
    "config": ".settings:config",
}


class _LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module, __name__), attribute)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="synapse-plugins", message="%(prog)s %(version)s")
@click.option("--verbose", "-v", is_flag=True, help="Turn on the SDK's own log messages (on standard error).")
def cli(verbose: bool) -> None:
    """Work with Synapse plugins and datasets.

    \b
    Examples:
      synapse plugin create ./my-plugin --code my-plugin --name "My plugin" --category export --yes
      synapse plugin run export --path ./my-plugin --params @params.json
      synapse plugin run export --method job --params @params.json   # on Ray (RAY_ADDRESS, else a local head)
      synapse job logs raysubmit_abc --follow
      synapse convert --from coco --to yolo ./coco ./yolo

    Settings come from flags, then the environment (SYNAPSE_HOST, SYNAPSE_ACCESS_TOKEN, SYNAPSE_TENANT,
    RAY_ADDRESS), then the per-user config file (`synapse config`).
    Shell completion: eval "$(_SYNAPSE_COMPLETE=bash_source synapse)" (zsh_source, fish_source for other shells).
    """  # noqa: D301 - click reads the \b marker to keep the examples unwrapped
    if verbose:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        for name in ("synapse_plugins", "synapse_client", "synapse_fileutils"):
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)


def main(args: list[str] | None = None) -> Any:
    """Run the ``synapse`` command line (the console script's entry point).

    Args:
        args: Arguments (default: ``sys.argv[1:]``).

    Returns:
        Nothing useful: click exits the process with the command's exit code.
    """
    return cli.main(args=args, prog_name="synapse")
