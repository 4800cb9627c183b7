"""The customer-managed KMS key of the service stack's SNS topics (alarms, the GPU drain hook).

Owns: the key, its rotation and the one key-policy statement CloudWatch needs. Why not the
AWS-managed ``alias/aws/sns`` key: its policy cannot be changed, and CloudWatch alarms cannot
publish to a topic encrypted with it. The drain hook's role gets its grant from CDK (the
capacity provider's ``topic_encryption_key``).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


class TopicKey(Construct):
    """One key for every topic of the stack.

    Attributes:
        key: The KMS key (rotated yearly).
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Framelens SNS topics (alarms, GPU drain hook)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # CloudWatch alarms publish to the encrypted alarm topic.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],
            )
        )
