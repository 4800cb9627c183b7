"""GPU compute: an ECS cluster on EC2 GPU instances that scales from zero, and the worker task.

Owns: the VPC (private isolated subnets: no public IPs, no internet route, no NAT gateway to pay
for at rest; AWS services through VPC endpoints, ``endpoints.py``), the auto-scaling group
with the ECS GPU-optimised AMI, its capacity provider, and the task definition of
``containers/gpu-worker`` with a GPU requirement. Fargate has no GPUs, hence EC2.
Does not own when tasks run (the state machine's ``RunTask.sync``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import IgnoreMode, RemovalPolicy
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.access import grant_tables
from infra.constructs.common import REPO_ROOT, FramelensProps, powertools_env
from infra.constructs.endpoints import add_endpoints

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms

    from infra.constructs.storage import Storage

WORKER_CONTAINER = "worker"
ROOT_DEVICE = "/dev/xvda"  # the root device of Amazon Linux 2023 AMIs
ROOT_VOLUME_GIB = 100
# The Docker build context is the repository root (the image installs the library); only
# what the Dockerfiles COPY is sent, so the asset hash ignores unrelated changes.
IMAGE_CONTEXT_INCLUDES = [
    "pyproject.toml",
    "README.md",
    "layers/core/python/framelens",
    "functions/pipeline",
    "functions/render",
    "containers",
]


def image_excludes() -> list[str]:
    """Docker-ignore patterns that keep only ``IMAGE_CONTEXT_INCLUDES`` (plus caches out)."""
    return [
        "*",
        *(f"!{path}" for path in IMAGE_CONTEXT_INCLUDES),
        "**/__pycache__",
        "**/*.egg-info",
    ]


class GpuCompute(Construct):
    """The GPU cluster and the worker task definition.

    Attributes:
        cluster: The ECS cluster.
        capacity_provider: The GPU auto-scaling capacity provider (scales 0..max).
        task_definition: The worker task (one GPU).
        worker_container: Its container (the stack adds the public base URL to it).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        props: FramelensProps,
        environment: dict[str, str],
        topic_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            # No route to the internet at all: AWS services are reached through endpoints.
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED
                )
            ],
        )
        self.endpoints = add_endpoints(vpc, props.vpc_endpoint_azs)
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        security_group = ec2.SecurityGroup(
            self, "WorkerSecurityGroup", vpc=vpc, allow_all_outbound=True
        )
        launch_template = ec2.LaunchTemplate(
            self,
            "GpuLaunchTemplate",
            instance_type=ec2.InstanceType(props.gpu_instance_type),
            # The ECS GPU-optimised Amazon Linux 2023 AMI (NVIDIA driver, container toolkit).
            machine_image=ecs.EcsOptimizedImage.amazon_linux2023(ecs.AmiHardwareType.GPU),
            # Room for the multi-GB worker image and the media a task downloads, encrypted.
            block_devices=[
                ec2.BlockDevice(
                    device_name=ROOT_DEVICE,
                    volume=ec2.BlockDeviceVolume.ebs(
                        ROOT_VOLUME_GIB,
                        encrypted=True,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
            security_group=security_group,
            user_data=ec2.UserData.for_linux(),
            # The ECS agent's role; CDK adds the ECS container-instance permissions to it.
            role=iam.Role(
                self, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com")
            ),
            require_imdsv2=True,
            associate_public_ip_address=False,
        )
        asg = autoscaling.AutoScalingGroup(
            self,
            "GpuAsg",
            vpc=vpc,
            launch_template=launch_template,
            min_capacity=0,
            max_capacity=props.gpu_max_instances,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        )
        self.capacity_provider = ecs.AsgCapacityProvider(
            self,
            "GpuCapacityProvider",
            auto_scaling_group=asg,
            # Scale-in never terminates an instance that still runs a worker task.
            enable_managed_termination_protection=True,
            # The drain hook's lifecycle topic, encrypted like the alarm topic.
            topic_encryption_key=topic_key,
        )
        self.cluster.add_asg_capacity_provider(self.capacity_provider)

        self.task_definition = ecs.Ec2TaskDefinition(self, "WorkerTask")
        log_group = logs.LogGroup(
            self,
            "WorkerLogs",
            retention=props.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.worker_container = self.task_definition.add_container(
            WORKER_CONTAINER,
            image=ecs.ContainerImage.from_asset(
                str(REPO_ROOT),
                file="containers/gpu-worker/Dockerfile",
                exclude=image_excludes(),
                ignore_mode=IgnoreMode.DOCKER,
            ),
            gpu_count=1,
            memory_reservation_mib=12_288,
            cpu=2048,
            logging=ecs.LogDrivers.aws_logs(stream_prefix="gpu-worker", log_group=log_group),
            environment={
                **powertools_env("framelens-gpu-worker", xray_sdk_tracing=props.xray_sdk_tracing),
                **environment,
            },
        )
        storage.bucket.grant_read_write(self.task_definition.task_role)
        # The same work as the inference function: progress, tenants, galleries read-only.
        grant_tables(storage, self.task_definition.task_role, "analysis")
        self.security_group = security_group
        self.vpc = vpc
