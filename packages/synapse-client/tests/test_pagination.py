"""DRF pagination against a real HTTP server: lazy, each page fetched exactly once, next URLs checked."""

from __future__ import annotations

from typing import Any

import pytest

from synapse_client import BadRequestError, BaseClient, InvalidResponseError, PageIterator, ServerError
from synapse_client.testing import Fault, ProtocolServer, RecordedRequest

TOKEN = "pagetoken-0123456789"


class TokenClient(BaseClient):
    def _get_headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {TOKEN}"}


def serve_items(server: ProtocolServer, total: int, *, next_base: str | None = None) -> None:
    """A DRF list of `total` items at /api/items/ with `page` and `page_size` query parameters."""

    def handler(request: RecordedRequest) -> dict[str, Any]:
        page = int(request.query.get("page", ["1"])[0])
        size = int(request.query.get("page_size", ["10"])[0])
        start = (page - 1) * size
        results = [{"id": i} for i in range(start, min(start + size, total))]
        has_next = start + size < total
        base = next_base or server.url
        query = "&".join(f"{k}={v[0]}" for k, v in request.query.items() if k not in ("page",))
        return {
            "count": total,
            "next": f"{base}/api/items/?{query}&page={page + 1}" if has_next else None,
            "previous": None,
            "results": results,
        }

    server.route("GET", r"/api/items/", handler)


def test_list_all_fetches_each_page_exactly_once(protocol_server: ProtocolServer) -> None:
    serve_items(protocol_server, 25)
    client = TokenClient(protocol_server.url)
    items = client._list("api/items/", {"status": "done"}, list_all=True, page_size=10)
    assert isinstance(items, PageIterator)
    assert protocol_server.requests == []  # lazy: nothing fetched before iteration
    assert [item["id"] for item in items] == list(range(25))
    pages = protocol_server.requests_for("GET", r"/api/items/")
    assert [r.query.get("page", ["1"])[0] for r in pages] == ["1", "2", "3"]
    assert all(r.query["status"] == ["done"] and r.query["page_size"] == ["10"] for r in pages)
    assert all(r.header("Authorization") == f"Token {TOKEN}" for r in pages)
    assert items.pages_fetched == 3


def test_count_fetches_first_page_once_and_iteration_reuses_it(protocol_server: ProtocolServer) -> None:
    serve_items(protocol_server, 15)
    items = BaseClient(protocol_server.url)._list("api/items/", list_all=True, page_size=10)
    assert items.count == 15
    assert len(protocol_server.requests) == 1
    assert len(list(items)) == 15
    assert len(protocol_server.requests) == 2
    assert items.count == 15
    assert len(protocol_server.requests) == 2


def test_pages_are_fetched_only_as_iteration_reaches_them(protocol_server: ProtocolServer) -> None:
    serve_items(protocol_server, 100)
    items = BaseClient(protocol_server.url)._list("api/items/", list_all=True, page_size=10)
    first_twelve = [next(items)["id"] for _ in range(12)]
    assert first_twelve == list(range(12))
    assert len(protocol_server.requests) == 2


def test_list_without_list_all_returns_first_page(protocol_server: ProtocolServer) -> None:
    serve_items(protocol_server, 25)
    page = BaseClient(protocol_server.url)._list("api/items/", page_size=5)
    assert page["count"] == 25
    assert [item["id"] for item in page["results"]] == [0, 1, 2, 3, 4]
    assert len(protocol_server.requests) == 1


def test_plain_json_array_is_one_page(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/api/jobs/", json=[{"id": "a"}, {"id": "b"}])
    items = BaseClient(protocol_server.url)._list("api/jobs/", list_all=True)
    assert list(items) == [{"id": "a"}, {"id": "b"}]
    assert items.count == 2
    assert len(protocol_server.requests) == 1


def test_failed_page_is_retried_but_each_page_succeeds_once(protocol_server: ProtocolServer) -> None:
    serve_items(protocol_server, 20)
    protocol_server.inject("GET", r"/api/items/", Fault.status(503), Fault.status(503))
    items = BaseClient(protocol_server.url, backoff=0.01)._list("api/items/", list_all=True, page_size=10)
    assert len(list(items)) == 20
    assert items.pages_fetched == 2
    assert len(protocol_server.requests) == 4  # 503, 503, page 1, page 2


def test_next_url_to_another_host_is_refused(protocol_server: ProtocolServer) -> None:
    serve_items(protocol_server, 20, next_base="http://attacker.invalid")
    items = TokenClient(protocol_server.url)._list("api/items/", list_all=True, page_size=10)
    with pytest.raises(InvalidResponseError) as info:
        list(items)
    assert info.value.status == 502
    assert "leaves the client's origin" in info.value.reason
    assert len(protocol_server.requests) == 1  # the foreign URL was never requested


def test_next_url_to_another_port_is_refused(protocol_server: ProtocolServer) -> None:
    serve_items(protocol_server, 20, next_base="http://127.0.0.1:1")
    items = BaseClient(protocol_server.url)._list("api/items/", list_all=True, page_size=10)
    with pytest.raises(InvalidResponseError):
        list(items)


def test_next_url_that_parsers_read_differently_is_refused(protocol_server: ProtocolServer) -> None:
    # urlsplit reads host 127.0.0.1 at our port; urllib3 (what requests connects with) reads the other server's port.
    with ProtocolServer() as other:
        serve_items(protocol_server, 20, next_base=f"http://127.0.0.1:{other.port}\\@127.0.0.1:{protocol_server.port}")
        items = TokenClient(protocol_server.url)._list("api/items/", list_all=True, page_size=10)
        with pytest.raises(InvalidResponseError, match="leaves the client's origin"):
            list(items)
        assert other.requests == []  # the token never went to the other port
    assert len(protocol_server.requests) == 1


def test_pagination_loop_is_detected(protocol_server: ProtocolServer) -> None:
    protocol_server.route(
        "GET",
        r"/api/loop/",
        lambda req: {"count": 2, "next": protocol_server.url_for("api/loop/"), "results": [1]},
    )
    items = BaseClient(protocol_server.url)._list("api/loop/", list_all=True)
    with pytest.raises(InvalidResponseError, match="loop"):
        list(items)
    assert len(protocol_server.requests) == 1


def test_relative_next_url_is_resolved(protocol_server: ProtocolServer) -> None:
    def handler(request: RecordedRequest) -> dict[str, Any]:
        if request.query.get("page") == ["2"]:
            return {"count": 2, "next": None, "results": ["b"]}
        return {"count": 2, "next": "/api/rel/?page=2", "results": ["a"]}

    protocol_server.route("GET", r"/api/rel/", handler)
    assert list(BaseClient(protocol_server.url)._list("api/rel/", list_all=True)) == ["a", "b"]


def test_unexpected_page_shape_is_invalid_response(protocol_server: ProtocolServer) -> None:
    protocol_server.route("GET", r"/api/odd/", json={"items": []})
    with pytest.raises(InvalidResponseError, match="paginated list"):
        list(BaseClient(protocol_server.url)._list("api/odd/", list_all=True))


def test_max_pages_bounds_iteration(protocol_server: ProtocolServer) -> None:
    serve_items(protocol_server, 50)
    items = PageIterator(BaseClient(protocol_server.url), "api/items/", {"page_size": 10}, max_pages=2)
    with pytest.raises(ServerError, match="More than 2 pages"):
        list(items)
    assert len(protocol_server.requests) == 2


@pytest.mark.parametrize("page_size", [0, -1, True, "10"])
def test_bad_page_size_is_400(protocol_server: ProtocolServer, page_size: Any) -> None:
    with pytest.raises(BadRequestError):
        BaseClient(protocol_server.url)._list("api/items/", page_size=page_size)
    assert protocol_server.requests == []
