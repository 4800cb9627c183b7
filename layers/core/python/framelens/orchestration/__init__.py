"""The pipeline: stage definition (``stages``), stage functions (``steps``), the local runner."""

from __future__ import annotations

from framelens.orchestration.stages import FAILURE_STAGES, STAGES, RetryPolicy, Stage, stage

__all__ = ["FAILURE_STAGES", "STAGES", "RetryPolicy", "Stage", "stage"]
