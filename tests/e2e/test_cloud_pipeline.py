"""The synthesized cloud executed on moto: S3 drop → ingest → Step Functions → every stage.

The state machine is the one ``cdk synth`` produced (``tests/cdk_synth.py``'s session fixture),
its intrinsics resolved to moto resources by ``tests/e2e/cloud``; Lambda invocations and
the GPU branch's ECS task run our handlers and worker in-process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.e2e.cloud import TENANT, CloudEnv

if TYPE_CHECKING:
    from tests.media import Generated

pytestmark = pytest.mark.slow


def drop(cloud: CloudEnv, clip: Generated, key: str, **metadata: str) -> None:
    cloud.s3.put_object(
        Bucket=cloud.bucket, Key=key, Body=clip.path.read_bytes(), Metadata=metadata
    )


def ingested_job_id(cloud: CloudEnv, key: str) -> str:
    """The job the ingest function made of the drop at ``key``."""
    ingest = cloud.wait_ingest(key)
    assert ingest.error is None, ingest
    (job_id,) = ingest.result["created"]
    return str(job_id)


def transitions(cloud: CloudEnv, key: str) -> list[int]:
    """Cut frames of a scenes result document stored in S3."""
    doc = json.loads(cloud.s3.get_object(Bucket=cloud.bucket, Key=key)["Body"].read())
    return [t["frame"] for t in doc["sources"][0]["result"]["transitions"]]


def test_s3_drop_runs_every_stage_and_finishes_the_job(cloud: CloudEnv, cuts_clip: Generated):
    # GIVEN a video dropped under uploads/ (a key S3 will URL-encode) with its tenant and
    # modules as object metadata
    drop(cloud, cuts_clip, "uploads/cam 1/clip.mp4", tenant=TENANT, modules="scenes,probe")

    # WHEN S3 notifies the ingest function and the execution it starts completes
    job_id = ingested_job_id(cloud, "uploads/cam 1/clip.mp4")
    execution = cloud.wait_execution(job_id)

    # THEN every stage ran on the CPU branch, the job is finished in DynamoDB with its source
    # decoded, and its result document in S3 holds the clip's cuts
    assert execution["status"] == "SUCCEEDED", cloud.history(job_id)[-3:]
    states = cloud.entered_states(job_id)
    expected = ["Probe", "Plan", "Analyze", "Aggregate", "Notify", "Finalize"]
    assert [s for s in states if s in expected] == expected
    assert "MarkFailed" not in states
    # (the Distributed Map's items run as child executions: the inference function analyzed it)
    inference = cloud.function("PipelineInference")
    analyzed = [i for i in cloud.invocations if i.function == inference]
    assert [i.event["stage"] for i in analyzed] == ["analyze"]
    job = cloud.job_item(job_id)
    assert job.state.value == "finished"
    assert job.extra["s3_key"] == "uploads/cam 1/clip.mp4"
    assert set(job.result_keys) == {"scenes", "probe"}
    assert transitions(cloud, job.result_keys["scenes"]) == cuts_clip.truth["cuts"]
    assert job.extra.get("accounted") is True  # finalize ran its bookkeeping


def test_gpu_work_item_runs_the_worker_through_ecs_run_task_sync(
    cloud: CloudEnv, cuts_clip: Generated, monkeypatch: pytest.MonkeyPatch
):
    # GIVEN scenes routed to the GPU runtime, and a drop whose sidecar names tenant and modules
    from framelens.analyzers.scenes import ScenesAnalyzer

    monkeypatch.setattr(ScenesAnalyzer, "runtime", "gpu")
    sidecar = {"tenant": TENANT, "modules": ["scenes"]}
    cloud.s3.put_object(
        Bucket=cloud.bucket, Key="uploads/gpu.mp4.json", Body=json.dumps(sidecar).encode()
    )
    drop(cloud, cuts_clip, "uploads/gpu.mp4")

    # WHEN the execution runs
    job_id = ingested_job_id(cloud, "uploads/gpu.mp4")
    execution = cloud.wait_execution(job_id)

    # THEN the Map took the ECS RunTask.sync branch: the worker ran in-process with the work
    # item in its container override, wrote its part where the state machine said, and the
    # job finished with the same cuts as on the CPU branch
    assert execution["status"] == "SUCCEEDED", cloud.history(job_id)[-3:]
    assert "MarkFailed" not in cloud.entered_states(job_id)
    inference = cloud.function("PipelineInference")
    assert not [i for i in cloud.invocations if i.function == inference]  # not the CPU branch
    (task,) = cloud.gpu_tasks
    assert task["exit_code"] == 0
    item = json.loads(task["environment"]["FRAMELENS_TASK_INPUT"])
    assert item["job_id"] == job_id
    assert item["result_key"] == f"work/{job_id}/0/0/gpu.manifest.json"
    job = cloud.job_item(job_id)
    assert job.state.value == "finished"
    assert transitions(cloud, job.result_keys["scenes"]) == cuts_clip.truth["cuts"]


@dataclass(frozen=True)
class Refused:
    name: str
    metadata: dict[str, str]
    code: str
    needle: str


REFUSED = [
    Refused("unknown tenant", {"tenant": "nobody", "modules": "scenes"}, "unauthorized", "nobody"),
    Refused("no tenant at all", {}, "bad_request", "names no tenant"),
    Refused(
        "modules not JSON",
        {"tenant": TENANT, "modules": "[scenes"},
        "bad_request",
        "not valid JSON",
    ),
    Refused(
        "unknown module", {"tenant": TENANT, "modules": "telepathy"}, "bad_request", "telepathy"
    ),
]


@pytest.mark.expected_errors
@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.name)
def test_refused_drop_leaves_a_clear_failure_record(
    cloud: CloudEnv, cuts_clip: Generated, case: Refused
):
    # GIVEN a drop whose metadata cannot make a job
    drop(cloud, cuts_clip, "uploads/refused clip.mp4", **case.metadata)

    # WHEN the ingest function handles its notification
    ingest = cloud.wait_ingest("uploads/refused clip.mp4")

    # THEN it refuses the key, writes why under ingest-errors/ and starts no execution
    assert ingest.error is None
    assert ingest.result == {"created": [], "refused": ["uploads%2Frefused+clip.mp4"]}
    body = cloud.s3.get_object(
        Bucket=cloud.bucket, Key="ingest-errors/uploads%2Frefused+clip.mp4.json"
    )["Body"].read()
    record = json.loads(body)
    assert record["key"] == "uploads/refused clip.mp4"
    assert record["code"] == case.code
    assert case.needle in record["message"]
    executions = cloud.sfn.list_executions(stateMachineArn=cloud.state_machine_arn)["executions"]
    assert executions == []


def test_a_redelivered_s3_event_makes_one_job(cloud: CloudEnv, cuts_clip: Generated):
    # GIVEN a drop that became a job
    drop(cloud, cuts_clip, "uploads/twice.mp4", tenant=TENANT, modules="probe")
    first = cloud.wait_ingest("uploads/twice.mp4")
    job_id = ingested_job_id(cloud, "uploads/twice.mp4")
    cloud.wait_execution(job_id)

    # WHEN S3 delivers the same event again (at-least-once delivery)
    from tests.e2e.cloud import LambdaContext, handler_module

    name = cloud.function("IngestFunction")
    again = handler_module("ingest").handler(first.event, LambdaContext(name, name))

    # THEN the ingest answers with the same job and the tenant still has one job
    assert again == {"created": [job_id], "refused": []}
    jobs, _ = cloud.services().stores.jobs.list(TENANT)
    assert [j.id for j in jobs] == [job_id]
