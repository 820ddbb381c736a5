"""Write files that appear under their final name complete or not at all, and take per-file locks: the public face.

Any package (and your plugin) that writes a result file should use these rather than its own temp-and-rename: the data
goes to a hidden temp file in the target's folder, is flushed (and fsynced unless ``durable=False``), and only then
replaces the target with :func:`os.replace`; on any error the temp file is removed and the target is left as it was.

- ``atomic_write(target, *, durable=True)``: a context manager giving a binary file to write;
- ``atomic_path(target, *, suffix="", durable=True)``: a context manager giving a temp path, for writers that want a
  path (ffmpeg, zipfile);
- ``fsync_directory(directory)``: flush a folder's entries after renames inside it;
- ``try_lock(path)`` / ``release_lock(path, fd)``: a non-blocking, process-wide lock file.

Example:
    >>> import tempfile, pathlib
    >>> from synapse_fileutils.atomic import atomic_write
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.json"
    >>> with atomic_write(target) as f:
    ...     _ = f.write(b"{}")
    >>> target.read_bytes()
    b'{}'
"""

from __future__ import annotations

from ._atomic import atomic_path, atomic_write, fsync_directory, release_lock, try_lock

__all__ = ["atomic_path", "atomic_write", "fsync_directory", "release_lock", "try_lock"]
