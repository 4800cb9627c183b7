"""Local check of the inference image: ``docker run --entrypoint python IMAGE entry.py``.

Owns: a smoke test that the baked image can import the pipeline handler and find its models.
Does not own the Lambda entry point (``CMD handler.handler``, ``functions/pipeline``).
"""

from __future__ import annotations

import importlib
import sys


def main() -> int:
    """Import the handler and the stage functions; exit 0 when the image is usable."""
    importlib.import_module("handler")
    importlib.import_module("framelens.orchestration.steps")
    sys.stdout.write("inference image ok\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
