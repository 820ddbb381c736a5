"""Key normalization and redaction: the properties every provider's confinement rests on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_fileutils.storage import PathEscapeError
from synapse_fileutils.storage._paths import Scrubber, join_key, normalize_key

parts = st.sampled_from(["a", "b", "..", ".", "", "c d", "폴더", "x.txt"])


@given(st.lists(parts, max_size=8), st.booleans())
def test_normalized_key_never_climbs_or_starts_with_a_slash(segments: list[str], absolute: bool) -> None:
    path = ("/" if absolute else "") + "/".join(segments)
    depth = 0
    for segment in segments:
        depth = depth - 1 if segment == ".." else depth + (segment not in ("", "."))
        if depth < 0:
            with pytest.raises(PathEscapeError):
                normalize_key(path)
            return
    key = normalize_key(path)
    assert not key.startswith("/")
    assert ".." not in key.split("/")
    assert "" not in key.split("/") or key == ""
    assert normalize_key(key) == key


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=5))
def test_climbing_one_level_more_than_descending_escapes(segments: list[str]) -> None:
    with pytest.raises(PathEscapeError):
        normalize_key("/".join(segments + [".."] * (len(segments) + 1)))


def test_join_key_uses_one_slash() -> None:
    assert join_key("/srv/data/", "") == "/srv/data"
    assert join_key("/", "a") == "/a"
    assert join_key("bucket", "k") == "bucket/k"


@given(st.text(min_size=4, max_size=20).filter(lambda s: "*" not in s), st.text(max_size=20), st.text(max_size=20))
def test_scrubber_removes_every_occurrence(secret: str, before: str, after: str) -> None:
    text = Scrubber([secret]).scrub(f"{before}{secret}{after}{secret}")
    assert secret not in text
