"""Each artifact's lock agrees with pyproject.toml, carries hashes, and fits its platform.

What "in sync" means: every requirement the artifact's input stands for (``infra/artifacts.py``
expands ``requirements.in`` against pyproject) is pinned, at a version inside pyproject's range,
and the lock records the hash of the input it was made from, so a dependency added to pyproject
or to an input fails here by name until ``make locks`` runs. That the layer's lock installs for
Lambda's platform is proven by ``tests/artifacts/build.py`` (``install_lock``), which builds the
layer with it for ``tests/artifacts/test_zip_functions.py``.
"""

from __future__ import annotations

import re

import pytest
from packaging.utils import canonicalize_name

from infra.artifacts import (
    ARTIFACTS,
    expand_input,
    input_hash,
    read_lock,
    recorded_input_hash,
)

NAMES = list(ARTIFACTS)


@pytest.mark.parametrize("name", NAMES)
def test_every_input_requirement_is_pinned_inside_pyprojects_range(name):
    # GIVEN the artifact's input expanded against pyproject, and its lock
    artifact = ARTIFACTS[name]
    pins = read_lock(artifact.lock)
    # WHEN each requirement is looked up in the lock
    missing = [str(r) for r in expand_input(artifact) if canonicalize_name(r.name) not in pins]
    outside = [
        f"{r} (locked {pins[canonicalize_name(r.name)]})"
        for r in expand_input(artifact)
        if canonicalize_name(r.name) in pins
        and not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]
    # THEN none is missing and every pin is inside the range
    assert not missing, f"{name} lock lacks {missing}: run `make locks`"
    assert not outside, f"{name} lock pins outside pyproject's range: {outside}: `make locks`"


@pytest.mark.parametrize("name", NAMES)
def test_lock_was_made_from_the_current_input(name):
    artifact = ARTIFACTS[name]
    assert recorded_input_hash(artifact.lock) == input_hash(artifact), (
        f"{artifact.lock} is stale: pyproject.toml, {artifact.input.name} or an override "
        "changed since it was made; run `make locks`"
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_pin_carries_a_hash(name):
    # pip --require-hashes refuses a lock where one package lacks a hash: check each entry.
    text = ARTIFACTS[name].lock.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 5)[-1])
    unhashed = [e.split()[0] for e in entries if "==" in e and "--hash=sha256:" not in e]
    assert not unhashed


@pytest.mark.parametrize("name", NAMES)
def test_boto3_and_botocore_ship_together_or_not_at_all(name):
    # A lone botocore would shadow the runtime's and break the runtime's own boto3.
    pins = read_lock(ARTIFACTS[name].lock)
    assert ("boto3" in pins) == ("botocore" in pins)


@pytest.mark.parametrize("name", NAMES)
def test_no_artifact_installs_the_gui_opencv(name):
    # opencv-python's cv2 would clash with opencv-python-headless's (same module).
    assert "opencv-python" not in read_lock(ARTIFACTS[name].lock)


@pytest.mark.parametrize("package", ["av", "boto3", "pydantic", "fastapi", "mangum"])
def test_layer_carries_what_the_zip_functions_import(package):
    assert package in read_lock(ARTIFACTS["layer"].lock)


@pytest.mark.parametrize("package", ["opencv-python-headless", "numpy", "onnxruntime"])
def test_layer_leaves_analysis_packages_to_the_images(package):
    # Lambda's 250 MB unzipped limit: OpenCV and numpy alone would take 215 MB.
    assert package not in read_lock(ARTIFACTS["layer"].lock)


@pytest.mark.parametrize("name", ["inference", "gpu-worker"])
@pytest.mark.parametrize("package", ["av", "numpy", "opencv-python-headless", "trackers"])
def test_images_carry_media_and_tracking(name, package):
    assert package in read_lock(ARTIFACTS[name].lock)


def test_gpu_lock_is_the_inference_lock_with_onnxruntime_gpu_of_the_same_version():
    # The inference image's packages stand in for the GPU image's in tests: only this differs.
    cpu = read_lock(ARTIFACTS["inference"].lock)
    gpu = read_lock(ARTIFACTS["gpu-worker"].lock)
    assert gpu["onnxruntime-gpu"] == cpu["onnxruntime"]
    assert "onnxruntime" not in gpu
    cuda = {k for k in gpu if k.startswith("nvidia-")}
    assert cuda, "the CUDA and cuDNN runtime wheels are locked"
    common = set(cpu) - {"onnxruntime"}
    assert {k: gpu[k] for k in common if k in gpu} == {k: cpu[k] for k in common}
    assert set(gpu) - cuda - {"onnxruntime-gpu"} == common


def test_makefile_installs_the_locked_no_deps_packages():
    from infra.artifacts import REPO_ROOT

    # GIVEN the packages the Makefile installs with --no-deps (they declare opencv-python)
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    (line,) = re.findall(r"^NODEPS := (.+)$", makefile, flags=re.MULTILINE)
    pins = dict(p.split("==") for p in line.split())
    # THEN the images lock exactly the versions the development environment tests
    assert {"trackers", "rapidocr-onnxruntime"} <= set(pins)
    for name in ("inference", "gpu-worker"):
        lock = read_lock(ARTIFACTS[name].lock)
        assert {n: lock[n] for n in pins} == pins, name
