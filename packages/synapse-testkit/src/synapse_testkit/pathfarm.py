"""A PATH without some programs, the way a fresh machine looks: one folder of links to every other program.

Tests import it by plain name (the tests folders are on pytest's pythonpath).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def path_without(programs: Iterable[str], folder: Path, path: str | None = None) -> str:
    """Fill ``folder`` with links to every executable on ``path`` except ``programs``; return it as a PATH value.

    The first match of each name wins, as on the real PATH. ``path`` defaults to the current ``PATH``.
    """
    hidden = set(programs)
    folder.mkdir(parents=True, exist_ok=True)
    for directory in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep):
        if not directory or not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if entry.name in hidden or link.is_symlink() or link.exists():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                link.symlink_to(os.path.abspath(entry.path))
    return str(folder)
