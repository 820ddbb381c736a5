r"""What travels with one run besides the plugin: the invocation, and the credentials kept out of Ray's views.

**A Ray job's run package.** The plugin folder is the job's ``working_dir``, named by its content so an unchanged
plugin is uploaded once. Everything that changes per run goes in a second, small package that the job lists in
``runtime_env["py_modules"]``: ``invocation.json`` (plugin, action, params as JSON, job id, allowed env names),
``run.json`` (the frame marker of this run) and ``credentials.json``. Ray unpacks it on the node that runs the job
and puts its folder on the job's ``PYTHONPATH``; the fixed entrypoint gets only the package's name in its argv, finds
the folder, reads the files and deletes ``credentials.json`` before the action starts. Params are never part of a
command line, so no shell ever sees them.

**The credentials channel.** The platform token, host and tenant, and the values of the environment variables the
invocation allows (``Invocation.env_names``, an allow-list: never the submitter's whole environment), are written
to ``credentials.json`` with mode 0600 inside the run package, whose name is random rather than derived from its
content. What Ray shows (the dashboard, ``GET /api/jobs/``, the state API, ``runtime_env`` with its ``env_vars``,
job metadata, the job's log) holds only the package's URI, never a value. For a Ray task the credentials are a task
argument, which Ray's state API and dashboard do not show.

What it protects against: anyone who can *look* at the cluster (dashboard viewers, job listings, exported logs and
metadata, screenshots) learning the token. What it does not protect against: anyone who can *run code* on the
cluster (submit a job, or share the node's Unix user) can read the package from Ray's internal store or the file
while the run starts; a Ray cluster is one trust domain, so give runs short-lived, narrowly scoped tokens.

Example:
    >>> from synapse_plugins.execution.invocation import Invocation
    >>> creds = Credentials(host="https://api.example", token="s3cret", tenant="t1")
    >>> "s3cret" in repr(creds)
    False
    >>> package = build_run_package(Invocation.create(".", "greet", {"who": "$(id)"}), creds, marker="m1")
    >>> package.uri.startswith("gcs://_ray_pkg_")
    True
    >>> zipfile.ZipFile(io.BytesIO(package.data)).namelist()
    ['invocation.json', 'run.json', 'credentials.json']
"""

from __future__ import annotations

import io
import json
import os
import secrets
import stat
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .invocation import Invocation

__all__ = ["Credentials", "RunFiles", "RunPackage", "build_run_package", "find_run_folder", "read_run_files"]

INVOCATION_FILE = "invocation.json"
RUN_FILE = "run.json"
CREDENTIALS_FILE = "credentials.json"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Credentials:
    """Secrets a run needs, and the values of its allowed environment variables; never shown in a repr.

    Attributes:
        host: The backend's URL, or None.
        token: The access token, or None.
        tenant: The tenant, or None.
        env: ``{name: value}`` of the allowed environment variables set where the run was submitted.
    """

    host: str | None = None
    token: str | None = field(default=None, repr=False)
    tenant: str | None = None
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def gather(cls, invocation: Invocation, *, host: str | None, token: str | None, tenant: str | None) -> Credentials:
        """Collect the credentials for a run: explicit values, else ``SYNAPSE_HOST``/``_ACCESS_TOKEN``/``_TENANT``.

        Args:
            invocation: The run (its ``env_names`` allow-list picks the environment values).
            host: The backend's URL.
            token: The access token.
            tenant: The tenant.

        Returns:
            The credentials.

        Example:
            >>> inv = Invocation("p", "a", env_names=("LANG_X",))
            >>> os.environ["LANG_X"] = "ko"
            >>> Credentials.gather(inv, host="", token="", tenant="").env
            {'LANG_X': 'ko'}
        """
        environ = os.environ
        return cls(
            host=environ.get("SYNAPSE_HOST") if host is None else host,
            token=environ.get("SYNAPSE_ACCESS_TOKEN") if token is None else token,
            tenant=environ.get("SYNAPSE_TENANT") if tenant is None else tenant,
            env=invocation.allowed_env(),
        )

    def environ(self) -> dict[str, str]:
        """Return the environment the action's allow-list is applied to: the allowed values plus the platform's.

        The platform's host, token and tenant appear as ``SYNAPSE_HOST``, ``SYNAPSE_ACCESS_TOKEN`` and
        ``SYNAPSE_TENANT``, as in the submitter's environment; the action sees only those its invocation allows.

        Example:
            >>> Credentials(token="t", env={"A": "1"}).environ()
            {'A': '1', 'SYNAPSE_ACCESS_TOKEN': 't'}
        """
        platform = {"SYNAPSE_HOST": self.host, "SYNAPSE_ACCESS_TOKEN": self.token, "SYNAPSE_TENANT": self.tenant}
        return {**self.env, **{name: value for name, value in platform.items() if value}}

    def to_dict(self) -> dict[str, Any]:
        """Return the credentials as plain data (for the credentials file or a task argument).

        Example:
            >>> Credentials(token="x").to_dict()["token"]
            'x'
        """
        return {"host": self.host, "token": self.token, "tenant": self.tenant, "env": dict(self.env)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Credentials:
        """Read credentials written by ``to_dict``.

        Example:
            >>> Credentials.from_dict({"token": "x", "env": {"A": "1"}}).env
            {'A': '1'}
        """
        env = data.get("env") or {}
        return cls(
            host=data.get("host"),
            token=data.get("token"),
            tenant=data.get("tenant"),
            env={str(key): str(value) for key, value in dict(env).items()},
        )


@dataclass(frozen=True)
class RunPackage:
    """A run package, ready to upload.

    Attributes:
        uri: ``gcs://_ray_pkg_<random>.zip`` (random: its content holds a secret, so its name must not hash it).
        data: The zip's bytes.
    """

    uri: str
    data: bytes = field(repr=False)

    @property
    def name(self) -> str:
        """The folder name Ray unpacks the package to (``_ray_pkg_<random>``).

        Example:
            >>> RunPackage("gcs://_ray_pkg_ab.zip", b"").name
            '_ray_pkg_ab'
        """
        return self.uri.removeprefix("gcs://").removesuffix(".zip")


def _add(archive: zipfile.ZipFile, name: str, text: str, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.create_system = 3
    info.external_attr = (mode | stat.S_IFREG) << 16
    archive.writestr(info, text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)


def build_run_package(invocation: Invocation, credentials: Credentials, *, marker: str) -> RunPackage:
    """Build the per-run package of a Ray job.

    Args:
        invocation: The run (its ``plugin_path`` as the job will see it: ``.`` for the working dir).
        credentials: Secrets and allowed environment values (written with mode 0600).
        marker: The run's frame marker.

    Returns:
        The package.

    Example:
        >>> build_run_package(Invocation(".", "a"), Credentials(), marker="m").name.startswith("_ray_pkg_")
        True
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, INVOCATION_FILE, invocation.to_json(), 0o644)
        _add(archive, RUN_FILE, json.dumps({"marker": marker}), 0o644)
        _add(archive, CREDENTIALS_FILE, json.dumps(credentials.to_dict()), 0o600)
    return RunPackage(uri=f"gcs://_ray_pkg_run{secrets.token_hex(16)}.zip", data=buffer.getvalue())


@dataclass(frozen=True)
class RunFiles:
    """What a job's entrypoint reads from its run package.

    Attributes:
        invocation: The run.
        credentials: Its secrets (the file they came from is already deleted).
        marker: Its frame marker.
    """

    invocation: Invocation
    credentials: Credentials
    marker: str


def find_run_folder(name: str, search: list[str] | None = None) -> Path:
    """Find where Ray unpacked a run package: the ``sys.path`` entry named after it.

    Args:
        name: The package's name (``_ray_pkg_run<hex>``), from the entrypoint's argv.
        search: The folders to look in (default: ``sys.path``).

    Returns:
        The folder.

    Raises:
        FileNotFoundError: When no entry holds it.

    Example:
        >>> find_run_folder("_ray_pkg_runab", ["/tmp/x/_ray_pkg_runab"]).name
        '_ray_pkg_runab'
    """
    if not name.startswith("_ray_pkg_run") or not name.isascii() or not name.replace("_", "").isalnum():
        raise FileNotFoundError(f"not a run package name: {name!r}")
    for entry in sys.path if search is None else search:
        if entry and Path(entry).name == name:
            return Path(entry)
    raise FileNotFoundError(f"run package {name} is not on this job's PYTHONPATH (py_modules)")


def read_run_files(folder: Path) -> RunFiles:
    """Read a run package's files and delete the credentials file.

    Args:
        folder: From [`find_run_folder`][synapse_plugins.execution.runfiles.find_run_folder].

    Returns:
        The invocation, credentials and marker.

    Raises:
        FileNotFoundError, ValueError: For a missing or malformed file.
    """
    invocation = Invocation.from_json((folder / INVOCATION_FILE).read_text(encoding="utf-8"))
    marker = str(json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))["marker"])
    secret_file = folder / CREDENTIALS_FILE
    try:
        credentials = Credentials.from_dict(json.loads(secret_file.read_text(encoding="utf-8")))
    finally:
        secret_file.unlink(missing_ok=True)
    return RunFiles(invocation, credentials, marker)
