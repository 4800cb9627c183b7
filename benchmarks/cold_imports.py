"""Cold import time of each thin Lambda handler, in a fresh interpreter (best of N).

Prints a table. Targets (issue 4): the authorizer <= 0.35 s. The handlers are imported with
``FRAMELENS_BACKEND=aws`` as in Lambda; nothing here talks to AWS.

Usage: ``.venv/bin/python benchmarks/cold_imports.py [runs]``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PROBE = """
import json, sys, time
sys.path.insert(0, {path!r})
started = time.perf_counter()
import handler
print(json.dumps({{"seconds": time.perf_counter() - started}}))
"""


def cold_import(name: str) -> float:
    """Seconds to import ``functions/<name>/handler.py`` in a new interpreter."""
    env = {**os.environ, "FRAMELENS_BACKEND": "aws", "AWS_DEFAULT_REGION": "us-east-1"}
    code = _PROBE.format(path=str(ROOT / "functions" / name))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])


def main(runs: int = 5) -> None:
    """Print best and median cold import of each handler."""
    print(f"| handler | best of {runs} (s) | median (s) |")
    print("|---|---|---|")
    for name in ("authorizer", "ingest", "api", "pipeline"):
        times = sorted(cold_import(name) for _ in range(runs))
        print(f"| {name} | {times[0]:.3f} | {times[len(times) // 2]:.3f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
