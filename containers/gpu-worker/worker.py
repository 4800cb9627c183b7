"""The GPU worker's entry point: one ECS task runs one work item of the analyze stage.

Owns: reading the task input (``FRAMELENS_TASK_INPUT``, set by the state machine's container
override), calling the library's ``analyze`` step and leaving the part's result at the key the
state machine chose (``gpu.result_key``): ``RunTask.sync`` cannot return a value, so the state
machine picks the key and reads it back. Does not own any analysis (``framelens``).

Exit status: 0 on success, 1 on a failed item (the task stops non-zero, Step Functions sees
``States.TaskFailed`` and applies the analyze stage's Retry, then its Catch).
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from framelens.errors import FramelensError
from framelens.orchestration.stages import stage
from framelens.runtime import build_services

if TYPE_CHECKING:
    from collections.abc import Mapping

TASK_INPUT_ENV = "FRAMELENS_TASK_INPUT"  # infra/constructs/pipeline.py sets it
logger = Logger(service="framelens-gpu-worker")


def read_task_input(environ: Mapping[str, str]) -> dict[str, Any]:
    """The work item from the environment.

    Raises:
        ValueError: The variable is missing, not JSON, or lacks ``gpu.result_key``.
    """
    raw = environ.get(TASK_INPUT_ENV)
    if not raw:
        raise ValueError(f"{TASK_INPUT_ENV} is not set: the state machine passes the work item")
    item = json.loads(raw)
    if not isinstance(item, dict) or not item.get("gpu", {}).get("result_key"):
        raise ValueError(f"{TASK_INPUT_ENV} must be a work item with gpu.result_key")
    return item


def run(item: dict[str, Any], services: Any) -> str:
    """Analyze one item and return the key its result now lives at (``gpu.result_key``)."""
    module_name, _, function_name = stage("analyze").handler.partition(":")
    module = __import__(module_name, fromlist=[function_name])
    result_key: str = item["gpu"]["result_key"]
    payload = {k: v for k, v in item.items() if k != "gpu"}
    payload["result_key"] = result_key  # steps.analyze may write there directly
    written = getattr(module, function_name)(services, payload)["key"]
    if written != result_key:
        blobs = services.stores.blobs
        blobs.put(result_key, blobs.get(written), "application/json")
    return result_key


def preload_cuda() -> bool:
    """Load the CUDA and cuDNN libraries the lock ships as wheels (``onnxruntime-gpu[cuda,cudnn]``)
    before a session is created; without it onnxruntime looks only in the system's library path
    and falls back to the CPU. Returns whether the CUDA provider is there to use them.
    """
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        return False
    preload = getattr(onnxruntime, "preload_dlls", None)  # onnxruntime >= 1.21
    if preload is not None:
        preload()
    return True


def main(environ: Mapping[str, str] | None = None, services: Any = None) -> int:
    """Entry point of the container (``ENTRYPOINT``); tests pass the task's environment and
    services (the moto harness runs many tasks in one process)."""
    try:
        item = read_task_input(os.environ if environ is None else environ)
    except ValueError as exc:
        logger.error("bad task input", extra={"error": str(exc)})
        return 1
    logger.append_keys(job_id=item.get("job_id"), stage="analyze", runtime="gpu")
    if services is None and not preload_cuda():
        logger.warning("no CUDA provider: the work item runs on the CPU")
    try:
        key = run(item, services or build_services())
    except FramelensError as exc:
        logger.exception("work item failed", extra={"code": exc.code})
        return 1
    logger.info("work item done", extra={"result_key": key})
    return 0


if __name__ == "__main__":
    sys.exit(main())
