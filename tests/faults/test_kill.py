"""kill -9 of the real server while a job runs: after a restart on the same data dir the job ends
finished, with each result item once, and nothing is left queued or running."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.faults.server import TERMINAL, Client, LiveServer, create_key
from tests.shared import media

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.faults, pytest.mark.slow]
CLIP = media("car_traffic_bridge_640x360.mp4")  # objects on it runs for seconds


def _all_items(client: Client, job_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/jobs/{job_id}/results", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def test_a_job_killed_mid_run_finishes_after_restart_once(tmp_path: Path) -> None:
    # GIVEN a server running an object-detection job on a 30 s clip
    data = tmp_path / "data"
    key = create_key(data)
    first = LiveServer(data, tmp_path / "first.log")
    first.start()
    try:
        with Client(first, key) as client:
            file = client.upload(CLIP)
            job_id = client.create_job(file["url"], {"objects": {}})
            running = client.wait_state(job_id, ("running", *TERMINAL), timeout_s=60)
            assert running["state"] == "running", running
            # WHEN the server is killed with SIGKILL in the middle of it
            first.kill9()
    finally:
        first.stop()
    # THEN a server started on the same data dir runs the job to its end
    second = LiveServer(data, tmp_path / "second.log")
    second.start()
    try:
        with Client(second, key) as client:
            job = client.wait_state(job_id, TERMINAL, timeout_s=120)
            assert job["state"] == "finished", job
            # one job, not a duplicate; nothing left queued or running
            listed = client.get("/v1/jobs").json()["data"]
            assert [j["id"] for j in listed] == [job_id]
            assert all(j["state"] in TERMINAL for j in listed)
            # each sampled frame's detections appear once (a re-run replaces, never appends)
            items = _all_items(client, job_id)
            frames = [(i["module"], i["source"], i["frame"]) for i in items]
            assert frames, "the finished job has no result items"
            assert len(frames) == len(set(frames)), "duplicated result items after the restart"
            # and the server takes new work at once
            again = client.create_job(file["url"], {"probe": {}})
            assert client.wait_state(again, TERMINAL, timeout_s=60)["state"] == "finished"
    finally:
        second.stop()
