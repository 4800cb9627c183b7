"""A job far past the old inline Map's limits runs through the synthesized Distributed Map.

Why: an inline Map keeps every item and every result in the execution's state (≈ 236 B an item),
so past ~1,100 items the 256 KiB state limit is exceeded (``States.DataLimitExceeded``, which no
Catch matches: the job would stay ``running``). Here the plan stage stores 3,000 work items in S3,
the Map reads them from there, each item leaves its manifest at its own key and the state passes
through unchanged; the harness fails the test if any state input or output passed 256 KiB.

To keep 3,000 items cheap, the only module is made to not apply to video (each item records the
skip without downloading or decoding): the orchestration is what is under test, not the analysis.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.e2e.cloud import TENANT, CloudEnv, reset_handler_caches
from tests.media import solid_cuts_clip

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow

ITEMS = 3000


def test_a_3000_item_job_runs_through_the_distributed_map(
    cloud: CloudEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a 12 s clip cut into 4 ms segments (3,000 work items) whose module skips video
    from framelens.analyzers.scenes import ScenesAnalyzer
    from framelens.stores import layout

    clip = solid_cuts_clip(tmp_path / "c.mp4", seconds_each=3.0)  # 4 colours x 3 s = 12 s
    monkeypatch.setenv("FRAMELENS_SEGMENT_SECONDS", "0.004")
    monkeypatch.setattr(ScenesAnalyzer, "media_types", frozenset({"image"}))
    reset_handler_caches()
    sidecar = {"tenant": TENANT, "modules": ["scenes"]}
    key = "uploads/scale.mp4"
    cloud.s3.put_object(Bucket=cloud.bucket, Key=f"{key}.json", Body=json.dumps(sidecar).encode())
    cloud.s3.put_object(Bucket=cloud.bucket, Key=key, Body=clip.path.read_bytes())

    # WHEN its execution runs
    ingest = cloud.wait_ingest(key)
    (job_id,) = ingest.result["created"]
    execution = cloud.wait_execution(job_id, timeout_s=900)

    # THEN it succeeded with every item analyzed once, from the item file in S3
    failed = [(i.error, i.result) for i in cloud.invocations if i.error][:3]
    assert execution["status"] == "SUCCEEDED", failed
    items = json.loads(
        cloud.s3.get_object(Bucket=cloud.bucket, Key=layout.items_key(job_id))["Body"].read()
    )
    assert len(items) == ITEMS
    analyzed = [i for i in cloud.invocations if i.event.get("stage") == "analyze"]
    assert len(analyzed) == ITEMS
    assert {i.event["payload"]["result_key"] for i in analyzed} == {i["result_key"] for i in items}
    # AND no state ever held the items: every stage's input stayed small
    assert cloud.limit_violations == []
    stage_inputs = [json.dumps(i.event) for i in cloud.invocations if "stage" in i.event]
    assert max(len(s) for s in stage_inputs) < 2048
    # AND aggregation read all 3,000 manifests and finished the job
    job = cloud.job_item(job_id)
    assert job.state.value == "finished"
    doc = json.loads(
        cloud.s3.get_object(Bucket=cloud.bucket, Key=job.result_keys["scenes"])["Body"].read()
    )
    assert doc["sources"][0]["skipped"] == "scenes does not apply to video sources"
