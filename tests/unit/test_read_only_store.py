"""A metadata store that refuses writes (SQLite's ``query_only``, a read-only database): reads
fail open on the rate limiter, writes raise ``StoreError``, the storage probe names the cause,
and job slots that could not go back are owed and returned once writes work again."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from framelens.auth import Principal, Quotas, RateLimiter
from framelens.errors import StoreError
from framelens.jobs.storage_health import StorageProbe
from framelens.schemas.auth import Plan
from framelens.stores.embedded import SqliteCounterStore, build_embedded_stores
from framelens.stores.failures import READ_ONLY

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from framelens.stores import Stores

PRINCIPAL = Principal(key_id="key_a", tenant_id="acme", plan=Plan(concurrent_jobs=2))


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    return build_embedded_stores(tmp_path)


@contextmanager
def read_only(stores: Stores) -> Iterator[None]:
    """This thread's database connection refuses every write while inside."""
    counters = stores.counters
    assert isinstance(counters, SqliteCounterStore)
    conn = counters.db.conn()
    conn.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        conn.execute("PRAGMA query_only = OFF")


def test_reads_pass_uncounted_and_writes_raise_when_counters_cannot_be_written(
    stores: Stores,
) -> None:
    limiter = RateLimiter(stores.counters)
    with read_only(stores):
        decision = limiter.check(PRINCIPAL, "GET")
        assert decision.limit == PRINCIPAL.plan.get_per_minute
        with pytest.raises(StoreError) as refused:
            limiter.check(PRINCIPAL, "POST")
    assert READ_ONLY in refused.value.message
    assert refused.value.http_status == 503
    assert refused.value.retry_after > 0


def test_the_probe_names_a_read_only_database_and_recovers(stores: Stores) -> None:
    probe = StorageProbe(stores, write=True)
    with read_only(stores):
        down = probe.check(fresh=True)
    assert not down.ok
    assert down.stores["metadata_write"] == READ_ONLY
    assert down.stores["blob_write"] == "ok"
    assert down.reasons == [f"the metadata store cannot be written ({READ_ONLY})"]
    assert probe.check().ok is False  # cached for a few seconds
    assert probe.check(fresh=True).ok


def test_a_slot_that_cannot_go_back_is_owed_then_returned(stores: Stores) -> None:
    quotas = Quotas(stores.counters, owe_releases=True)
    quotas.acquire_job_slot(PRINCIPAL)
    with read_only(stores):
        quotas.release_job_slot("acme")  # does not raise: the slot is owed
        assert quotas.usage("acme")["jobs_active"] == 1
        assert quotas.settle() == 0  # still read-only: still owed
    assert quotas.settle() == 1
    assert quotas.usage("acme")["jobs_active"] == 0
    assert quotas.settle() == 0


def test_without_owing_a_failed_release_raises(stores: Stores) -> None:
    quotas = Quotas(stores.counters)
    quotas.acquire_job_slot(PRINCIPAL)
    with read_only(stores), pytest.raises(StoreError):
        quotas.release_job_slot("acme")
