"""Completing a large upload reads the video where it lies, by byte ranges, not a download.

The API function has 29 s and a small ``/tmp``; an upload may be 5 GiB. ``complete`` checks the
video through a ``BlobReader`` (ranged GETs: the head, the index, the first frames); every S3
GetObject the API function makes is counted here, through the real handler on moto.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
import requests
from botocore.client import BaseClient

from tests.e2e.cloud import TENANT, CloudEnv
from tests.e2e.cloud.stage import Gateway, gateway_for
from tests.media import noise_clip

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow
_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


@pytest.fixture
def gateway(cloud: CloudEnv) -> Gateway:
    return gateway_for(cloud)


@pytest.fixture
def get_objects(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every S3 GetObject this process makes from now on (its parameters)."""
    calls: list[dict[str, Any]] = []
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "GetObject":
            calls.append(dict(params))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return calls


def _bytes_read(calls: list[dict[str, Any]], key: str) -> int:
    total = 0
    for call in calls:
        if call["Key"] != key:
            continue
        match = _RANGE.match(call.get("Range") or "")
        assert match, f"a whole-object or open-ended GET of {key}: {call}"
        total += int(match.group(2)) - int(match.group(1)) + 1
    return total


def test_completing_a_large_upload_reads_a_fraction_of_it_by_ranges(
    cloud: CloudEnv, gateway: Gateway, get_objects: list[dict[str, Any]], tmp_path: Path
):
    # GIVEN a video of tens of megabytes (noise does not compress) PUT to its presigned URL
    clip = noise_clip(tmp_path / "large.mp4", frames=300, size=(640, 360))
    data = clip.path.read_bytes()
    assert len(data) > 20_000_000, len(data)
    announce = json.dumps({"name": "large.mp4", "content_type": "video/mp4", "size": len(data)})
    status, target = gateway.call(
        "POST", "/v1/uploads", announce, **{"Content-Type": "application/json"}
    )
    assert status == 201, target
    put = requests.put(target["upload_url"], data=data, headers=target["headers"], timeout=60)
    assert put.status_code == 200
    # WHEN the client completes it through the API function
    status, done = gateway.call("POST", target["complete_url"])
    # THEN it is checked and probed (every frame counted, the size right) ...
    assert status == 200, done
    assert done["media_type"] == "video" and done["size"] == len(data)
    assert done["probe"]["frames"] == 300 and done["probe"]["width"] == 640
    # ... from ranged reads that add up to a small part of the file, never a whole-object GET
    key = cloud.services().stores.files.get(TENANT, target["file_id"]).blob_key
    read = _bytes_read(get_objects, key)
    assert 0 < read < len(data) // 4, (read, len(data))
