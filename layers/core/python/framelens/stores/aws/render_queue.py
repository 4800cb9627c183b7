"""Handing a media render to the render worker on AWS: an asynchronous Lambda invoke.

Owns: ``LambdaRenderQueue``, the aws adapter of ``jobs.render_queue.RenderQueue``. Does not own
the worker (``functions/render``) or when a render is queued (``jobs.file_media``).

``InvocationType=Event``: Lambda queues the event and answers 202 at once, so the API answers its
client within API Gateway's 29 s whatever the render costs. The function's own asynchronous
retries are off (``infra/constructs/renders.py``): the API asks again when a client polls after
the worker's timeout, and a render failed for the client's reason is recorded, not retried.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from framelens.errors import StoreError

__all__ = ["LambdaRenderQueue"]


class LambdaRenderQueue:
    """Invokes the render worker function asynchronously with one task.

    Args:
        function_name: The worker (``FRAMELENS_RENDER_FUNCTION``, set by the stack).
        client: An injected ``lambda`` client (tests); created on first use otherwise.

    Examples:
        >>> LambdaRenderQueue("FramelensService-RenderFunction").submit(task)  # doctest: +SKIP
    """

    def __init__(self, function_name: str, client: Any | None = None) -> None:
        self._function = function_name
        self._client = client

    def _lambda(self) -> Any:
        if self._client is None:
            import boto3  # lazy: requests that never render do not pay for it

            self._client = boto3.client("lambda")
        return self._client

    def submit(self, task: dict[str, Any]) -> None:
        """Queue ``task`` for the worker (Lambda accepts up to 256 KB; a task is ~500 B).

        Raises:
            StoreError: Lambda refused the event (throttled, missing function, no permission).
        """
        try:
            self._lambda().invoke(
                FunctionName=self._function,
                InvocationType="Event",
                Payload=json.dumps(task).encode(),
            )
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(
                "The render worker could not be asked to render; retry in a few seconds."
            ) from exc
