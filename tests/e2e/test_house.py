"""The house rules of issue 8 seen from outside: blob layout and expiry, settings that take
effect, health that tells what is missing, links that are absolute when configured."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from framelens.schemas.parts_video import BestFramesPart, ScenesPart, SectionsPart
from framelens.schemas.results_video import (
    BestFramesResult,
    ScenesResult,
    SectionsResult,
)
from framelens.stores import layout
from tests.media import solid_cuts_clip

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.e2e.conftest import Env


def test_default_plan_limits_come_from_the_environment(make_env: Callable[..., Env]) -> None:
    # GIVEN a server whose default plan allows 3 GET per minute
    env = make_env(rate_limit_get_per_minute=3)
    api = env.api(env.key("plain", plan=None))  # a tenant on the default plan
    # WHEN it reads 4 times THEN the 4th is the seed's 429
    codes = [api.get("/v1/jobs").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_results_links_are_absolute_with_a_public_base_url(
    make_env: Callable[..., Env], tmp_path: Path
) -> None:
    env = make_env(public_base_url="https://api.example.com/")
    api = env.api()
    clip = solid_cuts_clip(tmp_path / "c.mp4")
    file = api.upload(clip.path)
    job = api.create_job([file["url"]], {"probe": {}}).json()
    assert job["result"]["detailed_link"] == f"https://api.example.com/v1/jobs/{job['id']}/results"


def test_health_is_degraded_and_says_why_without_models(
    make_env: Callable[..., Env], tmp_path: Path
) -> None:
    # GIVEN a server pointed at a model directory that does not exist
    env = make_env(model_dir=tmp_path / "nowhere", model_cache_dir=tmp_path / "empty-cache")
    body = env.client.get("/health").json()
    # THEN health is degraded and the reason names the setting to fix
    assert body["status"] == "degraded"
    assert any("FRAMELENS_MODEL_DIR" in r for r in body["reasons"]), body


def _job_on_a_served_clip(env: Env, served: Path, modules: dict[str, Any]) -> dict[str, Any]:
    """Run ``modules`` on a clip fetched over http from ``served`` (a local test server)."""
    clip = solid_cuts_clip(served / "c.mp4")
    handler = partial(SimpleHTTPRequestHandler, directory=str(clip.path.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = env.api()
        url = f"http://127.0.0.1:{server.server_port}/c.mp4"
        job = api.create_job([url], modules).json()
        return api.wait(job["id"])
    finally:
        server.shutdown()


def test_fetched_sources_are_deleted_when_the_job_ends(
    make_env: Callable[..., Env], tmp_path: Path
) -> None:
    # GIVEN a clip served over http (the private network is allowed for this test only)
    (tmp_path / "served").mkdir()
    env = make_env(allow_private_network=True)
    # WHEN a job analyzes it
    done = _job_on_a_served_clip(env, tmp_path / "served", {"scenes": {}})
    # THEN it finished, and its fetched copy is gone (only the results remain)
    assert done["state"] == "finished", done
    tenant = env.services.stores.jobs.get(done["id"]).tenant_id
    assert not env.services.stores.blobs.exists(layout.fetched_key(tenant, done["id"], 0))
    assert env.services.stores.blobs.exists(layout.result_key(done["id"], "scenes"))


@pytest.mark.expected_errors  # the engine logs the analyzer that failed
def test_fetched_sources_are_deleted_when_the_job_fails(
    make_env: Callable[..., Env], tmp_path: Path
) -> None:
    # GIVEN a server without the detector's model file
    (tmp_path / "served").mkdir()
    env = make_env(
        allow_private_network=True,
        model_dir=tmp_path / "nowhere",
        model_cache_dir=tmp_path / "empty-cache",
    )
    # WHEN a job fetches a clip and then fails in analysis
    done = _job_on_a_served_clip(env, tmp_path / "served", {"objects": {}})
    # THEN it failed saying why, and its fetched copy is gone all the same
    assert done["state"] == "failed", done
    assert done["error"]["code"] == "analyzer_failed"
    assert "yolox_nano_coco80" in done["error"]["message"], done["error"]  # which model is missing
    assert "FRAMELENS_MODEL_DIR" in done["error"]["message"]  # and what to set
    tenant = env.services.stores.jobs.get(done["id"]).tenant_id
    assert not env.services.stores.blobs.exists(layout.fetched_key(tenant, done["id"], 0))


def test_stored_documents_carry_no_merge_state(
    make_env: Callable[..., Env], tmp_path: Path
) -> None:
    # GIVEN a 4-shot clip analyzed by the modules whose parts carry merge state
    env = make_env()
    api = env.api()
    file = api.upload(solid_cuts_clip(tmp_path / "c.mp4").path)
    modules = {"scenes": {}, "best_frames": {"k": 2}, "sections": {}}
    done = api.wait(api.create_job([file["url"]], modules).json()["id"])
    assert done["state"] == "finished", done
    # THEN each written document holds the public result, and no field only a part has
    parts = {"scenes": ScenesPart, "best_frames": BestFramesPart, "sections": SectionsPart}
    publics = {"scenes": ScenesResult, "best_frames": BestFramesResult, "sections": SectionsResult}
    for module, part in parts.items():
        doc = json.loads(env.services.stores.blobs.get(layout.result_key(done["id"], module)))
        (source,) = doc["sources"]
        result = source["result"]
        part_only = set(part.model_fields) - set(publics[module].model_fields)
        assert part_only, module  # the part models do carry merge state
        assert set(result) <= set(publics[module].model_fields), module
        assert not part_only & set(result), module
        assert "scenes" not in result or module == "scenes"  # sections embed no ScenesResult


def test_expired_blobs_are_swept_on_the_embedded_backend(make_env: Callable[..., Env]) -> None:
    # GIVEN an old pipeline part, an old stored file and a fresh part
    env = make_env()
    blobs = env.services.stores.blobs
    for key in ("work/old-job/probe.json", "media/acme/f_old", "work/new-job/probe.json"):
        blobs.put(key, b"{}", "application/json")
    old = time.time() - timedelta(days=8).total_seconds()
    root = env.services.settings.data_dir / "blobs"
    for key in ("work/old-job/probe.json", "media/acme/f_old"):
        os.utime(root / key, (old, old))
    # WHEN the runner applies the layout's expiries
    assert env.services.runner is not None
    removed = env.services.runner.expire_blobs()
    # THEN only the expired part went; stored media is kept whatever its age
    assert removed == 1
    assert not blobs.exists("work/old-job/probe.json")
    assert blobs.exists("media/acme/f_old") and blobs.exists("work/new-job/probe.json")
