"""Upload plugins: the built-in ``upload`` action and the ``Uploader`` base whose hook organizes the files.

A plugin's ``config.yaml`` may name an ``Uploader`` subclass as the ``upload`` action's entrypoint (or name none: the
base organizes files by the collection's file specifications). See the guide, *Upload plugins*.

Example:
    >>> from synapse_plugins.upload import Uploader
    >>> Uploader.handle_upload_files.__doc__.splitlines()[0]
    'Return the data units to upload: ``[{"files": {spec: path}, "meta": {...}}, ...]``.'
"""

from __future__ import annotations

from .uploader import UploadEntry, Uploader, organize_files

__all__ = ["UploadEntry", "Uploader", "organize_files"]
