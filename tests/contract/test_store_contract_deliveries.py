"""Contract: every DeliveryStore adapter behaves the same (the delivery queue): create once,
conditional updates, what is due (pending past its time, sending past its lease), tenant-scoped
pages newest first with filters."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from framelens.errors import ConflictError, NotFoundError, ValidationError
from framelens.schemas.deliveries import Delivery
from tests.contract.helpers import BASE_TIME

if TYPE_CHECKING:
    from framelens.stores import DeliveryStore, Stores


@pytest.fixture
def queue(stores: Stores) -> DeliveryStore:
    assert stores.deliveries is not None
    return stores.deliveries


def _delivery(n: int, tenant: str = "acme", **update: object) -> Delivery:
    at = BASE_TIME + timedelta(minutes=n)
    record = Delivery(
        delivery_id=f"dl_{at.strftime('%Y%m%dT%H%M%S%f')}_{n:04d}",
        tenant_id=tenant,
        job_id=f"job-{n}",
        kind="event" if n % 2 else "job",
        event="job.finished",
        subscription_id="wh_1" if n % 2 else None,
        url="https://hooks.example.com/x",
        secret="fernet:abc",
        body_key=f"webhooks/{tenant}/{n}.json",
        next_attempt_at=at,
        time_created=at,
        time_queued=at,
    )
    return record.model_copy(update=update)


def test_a_record_is_created_once_and_read_back(queue: DeliveryStore) -> None:
    record = _delivery(1)
    assert queue.create(record) is True
    assert queue.create(record.model_copy(update={"attempts": 5})) is False
    assert queue.get("acme", record.delivery_id) == record


def test_other_tenants_delivery_is_not_found(queue: DeliveryStore) -> None:
    record = _delivery(1)
    queue.create(record)
    with pytest.raises(NotFoundError):
        queue.get("other", record.delivery_id)
    assert queue.list("other") == ([], None)


def test_updates_are_conditional_on_the_version(queue: DeliveryStore) -> None:
    # GIVEN a stored record WHEN one writer updates it
    record = _delivery(1)
    queue.create(record)
    won = queue.update(record.model_copy(update={"state": "sending"}))
    # THEN its version went up, and a writer holding the old version loses
    assert won.version == record.version + 1
    with pytest.raises(ConflictError):
        queue.update(record.model_copy(update={"state": "failed"}))
    assert queue.get("acme", record.delivery_id) == won
    with pytest.raises(NotFoundError):
        queue.update(_delivery(9))


def test_due_is_pending_past_its_time_and_sending_past_its_lease(queue: DeliveryStore) -> None:
    now = BASE_TIME + timedelta(minutes=10)
    queue.create(_delivery(3))  # pending, due 3 min in
    queue.create(_delivery(1, tenant="other"))  # pending, due 1 min in, another tenant
    queue.create(_delivery(20))  # pending, due later
    queue.create(_delivery(5, state="sending", lease_until=now - timedelta(seconds=1)))
    queue.create(_delivery(6, state="sending", lease_until=now + timedelta(seconds=30)))
    queue.create(_delivery(2, state="delivered"))
    queue.create(_delivery(4, state="failed"))
    due = queue.due(now)
    assert [d.job_id for d in due] == ["job-1", "job-3", "job-5"]
    assert [d.job_id for d in queue.due(now, limit=1)] == ["job-1"]
    # AND a record that became final leaves the queue
    queue.update(due[0].model_copy(update={"state": "delivered"}))
    assert [d.job_id for d in queue.due(now)] == ["job-3", "job-5"]


def test_pages_are_newest_first_filtered_and_cursored(queue: DeliveryStore) -> None:
    for n in range(1, 8):
        queue.create(_delivery(n, state="failed" if n in (2, 5, 6) else "pending"))
    queue.create(_delivery(8, tenant="other", state="failed"))
    page, cursor = queue.list("acme", limit=3)
    assert [d.job_id for d in page] == ["job-7", "job-6", "job-5"]
    assert cursor is not None
    page2, cursor2 = queue.list("acme", limit=3, cursor=cursor)
    assert [d.job_id for d in page2] == ["job-4", "job-3", "job-2"]
    last, end = queue.list("acme", limit=3, cursor=cursor2)
    assert ([d.job_id for d in last], end) == (["job-1"], None)
    failed, more = queue.list("acme", state="failed", limit=2)
    assert [d.job_id for d in failed] == ["job-6", "job-5"]
    assert more is not None
    rest, done = queue.list("acme", state="failed", limit=2, cursor=more)
    assert ([d.job_id for d in rest], done) == (["job-2"], None)
    events, _ = queue.list("acme", subscription_id="wh_1")
    assert [d.job_id for d in events] == ["job-7", "job-5", "job-3", "job-1"]
    with pytest.raises(ValidationError):
        queue.list("acme", cursor="not-a-cursor")
