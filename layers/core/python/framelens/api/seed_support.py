"""What the seed-compatible routers share: status remapping and reading a job's module results.

The seeds disagree with each other on some codes (seed 000 answers 400 for an unsupported or
oversize file where the native API answers 415/413); each seed router states its own mapping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from framelens.errors import FramelensError, NotFoundError

if TYPE_CHECKING:
    from framelens.runtime import Services
    from framelens.schemas import JobRecord

__all__ = ["artifact_url", "module_result", "seed_statuses"]


@contextmanager
def seed_statuses(mapping: dict[int, int]) -> Iterator[None]:
    """Re-map the HTTP status of library errors raised inside, per a seed's error table."""
    try:
        yield
    except FramelensError as exc:
        if exc.http_status in mapping:
            exc.http_status = mapping[exc.http_status]  # type: ignore[misc]
        raise


def module_result(
    services: Services, job: JobRecord, module: str, source_index: int = 0
) -> dict[str, Any] | None:
    """The merged result of ``module`` for one source of a finished job (``None`` if absent)."""
    key = job.result_keys.get(module)
    if key is None:
        return None
    try:
        doc = json.loads(services.stores.blobs.get(key))
    except NotFoundError:
        return None
    for entry in doc.get("sources", []):
        if entry.get("index") == source_index:
            result: dict[str, Any] | None = entry.get("result")
            return result
    return None


def artifact_url(job_id: str, key: str | None) -> str | None:
    """The API path that serves an artifact blob key of ``job_id``."""
    prefix = f"artifacts/{job_id}/"
    if not key or not key.startswith(prefix):
        return None
    return f"/v1/jobs/{job_id}/artifacts/{key.removeprefix(prefix)}"
