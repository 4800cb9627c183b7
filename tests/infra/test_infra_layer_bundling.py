"""The dependency layer CDK deploys is built from the same lock the artifact tests build and run.

CDK bundles the layer at ``cdk deploy`` (``infra.constructs.common._PipInstall``); here a stack
with ``Layers`` is synthesized with bundling on, and the pip command the bundler runs is captured
(nothing is installed): it must be ``infra.artifacts.install_command`` on ``ARTIFACTS["layer"]
.lock``, the lock ``tests/artifacts`` installs (``build.install_lock``) and runs the functions
with. A bundler that read another file, or resolved instead of installing the lock, fails here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.artifacts import ARTIFACTS, install_command

if TYPE_CHECKING:
    import pytest


def _bundle_layers(outdir: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    import aws_cdk as cdk

    from infra.app import BUNDLING_STACKS
    from infra.constructs import common

    ran: list[list[str]] = []

    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        ran.append([str(c) for c in command])
        target = Path(command[command.index("--target") + 1])
        target.mkdir(parents=True, exist_ok=True)
        (target / "installed.txt").write_text("captured", encoding="utf-8")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(common.subprocess, "run", fake_run)
    app = cdk.App(outdir=str(outdir), context={BUNDLING_STACKS: ["**"]})
    stack = cdk.Stack(app, "LayerBundling")
    common.Layers(stack, "Layers")
    app.synth()
    return ran


def test_cdk_bundles_the_layer_from_the_artifact_tests_lock(tmp_path, monkeypatch):
    # WHEN the stack is synthesized with bundling on (as `cdk deploy` does)
    ran = _bundle_layers(tmp_path / "cdk.out", monkeypatch)
    # THEN the layer was built by one pip install of exactly the layer lock, for Lambda
    assert len(ran) == 1, ran
    (command,) = ran
    lock = ARTIFACTS["layer"].lock
    assert command[command.index("-r") + 1] == str(lock)
    target = Path(command[command.index("--target") + 1])
    assert target.name == "python"  # a layer's packages live under python/
    assert command == [str(c) for c in install_command(lock, target, command[0])]
    # AND the layer asset holds what that install produced
    assets = list((tmp_path / "cdk.out").glob("asset.*/python/installed.txt"))
    assert len(assets) == 1, assets
