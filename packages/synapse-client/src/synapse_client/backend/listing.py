"""What every backend mixin shares: typed records, id checks, and lists with lazy pages and file-URL conversion.

Lists follow the earlier Synapse SDK: ``list_all=False`` returns the first page (``{"count", "next", "previous",
"results"}``); ``list_all=True`` returns ``(records, count)`` where ``records`` is a
[`RecordPages`][synapse_client.backend.listing.RecordPages] iterator that fetches each page once, when iteration reaches
it. With ``url_conversion``, the files a page's records refer to are downloaded (bounded concurrency, one page at a
time) and their URLs replaced with local paths before the records are handed out.

Example:
    >>> resolve_url_conversion(True)
    {'files_fields': ['files'], 'max_workers': 8, 'progress': False}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from ..base import BaseClient
from ..errors import BadRequestError
from ..network import validate_resource_id
from ..pagination import Page, PageIterator
from .models import Record

__all__ = [
    "BackendMixinBase",
    "Page",
    "RecordPages",
    "UrlConversion",
    "as_json_list",
    "convert_urls",
    "resolve_url_conversion",
]

_RecordT = TypeVar("_RecordT", bound=Record)


UrlConversion = Mapping[str, Any] | bool | None
"""How to download the files records refer to: None/False (do not), True (the ``files`` field), or options."""

_CONVERSION_KEYS = frozenset(
    {
        "files_fields",
        "coerce",
        "is_async",
        "path_download",
        "max_workers",
        "connect_timeout",
        "read_timeout",
        "retry",
        "headers",
        "progress",
    }
)
_DEFAULT_DOWNLOAD_WORKERS = 8


def resolve_url_conversion(url_conversion: UrlConversion) -> dict[str, Any] | None:
    """Check a ``url_conversion`` argument and fill in the defaults.

    Args:
        url_conversion: None or False for no conversion, True for the defaults, or a mapping of options for
            [`files_url_to_path_from_objs`][synapse_fileutils.download.files_url_to_path_from_objs]:
            ``files_fields`` (dotted field names, default ``["files"]``), ``coerce``, ``path_download``,
            ``max_workers`` (default 8), ``connect_timeout``, ``read_timeout``, ``retry``, ``headers``, ``progress``
            (default False), ``is_async``. An ``is_list`` key is ignored (pages are always lists).

    Returns:
        The options, or None for no conversion.

    Raises:
        BadRequestError: (400) for an unknown option or a value of the wrong type.

    Example:
        >>> resolve_url_conversion({"files_fields": "data.files", "coerce": str})["files_fields"]
        ['data.files']
        >>> resolve_url_conversion(None) is None
        True
    """
    if url_conversion is None or url_conversion is False:
        return None
    if url_conversion is True:
        options: dict[str, Any] = {}
    elif isinstance(url_conversion, Mapping):
        options = {key: value for key, value in url_conversion.items() if key != "is_list"}
    else:
        raise BadRequestError(400, "Invalid url_conversion: expected None, a bool or a mapping of options")
    unknown = sorted(set(options) - _CONVERSION_KEYS)
    if unknown:
        raise BadRequestError(400, f"Invalid url_conversion option(s): {', '.join(map(str, unknown))}")
    fields = options.get("files_fields", ["files"])
    options["files_fields"] = [fields] if isinstance(fields, str) else list(fields)
    options.setdefault("max_workers", _DEFAULT_DOWNLOAD_WORKERS)
    options.setdefault("progress", False)
    return dict(sorted(options.items()))


def convert_urls(records: list[Any], url_conversion: UrlConversion) -> None:
    """Download the files ``records`` refer to and put local paths in place of their URLs, in place.

    Args:
        records: The records (dicts) of one page.
        url_conversion: As for [`resolve_url_conversion`][synapse_client.backend.listing.resolve_url_conversion].

    Raises:
        BadRequestError: (400) for invalid options.
        DownloadError: If a download failed (from synapse-fileutils; the records are left unchanged).

    Example:
        >>> import tempfile
        >>> records = [{"files": {"note": "data:,hi"}}]
        >>> convert_urls(records, {"coerce": lambda path: path.read_text(), "path_download": tempfile.mkdtemp()})
        >>> records
        [{'files': {'note': 'hi'}}]
    """
    options = resolve_url_conversion(url_conversion)
    if options is None or not records:
        return
    from synapse_fileutils.download import files_url_to_path_from_objs

    fields = options.pop("files_fields")
    files_url_to_path_from_objs(records, fields, is_list=True, **options)


def _as_record(record_type: type[Record] | None, item: Any) -> Any:
    if record_type is not None and isinstance(item, Mapping):
        return record_type.from_dict(item)
    return item


class RecordPages(PageIterator, Generic[_RecordT]):
    """A lazy iterator over every record of a paginated list: each page is fetched once, converted, then handed out.

    ``RecordPages[Task]`` yields [`Task`][synapse_client.backend.models.Task] records (the type parameter is the
    ``record_type``; items that are not JSON objects are handed out as they came).

    Args:
        client: The client that fetches the pages.
        path: The list's path.
        params: Query parameters of the first page.
        record_type: Record class to wrap each item in (None keeps dicts).
        url_conversion: Download referenced files page by page (see
            [`resolve_url_conversion`][synapse_client.backend.listing.resolve_url_conversion]).

    Attributes:
        pages_fetched: Pages fetched so far.

    Example:
        >>> pages = RecordPages(BaseClient("http://127.0.0.1:9"), "tasks/")
        >>> pages.pages_fetched
        0
    """

    def __init__(
        self,
        client: BaseClient,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        record_type: type[Record] | None = None,
        url_conversion: UrlConversion = None,
    ) -> None:
        super().__init__(client, path, params)
        self._record_type = record_type
        self._url_conversion = url_conversion

    def __iter__(self) -> RecordPages[_RecordT]:
        return self

    def __next__(self) -> _RecordT:
        record: _RecordT = super().__next__()
        return record

    def _fetch_page(self) -> None:
        super()._fetch_page()
        page = list(self._items)
        convert_urls(page, self._url_conversion)
        self._items = iter([_as_record(self._record_type, item) for item in page])


class BackendMixinBase(BaseClient):
    """Helpers shared by the backend mixins (not part of the public API).

    Example:
        >>> BackendMixinBase("http://127.0.0.1:9")._id(5, "task")
        '5'
    """

    @staticmethod
    def _id(value: Any, name: str) -> str:
        return validate_resource_id(value, name)

    @staticmethod
    def _record(record_type: type[_RecordT], data: Any) -> Any:
        """Wrap a response in ``record_type`` when it is a JSON object; other shapes are returned unchanged."""
        return record_type.from_dict(data) if isinstance(data, Mapping) else data

    def _get_record(
        self,
        record_type: type[Record],
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion = None,
    ) -> Any:
        data = self._get(path, params=dict(params) if params else None)
        if isinstance(data, dict):
            convert_urls([data], url_conversion)
        return self._record(record_type, data)

    def _list_records(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        list_all: bool = False,
        page_size: int | None = None,
        record_type: type[Record] | None = None,
        url_conversion: UrlConversion = None,
    ) -> Page | tuple[RecordPages[Any], int | None]:
        resolve_url_conversion(url_conversion)  # bad options fail before any request
        query = dict(params or {})
        if page_size is not None:
            if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size <= 0:
                raise BadRequestError(400, f"Invalid page_size: expected a positive integer, got {page_size!r}")
            query["page_size"] = page_size
        if list_all:
            pages: RecordPages[Any] = RecordPages(
                self, path, query, record_type=record_type, url_conversion=url_conversion
            )
            return pages, pages.count
        page = self._get(path, params=query)
        if isinstance(page, dict) and isinstance(page.get("results"), list):
            convert_urls(page["results"], url_conversion)
            page["results"] = [_as_record(record_type, item) for item in page["results"]]
        first: Page = page
        return first


def as_json_list(data: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> list[Any]:
    """Return one record or a sequence of records as a list of plain dicts, ready to send as a JSON array.

    Args:
        data: A mapping, or a sequence of mappings.

    Returns:
        A new list.

    Example:
        >>> as_json_list({"project": 1, "data_unit": 2})
        [{'project': 1, 'data_unit': 2}]
    """
    if isinstance(data, Mapping):
        return [dict(data)]
    return [dict(item) if isinstance(item, Mapping) else item for item in data]
