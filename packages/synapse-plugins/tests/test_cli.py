from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from synapse_plugins import __version__
from synapse_plugins.cli import cli


def test_version_option_prints_distribution_and_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"synapse-plugins {__version__}"


def test_console_script_entry_point_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "synapse_plugins", "--help"], capture_output=True, text=True, check=True
    )
    assert "Work with Synapse plugins and datasets." in out.stdout
