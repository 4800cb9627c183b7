"""Contract: every IdentityStore adapter behaves the same (embedded SQLite, DynamoDB on moto).

Galleries are per tenant: another tenant's identity id answers ``NotFoundError`` exactly like an
unknown one; deleting an identity deletes its embeddings; merge moves embeddings atomically.
"""

from __future__ import annotations

import struct
import uuid
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from framelens.errors import ConflictError, NotFoundError, ValidationError
from framelens.schemas.identities import IdentityRecord
from tests.contract.helpers import BASE_TIME

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from framelens.stores import IdentityStore
    from tests.contract.conftest import AwsRig

VEC_A = [0.5, -0.25, 0.125, 1.0]
VEC_B = [0.0, 1.0, -0.5, 0.75]


@contextmanager
def _dynamo_store(rig: AwsRig) -> Iterator[tuple[IdentityStore, str]]:
    """The aws adapter on a fresh identities table, and the table's name."""
    from framelens.stores.aws import build_aws_stores, identity_table_spec

    settings = rig.settings().model_copy(
        update={"identities_table": f"fl-ids-{uuid.uuid4().hex[:10]}"}
    )
    rig.dynamodb.create_table(**identity_table_spec(settings.identities_table))
    stores = build_aws_stores(settings, dynamodb=rig.dynamodb, s3=rig.s3)
    assert stores.identities is not None
    try:
        yield stores.identities, settings.identities_table
    finally:
        rig.dynamodb.delete_table(TableName=settings.identities_table)


@pytest.fixture(params=["embedded", "aws"])
def identities(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IdentityStore]:
    """A fresh identity store on each adapter."""
    if request.param == "embedded":
        from framelens.stores.embedded import build_embedded_stores, close_embedded_stores

        stores = build_embedded_stores(tmp_path / "data")
        assert stores.identities is not None
        yield stores.identities
        close_embedded_stores(stores)
        return
    with _dynamo_store(request.getfixturevalue("moto_rig")) as (store, _):
        yield store


def _record(tenant: str = "acme", n: int = 0, **fields: object) -> IdentityRecord:
    values: dict[str, object] = {
        "identity_id": f"id_{tenant}_{n}_{uuid.uuid4().hex[:6]}",
        "tenant_id": tenant,
        "gallery": "staff",
        "name": f"Person {n}",
        "embedder": "dlib_face_recognition_resnet_model_v1",
        "embeddings": [VEC_A],
        "time_created": BASE_TIME + timedelta(seconds=n),
        "time_updated": BASE_TIME + timedelta(seconds=n),
    }
    values.update(fields)
    return IdentityRecord.model_validate(values)


def test_created_identity_reads_back_with_its_vectors(identities: IdentityStore) -> None:
    # GIVEN an identity with two embeddings (float32 round trip is exact for these values)
    record = _record(embeddings=[VEC_A, VEC_B], allowlisted=True)
    # WHEN it is created and read back
    identities.create(record)
    got = identities.get("acme", record.identity_id)
    # THEN every field and both vectors round-trip in order
    assert got == record


def test_creating_an_existing_id_conflicts(identities: IdentityStore) -> None:
    record = _record()
    identities.create(record)
    with pytest.raises(ConflictError):
        identities.create(record)


def test_other_tenants_identity_is_not_found(identities: IdentityStore) -> None:
    # GIVEN acme's identity
    record = _record("acme")
    identities.create(record)
    # THEN for another tenant it does not exist, whatever the operation
    for call in (
        lambda: identities.get("other", record.identity_id),
        lambda: identities.rename("other", record.identity_id, "X"),
        lambda: identities.add_embeddings("other", record.identity_id, [VEC_B]),
        lambda: identities.delete("other", record.identity_id),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert identities.list("other") == []
    # AND acme's identity is untouched
    assert identities.get("acme", record.identity_id) == record


def test_list_is_per_tenant_and_gallery_oldest_first(identities: IdentityStore) -> None:
    a = _record("acme", 2)
    b = _record("acme", 1, gallery="vip")
    c = _record("acme", 3)
    d = _record("other", 0)
    for r in (a, b, c, d):
        identities.create(r)
    assert [r.identity_id for r in identities.list("acme")] == [
        b.identity_id,
        a.identity_id,
        c.identity_id,
    ]
    assert [r.identity_id for r in identities.list("acme", "staff")] == [
        a.identity_id,
        c.identity_id,
    ]
    assert [r.identity_id for r in identities.list("acme", "vip")] == [b.identity_id]


def test_rename_and_add_embeddings(identities: IdentityStore) -> None:
    record = _record()
    identities.create(record)
    renamed = identities.rename("acme", record.identity_id, "Ann")
    grown = identities.add_embeddings("acme", record.identity_id, [VEC_B, VEC_A])
    got = identities.get("acme", record.identity_id)
    assert renamed.name == "Ann"
    assert grown.embeddings == [VEC_A, VEC_B, VEC_A]
    assert got.name == "Ann" and got.embeddings == [VEC_A, VEC_B, VEC_A]


def test_merge_moves_embeddings_and_deletes_the_other(identities: IdentityStore) -> None:
    keep = _record(n=0, embeddings=[VEC_A])
    other = _record(n=1, embeddings=[VEC_B], allowlisted=True)
    identities.create(keep)
    identities.create(other)
    merged = identities.merge("acme", keep.identity_id, other.identity_id)
    assert merged.embeddings == [VEC_A, VEC_B]
    assert merged.allowlisted is True
    assert identities.get("acme", keep.identity_id).embeddings == [VEC_A, VEC_B]
    with pytest.raises(NotFoundError):
        identities.get("acme", other.identity_id)


def test_merge_refuses_self_other_gallery_and_foreign_ids(identities: IdentityStore) -> None:
    keep = _record(n=0)
    vip = _record(n=1, gallery="vip")
    foreign = _record("other", 2)
    for r in (keep, vip, foreign):
        identities.create(r)
    with pytest.raises(ValidationError):
        identities.merge("acme", keep.identity_id, keep.identity_id)
    with pytest.raises(ValidationError):
        identities.merge("acme", keep.identity_id, vip.identity_id)
    with pytest.raises(NotFoundError):
        identities.merge("acme", keep.identity_id, foreign.identity_id)
    # nothing changed
    assert identities.get("acme", keep.identity_id) == keep
    assert identities.get("other", foreign.identity_id) == foreign


def test_delete_removes_identity_and_embeddings(identities: IdentityStore) -> None:
    record = _record(embeddings=[VEC_A, VEC_B])
    identities.create(record)
    identities.delete("acme", record.identity_id)
    with pytest.raises(NotFoundError):
        identities.get("acme", record.identity_id)
    with pytest.raises(NotFoundError):
        identities.delete("acme", record.identity_id)
    # a new identity reusing the id starts without the old vectors
    again = _record(identity_id=record.identity_id, embeddings=[VEC_B])
    identities.create(again)
    assert identities.get("acme", record.identity_id).embeddings == [VEC_B]


def test_allowlisted_flag_is_set_and_cleared(identities: IdentityStore) -> None:
    # GIVEN an identity that is not allowlisted
    record = _record(embeddings=[VEC_A, VEC_B])
    identities.create(record)
    # WHEN it is allowlisted, then cleared
    flagged = identities.set_allowlisted("acme", record.identity_id, True)
    assert flagged.allowlisted is True
    assert identities.get("acme", record.identity_id).allowlisted is True
    cleared = identities.set_allowlisted("acme", record.identity_id, False)
    # THEN each write reads back, and nothing else changed (name, vectors)
    got = identities.get("acme", record.identity_id)
    assert cleared.allowlisted is False and got.allowlisted is False
    assert got.name == record.name and got.embeddings == [VEC_A, VEC_B]
    # AND another tenant cannot flag it
    with pytest.raises(NotFoundError):
        identities.set_allowlisted("other", record.identity_id, True)
    assert identities.get("acme", record.identity_id).allowlisted is False


def test_dynamodb_item_holds_each_vector_as_a_binary_attribute(moto_rig: AwsRig) -> None:
    # GIVEN an identity with two embeddings, created through the aws adapter
    with _dynamo_store(moto_rig) as (store, table):
        record = _record(embeddings=[VEC_A, VEC_B])
        store.create(record)
        store.add_embeddings("acme", record.identity_id, [VEC_B])
        # WHEN the raw DynamoDB item is read
        item = moto_rig.dynamodb.get_item(
            TableName=table,
            Key={"tenant_id": {"S": "acme"}, "identity_id": {"S": record.identity_id}},
        )["Item"]
    # THEN "vectors" is a list of B attributes, little-endian float32, in order
    vectors = item["vectors"]["L"]
    assert [set(v) for v in vectors] == [{"B"}, {"B"}, {"B"}]
    assert [len(v["B"]) for v in vectors] == [4 * len(VEC_A)] * 3
    assert [list(struct.unpack("<4f", v["B"])) for v in vectors] == [VEC_A, VEC_B, VEC_B]
    # AND the JSON body carries no vectors (they are only in the binary list)
    assert "embeddings" not in item["body"]["S"]


class _WriterBetween:
    """A DynamoDB client that lets another writer in right after its first ``get_item``: the
    interleaving a concurrent edit produces between an edit's read and its write."""

    def __init__(self, client: Any, writer: Callable[[], object]) -> None:
        self._client = client
        self._writer: Callable[[], object] | None = writer

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name != "get_item":
            return attr

        def read_then_let_in(*args: Any, **kwargs: Any) -> Any:
            out = attr(*args, **kwargs)
            writer, self._writer = self._writer, None
            if writer is not None:
                writer()
            return out

        return read_then_let_in


@pytest.mark.parametrize(
    ("edit", "concurrent"),
    [
        ("allowlist", "rename"),
        ("rename", "allowlist"),
        ("add", "rename"),
        ("rename", "add"),
        ("merge", "rename"),
    ],
)
def test_dynamodb_concurrent_edits_are_never_lost(
    moto_rig: AwsRig, edit: str, concurrent: str
) -> None:
    from framelens.stores.aws import build_aws_stores

    with _dynamo_store(moto_rig) as (plain, table):
        # GIVEN an identity (and one to merge into it), and a second writer on the same table
        record = _record(embeddings=[VEC_A])
        spare = _record(n=1, embeddings=[VEC_B])
        plain.create(record)
        plain.create(spare)
        rid = record.identity_id
        edits: dict[str, Callable[[IdentityStore], object]] = {
            "rename": lambda s: s.rename("acme", rid, "Renamed"),
            "allowlist": lambda s: s.set_allowlisted("acme", rid, True),
            "add": lambda s: s.add_embeddings("acme", rid, [VEC_B]),
            "merge": lambda s: s.merge("acme", rid, spare.identity_id),
        }
        settings = moto_rig.settings().model_copy(update={"identities_table": table})
        racing = build_aws_stores(
            settings,
            dynamodb=_WriterBetween(moto_rig.dynamodb, lambda: edits[concurrent](plain)),
            s3=moto_rig.s3,
        ).identities
        assert racing is not None
        # WHEN the other writer edits between this edit's read and its write
        edits[edit](racing)
        got = plain.get("acme", rid)
    # THEN both edits are there
    for done in (edit, concurrent):
        if done == "rename":
            assert got.name == "Renamed"
        if done == "allowlist":
            assert got.allowlisted is True
        if done in ("add", "merge"):
            assert got.embeddings == [VEC_A, VEC_B]
