"""Lambda's runtime loop, run by the artifact's own Python (``python3.12 -I -S bootstrap.py``).

Owns, inside the child process: putting only the function's code folder and its layers on
``sys.path`` (``-I -S``: no site-packages, no user paths, no ``PYTHON*`` variables), importing
``$_HANDLER`` once (the cold start), then reading one JSON event per stdin line and answering on
stdout with a marker line, the way the Lambda runtime reports a result or an error
(``errorType`` is the exception's class name). Everything else the handler prints is its log.
Deliberately stdlib only: nothing here may import what the artifact lacks.
"""

import importlib
import json
import os
import sys
import traceback
import uuid

MARKER = "@@LAMBDA-RESULT "


class Context:
    """The fields of Lambda's ``context`` that handlers and powertools read."""

    def __init__(self) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.invoked_function_arn = os.environ["FUNCTION_ARN"]
        self.function_version = "$LATEST"
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def answer(body: dict) -> None:
    sys.stdout.write(MARKER + json.dumps(body, default=str) + "\n")
    sys.stdout.flush()


def error(exc: BaseException) -> dict:
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


def main() -> None:
    sys.path[:0] = sys.argv[1:]
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:  # noqa: BLE001 - Lambda's Runtime.ImportModuleError
        answer({**error(exc), "init": True})
        return
    answer({"ready": True, "modules": sorted(sys.modules)})
    for line in sys.stdin:
        try:
            answer({"result": handler(json.loads(line), Context())})
        except Exception as exc:  # noqa: BLE001 - the runtime's boundary: report, never raise
            answer(error(exc))


if __name__ == "__main__":
    main()
