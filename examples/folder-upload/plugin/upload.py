"""Upload a folder into a data collection, one data unit per file stem, with metadata from ``metadata.json``.

The source folder holds one subfolder per file specification (``image_1/``...), as the base ``Uploader`` organizes
it, and optionally ``metadata.json``: ``{"<stem>": {"camera": "front", ...}}``, merged into each unit's ``meta``.
``extra_params.only_extensions`` (for example ``[".jpg", ".png"]``) drops units whose primary file has another suffix.
"""

from __future__ import annotations

import json
from typing import Any

from synapse_plugins.upload import UploadEntry, Uploader


class FolderUploader(Uploader):
    """Adds ``metadata.json`` entries to the units and filters them by extension."""

    def handle_upload_files(self) -> list[UploadEntry]:
        """Return the organized units with their metadata, filtered by ``only_extensions``."""
        sidecar = self.path / "metadata.json"
        metadata: dict[str, Any] = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
        allowed = {suffix.lower() for suffix in self.extra_params.get("only_extensions", [])}
        units: list[UploadEntry] = []
        for entry in self.organized_files:
            primary = next(iter(entry["files"].values()))
            if allowed and primary.suffix.lower() not in allowed:
                self.run.log_message(f"Skipped {primary.name}: not one of {sorted(allowed)}", context="warning")
                continue
            stem = entry["meta"]["origin_file_stem"]
            units.append({"files": entry["files"], "meta": {**entry["meta"], **metadata.get(stem, {})}})
        return units
