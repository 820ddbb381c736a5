"""The Synapse backend client, its typed records and the resumable chunked upload.

Example:
    >>> from synapse_client.backend import BackendClient
    >>> BackendClient("https://api.example.com", access_token="s3cr3t-t0ken").base_url
    'https://api.example.com'
"""

from __future__ import annotations

from .annotation import AnnotationClientMixin
from .client import BackendClient
from .core import CoreClientMixin
from .data_collection import DataCollectionClientMixin
from .hitl import HITLClientMixin
from .integration import IntegrationClientMixin
from .listing import RecordPages
from .ml import MLClientMixin
from .models import (
    ChunkedUploadRecord,
    DataCollection,
    DataFile,
    DataUnit,
    FileSpecification,
    Job,
    JobStatus,
    Model,
    Plugin,
    PluginRelease,
    Project,
    Record,
    Storage,
    Task,
)
from .upload import DEFAULT_CHUNK_SIZE, ChunkedUploader, FileChangedError, UploadState

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "AnnotationClientMixin",
    "BackendClient",
    "ChunkedUploadRecord",
    "ChunkedUploader",
    "CoreClientMixin",
    "DataCollection",
    "DataCollectionClientMixin",
    "DataFile",
    "DataUnit",
    "FileChangedError",
    "FileSpecification",
    "HITLClientMixin",
    "IntegrationClientMixin",
    "Job",
    "JobStatus",
    "MLClientMixin",
    "Model",
    "Plugin",
    "PluginRelease",
    "Project",
    "Record",
    "RecordPages",
    "Storage",
    "Task",
    "UploadState",
]
