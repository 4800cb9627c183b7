"""Media handling: probe, validation by content, frame images, and serving media back.

Owns: reading what a file is (``inspect_media``), its metadata (``probe_video``, ``probe_image``,
``media_info``), single-frame images (``extract_frame``, ``encode_image``), and the operations
behind seed 002's routes, each in its own module: byte ranges and conditional GETs
(``byte_ranges``, ``conditional``), the frame index and frame-exact seeking (``frame_index``,
``seek``), thumbnails (``thumbnails``), spans by stream copy (``span``), clips (``clip``),
overlay drawing and annotated video (``overlay``, ``annotated``, ``overlay_video``) and face
pictures (``faces``). Does not own: the single decode pass that feeds analyzers
(``framelens.engine``) or storage (``framelens.jobs.media_service`` serves stored files).

Importing this package is cheap: PyAV, OpenCV and numpy load only when a function runs, so the
API's cold path can validate uploads without paying for them at import time.
"""

from __future__ import annotations

from framelens.media.byte_ranges import ByteRange, parse_range
from framelens.media.conditional import make_etag, plan_get
from framelens.media.faces import FaceSighting
from framelens.media.frame_index import FrameIndex, build_frame_index
from framelens.media.frames import encode_image, extract_frame
from framelens.media.overlay import FrameBoxes, OverlayBox
from framelens.media.probe import media_info, probe_image, probe_video
from framelens.media.selection import FrameSpan, select_span
from framelens.media.thumbnails import Crop
from framelens.media.validate import InspectedMedia, inspect_media

__all__ = [
    "ByteRange",
    "Crop",
    "FaceSighting",
    "FrameBoxes",
    "FrameIndex",
    "FrameSpan",
    "InspectedMedia",
    "OverlayBox",
    "build_frame_index",
    "encode_image",
    "extract_frame",
    "inspect_media",
    "make_etag",
    "media_info",
    "parse_range",
    "plan_get",
    "probe_image",
    "probe_video",
    "select_span",
]
