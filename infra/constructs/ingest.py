"""S3 drops: ``ObjectCreated`` under ``uploads/`` → ``functions/ingest`` → a job.

Owns: the ingest function, its dead-letter queue and the bucket notification. Does not own the
job it creates (``framelens.jobs``) or the pipeline it starts (``pipeline.py``).

The bucket lives in the storage stack; the notification is attached from this stack to the
bucket *imported by name*. Attaching it to the bucket object itself would make the storage stack
depend on this one (the function's ARN) while this one depends on storage (the bucket): a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from framelens.stores.layout import UPLOADS_PREFIX
from infra.constructs.access import grant_tables
from infra.constructs.common import FramelensProps, Layers, ephemeral_mb_for, python_function

if TYPE_CHECKING:
    from infra.constructs.storage import Storage


class Ingest(Construct):
    """The S3-drop function.

    Attributes:
        function: The ingest function.
        dead_letter_queue: Events the function failed on after Lambda's async retries.
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
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.function = python_function(
            self,
            "Function",
            name="ingest",
            layers=layers,
            props=props,
            environment=environment,
            memory_mb=512,
            timeout=Duration.seconds(60),
            # Probing a drop reads the whole object; drops have no size bound: Lambda's maximum.
            ephemeral_mb=ephemeral_mb_for(None),
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=2,
        )
        storage.bucket.grant_read_write(self.function)
        # Jobs and files; counters (quotas) in the keys table; a new job is an event for the
        # tenant's webhook subscriptions (access.py).
        grant_tables(storage, self.function, "ingest")

        bucket = s3.Bucket.from_bucket_name(self, "MediaBucket", storage.bucket.bucket_name)
        bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(self.function),
            s3.NotificationKeyFilter(prefix=UPLOADS_PREFIX),
        )
