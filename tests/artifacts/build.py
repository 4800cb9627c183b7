"""Building the artifacts the way deployment builds them, cached between test runs.

Owns: finding a CPython of Lambda's version (``LAMBDA_PYTHON``) on this machine, installing a
lock for Lambda's platform with ``infra.artifacts.install_command`` (the command CDK's layer
bundling runs) into ``.cache/artifacts/<artifact>-<key>/python`` (the key hashes the lock and
the pip flags, so a new lock rebuilds and an unchanged one is reused: a fresh clone builds once),
and laying out the library as the core layer does (``layers/core/python/framelens``, CDK's
asset excludes). Does not own running anything (``tests/artifacts/runtime.py``).

What the Lambda runtime adds is emulated by *nothing*: the layer ships boto3 and botocore
itself (the runtime's pair is shadowed in AWS), so the artifact runs with no site-packages at all,
which is stricter than Lambda.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

from infra.artifacts import ARTIFACTS, LAMBDA_PYTHON, REPO_ROOT, install_command

CACHE = REPO_ROOT / ".cache" / "artifacts"
LIBRARY = REPO_ROOT / "layers" / "core" / "python" / "framelens"
FUNCTIONS = REPO_ROOT / "functions"
# Lambda: a function's code and all its layers, unzipped, at most 250 MB (262,144,000 bytes).
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


@cache
def lambda_python() -> Path | None:
    """A CPython ``LAMBDA_PYTHON`` interpreter (``FRAMELENS_LAMBDA_PYTHON``, PATH, pyenv)."""
    candidates = [os.environ.get("FRAMELENS_LAMBDA_PYTHON", "")]
    candidates.append(shutil.which(f"python{LAMBDA_PYTHON}") or "")
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(p) for p in sorted(pyenv.glob(f"{LAMBDA_PYTHON}.*/bin/python3"))]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == LAMBDA_PYTHON:
            return Path(candidate)
    return None


def _key(lock: Path) -> str:
    digest = hashlib.sha256(lock.read_bytes())
    digest.update(" ".join(install_command(lock, Path("T"), "P")).encode())
    return digest.hexdigest()[:16]


def install_lock(name: str, lock: Path | None = None) -> Path:
    """The ``python/`` folder of artifact ``name``'s packages, built once per lock content.

    Args:
        name: An artifact of ``infra.artifacts.ARTIFACTS``.
        lock: Another lock to build instead (a test that removes a package from a copy).

    Raises:
        subprocess.CalledProcessError: pip refused the lock (a missing wheel or a bad hash).
    """
    lock = lock or ARTIFACTS[name].lock
    folder = CACHE / f"{name}-{_key(lock)}"
    if not (folder / "python").is_dir():
        staging = CACHE / f".{folder.name}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        subprocess.run(install_command(lock, staging / "python", sys.executable), check=True)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)  # atomic: a half-built folder is never reused
    return folder / "python"


def library_layer(into: Path) -> Path:
    """The core layer's ``python/`` folder (the library, without caches) under ``into``."""
    target = into / "python"
    shutil.copytree(
        LIBRARY,
        target / "framelens",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    return target


def tree_bytes(folder: Path) -> int:
    """Bytes of every file under ``folder`` (what Lambda counts as unzipped size)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
