"""Ending the job of an execution that ended without it, and naming a stage timeout honestly."""

from __future__ import annotations

import pytest

from framelens.jobs.execution_events import end_job_for_execution, parse_execution_event
from framelens.orchestration.stages import stage
from framelens.schemas import JobRecord


@pytest.fixture
def services(tmp_path):
    from framelens.config import Settings
    from framelens.runtime import build_services

    return build_services(Settings(data_dir=tmp_path), start_runner=False)


def _job(services, state: str = "running") -> str:
    job = JobRecord(id="job_1", tenant_id="acme", sources=["storage://f"], modules={"scenes": {}})
    services.stores.jobs.create(job)
    if state == "running":
        services.jobs.start("job_1")
    return "job_1"


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "ABORTED"])
def test_each_ended_status_fails_a_running_job_with_its_reason(services, status):
    job_id = _job(services)
    event = {"detail": {"name": job_id, "status": status, "error": "States.Runtime"}}
    job = end_job_for_execution(services.jobs, parse_execution_event(event))
    assert job is not None and job.state.value == "failed"
    assert job.error.code == f"execution_{status.lower()}"
    assert job.error.message


@pytest.mark.parametrize("status", ["SUCCEEDED", "RUNNING", None])
def test_other_statuses_are_ignored(status):
    assert parse_execution_event({"detail": {"name": "job_1", "status": status}}) is None


def test_an_execution_of_no_job_is_ignored(services):
    ended = parse_execution_event({"detail": {"name": "job_nope", "status": "ABORTED"}})
    assert end_job_for_execution(services.jobs, ended) is None


def test_a_stage_timeout_never_blames_max_processing_time(services):
    # GIVEN a job with no Max-Processing-Time whose GPU task timed out (States.Timeout)
    job_id = _job(services)
    stage("mark_failed").run(
        services, {"job_id": job_id, "error": {"Error": "States.Timeout", "Cause": ""}}
    )
    # THEN the job says a stage ran past its time limit, not the client's deadline
    job = services.stores.jobs.get(job_id)
    assert job.error.code == "stage_timeout"
    assert "Max-Processing-Time" not in job.error.message
