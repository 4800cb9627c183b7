"""When a webhook delivery is tried again, and when it is given up.

Owns: ``RetryPolicy`` — exponential backoff with jitter (attempt n waits a random time between
half and all of ``base_s * 2**(n-1)``, capped at ``max_step_s``), given up after ``max_attempts``
attempts or once the next attempt would fall more than ``max_age_s`` after the delivery was
queued — and which answers are final (2xx delivered; 4xx other than 408 and 429, and 3xx,
refused for good). Does not own sending (``jobs.webhooks``) or the record (``jobs.deliveries``).

With the defaults (10 s, doubling, capped at 1 h, 40 attempts, 24 h) a receiver may be down for
15 hours (every delay drawn at its shortest) to 24 hours and still get every event.

Examples:
    >>> policy = RetryPolicy(base_s=10, max_step_s=3600, max_attempts=40, max_age_s=86400)
    >>> policy.delay_s(1, jitter=1.0), policy.delay_s(20, jitter=1.0)
    (10.0, 3600.0)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["RetryPolicy", "is_retryable"]


def is_retryable(status_code: int | None) -> bool:
    """Whether an attempt that ended this way may be tried again (``None``: no answer)."""
    if status_code is None:
        return True  # connection refused, reset, timed out
    return status_code >= 500 or status_code in (408, 429)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The schedule of one delivery's attempts (``Settings.webhook_*``)."""

    base_s: float
    max_step_s: float
    max_attempts: int
    max_age_s: float

    def delay_s(self, attempts: int, jitter: float | None = None) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (``jitter`` in [0.5, 1];
        random when ``None``, so receivers that come back are not hit all at once)."""
        factor = random.uniform(0.5, 1.0) if jitter is None else jitter  # jitter, not a secret
        step = min(self.max_step_s, self.base_s * 2.0 ** max(0, attempts - 1))
        return float(step * factor)

    def next_attempt(self, attempts: int, queued: datetime, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failed attempts, or ``None``: give up."""
        if attempts >= self.max_attempts:
            return None
        at = now + timedelta(seconds=self.delay_s(attempts))
        if at > queued + timedelta(seconds=self.max_age_s):
            return None
        return at
