"""The synthesized cloud, executed on moto: resources from the CDK templates, handlers in-process.

The public names the cloud tests use. The package splits by responsibility:

- ``resolve``: CloudFormation intrinsics → the moto resources' values.
- ``handlers``: the handlers and GPU worker loaded in-process, the Lambda context, events, faults.
- ``moto_patches``: the hooks that make moto run that code instead of Docker.
- ``env``: ``CloudEnv``, the deployed stacks with the waits and reads the tests repeat.
- ``deploy``: creating the moto resources from the templates inside ``mock_aws``.

The ``cloud`` fixture (``tests/e2e/conftest.py``) deploys the session's one synthesis
(``tests/cdk_synth.py``) per test.
"""

from tests.e2e.cloud.deploy import deploy, deployed
from tests.e2e.cloud.env import CloudEnv
from tests.e2e.cloud.handlers import (
    Faults,
    Invocation,
    LambdaContext,
    apigw_event,
    authorizer_event,
    handler_module,
    reset_handler_caches,
)
from tests.e2e.cloud.resolve import ACCOUNT, REGION, UnresolvedError

TENANT = "acme"

__all__ = [
    "ACCOUNT",
    "REGION",
    "TENANT",
    "CloudEnv",
    "Faults",
    "Invocation",
    "LambdaContext",
    "UnresolvedError",
    "apigw_event",
    "authorizer_event",
    "deploy",
    "deployed",
    "handler_module",
    "reset_handler_caches",
]
