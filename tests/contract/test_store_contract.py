"""Contract: every JobStore and FileStore adapter behaves the same (jobs, files, tenants, races)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from framelens.errors import (
    ConflictError,
    IdempotencyConflictError,
    NotFoundError,
    ValidationError,
)
from framelens.schemas import FileRecord, JobState, MediaType
from tests.contract.helpers import BASE_TIME, make_job

if TYPE_CHECKING:
    from framelens.stores import Stores


def _file(tenant_id: str, n: int) -> FileRecord:
    from datetime import timedelta

    return FileRecord(
        file_id=f"f_{tenant_id}_{n}",
        tenant_id=tenant_id,
        url=f"storage://f_{tenant_id}_{n}",
        media_type=MediaType.video,
        content_type="video/mp4",
        size=100 + n,
        blob_key=f"media/{tenant_id}/f_{n}",
        time_created=BASE_TIME + timedelta(seconds=n),
    )


def _race(n: int, fn):  # type: ignore[no-untyped-def]
    """Run ``fn`` in ``n`` threads released together; results or exceptions, in any order."""
    barrier = threading.Barrier(n)

    def go():  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: go(), range(n)))


# --- jobs -------------------------------------------------------------------------------


def test_created_job_reads_back_equal(stores: Stores) -> None:
    # GIVEN a job
    job = make_job(tag="hello", extra={"external_id": 7})
    # WHEN it is created and read back
    created, is_new = stores.jobs.create(job)
    got = stores.jobs.get(job.id)
    # THEN the record round-trips unchanged
    assert is_new is True
    assert created == job
    assert got == job
    assert stores.jobs.get(job.id, "acme") == job


def test_jobs_list_newest_first_across_pages(stores: Stores) -> None:
    # GIVEN five jobs created a second apart, and another tenant's job
    jobs = [make_job("acme", n) for n in range(5)]
    for job in jobs:
        stores.jobs.create(job)
    stores.jobs.create(make_job("other", 9))
    # WHEN the tenant pages through with limit 2
    seen, cursors, cursor = [], [], None
    for _ in range(5):
        page, cursor = stores.jobs.list("acme", limit=2, cursor=cursor)
        seen += [j.id for j in page]
        cursors.append(cursor)
        if cursor is None:
            break
    # THEN every job appears once, newest first, and the last page has no cursor
    assert seen == [j.id for j in reversed(jobs)]
    assert len(cursors) == 3
    assert cursors[-1] is None


def test_other_tenants_job_is_not_found(stores: Stores) -> None:
    # GIVEN a job of tenant acme
    job = make_job("acme")
    stores.jobs.create(job)
    # WHEN another tenant asks for it, or anyone asks for an unknown id
    # THEN both look exactly the same: NotFoundError
    with pytest.raises(NotFoundError):
        stores.jobs.get(job.id, "other")
    with pytest.raises(NotFoundError):
        stores.jobs.get("job_missing")
    assert stores.jobs.list("other") == ([], None)


def test_malformed_cursor_is_a_validation_error(stores: Stores) -> None:
    with pytest.raises(ValidationError):
        stores.jobs.list("acme", cursor="not-a-cursor!!")


def test_creating_an_existing_job_id_conflicts(stores: Stores) -> None:
    job = make_job()
    stores.jobs.create(job)
    with pytest.raises(ConflictError):
        stores.jobs.create(job.model_copy(update={"tag": "again"}))
    assert stores.jobs.get(job.id).tag == ""


def test_same_idempotency_key_and_body_returns_first_job(stores: Stores) -> None:
    # GIVEN a job created with an idempotency key
    first = make_job(idempotency_key="k1", request_hash="h1")
    stores.jobs.create(first)
    # WHEN the same request comes again (a new job id, the same key and hash)
    again, is_new = stores.jobs.create(make_job(n=1, idempotency_key="k1", request_hash="h1"))
    # THEN the first job comes back and nothing new is stored
    assert is_new is False
    assert again.id == first.id
    assert [j.id for j in stores.jobs.list("acme")[0]] == [first.id]


def test_same_idempotency_key_with_other_body_conflicts(stores: Stores) -> None:
    stores.jobs.create(make_job(idempotency_key="k1", request_hash="h1"))
    with pytest.raises(IdempotencyConflictError):
        stores.jobs.create(make_job(n=1, idempotency_key="k1", request_hash="h2"))
    assert len(stores.jobs.list("acme")[0]) == 1


def test_idempotency_keys_are_per_tenant(stores: Stores) -> None:
    stores.jobs.create(make_job("acme", idempotency_key="k1", request_hash="h1"))
    _, is_new = stores.jobs.create(make_job("other", idempotency_key="k1", request_hash="h1"))
    assert is_new is True


def test_concurrent_creates_with_one_key_make_one_job(stores: Stores) -> None:
    # GIVEN eight different job records carrying the same key and request hash
    candidates = iter([make_job(n=i, idempotency_key="burst", request_hash="h") for i in range(8)])
    lock = threading.Lock()

    def create():  # type: ignore[no-untyped-def]
        with lock:
            job = next(candidates)
        return stores.jobs.create(job)

    # WHEN they are created at the same moment
    results = _race(8, create)
    # THEN exactly one job exists and every caller got that job
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(1 for _, is_new in results if is_new) == 1
    assert len({job.id for job, _ in results}) == 1
    assert len(stores.jobs.list("acme")[0]) == 1


def test_update_bumps_version_and_rejects_stale_writes(stores: Stores) -> None:
    # GIVEN a stored job
    job, _ = stores.jobs.create(make_job())
    # WHEN it is updated from the version that was read
    running = stores.jobs.update(job.model_copy(update={"state": JobState.running}))
    # THEN the version moves on and a write from the old version loses
    assert running.version == job.version + 1
    assert stores.jobs.get(job.id) == running
    with pytest.raises(ConflictError):
        stores.jobs.update(job.model_copy(update={"state": JobState.cancelled}))
    assert stores.jobs.get(job.id).state is JobState.running


def test_update_of_unknown_job_is_not_found(stores: Stores) -> None:
    with pytest.raises(NotFoundError):
        stores.jobs.update(make_job())


def test_concurrent_updates_exactly_one_wins(stores: Stores) -> None:
    # GIVEN eight writers holding the same read of a job
    job, _ = stores.jobs.create(make_job())
    # WHEN all of them write at once
    results = _race(8, lambda: stores.jobs.update(job.model_copy(update={"progress": 0.5})))
    # THEN one write wins and the others get ConflictError
    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1
    assert all(isinstance(r, ConflictError) for r in results if r not in wins)
    assert stores.jobs.get(job.id).version == job.version + 1


def test_list_active_returns_queued_and_running_of_every_tenant(stores: Stores) -> None:
    queued, _ = stores.jobs.create(make_job("acme", 0))
    running, _ = stores.jobs.create(make_job("other", 1, state=JobState.running))
    done, _ = stores.jobs.create(make_job("acme", 2))
    stores.jobs.update(done.model_copy(update={"state": JobState.finished}))
    active = stores.jobs.list_active()
    assert sorted(j.id for j in active) == sorted([queued.id, running.id])


def test_large_job_record_round_trips(stores: Stores) -> None:
    # GIVEN a job whose record is far over DynamoDB's 400 KB item limit
    summary = [{"frame": i, "label": "x" * 100} for i in range(5000)]
    job, _ = stores.jobs.create(make_job(summary=summary))
    # WHEN it is read, updated and listed
    updated = stores.jobs.update(job.model_copy(update={"progress": 1.0}))
    # THEN every field survives
    assert stores.jobs.get(job.id) == updated
    assert stores.jobs.list("acme")[0] == [updated]
    assert stores.jobs.get(job.id).summary == summary


# --- files ------------------------------------------------------------------------------


def test_file_records_are_isolated_per_tenant(stores: Stores) -> None:
    # GIVEN two files of acme and one of other
    for record in (_file("acme", 0), _file("acme", 1), _file("other", 2)):
        stores.files.put(record)
    # THEN acme reads its own, newest first, and never the other tenant's
    assert stores.files.get("acme", "f_acme_0") == _file("acme", 0)
    assert [f.file_id for f in stores.files.list("acme")[0]] == ["f_acme_1", "f_acme_0"]
    with pytest.raises(NotFoundError):
        stores.files.get("acme", "f_other_2")
    with pytest.raises(NotFoundError):
        stores.files.delete("acme", "f_other_2")
    assert stores.files.get("other", "f_other_2").size == 102


def test_file_list_pages_and_delete(stores: Stores) -> None:
    for n in range(3):
        stores.files.put(_file("acme", n))
    page, cursor = stores.files.list("acme", limit=2)
    rest, last = stores.files.list("acme", limit=2, cursor=cursor)
    assert [f.file_id for f in page + rest] == ["f_acme_2", "f_acme_1", "f_acme_0"]
    assert last is None
    stores.files.delete("acme", "f_acme_1")
    with pytest.raises(NotFoundError):
        stores.files.get("acme", "f_acme_1")
    with pytest.raises(NotFoundError):
        stores.files.delete("acme", "f_acme_1")


def test_file_put_replaces(stores: Stores) -> None:
    stores.files.put(_file("acme", 0))
    stores.files.put(_file("acme", 0).model_copy(update={"state": "pending"}))
    assert stores.files.get("acme", "f_acme_0").state == "pending"
    assert len(stores.files.list("acme")[0]) == 1
