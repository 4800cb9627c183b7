"""URLs as a client uses them, turned into the events API Gateway's REST API sends the API function.

Owns: the deployed API's public base URL (the stack output: the ``execute-api`` host and stage
``v1``), and ``Gateway``: a client that takes an absolute URL (a ``complete_url``, a resolved
``Location``), refuses one API Gateway would never route to the function (another host, no
stage: AWS answers 403 "Missing Authentication Token" itself), authorizes it with the authorizer
function and sends the API function the proxy event API Gateway builds (``path`` without the
stage, ``requestContext.path`` with it, ``Host``/``X-Forwarded-*`` headers as AWS sets them).
Does not own the functions (the deployed ``CloudEnv`` or artifact processes run them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from tests.e2e.cloud.handlers import apigw_event, authorizer_event

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.cloud import CloudEnv

HOST = "abc123.execute-api.us-east-1.amazonaws.com"
STAGE = "v1"
BASE_URL = f"https://{HOST}/{STAGE}"  # what `cdk deploy` prints as the API's URL


def gateway_event(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    authorizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The REST proxy event for a request to the absolute ``url``.

    Raises:
        AssertionError: API Gateway would not route ``url`` to the function.
    """
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", HOST), f"not this API: {url}"
    stage, _, rest = parts.path.lstrip("/").partition("/")
    assert stage == STAGE, f"no stage {STAGE!r} in {url}: API Gateway answers 403 itself"
    sent = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}
    query = dict(parse_qsl(parts.query)) or None
    return apigw_event(
        method, f"/{rest}", headers={**sent, **(headers or {})}, body=body,
        authorizer=authorizer, query=query,
    )  # fmt: skip


@dataclass
class Gateway:
    """API Gateway in front of the authorizer and the API function.

    Args:
        invoke: Runs a template function (by logical-id prefix) on an event.
        key: The client's API key.
    """

    invoke: Callable[[str, dict[str, Any]], Any]
    key: str
    last: dict[str, Any] = field(default_factory=dict)

    def call(
        self, method: str, url: str, body: bytes | str | None = None, **headers: str
    ) -> tuple[int, Any]:
        """Request ``url`` (absolute, or relative to the base URL); the status and JSON body."""
        url = urljoin(BASE_URL + "/", url.lstrip("/")) if "://" not in url else url
        headers = {"X-API-Key": self.key, **headers}
        probe = gateway_event(method, url, headers=headers)  # refuses what AWS would not route
        asked = authorizer_event(method, probe["path"], headers)
        policy = self.invoke("ApiAuthorizerFunction", asked)
        context = {**policy["context"], "principalId": policy["principalId"]}
        event = gateway_event(method, url, headers=headers, body=body, authorizer=context)
        self.last = self.invoke("ApiFunction", event)
        text = self.last.get("body") or ""
        is_json = "json" in str(self.last.get("headers", {}).get("content-type", ""))
        return self.last["statusCode"], json.loads(text) if text and is_json else text

    def location(self, request_url: str) -> str:
        """The last response's ``Location``, resolved against ``request_url`` (RFC 9110)."""
        headers = {k.lower(): v for k, v in self.last.get("headers", {}).items()}
        return urljoin(request_url, headers["location"])


def base(path: str) -> str:
    """A path relative to the base URL (the seeds' ``status_url``), as an absolute URL."""
    return BASE_URL + path


def gateway_for(cloud: CloudEnv) -> Gateway:
    """A ``Gateway`` in front of ``cloud``'s functions, with a new key of tenant ``TENANT``."""
    from tests.e2e.cloud import TENANT, LambdaContext, handler_module

    secret, _ = cloud.services().keys.create(TENANT)

    def invoke(prefix: str, event: dict[str, Any]) -> Any:
        name = cloud.function(prefix)
        module = handler_module(cloud.function_handlers[name])
        return module.handler(event, LambdaContext(name, name))

    return Gateway(invoke, secret)
