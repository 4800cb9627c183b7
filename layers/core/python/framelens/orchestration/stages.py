"""The pipeline's stages, defined once as data.

Owns: the ordered stage list, each stage's handler, runtime, retry and timeout, and the one place
a stage's function is resolved and called (``Stage.run``: validate the payload into the
function's typed input, call it, dump its typed output). The local runner
(``orchestration.runner``), the pipeline Lambda and the GPU worker all call ``Stage.run``;
``infra/constructs/pipeline.py`` turns the very same list into Step Functions states. Does not
own: what a stage does (``orchestration.steps``) or the payload models (``contract``).

Flow: probe → plan → analyze (fanned out over sources × segments; Choice on runtime cpu/gpu) →
aggregate → notify → finalize. Any failure: mark_failed → notify.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from framelens.errors import FramelensError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pydantic import BaseModel

    from framelens.orchestration.contract import PipelineDeps

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
        handler: ``module:function`` taking ``(deps, <typed payload>) -> <typed payload>``.
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

    def function(self) -> Callable[..., BaseModel]:
        """The stage's function (imported on first use: stages pull in heavy modules)."""
        return _resolve(self.handler)

    def run(self, deps: PipelineDeps, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Run the stage on a JSON payload; returns its JSON output.

        Raises:
            pydantic.ValidationError: the payload does not match the function's input model.
        """
        fn = self.function()
        model: type[BaseModel] = _input_model(fn)
        parsed = model.model_validate(dict(payload))
        if not self.fan_out:
            return fn(deps, parsed).model_dump(mode="json")
        # A fan-out item's failure is recorded where the failure path finds it (a failed
        # Distributed Map names no item and no error).
        from framelens.orchestration.failures import item_outcome

        try:
            output = fn(deps, parsed)
        except FramelensError as exc:
            item_outcome(deps, parsed, exc)  # type: ignore[arg-type]
            raise
        item_outcome(deps, parsed, None)  # type: ignore[arg-type]
        return output.model_dump(mode="json")


@cache
def _resolve(handler: str) -> Callable[..., BaseModel]:
    module_name, _, function_name = handler.partition(":")
    fn: Callable[..., BaseModel] = getattr(importlib.import_module(module_name), function_name)
    return fn


@cache
def _input_model(fn: Callable[..., BaseModel]) -> type[BaseModel]:
    """The model of a stage function's second parameter (a payload model of ``contract``)."""
    from framelens.orchestration import contract

    payload_param = fn.__code__.co_varnames[1]
    annotation = fn.__annotations__[payload_param]
    name = annotation if isinstance(annotation, str) else annotation.__name__
    model: type[BaseModel] = getattr(contract, name)
    return model


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
    Stage("mark_failed", "framelens.orchestration.failures:mark_failed", "control"),
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
