"""Run one benchmark case in a fresh child process and read the JSON line it prints last.

Why a child: each case's peak RSS, imports and caches must be its own (``ru_maxrss`` only
grows). Shared by the benchmark scripts that run as ``python benchmarks/<name>.py``, which puts
this folder on ``sys.path``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["run_child"]


def run_child(
    script: str,
    case: str,
    clip: Path,
    *,
    label: str | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """``python <script> --case <case> --clip <clip>``; its last stdout line as JSON, or
    ``None`` (after printing the end of its stderr) when it failed."""
    proc = subprocess.run(
        [sys.executable, script, "--case", case, "--clip", str(clip)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if proc.returncode != 0:
        print(f"  {label or case} on {clip.name} failed: {proc.stderr.strip().splitlines()[-3:]}")
        return None
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out
