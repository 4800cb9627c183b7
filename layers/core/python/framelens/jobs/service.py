"""The job lifecycle: create (with idempotency and quotas), read, list, cancel, transitions.

Owns: the rules of ``queued → running → finished | failed | cancelled``, deadlines from
``Max-Processing-Time``, releasing a tenant's concurrent-job slot exactly once (by whoever makes
the transition to a terminal state), whether a request is answered inline or as a job (from the
dispatcher's capability and the media's length), and paging detailed results. Does not own:
running the stages (``framelens.orchestration``) or storage (store ports only).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from framelens.errors import (
    IdempotencyConflictError,
    JobStateError,
    NotFoundError,
    QuotaExceededError,
    ValidationError,
)
from framelens.jobs.gallery_options import check_job_galleries
from framelens.jobs.results import page_results
from framelens.jobs.source_rules import LOCAL_SCHEME, ROOTS_SETTING, platform_refusal
from framelens.jobs.transitions import Dispatcher, JobEventSink, JobTransitions
from framelens.schemas import (
    JobCreate,
    JobRecord,
    JobState,
    ResultPage,
    WebhookDelivery,
    utcnow,
)
from framelens.schemas.module_options import validate_module_options
from framelens.schemas.subscriptions import JobEvent

if TYPE_CHECKING:
    import builtins
    from collections.abc import Callable, Collection

    from framelens.auth import Principal, Quotas
    from framelens.jobs.secret_box import SecretBox
    from framelens.stores import Stores

__all__ = ["Dispatcher", "JobService", "request_hash"]

_MAX_TRANSITION_RETRIES = 20


def request_hash(body: dict[str, Any]) -> str:
    """A stable hash of a request body, to tell an Idempotency-Key's replays from its misuse."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotency_hash(kind: str, request: dict[str, Any], max_processing_time: int) -> str:
    # A deadline is part of the request (issue 16); left out when unset so hashes stored before
    # it counted stay valid.
    deadline = {"max_processing_time": max_processing_time} if max_processing_time else {}
    return request_hash({"kind": kind, **request, **deadline})


class JobService(JobTransitions):
    """Creates jobs and moves them through their states with conditional writes.

    Examples:
        >>> service = JobService(stores, quotas, dispatcher)  # doctest: +SKIP
        >>> job, created = service.create(principal, JobCreate(sources=[...], modules={...}))
    """

    def __init__(
        self,
        stores: Stores,
        quotas: Quotas,
        dispatcher: Dispatcher | None = None,
        *,
        known_modules: Callable[[], list[str]] | None = None,
        url_guard: Callable[[str], object] | None = None,
        local_guard: Callable[[str], object] | None = None,
        events: JobEventSink | None = None,
        secret_box: SecretBox | None = None,
        ttl_days: int = 30,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._stores = stores
        self._quotas = quotas
        self.dispatcher = dispatcher
        self.events = events
        self._known_modules = known_modules
        self._url_guard = url_guard
        self._local_guard = local_guard
        self._box = secret_box  # webhook secrets are stored sealed, hashed only keyed
        self._ttl_days = ttl_days
        self._now = now

    # ---- creation -------------------------------------------------------------------------

    def create(
        self,
        principal: Principal,
        request: JobCreate,
        *,
        idempotency_key: str | None = None,
        max_processing_time: int = 0,
        kind: str = "native",
        extra: dict[str, Any] | None = None,
        dispatch: bool = True,
        fingerprint: dict[str, Any] | None = None,
    ) -> tuple[JobRecord, bool]:
        """Create a job and hand it to the dispatcher.

        Returns ``(job, created)``; ``created`` is False when an Idempotency-Key replay returned
        the job made by the first request. The key's request hash covers the body (or
        ``fingerprint``, for routes whose body is a fresh upload: its content digest and
        options) and ``max_processing_time``.

        Raises:
            ValidationError: unknown modules, unknown ``storage://`` ids, negative deadline, a
                ``faces`` gallery or allowlist the tenant does not have.
            IdempotencyConflictError: the key was used before with another body.
            QuotaExceededError: the tenant is at its concurrent-job or monthly media limit.

        With ``dispatch=False`` the caller runs the job itself (synchronous seed routes).
        """
        if max_processing_time < 0:
            raise ValidationError("Max-Processing-Time must be an integer >= 0 (0 = unlimited)")
        self._check_modules(request.modules)
        check_job_galleries(self._stores.identities, principal.tenant_id, request.modules)
        if self._url_guard is not None and request.webhook is not None:
            self._url_guard(str(request.webhook.url))
        media_seconds = self._check_sources(principal.tenant_id, request.sources)
        self._quotas.check_media_seconds(principal, media_seconds)

        now = self._now()
        body = request.model_dump(mode="json")
        webhook = request.webhook
        if webhook is not None and webhook.secret and self._box is not None:
            # The stored request hash must not let a reader of the database test guesses of
            # the secret: it covers a keyed digest of it instead.
            body["webhook"]["secret"] = self._box.digest(webhook.secret)
            webhook = webhook.model_copy(update={"secret": self._box.seal(webhook.secret)})
        job = JobRecord(
            id=str(uuid.uuid4()),
            tenant_id=principal.tenant_id,
            kind=kind,
            tag=request.tag,
            sources=request.sources,
            modules=request.modules,
            webhook=webhook,
            webhook_delivery=WebhookDelivery() if webhook else None,
            max_processing_time=max_processing_time,
            deadline=now + timedelta(seconds=max_processing_time) if max_processing_time else None,
            time_created=now,
            idempotency_key=idempotency_key,
            request_hash=(
                _idempotency_hash(kind, fingerprint or body, max_processing_time)
                if idempotency_key
                else None
            ),
            extra=extra or {},
        )
        try:
            self._quotas.acquire_job_slot(principal)
        except QuotaExceededError:
            # A replay of a request whose job holds the last slot must still get that job.
            existing = self._replay(job)
            if existing is None:
                raise
            return existing, False
        try:
            stored, created = self._stores.jobs.create(job)
        except BaseException:
            self._quotas.release_job_slot(principal.tenant_id)
            raise
        if not created:  # an Idempotency-Key replay: the first request's job
            self._quotas.release_job_slot(principal.tenant_id)
            return stored, False
        self._emit(stored, JobEvent.created)
        if dispatch and self.dispatcher is not None:
            self.dispatcher.submit(stored.id, max_processing_time or None)
        return stored, True

    def _replay(self, job: JobRecord) -> JobRecord | None:
        """The job this request's Idempotency-Key already made, if any (slow path)."""
        if not job.idempotency_key:
            return None
        jobs, _ = self._stores.jobs.list(job.tenant_id, limit=200)
        for existing in jobs:
            if existing.idempotency_key == job.idempotency_key:
                if existing.request_hash != job.request_hash:
                    raise IdempotencyConflictError(
                        "this Idempotency-Key was used with a different request body"
                    )
                return existing
        return None

    def _check_modules(self, modules: dict[str, dict[str, Any]]) -> None:
        validate_module_options(modules)  # 422 naming the module and option, before any work
        if self._known_modules is None:
            return
        known = set(self._known_modules())
        unknown = sorted(set(modules) - known)
        if unknown:
            raise ValidationError(
                f"unknown module(s) {', '.join(unknown)}; "
                f"known modules: {', '.join(sorted(known))}",
                details={"unknown_modules": unknown},
            )

    def _check_sources(self, tenant_id: str, sources: list[str]) -> float:
        """Check ``storage://`` sources exist for the tenant; return their known media seconds."""
        seconds = 0.0
        for src in sources:
            if src.startswith(("https://", "http://")):
                refusal = platform_refusal(src)
                if refusal is not None:
                    raise ValidationError(refusal, details={"source": src})
                if self._url_guard is not None:
                    self._url_guard(src)  # refuse private/metadata hosts now, with a 400
            if src.startswith(LOCAL_SCHEME):
                if self._local_guard is None:
                    raise ValidationError(
                        f"source {src}: this server reads no local paths ({ROOTS_SETTING})",
                        details={"source": src},
                    )
                self._local_guard(src)
            if not src.startswith("storage://"):
                continue
            file_id = src.removeprefix("storage://")
            try:
                record = self._stores.files.get(tenant_id, file_id)
            except NotFoundError as exc:
                raise ValidationError(
                    f"source {src} does not exist; upload it with POST /v1/media first",
                    details={"source": src},
                ) from exc
            if record.state != "ready":
                raise ValidationError(
                    f"source {src} is still uploading; complete the upload first",
                    details={"source": src},
                )
            seconds += record.probe.duration_s or 0.0
        return seconds

    def create_answer(
        self,
        principal: Principal,
        request: JobCreate,
        *,
        kind: str,
        inline_max_seconds: float,
        media_seconds: float,
        idempotency_key: str | None = None,
        extra: dict[str, Any] | None = None,
        max_processing_time: int = 0,
        fingerprint: dict[str, Any] | None = None,
    ) -> tuple[JobRecord, bool]:
        """Create a job for a request that wants an answer now if it can have one.

        Returns ``(job, inline)``: with ``inline`` the caller runs it (``run_inline``) and
        answers with its result; otherwise it was dispatched and the caller answers 202. Inline
        needs a dispatcher that runs jobs in-process and media no longer than
        ``inline_max_seconds``. ``extra`` is stored on the job (as in ``create``).
        """
        inline = (
            self.dispatcher is not None
            and self.dispatcher.runs_inline
            and media_seconds <= inline_max_seconds
        )
        job, created = self.create(
            principal,
            request,
            kind=kind,
            dispatch=not inline,
            idempotency_key=idempotency_key,
            extra=extra,
            max_processing_time=max_processing_time,
            fingerprint=fingerprint,
        )
        return job, inline and created  # a replay's job was run (or dispatched) the first time

    def run_inline(self, job_id: str) -> JobRecord:
        """Run a job created by ``create_answer`` with ``inline`` and return it, ended."""
        if self.dispatcher is None or not self.dispatcher.runs_inline:
            raise JobStateError(f"job {job_id} cannot run inline on this backend")
        self.dispatcher.run_job(job_id)
        return self._stores.jobs.get(job_id)

    # ---- reads ----------------------------------------------------------------------------

    def modules(self) -> builtins.list[str]:
        """Every module name a job may ask for."""
        return sorted(self._known_modules()) if self._known_modules is not None else []

    def get(self, tenant_id: str, job_id: str) -> JobRecord:
        """The tenant's job. Raises ``NotFoundError`` for unknown and foreign ids alike."""
        return self._stores.jobs.get(job_id, tenant_id)

    def list(
        self, tenant_id: str, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[JobRecord], str | None]:
        """The tenant's jobs, newest first."""
        if not 1 <= limit <= 200:
            raise ValidationError("limit must be between 1 and 200")
        return self._stores.jobs.list(tenant_id, limit=limit, cursor=cursor)

    def latest_finished(
        self, tenant_id: str, file_id: str, modules: Collection[str], *, scan: int = 200
    ) -> JobRecord | None:
        """The tenant's newest finished job on ``storage://<file_id>`` with a result of any of
        ``modules``, or ``None``.

        Reads the store's jobs-by-file index newest first (one query a page, whatever else the
        tenant ran) and stops after ``scan`` jobs of that file: newer unfinished or unrelated
        jobs come first, and a file with more than ``scan`` newer jobs is an abuse to bound, not
        a case to serve.
        """
        cursor: str | None = None
        seen = 0
        while seen < scan:
            page, cursor = self._stores.jobs.list_for_file(
                tenant_id, file_id, limit=min(50, scan - seen), cursor=cursor
            )
            seen += max(1, len(page))  # an empty page (jobs never written) still counts
            for job in page:
                if job.state == JobState.finished and any(m in job.result_keys for m in modules):
                    return job
            if cursor is None:
                return None
        return None

    def results_page(
        self, tenant_id: str, job_id: str, module: str | None, cursor: str | None, limit: int
    ) -> ResultPage:
        """One page of a module's detailed results (all modules' items when ``module`` is unset)."""
        return page_results(self._stores.blobs, self.get(tenant_id, job_id), module, cursor, limit)
