"""Request dependencies: the services, and the authenticated, rate-limited caller.

Auth is a dependency attached to routers, never code inside a route. Keys arrive as
``X-API-Key: k`` (seed 000), ``Authorization: Bearer k`` (seed 002) or ``Authorization: Key k``
(seed 003).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from framelens.auth import Principal, extract_key
from framelens.runtime import Services

__all__ = ["CurrentPrincipal", "ServicesDep", "authenticate", "get_services"]


def get_services(request: Request) -> Services:
    """The process's services (set on the app by ``create_app``)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def authenticate(request: Request, response: Response, services: ServicesDep) -> Principal:
    """Resolve the API key to a principal and count the request against its rate limit.

    Raises:
        AuthError: missing, unknown or revoked key (401).
        RateLimitedError: over the plan's per-minute limit (429 with Retry-After).
    """
    principal = services.keys.authenticate(extract_key(request.headers))
    decision = services.limiter.check(principal, request.method)
    response.headers["X-RateLimit-Limit"] = str(decision.limit)
    response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
    response.headers["X-RateLimit-Reset"] = str(decision.reset_s)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
