"""The pipeline's stages, defined once as data.

Owns: the ordered stage list, each stage's handler, runtime, retry and timeout. The local runner
(``orchestration.runner``) executes it in-process; ``infra/constructs/pipeline.py`` turns the very
same list into Step Functions states. Does not own: what a stage does (``orchestration.steps``).

Flow: probe → plan → analyze (fanned out over sources × segments; Choice on runtime cpu/gpu) →
aggregate → notify → finalize. Any failure: mark_failed → notify.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FAILURE_STAGES", "STAGES", "RetryPolicy", "Stage", "stage"]

Runtime = Literal["control", "cpu", "gpu"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry of transient errors, with exponential backoff (mirrors Step Functions Retry)."""

    max_attempts: int = 2
    interval_s: float = 1.0
    backoff_rate: float = 2.0
    errors: tuple[str, ...] = ("StoreError", "TransientError")


@dataclass(frozen=True, slots=True)
class Stage:
    """One step of the pipeline.

    Attributes:
        name: state name (also the Step Functions state name, in PascalCase there).
        handler: ``module:function`` taking ``(services, payload) -> payload``.
        runtime: ``control`` (small Lambda), ``cpu`` (inference Lambda), ``gpu`` (ECS task);
            ``analyze`` picks cpu or gpu per work item.
        fan_out: the stage runs once per work item the previous stage listed (a Map state).
        timeout_s: hard limit for one invocation.
    """

    name: str
    handler: str
    runtime: Runtime
    retry: RetryPolicy = RetryPolicy()
    fan_out: bool = False
    timeout_s: int = 60


STAGES: tuple[Stage, ...] = (
    Stage("probe", "framelens.orchestration.steps:probe", "control", timeout_s=120),
    Stage("plan", "framelens.orchestration.steps:plan", "control"),
    Stage(
        "analyze",
        "framelens.orchestration.steps:analyze",
        "cpu",
        fan_out=True,
        timeout_s=900,
        retry=RetryPolicy(max_attempts=2, interval_s=2.0),
    ),
    Stage("aggregate", "framelens.orchestration.steps:aggregate", "control", timeout_s=300),
    Stage(
        "notify",
        "framelens.orchestration.steps:notify",
        "control",
        timeout_s=120,
        retry=RetryPolicy(max_attempts=0),
    ),
    Stage("finalize", "framelens.orchestration.steps:finalize", "control"),
)

FAILURE_STAGES: tuple[Stage, ...] = (
    Stage("mark_failed", "framelens.orchestration.steps:mark_failed", "control"),
    Stage(
        "notify_failure",
        "framelens.orchestration.steps:notify",
        "control",
        timeout_s=120,
        retry=RetryPolicy(max_attempts=0),
    ),
)


def stage(name: str) -> Stage:
    """The stage called ``name``. Raises ``KeyError``."""
    for s in (*STAGES, *FAILURE_STAGES):
        if s.name == name:
            return s
    raise KeyError(name)
