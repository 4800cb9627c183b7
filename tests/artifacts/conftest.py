"""The synthesized stacks on a moto *server*, with each function run from its built artifact.

``cloud_artifacts`` deploys the session's synthesis (``tests/cdk_synth.py``) with the e2e cloud
harness (``tests/e2e/cloud.deploy``) into a ``ThreadedMotoServer``, so a child process reaches
the same moto through ``AWS_ENDPOINT_URL``. Every Lambda invocation moto makes (S3 → ingest,
Step Functions → pipeline) and every direct call of the tests goes to an ``ArtifactFunction``:
the zip functions with the layer built from its lock plus the library (as CDK lays them out),
the pipeline functions with the inference image's locked packages. Nothing of this process's
virtualenv is on their path.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from infra.artifacts import LAMBDA_PYTHON
from tests.artifacts.build import (
    FUNCTIONS,
    REPO_ROOT,
    install_lock,
    lambda_python,
    library_layer,
)
from tests.artifacts.runtime import Answer, ArtifactFunction
from tests.e2e.cloud.handlers import FUNCTION_CODE
from tests.e2e.cloud.resolve import REGION, SERVICE
from tests.shared import MODELS

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.cdk_synth import Synth
    from tests.e2e.cloud import CloudEnv

# Template function (logical id prefix) → the artifact whose packages it runs with.
ZIP_FUNCTIONS = (
    "IngestFunction",
    "ApiFunction",
    "ApiAuthorizerFunction",
    "JobEventsFunction",
    "WebhooksFunction",
)
# Functions of the inference image: its task root as the Dockerfile lays it out, its lock.
IMAGE_FUNCTIONS = ("PipelineControl", "PipelineInference", "RenderFunction")
INFERENCE_DOCKERFILE = REPO_ROOT / "containers" / "inference" / "Dockerfile"
_COPY_INTO_TASK_ROOT = re.compile(r"^COPY (\S+\.py) \./(\S+\.py)$", re.MULTILINE)


def image_task_root(into: Path) -> Path:
    """The inference image's ``${LAMBDA_TASK_ROOT}`` handler files, copied as its Dockerfile
    copies them (``handler.py``, ``render_handler.py``, ``entry.py``)."""
    into.mkdir(parents=True, exist_ok=True)
    for source, target in _COPY_INTO_TASK_ROOT.findall(INFERENCE_DOCKERFILE.read_text()):
        shutil.copyfile(REPO_ROOT / source, into / target)
    return into


@pytest.fixture(scope="session")
def python312() -> Path:
    found = lambda_python()
    if found is None:
        why = f"no CPython {LAMBDA_PYTHON} here (set FRAMELENS_LAMBDA_PYTHON)"
        if os.environ.get("FRAMELENS_REQUIRE_ARTIFACTS") == "1":  # make test: a skip proves nothing
            pytest.fail(why)
        pytest.skip(why)
    return found


@pytest.fixture(scope="session")
def layer_packages() -> Path:
    """The deps layer's ``python/``, installed from its lock for Lambda (cached by lock hash)."""
    return install_lock("layer")


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The core layer's ``python/`` (the library folder, as the CDK asset ships it)."""
    return library_layer(tmp_path_factory.mktemp("core-layer"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ArtifactCloud:
    """The deployed stacks with functions run from artifacts."""

    env: CloudEnv
    endpoint: str
    python: Path
    paths: dict[str, list[Path]]
    tmp: Path
    functions: dict[str, ArtifactFunction] = field(default_factory=dict)

    def template_props(self, logical: str) -> dict[str, Any]:
        return dict(self.env.synth.templates[SERVICE]["Resources"][logical]["Properties"])

    def function(self, prefix: str) -> ArtifactFunction:
        """The (warm) artifact process of the template function whose id starts ``prefix``."""
        logical = self.env.function(prefix)
        if logical not in self.functions:
            props = self.template_props(logical)
            environment = {
                **self.env.function_env[logical],
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "FRAMELENS_MODEL_DIR": str(MODELS),
                "FRAMELENS_WEBHOOK_BACKOFF_S": "0.02",
                "FRAMELENS_WEBHOOK_MAX_ATTEMPTS": "2",
            }
            kind = next(p for p in (*ZIP_FUNCTIONS, *IMAGE_FUNCTIONS) if logical.startswith(p))
            handler = "handler.handler"
            if kind in IMAGE_FUNCTIONS:  # the image's task root, its lock, the library; the CMD
                library = self.paths[ZIP_FUNCTIONS[0]][-1]
                root = image_task_root(self.tmp / "image-task-root")
                self.paths[kind] = [root, install_lock("inference"), library]
                handler = props.get("ImageConfig", {}).get("Command", [handler])[0]
            self.functions[logical] = ArtifactFunction(
                logical,
                python=self.python,
                paths=self.paths[kind],
                environment=environment,
                tmp_dir=self.tmp / logical,
                ephemeral_mb=int(props.get("EphemeralStorage", {}).get("Size", 512)),
                memory_mb=int(props.get("MemorySize", 128)),
                handler=handler,
            )
        return self.functions[logical]

    def invoke(self, prefix: str, event: dict[str, Any]) -> Answer:
        return self.function(prefix).invoke(event)

    def moto_invoke(self, name: str, event: dict[str, Any]) -> tuple[str, bool]:
        """What moto's Lambda returns when it invokes ``name`` (the harness's hook)."""
        answer = self.function(name).invoke(event)
        if answer.error_type is not None:
            body = {"errorType": answer.error_type, "errorMessage": answer.error_message}
            return json.dumps(body), True
        return json.dumps(answer.result), False

    def close(self) -> None:
        for function in self.functions.values():
            function.close()


def _code_folder(prefix: str) -> Path:
    return FUNCTIONS / FUNCTION_CODE[prefix]


@pytest.fixture(scope="module")
def cloud_artifacts(
    synth: Synth,
    python312: Path,
    layer_packages: Path,
    library: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ArtifactCloud]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per moto request

    from tests.e2e.cloud.deploy import deploy

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    paths: dict[str, list[Path]] = {
        prefix: [_code_folder(prefix), layer_packages, library] for prefix in ZIP_FUNCTIONS
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
            "POWERTOOLS_TRACE_DISABLED": "true",
            # the in-process handler modules import here too and keep their Metrics objects
            "POWERTOOLS_METRICS_NAMESPACE": "Framelens",
        }.items():
            mp.setenv(key, value)
        env = deploy(synth, mp.setenv)
        cloud = ArtifactCloud(
            env=env, endpoint=endpoint, python=python312, paths=paths,
            tmp=tmp_path_factory.mktemp("lambda-tmp"),
        )  # fmt: skip
        env.artifact_invoke = cloud.moto_invoke
        try:
            yield cloud
        finally:
            cloud.close()
            env.close()
            # moto's backends are this process's: forget the deployment for the next module
            httpx.post(f"{endpoint}/moto-api/reset")
            server.stop()
