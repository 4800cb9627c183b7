"""Contract: a tenant's jobs by source file (``JobStore.list_for_file``) on every adapter.

Seed 002 serves "the file's latest finished analysis": the index must find a file's jobs newest
first in pages, only the tenant's own, with their current state, and stay out of every other
listing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from framelens.errors import NotFoundError, ValidationError
from framelens.schemas import JobState
from tests.contract.helpers import make_job

if TYPE_CHECKING:
    from framelens.stores import Stores


def test_jobs_of_a_file_come_newest_first_across_pages(stores: Stores) -> None:
    # GIVEN five jobs on f_1 (one also reads f_2, one names it twice) and two on f_2 only
    on_f1 = [stores.jobs.create(make_job(n=n, sources=["storage://f_1"]))[0] for n in (0, 2, 4)]
    on_f1.append(stores.jobs.create(make_job(n=5, sources=["storage://f_2", "storage://f_1"]))[0])
    on_f1.append(stores.jobs.create(make_job(n=6, sources=["storage://f_1"] * 2))[0])
    for n in (1, 3):
        stores.jobs.create(make_job(n=n, sources=["storage://f_2"]))
    # WHEN f_1's jobs are paged two at a time
    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = stores.jobs.list_for_file("acme", "f_1", limit=2, cursor=cursor)
        seen += [j.id for j in page]
        pages += 1
        if cursor is None:
            break
    # THEN every job naming f_1 comes once, newest first, and nothing else
    assert seen == [j.id for j in reversed(on_f1)]
    assert pages == 3
    f2, _ = stores.jobs.list_for_file("acme", "f_2")
    assert len(f2) == 3


def test_jobs_of_a_file_show_their_current_state(stores: Stores) -> None:
    job, _ = stores.jobs.create(make_job(sources=["storage://f_1"]))
    stores.jobs.update(job.model_copy(update={"state": JobState.finished}))
    (listed,), _ = stores.jobs.list_for_file("acme", "f_1")
    assert listed.state == JobState.finished and listed.version == 1


def test_another_tenants_jobs_on_the_same_file_id_are_not_listed(stores: Stores) -> None:
    mine, _ = stores.jobs.create(make_job("acme", sources=["storage://f_1"]))
    stores.jobs.create(make_job("globex", sources=["storage://f_1"]))
    listed, _ = stores.jobs.list_for_file("acme", "f_1")
    assert [j.id for j in listed] == [mine.id]
    assert stores.jobs.list_for_file("acme", "f_unknown") == ([], None)


def test_the_file_index_stays_out_of_other_listings(stores: Stores) -> None:
    # GIVEN one job on two files
    job, _ = stores.jobs.create(make_job(sources=["storage://f_1", "storage://f_2"]))
    # THEN the tenant's list and the active jobs hold the job once, and only it
    listed, _ = stores.jobs.list("acme")
    assert [j.id for j in listed] == [job.id]
    assert [j.id for j in stores.jobs.list_active()] == [job.id]
    with pytest.raises(NotFoundError):
        stores.jobs.get(f"file#acme#f_1#{job.id}")


def test_an_idempotent_replay_is_listed_once(stores: Stores) -> None:
    first, _ = stores.jobs.create(
        make_job(sources=["storage://f_1"], idempotency_key="k", request_hash="h")
    )
    again, created = stores.jobs.create(
        make_job(sources=["storage://f_1"], idempotency_key="k", request_hash="h")
    )
    assert not created and again.id == first.id
    listed, _ = stores.jobs.list_for_file("acme", "f_1")
    assert [j.id for j in listed] == [first.id]


def test_a_cursor_of_another_file_is_refused(stores: Stores) -> None:
    for n in range(3):
        stores.jobs.create(make_job(n=n, sources=["storage://f_1"]))
    _, cursor = stores.jobs.list_for_file("acme", "f_1", limit=1)
    assert cursor is not None
    with pytest.raises(ValidationError):
        stores.jobs.list_for_file("acme", "f_2", cursor=cursor)
    with pytest.raises(ValidationError):
        stores.jobs.list_for_file("acme", "f_1", cursor="not-a-cursor")


def test_an_embedded_database_from_before_the_index_is_backfilled(tmp_path) -> None:
    # GIVEN a database whose jobs were written before the jobs-by-file index existed
    import sqlite3

    from framelens.stores.embedded import build_embedded_stores, close_embedded_stores

    stores = build_embedded_stores(tmp_path / "data")
    job, _ = stores.jobs.create(make_job(sources=["storage://f_1", "https://x.test/a.mp4"]))
    close_embedded_stores(stores)
    with sqlite3.connect(tmp_path / "data" / "framelens.db") as conn:
        conn.execute("DELETE FROM job_files")
        conn.execute("PRAGMA user_version = 0")
    # WHEN it is opened again
    reopened = build_embedded_stores(tmp_path / "data")
    try:
        # THEN the old job is found by its stored file
        listed, _ = reopened.jobs.list_for_file("acme", "f_1")
        assert [j.id for j in listed] == [job.id]
    finally:
        close_embedded_stores(reopened)
