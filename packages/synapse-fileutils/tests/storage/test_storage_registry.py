"""get_storage: URLs, platform records, aliases, configuration errors, optional extras and redaction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from synapse_fileutils.storage import (
    PROVIDER_ALIASES,
    HTTPStorage,
    LocalStorage,
    MissingExtraError,
    StorageConfigError,
    get_path_file_count,
    get_path_total_size,
    get_pathlib,
    get_storage,
)
from synapse_fileutils.storage.gcs import GCSStorage
from synapse_fileutils.storage.s3 import S3Storage

SECRET = "sup3r-s3cret-value-777"


@pytest.mark.parametrize("alias", ["file_system", "local", "FILE_SYSTEM", "file"])
def test_local_aliases_build_a_local_storage(alias: str, tmp_path: Path) -> None:
    storage = get_storage({"provider": alias, "configuration": {"location": str(tmp_path)}})
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path


@pytest.mark.parametrize("alias", ["amazon_s3", "s3", "minio", "digital_ocean"])
def test_s3_aliases_build_an_s3_storage(alias: str) -> None:
    record = {"provider": alias, "configuration": {"bucket_name": "bkt", "access_key": "AKIAX", "secret_key": SECRET}}
    storage = get_storage(record)
    assert isinstance(storage, S3Storage)
    assert SECRET not in repr(storage)


@pytest.mark.parametrize("alias", ["gcp", "gcs", "gs"])
def test_gcs_aliases_build_a_gcs_storage(alias: str) -> None:
    storage = get_storage(
        {"provider": alias, "configuration": {"bucket_name": "bkt", "credentials": "anon", "project": "p"}}
    )
    assert isinstance(storage, GCSStorage)


def test_whole_platform_record_with_extra_fields_is_accepted(tmp_path: Path) -> None:
    record = {
        "id": 3,
        "name": "exports",
        "category": "internal",
        "is_default": True,
        "provider": "file_system",
        "configuration": {"location": str(tmp_path)},
    }
    assert isinstance(get_storage(record), LocalStorage)


def test_urls_map_onto_providers(tmp_path: Path) -> None:
    assert isinstance(get_storage(f"file://{tmp_path}"), LocalStorage)
    assert isinstance(get_storage("https://files.example.com/up/"), HTTPStorage)
    s3 = get_storage(f"s3://bkt/some/prefix?endpoint_url=http://127.0.0.1:9&secret_key={SECRET}&access_key=AKIAX")
    assert isinstance(s3, S3Storage)
    assert s3.get_url("a.txt") == "http://127.0.0.1:9/bkt/some/prefix/a.txt"
    gs = get_storage("gs://bkt/pre?credentials=anon&project=p")
    assert gs.get_url("a.txt") == "https://storage.googleapis.com/bkt/pre/a.txt"


def test_a_provider_passes_through_unchanged(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    assert get_storage(storage) is storage


@pytest.mark.parametrize("provider", ["azure", "ftp", "dropbox"])
def test_unknown_provider_is_typed_and_never_quotes_configuration(provider: str) -> None:
    record = {"provider": provider, "configuration": {"account_key": SECRET, "password": SECRET}}
    with pytest.raises(StorageConfigError) as caught:
        get_storage(record)
    assert caught.value.provider == provider
    assert provider in str(caught.value)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


def test_unknown_url_scheme_hides_the_password() -> None:
    with pytest.raises(StorageConfigError) as caught:
        get_storage(f"ftp://user:{SECRET}@host/x?token={SECRET}")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("record", "missing"),
    [
        ({"provider": "amazon_s3", "configuration": {"secret_key": SECRET}}, "bucket_name"),
        ({"provider": "sftp", "configuration": {"password": SECRET}}, "host"),
        ({"provider": "file_system", "configuration": {}}, "location"),
        ({"provider": "http", "configuration": {"headers": {"Authorization": SECRET}}}, "base_url"),
    ],
)
def test_missing_configuration_key_is_named(record: dict[str, Any], missing: str) -> None:
    with pytest.raises(StorageConfigError, match=missing) as caught:
        get_storage(record)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"configuration": {}},
        {"provider": "s3", "configuration": "not a mapping"},
        {"provider": "s3", "configuration": {"bucket_name": "a/b"}},
        {"provider": "sftp", "configuration": {"host": "h", "port": "twenty-two"}},
        {"provider": "gcp", "configuration": {"bucket_name": "b", "credentials": "{not json"}},
    ],
)
def test_malformed_records_raise_config_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(StorageConfigError):
        get_storage(bad)


def test_gcs_service_account_secrets_stay_out_of_repr() -> None:
    credentials = {"type": "service_account", "private_key": SECRET, "client_email": "x@y.iam.gserviceaccount.com"}
    storage = GCSStorage("bkt", credentials="anon", project="p")
    assert SECRET not in repr(storage)
    from synapse_fileutils.storage.gcs import _token

    token, secrets = _token(credentials)
    assert token == credentials
    assert SECRET in secrets


def test_every_alias_maps_to_a_known_provider() -> None:
    assert set(PROVIDER_ALIASES.values()) == {"local", "s3", "gcs", "sftp", "http"}


def test_module_helpers_accept_a_record(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"1234")
    record = {"provider": "file_system", "configuration": {"location": str(tmp_path)}}
    assert get_path_file_count(record, "/a") == 1
    assert get_path_total_size(record, "/a") == 4
    assert get_pathlib(record, "/a/x.bin").read_bytes() == b"1234"


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)


def test_storage_imports_without_loading_fsspec_or_requests() -> None:
    result = _run(
        "import sys, synapse_fileutils.storage as s\n"
        "print(sorted(m for m in ('fsspec', 's3fs', 'gcsfs', 'sshfs', 'requests', 'asyncssh') if m in sys.modules))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("module", "record", "extra"),
    [
        ("s3fs", {"provider": "amazon_s3", "configuration": {"bucket_name": "b"}}, "s3"),
        ("gcsfs", {"provider": "gcp", "configuration": {"bucket_name": "b"}}, "gcs"),
        ("sshfs", {"provider": "sftp", "configuration": {"host": "127.0.0.1"}}, "sftp"),
    ],
)
def test_missing_extra_names_the_extra_to_install(module: str, record: dict[str, Any], extra: str) -> None:
    # A None entry in sys.modules makes the import fail exactly as an uninstalled package does.
    result = _run(
        f"import sys; sys.modules[{module!r}] = None\n"
        "from synapse_fileutils.storage import get_storage, MissingExtraError\n"
        "try:\n"
        f"    get_storage({record!r})\n"
        "except MissingExtraError as exc:\n"
        "    print(exc.extra, '|', exc)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{extra} | ")
    assert f"pip install 'synapse-fileutils[{extra}]'" in result.stdout
    assert issubclass(MissingExtraError, ImportError)
