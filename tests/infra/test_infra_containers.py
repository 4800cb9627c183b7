"""Static checks of the container images (no Docker engine here) and of the GPU worker entry."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from infra.artifacts import ARTIFACTS, LAMBDA_PYTHON, read_lock

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


def _env(name: str) -> dict[str, str]:
    """ENV keys and values of a Dockerfile (``K=V`` pairs, continuation lines joined)."""
    out: dict[str, str] = {}
    for word, args in _instructions(DOCKERFILES[name]):
        if word == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                out[key] = value
    return out


def _runs(name: str) -> list[list[str]]:
    """Each RUN as shell words, split at ``&&``."""
    commands = []
    for word, args in _instructions(DOCKERFILES[name]):
        if word == "RUN":
            for part in args.split("&&"):
                commands.append(shlex.split(part.strip()))
    return commands


def _copies(name: str) -> dict[str, str]:
    """COPY destination → source (single-source COPYs)."""
    out = {}
    for word, args in _instructions(DOCKERFILES[name]):
        if word == "COPY" and not args.startswith("--from"):
            source, dest = args.split()
            out[dest] = source
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


def test_inference_image_is_the_lambda_base_of_the_locks_python():
    # Lambda's python:3.12+ base images are Amazon Linux 2023; 3.11 was Amazon Linux 2 (glibc
    # 2.26), where onnxruntime, numpy 2 and PyAV publish no wheels.
    (image,) = [a for w, a in _instructions(DOCKERFILES["inference"]) if w == "FROM"]
    assert image == f"public.ecr.aws/lambda/python:{LAMBDA_PYTHON}"


def test_gpu_worker_installs_the_locks_python():
    (image,) = [a for w, a in _instructions(DOCKERFILES["gpu-worker"]) if w == "FROM"]
    assert image == "ubuntu:24.04"  # glibc 2.39 >= the locks' manylinux_2_28
    apt = [c for c in _runs("gpu-worker") if c[:2] == ["apt-get", "install"]]
    assert any(f"python{LAMBDA_PYTHON}" in c and f"python{LAMBDA_PYTHON}-venv" in c for c in apt)


@pytest.mark.parametrize("name", DOCKERFILES)
def test_image_installs_its_lock_with_hashes_and_wheels_only(name):
    # GIVEN the COPY that brings the artifact's lock into the image
    lock = ARTIFACTS[name].lock.relative_to(ROOT).as_posix()
    (dest,) = [d for d, s in _copies(name).items() if s == lock]
    # WHEN finding the pip install that reads it
    installs = [c for c in _runs(name) if "pip" in c and "install" in c and dest in c]
    # THEN it installs exactly the lock: no resolution, wheels only, every hash checked
    assert len(installs) == 1, installs
    (command,) = installs
    assert command[command.index("-r") + 1] == dest
    for flag in ("--no-deps", "--only-binary=:all:", "--require-hashes"):
        assert flag in command, f"{name}: {flag} missing from {command}"
    # AND only the packages published as source alone may be built (as CDK and the tests do)
    from infra.artifacts import no_binary_flag

    assert [f for f in command if f.startswith("--no-binary")] == [no_binary_flag()]


@pytest.mark.parametrize("name", DOCKERFILES)
def test_no_pip_install_resolves_outside_the_lock(name):
    lock_installs = [c for c in _runs(name) if "pip" in c and "install" in c]
    assert all("--require-hashes" in c for c in lock_installs), lock_installs


def _model_pulls(name: str) -> list[list[str]]:
    return [c for c in _runs(name) if "models" in c and "pull" in c]


def _pull_names(command: list[str]) -> list[str]:
    words = command[command.index("pull") + 1 :]
    names, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("--"):
            skip = word in ("--into", "--source-dir", "--url")
        else:
            names.append(word)
    return names


@pytest.mark.parametrize("name", DOCKERFILES)
def test_models_are_baked_by_name_into_the_folder_the_image_reads(name):
    from framelens.models import BUILTIN_MANIFESTS

    (pull,) = _model_pulls(name)
    names = _pull_names(pull)
    assert names, "`framelens models pull` without a name exits 2"
    for model in names:
        assert model in BUILTIN_MANIFESTS, f"{model} is not in the registry"
        assert BUILTIN_MANIFESTS[model].shippable, f"{model}'s licence does not allow shipping"
    assert pull[pull.index("--into") + 1] == _env(name)["FRAMELENS_MODEL_DIR"]
    assert _copies(name)["/tmp/models/"] == "containers/models/"
    assert pull[pull.index("--source-dir") + 1] == "/tmp/models"


# The runtime each image serves (infra/constructs/pipeline.py: cpu items go to the inference
# Lambda, gpu items to the GPU worker's ECS task).
RUNTIME_IMAGES = {"cpu": "inference", "gpu": "gpu-worker"}


@pytest.mark.parametrize("runtime", RUNTIME_IMAGES)
def test_every_model_a_runtimes_modules_load_is_in_its_image(runtime):
    # GIVEN the models the modules that run on this runtime load (the analyzer registry's
    # runtime per media type, joined with each module's models)
    from framelens.analyzers.model_needs import baked_models, packaged_models, runtime_models
    from framelens.models import BUILTIN_MANIFESTS

    image = RUNTIME_IMAGES[runtime]
    needed = runtime_models(runtime)
    (pull,) = _model_pulls(image)
    baked = set(_pull_names(pull))
    # THEN the image bakes every plain model file, naming the modules that would fail without it
    missing = {m: sorted(needed[m]) for m in baked_models(runtime) if m not in baked}
    assert not missing, f"{image} lacks models its modules load: {missing}"
    # AND bakes nothing its runtime never loads (a bigger image, a longer GPU cold start)
    assert baked == set(baked_models(runtime))
    # AND a model shipped inside a package is installed by the image's lock
    pins = read_lock(ARTIFACTS[image].lock)
    for model, requirement in packaged_models(runtime).items():
        package, _, version = requirement.partition("==")
        assert pins.get(package) == version, f"{image}'s lock lacks {requirement} ({model})"
    # AND every one may be shipped (MobileFaceNet's licence is unknown: never baked)
    assert all(BUILTIN_MANIFESTS[m].shippable for m in needed)


def test_the_gpu_images_video_modules_include_faces_and_activity():
    # The join itself: video faces and activity run on the GPU worker, so their models do.
    from framelens.analyzers.model_needs import runtime_models
    from framelens.models.manifests import DEFAULT_FACE_DETECTOR

    needed = runtime_models("gpu")
    assert needed[DEFAULT_FACE_DETECTOR] == {"faces"}
    assert "activity" in set().union(*needed.values())
    assert "face_embedding_mobilefacenet_128d" not in needed


@pytest.mark.parametrize("name", DOCKERFILES)
def test_the_images_model_pull_runs_offline(name, tmp_path):
    # GIVEN the model folder `make image-models` fills (here: the shared models)
    from framelens.models import BUILTIN_MANIFESTS
    from tests.shared import MODELS

    (pull,) = _model_pulls(name)
    names = _pull_names(pull)
    files = sorted(BUILTIN_MANIFESTS[n].file for n in names)
    if not all((MODELS / f).is_file() for f in files):
        pytest.skip(f"needs {files} in {MODELS}")
    # WHEN the image's command runs with the build's folders replaced by temporary ones
    command = [sys.executable, "-m", "framelens.cli.main", "models", "pull", *names]
    command += ["--source-dir", str(MODELS), "--into", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k != "FRAMELENS_MODEL_DIR"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    # THEN every named model is installed, verified (no network was needed)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.glob("*.onnx")) == files


@pytest.mark.parametrize("name", DOCKERFILES)
def test_copy_sources_exist_in_the_build_context(name):
    # The build context is the repository root (infra/constructs/gpu.py IMAGE_CONTEXT_INCLUDES).
    for source in _copies(name).values():
        assert (ROOT / source).exists(), f"{name}: COPY {source} is missing"


@pytest.mark.parametrize("name", DOCKERFILES)
def test_copy_sources_are_in_the_asset(name):
    from infra.constructs.gpu import IMAGE_CONTEXT_INCLUDES

    for source in _copies(name).values():
        assert any(source.startswith(inc) for inc in IMAGE_CONTEXT_INCLUDES), source


def _defines(path: Path, function: str) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(n, ast.FunctionDef) and n.name == function for n in tree.body)


def test_inference_cmd_names_a_function_the_image_copies():
    # GIVEN CMD module.function, resolved against the files COPY puts in the task root
    (cmd,) = [a for w, a in _instructions(DOCKERFILES["inference"]) if w == "CMD"]
    module, _, function = json.loads(cmd)[0].rpartition(".")
    source = _copies("inference")[f"./{module}.py"]
    # THEN that file is the pipeline handler and defines the function
    assert source == "functions/pipeline/handler.py"
    assert _defines(ROOT / source, function)


def test_gpu_worker_entrypoint_runs_a_file_the_image_copies():
    (entry,) = [a for w, a in _instructions(DOCKERFILES["gpu-worker"]) if w == "ENTRYPOINT"]
    interpreter, script = json.loads(entry)
    assert interpreter == "python"
    source = _copies("gpu-worker")[script]
    assert source == "containers/gpu-worker/worker.py"
    assert _defines(ROOT / source, "main")


@pytest.mark.parametrize("name", DOCKERFILES)
def test_library_is_on_the_images_python_path(name):
    # The library is copied as a folder (not pip-installed): it must sit where Python looks.
    dest = [d for d, s in _copies(name).items() if s == "layers/core/python/framelens"]
    assert len(dest) == 1
    folder = dest[0].rsplit("/framelens", 1)[0]
    if name == "inference":
        assert folder == "${LAMBDA_TASK_ROOT}"  # first on the Lambda runtime's sys.path
    else:
        assert _env(name)["PYTHONPATH"] == folder


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
