"""API stack: usage plan, authorizer wiring, API key source, binary media, S3 drop notification."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from infra.constructs.api import BINARY_MEDIA_TYPES, OPEN_PATHS

# Seed 000: 60 GET and 10 POST per minute per key → rate N/60 r/s, burst N (see api.py).
GET_THROTTLE = {"RateLimit": 1, "BurstLimit": 60}
POST_THROTTLE = {"RateLimit": pytest.approx(10 / 60), "BurstLimit": 10}


def _only(synth, type_):
    (resource,) = synth.resources("FramelensService", type_).values()
    return resource["Properties"]


def test_usage_plan_throttles_get_and_post_per_seed_000(synth):
    # GIVEN the usage plan WHEN reading its per-method throttles
    (stage,) = _only(synth, "AWS::ApiGateway::UsagePlan")["ApiStages"]
    # THEN GET and POST on the proxy resource carry the seed's per-minute limits
    assert stage["Throttle"]["/{proxy+}/GET"] == GET_THROTTLE
    assert stage["Throttle"]["/{proxy+}/POST"] == POST_THROTTLE


def test_usage_plan_has_a_monthly_quota(synth):
    plan = _only(synth, "AWS::ApiGateway::UsagePlan")
    assert plan["Quota"] == {"Limit": 100_000, "Period": "MONTH"}
    assert plan["Throttle"] == GET_THROTTLE


def test_api_key_source_is_the_authorizer(service_template):
    service_template.has_resource_properties(
        "AWS::ApiGateway::RestApi", {"ApiKeySourceType": "AUTHORIZER"}
    )


def test_binary_media_types_cover_uploads_and_media(service_template):
    service_template.has_resource_properties(
        "AWS::ApiGateway::RestApi", {"BinaryMediaTypes": BINARY_MEDIA_TYPES}
    )
    assert set(BINARY_MEDIA_TYPES) == {
        "multipart/form-data",
        "video/*",
        "image/*",
        "application/octet-stream",
        "*/*",  # curl's Accept: */* must get image bytes, not base64 text
    }


def test_authorizer_is_an_uncached_request_authorizer(synth):
    # Any of three headers may carry the key, so no identity source may be required.
    authorizer = _only(synth, "AWS::ApiGateway::Authorizer")
    assert authorizer["Type"] == "REQUEST"
    assert authorizer["AuthorizerResultTtlInSeconds"] == 0
    assert "IdentitySource" not in authorizer
    assert "ApiAuthorizerFunction" in str(authorizer["AuthorizerUri"])


def test_every_method_but_health_and_the_viewer_needs_authorizer_and_key(synth):
    methods = synth.resources("FramelensService", "AWS::ApiGateway::Method").values()
    secured = [m["Properties"] for m in methods if m["Properties"]["AuthorizationType"] != "NONE"]
    open_ = [m["Properties"] for m in methods if m["Properties"]["AuthorizationType"] == "NONE"]
    assert {m["HttpMethod"] for m in secured} == {"GET", "POST", "ANY"}
    assert all(m["AuthorizationType"] == "CUSTOM" and m["ApiKeyRequired"] for m in secured)
    assert all("AuthorizerId" in m for m in secured)
    # the health routes, and the viewer's page (GET /) and static modules (GET /viewer/...)
    assert [m["HttpMethod"] for m in open_] == ["GET"] * (len(OPEN_PATHS) + 2)


def test_methods_proxy_to_the_api_function(synth):
    for method in synth.resources("FramelensService", "AWS::ApiGateway::Method").values():
        integration = method["Properties"]["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert "ApiFunction" in str(integration["Uri"])


def test_throttled_answers_429(service_template):
    service_template.has_resource_properties(
        "AWS::ApiGateway::GatewayResponse", {"ResponseType": "THROTTLED", "StatusCode": "429"}
    )


def test_s3_drop_notification_filters_uploads_prefix(synth):
    (notification,) = synth.resources("FramelensService", "Custom::S3BucketNotifications").values()
    (config,) = notification["Properties"]["NotificationConfiguration"][
        "LambdaFunctionConfigurations"
    ]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}}
    assert "IngestFunction" in str(config["LambdaFunctionArn"])


def test_ingest_failures_go_to_a_dead_letter_queue(service_template):
    service_template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "DeadLetterConfig": {"TargetArn": Match.any_value()},
            "Environment": {
                "Variables": Match.object_like({"POWERTOOLS_SERVICE_NAME": "framelens-ingest"})
            },
        },
    )
