"""API Gateway REQUEST authorizer: API key → tenant, and the usage plan's identifier.

Owns: turning the authorizer event into ``framelens.auth`` calls and the answer into an IAM
policy. Accepts ``X-API-Key``, ``Authorization: Key`` and ``Authorization: Bearer``
(``auth.extract_key``). Deliberately light: no FastAPI, no media libraries (cold import is
measured in ``tests/infra``). No powertools ``Tracer`` either: importing the X-Ray SDK builds a
botocore client at import time (0.3-0.8 s), more than this function's whole budget; Lambda's
active tracing still records the function's segment.

Answers:
- a valid key: ``Allow`` on the whole stage (so a cached answer fits every route), context
  ``{tenant_id, key_id, plan}`` for the API, and ``usageIdentifierKey`` = the key's SHA-256
  (the value of the matching API Gateway API key on the usage plan, so the plan's throttles and
  quota apply without API Gateway ever holding the secret);
- no key, or an unknown or revoked one: ``Unauthorized`` (API Gateway's 401).
A warm container reuses a key's successful check for ``FRAMELENS_AUTH_CACHE_TTL_S`` seconds
(``auth.cache``): API Gateway cannot cache answers keyed on one of three headers.
Per-minute counting is not done here: an authorizer can only answer 401/403, while seed 000
wants 429 with its body, so the API function counts (``auth.RateLimiter``).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from framelens.auth import extract_key, hash_key
from framelens.auth.cache import CachedAuthenticator
from framelens.errors import AuthError
from framelens.runtime import build_services

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway maps to 401


@cache
def _keys() -> CachedAuthenticator:
    services = build_services()
    return CachedAuthenticator(services.keys, services.settings.auth_cache_ttl_s)


def stage_arn(method_arn: str) -> str:
    """``arn:...:api/stage/*`` from a method ARN ``arn:...:api/stage/VERB/path``.

    Examples:
        >>> stage_arn("arn:aws:execute-api:eu-west-1:1:abc/v1/GET/jobs/1")
        'arn:aws:execute-api:eu-west-1:1:abc/v1/*'
    """
    api, _, rest = method_arn.partition("/")
    return f"{api}/{rest.split('/', 1)[0]}/*"


def allow(event: dict[str, Any], secret: str, principal: Any) -> dict[str, Any]:
    """The authorizer answer that lets ``principal`` call every route of the stage."""
    return {
        "principalId": principal.key_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": stage_arn(event["methodArn"]),
                }
            ],
        },
        "context": {
            "tenant_id": principal.tenant_id,
            "key_id": principal.key_id,
            "plan": principal.plan.name,
        },
        "usageIdentifierKey": hash_key(secret),
    }


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """REQUEST authorizer event in, policy out; raises ``Exception("Unauthorized")`` for 401."""
    secret = extract_key(event.get("headers") or {})
    try:
        principal = _keys().authenticate(secret)
    except AuthError as exc:
        logger.info("rejected", extra={"reason": exc.code, "path": event.get("path")})
        raise Exception(UNAUTHORIZED) from None
    logger.append_keys(tenant_id=principal.tenant_id, key_id=principal.key_id)
    return allow(event, secret or "", principal)
