"""Static checks of the container images (no Docker engine here) and of the GPU worker entry."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = {
    "inference": ROOT / "containers" / "inference" / "Dockerfile",
    "gpu-worker": ROOT / "containers" / "gpu-worker" / "Dockerfile",
}


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


@pytest.mark.parametrize("name", DOCKERFILES)
def test_base_image_is_pinned(name):
    # GIVEN a Dockerfile WHEN reading its FROM lines THEN each names an explicit, non-latest tag
    images = [args.split()[0] for word, args in _instructions(DOCKERFILES[name]) if word == "FROM"]
    assert images
    for image in images:
        reference = image.split("/")[-1]
        assert ":" in reference or "@sha256:" in image, image
        assert not reference.endswith(":latest"), image


def test_gpu_worker_runs_as_a_non_root_user():
    users = [args for word, args in _instructions(DOCKERFILES["gpu-worker"]) if word == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_gpu_worker_base_is_cuda_with_cudnn():
    (image,) = [a for w, a in _instructions(DOCKERFILES["gpu-worker"]) if w == "FROM"]
    assert re.match(r"nvidia/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu22\.04$", image)


def test_inference_image_is_the_lambda_python_base():
    (image,) = [a for w, a in _instructions(DOCKERFILES["inference"]) if w == "FROM"]
    assert image.startswith("public.ecr.aws/lambda/python:3.11")


@pytest.mark.parametrize("name", DOCKERFILES)
def test_copy_sources_exist_in_the_build_context(name):
    # The build context is the repository root (infra/constructs/gpu.py IMAGE_CONTEXT_INCLUDES).
    for word, args in _instructions(DOCKERFILES[name]):
        if word == "COPY" and not args.startswith("--from"):
            *sources, _ = args.split()
            for source in sources:
                assert (ROOT / source).exists(), f"{name}: COPY {source} is missing"


@pytest.mark.parametrize("name", DOCKERFILES)
def test_copy_sources_are_in_the_asset(name):
    from infra.constructs.gpu import IMAGE_CONTEXT_INCLUDES

    for word, args in _instructions(DOCKERFILES[name]):
        if word == "COPY" and not args.startswith("--from"):
            *sources, _ = args.split()
            for source in sources:
                assert any(source.startswith(inc) for inc in IMAGE_CONTEXT_INCLUDES), source


@pytest.mark.parametrize("name", DOCKERFILES)
def test_models_are_baked_at_build_time(name):
    runs = [a for w, a in _instructions(DOCKERFILES[name]) if w == "RUN"]
    assert any("framelens models pull" in run for run in runs)


def test_inference_cmd_is_the_pipeline_handler():
    (cmd,) = [a for w, a in _instructions(DOCKERFILES["inference"]) if w == "CMD"]
    assert json.loads(cmd) == ["handler.handler"]
    assert (ROOT / "functions" / "pipeline" / "handler.py").is_file()


def test_gpu_worker_entrypoint_exists():
    (entry,) = [a for w, a in _instructions(DOCKERFILES["gpu-worker"]) if w == "ENTRYPOINT"]
    assert json.loads(entry) == ["python", "/app/worker.py"]
    assert (ROOT / "containers" / "gpu-worker" / "worker.py").is_file()


def _load_worker():
    pytest.importorskip("framelens.runtime")
    spec = importlib.util.spec_from_file_location(
        "gpu_worker_entry", ROOT / "containers" / "gpu-worker" / "worker.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def test_gpu_worker_entry_imports_in_process():
    worker = _load_worker()
    assert callable(worker.main)


@pytest.mark.parametrize(
    "environ",
    [{}, {"FRAMELENS_TASK_INPUT": "not json"}, {"FRAMELENS_TASK_INPUT": '{"job_id": "j"}'}],
    ids=["missing", "not-json", "no-result-key"],
)
def test_gpu_worker_refuses_bad_task_input(environ):
    # The worker reads its item with the pipeline contract's parser and exits 1 on a bad one
    from framelens.orchestration.contract import gpu_task_item

    worker = _load_worker()
    with pytest.raises(ValueError):
        gpu_task_item(environ.get(worker.TASK_INPUT_ENV))
    assert worker.main(environ, services=object()) == 1


def test_gpu_worker_reads_the_state_machine_override():
    # GIVEN the env the state machine's container override sets (States.JsonToString($))
    from framelens.orchestration.contract import gpu_task_item
    from infra.constructs.pipeline import TASK_INPUT_ENV

    worker = _load_worker()
    item = {
        "job_id": "job_1",
        "source_index": 0,
        "segment": [0.0, None],
        "modules": ["objects"],
        "runtime": "gpu",
        "result_key": "work/job_1/gpu/x.json",
    }
    # WHEN the worker reads it THEN it gets the work item back
    assert worker.TASK_INPUT_ENV == TASK_INPUT_ENV
    parsed = gpu_task_item(json.dumps(item)).model_dump(mode="json")
    assert parsed == item
