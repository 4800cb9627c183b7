"""The seed 000 "accepted" body: a request answered with a job instead of a result."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["Accepted"]


class Accepted(BaseModel):
    """Seed 000's 202 body: poll ``status_url``."""

    status: Literal["accepted"] = "accepted"
    job_id: str
    status_url: str
