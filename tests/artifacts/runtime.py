"""One deployed function, run from its artifact in its own Python, with Lambda's limits.

Owns: the child process (``bootstrap.py`` under ``python3.12 -I -S``) with only the function's
code folder and its layers on ``sys.path`` and the function's template environment; invoking it
with an event and reading the answer; and the limits Lambda enforces that in-process tests never
meet: the 6 MB synchronous invoke payload (request and response) and the function's ``/tmp``
(``TMPDIR`` is a folder of its own, measured while it runs, against the template's
``EphemeralStorage``). Does not own AWS (a moto server the child reaches with
``AWS_ENDPOINT_URL``) or which function runs which folder (the tests).
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.artifacts.bootstrap import MARKER

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
# Lambda's synchronous invocation payload limit, request and response (6 MB = 6,291,456 bytes).
INVOKE_PAYLOAD_LIMIT = 6 * 1024 * 1024


@dataclass
class Answer:
    """What one invocation returned: the result, or Lambda's error fields, and the logs."""

    result: Any = None
    error_type: str | None = None
    error_message: str = ""
    trace: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    tmp_peak_bytes: int = 0

    def ok(self) -> Any:
        """The result; raises ``AssertionError`` with the error and its trace otherwise."""
        if self.error_type is not None:
            raise AssertionError(
                f"{self.error_type}: {self.error_message}\n{''.join(self.trace)}"
                + "\n".join(self.logs[-20:])
            )
        return self.result


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except FileNotFoundError:
            continue  # removed while we counted
    return total


class ArtifactFunction:
    """A function's artifact in a child process, invoked like Lambda invokes it.

    Args:
        name: The function's name (``AWS_LAMBDA_FUNCTION_NAME``).
        python: The interpreter of Lambda's Python version.
        paths: ``sys.path`` entries, in Lambda's order: code folder, then the layers' ``python/``.
        environment: The template's environment for the function plus the AWS endpoint and
            credentials.
        tmp_dir: The function's ``/tmp``.
        ephemeral_mb: Its size (the template's ``EphemeralStorage.Size``; Lambda's default 512).
        memory_mb: ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``.
    """

    def __init__(
        self,
        name: str,
        *,
        python: Path,
        paths: list[Path],
        environment: dict[str, str],
        tmp_dir: Path,
        ephemeral_mb: int = 512,
        memory_mb: int = 512,
        handler: str = "handler.handler",
    ) -> None:
        self.name = name
        self.tmp_dir = tmp_dir
        self.ephemeral_bytes = ephemeral_mb * 1024 * 1024
        tmp_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **environment,
            "_HANDLER": handler,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "FUNCTION_ARN": f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
            "TMPDIR": str(tmp_dir),
            "LAMBDA_TASK_ROOT": str(paths[0]),
        }
        self._process = subprocess.Popen(
            [str(python), "-I", "-S", str(BOOTSTRAP), *map(str, paths)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.init = self._read(timeout_s=120)
        self.modules: list[str] = list(self.init.result.get("modules", [])) if self.ready else []

    @property
    def ready(self) -> bool:
        """Whether the handler module imported (no ``Runtime.ImportModuleError``)."""
        return self.init.error_type is None and bool(self.init.result)

    def _pump(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _read(self, timeout_s: float) -> Answer:
        answer = Answer()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self._lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty as exc:
                raise TimeoutError(f"{self.name} gave no answer in {timeout_s}s") from exc
            if line is None:
                answer.error_type = "Runtime.ExitError"
                answer.error_message = "the process exited"
                return answer
            if not line.startswith(MARKER):
                answer.logs.append(line)
                continue
            body = json.loads(line.removeprefix(MARKER))
            answer.error_type = body.get("errorType")
            answer.error_message = body.get("errorMessage", "")
            answer.trace = body.get("stackTrace", [])
            answer.result = body.get("result", body if body.get("ready") else None)
            return answer

    def invoke(self, event: dict[str, Any], timeout_s: float = 120) -> Answer:
        """Invoke with ``event``; Lambda's limits apply (payload, ``/tmp``)."""
        if not self.ready:
            return self.init
        request = json.dumps(event)
        if len(request.encode()) > INVOKE_PAYLOAD_LIMIT:
            # Lambda refuses the invocation; API Gateway answers 5xx, the code never runs.
            return Answer(
                error_type="RequestEntityTooLargeException",
                error_message=f"request payload {len(request.encode())} B > {INVOKE_PAYLOAD_LIMIT}",
            )
        peak = [0]
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], _folder_bytes(self.tmp_dir))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        assert self._process.stdin is not None
        self._process.stdin.write(request + "\n")
        self._process.stdin.flush()
        try:
            answer = self._read(timeout_s)
        finally:
            done.set()
            watcher.join()
        answer.tmp_peak_bytes = max(peak[0], _folder_bytes(self.tmp_dir))
        if answer.tmp_peak_bytes > self.ephemeral_bytes:
            answer.error_type = "EphemeralStorageExceeded"
            answer.error_message = (
                f"/tmp held {answer.tmp_peak_bytes} B > {self.ephemeral_bytes} B (ENOSPC in AWS)"
            )
        elif answer.error_type is None:
            size = len(json.dumps(answer.result, default=str).encode())
            if size > INVOKE_PAYLOAD_LIMIT:
                answer.error_type = "ResponseSizeTooLarge"
                answer.error_message = f"response payload {size} B > {INVOKE_PAYLOAD_LIMIT}"
        return answer

    def close(self) -> None:
        """End the process (the container is reclaimed)."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
