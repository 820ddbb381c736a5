"""Types of the DM annotation records that converters and exporters pass around (schema v1 and v2).

Types only: the converters read and write plain ``dict`` objects (JSON), and these ``TypedDict`` classes describe those
dicts for type checkers and readers, at no cost at run time. Every key is optional to the type checker where the
platform leaves it out; keys not listed here are kept by the converters all the same (``v1_meta``, tool-specific
fields).

Schema v2 (the dataset format, one JSON per item):

```text
DMv2Document  {"classification": {tool: [class, ...]}, "images": [DMv2Media, ...], "videos": [...], ...}
DMv2Media     {tool: [DMv2Annotation, ...]}                e.g. {"bounding_box": [...], "polygon": [...]}
DMv2Annotation {"id", "classification": class name, "attrs": [{"name", "value"}], "data": geometry}
```

Schema v1 (the editor's format): ``annotations`` and ``annotationsData`` keyed by media id (``image_1``...), joined on
the annotation ``id``.

Example:
    >>> from synapse_plugins.converters.dm_schema import convert_v1_to_v2
    >>> v1: DMv1Document = {
    ...     "annotations": {"image_1": [{"id": "a", "tool": "bounding_box", "classification": {"class": "cat"}}]},
    ...     "annotationsData": {"image_1": [{"id": "a", "coordinate": {"x": 1, "y": 2, "width": 3, "height": 4}}]},
    ... }
    >>> v2 = convert_v1_to_v2(dict(v1))
    >>> box: DMv2Annotation = v2["images"][0]["bounding_box"][0]
    >>> box["classification"], box["data"]
    ('cat', [1, 2, 3, 4])
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "DMv1Annotation",
    "DMv1AnnotationData",
    "DMv1Box",
    "DMv1Classification",
    "DMv1Document",
    "DMv1Point",
    "DMv2Annotation",
    "DMv2Attr",
    "DMv2Document",
    "DMv2Media",
]

# -- schema v2 --------------------------------------------------------------------------------------------------------


class DMv2Attr(TypedDict):
    """One attribute of a v2 annotation: editor flags travel as ``_<flag>``, a box rotation as ``_rotation``."""

    name: str
    value: Any


class DMv2Annotation(TypedDict, total=False):
    """One v2 annotation under its tool's key.

    ``data`` by tool: ``bounding_box`` ``[x, y, width, height]``; ``polygon``/``polyline`` ``[[x, y], ...]``;
    ``keypoint`` ``[x, y]``; ``segmentation`` a pixel-index list or a ``{startFrame, endFrame}`` section;
    ``classification`` ``None``; ``group`` the member ids; other tools an object of their fields.
    """

    id: str
    classification: str
    attrs: list[DMv2Attr]
    data: Any


#: One medium of a v2 document: annotations keyed by tool name (``bounding_box``, ``polygon``, ``keypoint``...).
DMv2Media = dict[str, list[DMv2Annotation]]


class DMv2Document(TypedDict, total=False):
    """A v2 annotation document: classes per tool, then one list per media type (``images``, ``videos``...).

    Media types other than those listed (the platform adds some) are read the same way.
    """

    classification: dict[str, list[str]]
    images: list[DMv2Media]
    videos: list[DMv2Media]
    pcds: list[DMv2Media]
    texts: list[DMv2Media]
    audios: list[DMv2Media]
    prompts: list[DMv2Media]
    v1_meta: dict[str, Any]


# -- schema v1 --------------------------------------------------------------------------------------------------------

#: A v1 ``classification``: ``{"class": name, <attribute>: value, ...}`` (``class`` is a keyword, hence this form).
DMv1Classification = TypedDict("DMv1Classification", {"class": str}, total=False)


class DMv1Annotation(TypedDict, total=False):
    """One v1 annotation: its id, tool, classification and the editor's flags."""

    id: str
    tool: str
    classification: DMv1Classification
    isLocked: bool
    isVisible: bool
    isValid: bool
    isDrawCompleted: bool
    label: Any


class DMv1Box(TypedDict, total=False):
    """A v1 box coordinate (``rotation`` in degrees when rotated)."""

    x: float
    y: float
    width: float
    height: float
    rotation: float


class DMv1Point(TypedDict):
    """A v1 point coordinate."""

    x: float
    y: float


class DMv1AnnotationData(TypedDict, total=False):
    """The geometry of one v1 annotation, joined to it on ``id``.

    ``coordinate`` is a [`DMv1Box`][synapse_plugins.converters.dm_types.DMv1Box] (boxes), a list of
    [`DMv1Point`][synapse_plugins.converters.dm_types.DMv1Point] (polygons, polylines) or one point (keypoints);
    segmentations carry ``pixel_indices`` or ``section`` instead.
    """

    id: str
    coordinate: DMv1Box | DMv1Point | list[DMv1Point]
    pixel_indices: list[int]
    section: dict[str, Any]


class DMv1Document(TypedDict, total=False):
    """A v1 annotation document: annotations and their geometry, keyed by media id (``image_1``, ``video_1``...)."""

    annotations: dict[str, list[DMv1Annotation]]
    annotationsData: dict[str, list[DMv1AnnotationData]]
