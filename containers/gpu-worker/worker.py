"""The GPU worker (a doorway): one ECS task runs one ``analyze`` work item from
``FRAMELENS_TASK_INPUT`` (with its ``result_key``); exit 1 on a failed item (States.TaskFailed)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from framelens.errors import FramelensError
from framelens.models.sessions import preload_cuda
from framelens.orchestration.contract import gpu_task_item
from framelens.orchestration.stages import stage
from framelens.runtime import build_services

if TYPE_CHECKING:
    from collections.abc import Mapping
TASK_INPUT_ENV = "FRAMELENS_TASK_INPUT"  # infra/constructs/pipeline.py sets it
logger = Logger(service="framelens-gpu-worker")


def main(environ: Mapping[str, str] | None = None, services: Any = None) -> int:
    """Run the item (tests pass the task's environment and services: many tasks, one process)."""
    try:
        item = gpu_task_item((os.environ if environ is None else environ).get(TASK_INPUT_ENV))
        logger.append_keys(job_id=item.job_id, stage="analyze", runtime="gpu")
        if services is None and not preload_cuda():
            logger.warning("no CUDA provider: the work item runs on the CPU")
        out = stage("analyze").run(services or build_services(), item.model_dump(mode="json"))
    except (ValueError, FramelensError) as exc:
        logger.exception("work item failed", extra={"code": getattr(exc, "code", "bad_input")})
        return 1
    logger.info("work item done", extra={"result_key": out["key"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
