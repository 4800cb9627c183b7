"""Synthesizes the CDK app once per test session and hands out its templates.

The app is built exactly as ``cdk synth`` builds it (``infra.app.build_app``, cdk.json context),
with bundling off, into a temporary folder, and the synthesis time is recorded.
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

ROOT = Path(__file__).resolve().parents[2]
# infra/ is a package at the repository root; never put infra/ itself on sys.path (its
# constructs/ folder would shadow the `constructs` library).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

pytest.importorskip("aws_cdk", reason="needs the infra extra: pip install -e '.[infra]'")


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
    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    started = time.perf_counter()
    assembly = build_app(outdir=str(outdir), bundle=False).synth()
    seconds = time.perf_counter() - started
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    (outdir / "synth_seconds.json").write_text(json.dumps({"seconds": seconds}))
    return Synth(templates=templates, outdir=outdir, seconds=seconds)


@pytest.fixture(scope="session")
def storage_template(synth: Synth):
    from aws_cdk.assertions import Template

    return Template.from_json(synth.templates["FramelensStorage"])


@pytest.fixture(scope="session")
def service_template(synth: Synth):
    from aws_cdk.assertions import Template

    return Template.from_json(synth.templates["FramelensService"])


def _flatten(value: Any) -> str:
    """An ``Fn::Join`` of the definition with every token replaced by a placeholder."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_flatten(part) for part in parts)
    return "TOKEN"


@pytest.fixture(scope="session")
def definition(synth: Synth) -> dict[str, Any]:
    """The state machine's ASL, parsed from the synthesized DefinitionString."""
    (machine,) = synth.resources("FramelensService", "AWS::StepFunctions::StateMachine").values()
    return json.loads(_flatten(machine["Properties"]["DefinitionString"]))
