"""Jobs never stay running: an EventBridge rule on the pipeline's ended executions.

Owns: the rule (Step Functions "Execution Status Change" of this state machine with status
FAILED, TIMED_OUT or ABORTED) and ``functions/job_events``, which fails the job with a reason,
releases its concurrent-job slot and fires its webhook. Covers what the state machine's own
Catch cannot: an execution timeout, a StopExecution from outside the API,
``States.DataLimitExceeded`` and runtime errors. Does not own what "ending a job" means
(``framelens.jobs.execution_events``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.constructs.access import grant_tables
from infra.constructs.common import FramelensProps, Layers, python_function

if TYPE_CHECKING:
    from aws_cdk import aws_stepfunctions as sfn

    from infra.constructs.storage import Storage

ENDED_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"]


class JobEvents(Construct):
    """The rule and its function.

    Attributes:
        function: Ends the job of an ended execution.
        rule: The EventBridge rule.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        props: FramelensProps,
        state_machine: sfn.IStateMachine,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = python_function(
            self,
            "Function",
            name="job_events",
            layers=layers,
            props=props,
            environment=environment,
            memory_mb=256,
            timeout=Duration.seconds(60),
        )
        # Jobs; the concurrent-job counters in the keys table; a failed job is an event for the
        # tenant's webhook subscriptions (access.py).
        grant_tables(storage, self.function, "job_events")
        self.rule = events.Rule(
            self,
            "ExecutionEnded",
            description="A pipeline execution ended without its job: fail the job",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "status": ENDED_STATUSES,
                    "stateMachineArn": [state_machine.state_machine_arn],
                },
            ),
        )
        self.rule.add_target(
            targets.LambdaFunction(self.function, retry_attempts=8, max_event_age=Duration.hours(2))
        )
