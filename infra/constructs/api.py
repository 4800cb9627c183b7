"""The public API: API Gateway REST API → ``functions/api`` (FastAPI via Mangum).

Owns: the REST API, its Lambda REQUEST authorizer (``functions/authorizer``), the usage plan
(per-method throttles and a quota) and binary media types. Does not own routes (the FastAPI
app) or key storage (the keys table, granted read-only to the authorizer).

Limits (documented, not configurable): API Gateway caps a request or response at 10 MB and an
integration at 29 s; larger media go through presigned S3 uploads (``POST /v1/uploads``).

Rate limits: seed 000 allows 60 GET and 10 POST per minute per key. API Gateway throttles are
token buckets in requests per second, so a per-minute limit N becomes ``rate = N / 60`` r/s with
``burst = N`` (a client may spend a whole minute's allowance at once, as a fixed window allows,
and then refills at N per minute). This is the coarse outer guard that answers 429 before any
Lambda runs; the exact fixed-window count (and the seed's 429 body and ``X-RateLimit-*``
headers) is ``framelens.auth.RateLimiter`` inside the API function.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from constructs import Construct

from framelens.config import Settings
from infra.constructs.access import grant_tables
from infra.constructs.common import FramelensProps, Layers, ephemeral_mb_for, python_function

IDENTITIES_ENV = "FRAMELENS_IDENTITIES_TABLE"

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_

    from infra.constructs.storage import Storage

# Uploads (multipart, raw video/image bytes) and media responses pass through as binary. API
# Gateway picks binary handling from the request's Content-Type and *Accept* header: without
# "*/*", a client sending "Accept: */*" (curl) would receive images as base64 text.
BINARY_MEDIA_TYPES = [
    "multipart/form-data",
    "video/*",
    "image/*",
    "application/octet-stream",
    "*/*",
]
# Health routes stay open, as in the seeds ("No authentication required"), the same as locally:
# every GET route of the app without the API-key dependency (tests/infra checks the app).
OPEN_PATHS = (
    "health",
    "best_frame_selection/health",
    "detection/health",
    "tracking/health",
    "ocr/health",
)
VIEWER_PATHS = ("viewer/{file+}",)  # and the root, GET / (the page itself)
# Lambda's synchronous invoke payload is 6 MB; API Gateway sends a binary body base64-encoded
# (4/3 larger) inside a JSON event with headers: about 4.4 MB of upload fit. Larger files go
# through POST /v1/uploads (presigned S3 PUT); the API answers 413 naming it.
LAMBDA_DIRECT_UPLOAD_BYTES = 4_400_000
# The stage clients call (https://<id>.execute-api.<region>.amazonaws.com/v1/...).
STAGE_NAME = "v1"
_GATEWAY_RESPONSES = (
    (apigw.ResponseType.UNAUTHORIZED, "401", "Invalid or missing API key"),
    (apigw.ResponseType.ACCESS_DENIED, "403", "Forbidden"),
    (apigw.ResponseType.THROTTLED, "429", "Too Many Requests"),
    (apigw.ResponseType.QUOTA_EXCEEDED, "429", "Monthly request quota exceeded"),
    (
        apigw.ResponseType.REQUEST_TOO_LARGE,
        "413",
        "Request over 10 MB: upload large files with POST /v1/uploads (a presigned S3 PUT)",
    ),
)


def access_log_format() -> apigw.AccessLogFormat:
    """JSON access lines: CDK's standard fields plus the tenant the authorizer resolved."""
    fields = {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "latencyMs": "$context.responseLatency",
        "integrationLatencyMs": "$context.integrationLatency",
        "tenant": "$context.authorizer.tenant_id",
        "errorMessage": "$context.error.message",
    }
    return apigw.AccessLogFormat.custom(json.dumps(fields))


def per_minute_throttle(per_minute: int) -> apigw.ThrottleSettings:
    """API Gateway throttle for ``per_minute`` requests per minute (see module docstring)."""
    return apigw.ThrottleSettings(rate_limit=per_minute / 60, burst_limit=per_minute)


class Api(Construct):
    """REST API, authorizer and usage plan.

    Attributes:
        function: The FastAPI function.
        authorizer_function: The REQUEST authorizer function.
        rest_api: The REST API.
        usage_plan: The plan API keys are added to (``keys create`` in aws mode).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        props: FramelensProps,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        defaults = Settings()
        self.function = python_function(
            self,
            "Function",
            name="api",
            layers=layers,
            props=props,
            environment={
                **environment,
                "FRAMELENS_MAX_UPLOAD_BYTES": str(LAMBDA_DIRECT_UPLOAD_BYTES),
            },
            memory_mb=1024,
            timeout=Duration.seconds(29),
            # Upload completion reads a video by ranges; an image or DOCX is checked from a copy.
            ephemeral_mb=ephemeral_mb_for(defaults.max_presigned_upload_bytes),
        )
        storage.bucket.grant_read_write(self.function)
        # Every table, the identities included (the identity routes rename, merge, delete);
        # on the keys table only counters (access.py).
        grant_tables(storage, self.function, "api")

        self.authorizer_function = python_function(
            self,
            "AuthorizerFunction",
            name="authorizer",
            layers=layers,
            props=props,
            # Keys only: it never sees the identities table.
            environment={k: v for k, v in environment.items() if k != IDENTITIES_ENV},
            memory_mb=256,
            timeout=Duration.seconds(10),
        )
        # Point reads of keys and tenants: it never writes the keys table (access.py).
        grant_tables(storage, self.authorizer_function, "authorizer")
        # Three header forms are accepted (X-API-Key, Authorization: Key/Bearer). API Gateway
        # answers 401 without calling the authorizer when *any* listed identity source is
        # missing, so none are listed and API Gateway's cache is off: every request reaches the
        # authorizer, which reads whichever header is present and caches successes itself for
        # FRAMELENS_AUTH_CACHE_TTL_S (framelens.auth.cache). The API function checks the key
        # again (one cached-key read): it does not trust requestContext.authorizer alone, so it
        # stays safe if it is ever invoked other than through this authorizer.
        authorizer = apigw.RequestAuthorizer(
            self,
            "Authorizer",
            handler=self.authorizer_function,
            identity_sources=[],
            results_cache_ttl=Duration.seconds(0),
        )
        # CDK writes IdentitySource "" for an empty list; leaving the property out is the
        # documented form for an uncached REQUEST authorizer.
        authorizer_cfn = authorizer.node.default_child
        authorizer_cfn.add_property_deletion_override("IdentitySource")  # type: ignore[union-attr]

        # One JSON line per request: who (tenant from the authorizer), what, status, latency.
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=props.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            description="Framelens media-analysis API",
            api_key_source_type=apigw.ApiKeySourceType.AUTHORIZER,
            binary_media_types=BINARY_MEDIA_TYPES,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Access logging needs the account's API Gateway → CloudWatch role: CDK creates it
            # (AWS::ApiGateway::Account, retained: it is an account-wide setting).
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=access_log_format(),
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=100,
                throttling_burst_limit=200,
            ),
        )
        integration = apigw.LambdaIntegration(self.function, proxy=True)
        secured: dict[str, object] = {
            "authorizer": authorizer,
            "authorization_type": apigw.AuthorizationType.CUSTOM,
            "api_key_required": True,
        }
        for path in OPEN_PATHS:
            self.rest_api.root.resource_for_path(path).add_method("GET", integration)
        # The results viewer's page and modules: static files, no key (the page asks for one and
        # sends it only to the API routes; its media links are S3 presigned URLs in AWS).
        for path in VIEWER_PATHS:
            self.rest_api.root.resource_for_path(path).add_method("GET", integration)
        self.rest_api.root.add_method("GET", integration)
        proxy = self.rest_api.root.add_resource("{proxy+}")
        # GET and POST are explicit so the usage plan can throttle them separately; ANY takes
        # the rest (PUT, DELETE, PATCH, HEAD, OPTIONS) under the plan's default throttle.
        get = proxy.add_method("GET", integration, **secured)
        post = proxy.add_method("POST", integration, **secured)
        proxy.add_method("ANY", integration, **secured)

        # Seed 000's error bodies for what API Gateway answers itself (no Lambda involved).
        for response_type, status, detail in _GATEWAY_RESPONSES:
            self.rest_api.add_gateway_response(
                f"{response_type.response_type}Response",
                type=response_type,
                status_code=status,
                templates={"application/json": json.dumps({"detail": detail})},
            )

        self.usage_plan = self.rest_api.add_usage_plan(
            "UsagePlan",
            description="Seed 000 limits: 60 GET / 10 POST per minute per key",
            throttle=per_minute_throttle(props.get_per_minute),
            quota=apigw.QuotaSettings(
                limit=props.quota_requests_per_month, period=apigw.Period.MONTH
            ),
        )
        self.usage_plan.add_api_stage(
            stage=self.rest_api.deployment_stage,
            throttle=[
                apigw.ThrottlingPerMethod(
                    method=get, throttle=per_minute_throttle(props.get_per_minute)
                ),
                apigw.ThrottlingPerMethod(
                    method=post, throttle=per_minute_throttle(props.post_per_minute)
                ),
            ],
        )

    def stage_url(self) -> str:
        """The stage's public base URL, built from the API's id: ``rest_api.url`` would name the
        deployment, which depends on the methods and so on the API function (a cycle when the
        function's own environment holds it)."""
        stack = Stack.of(self)
        return (
            f"https://{self.rest_api.rest_api_id}.execute-api.{stack.region}."
            f"{stack.url_suffix}/{STAGE_NAME}"
        )

    @property
    def functions(self) -> list[lambda_.IFunction]:
        """Every function of this construct (for alarms and dashboards)."""
        return [self.function, self.authorizer_function]
