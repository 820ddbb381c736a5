"""Resume state of an export, kept inside its folder (``.synapse-export/``) until the export completes.

``state.json`` records a fingerprint of the export's params; ``done-<run>-<n>.jsonl`` segments list the keys of the
items whose files were all written. Segments are new files (any storage can hold them, none needs appending), written
every ``flush_every`` items and when the export stops. A re-run with the same params finds the folder by its
fingerprint, reads the segments and skips those items; once the export completes the state folder is removed, so
a resumed export leaves exactly the files an uninterrupted one does.

Example:
    >>> import tempfile
    >>> from synapse_fileutils.storage import LocalStorage
    >>> from synapse_plugins.export.files import ExportFolder
    >>> folder = ExportFolder(LocalStorage(tempfile.mkdtemp()), "out")
    >>> manifest = ExportManifest(folder, "f1")
    >>> manifest.start()
    >>> manifest.add("7")
    >>> manifest.flush()
    >>> ExportManifest.read_fingerprint(folder), sorted(ExportManifest(folder, "f1").load())
    ('f1', ['7'])
    >>> manifest.remove()
    >>> folder.exists(STATE_DIR)
    False
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from .files import ExportFolder

__all__ = ["STATE_DIR", "ExportManifest", "fingerprint"]

#: The folder inside an export that holds its resume state (removed when the export completes).
STATE_DIR = ".synapse-export"
_STATE = f"{STATE_DIR}/state.json"


def fingerprint(exporter: str, params: Mapping[str, Any]) -> str:
    """Return a digest of what makes two exports the same: the exporter class and its JSON-serializable params.

    Args:
        exporter: The exporter's qualified class name.
        params: The exporter's params (values that are not JSON, such as generators, are left out, and so is
            ``count``, which the server recomputes).

    Returns:
        A hex digest.

    Example:
        >>> fingerprint("E", {"name": "a", "results": iter(())}) == fingerprint("E", {"name": "a"})
        True
    """
    kept: dict[str, Any] = {}
    for key, value in params.items():
        if key in ("count", "results"):
            continue
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        kept[key] = value
    text = json.dumps({"exporter": exporter, "params": kept}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ExportManifest:
    """The items an export has finished, kept in its folder so an interrupted export can resume.

    Args:
        folder: The export folder.
        fingerprint: The export's fingerprint.
        flush_every: Items between segment writes.
        flush_seconds: Longest time an item stays unrecorded while the export runs.
    """

    def __init__(self, folder: ExportFolder, fingerprint: str, *, flush_every: int = 500,
                 flush_seconds: float = 5.0) -> None:  # fmt: skip
        self.folder = folder
        self.fingerprint = fingerprint
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self._run = uuid.uuid4().hex[:12]
        self._segment = 0
        self._pending: list[str] = []
        self._last_flush = time.monotonic()

    @staticmethod
    def read_fingerprint(folder: ExportFolder) -> str | None:
        """Return the fingerprint of an unfinished export in ``folder`` (None when it holds no resume state)."""
        try:
            if not folder.exists(_STATE):
                return None
            state = json.loads(folder.read_bytes(_STATE))
        except (OSError, ValueError):
            return None
        value = state.get("fingerprint") if isinstance(state, dict) else None
        return value if isinstance(value, str) else None

    def start(self) -> None:
        """Mark the folder as an unfinished export with this fingerprint."""
        self.folder.write_json(_STATE, {"fingerprint": self.fingerprint, "version": 1})

    def load(self) -> set[str]:
        """Return the keys of the items earlier runs finished."""
        done: set[str] = set()
        for relative in self.folder.files(STATE_DIR):
            if not relative.rsplit("/", 1)[-1].startswith("done-"):
                continue
            for line in self.folder.read_bytes(relative).decode("utf-8", "replace").splitlines():
                if line.strip():
                    done.add(line.strip())
        return done

    def add(self, key: str) -> None:
        """Record one finished item (written with the next segment)."""
        self._pending.append(key)
        if len(self._pending) >= self.flush_every or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the pending keys as a new segment."""
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        self._segment += 1
        name = f"{STATE_DIR}/done-{self._run}-{self._segment:06d}.jsonl"
        self.folder.write_text(name, "".join(f"{key}\n" for key in self._pending))
        self._pending.clear()

    def remove(self) -> None:
        """Delete the resume state (the export completed), scratch files of earlier runs included."""
        self._pending.clear()
        local = getattr(self.folder.storage, "root", None)
        if local is not None:  # local storage: the whole folder at once
            import shutil

            shutil.rmtree(self.folder.storage.get_pathlib(self.folder.key(STATE_DIR)), ignore_errors=True)
            return
        for relative in list(self.folder.files(STATE_DIR)):
            self.folder.delete(relative)
