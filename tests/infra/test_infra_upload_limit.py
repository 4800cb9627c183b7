"""Direct uploads too large for Lambda: a clean 413 from the optional WAF rule, else documented.

With ``upload_limit_waf`` the synthesized service stack carries a regional web ACL on the API's
stage whose only rule answers 413 (seed 000's ``{"detail"}`` body, naming ``POST /v1/uploads``)
to a ``Content-Length`` over what Lambda's invoke payload can carry; off by default (no ACL).
"""

from __future__ import annotations

import base64
import json
import re

import pytest

from infra.constructs.upload_limit import MAX_BODY_BYTES, over_regex

INVOKE_PAYLOAD = 6 * 1024 * 1024


@pytest.fixture(scope="module")
def waf_template(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk-waf")
    context = {"framelens": {"upload_limit_waf": True}}
    assembly = build_app(outdir=str(outdir), context=context, bundle=False).synth()
    return dict(assembly.get_stack_by_name("FramelensService").template)


def _resources(template: dict, kind: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


@pytest.mark.parametrize("value", ["0", "1", "4400000", str(MAX_BODY_BYTES), "999999", "0000001"])
def test_the_rule_lets_bodies_that_fit_lambda_through(value):
    assert not re.match(over_regex(MAX_BODY_BYTES), value)


@pytest.mark.parametrize(
    "value", [str(MAX_BODY_BYTES + 1), "4500000", "5000000", "9999999", "10485760", "99999999"]
)
def test_the_rule_matches_every_body_over_the_limit(value):
    assert re.match(over_regex(MAX_BODY_BYTES), value)


def test_every_length_around_the_limit_is_judged_numerically():
    pattern = re.compile(over_regex(MAX_BODY_BYTES))
    for n in range(MAX_BODY_BYTES - 20_000, MAX_BODY_BYTES + 20_000, 7):
        assert bool(pattern.match(str(n))) == (n > MAX_BODY_BYTES), n


def test_a_body_at_the_limit_still_fits_lambdas_invoke_payload():
    # base64 of the body plus the event's headers and JSON (generously 300 KB)
    assert len(base64.b64encode(b"\0" * MAX_BODY_BYTES)) + 300 * 1024 <= INVOKE_PAYLOAD


def test_waf_answers_413_naming_uploads_on_the_api_stage(waf_template):
    # GIVEN the service stack synthesized with upload_limit_waf
    (acl,) = _resources(waf_template, "AWS::WAFv2::WebACL").values()
    props = acl["Properties"]
    # THEN one regional ACL allows by default and blocks large Content-Length with a 413
    assert props["Scope"] == "REGIONAL" and "Allow" in props["DefaultAction"]
    (rule,) = props["Rules"]
    match = rule["Statement"]["RegexMatchStatement"]
    assert match["FieldToMatch"] == {"SingleHeader": {"Name": "content-length"}}
    assert match["RegexString"] == over_regex(MAX_BODY_BYTES)
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 413
    body = props["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert body["ContentType"] == "APPLICATION_JSON"
    assert "POST /v1/uploads" in json.loads(body["Content"])["detail"]
    # AND it is associated with the REST API's stage
    (association,) = _resources(waf_template, "AWS::WAFv2::WebACLAssociation").values()
    arn = json.dumps(association["Properties"]["ResourceArn"])
    (stage_id,) = _resources(waf_template, "AWS::ApiGateway::Stage")
    assert stage_id in arn and "/stages/" in arn


def test_no_web_acl_unless_asked(service_template):
    assert not service_template.find_resources("AWS::WAFv2::WebACL")


def test_every_job_view_renderer_knows_the_stages_public_url(service_template):
    # The API, ingest, JobEvents and pipeline functions and the GPU worker render job views and
    # webhook bodies: each gets FRAMELENS_PUBLIC_BASE_URL = https://<api id>.execute-api.../v1.
    (api_id,) = service_template.find_resources("AWS::ApiGateway::RestApi")
    functions = service_template.find_resources("AWS::Lambda::Function")
    given = {
        logical
        for logical, fn in functions.items()
        if "FRAMELENS_PUBLIC_BASE_URL"
        in fn["Properties"].get("Environment", {}).get("Variables", {})
    }
    for prefix in ("ApiFunction", "IngestFunction", "JobEventsFunction", "PipelineControl",
                   "PipelineInference"):  # fmt: skip
        assert any(name.startswith(prefix) for name in given), (prefix, sorted(given))
    for logical in given:
        url = functions[logical]["Properties"]["Environment"]["Variables"][
            "FRAMELENS_PUBLIC_BASE_URL"
        ]
        text = json.dumps(url)
        assert api_id in text and text.endswith('"/v1"]]}'), text
    (task,) = service_template.find_resources("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    names = {e["Name"] for e in container["Environment"]}
    assert "FRAMELENS_PUBLIC_BASE_URL" in names
