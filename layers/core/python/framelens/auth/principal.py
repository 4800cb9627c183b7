"""Who is calling: the authenticated principal, and the built-in plan table.

Owns: ``Principal`` (what a request carries after authentication) and the named plans a tenant
can be put on. Does not own: storing keys or tenants (``stores``), counting requests
(``auth.limits``) or usage (``auth.quotas``).
"""

from __future__ import annotations

from dataclasses import dataclass

from framelens.errors import ValidationError
from framelens.schemas.auth import Plan

__all__ = ["PLANS", "Principal", "resolve_plan"]

# "default" is seed 000's limits (60 GET / 10 POST per minute per key); others are ours.
PLANS: dict[str, Plan] = {
    "default": Plan(),
    "pro": Plan(
        name="pro",
        get_per_minute=600,
        post_per_minute=100,
        concurrent_jobs=16,
        media_seconds_per_month=360_000.0,
    ),
}


def resolve_plan(name: str | None) -> Plan:
    """The built-in plan called ``name`` (``None`` means ``"default"``).

    Args:
        name: A plan name from ``PLANS``, or ``None``.

    Returns:
        A copy of the plan, safe to mutate.

    Raises:
        ValidationError: The name is not a known plan.

    Examples:
        >>> resolve_plan("pro").post_per_minute
        100
    """
    key = name or "default"
    plan = PLANS.get(key)
    if plan is None:
        known = ", ".join(sorted(PLANS))
        raise ValidationError(
            f"unknown plan {key!r}: choose one of {known}", details={"plans": sorted(PLANS)}
        )
    return plan.model_copy()


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request, resolved from its API key.

    Passed down explicitly (never a module global: Lambda reuses containers).
    """

    key_id: str
    tenant_id: str
    plan: Plan
    critical_tags: tuple[str, ...] = ()
