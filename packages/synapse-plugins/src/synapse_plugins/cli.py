"""The ``synapse`` command line.

Subcommands are added by the features that need them (``synapse convert``, ``synapse plugin ...``).

Example:
    .. code-block:: console

        $ synapse --version
        synapse-plugins 0.1.0
"""

from __future__ import annotations

import click

from .__about__ import __version__

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="synapse-plugins", message="%(prog)s %(version)s")
def cli() -> None:
    """Work with Synapse plugins and datasets."""


def main() -> None:
    """Run the ``synapse`` command line (the console script's entry point).

    Example:
        >>> import sys
        >>> sys.argv = ["synapse", "--help"]  # doctest: +SKIP
        >>> main()  # doctest: +SKIP
    """
    cli()
