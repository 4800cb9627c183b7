"""The Framelens CDK app: ``cdk synth`` / ``cdk deploy`` (``cdk.json``) or ``make synth``.

Owns: reading the ``framelens`` context once into ``FramelensProps`` and composing the two
stacks. Stacks are environment-agnostic (no account/region, no lookups), so synthesis needs
neither AWS credentials nor a Docker engine: Lambda code and layers are folder assets, images
are Docker assets that are only copied at synthesis and built at deploy.

The dependency layer is installed with pip at deploy time (``common._PipInstall``). When this
file runs outside the CDK CLI (``make synth``, tests), bundling is skipped so synthesis works
offline; ``FRAMELENS_BUNDLE=0 cdk synth`` does the same under the CLI.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# infra/ must not be on sys.path: infra/constructs would shadow the ``constructs`` library.
_HERE = Path(__file__).resolve().parent
_ROOT = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))
# Node 20 banners from jsii on every run; the value names the major version to silence.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402 - after the sys.path fix above

from infra.constructs.common import FramelensProps  # noqa: E402
from infra.stacks.service import ServiceStack  # noqa: E402
from infra.stacks.storage import StorageStack  # noqa: E402

BUNDLING_STACKS = "aws:cdk:bundling-stacks"


def _cdk_json_context() -> dict[str, Any]:
    """``cdk.json``'s context (feature flags, ``framelens`` props): the CLI passes it itself."""
    return dict(json.loads((_ROOT / "cdk.json").read_text(encoding="utf-8")).get("context", {}))


def build_app(
    outdir: str | None = None, context: dict[str, Any] | None = None, *, bundle: bool | None = None
) -> cdk.App:
    """The app with both stacks, not yet synthesized.

    Args:
        outdir: Cloud assembly folder; the CLI's ``CDK_OUTDIR``, else ``<repo>/cdk.out``.
        context: Extra context (tests inject ``framelens`` props here).
        bundle: Run asset bundling (pip for the dependency layer). ``None``: only under the CDK
            CLI, unless ``FRAMELENS_BUNDLE=0``.

    Returns:
        The app; call ``.synth()``.
    """
    under_cli = "CDK_OUTDIR" in os.environ
    if bundle is None:
        bundle = under_cli and os.environ.get("FRAMELENS_BUNDLE", "1") != "0"
    merged = {} if under_cli else _cdk_json_context()
    merged.update(context or {})
    app = cdk.App(
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(_ROOT / "cdk.out"),
        context=merged,
        post_cli_context=None if bundle else {BUNDLING_STACKS: []},
    )
    props = FramelensProps.from_context(app.node.try_get_context("framelens"))
    storage = StorageStack(
        app, "FramelensStorage", props=props, description="Framelens: bucket and tables"
    )
    ServiceStack(
        app,
        "FramelensService",
        storage=storage.storage,
        props=props,
        description="Framelens: API, ingest, pipeline, GPU compute, alarms",
    )
    return app


if __name__ == "__main__":
    build_app().synth()
