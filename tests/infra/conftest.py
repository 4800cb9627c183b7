"""Template fixtures for the infra tests, over the session's one synthesis.

``synth`` comes from the ``tests.cdk_synth`` plugin (shared with ``tests/e2e``); this module
parses its stacks into ``Template`` objects and the state machine's ASL.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.cdk_synth import Synth

pytest.importorskip("aws_cdk", reason="needs the infra extra: pip install -e '.[infra]'")


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
