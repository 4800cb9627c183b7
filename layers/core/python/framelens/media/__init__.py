"""Media handling: probe, validation by content, frame images.

Owns: reading what a file is (``inspect_media``), its metadata (``probe_video``, ``probe_image``,
``media_info``) and single-frame images (``extract_frame``, ``encode_image``). Does not own: the
single decode pass that feeds analyzers (``framelens.engine``).

Importing this package is cheap: PyAV, OpenCV and numpy load only when a function runs, so the
API's cold path can validate uploads without paying for them at import time.
"""

from __future__ import annotations

from framelens.media.frames import encode_image, extract_frame
from framelens.media.probe import media_info, probe_image, probe_video
from framelens.media.validate import InspectedMedia, inspect_media

__all__ = [
    "InspectedMedia",
    "encode_image",
    "extract_frame",
    "inspect_media",
    "media_info",
    "probe_image",
    "probe_video",
]
