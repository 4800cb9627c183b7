"""API Gateway REQUEST authorizer (a doorway): key → ``auth.policy.allow_policy``, else 401;
successes reused per warm container (``auth.cache``). No FastAPI, media or X-Ray imports here."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from framelens.auth import extract_key
from framelens.auth.policy import UNAUTHORIZED, allow_policy, stage_arn
from framelens.errors import AuthError
from framelens.runtime import build_authenticator

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from framelens.auth.cache import CachedAuthenticator

__all__ = ["handler", "stage_arn"]  # stage_arn: the policy's resource, importable from here
logger = Logger()


@cache
def _keys() -> CachedAuthenticator:
    return build_authenticator()


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """REQUEST authorizer event in, policy out; raises ``Exception("Unauthorized")`` for 401."""
    try:
        secret = extract_key(event.get("headers") or {})
        principal = _keys().authenticate(secret)
    except AuthError as exc:
        logger.info("rejected", extra={"reason": exc.code, "path": event.get("path")})
        raise Exception(UNAUTHORIZED) from None
    logger.append_keys(tenant_id=principal.tenant_id, key_id=principal.key_id)
    return allow_policy(event["methodArn"], secret or "", principal)
