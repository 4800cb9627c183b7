"""What every Framelens construct shares: typed deployment props, paths, the runtime constant,
the Lambda layers and the powertools environment.

Owns: ``FramelensProps`` (every tunable of a deployment, read from CDK context once in
``infra/app.py``), asset paths, and the function factory that applies the common settings
(runtime, layers, tracing, log retention). Does not own any resource of a single concern.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, Duration, ILocalBundling, RemovalPolicy, Size
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from framelens.config import Settings
from infra.artifacts import ARTIFACTS, LAMBDA_PYTHON, install_command

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
CORE_LAYER_DIR = REPO_ROOT / "layers" / "core"
# One runtime for every zip function: the Python every lock is resolved for (infra/artifacts.py),
# and the inference image's base (public.ecr.aws/lambda/python:3.12, Amazon Linux 2023).
PYTHON_RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.X86_64
assert PYTHON_RUNTIME.name == f"python{LAMBDA_PYTHON}", "runtime and locks disagree"
METRICS_NAMESPACE = "Framelens"
# Lambda's /tmp: 512 MB by default, 10,240 MB at most. A function that downloads a whole file
# (upload completion, probe, analysis of a segment) needs that file's size there.
DEFAULT_EPHEMERAL_MB = 512
MAX_EPHEMERAL_MB = 10_240
_EPHEMERAL_HEADROOM_MB = 512  # the runtime's own files, spooled request bodies
# The Map runs a video of this length in one wave by default: every segment's items at once.
ONE_WAVE_VIDEO_S = 3600
# Work items per segment when a job asks for every module: one CPU (Lambda), one GPU (ECS).
ITEMS_PER_SEGMENT = 2


def one_wave_concurrency(video_s: float = ONE_WAVE_VIDEO_S, segment_s: float | None = None) -> int:
    """Map concurrency that runs every work item of a ``video_s`` video at once.

    ``segment_s`` defaults to the pipeline's ``Settings.segment_seconds`` (300 s: 12 segments
    for an hour, so 24 items with CPU and GPU modules).

    Examples:
        >>> one_wave_concurrency(3600, 300)
        24
    """
    segment = segment_s if segment_s is not None else Settings().segment_seconds
    return math.ceil(video_s / segment) * ITEMS_PER_SEGMENT


def ephemeral_mb_for(download_bytes: int | None) -> int:
    """``/tmp`` in MB for a function that holds ``download_bytes`` on disk at once.

    ``None``: no bound is known (S3 drops, sources of any size), so Lambda's maximum.

    Examples:
        >>> ephemeral_mb_for(0)
        512
        >>> ephemeral_mb_for(5 * 1024**3)
        5632
    """
    if download_bytes is None:
        return MAX_EPHEMERAL_MB
    needed = -(-download_bytes // 2**20) + _EPHEMERAL_HEADROOM_MB
    return max(DEFAULT_EPHEMERAL_MB, min(MAX_EPHEMERAL_MB, needed))


# Files that must never reach an asset: caches, build metadata, local state.
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/*.egg-info", ".framelens", "cdk.out"]
# jsii enums carry names, not day counts; these are the retention values offered in props.
_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


@dataclass(frozen=True, slots=True)
class FramelensProps:
    """Every tunable of one deployment. Read from the ``framelens`` CDK context in ``app.py``.

    Attributes:
        get_per_minute: Seed 000's per-key GET limit; becomes the usage plan's GET throttle.
        post_per_minute: Seed 000's per-key POST limit; the usage plan's POST throttle.
        quota_requests_per_month: The usage plan's quota per API key.
        log_retention_days: Retention of every log group.
        gpu_instance_type: EC2 type of the GPU capacity (g4dn: one NVIDIA T4 each).
        gpu_max_instances: Upper bound of the GPU auto-scaling group (lower bound is 0).
        map_max_concurrency: How many work items of one job run at once: by default every
            item of a 1-hour video at once (``one_wave_concurrency``).
        execution_timeout_hours: Backstop after which any execution fails (see pipeline.py).
        alarm_email: Optional address subscribed to the alarm topic.
        cors_origins: Origins whose browsers may use the media bucket's presigned URLs with
            ``fetch`` (``PUT`` uploads, ``GET``); empty (the default): no CORS rule at all, so
            only non-browser clients and plain ``<video>``/``<img>`` tags use them.
        noncurrent_version_days: Days an overwritten or deleted object's old version is kept
            (the bucket is versioned); 1 day under ``work/`` whatever this says.
        vpc_endpoint_azs: Subnets (AZs) the GPU VPC's interface endpoints are placed in.
        xray_sdk_tracing: Handlers create powertools' ``Tracer`` (X-Ray subsegments for boto3
            calls and handlers) at the price of a slower cold start; off by default.
        public_base_url: The API's public base URL (a custom domain) for the links in job views
            and webhook bodies; by default the ``execute-api`` URL of the API's stage.
        upload_limit_waf: A WAF web ACL on the API stage answers 413 (seed 000's body) to a
            body Lambda's 6 MB invoke payload would refuse, instead of API Gateway's own answer
            (``infra/constructs/upload_limit.py``); off by default (WAF is billed per ACL).
    """

    get_per_minute: int = 60
    post_per_minute: int = 10
    quota_requests_per_month: int = 100_000
    log_retention_days: int = 30
    gpu_instance_type: str = "g4dn.xlarge"
    gpu_max_instances: int = 2
    map_max_concurrency: int = field(default_factory=lambda: one_wave_concurrency())
    execution_timeout_hours: int = 12
    alarm_email: str | None = None
    cors_origins: tuple[str, ...] = ()
    noncurrent_version_days: int = 7
    vpc_endpoint_azs: int = 1
    xray_sdk_tracing: bool = False
    upload_limit_waf: bool = False
    public_base_url: str | None = None

    @classmethod
    def from_context(cls, context: dict[str, Any] | None) -> FramelensProps:
        """Props from the ``framelens`` context object; unknown keys are an error, not ignored."""
        context = dict(context or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(context) - known)
        if unknown:
            raise ValueError(f"unknown 'framelens' context keys: {unknown}; known: {sorted(known)}")
        if "cors_origins" in context:
            context["cors_origins"] = tuple(context["cors_origins"])
        return cls(**context)

    @property
    def log_retention(self) -> logs.RetentionDays:
        """The ``RetentionDays`` member for ``log_retention_days``."""
        member = _RETENTION.get(self.log_retention_days)
        if member is not None:
            return member
        raise ValueError(f"log_retention_days={self.log_retention_days} is not a CloudWatch value")


def powertools_env(service: str, *, xray_sdk_tracing: bool = False) -> dict[str, str]:
    """Powertools settings for one function (service name, metrics namespace, log level).

    ``POWERTOOLS_TRACE_DISABLED`` keeps the handlers from creating a ``Tracer`` (the X-Ray SDK
    import and boto3 patching cost 0.15-0.35 s of each cold start: ``framelens.tracing``)
    unless ``xray_sdk_tracing``; Lambda's own X-Ray segment is recorded either way.
    """
    return {
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "false" if xray_sdk_tracing else "true",
        # pydantic scans every installed distribution's entry points for plugins when it builds
        # its first model (a cold-start cost); Framelens uses none.
        "PYDANTIC_DISABLE_PLUGINS": "__all__",
        "FRAMELENS_BACKEND": "aws",
    }


@jsii.implements(ILocalBundling)
class _PipInstall:
    """Builds the dependency layer with pip on the deploying machine: no Docker needed.

    Runs only when the stack is bundled (``cdk deploy``); offline synthesis skips bundling (see
    ``infra/app.py``).
    """

    def __init__(self, lock: Path) -> None:
        self._lock = lock

    def try_bundle(self, output_dir: str, options: Any) -> bool:
        command = install_command(self._lock, Path(output_dir) / "python")
        subprocess.run(command, check=True)
        return True


class Layers(Construct):
    """The two layers every zip function uses: ``core`` (the library) and ``deps`` (its
    third-party packages for the control plane: FastAPI, pydantic, Mangum, powertools).
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.core = lambda_.LayerVersion(
            self,
            "Core",
            code=lambda_.Code.from_asset(str(CORE_LAYER_DIR), exclude=ASSET_EXCLUDES),
            compatible_runtimes=[PYTHON_RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="framelens library",
        )
        layer_dir = FUNCTIONS_DIR / "layer"
        self.deps = lambda_.LayerVersion(
            self,
            "Deps",
            code=lambda_.Code.from_asset(
                str(layer_dir),
                bundling=BundlingOptions(
                    # Only used if local bundling declines; it never does (pip is always there).
                    image=DockerImage.from_registry(
                        f"public.ecr.aws/sam/build-python{LAMBDA_PYTHON}"
                    ),
                    local=_PipInstall(ARTIFACTS["layer"].lock),
                ),
            ),
            compatible_runtimes=[PYTHON_RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="framelens control-plane dependencies",
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        """Both layers, library last so it wins any name clash."""
        return [self.deps, self.core]


def python_function(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    layers: Layers,
    props: FramelensProps,
    environment: dict[str, str],
    memory_mb: int = 512,
    timeout: Duration = Duration.seconds(30),
    ephemeral_mb: int = DEFAULT_EPHEMERAL_MB,
    **kwargs: Any,
) -> lambda_.Function:
    """A zip function from ``functions/<name>`` with the shared settings applied.

    Args:
        scope: Parent construct.
        construct_id: Construct id.
        name: Folder under ``functions/`` (also the powertools service name suffix).
        layers: The shared layers.
        props: Deployment props (log retention).
        environment: Extra environment (table and bucket names, generated by CDK).
        memory_mb: Memory size.
        timeout: Function timeout.
        ephemeral_mb: Size of ``/tmp`` (``ephemeral_mb_for`` what the function downloads).
        **kwargs: Further ``lambda_.Function`` options (DLQ, concurrency); explicit, not required.
    """
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}Logs",
        retention=props.log_retention,
        removal_policy=RemovalPolicy.DESTROY,
    )
    return lambda_.Function(
        scope,
        construct_id,
        runtime=PYTHON_RUNTIME,
        architecture=ARCHITECTURE,
        handler="handler.handler",
        code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / name), exclude=ASSET_EXCLUDES),
        layers=layers.all,
        memory_size=memory_mb,
        timeout=timeout,
        ephemeral_storage_size=Size.mebibytes(ephemeral_mb),
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        environment={
            **powertools_env(f"framelens-{name}", xray_sdk_tracing=props.xray_sdk_tracing),
            **environment,
        },
        **kwargs,
    )
