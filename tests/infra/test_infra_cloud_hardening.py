"""Issue 16's AWS hardening and issue 17's fan-out sizing, asserted on the synthesized templates.

One concern per test: table grants per principal (least privilege; the keys table written only
on counters), encrypted topics, private GPU hosts reaching AWS through VPC endpoints, API access
logs, a versioned bucket with CORS only for configured origins, and one Map wave per hour.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from framelens.config import Settings
from infra.constructs import access
from infra.constructs.common import FramelensProps, one_wave_concurrency
from infra.constructs.storage import SHORT_NONCURRENT_PREFIXES

SERVICE = "FramelensService"
STORAGE = "FramelensStorage"
WRITES = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}
# Principal of access.TABLE_ACCESS → a fragment of its role's logical id.
ROLES = {
    "api": "ApiFunctionServiceRole",
    "authorizer": "ApiAuthorizerFunctionServiceRole",
    "ingest": "IngestFunctionServiceRole",
    "job_events": "JobEventsFunctionServiceRole",
    "control": "PipelineControlServiceRole",
    "analysis": "PipelineInferenceServiceRole",
    "gpu": "GpuWorkerTaskTaskRole",
    "webhooks": "WebhooksFunctionServiceRole",
}
TABLES = ("jobs", "files", "keys", "identities", "webhooks")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _table_of(resource: Any) -> str | None:
    text = json.dumps(resource)
    for name in TABLES:
        if f"Framelens{name.capitalize()}Table" in text:
            return name
    return None


def _grants(synth, role_fragment: str) -> dict[str, list[tuple[set[str], Any]]]:
    """DynamoDB grants of one role: table → [(actions, condition)]."""
    out: dict[str, list[tuple[set[str], Any]]] = {}
    for policy in synth.resources(SERVICE, "AWS::IAM::Policy").values():
        if role_fragment not in json.dumps(policy["Properties"].get("Roles", [])):
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = {a for a in _as_list(statement["Action"]) if a.startswith("dynamodb:")}
            # minimizePolicies merges statements: one may name several tables (and indexes).
            tables = {_table_of(r) for r in _as_list(statement.get("Resource"))} - {None}
            for table in tables if actions else ():
                out.setdefault(str(table), []).append((actions, statement.get("Condition")))
    return out


def _expected(level: str) -> list[tuple[set[str], Any]]:
    def leading(items: list[str]) -> dict[str, Any]:
        return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": items}}

    return {
        "rw": [(set(access.READ) | set(access.WRITE), None)],
        "r": [(set(access.READ), None)],
        "counters": [
            (set(access.KEYS_READ), None),
            (set(access.COUNTER_WRITE), leading([access.COUNTER_ITEMS])),
        ],
        "auth": [({"dynamodb:GetItem"}, leading(list(access.AUTH_ITEMS)))],
        "tenant": [({"dynamodb:GetItem"}, leading([access.TENANT_ITEMS]))],
    }[level]


def _normalised(grants: list[tuple[set[str], Any]]) -> list[tuple[list[str], str]]:
    return sorted((sorted(actions), json.dumps(cond, sort_keys=True)) for actions, cond in grants)


@pytest.mark.parametrize("principal", sorted(ROLES))
def test_each_principal_gets_exactly_its_table_access(synth, principal):
    # GIVEN the role's DynamoDB statements in the template
    grants = _grants(synth, ROLES[principal])
    # THEN per table they are exactly what access.TABLE_ACCESS grants, and no other table
    levels = access.TABLE_ACCESS["analysis" if principal == "gpu" else principal]
    assert set(grants) == set(levels), f"{principal}: tables {sorted(grants)}"
    for table, level in levels.items():
        assert _normalised(grants[table]) == _normalised(_expected(level)), (principal, table)


def test_only_counters_are_written_in_the_keys_table(synth):
    # GIVEN every statement of every role that may write the keys table
    for policy in synth.resources(SERVICE, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = set(_as_list(statement["Action"]))
            tables = {_table_of(r) for r in _as_list(statement.get("Resource"))}
            if "keys" not in tables or not actions & (WRITES | {"*"}):
                continue
            # THEN it is confined to counter# items: no deployed function can mint a key
            assert "dynamodb:*" not in actions and "*" not in actions
            condition = statement["Condition"]["ForAllValues:StringLike"]
            assert condition == {"dynamodb:LeadingKeys": [access.COUNTER_ITEMS]}


def test_the_authorizer_never_writes_any_table(synth):
    grants = _grants(synth, ROLES["authorizer"])
    assert all(not actions & WRITES for g in grants.values() for actions, _ in g)


@pytest.mark.parametrize("principal", ["analysis", "gpu"])
def test_analysis_reads_galleries_and_tenants_and_touches_no_files_or_webhooks(synth, principal):
    grants = _grants(synth, ROLES[principal])
    assert "files" not in grants and "webhooks" not in grants
    assert all(not actions & WRITES for actions, _ in grants["identities"])
    assert all(not actions & WRITES for actions, _ in grants["keys"])


def test_every_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use(synth):
    topics = [
        t
        for stack in (SERVICE, STORAGE)
        for t in synth.resources(stack, "AWS::SNS::Topic").values()
    ]
    assert topics
    for topic in topics:
        assert "TopicKey" in json.dumps(topic["Properties"]["KmsMasterKeyId"])
    (key,) = synth.resources(SERVICE, "AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    principals = json.dumps(key["Properties"]["KeyPolicy"])
    assert "cloudwatch.amazonaws.com" in principals


def test_gpu_instances_have_no_public_ip_and_no_internet_route(synth):
    (template,) = synth.resources(SERVICE, "AWS::EC2::LaunchTemplate").values()
    data = template["Properties"]["LaunchTemplateData"]
    assert all(n["AssociatePublicIpAddress"] is False for n in data["NetworkInterfaces"])
    assert all(d["Ebs"]["Encrypted"] is True for d in data["BlockDeviceMappings"])
    for kind in ("AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EIP"):
        assert synth.resources(SERVICE, kind) == {}, kind
    routes = synth.resources(SERVICE, "AWS::EC2::Route").values()
    assert all(r["Properties"].get("DestinationCidrBlock") != "0.0.0.0/0" for r in routes)
    subnets = synth.resources(SERVICE, "AWS::EC2::Subnet")
    assert subnets
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets.values())
    (asg,) = synth.resources(SERVICE, "AWS::AutoScaling::AutoScalingGroup").values()
    assert {r["Ref"] for r in asg["Properties"]["VPCZoneIdentifier"]} == set(subnets)


@pytest.mark.parametrize(
    ("service", "kind"),
    [
        ("s3", "Gateway"),
        ("dynamodb", "Gateway"),
        ("ecr.api", "Interface"),
        ("ecr.dkr", "Interface"),
        ("logs", "Interface"),
        ("states", "Interface"),
        ("ecs", "Interface"),
        ("ecs-agent", "Interface"),
    ],
)
def test_gpu_vpc_reaches_aws_through_endpoints(synth, service, kind):
    endpoints = synth.resources(SERVICE, "AWS::EC2::VPCEndpoint").values()
    found = [
        e["Properties"]
        for e in endpoints
        if json.dumps(e["Properties"]["ServiceName"]).endswith(f'".{service}"]]}}')
    ]
    assert len(found) == 1, service
    assert found[0]["VpcEndpointType"] == kind
    if kind == "Interface":
        assert found[0]["PrivateDnsEnabled"] is True
        # One AZ by default (vpc_endpoint_azs): interface endpoints bill per subnet-hour.
        assert len(found[0]["SubnetIds"]) == FramelensProps().vpc_endpoint_azs


def test_api_stage_writes_json_access_logs_to_a_retained_group(synth):
    (stage,) = synth.resources(SERVICE, "AWS::ApiGateway::Stage").values()
    setting = stage["Properties"]["AccessLogSetting"]
    fields = json.loads(setting["Format"])
    assert {"requestId", "status", "ip", "httpMethod", "path", "tenant"} <= set(fields)
    group_id = setting["DestinationArn"]["Fn::GetAtt"][0]
    group = synth.resources(SERVICE, "AWS::Logs::LogGroup")[group_id]
    assert group["Properties"]["RetentionInDays"] == FramelensProps().log_retention_days
    # The account-level role API Gateway needs to write CloudWatch logs at all.
    assert synth.resources(SERVICE, "AWS::ApiGateway::Account")


def _bucket(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"]["FramelensMediaBucket"]["Properties"])


def test_bucket_is_versioned_and_old_versions_expire(synth):
    bucket = _bucket(synth.templates[STORAGE])
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    every = rules["noncurrent-versions"]
    assert "Prefix" not in every
    assert every["NoncurrentVersionExpiration"]["NoncurrentDays"] == 7
    assert every["ExpiredObjectDeleteMarker"] is True
    for prefix in SHORT_NONCURRENT_PREFIXES:  # parts may hold unmatched face embeddings
        rule = rules[f"noncurrent-{prefix.rstrip('/')}"]
        assert rule["Prefix"] == prefix
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1


def test_short_noncurrent_prefixes_are_layout_prefixes():
    from framelens.stores.layout import EXPIRIES

    assert set(SHORT_NONCURRENT_PREFIXES) <= {e.prefix for e in EXPIRIES}


def test_bucket_has_no_cors_by_default(synth):
    assert "CorsConfiguration" not in _bucket(synth.templates[STORAGE])


def _storage_template(context: dict[str, Any]) -> dict[str, Any]:
    import aws_cdk as cdk

    from infra.stacks.storage import StorageStack

    app = cdk.App()
    stack = StorageStack(app, "S", props=FramelensProps.from_context(context))
    return dict(cdk.assertions.Template.from_stack(stack).to_json())


def test_cors_allows_exactly_the_configured_origins():
    # GIVEN a deployment whose browser app lives at one origin
    origins = ["https://app.example.com", "https://admin.example.com"]
    template = _storage_template({"cors_origins": origins})
    # THEN the bucket answers CORS for those origins only, for presigned PUT and GET
    (rule,) = _bucket(template)["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == origins
    assert sorted(rule["AllowedMethods"]) == ["GET", "PUT"]
    assert "*" not in rule["AllowedHeaders"]


def test_a_wildcard_cors_origin_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="list the origins"):
        _storage_template({"cors_origins": ["*"]})


def test_map_runs_a_one_hour_video_in_one_wave(definition):
    # GIVEN Settings' segment length (300 s: 12 segments an hour, a CPU and a GPU item each)
    segments = math.ceil(3600 / Settings().segment_seconds)
    (fan_out,) = [s for s in definition["States"].values() if s["Type"] == "Map"]
    # THEN the Map runs all of them at once
    assert fan_out["MaxConcurrency"] == one_wave_concurrency() == segments * 2 == 24


def test_map_concurrency_stays_configurable():
    props = FramelensProps.from_context({"map_max_concurrency": 4})
    assert props.map_max_concurrency == 4
    assert FramelensProps().map_max_concurrency == one_wave_concurrency(3600, 300)
