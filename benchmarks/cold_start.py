"""Cold start of the API handler and the authorizer, before and after, side by side.

Each sample is a fresh CPython of Lambda's version (``python3.12 -I -S``: no site-packages, no
user paths) whose ``sys.path`` is only what Lambda gives the function: its folder, the deps
layer built from its lock (``tests/artifacts/build.py``, cached) and the library (the core
layer), as the artifact tests run it. The environment is the one the CDK app gives the function
(``AWS_LAMBDA_FUNCTION_NAME`` set, so powertools behaves as in Lambda); nothing talks to AWS.

"before" is the handlers and library of a base commit (default: where the branch left
``main``), extracted with ``git archive``; "after" is the working tree. Samples are interleaved
(before, after, before...) so load on the machine hits both alike. Two figures per handler: the
module import (Lambda's init phase) and import plus the first build of what the first request
needs (the app and the native route family for the API, the authenticator for the authorizer), which
is the cold start a client waits for.

Targets (issue 17): API import <= 0.5 s median, authorizer <= 0.2 s.

Usage: ``.venv/bin/python benchmarks/cold_start.py [samples] [base-ref]``
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.artifacts.build import install_lock, lambda_python  # noqa: E402

TARGETS = {"api": 0.5, "authorizer": 0.2}
# What the first request needs built, per handler (both are @cache'd in the handler).
# For the API that includes importing the native route family (``/v1``), which a first request
# to it loads where route families load on first use (``api.families``; before: in the build).
_API_FIRST_USE = """
app = handler._adapter().app
try:
    from framelens.api.families import load
except ImportError:  # every router was imported with the app
    pass
else:
    load(app, {"v1"})
"""
FIRST_USE = {"api": _API_FIRST_USE, "authorizer": "handler._keys()"}
_PROBE = """
import json, sys, time
sys.path[:0] = {paths!r}
started = time.perf_counter()
import handler
imported = time.perf_counter()
{first_use}
done = time.perf_counter()
print(json.dumps({{"import": imported - started, "first": done - started,
                   "xray": "aws_xray_sdk" in sys.modules}}))
"""


def _environment(name: str, after: bool) -> dict[str, str]:
    """What the function's environment holds in AWS (CDK's powertools_env and table names)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_FUNCTION_NAME": f"framelens-{name}",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_SERVICE_NAME": f"framelens-{name}",
        "POWERTOOLS_METRICS_NAMESPACE": "Framelens",
        "FRAMELENS_BACKEND": "aws",
    }
    if after:  # the CDK app now sets them (infra/constructs/common.powertools_env)
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
        env["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    return env


def _checkout(ref: str, into: Path) -> Path:
    """``functions/`` and ``layers/core/python`` of ``ref``, under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "functions", "layers/core/python"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def sample(python: Path, tree: Path, layer: Path, name: str, after: bool) -> dict[str, float]:
    """One cold start of ``functions/<name>`` from ``tree`` in a fresh interpreter."""
    paths = [str(tree / "functions" / name), str(layer), str(tree / "layers/core/python")]
    code = _PROBE.format(paths=paths, first_use=FIRST_USE[name])
    out = subprocess.run(
        [str(python), "-I", "-S", "-c", code],
        capture_output=True,
        text=True,
        env=_environment(name, after),
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _merge_base() -> str:
    """Where this branch left ``main``: "before" is what the branch started from."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True, text=True
    )
    return out.stdout.strip() or "main"


def main(samples: int = 7, base: str | None = None) -> None:
    """Print median cold starts before and after, with the targets."""
    base = base or _merge_base()
    python = lambda_python()
    if python is None:
        raise SystemExit("needs a CPython 3.12 (set FRAMELENS_LAMBDA_PYTHON)")
    layer = install_lock("layer")
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        trees = {False: _checkout(base, Path(tmp)), True: ROOT}
        runs: dict[tuple[str, bool], list[dict[str, float]]] = {}
        for _ in range(samples):
            for name in TARGETS:
                for after in (False, True):
                    one = sample(python, trees[after], layer, name, after)
                    runs.setdefault((name, after), []).append(one)
    print(f"cold start, median of {samples} fresh CPython {python.name} processes each")
    print(f"| handler | figure | before ({base[:10]}) | after | after/before | target | met |")
    print("|---|---|---|---|---|---|---|")
    for name, target in TARGETS.items():
        for figure, label in (("import", "import"), ("first", "import + first use")):
            before = statistics.median(r[figure] for r in runs[(name, False)])
            now = statistics.median(r[figure] for r in runs[(name, True)])
            met = ("yes" if now <= target else "no") if figure == "import" else ""
            shown = f"{target:.2f} s" if figure == "import" else ""
            print(
                f"| {name} | {label} | {before:.3f} s | {now:.3f} s | {now / before:.2f} "
                f"| {shown} | {met} |"
            )
    for (name, after), values in runs.items():
        loaded = any(r["xray"] for r in values)
        print(f"{name} {'after' if after else 'before'}: X-Ray SDK imported: {loaded}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 7,
        sys.argv[2] if len(sys.argv) > 2 else None,
    )
