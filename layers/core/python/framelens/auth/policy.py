"""The API Gateway REQUEST authorizer's answer: an IAM policy for an authenticated principal.

Owns: the policy shape (``Allow`` on the whole stage, so a cached answer fits every route), the
context the API receives (``tenant_id``, ``key_id``, ``plan``) and ``usageIdentifierKey`` = the
key's SHA-256 (the value of the matching API Gateway API key on the usage plan, so the plan's
throttles and quota apply without API Gateway ever holding the secret). Does not own
authenticating the key (``auth.keys``).

Per-minute counting is not done by the authorizer: it can only answer 401/403, while seed 000
wants 429 with its body, so the API counts (``auth.RateLimiter``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framelens.auth.keys import hash_key

if TYPE_CHECKING:
    from framelens.auth.principal import Principal

__all__ = ["UNAUTHORIZED", "allow_policy", "stage_arn"]

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway maps to 401


def stage_arn(method_arn: str) -> str:
    """``arn:...:api/stage/*`` from a method ARN ``arn:...:api/stage/VERB/path``.

    Examples:
        >>> stage_arn("arn:aws:execute-api:eu-west-1:1:abc/v1/GET/jobs/1")
        'arn:aws:execute-api:eu-west-1:1:abc/v1/*'
    """
    api, _, rest = method_arn.partition("/")
    return f"{api}/{rest.split('/', 1)[0]}/*"


def allow_policy(method_arn: str, secret: str, principal: Principal) -> dict[str, Any]:
    """The authorizer answer that lets ``principal`` call every route of the stage."""
    return {
        "principalId": principal.key_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": stage_arn(method_arn),
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
