"""Starting the pipeline on AWS: one Step Functions execution per job.

Owns: ``StepFunctionsDispatcher``, the aws adapter of "run this job's pipeline". Does not own the
state machine (``infra/constructs/pipeline.py``) or when a job is submitted (``framelens.jobs``).

The execution is named after the job, so a second submit of the same job (an S3 event delivered
twice, a retried API call) cannot start a second pipeline: Step Functions refuses a reused name
(``ExecutionAlreadyExists``) and the dispatcher answers with the existing execution's ARN.
moto's interpreter also needs the explicit ``name``.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from framelens.errors import JobStateError, StoreError, ValidationError

_log = logging.getLogger(__name__)

__all__ = ["StepFunctionsDispatcher", "execution_name"]

# Step Functions execution names: 1-80 characters, no whitespace, brackets, wildcards or
# control characters; job ids ("job_<hex>") always qualify.
_NAME_OK = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def execution_name(job_id: str) -> str:
    """The execution name of a job (the job id itself).

    Raises:
        ValidationError: The id cannot be an execution name.

    Examples:
        >>> execution_name("job_1f2e")
        'job_1f2e'
    """
    if not _NAME_OK.match(job_id):
        raise ValidationError(f"job id {job_id!r} cannot name a Step Functions execution")
    return job_id


class StepFunctionsDispatcher:
    """Submits jobs to the pipeline state machine.

    Args:
        state_machine_arn: The state machine (``FRAMELENS_STATE_MACHINE_ARN``).
        client: An injected ``stepfunctions`` client (tests); created on first use otherwise.

    Examples:
        >>> dispatcher = StepFunctionsDispatcher(arn)  # doctest: +SKIP
        >>> dispatcher.submit("job_1f2e", deadline_s=600)  # doctest: +SKIP
        'arn:aws:states:eu-west-1:123456789012:execution:Pipeline:job_1f2e'
    """

    def __init__(self, state_machine_arn: str, client: Any | None = None) -> None:
        self._arn = state_machine_arn
        self._client = client

    def _sfn(self) -> Any:
        if self._client is None:
            import boto3  # lazy: API cold starts that never submit do not pay for it

            self._client = boto3.client("stepfunctions")
        return self._client

    def submit(self, job_id: str, deadline_s: int | None) -> str:
        """Start the pipeline for ``job_id``; idempotent per job.

        Args:
            job_id: The job; also the execution name.
            deadline_s: Seconds the job may take (``Max-Processing-Time``), or ``None``; passed
                in the execution input for the plan stage (the job record holds it too).

        Returns:
            The execution ARN (the existing one when the job was already submitted).

        Raises:
            ValidationError: The job id cannot name an execution.
            StoreError: Step Functions refused or could not be reached.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        name = execution_name(job_id)
        payload: dict[str, Any] = {"job_id": job_id}
        if deadline_s is not None:
            payload["deadline_s"] = int(deadline_s)
        try:
            response = self._sfn().start_execution(
                stateMachineArn=self._arn, name=name, input=json.dumps(payload)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return self._execution_arn(name)
            raise StoreError(f"could not start the pipeline for job {job_id}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"could not reach Step Functions for job {job_id}") from exc
        return str(response["executionArn"])

    @property
    def runs_inline(self) -> bool:
        """Jobs run in Step Functions, never in the API's process."""
        return False

    def run_job(self, job_id: str) -> None:
        """Not available here: API Gateway's 29 s limit leaves no room for inline runs."""
        raise JobStateError(f"job {job_id} runs in the pipeline; poll it instead")

    def cancel(self, job_id: str) -> None:
        """Stop the job's execution (the job record is already ``cancelled``).

        A failure to stop is logged, not raised: the cancellation is recorded and every stage
        checks the job's state on entry, so the pipeline stops at the next stage anyway.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._sfn().stop_execution(
                executionArn=self._execution_arn(execution_name(job_id)),
                error="JobCancelled",
                cause="the job was cancelled by the client",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist":
                _log.warning("could not stop the execution of job %s", job_id, exc_info=True)
        except (BotoCoreError, ValidationError):
            _log.warning("could not stop the execution of job %s", job_id, exc_info=True)

    def _execution_arn(self, name: str) -> str:
        # arn:aws:states:<region>:<account>:stateMachine:<sm> → ...:execution:<sm>:<name>
        return self._arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"
