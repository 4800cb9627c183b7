"""The render worker: seed 002's clips, spans, overlay and trace videos made outside the API.

Owns: the container-image function (the inference image, whose PyAV, OpenCV, numpy and
supervision the API's zip layer cannot hold; its command is ``functions/render``'s handler) and
exactly what it may touch. Does not own when a render is asked for (``framelens.jobs.file_media``)
or the API's permission to ask (``grant_invoke``, called by the service stack).

Why a function of its own and not a pipeline stage: a render answers one client's GET, must
start at once and needs no job record; an asynchronous invoke (``InvocationType=Event``) costs
one API call and queues in Lambda itself. Lambda's own retries are off: the API asks again when
a client polls after ``RENDER_TIMEOUT_S`` (its pending marker has aged), and a render refused for
the client's reason is recorded beside it and answered, never retried.

Least privilege: read the files table and the jobs table (a file's record, the analysis whose
boxes are drawn); read stored media, S3 drops (a dropped file stays under ``uploads/``), result
documents and oversized job bodies; read, write and delete under ``renders/`` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Size
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from framelens.stores.layout import (
    MEDIA_PREFIX,
    RECORDS_PREFIX,
    RENDERS_PREFIX,
    RESULTS_PREFIX,
    UPLOADS_PREFIX,
)
from infra.constructs.common import REPO_ROOT, FramelensProps, ephemeral_mb_for, powertools_env
from infra.constructs.gpu import image_excludes

if TYPE_CHECKING:
    from infra.constructs.storage import Storage

# The worker's timeout (Lambda's maximum); the API renews a pending render after it
# (FRAMELENS_RENDER_WORKER_TIMEOUT_S).
RENDER_TIMEOUT_S = 900
RENDER_MEMORY_MB = 3008
RENDER_HANDLER = "render_handler.handler"  # containers/inference/Dockerfile copies it there
# What the worker reads besides its own renders/ (stores.layout prefixes).
READ_PREFIXES = (MEDIA_PREFIX, UPLOADS_PREFIX, RESULTS_PREFIX, RECORDS_PREFIX)


class Renders(Construct):
    """The render worker function.

    Attributes:
        function: The worker; the API invokes it asynchronously (``grant_invoke``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        props: FramelensProps,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        code = lambda_.DockerImageCode.from_image_asset(
            str(REPO_ROOT),
            file="containers/inference/Dockerfile",
            exclude=image_excludes(),
            ignore_mode=IgnoreMode.DOCKER,
            cmd=[RENDER_HANDLER],
        )
        self.function = lambda_.DockerImageFunction(
            self,
            "Function",
            code=code,
            memory_size=RENDER_MEMORY_MB,
            timeout=Duration.seconds(RENDER_TIMEOUT_S),
            # A render spools its output before storing it; a worker may download the source.
            ephemeral_storage_size=Size.mebibytes(ephemeral_mb_for(None)),
            tracing=lambda_.Tracing.ACTIVE,
            retry_attempts=0,
            max_event_age=Duration.seconds(RENDER_TIMEOUT_S),
            log_group=logs.LogGroup(
                self,
                "Logs",
                retention=props.log_retention,
                removal_policy=RemovalPolicy.DESTROY,
            ),
            environment={
                **powertools_env("framelens-render", xray_sdk_tracing=props.xray_sdk_tracing),
                **environment,
            },
        )
        bucket = storage.bucket
        for prefix in READ_PREFIXES:
            bucket.grant_read(self.function, f"{prefix}*")
        bucket.grant_read(self.function, f"{RENDERS_PREFIX}*")
        bucket.grant_put(self.function, f"{RENDERS_PREFIX}*")
        bucket.grant_delete(self.function, f"{RENDERS_PREFIX}*")
        storage.tables["files"].grant_read_data(self.function)
        storage.tables["jobs"].grant_read_data(self.function)
