"""Contract: every WebhookStore adapter behaves the same (subscriptions, tenants)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from framelens.errors import NotFoundError
from framelens.schemas.subscriptions import JobEvent, WebhookSubscription
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
    with pytest.raises(NotFoundError):
        hooks.get_subscription("other", sub.subscription_id)
    with pytest.raises(NotFoundError):
        hooks.delete_subscription("other", sub.subscription_id)
    assert hooks.list_subscriptions("other") == []
    assert hooks.get_subscription("acme", sub.subscription_id) == sub


def test_deleting_a_subscription_keeps_the_others(hooks: WebhookStore) -> None:
    keep, gone = _sub("acme", 1), _sub("acme", 2)
    for sub in (keep, gone):
        hooks.put_subscription(sub)
    hooks.delete_subscription("acme", gone.subscription_id)
    with pytest.raises(NotFoundError):
        hooks.get_subscription("acme", gone.subscription_id)
    assert [s.subscription_id for s in hooks.list_subscriptions("acme")] == [keep.subscription_id]
    with pytest.raises(NotFoundError):
        hooks.delete_subscription("acme", gone.subscription_id)
