"""A clean 413 for direct uploads too large for Lambda: an optional WAF web ACL on the API stage.

Owns: the web ACL (``framelens`` context ``upload_limit_waf: true``) whose one rule answers
413 with seed 000's error body to any request whose ``Content-Length`` is over
``max_body_bytes``, before API Gateway invokes anything, and the regular expression that
compares a decimal header value with that number (WAF has no numeric comparison on a header's
value: a size constraint on a header measures its *length*). Does not own the API's own 413
(``FRAMELENS_MAX_UPLOAD_BYTES``, answered by the function for bodies that reach it).

Why: API Gateway accepts 10 MB, Lambda's invoke payload is 6 MB (the body travels base64, 4/3
larger), so a body of about 4.5 to 10 MB reaches neither our code nor the REQUEST_TOO_LARGE
gateway response: the client gets whatever API Gateway makes of Lambda's refusal (see README).
The rule moves that band to a clean, documented 413. A request without ``Content-Length``
(chunked) is not matched; API Gateway buffers it and the band's behaviour applies.
"""

from __future__ import annotations

import json

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

# Base64 of this many body bytes plus the event's headers and JSON still fit Lambda's 6 MB
# (6,291,456 B) invoke payload: 4,465,536 * 4/3 = 5,954,048, leaving 330 KB for the rest.
# Bodies up to here reach the function, which answers its own 413 over its file limit.
MAX_BODY_BYTES = 4_400_000 + 64 * 1024
RESPONSE_BODY_KEY = "upload-too-large"
MESSAGE = (
    "Request body over {limit} bytes: upload large files with POST /v1/uploads "
    "(a presigned S3 PUT), then POST its complete_url"
)


def over_regex(limit: int) -> str:
    """An anchored regular expression matching the decimal integers greater than ``limit``.

    Examples:
        >>> import re
        >>> pattern = re.compile(over_regex(4_465_536))
        >>> [bool(pattern.match(s)) for s in ("4465536", "4465537", "999", "10000000")]
        [False, True, False, True]
    """
    digits = str(limit)
    # Any number with more digits (no leading zeros in a Content-Length).
    branches = [rf"[1-9]\d{{{len(digits)},}}"]
    for i, digit in enumerate(digits):
        if digit == "9":
            continue
        rest = len(digits) - i - 1
        tail = rf"\d{{{rest}}}" if rest else ""
        branches.append(f"{digits[:i]}[{int(digit) + 1}-9]{tail}")
    return "^(?:" + "|".join(branches) + ")$"


class UploadLimit(Construct):
    """The web ACL and its association with ``stage``.

    Attributes:
        web_acl: The regional web ACL (default: allow; one blocking rule).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, stage: apigw.Stage, max_body_bytes: int
    ) -> None:
        super().__init__(scope, construct_id)
        body = json.dumps({"detail": MESSAGE.format(limit=max_body_bytes)})
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            custom_response_bodies={
                RESPONSE_BODY_KEY: wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=body
                )
            },
            visibility_config=_visibility("FramelensApi"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="DirectUploadTooLarge",
                    priority=0,
                    statement=wafv2.CfnWebACL.StatementProperty(
                        regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
                            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                                single_header={"Name": "content-length"}
                            ),
                            regex_string=over_regex(max_body_bytes),
                            text_transformations=[
                                wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                            ],
                        )
                    ),
                    action=wafv2.CfnWebACL.RuleActionProperty(
                        block=wafv2.CfnWebACL.BlockActionProperty(
                            custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                                response_code=413, custom_response_body_key=RESPONSE_BODY_KEY
                            )
                        )
                    ),
                    visibility_config=_visibility("DirectUploadTooLarge"),
                )
            ],
        )
        wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=False
    )
