"""Authentication and limits: API keys, principals, per-key rate limits, per-tenant quotas.

Owns: key format and hashing, header parsing, the plan table, rate-limit windows and quota
counters. Does not own: storage (``stores`` ports only) or HTTP mapping (``api``). Light on
purpose: the authorizer Lambda imports this package, so nothing heavy (no FastAPI) comes in.
"""

from __future__ import annotations

from framelens.auth.keys import KEY_PREFIX, KeyService, extract_key, generate_key, hash_key
from framelens.auth.limits import WINDOW_S, RateDecision, RateLimiter, rate_bucket
from framelens.auth.principal import PLANS, Principal, resolve_plan
from framelens.auth.quotas import Quotas

__all__ = [
    "KEY_PREFIX",
    "PLANS",
    "WINDOW_S",
    "KeyService",
    "Principal",
    "Quotas",
    "RateDecision",
    "RateLimiter",
    "extract_key",
    "generate_key",
    "hash_key",
    "rate_bucket",
    "resolve_plan",
]
