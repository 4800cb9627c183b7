"""Builders shared by the store contract tests: a fake clock and a job factory."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from framelens.schemas import JobRecord

BASE_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """Epoch seconds that only move when a test says so."""

    now: float = 1_714_564_800.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_job(tenant_id: str = "acme", n: int = 0, **fields: Any) -> JobRecord:
    """A queued job created ``n`` seconds after ``BASE_TIME``."""
    values: dict[str, Any] = {
        "id": f"job_{tenant_id}_{n}_{uuid.uuid4().hex[:6]}",
        "tenant_id": tenant_id,
        "sources": ["storage://f_1"],
        "modules": {"probe": {}},
        "time_created": BASE_TIME + timedelta(seconds=n),
    }
    values.update(fields)
    return JobRecord(**values)
