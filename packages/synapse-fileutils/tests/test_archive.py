from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synapse_fileutils import (
    ArchiveError,
    ArchiveLimitError,
    FileUtilsError,
    UnsafeArchiveError,
    archive,
    unarchive,
)

# -- helpers ---------------------------------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, Any]:
    """Everything under root: relative path -> file bytes, link target, or 'dir'."""
    result: dict[str, Any] = {}
    for folder, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                result[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                result[rel] = "dir"
            else:
                result[rel] = path.read_bytes()
    return result


def make_zip(path: Path, members: list[tuple[str, bytes]], mode_bits: dict[str, int] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode_bits and name in mode_bits:
                info.create_system = 3
                info.external_attr = mode_bits[name] << 16
            zf.writestr(info, data)
    return path


def tar_member(name: str, data: bytes = b"", **fields: Any) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in fields.items():
        setattr(info, key, value)
    return info, data


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as tf:
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A folder holding the archive, an existing target with content, and a sentinel outside the target."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep.txt").write_bytes(b"outside")
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "existing.txt").write_bytes(b"before")
    return tmp_path


def assert_refused(
    sandbox: Path, archive_path: Path, error: type[Exception], **kwargs: Any
) -> pytest.ExceptionInfo[Exception]:
    """Extraction raises `error`, and nothing changed anywhere in the sandbox (inside or outside the target)."""
    before = snapshot(sandbox)
    with pytest.raises(error) as info:
        unarchive(archive_path, sandbox / "target", **kwargs)
    assert snapshot(sandbox) == before
    return info


# -- archive / unarchive round trips -----------------------------------------------------------------------------------

NAME = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\:"),
    min_size=1,
    max_size=8,
).filter(lambda n: n not in (".", "..") and len(n.encode()) < 100)
TREE = st.recursive(
    st.binary(max_size=300),
    lambda children: st.dictionaries(NAME, children, max_size=4),
    max_leaves=8,
)


def write_tree(root: Path, tree: dict[str, Any]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, node in tree.items():
        if isinstance(node, dict):
            write_tree(root / name, node)
        else:
            (root / name).write_bytes(node)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])  # trees are slow to draw on a busy box
@given(tree=st.dictionaries(NAME, TREE, max_size=4))
def test_archive_round_trips_any_tree(tmp_path_factory: pytest.TempPathFactory, tree: dict[str, Any]) -> None:
    work = tmp_path_factory.mktemp("rt")
    write_tree(work / "src", tree)
    archive(work / "src", work / "out.zip")
    unarchive(work / "out.zip", work / "dst")
    assert snapshot(work / "dst") == snapshot(work / "src")


def test_archive_keeps_empty_folders_unicode_and_spaces(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "빈 폴더").mkdir(parents=True)
    (src / "données" / "sub dir").mkdir(parents=True)
    (src / "données" / "sub dir" / "a file.txt").write_text("é")
    assert archive(src, tmp_path / "a.zip") == tmp_path / "a.zip"
    assert sorted(zipfile.ZipFile(tmp_path / "a.zip").namelist()) == [
        "données/",
        "données/sub dir/",
        "données/sub dir/a file.txt",
        "빈 폴더/",
    ]
    unarchive(tmp_path / "a.zip", tmp_path / "dst")
    assert snapshot(tmp_path / "dst") == snapshot(src)


def test_archive_of_a_single_file_stores_its_name(tmp_path: Path) -> None:
    (tmp_path / "report.csv").write_bytes(b"a,b\n")
    archive(tmp_path / "report.csv", tmp_path / "r.zip")
    with zipfile.ZipFile(tmp_path / "r.zip") as zf:
        assert zf.namelist() == ["report.csv"]
        assert zf.getinfo("report.csv").compress_type == zipfile.ZIP_DEFLATED
        assert zf.read("report.csv") == b"a,b\n"


def test_archive_append_adds_to_existing_zip(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_bytes(b"1")
    (tmp_path / "two.txt").write_bytes(b"2")
    archive(tmp_path / "one.txt", tmp_path / "a.zip")
    archive(tmp_path / "two.txt", tmp_path / "a.zip", append=True)
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert zf.namelist() == ["one.txt", "two.txt"]
    archive(tmp_path / "two.txt", tmp_path / "a.zip")  # append=False replaces
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert zf.namelist() == ["two.txt"]


def test_archive_append_to_a_non_zip_is_refused_and_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_bytes(b"1")
    (tmp_path / "not.zip").write_bytes(b"plain text")
    with pytest.raises(ArchiveError):
        archive(tmp_path / "one.txt", tmp_path / "not.zip", append=True)
    assert (tmp_path / "not.zip").read_bytes() == b"plain text"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not.zip", "one.txt"]


def test_archive_inside_its_own_input_folder_does_not_pack_itself(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"a")
    archive(tmp_path, tmp_path / "self.zip")
    archive(tmp_path, tmp_path / "self.zip")  # the old archive exists now, and still must not be packed
    with zipfile.ZipFile(tmp_path / "self.zip") as zf:
        assert zf.namelist() == ["a.txt"]


def test_archive_missing_input_raises_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        archive(tmp_path / "missing", tmp_path / "out.zip")
    assert list(tmp_path.iterdir()) == []


def test_archive_follows_file_links_and_skips_folder_links(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "real.txt").write_bytes(b"real")
    (src / "file-link").symlink_to("real.txt")
    (src / "loop").symlink_to(".")  # a cycle that must not make the archive endless
    archive(src, tmp_path / "l.zip")
    with zipfile.ZipFile(tmp_path / "l.zip") as zf:
        assert sorted(zf.namelist()) == ["file-link", "real.txt"]
        assert zf.read("file-link") == b"real"


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_unarchive_reads_every_tar_compression(tmp_path: Path, mode: str) -> None:
    path = make_tar(
        tmp_path / "a.tar",
        [
            tar_member("folder", type=tarfile.DIRTYPE, mode=0o755),
            tar_member("folder/run.sh", b"#!/bin/sh\n", mode=0o4755),
            tar_member("folder/link", type=tarfile.SYMTYPE, linkname="run.sh"),
            tar_member("copy.sh", type=tarfile.LNKTYPE, linkname="folder/run.sh"),
        ],
        mode,
    )
    out = unarchive(path, tmp_path / "out")
    assert (out / "folder" / "run.sh").read_bytes() == b"#!/bin/sh\n"
    assert (out / "copy.sh").read_bytes() == b"#!/bin/sh\n"
    assert os.readlink(out / "folder" / "link") == "run.sh"
    mode_bits = stat.S_IMODE((out / "folder" / "run.sh").stat().st_mode)
    assert mode_bits == 0o755  # executable kept, setuid dropped


def test_unarchive_merges_into_an_existing_folder(sandbox: Path) -> None:
    path = make_zip(sandbox / "a.zip", [("new.txt", b"new"), ("existing.txt", b"after"), ("sub/x", b"x")])
    unarchive(path, sandbox / "target")
    assert snapshot(sandbox / "target") == {
        "existing.txt": b"after",
        "new.txt": b"new",
        "sub": "dir",
        "sub/x": b"x",
    }


def test_unarchive_creates_missing_parents_and_leaves_no_staging(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "a.zip", [("a.txt", b"a")])
    unarchive(path, tmp_path / "deep" / "er" / "out")
    assert snapshot(tmp_path / "deep") == {"er": "dir", "er/out": "dir", "er/out/a.txt": b"a"}


def test_submodule_name_stays_the_function_on_the_package() -> None:
    code = (
        "import synapse_fileutils, synapse_fileutils.archive as m\n"
        "from synapse_fileutils.archive import archive, unarchive\n"
        "assert callable(synapse_fileutils.archive) and synapse_fileutils.archive is archive\n"
        "assert m is archive\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_the_package_does_not_load_zipfile_or_tarfile() -> None:
    code = "import sys, synapse_fileutils\nassert not {'zipfile', 'tarfile'} & set(sys.modules), sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- hostile archives ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", "above"),
        ("good/../../evil.txt", "above"),
        ("..\\evil.txt", "above"),
        ("/tmp/evil.txt", "absolute"),
        ("C:/evil.txt", "absolute"),
        ("\\evil.txt", "absolute"),
    ],
)
def test_zip_with_escaping_name_is_refused(sandbox: Path, name: str, reason: str) -> None:
    path = make_zip(sandbox / "evil.zip", [("ok.txt", b"ok"), (name, b"evil")])
    info = assert_refused(sandbox, path, UnsafeArchiveError)
    assert info.value.member == name  # type: ignore[attr-defined]
    assert reason in info.value.reason  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["../evil.txt", "/abs/evil.txt", "a/../../evil.txt"])
def test_tar_with_escaping_name_is_refused(sandbox: Path, name: str) -> None:
    path = make_tar(sandbox / "evil.tar.gz", [tar_member("ok.txt", b"ok"), tar_member(name, b"evil")], "w:gz")
    info = assert_refused(sandbox, path, UnsafeArchiveError)
    assert info.value.member == name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "linkname",
    ["../outside/keep.txt", "/etc/passwd", "a/../../outside", "..", ""],
)
def test_tar_symlink_pointing_out_is_refused(sandbox: Path, linkname: str) -> None:
    path = make_tar(
        sandbox / "evil.tar",
        [tar_member("a", type=tarfile.DIRTYPE), tar_member("link", type=tarfile.SYMTYPE, linkname=linkname)],
    )
    info = assert_refused(sandbox, path, UnsafeArchiveError)
    assert info.value.member == "link"  # type: ignore[attr-defined]


def test_tar_write_through_symlink_is_refused(sandbox: Path) -> None:
    # "escape" points inside (to the root), but a later member writes through it; the archive order must not matter.
    path = make_tar(
        sandbox / "evil.tar",
        [tar_member("escape", type=tarfile.SYMTYPE, linkname="."), tar_member("escape/../x", b"evil")],
    )
    assert_refused(sandbox, path, UnsafeArchiveError)
    path = make_tar(
        sandbox / "evil2.tar",
        [tar_member("dir", type=tarfile.SYMTYPE, linkname="."), tar_member("dir/file", b"evil")],
    )
    info = assert_refused(sandbox, path, UnsafeArchiveError)
    assert "through a symbolic link" in info.value.reason  # type: ignore[attr-defined]


def test_tar_symlink_chained_through_another_link_is_refused(sandbox: Path) -> None:
    # d -> "." stays inside, and x -> "d/../y" reads inside, but resolves through d to the parent of the target.
    path = make_tar(
        sandbox / "chain.tar",
        [
            tar_member("x", type=tarfile.SYMTYPE, linkname="d/../outside"),
            tar_member("d", type=tarfile.SYMTYPE, linkname="."),
        ],
    )
    info = assert_refused(sandbox, path, UnsafeArchiveError)
    assert info.value.member == "x"  # type: ignore[attr-defined]


def test_zip_symlink_pointing_out_is_refused(sandbox: Path) -> None:
    path = make_zip(sandbox / "evil.zip", [("link", b"../outside")], mode_bits={"link": stat.S_IFLNK | 0o777})
    info = assert_refused(sandbox, path, UnsafeArchiveError)
    assert info.value.member == "link"  # type: ignore[attr-defined]


def test_zip_symlink_inside_is_extracted_as_a_link(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "ok.zip",
        [("data/a.txt", b"a"), ("data/link", b"a.txt")],
        mode_bits={"data/link": stat.S_IFLNK | 0o777},
    )
    out = unarchive(path, tmp_path / "out")
    assert os.readlink(out / "data" / "link") == "a.txt"
    assert (out / "data" / "link").read_bytes() == b"a"


@pytest.mark.parametrize("linkname", ["../outside/keep.txt", "/etc/passwd", "missing.txt", "later.txt"])
def test_tar_hardlink_out_or_to_unknown_member_is_refused(sandbox: Path, linkname: str) -> None:
    path = make_tar(
        sandbox / "evil.tar",
        [tar_member("hl", type=tarfile.LNKTYPE, linkname=linkname), tar_member("later.txt", b"x")],
    )
    info = assert_refused(sandbox, path, UnsafeArchiveError)
    assert info.value.member == "hl"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("member_type", "reason"),
    [(tarfile.CHRTYPE, "device"), (tarfile.BLKTYPE, "device"), (tarfile.FIFOTYPE, "fifo")],
)
def test_tar_device_and_fifo_members_are_refused(sandbox: Path, member_type: bytes, reason: str) -> None:
    path = make_tar(
        sandbox / "dev.tar",
        [tar_member("ok.txt", b"ok"), tar_member("dev", type=member_type, devmajor=1, devminor=3)],
    )
    info = assert_refused(sandbox, path, UnsafeArchiveError)
    assert info.value.member == "dev"  # type: ignore[attr-defined]
    assert reason in info.value.reason  # type: ignore[attr-defined]


def test_zip_fifo_member_is_refused(sandbox: Path) -> None:
    path = make_zip(sandbox / "fifo.zip", [("pipe", b"")], mode_bits={"pipe": stat.S_IFIFO | 0o644})
    assert_refused(sandbox, path, UnsafeArchiveError)


def test_zip_bomb_by_ratio_is_refused(sandbox: Path) -> None:
    path = make_zip(sandbox / "bomb.zip", [("small.txt", b"hello"), ("zeros.bin", bytes(8 * 1024 * 1024))])
    info = assert_refused(sandbox, path, ArchiveLimitError)
    assert info.value.limit == "max_ratio"  # type: ignore[attr-defined]
    assert info.value.member == "zeros.bin"  # type: ignore[attr-defined]
    assert info.value.value > 100  # type: ignore[attr-defined]
    # The limit is configurable: the same archive extracts when the caller allows it.
    unarchive(path, sandbox / "allowed", max_ratio=None)
    assert (sandbox / "allowed" / "zeros.bin").stat().st_size == 8 * 1024 * 1024


def test_tar_bomb_by_ratio_is_refused(sandbox: Path) -> None:
    path = make_tar(sandbox / "bomb.tar.xz", [tar_member("zeros.bin", bytes(4 * 1024 * 1024))], "w:xz")
    info = assert_refused(sandbox, path, ArchiveLimitError)
    assert info.value.limit == "max_ratio"  # type: ignore[attr-defined]


def test_too_many_members_is_refused(sandbox: Path) -> None:
    members = [(f"f{i}.txt", b"x") for i in range(30)]
    path = make_zip(sandbox / "many.zip", members)
    info = assert_refused(sandbox, path, ArchiveLimitError, max_members=20)
    assert (info.value.limit, info.value.value, info.value.maximum) == ("max_members", 30, 20)  # type: ignore[attr-defined]
    tar_path = make_tar(sandbox / "many.tar", [tar_member(name, data) for name, data in members])
    info = assert_refused(sandbox, tar_path, ArchiveLimitError, max_members=20)
    assert info.value.member == "f20.txt"  # type: ignore[attr-defined]


def test_total_size_limit_is_enforced(sandbox: Path) -> None:
    path = make_zip(sandbox / "big.zip", [("a", os.urandom(600)), ("b", os.urandom(600))])
    info = assert_refused(sandbox, path, ArchiveLimitError, max_total_size=1000)
    assert (info.value.limit, info.value.member) == ("max_total_size", "b")  # type: ignore[attr-defined]


def test_name_conflicts_inside_the_archive_are_refused(sandbox: Path) -> None:
    path = make_tar(sandbox / "c.tar", [tar_member("a", b"file"), tar_member("a/b", b"under a file")])
    assert_refused(sandbox, path, UnsafeArchiveError)
    path = make_tar(sandbox / "d.tar", [tar_member("a/b", b"x"), tar_member("a", type=tarfile.SYMTYPE, linkname=".")])
    assert_refused(sandbox, path, UnsafeArchiveError)


def test_existing_link_in_target_is_not_followed(sandbox: Path) -> None:
    (sandbox / "target" / "out").symlink_to(sandbox / "outside")
    path = make_zip(sandbox / "a.zip", [("out/keep.txt", b"overwritten")])
    info = assert_refused(sandbox, path, UnsafeArchiveError)
    assert "symbolic link" in info.value.reason  # type: ignore[attr-defined]
    assert (sandbox / "outside" / "keep.txt").read_bytes() == b"outside"


def test_archive_replacing_a_folder_of_the_target_is_refused(sandbox: Path) -> None:
    (sandbox / "target" / "folder").mkdir()
    path = make_zip(sandbox / "a.zip", [("new.txt", b"n"), ("folder", b"now a file")])
    assert_refused(sandbox, path, UnsafeArchiveError)


def test_corrupt_member_leaves_target_unchanged(sandbox: Path) -> None:
    data = os.urandom(4096)
    path = make_zip(sandbox / "corrupt.zip", [("first.txt", b"fine"), ("second.bin", data)])
    raw = bytearray(path.read_bytes())
    index = raw.index(b"second.bin") + len("second.bin") + 100  # inside the stored data of the second member
    raw[index] ^= 0xFF
    path.write_bytes(bytes(raw))
    info = assert_refused(sandbox, path, ArchiveError)
    assert info.value.path == str(path)  # type: ignore[attr-defined]


def test_corrupt_archive_into_missing_parents_leaves_no_folders(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "corrupt.zip", [("a.bin", os.urandom(4096))])
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"a.bin") + 100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError):
        unarchive(path, tmp_path / "new" / "deeper" / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt.zip"]


def test_encrypted_zip_member_is_a_typed_error(sandbox: Path) -> None:
    path = make_zip(sandbox / "enc.zip", [("secret.txt", b"data")])
    raw = bytearray(path.read_bytes())
    # Set the "encrypted" flag bit in the local header and the central directory entry.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        index = raw.index(signature) + offset
        raw[index] |= 0x1
    path.write_bytes(bytes(raw))
    info = assert_refused(sandbox, path, ArchiveError)
    assert "encrypted" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"not an archive at all", b"PK\x03\x04 truncated"])
def test_not_an_archive_raises_archive_error(sandbox: Path, content: bytes) -> None:
    path = sandbox / "plain.bin"
    path.write_bytes(content)
    assert_refused(sandbox, path, ArchiveError)


def test_extracting_onto_a_file_or_from_a_missing_archive_fails_cleanly(sandbox: Path) -> None:
    path = make_zip(sandbox / "a.zip", [("a", b"a")])
    with pytest.raises(ArchiveError):
        unarchive(path, sandbox / "target" / "existing.txt")
    with pytest.raises(FileNotFoundError):
        unarchive(sandbox / "missing.zip", sandbox / "target")
    assert (sandbox / "target" / "existing.txt").read_bytes() == b"before"


def test_errors_share_the_package_base() -> None:
    assert issubclass(UnsafeArchiveError, ArchiveError)
    assert issubclass(ArchiveLimitError, ArchiveError)
    assert issubclass(ArchiveError, FileUtilsError)


@pytest.mark.parametrize("kind", ["gnu_long_name", "pax_record"])
def test_oversized_tar_extension_header_is_refused_before_it_is_read(tmp_path: Path, kind: str) -> None:
    import io
    import tarfile
    import tracemalloc

    from synapse_fileutils.archive import MAX_TAR_HEADER_SIZE

    size = 24 * 1024**2  # a few dozen KiB compressed
    bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(bomb, "w:gz", format=tarfile.GNU_FORMAT if kind == "gnu_long_name" else tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("a" * size if kind == "gnu_long_name" else "x.txt")
        if kind == "pax_record":
            info.pax_headers = {"comment": "c" * size}
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveLimitError) as info_:
            unarchive(bomb, tmp_path / "out")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info_.value.limit == "max_tar_header_size"
    assert peak < 4 * MAX_TAR_HEADER_SIZE  # the declared header was never read into memory
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
