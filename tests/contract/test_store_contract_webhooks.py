"""Contract: every WebhookStore adapter behaves the same (subscriptions, deliveries, tenants)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from framelens.errors import NotFoundError
from framelens.schemas.subscriptions import EventDelivery, JobEvent, WebhookSubscription
from tests.contract.helpers import BASE_TIME

if TYPE_CHECKING:
    from framelens.stores import Stores, WebhookStore


@pytest.fixture
def hooks(stores: Stores) -> WebhookStore:
    assert stores.webhooks is not None
    return stores.webhooks


def _sub(tenant: str, n: int) -> WebhookSubscription:
    return WebhookSubscription(
        subscription_id=f"wh_{tenant}_{n}",
        tenant_id=tenant,
        url=f"https://hooks.example.com/{n}",
        events=[JobEvent.created, JobEvent.completed],
        secret="s3cret" if n % 2 else None,
        time_created=BASE_TIME + timedelta(seconds=n),
    )


def _delivery(sub: WebhookSubscription, n: int, status: str = "pending") -> EventDelivery:
    return EventDelivery(
        delivery_id=f"dl_2026010{n}T000000_{n:04d}",
        subscription_id=sub.subscription_id,
        tenant_id=sub.tenant_id,
        event=JobEvent.completed,
        job_id=f"job-{n}",
        body='{"event":"job.completed"}',
        status=status,
        time_created=BASE_TIME + timedelta(minutes=n),
    )


def test_subscriptions_round_trip_oldest_first(hooks: WebhookStore) -> None:
    subs = [_sub("acme", n) for n in (2, 1, 3)]
    for sub in subs:
        hooks.put_subscription(sub)
    assert hooks.get_subscription("acme", "wh_acme_1") == subs[1]
    assert [s.subscription_id for s in hooks.list_subscriptions("acme")] == [
        "wh_acme_1",
        "wh_acme_2",
        "wh_acme_3",
    ]


def test_other_tenants_subscription_is_not_found(hooks: WebhookStore) -> None:
    sub = _sub("acme", 1)
    hooks.put_subscription(sub)
    hooks.put_delivery(_delivery(sub, 1))
    with pytest.raises(NotFoundError):
        hooks.get_subscription("other", sub.subscription_id)
    with pytest.raises(NotFoundError):
        hooks.delete_subscription("other", sub.subscription_id)
    with pytest.raises(NotFoundError):
        hooks.get_delivery("other", sub.subscription_id, _delivery(sub, 1).delivery_id)
    assert hooks.list_subscriptions("other") == []
    assert hooks.list_deliveries("other", sub.subscription_id) == []
    assert hooks.get_subscription("acme", sub.subscription_id) == sub


def test_deliveries_list_newest_first_and_update_in_place(hooks: WebhookStore) -> None:
    sub = _sub("acme", 1)
    hooks.put_subscription(sub)
    for n in (1, 3, 2):
        hooks.put_delivery(_delivery(sub, n))
    # WHEN one is delivered (the record is replaced)
    done = _delivery(sub, 2, status="delivered").model_copy(update={"attempts": 1})
    hooks.put_delivery(done)
    # THEN the list is newest first, with the replaced record, and limited on request
    listed = hooks.list_deliveries("acme", sub.subscription_id)
    assert [d.job_id for d in listed] == ["job-3", "job-2", "job-1"]
    assert listed[1] == done
    assert [d.job_id for d in hooks.list_deliveries("acme", sub.subscription_id, limit=2)] == [
        "job-3",
        "job-2",
    ]
    assert hooks.get_delivery("acme", sub.subscription_id, done.delivery_id) == done


def test_pending_deliveries_of_every_tenant_oldest_first(hooks: WebhookStore) -> None:
    a, b = _sub("acme", 1), _sub("other", 2)
    hooks.put_subscription(a)
    hooks.put_subscription(b)
    hooks.put_delivery(_delivery(b, 2))
    hooks.put_delivery(_delivery(a, 1))
    hooks.put_delivery(_delivery(a, 3, status="failed"))
    hooks.put_delivery(_delivery(a, 4, status="delivered"))
    assert [(d.tenant_id, d.job_id) for d in hooks.list_pending()] == [
        ("acme", "job-1"),
        ("other", "job-2"),
    ]


def test_deleting_a_subscription_deletes_its_deliveries(hooks: WebhookStore) -> None:
    keep, gone = _sub("acme", 1), _sub("acme", 2)
    for sub in (keep, gone):
        hooks.put_subscription(sub)
        hooks.put_delivery(_delivery(sub, sub.time_created.second))
    hooks.delete_subscription("acme", gone.subscription_id)
    with pytest.raises(NotFoundError):
        hooks.get_subscription("acme", gone.subscription_id)
    assert hooks.list_deliveries("acme", gone.subscription_id) == []
    assert [d.subscription_id for d in hooks.list_pending()] == [keep.subscription_id]
    with pytest.raises(NotFoundError):
        hooks.delete_subscription("acme", gone.subscription_id)
