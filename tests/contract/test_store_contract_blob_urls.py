"""Contract: ``BlobStore.presign_get`` — a download URL where the backend has one, else ``None``.

On moto the presigned URL is fetched through moto's request interception (``requests``), so the
test checks that the URL really serves the object, with ``Range`` answered by S3 itself.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

import pytest

from framelens.errors import NotFoundError

if TYPE_CHECKING:
    from framelens.stores import Stores

DATA = bytes(range(256)) * 8


def test_presign_get_of_a_missing_key_is_not_found(stores: Stores) -> None:
    with pytest.raises(NotFoundError):
        stores.blobs.presign_get("renders/acme/none.mp4", expires_s=60)


def test_presign_get_matches_backend(stores: Stores, backend: str) -> None:
    # GIVEN a stored object
    stores.blobs.put("media/acme/f_1", DATA, "video/mp4")
    # WHEN a 5-minute download URL is asked for
    url = stores.blobs.presign_get("media/acme/f_1", expires_s=300, content_type="video/mp4")
    # THEN the embedded backend has none (the server streams), S3 signs a GET of that key
    if backend == "embedded":
        assert url is None
        return
    assert url is not None
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    assert parsed.path.endswith("/media/acme/f_1")
    # SigV4 states the lifetime (X-Amz-Expires); SigV2, which boto3 still uses for S3 in
    # us-east-1 unless told otherwise, states the moment it ends (Expires, epoch seconds).
    if "X-Amz-Expires" in query:
        assert query["X-Amz-Expires"] == ["300"] and "X-Amz-Signature" in query
    else:
        assert 290 <= int(query["Expires"][0]) - time.time() <= 310 and "Signature" in query
    assert query["response-content-type"] == ["video/mp4"]


def test_presigned_url_serves_the_bytes_and_ranges(stores: Stores, backend: str) -> None:
    if backend != "aws":
        pytest.skip("only moto intercepts plain HTTP requests in-process")
    requests = pytest.importorskip("requests")
    # GIVEN a stored object and its presigned URL
    stores.blobs.put("media/acme/f_2", DATA, "video/mp4")
    url = stores.blobs.presign_get("media/acme/f_2", expires_s=60)
    assert url is not None
    # WHEN it is fetched whole and with a Range header
    whole = requests.get(url, timeout=10)
    part = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=10)
    # THEN the bytes are the object's, and S3 answers the range itself
    assert whole.status_code == 200 and whole.content == DATA
    assert part.status_code == 206 and part.content == DATA[100:200]
