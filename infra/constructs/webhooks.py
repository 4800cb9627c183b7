"""Webhook delivery in AWS: the delivery function, its schedule, and who may wake it.

Owns: ``functions/webhooks`` (sends the delivery records that are due — the records in the
webhooks table are the queue —, bounded per receiver host, on a retry schedule of hours), the
EventBridge schedule that runs it every minute (deliveries waiting for a retry, and records a
stopped run left leased), and exactly what it may touch. Why a scheduled poller and not SQS: the
record already is the queue (durable, listed and redelivered by the API), a retry may wait an
hour where SQS delays stop at 15 minutes, and one function, one rule is the least to run; the
processes that queue a delivery also invoke it at once (``grant_wake``), so the first attempt
does not wait for the minute.

Least privilege: read and write the webhooks table (its records) and the jobs table (a job
webhook's ``webhook_delivery`` mirrors its record); read ``webhooks/`` bodies in the bucket; read
the sealing key's secret. Does not own that key (``storage``) or sending (the library).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from framelens.stores.layout import WEBHOOKS_PREFIX
from infra.constructs.access import grant_tables
from infra.constructs.common import FramelensProps, Layers, python_function

if TYPE_CHECKING:
    from aws_cdk import aws_iam as iam

    from infra.constructs.storage import Storage

WEBHOOK_BODIES = f"{WEBHOOKS_PREFIX}*"  # stores.layout.webhook_body_key
# A run sends round after round until nothing is due; the schedule starts the next one.
DELIVERY_TIMEOUT_S = 120


class WebhookDelivery(Construct):
    """The delivery function and its schedule.

    Attributes:
        function: Sends due deliveries; ``grant_wake`` lets a queueing process invoke it.
        rule: The every-minute schedule.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        props: FramelensProps,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = python_function(
            self,
            "Function",
            name="webhooks",
            layers=layers,
            props=props,
            environment=environment,
            memory_mb=256,
            timeout=Duration.seconds(DELIVERY_TIMEOUT_S),
            # One run at a time keeps the per-host bound one process's bound; a wake or a
            # schedule tick that finds it running is dropped (the running one polls again).
            reserved_concurrent_executions=1,
            retry_attempts=0,
        )
        grant_tables(storage, self.function, "webhooks")
        storage.bucket.grant_read(self.function, WEBHOOK_BODIES)
        storage.webhook_key.grant_read(self.function)
        self.rule = events.Rule(
            self,
            "Schedule",
            description="Send webhook deliveries that are due (retries, interrupted sends)",
            schedule=events.Schedule.rate(Duration.minutes(1)),
        )
        self.rule.add_target(targets.LambdaFunction(self.function, retry_attempts=0))

    def grant_wake(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` queue deliveries: write their bodies and wake the function."""
        self.function.grant_invoke(grantee)
