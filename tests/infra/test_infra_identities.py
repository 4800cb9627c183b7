"""The identities table in the service stack: who gets its name, and who may read or write it.

Least privilege: the API (identity routes) and the pipeline's control function (aggregate writes
an enrolment's identity) read and write; analysis (the inference function, the GPU worker) only
reads galleries to match; the authorizer, ingest and job-events functions get neither the name
nor any permission.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

TABLE = "FramelensIdentitiesTable"
ENV = "FRAMELENS_IDENTITIES_TABLE"
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
READS = {"dynamodb:GetItem", "dynamodb:Query"}


def _resources(synth: Any, type_: str) -> dict[str, dict[str, Any]]:
    return synth.resources("FramelensService", type_)


def _role_of(resource: dict[str, Any], key: str) -> str:
    return str(resource["Properties"][key]["Fn::GetAtt"][0])


def _grantees(synth: Any) -> dict[str, str]:
    """Role logical id → what assumes it: a function's logical id, or ``GpuTask``."""
    out = {
        _role_of(f, "Role"): logical
        for logical, f in _resources(synth, "AWS::Lambda::Function").items()
    }
    for task in _resources(synth, "AWS::ECS::TaskDefinition").values():
        out[_role_of(task, "TaskRoleArn")] = "GpuTask"
    return out


def _identity_actions(synth: Any) -> dict[str, set[str]]:
    """Grantee → the actions its policies allow on the identities table."""
    grantees = _grantees(synth)
    out: dict[str, set[str]] = {}
    for policy in _resources(synth, "AWS::IAM::Policy").values():
        roles = [r["Ref"] for r in policy["Properties"].get("Roles", [])]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] != "Allow" or TABLE not in json.dumps(statement["Resource"]):
                continue
            actions = statement["Action"]
            for role in roles:
                name = grantees.get(role, role)
                out.setdefault(name, set()).update(
                    [actions] if isinstance(actions, str) else actions
                )
    return out


def _grantee(actions: dict[str, set[str]], prefix: str) -> set[str]:
    matches = [a for name, a in actions.items() if name.startswith(prefix)]
    return set().union(*matches) if matches else set()


def test_the_table_name_reaches_exactly_the_functions_that_use_it(synth):
    functions = _resources(synth, "AWS::Lambda::Function")
    having = {
        logical
        for logical, f in functions.items()
        if ENV in f["Properties"].get("Environment", {}).get("Variables", {})
    }
    # THEN the API and both pipeline functions have it, generated (never a literal)...
    for prefix in ("ApiFunction", "PipelineControl", "PipelineInference"):
        (logical,) = [name for name in having if name.startswith(prefix)]
        value = functions[logical]["Properties"]["Environment"]["Variables"][ENV]
        assert not isinstance(value, str) and TABLE in json.dumps(value)
    # ... and the authorizer, ingest and job events do not
    for prefix in ("ApiAuthorizer", "IngestFunction", "JobEvents"):
        assert not [name for name in having if name.startswith(prefix)], prefix
    # AND the GPU worker's container has it
    (task,) = _resources(synth, "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    names = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert TABLE in json.dumps(names[ENV])


@pytest.mark.parametrize(
    ("grantee", "writes"),
    [
        ("ApiFunction", True),
        ("PipelineControl", True),
        ("PipelineInference", False),
        ("GpuTask", False),
    ],
)
def test_readers_and_writers_of_the_identities_table(synth, grantee, writes):
    actions = _grantee(_identity_actions(synth), grantee)
    assert actions >= READS, actions
    assert bool(actions & WRITES) is writes, actions


def test_functions_without_galleries_have_no_access_to_identities(synth):
    actions = _identity_actions(synth)
    for prefix in ("ApiAuthorizer", "IngestFunction", "JobEvents"):
        assert _grantee(actions, prefix) == set(), prefix
