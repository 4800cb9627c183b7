"""The pipeline's image functions and the GPU worker, run with the images' locked packages.

The inference lock is installed for CPython 3.12 on manylinux_2_28 (cached like the layer) and
the pipeline handler runs with it, as the image's ``CMD handler.handler`` does; the GPU worker's
``worker.py`` runs with the same packages (its lock is the inference lock with onnxruntime-gpu
of the same version, checked in test_locks), so the CUDA build itself is not exercised here.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import TYPE_CHECKING

import pytest

from framelens.jobs.files import FileService
from framelens.schemas import JobCreate
from tests.artifacts.build import REPO_ROOT, install_lock
from tests.e2e.cloud import TENANT
from tests.shared import MODELS, media

if TYPE_CHECKING:
    from tests.artifacts.conftest import ArtifactCloud

pytestmark = pytest.mark.slow
VIDEO = media("car_traffic_bridge_640x360.mp4")


@pytest.fixture(scope="module")
def planned(cloud_artifacts: ArtifactCloud) -> dict:
    """A job on the real clip, probed and planned by the control function's artifact."""
    services = cloud_artifacts.env.services()
    secret, _ = services.keys.create(TENANT)
    principal = services.keys.authenticate(secret)
    record = FileService(services.stores, services.settings).ingest(TENANT, VIDEO, name="c.mp4")
    job, _ = services.jobs.create(
        principal,
        JobCreate(sources=[f"storage://{record.file_id}"], modules={"objects": {"fps": 1}}),
        dispatch=False,
    )
    probed = cloud_artifacts.invoke(
        "PipelineControl", {"stage": "probe", "payload": {"job_id": job.id}}
    ).ok()
    plan = cloud_artifacts.invoke("PipelineControl", {"stage": "plan", "payload": probed}).ok()
    # the plan stage stores the items (the Distributed Map reads them from the bucket)
    items = json.loads(cloud_artifacts.env.services().stores.blobs.get(plan["items_key"]))
    return {**plan, "items": items}


def test_control_function_probes_and_plans_with_the_image_packages(planned):
    assert planned["count"] == len(planned["items"]) >= 1, planned


def test_inference_function_analyzes_a_work_item(cloud_artifacts, planned):
    item = planned["items"][0]
    answer = cloud_artifacts.invoke("PipelineInference", {"stage": "analyze", "payload": item})
    key = answer.ok()["key"]
    part = json.loads(cloud_artifacts.env.services().stores.blobs.get(key))
    assert "objects" in json.dumps(part)
    assert answer.tmp_peak_bytes <= cloud_artifacts.function("PipelineInference").ephemeral_bytes


def test_gpu_worker_entry_point_runs_a_work_item(cloud_artifacts, planned, python312):
    # GIVEN the state machine's container override: the work item with its result key
    item = {**planned["items"][0], "result_key": f"work/{planned['job_id']}/gpu/x.json"}
    worker = REPO_ROOT / "containers" / "gpu-worker"
    library = cloud_artifacts.paths["ApiFunction"][-1]
    env = {
        **cloud_artifacts.env.task_environment,
        "FRAMELENS_TASK_INPUT": json.dumps(item),
        "AWS_ENDPOINT_URL": cloud_artifacts.endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "FRAMELENS_MODEL_DIR": str(MODELS),
        "PATH": os.environ["PATH"],
    }
    code = (
        "import sys, runpy; sys.path[:0] = sys.argv[1:]; "
        "sys.argv = ['worker.py']; runpy.run_path(sys.path[0] + '/worker.py', run_name='__main__')"
    )
    paths = [str(worker), str(install_lock("inference")), str(library)]
    # WHEN the image's ENTRYPOINT runs (python /app/worker.py) with the locked packages
    done = subprocess.run(
        [str(python312), "-I", "-S", "-c", code, *paths],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # THEN it exits 0 and the part is where the state machine will read it
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert cloud_artifacts.env.services().stores.blobs.exists(item["result_key"])
