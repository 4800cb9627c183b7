"""The composition root: reads Settings once, picks the adapters, builds every service.

Handlers, the CLI, the local server and tests all call ``build_services``; nothing else imports
an adapter. It sits above the pipeline it builds (``orchestration``) and the app it serves
(``api``): ``Services`` satisfies both ``orchestration.contract.PipelineDeps`` and the API's
``api.deps.AppServices``, and neither imports this module. Heavy parts (models, the local
runner's worker pool) are created lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING

from framelens.config import Settings, get_settings
from framelens.errors import StoreError
from framelens.runtime.webhooks import (
    delivery_service,
    event_fanout,
    start_delivery_worker,
    webhook_secret_key,
)

# Services are imported where they are built, not here: the authorizer imports this module on
# its cold path and needs keys only (benchmarks/cold_start.py).
if TYPE_CHECKING:
    from framelens.auth import KeyService, Quotas, RateLimiter
    from framelens.auth.cache import CachedAuthenticator
    from framelens.jobs.deliveries import DeliveryService
    from framelens.jobs.delivery_worker import DeliveryWorker
    from framelens.jobs.drops import DropIngest
    from framelens.jobs.event_fanout import EventFanout
    from framelens.jobs.file_media import FileMedia
    from framelens.jobs.galleries import GalleryService
    from framelens.jobs.latency import LatencyStats
    from framelens.jobs.links import MediaLinks
    from framelens.jobs.render_cache import RenderKey
    from framelens.jobs.service import JobService
    from framelens.jobs.storage_health import StorageProbe
    from framelens.models.provider import ModelProvider
    from framelens.orchestration.contract import PipelineConfig
    from framelens.orchestration.runner import LocalRunner
    from framelens.schemas import KeyRecord
    from framelens.schemas.auth import Plan
    from framelens.schemas.results_faces import CoOccurrence, FacesResult
    from framelens.stores import Stores
    from framelens.stores.ports import KeyStore

__all__ = [
    "Services",
    "build_authenticator",
    "build_services",
    "default_plan",
    "delivery_service",
    "event_fanout",
    "start_delivery_worker",
    "webhook_secret_key",
]


@dataclass
class Services:
    """Everything a request, a stage or a CLI command needs, built once per process."""

    settings: Settings
    stores: Stores
    keys: KeyService
    limiter: RateLimiter
    quotas: Quotas
    latency: LatencyStats
    jobs: JobService
    deliveries: DeliveryService  # webhook deliveries: the durable queue (job and event hooks)
    runner: LocalRunner | None = None
    events: EventFanout | None = None  # job events to tenants' webhook subscriptions
    delivery_worker: DeliveryWorker | None = None  # sends deliveries (embedded backend)
    _models: ModelProvider | None = field(default=None, repr=False)

    @cached_property
    def pipeline_config(self) -> PipelineConfig:
        """The settings the pipeline's stages read."""
        from framelens.orchestration.contract import PipelineConfig

        return PipelineConfig.from_settings(self.settings)

    @property
    def models(self) -> ModelProvider:
        """The model registry, created on first use (keeps onnxruntime off cold paths)."""
        if self._models is None:
            from framelens.models import ModelRegistry

            fetch = None
            if self.settings.backend == "aws" and self.settings.models_bucket:
                from framelens.stores.aws.platform import models_fetcher

                fetch = models_fetcher(self.settings)
            self._models = ModelRegistry(
                model_dir=self.settings.model_dir,
                cache_dir=self.settings.model_cache_dir,
                fetch=fetch,
            )
        return self._models

    @cached_property
    def storage(self) -> StorageProbe:
        """Whether the stores can be read and written (health routes, the runner's sweep); the
        embedded backend also probes writes, since its disk can fill up."""
        from framelens.jobs.storage_health import StorageProbe

        return StorageProbe(self.stores, write=self.settings.backend == "embedded")

    @cached_property
    def galleries(self) -> GalleryService:
        """Each tenant's gallery identities (the identity routes; enrolment jobs)."""
        from framelens.jobs.galleries import GalleryService

        if self.stores.identities is None:
            raise StoreError("this deployment has no identity store for galleries")
        return GalleryService(self.stores.identities)

    @cached_property
    def authenticator(self) -> CachedAuthenticator:
        """Key checks reused for ``auth_cache_ttl_s`` (the API Gateway authorizer's)."""
        from framelens.auth.cache import CachedAuthenticator

        return CachedAuthenticator(self.keys, self.settings.auth_cache_ttl_s)

    @cached_property
    def links(self) -> MediaLinks:
        """Short-lived links to stored media (S3 presigned in AWS, HMAC-signed locally)."""
        from framelens.jobs.links import MediaLinks

        settings = self.settings
        if settings.link_secret is not None:
            secret = settings.link_secret.get_secret_value().encode()
        elif settings.backend == "embedded":
            from framelens.stores.embedded.secrets import local_secret

            secret = local_secret(settings.data_dir, "links")
        else:  # S3 presigns every link; local tokens are never issued there
            import secrets

            secret = secrets.token_bytes(32)
        return MediaLinks(self.stores.blobs, secret, ttl_s=settings.link_ttl_s)

    @cached_property
    def drops(self) -> DropIngest:
        """Turns S3 drops into jobs (the ingest function)."""
        from framelens.jobs.drops import DropIngest

        limits = (self.settings.max_image_pixels, self.settings.max_video_seconds)
        return DropIngest(self.stores, self.jobs, limits)

    @cached_property
    def file_media(self) -> FileMedia:
        """Seed 002's media answers: streamed and rendered in the request locally; in AWS,
        presigned redirects and renders made by the render worker (API Gateway: 29 s, 10 MB)."""
        from framelens.jobs.file_analyses import FileAnalyses
        from framelens.jobs.file_media import FileMedia
        from framelens.jobs.media_service import MediaService
        from framelens.jobs.render_queue import RenderQueue, RenderTickets

        settings = self.settings
        aws = settings.backend == "aws"
        media = MediaService(
            self.stores.blobs,
            render_key=_render_key,
            presign_expires_s=settings.presign_expiry_s if aws else None,
            inline_renders=not aws,
            ranged_reads=aws,
        )
        queue: RenderQueue | None = None
        if aws and settings.render_function:
            from framelens.stores.aws.render_queue import LambdaRenderQueue

            queue = LambdaRenderQueue(settings.render_function)
        tickets = RenderTickets(
            self.stores.blobs, queue, renew_after_s=settings.render_worker_timeout_s
        )
        return FileMedia(
            self.stores.files,
            media,
            FileAnalyses(self.jobs, self.stores.blobs),
            tickets,
            cooccurrence=_cooccurrence,
            inline_index_max_bytes=settings.inline_index_max_bytes if aws else None,
        )

    def create_key(self, tenant_id: str, plan: str | None = None) -> tuple[str, KeyRecord]:
        """A new API key; in AWS with a usage plan, its API Gateway key joins the plan too."""
        secret, record = self.keys.create(tenant_id, plan)
        if self.settings.backend == "aws" and self.settings.usage_plan_id:
            from framelens.stores.aws.platform import register_usage_plan_key

            register_usage_plan_key(self.settings, record.key_id, record.key_hash, tenant_id)
        return secret, record

    def close(self) -> None:
        """Stop background work (the local runner, webhook sending) so a process can exit."""
        if self.runner is not None:
            self.runner.stop()
        if self.delivery_worker is not None:
            self.delivery_worker.stop()


def _render_key(key: RenderKey) -> str:
    from framelens.stores import layout

    return layout.render_key(key.tenant_id, key.file_id, key.kind, key.params, key.extension)


def _cooccurrence(result: FacesResult, a: str, b: str) -> CoOccurrence | None:
    # The faces analyzer's pure view; importing it loads no numpy (the API Lambda has none).
    from framelens.analyzers.faces.persons import cooccurrence

    return cooccurrence(result, a, b)


def default_plan(settings: Settings) -> Plan:
    """The ``default`` plan with the limits the environment sets."""
    from framelens.schemas.auth import Plan

    return Plan(
        get_per_minute=settings.rate_limit_get_per_minute,
        post_per_minute=settings.rate_limit_post_per_minute,
        concurrent_jobs=settings.quota_concurrent_jobs,
        media_seconds_per_month=settings.quota_media_seconds_per_month,
    )


def _stores(settings: Settings) -> Stores:
    if settings.backend == "aws":
        from framelens.stores.aws import build_aws_stores

        return build_aws_stores(settings)
    from framelens.stores.embedded import build_embedded_stores

    return build_embedded_stores(settings.data_dir)


def build_authenticator(settings: Settings | None = None) -> CachedAuthenticator:
    """Only what the API Gateway authorizer needs: the key store and the cached key check.

    The same as ``build_services(settings).authenticator`` without building the job, webhook
    and media services the authorizer never uses (its cold start: benchmarks/cold_start.py).
    """
    from framelens.auth import KeyService
    from framelens.auth.cache import CachedAuthenticator

    settings = settings or get_settings()
    if settings.backend == "aws":
        from framelens.stores.aws import build_aws_key_store

        store: KeyStore = build_aws_key_store(settings)
    else:
        store = _stores(settings).keys
    keys = KeyService(store, default_plan=default_plan(settings))
    return CachedAuthenticator(keys, settings.auth_cache_ttl_s)


def build_services(settings: Settings | None = None, *, start_runner: bool = True) -> Services:
    """Build the services for ``settings`` (default: from the environment).

    Args:
        settings: Configuration; ``None`` reads ``FRAMELENS_*`` variables once.
        start_runner: For the embedded backend, start the in-process runner and resume jobs
            left queued or running by a previous process.

    Examples:
        >>> services = build_services(Settings(data_dir=tmp_path))  # doctest: +SKIP
        >>> services.jobs.get("tenant", "job-id")  # doctest: +SKIP
    """
    from framelens.analyzers.registry import known_modules
    from framelens.auth import KeyService, Quotas, RateLimiter
    from framelens.jobs.fetch import vet_url
    from framelens.jobs.latency import LatencyStats
    from framelens.jobs.service import JobService
    from framelens.jobs.source_rules import check_local_source, split_roots

    settings = settings or get_settings()
    stores = _stores(settings)
    quotas = Quotas(stores.counters)
    deliveries = delivery_service(settings, stores)
    events = event_fanout(settings, stores, deliveries)
    roots = split_roots(settings.local_source_roots)
    services = Services(
        settings=settings,
        stores=stores,
        keys=KeyService(stores.keys, default_plan=default_plan(settings)),
        limiter=RateLimiter(stores.counters),
        quotas=quotas,
        latency=LatencyStats(stores.counters),
        jobs=JobService(
            stores,
            quotas,
            known_modules=known_modules,
            url_guard=partial(vet_url, allow_private=settings.allow_private_network),
            local_guard=partial(check_local_source, roots=roots, backend=settings.backend),
            events=events,
            secret_box=deliveries.box,
            ttl_days=settings.job_ttl_days,
        ),
        deliveries=deliveries,
        events=events,
    )
    deliveries.record_job = services.jobs.record_webhook
    if settings.backend == "aws":
        if settings.webhook_function:
            from framelens.stores.aws.delivery_kick import DeliveryKick

            deliveries.on_enqueue = DeliveryKick(settings.webhook_function)
        if settings.state_machine_arn:
            from framelens.stores.aws.dispatch import StepFunctionsDispatcher

            services.jobs.dispatcher = StepFunctionsDispatcher(settings.state_machine_arn)
    else:
        from framelens.orchestration.runner import LocalRunner

        runner = LocalRunner(
            services,
            workers=settings.workers,
            sweep_interval_s=settings.sweep_interval_s,
            storage=services.storage,
            stuck_after_s=settings.stuck_job_after_s,
        )
        services.runner = runner
        quotas.owe_releases = True  # a slot a full disk kept from going back: the sweep returns it
        services.jobs.dispatcher = runner
        if start_runner:
            runner.start()
            services.delivery_worker = start_delivery_worker(
                settings, deliveries, stores.deliveries
            )
    return services
