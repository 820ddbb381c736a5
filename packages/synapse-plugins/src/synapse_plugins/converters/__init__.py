"""Dataset converters between the platform's DM format and COCO, Pascal VOC and YOLO, and DM schema v1 <-> v2.

[`convert_dataset`][synapse_plugins.converters.convert.convert_dataset] converts between any two of DM, COCO, VOC and
YOLO in one pass, streaming DM records in memory. Folder converters (``convert_dm_to_coco`` ...) walk a dataset one
item at a time and return a
[`ConversionReport`][synapse_plugins.converters.report.ConversionReport]; single-item functions (``dm_to_coco_item``,
``dm_to_yolo_lines``, ``dm_to_voc_xml`` and their reverses) let export plugins convert item by item.

Importing this package loads only the standard library; PyYAML and defusedxml are imported by the functions that
need them.

Example:
    >>> from synapse_plugins.converters import dm_to_voc_xml
    >>> b"<annotation>" in dm_to_voc_xml({"images": [{}]}, file_name="a.jpg", width=2, height=2)
    True
"""

from __future__ import annotations

from .classes import ClassIndex
from .coco import CocoCategories, CocoItem, coco_item_to_dm, convert_coco_to_dm, convert_dm_to_coco, dm_to_coco_item
from .convert import FORMATS, DatasetFormat, convert_dataset
from .dm import DMItem, DMItemBuilder, iter_dm_items, read_dm_item, write_dm_item
from .dm_schema import convert_schema_folder, convert_v1_to_v2, convert_v2_to_v1
from .errors import ConversionError, ItemError, LayoutError
from .imagesize import read_image_size
from .records import DMRecord
from .report import ConversionReport, ItemFailure
from .voc import convert_dm_to_voc, convert_voc_to_dm, dm_to_voc_xml, voc_xml_to_dm
from .yolo import YoloLines, YoloTask, convert_dm_to_yolo, convert_yolo_to_dm, dm_to_yolo_lines, yolo_lines_to_dm

__all__ = [
    "FORMATS",
    "ClassIndex",
    "CocoCategories",
    "CocoItem",
    "ConversionError",
    "ConversionReport",
    "DMItem",
    "DMItemBuilder",
    "DMRecord",
    "DatasetFormat",
    "ItemError",
    "ItemFailure",
    "LayoutError",
    "YoloLines",
    "YoloTask",
    "coco_item_to_dm",
    "convert_coco_to_dm",
    "convert_dataset",
    "convert_dm_to_coco",
    "convert_dm_to_voc",
    "convert_dm_to_yolo",
    "convert_schema_folder",
    "convert_v1_to_v2",
    "convert_v2_to_v1",
    "convert_voc_to_dm",
    "convert_yolo_to_dm",
    "dm_to_coco_item",
    "dm_to_voc_xml",
    "dm_to_yolo_lines",
    "iter_dm_items",
    "read_dm_item",
    "read_image_size",
    "voc_xml_to_dm",
    "write_dm_item",
    "yolo_lines_to_dm",
]
