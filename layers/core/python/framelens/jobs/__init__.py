"""Jobs: lifecycle (``service``), webhooks, safe fetching of remote sources, latency statistics.

Depends on store ports only; never on an adapter.
"""

from __future__ import annotations

from framelens.jobs.service import Dispatcher, JobService, request_hash

__all__ = ["Dispatcher", "JobService", "request_hash"]
