"""Jobs: lifecycle (``service``), webhooks, safe fetching of remote sources, latency statistics,
and serving stored media back (``media_service``: ``MediaService`` and the answers it gives).

Depends on store ports only; never on an adapter.
"""

from __future__ import annotations

from framelens.jobs.media_answers import (
    BytesAnswer,
    GetConditions,
    MediaAnswer,
    PendingAnswer,
    RedirectAnswer,
    StreamAnswer,
)
from framelens.jobs.media_service import MediaService
from framelens.jobs.render_cache import RenderKey, RenderRequest, default_render_key
from framelens.jobs.service import Dispatcher, JobService, request_hash

__all__ = [
    "BytesAnswer",
    "Dispatcher",
    "GetConditions",
    "JobService",
    "MediaAnswer",
    "MediaService",
    "PendingAnswer",
    "RedirectAnswer",
    "RenderKey",
    "RenderRequest",
    "StreamAnswer",
    "default_render_key",
    "request_hash",
]
