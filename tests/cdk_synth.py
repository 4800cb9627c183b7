"""Pytest plugin: synthesizes the CDK app once per test session (the ``synth`` fixture).

The app is built exactly as ``cdk synth`` builds it (``infra.app.build_app``, cdk.json context),
with bundling off, into a temporary folder, and the synthesis time is recorded. Registered in
``tests/conftest.py`` so ``tests/infra`` (template assertions) and ``tests/e2e`` (the templates
deployed on moto) share the one synthesis. Tests using it skip without the infra extra.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
# infra/ is a package at the repository root; never put infra/ itself on sys.path (its
# constructs/ folder would shadow the `constructs` library).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class Synth:
    """The synthesized app: templates by stack name and how long synthesis took."""

    templates: dict[str, dict[str, Any]]
    outdir: Path
    seconds: float

    def resources(self, stack: str, type_: str) -> dict[str, dict[str, Any]]:
        """Logical id → resource of one CloudFormation type in ``stack``."""
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stack]["Resources"].items()
            if resource["Type"] == type_
        }


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    pytest.importorskip("aws_cdk", reason="needs the infra extra: pip install -e '.[infra]'")
    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    started = time.perf_counter()
    assembly = build_app(outdir=str(outdir), bundle=False).synth()
    seconds = time.perf_counter() - started
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    (outdir / "synth_seconds.json").write_text(json.dumps({"seconds": seconds}))
    return Synth(templates=templates, outdir=outdir, seconds=seconds)
