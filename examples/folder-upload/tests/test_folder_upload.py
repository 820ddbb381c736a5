"""The folder upload plugin against the backend protocol server."""

from __future__ import annotations

import json
from pathlib import Path

import synapse_client.testing as backend_server
from synapse_plugins.execution import Invocation, execute
from synapse_plugins.run.loggers import MemoryLogger

PLUGIN = Path(__file__).resolve().parents[1]
ENV_NAMES = ("SYNAPSE_HOST", "SYNAPSE_ACCESS_TOKEN", "SYNAPSE_TENANT")


def test_units_get_their_metadata_and_other_extensions_are_skipped(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "image_1").mkdir(parents=True)
    for name in ("a.jpg", "b.png", "notes.txt"):
        (source / "image_1" / name).write_bytes(name.encode())
    (source / "metadata.json").write_text(json.dumps({"a": {"camera": "front"}}))
    params = {"name": "street", "path": str(source), "data_collection": 1,
              "extra_params": {"only_extensions": [".jpg", ".png"]}}  # fmt: skip
    with backend_server.BackendServer(tmp_path / "server") as server:
        environ = {"SYNAPSE_HOST": server.url, "SYNAPSE_ACCESS_TOKEN": backend_server.ACCESS_TOKEN,
                   "SYNAPSE_TENANT": backend_server.TENANT}  # fmt: skip
        logger = MemoryLogger()
        result = execute(Invocation.create(PLUGIN, "upload", params, env_names=ENV_NAMES), logger=logger,
                         environ=environ)  # fmt: skip
        units = server._all("data_units")[5:]  # after the server's five seeded units
    assert result["generated_data_units_count"] == 2
    assert [u["meta"] for u in units] == [{"origin_file_stem": "a", "camera": "front"}, {"origin_file_stem": "b"}]
    assert any("Skipped notes.txt" in message for message in logger.messages)
