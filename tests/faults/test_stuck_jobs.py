"""Jobs no worker holds are found by the runner's sweep and re-queued, without a restart; a job
orphaned too often ends ``failed`` with the reason. The orphan here is a job another process
left ``running`` on the same data dir while this server runs (as a worker that died would)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from framelens.config import Settings
from framelens.jobs.files import FileService
from framelens.orchestration.runner import MAX_RECOVERIES
from framelens.runtime import build_services
from framelens.schemas import JobCreate, JobState

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from framelens.runtime import Services
    from framelens.schemas import JobRecord
    from tests.media import Generated

pytestmark = pytest.mark.faults


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Services]:
    """A running local runner that sweeps often and calls a job stuck after half a second."""
    settings = Settings(
        data_dir=tmp_path / "data", workers=1, sweep_interval_s=0.1, stuck_job_after_s=0.5
    )
    services = build_services(settings)
    yield services
    services.close()


def _orphan(data_dir: Path, clip: Path, recoveries: int) -> str:
    """A job another process created and marked running, then abandoned."""
    other = build_services(Settings(data_dir=data_dir), start_runner=False)
    try:
        secret, _ = other.keys.create("acme", "pro")
        principal = other.keys.authenticate(secret)
        record = FileService(other.stores, other.settings).ingest("acme", clip)
        job, _ = other.jobs.create(
            principal, JobCreate(sources=[record.url], modules={"probe": {}})
        )
        stored = other.stores.jobs.get(job.id)
        stored.state = JobState.running
        stored.extra["recoveries"] = recoveries
        other.stores.jobs.update(stored)
        return job.id
    finally:
        other.close()


def _wait_terminal(services: Services, job_id: str, timeout_s: float = 20) -> JobRecord:
    deadline = time.monotonic() + timeout_s
    while (job := services.stores.jobs.get(job_id)).state not in (
        JobState.finished,
        JobState.failed,
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def test_an_orphaned_running_job_is_requeued_and_finishes_without_a_restart(
    server: Services, cuts_clip: Generated
) -> None:
    job_id = _orphan(server.settings.data_dir, cuts_clip.path, recoveries=0)
    job = _wait_terminal(server, job_id)
    assert job.state == JobState.finished
    assert job.extra["recoveries"] == 1
    assert "worker stopped" in job.extra["last_interruption"]
    # its concurrency slot was returned when it finished
    assert server.quotas.usage("acme")["jobs_active"] == 0


def test_a_job_orphaned_too_often_fails_with_the_reason(
    server: Services, cuts_clip: Generated
) -> None:
    job_id = _orphan(server.settings.data_dir, cuts_clip.path, recoveries=MAX_RECOVERIES)
    job = _wait_terminal(server, job_id)
    assert job.state == JobState.failed
    assert job.error is not None
    assert f"stopped {MAX_RECOVERIES + 1} times" in job.error.message
    assert "create the job again" in job.error.message
    assert server.quotas.usage("acme")["jobs_active"] == 0


def test_health_documents_its_503(server: Services) -> None:
    from fastapi.testclient import TestClient

    from framelens.api import create_app

    with TestClient(create_app(server)) as client:
        doc = client.get("/openapi.json").json()
        health = client.get("/health")
    seed_health = ("/detection/health", "/tracking/health", "/best_frame_selection/health")
    for path in ("/health", *seed_health, "/ocr/health", "/human_activity/health"):
        assert "503" in doc["paths"][path]["get"]["responses"], path
    assert health.status_code == 200
    assert health.json()["stores"]["metadata_write"] == "ok"
    assert health.json()["stores"]["blob_write"] == "ok"
