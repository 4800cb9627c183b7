"""Contract: file records carry a folder, and every FileStore lists one folder alike (seed 003)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from framelens.errors import ValidationError
from framelens.schemas import FileRecord, MediaType
from tests.contract.helpers import BASE_TIME

if TYPE_CHECKING:
    from framelens.stores import Stores


def _file(tenant_id: str, n: int, folder: str) -> FileRecord:
    return FileRecord(
        file_id=f"f_{tenant_id}_{n}",
        tenant_id=tenant_id,
        url=f"storage://f_{tenant_id}_{n}",
        media_type=MediaType.image,
        content_type="image/jpeg",
        size=10 + n,
        folder=folder,
        number=n,
        blob_key=f"media/{tenant_id}/f_{n}",
        time_created=BASE_TIME + timedelta(seconds=n),
    )


def test_folder_and_number_round_trip(stores: Stores) -> None:
    record = _file("acme", 1, "/my-subfolder/")
    stores.files.put(record)
    assert stores.files.get("acme", record.file_id) == record


def test_a_folder_lists_only_its_files_newest_first_across_pages(stores: Stores) -> None:
    # GIVEN five files in /a/, two at the root and one in /a/b/, and one of another tenant in /a/
    for n in range(5):
        stores.files.put(_file("acme", n, "/a/"))
    for n in (10, 11):
        stores.files.put(_file("acme", n, "/"))
    stores.files.put(_file("acme", 20, "/a/b/"))
    stores.files.put(_file("other", 30, "/a/"))
    # WHEN /a/ is listed two at a time
    seen: list[str] = []
    page, cursor = stores.files.list("acme", limit=2, folder="/a/")
    seen += [r.file_id for r in page]
    while cursor is not None:
        page, cursor = stores.files.list("acme", limit=2, cursor=cursor, folder="/a/")
        seen += [r.file_id for r in page]
    # THEN exactly its five files come back, newest first (not the subfolder's, not other's)
    assert seen == [f"f_acme_{n}" for n in (4, 3, 2, 1, 0)]
    assert [r.file_id for r in stores.files.list("acme", folder="/")[0]] == [
        "f_acme_11",
        "f_acme_10",
    ]
    # AND without a folder every file of the tenant is listed
    assert len(stores.files.list("acme", limit=50)[0]) == 8


def test_moving_a_file_to_another_folder_moves_it_in_listings(stores: Stores) -> None:
    record = _file("acme", 1, "/a/")
    stores.files.put(record)
    stores.files.put(record.model_copy(update={"folder": "/b/"}))
    assert stores.files.list("acme", folder="/a/")[0] == []
    assert [r.folder for r in stores.files.list("acme", folder="/b/")[0]] == ["/b/"]


def test_a_cursor_pages_only_its_own_folder(stores: Stores) -> None:
    # GIVEN a cursor of folder /a/
    for n in range(3):
        stores.files.put(_file("acme", n, "/a/"))
    stores.files.put(_file("acme", 9, "/b/"))
    _, cursor = stores.files.list("acme", limit=1, folder="/a/")
    assert cursor is not None
    # WHEN it is passed to another folder's listing, or to the whole listing THEN it is refused
    with pytest.raises(ValidationError):
        stores.files.list("acme", limit=5, cursor=cursor, folder="/b/")
    with pytest.raises(ValidationError):
        stores.files.list("acme", limit=5, cursor=cursor)


@pytest.mark.parametrize("folder", ["/", "/x/"])
def test_an_empty_folder_lists_nothing(stores: Stores, folder: str) -> None:
    assert stores.files.list("acme", folder=folder) == ([], None)
