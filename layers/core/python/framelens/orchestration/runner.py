"""The local runner: executes the stage list in-process with a worker pool (the embedded default).

Owns: the queue of submitted jobs, running ``STAGES`` then ``FAILURE_STAGES`` on error (with each
stage's retry policy; a fan-out stage's items run concurrently, up to ``workers`` per job, as
the Map state runs them in AWS), the sweeper (deadlines; jobs no worker holds any more, e.g.
after a full disk, re-queued without a restart; the blob layout's expiries on the embedded
backend), and recovery of jobs a previous process left queued or running. A job whose work
fails while storage is unusable is paused, not failed: the sweep resumes it once storage can be
written again. It is the local ``Dispatcher``: it can also run a job inline (synchronous seed
routes) and notify at once when a queued job is cancelled. Does not own: what stages do (``steps``).
Step Functions runs the same stage list in AWS.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from framelens.errors import DeadlineExceededError, FramelensError, JobStateError
from framelens.orchestration.contract import Planned
from framelens.orchestration.failures import error_from_exception
from framelens.orchestration.stages import FAILURE_STAGES, STAGES, Stage
from framelens.orchestration.steps import load_items
from framelens.schemas import JobState, utcnow
from framelens.stores.layout import EXPIRIES

if TYPE_CHECKING:
    from framelens.jobs.storage_health import StorageProbe
    from framelens.orchestration.contract import PipelineDeps
    from framelens.schemas import JobRecord

__all__ = ["MAX_RECOVERIES", "MAX_RESTARTS", "LocalRunner"]

log = logging.getLogger(__name__)
MAX_RESTARTS = 2
MAX_RECOVERIES = 3  # re-queues by the sweep (worker gone) before the job fails
_ACTIVE = frozenset({JobState.queued, JobState.running})
EXPIRY_SWEEP_EVERY_S = 3600.0
StageHook = Callable[[str], None]


class LocalRunner:
    """Runs jobs on ``workers`` threads; a job's stages run in order on one thread, and the items
    of its fan-out stage (the images of a batch, the segments of a long video) on up to
    ``workers`` more.

    Examples:
        >>> runner = LocalRunner(services, workers=2)  # doctest: +SKIP
        >>> runner.run_job(job_id)  # synchronous, used by ``framelens analyze``
    """

    def __init__(
        self,
        deps: PipelineDeps,
        workers: int = 2,
        sweep_interval_s: float = 2.0,
        *,
        storage: StorageProbe | None = None,
        stuck_after_s: float = 10.0,
    ) -> None:
        self._deps = deps
        self._workers = max(1, workers)
        self._sweep_interval_s = sweep_interval_s
        self._storage = storage
        self._stuck_after_s = stuck_after_s
        # Jobs this process holds: queued here or running on one of its threads (a count, as
        # a job can be submitted while it still runs, e.g. recovered while its stage ends).
        self._live: Counter[str] = Counter()
        self._live_lock = threading.Lock()
        self._orphaned: dict[str, float] = {}  # job id -> when the sweep first saw it unheld
        self._last_expiry = 0.0
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.stage_hook: StageHook | None = None  # tests inject faults per stage name

    # ---- Dispatcher -----------------------------------------------------------------------

    def submit(self, job_id: str, deadline_s: int | None = None) -> None:
        """Queue a job; a worker thread picks it up."""
        self._hold(job_id)
        self._queue.put(job_id)

    @property
    def runs_inline(self) -> bool:
        """This dispatcher can run a job in the calling thread (``run_job``)."""
        return True

    def cancel(self, job_id: str) -> None:
        """A job was cancelled: queue its webhook now.

        A queued job may never reach a worker again (a restart empties the queue), so the
        webhook cannot wait for the pipeline; if the pipeline notifies too, the delivery is
        queued once (its id comes from the job).
        """
        self._notify(job_id)

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Recover unfinished jobs, then start the workers and the deadline sweeper."""
        if self._threads:
            return
        self.recover()
        for i in range(self._workers):
            t = threading.Thread(target=self._work, name=f"framelens-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        sweeper = threading.Thread(target=self._sweep, name="framelens-sweeper", daemon=True)
        sweeper.start()
        self._threads.append(sweeper)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop taking jobs; unfinished ones resume at the next start."""
        self._stop.set()
        for _ in range(self._workers):
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout=timeout_s)
        self._threads.clear()

    def recover(self) -> None:
        """Resume jobs a previous process left behind: queued ones run, running ones restart.

        A job interrupted more than ``MAX_RESTARTS`` times ends ``failed`` with a clear reason
        rather than restarting forever.
        """
        jobs = self._deps.jobs
        for job in self._deps.stores.jobs.list_active():
            if job.state == JobState.running:
                if int(job.extra.get("restarts", 0)) >= MAX_RESTARTS:
                    jobs.fail(
                        job.id,
                        FramelensError(
                            "the server stopped while this job was running, "
                            f"{MAX_RESTARTS + 1} times; create the job again"
                        ),
                    )
                    self._notify(job.id)
                    continue
                try:
                    jobs.requeue(job.id, "the server restarted while the job was running")
                except JobStateError:
                    continue
            self.submit(job.id)

    # ---- execution ------------------------------------------------------------------------

    def run_job(self, job_id: str) -> None:
        """Run every stage of one job now, on this thread; failures take the failure path."""
        self._hold(job_id)
        try:
            self._execute(job_id)
        finally:
            self._release(job_id)

    def _execute(self, job_id: str) -> None:
        payload: dict[str, Any] = {"job_id": job_id}
        try:
            for stage in STAGES:
                self._check_deadline(job_id)
                if stage.fan_out:  # the items are in the bucket; the state passes through
                    items = load_items(self._deps, Planned.model_validate(payload))
                    self._run_items(stage, [item.model_dump(mode="json") for item in items])
                else:
                    payload = self._run_stage(stage, payload)
        except Exception as exc:  # noqa: BLE001 - the pipeline boundary: every error ends the job
            if self._leave_unfailed(job_id, exc):
                return
            if not isinstance(exc, JobStateError):
                log.info("job %s failed in its pipeline: %s", job_id, type(exc).__name__)
            failure: dict[str, Any] = {"job_id": job_id, "error": error_from_exception(exc)}
            for stage in FAILURE_STAGES:
                try:
                    failure = {**failure, **self._run_stage(stage, failure)}
                except Exception:
                    log.exception("failure stage %s of job %s raised", stage.name, job_id)

    def _run_items(self, stage: Stage, items: list[dict[str, Any]]) -> None:
        """Run a fan-out stage's items concurrently, at most ``workers`` at a time (the local
        Map). Items are independent (each writes its own manifest); the first error stops the
        items not yet started and is raised once the running ones end."""
        if len(items) <= 1 or self._workers <= 1:
            for item in items:
                self._run_stage(stage, item)
            return
        with ThreadPoolExecutor(
            max_workers=min(self._workers, len(items)), thread_name_prefix="framelens-item"
        ) as pool:
            futures = [pool.submit(self._run_stage, stage, item) for item in items]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            errors = [f.exception() for f in futures if f in done]
            error = next((e for e in errors if e is not None), None)
            if error is not None:
                for future in futures:
                    future.cancel()
                raise error

    def _run_stage(self, stage: Stage, payload: dict[str, Any]) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                if self.stage_hook is not None:
                    self.stage_hook(stage.name)
                return stage.run(self._deps, payload)
            except Exception as exc:
                if (
                    type(exc).__name__ not in stage.retry.errors
                    or attempt >= stage.retry.max_attempts
                ):
                    raise
                delay = stage.retry.interval_s * stage.retry.backoff_rate**attempt
                attempt += 1
                log.info("retrying stage %s in %.1fs (%s)", stage.name, delay, type(exc).__name__)
                time.sleep(delay)

    def _check_deadline(self, job_id: str) -> None:
        job = self._deps.stores.jobs.get(job_id)
        if job.deadline is not None and utcnow() > job.deadline:
            raise DeadlineExceededError("the job ran past its Max-Processing-Time and was stopped")

    def _notify(self, job_id: str) -> None:
        try:
            self._run_stage(FAILURE_STAGES[-1], {"job_id": job_id})
        except Exception:
            log.exception("notifying job %s failed", job_id)

    # ---- threads --------------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stop.is_set():
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                self._execute(job_id)
            except Exception:
                log.exception("job %s crashed its worker", job_id)
            finally:
                self._release(job_id)

    def _hold(self, job_id: str) -> None:
        with self._live_lock:
            self._live[job_id] += 1

    def _release(self, job_id: str) -> None:
        with self._live_lock:
            self._live[job_id] -= 1
            if self._live[job_id] <= 0:
                del self._live[job_id]

    def _leave_unfailed(self, job_id: str, exc: Exception) -> bool:
        """Whether this run's error must not fail the job: another run holds it (it is still
        queued or running), or the storage failed rather than the job — failing it would need a
        write too; the sweep re-queues it once storage can be written again."""
        if isinstance(exc, JobStateError):
            try:
                return self._deps.stores.jobs.get(job_id).state in _ACTIVE
            except Exception:  # noqa: BLE001 - unknown: take the failure path as before
                return False
        if self._storage_down():
            log.warning("job %s paused: storage is unusable (%s)", job_id, type(exc).__name__)
            return True
        return False

    def _storage_down(self) -> bool:
        return self._storage is not None and not self._storage.check(fresh=True).ok

    def _sweep(self) -> None:
        """End jobs whose deadline passed even if their stage is stuck (e.g. a slow fetch);
        re-queue jobs no worker holds; once an hour, delete blobs past the layout's expiry (what
        S3 lifecycle rules do)."""
        while not self._stop.wait(self._sweep_interval_s):
            self._sweep_deadlines()
            self.sweep_orphans()
            try:
                self._deps.quotas.settle()  # slots a storage failure kept from going back
            except Exception:
                log.exception("returning owed job slots failed")
            if time.monotonic() - self._last_expiry >= EXPIRY_SWEEP_EVERY_S:
                self._last_expiry = time.monotonic()
                self.expire_blobs()

    def expire_blobs(self) -> int:
        """Delete blobs older than their prefix's expiry (``stores.layout.EXPIRIES``)."""
        removed = 0
        now = utcnow()
        for expiry in EXPIRIES:
            try:
                cutoff = now - timedelta(days=expiry.days)
                removed += self._deps.stores.blobs.delete_older_than(expiry.prefix, cutoff)
            except Exception:
                log.exception("expiring %s failed", expiry.prefix)
        return removed

    def _sweep_deadlines(self) -> None:
        try:
            for job in self._deps.stores.jobs.list_active():
                if job.deadline is None or utcnow() <= job.deadline:
                    continue
                past = DeadlineExceededError(
                    "the job ran past its Max-Processing-Time and was stopped"
                )
                if self._deps.jobs.fail(job.id, past) is not None:
                    self._notify(job.id)
        except Exception:
            log.exception("deadline sweep failed")

    def sweep_orphans(self) -> int:
        """Re-queue active jobs this process has not held for ``stuck_after_s`` (their worker
        stopped: a storage failure, a crash in the failure path) once storage can be written;
        a job orphaned more than ``MAX_RECOVERIES`` times fails with the reason. Returns how
        many jobs were re-queued or failed."""
        try:
            active = self._deps.stores.jobs.list_active()
        except Exception as exc:  # noqa: BLE001 - the sweep retries on its next round
            log.warning("stuck-job sweep could not list jobs (%s)", type(exc).__name__)
            return 0
        with self._live_lock:  # read after the list: a job submitted meanwhile counts as held
            live = set(self._live)
        now = time.monotonic()
        self._orphaned = {j.id: self._orphaned.get(j.id, now) for j in active if j.id not in live}
        due = [j for j in active if now - self._orphaned.get(j.id, now) >= self._stuck_after_s]
        if not due or (self._storage is not None and not self._storage.check().ok):
            return 0
        for job in due:
            self._orphaned.pop(job.id, None)
            try:
                self._recover_orphan(job)
            except Exception as exc:  # noqa: BLE001 - seen again on the next round
                log.warning("recovering stuck job %s failed (%s)", job.id, type(exc).__name__)
        return len(due)

    def _recover_orphan(self, job: JobRecord) -> None:
        count = int(job.extra.get("recoveries", 0))
        if count >= MAX_RECOVERIES:
            reason = job.extra.get("last_interruption", "its worker stopped")
            error = FramelensError(
                f"the job was stopped {count + 1} times ({reason}); create the job again"
            )
            if self._deps.jobs.fail(job.id, error) is not None:
                self._notify(job.id)
            return

        def mutate(record: JobRecord) -> None:
            record.state = JobState.queued
            record.progress = 0.0
            record.extra["recoveries"] = int(record.extra.get("recoveries", 0)) + 1
            record.extra["last_interruption"] = "its worker stopped (storage failure or crash)"

        try:
            self._deps.jobs.transition(job.id, mutate, _ACTIVE)
        except JobStateError:  # it ended meanwhile
            return
        log.warning("re-queued stuck job %s (its worker stopped)", job.id)
        self.submit(job.id)
