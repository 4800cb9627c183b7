"""Request dependencies: the services, and the authenticated, rate-limited caller.

Auth is a dependency attached to routers, never code inside a route. Keys arrive as
``X-API-Key: k`` (seed 000), ``Authorization: Bearer k`` (seed 002) or ``Authorization: Key k``
(seed 003). ``AppServices`` is what the app may use; the composition root's ``Services``
satisfies it (the API never imports ``runtime``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Protocol

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyHeader, HTTPBearer

from framelens.auth import KeyService, Principal, Quotas, RateLimiter, extract_key
from framelens.config import Settings
from framelens.jobs.latency import LatencyStats
from framelens.jobs.links import MediaLinks
from framelens.jobs.service import JobService
from framelens.models.provider import ModelProvider
from framelens.stores import Stores

if TYPE_CHECKING:
    from framelens.jobs.deliveries import DeliveryService
    from framelens.jobs.file_media import FileMedia
    from framelens.jobs.galleries import GalleryService
    from framelens.jobs.storage_health import StorageProbe

__all__ = [
    "PREAUTH_SCOPE_KEY",
    "AppServices",
    "CurrentPrincipal",
    "ServicesDep",
    "authenticate",
    "get_services",
]

# Where ``api.guard`` leaves the principal it resolved before reading the body (one key lookup).
PREAUTH_SCOPE_KEY = "framelens.principal"


class AppServices(Protocol):
    """What routes may use, built once per process by the composition root."""

    settings: Settings
    stores: Stores
    keys: KeyService
    limiter: RateLimiter
    quotas: Quotas
    latency: LatencyStats
    jobs: JobService
    deliveries: DeliveryService  # webhook deliveries (list, redeliver)

    @property
    def models(self) -> ModelProvider:
        """Models (opened on first use)."""
        ...

    @property
    def links(self) -> MediaLinks:
        """Short-lived links to stored media."""
        ...

    @property
    def galleries(self) -> GalleryService:
        """Each tenant's gallery identities."""
        ...

    @property
    def file_media(self) -> FileMedia:
        """Seed 002's media answers (built on first use)."""
        ...

    @property
    def storage(self) -> StorageProbe:
        """Whether the stores can be read and written now (health routes)."""
        ...


def get_services(request: Request) -> AppServices:
    """The process's services (set on the app by ``create_app``)."""
    services: AppServices = request.app.state.services
    return services


ServicesDep = Annotated[AppServices, Depends(get_services)]


# The three ways a key may arrive, declared so the OpenAPI document shows them (clients and
# fuzzers read it); the key itself is read once by ``auth.extract_key``.
_X_API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="Seed 000 style.")
_KEY = APIKeyHeader(
    name="Authorization",
    scheme_name="AuthorizationKey",
    auto_error=False,
    description="`Authorization: Key <key>` (seed 003 style).",
)
_BEARER = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>` (seed 002).")


def authenticate(
    request: Request,
    response: Response,
    services: ServicesDep,
    _x_api_key: Annotated[str | None, Depends(_X_API_KEY)] = None,
    _key: Annotated[str | None, Depends(_KEY)] = None,
    _bearer: Annotated[object, Depends(_BEARER)] = None,
) -> Principal:
    """Resolve the API key to a principal and count the request against its rate limit.

    Raises:
        AuthError: missing, unknown or revoked key (401).
        RateLimitedError: over the plan's per-minute limit (429 with Retry-After).
    """
    principal = request.scope.get(PREAUTH_SCOPE_KEY)
    if not isinstance(principal, Principal):
        principal = services.keys.authenticate(extract_key(request.headers))
    decision = services.limiter.check(principal, request.method)
    response.headers["X-RateLimit-Limit"] = str(decision.limit)
    response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
    response.headers["X-RateLimit-Reset"] = str(decision.reset_s)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
