"""The synthesized cloud executed on moto: S3 drop → ingest → Step Functions → every stage.

The state machine is the one ``cdk synth`` produced (``tests/infra/conftest.py``'s session
fixture), its intrinsics resolved to moto resources by ``cloud_harness``; Lambda invocations and
the GPU branch's ECS task run our handlers and worker in-process.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.e2e.cloud_harness import CloudEnv, deployed
from tests.infra.conftest import synth  # noqa: F401 - the session's one synthesis

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.media import Generated

pytestmark = pytest.mark.slow

TENANT = "acme"


@pytest.fixture
def cloud(synth, monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudEnv]:  # noqa: F811
    with deployed(synth, monkeypatch.setenv) as env:
        env.services().keys.create(TENANT, plan="pro")
        yield env


def drop(cloud: CloudEnv, clip: Generated, key: str, **metadata: str) -> None:
    cloud.s3.put_object(
        Bucket=cloud.bucket, Key=key, Body=clip.path.read_bytes(), Metadata=metadata
    )


def ingested_job_id(cloud: CloudEnv) -> str:
    (ingest,) = [i for i in cloud.invocations if i.function == cloud.function("IngestFunction")]
    assert ingest.error is None, ingest
    (job_id,) = ingest.result["created"]
    return str(job_id)


def test_s3_drop_runs_every_stage_and_finishes_the_job(cloud: CloudEnv, cuts_clip: Generated):
    # GIVEN a video dropped under uploads/ with its tenant and modules as object metadata
    drop(cloud, cuts_clip, "uploads/cam 1/clip.mp4", tenant=TENANT, modules="scenes,probe")

    # WHEN S3 notifies the ingest function and the execution it starts completes
    job_id = ingested_job_id(cloud)
    execution = cloud.wait_execution(job_id)

    # THEN every stage ran, the job is finished in DynamoDB and its results are in S3
    assert execution["status"] == "SUCCEEDED", cloud.history(job_id)[-3:]
    states = cloud.entered_states(job_id)
    for state in ("Probe", "Plan", "Analyze", "RouteByRuntime", "AnalyzeCpu", "Aggregate",
                  "Notify", "Finalize"):  # fmt: skip
        assert state in states
    job = cloud.job_item(job_id)
    assert job.state.value == "finished"
    assert job.extra["s3_key"] == "uploads/cam 1/clip.mp4"
    doc = json.loads(cloud.s3.get_object(Bucket=cloud.bucket, Key=job.result_keys["scenes"])["Body"].read())  # fmt: skip
    cuts = [round(float(s["start"]), 1) for s in doc["items"]]
    assert cuts[:4] == [0.0, 1.0, 2.0, 3.0], doc


def test_debug(cloud, cuts_clip):
    drop(cloud, cuts_clip, "uploads/cam 1/clip.mp4", tenant=TENANT, modules="scenes,probe")
    keys = [o["Key"] for o in cloud.s3.list_objects_v2(Bucket=cloud.bucket)["Contents"]]
    print(keys)
    for k in keys:
        if k.startswith("ingest-errors"):
            print(cloud.s3.get_object(Bucket=cloud.bucket, Key=k)["Body"].read())
    assert 0
