"""Seed 000 "accepted" bodies: a request answered with a job instead of a result, and the job
while it is not finished yet."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["Accepted", "Pending"]


class Accepted(BaseModel):
    """Seed 000's 202 body: poll ``status_url``."""

    status: Literal["accepted"] = "accepted"
    job_id: str
    status_url: str


class Pending(BaseModel):
    """A seed job's status URL while the job is ``queued`` or ``running`` (HTTP 202)."""

    status: Literal["queued", "running"]
    job_id: str
    progress: float
    status_url: str
