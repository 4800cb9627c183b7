"""VPC endpoints for the GPU instances, which have no public IP and no route to the internet.

Owns: which AWS services the GPU hosts and the worker reach, and how. Gateway endpoints (free)
for S3 (media, models, the image layers ECR stores in S3) and DynamoDB (jobs, tenants,
galleries); interface endpoints for ECR (``ecr.api``, ``ecr.dkr``: pulling the worker image),
CloudWatch Logs (the task's ``awslogs`` driver), Step Functions (``states``: the pipeline's API,
for anything the worker or an operator on the host asks of it) and ECS (``ecs``, ``ecs-agent``,
``ecs-telemetry``: without them the ECS agent cannot register the instance, so no task would
ever be placed).

Cost: gateway endpoints are free; an interface endpoint bills per hour per subnet it is in
(about $0.01/h in us-east-1). They sit in ``vpc_endpoint_azs`` subnets (1 by default: an
instance in the other AZ reaches them across AZs), so 7 endpoints × 1 AZ ≈ $51 a month at rest,
versus a NAT gateway's ≈ $33 a month per AZ *plus* $0.045 per GB of every image pull and media
download. The privacy gain (no internet path from the hosts that hold faces) is the reason.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2

GATEWAY_SERVICES = {
    "S3": ec2.GatewayVpcEndpointAwsService.S3,
    "DynamoDb": ec2.GatewayVpcEndpointAwsService.DYNAMODB,
}
INTERFACE_SERVICES = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "StepFunctions": ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
    "Ecs": ec2.InterfaceVpcEndpointAwsService.ECS,
    "EcsAgent": ec2.InterfaceVpcEndpointAwsService.ECS_AGENT,
    "EcsTelemetry": ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY,
}


def add_endpoints(vpc: ec2.Vpc, azs: int) -> dict[str, ec2.IVpcEndpoint]:
    """Add every endpoint to ``vpc``; interface endpoints in its first ``azs`` isolated subnets.

    Returns:
        The endpoints by construct id.
    """
    if azs < 1:
        raise ValueError(f"vpc_endpoint_azs={azs}: interface endpoints need at least one AZ")
    isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    endpoints: dict[str, ec2.IVpcEndpoint] = {}
    for name, gateway in GATEWAY_SERVICES.items():
        endpoints[name] = vpc.add_gateway_endpoint(name, service=gateway, subnets=[isolated])
    subnets = ec2.SubnetSelection(subnets=vpc.isolated_subnets[:azs])
    for name, service in INTERFACE_SERVICES.items():
        # Private DNS: the SDKs' default endpoints resolve to the endpoint inside the VPC.
        endpoints[name] = vpc.add_interface_endpoint(
            name, service=service, subnets=subnets, private_dns_enabled=True
        )
    return endpoints
