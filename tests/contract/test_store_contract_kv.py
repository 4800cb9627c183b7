"""Contract: KeyStore, CounterStore and BlobStore adapters behave the same; embedded durability."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from framelens.errors import NotFoundError, ValidationError
from framelens.schemas import FileRecord, KeyRecord, MediaType, Plan, Tenant
from tests.contract.helpers import BASE_TIME, FakeClock, make_job

if TYPE_CHECKING:
    from pathlib import Path

    from framelens.stores import Stores


def _key(key_id: str, tenant_id: str, n: int = 0) -> KeyRecord:
    from datetime import timedelta

    return KeyRecord(
        key_id=key_id,
        key_hash=f"hash-{key_id}",
        tenant_id=tenant_id,
        prefix=key_id[:4],
        time_created=BASE_TIME + timedelta(seconds=n),
    )


# --- keys and tenants -------------------------------------------------------------------


def test_keys_found_by_hash_and_id_and_listed_per_tenant(stores: Stores) -> None:
    # GIVEN two keys of acme and one of other
    for record in (_key("k_b", "acme", 1), _key("k_a", "acme", 2), _key("k_c", "other", 0)):
        stores.keys.put_key(record)
    # THEN lookups find them and listing is per tenant, oldest first
    assert stores.keys.get_key_by_hash("hash-k_b") == _key("k_b", "acme", 1)
    assert stores.keys.get_key("k_c").tenant_id == "other"
    assert [k.key_id for k in stores.keys.list_keys("acme")] == ["k_b", "k_a"]
    assert [k.key_id for k in stores.keys.list_keys()] == ["k_c", "k_b", "k_a"]
    assert stores.keys.get_key_by_hash("hash-unknown") is None
    with pytest.raises(NotFoundError):
        stores.keys.get_key("k_missing")


def test_revoked_key_reads_revoked_by_hash_and_id(stores: Stores) -> None:
    key = _key("k_1", "acme")
    stores.keys.put_key(key)
    stores.keys.put_key(key.model_copy(update={"revoked": True}))
    assert stores.keys.get_key_by_hash(key.key_hash).revoked is True  # type: ignore[union-attr]
    assert stores.keys.get_key("k_1").revoked is True
    assert len(stores.keys.list_keys("acme")) == 1


def test_tenants_round_trip(stores: Stores) -> None:
    tenant = Tenant(tenant_id="acme", plan=Plan(name="pro", post_per_minute=100))
    stores.keys.put_tenant(tenant)
    assert stores.keys.get_tenant("acme") == tenant
    assert stores.keys.get_tenant("nobody") is None


# --- counters ---------------------------------------------------------------------------


def test_counter_increments_and_reads(stores: Stores) -> None:
    assert stores.counters.get("c") == 0
    assert stores.counters.incr("c", 2) == 2
    assert stores.counters.incr("c", 0.5) == 2.5
    assert stores.counters.incr("c", -1) == 1.5
    assert stores.counters.get("c") == 1.5


def test_counter_refuses_past_limit_and_stays_unchanged(stores: Stores) -> None:
    # GIVEN a counter at 9 of a limit of 10
    assert stores.counters.incr("c", 9, limit=10) == 9
    # WHEN increments would pass the limit THEN they are refused and change nothing
    assert stores.counters.incr("c", 2, limit=10) is None
    assert stores.counters.get("c") == 9
    assert stores.counters.incr("c", 1, limit=10) == 10
    assert stores.counters.incr("c", 1, limit=10) is None
    assert stores.counters.incr("new", 11, limit=10) is None
    assert stores.counters.get("new") == 0


def test_racing_increments_never_over_grant(stores: Stores) -> None:
    # GIVEN 20 threads released together against a limit of 10
    barrier = threading.Barrier(20)

    def hit() -> float | None:
        barrier.wait()
        return stores.counters.incr("burst", 1, limit=10, ttl_s=60)

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: hit(), range(20)))
    # THEN exactly 10 are granted, each with a distinct count
    granted = sorted(r for r in results if r is not None)
    assert granted == [float(i) for i in range(1, 11)]
    assert stores.counters.get("burst") == 10


def test_counter_expires_after_ttl_and_restarts(stores: Stores, clock: FakeClock) -> None:
    # GIVEN a full rate-limit window
    assert stores.counters.incr("win", 2, limit=2, ttl_s=60) == 2
    clock.advance(30)
    assert stores.counters.incr("win", 1, limit=2, ttl_s=60) is None
    # WHEN the window's ttl has passed (the item may still exist: TTL deletion is lazy)
    clock.advance(31)
    # THEN it reads as 0 and the next increment starts a fresh window
    assert stores.counters.get("win") == 0
    assert stores.counters.incr("win", 1, limit=2, ttl_s=60) == 1
    clock.advance(59)
    assert stores.counters.get("win") == 1
    clock.advance(2)
    assert stores.counters.get("win") == 0


def test_counter_without_ttl_never_expires(stores: Stores, clock: FakeClock) -> None:
    stores.counters.incr("usage", 5)
    clock.advance(10 * 365 * 86400)
    assert stores.counters.get("usage") == 5


# --- blobs ------------------------------------------------------------------------------


def test_blob_bytes_ranges_and_size(stores: Stores) -> None:
    data = bytes(range(256)) * 40
    assert stores.blobs.put("media/acme/f1.bin", data, "application/octet-stream") == len(data)
    assert stores.blobs.exists("media/acme/f1.bin")
    assert stores.blobs.get("media/acme/f1.bin") == data
    assert stores.blobs.size("media/acme/f1.bin") == len(data)
    assert stores.blobs.get_range("media/acme/f1.bin", 10, 19) == data[10:20]
    chunks = list(stores.blobs.iter_range("media/acme/f1.bin", 100, 5099, chunk=1000))
    assert b"".join(chunks) == data[100:5100]
    assert len(chunks) >= 5


def test_unsatisfiable_blob_range_is_a_validation_error(stores: Stores) -> None:
    stores.blobs.put("r/x", b"0123456789", "text/plain")
    assert stores.blobs.get_range("r/x", 8, 50) == b"89"
    with pytest.raises(ValidationError):
        stores.blobs.get_range("r/x", 10, 20)


def test_blob_put_from_stream_overwrites(stores: Stores) -> None:
    stores.blobs.put("a/b.txt", b"old", "text/plain")
    assert stores.blobs.put("a/b.txt", io.BytesIO(b"new bytes"), "text/plain") == 9
    assert stores.blobs.get("a/b.txt") == b"new bytes"


def test_blob_local_path_holds_the_bytes(stores: Stores) -> None:
    stores.blobs.put("media/acme/clip.mp4", b"\x00\x01video", "video/mp4")
    with stores.blobs.local_path("media/acme/clip.mp4") as path:
        assert path.read_bytes() == b"\x00\x01video"


def test_missing_blob_is_not_found(stores: Stores) -> None:
    assert stores.blobs.exists("nope/x") is False
    for call in (
        lambda: stores.blobs.get("nope/x"),
        lambda: stores.blobs.get_range("nope/x", 0, 1),
        lambda: stores.blobs.iter_range("nope/x", 0, 1),
        lambda: stores.blobs.size("nope/x"),
    ):
        with pytest.raises(NotFoundError):
            call()
    with pytest.raises(NotFoundError), stores.blobs.local_path("nope/x"):
        pass


def test_blob_delete_is_idempotent(stores: Stores) -> None:
    stores.blobs.put("d/x", b"1", "text/plain")
    stores.blobs.delete("d/x")
    stores.blobs.delete("d/x")
    assert stores.blobs.exists("d/x") is False


def test_presign_put_matches_backend(stores: Stores, backend: str) -> None:
    target = stores.blobs.presign_put("uploads/acme/f9", content_type="video/mp4", expires_s=60)
    if backend == "embedded":
        assert target is None
        return
    assert target is not None
    assert target.url.startswith("https://" if backend == "aws" else "http")
    assert target.method == "PUT"
    assert target.headers == {"Content-Type": "video/mp4"}


def test_health_reports_every_store_ok(stores: Stores) -> None:
    names = ("blobs", "files", "jobs", "keys", "counters", "identities")
    assert stores.health() == dict.fromkeys(names, "ok")


# --- durability (embedded only: the aws backends are durable by construction) -----------


def test_embedded_state_survives_reopen(tmp_path: Path, clock: FakeClock) -> None:
    from framelens.stores.embedded import build_embedded_stores, close_embedded_stores

    # GIVEN stores with one of everything, then closed
    first = build_embedded_stores(tmp_path, clock=clock)
    job, _ = first.jobs.create(make_job(idempotency_key="k", request_hash="h"))
    record = FileRecord(
        file_id="f1",
        tenant_id="acme",
        url="storage://f1",
        media_type=MediaType.image,
        content_type="image/png",
        size=3,
        blob_key="media/acme/f1",
    )
    first.files.put(record)
    first.blobs.put("media/acme/f1", b"png", "image/png")
    first.keys.put_key(_key("k_1", "acme"))
    first.keys.put_tenant(Tenant(tenant_id="acme"))
    first.counters.incr("usage", 7)
    close_embedded_stores(first)
    # WHEN the same folder is opened again
    again = build_embedded_stores(tmp_path, clock=clock)
    # THEN everything reads back, idempotency included
    assert again.jobs.get(job.id) == job
    assert again.jobs.create(make_job(n=3, idempotency_key="k", request_hash="h"))[0].id == job.id
    assert again.files.get("acme", "f1") == record
    assert again.blobs.get("media/acme/f1") == b"png"
    assert again.keys.get_key("k_1") == _key("k_1", "acme")
    assert again.keys.get_tenant("acme") is not None
    assert again.counters.get("usage") == 7
    assert [j.id for j in again.jobs.list_active()] == [job.id]
    close_embedded_stores(again)
