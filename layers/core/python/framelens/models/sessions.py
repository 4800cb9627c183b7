"""onnxruntime sessions and file digests, created once per process.

Owns: the only ``onnxruntime`` import of Framelens (lazy, inside functions), provider choice and
thread sizing, and a per-process cache of sha256 digests and sessions. Does not own: where model
files are (``framelens.models.registry``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["available_providers", "cached_session", "file_sha256", "is_loaded", "preload_cuda"]

# Process-wide caches: a Lambda container or worker keeps its sessions between invocations.
_LOCK = threading.Lock()
_SESSIONS: dict[tuple[str, str], Any] = {}
_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """The hex sha256 of ``path``, computed once per (path, size, mtime) in this process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    digest = _DIGESTS.get(key)
    if digest is None:
        sha = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                sha.update(chunk)
        digest = sha.hexdigest()
        _DIGESTS[key] = digest
    return digest


def available_providers() -> list[str]:
    """Execution providers to use, best first: CUDA when this onnxruntime build has it, then CPU."""
    import onnxruntime as ort  # lazy: keep onnxruntime off cold paths

    available = set(ort.get_available_providers())
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


def _cpu_count() -> int:
    # sched_getaffinity respects container CPU limits (ECS, Lambda); cpu_count does not.
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def cached_session(path: Path, digest: str) -> Any:
    """The process's ``InferenceSession`` for a verified model file, created on first use.

    Args:
        path: the ONNX file.
        digest: its verified sha256 (part of the cache key, so a replaced file gets a new session).

    Returns:
        An ``onnxruntime.InferenceSession`` with CUDA first when available, intra-op threads sized
        to the CPUs this process may use and sequential execution (our graphs are single chains).
    """
    key = (str(path.resolve()), digest)
    with _LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = _cpu_count()
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = ort.InferenceSession(
                str(path), sess_options=options, providers=available_providers()
            )
            _SESSIONS[key] = session
    return session


def is_loaded(path: Path) -> bool:
    """Whether a session for ``path`` exists in this process (for ``/health``)."""
    resolved = str(path.resolve())
    return any(p == resolved for p, _ in _SESSIONS)


def preload_cuda() -> bool:
    """Load the CUDA and cuDNN libraries the GPU lock ships as wheels
    (``onnxruntime-gpu[cuda,cudnn]``) before a session is created; without it onnxruntime looks
    only in the system's library path and falls back to the CPU. Returns whether the CUDA
    provider is there to use them.
    """
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        return False
    preload = getattr(onnxruntime, "preload_dlls", None)  # onnxruntime >= 1.21 only
    if preload is not None:
        preload()
    return True
