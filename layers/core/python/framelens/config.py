"""The one Settings class: every environment variable Framelens reads, validated once at the edge.

Owns: names, defaults and validation of configuration. Does not own: building adapters from it
(``framelens.runtime``). Library code receives values, never reads the environment itself.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


def _default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2)))


class Settings(BaseSettings):
    """Framelens configuration; every field is read from ``FRAMELENS_<NAME>``.

    Examples:
        >>> Settings(backend="embedded", data_dir=Path("/tmp/fl")).backend
        'embedded'
    """

    model_config = SettingsConfigDict(env_prefix="FRAMELENS_", extra="ignore")

    backend: Literal["embedded", "aws"] = "embedded"
    data_dir: Path = Path(".framelens")
    model_dir: Path | None = None
    model_cache_dir: Path = Path.home() / ".cache" / "framelens" / "models"

    # aws adapter: names come from the CDK stack's outputs (never hard-coded)
    jobs_table: str = "framelens-jobs"
    files_table: str = "framelens-files"
    keys_table: str = "framelens-keys"
    identities_table: str = "framelens-identities"
    webhooks_table: str = "framelens-webhooks"
    media_bucket: str = "framelens-media"
    models_bucket: str | None = None
    state_machine_arn: str | None = None
    usage_plan_id: str | None = None  # API Gateway usage plan that new keys join (aws)
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")

    # Absolute links in results and webhooks (``detailed_link``), e.g. https://api.example.com;
    # empty: links are paths relative to the API's root.
    public_base_url: str = ""

    # API limits (seed 000: 10 MB uploads, 60 GET / 10 POST per minute per key)
    max_upload_bytes: int = 10 * 1024 * 1024
    max_presigned_upload_bytes: int = 5 * 1024 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    max_video_seconds: float = 6 * 3600.0
    # The "default" plan's limits (every tenant on it, old or new); "pro" is built in.
    rate_limit_get_per_minute: int = Field(default=60, ge=1)
    rate_limit_post_per_minute: int = Field(default=10, ge=1)
    quota_concurrent_jobs: int = Field(default=4, ge=1)
    quota_media_seconds_per_month: float = Field(default=36_000.0, gt=0)
    presign_expiry_s: int = 3600
    # Links that stream media to clients without a key (the viewer's <video>): how long they
    # live, and the HMAC key of local ones (embedded: generated in the data folder when unset;
    # AWS links are S3 presigned URLs).
    link_ttl_s: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    link_secret: SecretStr | None = None
    # The authorizer reuses a key's successful check this long (a revoked key stops within it).
    auth_cache_ttl_s: int = 60
    # Larger artifacts are answered with a redirect to a presigned GET where the backend has one:
    # a Lambda response is at most 6 MB, base64 included (about 4.4 MB of bytes).
    max_inline_response_bytes: int = 4_400_000

    # Serving media (seed 002) in AWS: renders (spans, clips, overlays) are made by the render
    # worker function; the API asks it again for a render still pending after its timeout. A
    # file's frame index is built in the request up to this size (demuxed over ranged S3 reads),
    # by the worker beyond it.
    render_function: str | None = None
    render_worker_timeout_s: int = Field(default=900, ge=1)
    inline_index_max_bytes: int = Field(default=256 * 1024 * 1024, ge=0)

    # seed routes answer synchronously up to these durations, else 202 + job (seed 000)
    sync_detect_max_seconds: float = 15.0
    sync_track_max_seconds: float = 30.0
    sync_activity_max_seconds: float = 30.0

    # seed 001 image batches (POST /v1/images): a job holds at most 100 sources
    image_batch_max_items: int = Field(default=100, ge=1, le=100)
    image_batch_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)  # decoded, all items

    # remote sources (https://) fetched with SSRF protection
    fetch_max_bytes: int = 500 * 1024 * 1024
    fetch_timeout_s: float = 60.0
    fetch_max_redirects: int = 5

    # webhooks: every delivery is a durable record, sent by the delivery worker (locally) or
    # the scheduled delivery function (AWS). Attempt n (from 1) failing waits a random time
    # between half and all of backoff_s * 2**(n-1), at most max_backoff_s; a delivery is given
    # up after max_attempts attempts or once its next attempt would fall max_age_s after it was
    # queued. The defaults ride out a receiver down for 15 hours at the least (24 h at most).
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=60)
    webhook_max_attempts: int = Field(default=40, ge=1, le=100)
    webhook_backoff_s: float = Field(default=10.0, gt=0)
    webhook_max_backoff_s: float = Field(default=3600.0, gt=0)
    webhook_max_age_s: float = Field(default=24 * 3600.0, gt=0)
    # At most this many sends at once in all, and to one receiver host (a receiver that never
    # answers holds that many threads, never a job worker).
    webhook_concurrency: int = Field(default=8, ge=1, le=64)
    webhook_per_host: int = Field(default=2, ge=1, le=16)
    webhook_poll_s: float = Field(default=1.0, gt=0, le=60)
    # The key that seals webhook secrets at rest (any string of 32+ characters). Embedded: when
    # unset, a key generated once in the data folder (webhooks.key, mode 0600). AWS: the
    # deployment's Secrets Manager secret, whose ARN the stack passes (read on first use).
    webhook_secret_key: SecretStr | None = None
    webhook_secret_arn: str | None = None
    # AWS: the delivery function (scheduled every minute) is also invoked at once when a
    # delivery is queued, so a webhook need not wait for the next minute.
    webhook_function: str | None = None
    # Lets webhooks and https:// sources reach private/loopback addresses. Only for local
    # development and tests: it disables the SSRF guard.
    allow_private_network: bool = False

    # Directories whose files jobs may name by local path (seed 003 "On-Prem only!"), separated
    # by ':' like PATH; only the embedded backend reads them. Empty: local paths are refused.
    local_source_roots: str = ""

    # local runner
    workers: int = Field(default_factory=_default_workers)
    segment_seconds: float = 300.0  # the cloud fans a long video out in segments this long
    # A cloud work item reads its segment of a video through a presigned URL (ranged reads)
    # instead of downloading the whole file; false: download (orchestration.segment_source).
    segment_ranged_reads: bool = True
    sweep_interval_s: float = 2.0  # how often the local runner checks deadlines
    # A queued or running job no worker of this process holds (its worker stopped on a storage
    # failure, say) is re-queued by the sweep once it has been orphaned this long.
    stuck_job_after_s: float = 10.0
    job_ttl_days: int = 30

    @field_validator("local_source_roots")
    @classmethod
    def _absolute_roots(cls, value: str) -> str:
        for root in filter(None, value.split(os.pathsep)):
            if not Path(root).is_absolute():
                raise ValueError(f"FRAMELENS_LOCAL_SOURCE_ROOTS: {root!r} is not an absolute path")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
