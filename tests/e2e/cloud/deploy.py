"""Deploying the synthesized templates into moto, and the ``mock_aws`` scope they live in.

Owns: turning the session's synthesized templates (``tests/cdk_synth.py``'s ``synth``) into moto
resources — tables from ``table_specs``, the media bucket and its S3 → ingest notification, one
moto Lambda function per template function (same logical names, template environment), the GPU
cluster, capacity provider, task definition and a registered container instance (EC2 launch type
needs one) — and the template's own state machine definition, its intrinsics resolved to those
resources, for moto's Step Functions interpreter to execute (``deployed``).
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tests.e2e.cloud.env import CloudEnv
from tests.e2e.cloud.handlers import FUNCTION_CODE, reset_handler_caches
from tests.e2e.cloud.moto_patches import activate, install_patches, size_like_a_gpu_instance
from tests.e2e.cloud.resolve import ACCOUNT, REGION, SERVICE, STORAGE, Refs, camel_keys, resolve

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.cdk_synth import Synth


def deploy(synth: Synth, setenv: Callable[[str, str], None]) -> CloudEnv:
    """Create every resource the templates need in moto (``mock_aws`` must be active)."""
    import boto3

    from framelens.config import Settings
    from framelens.stores.aws import table_specs

    install_patches()
    storage = synth.templates[STORAGE]
    service = synth.templates[SERVICE]
    suffix = uuid.uuid4().hex[:8]
    refs = Refs(
        {
            "AWS::Partition": "aws",
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::URLSuffix": "amazonaws.com",
        }
    )

    # Storage: the stack's outputs say which logical table is which setting.
    outputs = storage["Outputs"]
    role_of = {
        outputs["JobsTableName"]["Value"]["Ref"]: "jobs_table",
        outputs["FilesTableName"]["Value"]["Ref"]: "files_table",
        outputs["KeysTableName"]["Value"]["Ref"]: "keys_table",
        outputs["IdentitiesTableName"]["Value"]["Ref"]: "identities_table",
        outputs["WebhooksTableName"]["Value"]["Ref"]: "webhooks_table",
        outputs["MediaBucketName"]["Value"]["Ref"]: "media_bucket",
    }
    names: dict[str, str] = {}
    for logical, setting in role_of.items():
        physical = f"{STORAGE}-{logical}-{suffix}"
        if setting == "media_bucket":
            physical = physical.lower()
            arn = f"arn:aws:s3:::{physical}"
        else:
            arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{physical}"
        names[setting] = physical
        refs[logical] = physical
        refs[f"{logical}.Arn"] = arn
    names["bucket"] = names["media_bucket"]
    # The REST API is not created in moto; its id is the one the proxy events name (apiId).
    for logical, resource in service["Resources"].items():
        if resource["Type"] == "AWS::ApiGateway::RestApi":
            refs[logical] = "abc123"
    # Secrets (the webhook sealing key): created with a generated value, referenced by ARN.
    secrets = boto3.client("secretsmanager", region_name=REGION)
    for logical, resource in storage["Resources"].items():
        if resource["Type"] == "AWS::SecretsManager::Secret":
            refs[logical] = secrets.create_secret(
                Name=f"{STORAGE}-{logical}-{suffix}", SecretString=uuid.uuid4().hex * 2
            )["ARN"]
    for output in outputs.values():
        if "Export" in output:
            refs[f"import:{output['Export']['Name']}"] = resolve(output["Value"], refs)

    settings = Settings(
        backend="aws",
        jobs_table=names["jobs_table"],
        files_table=names["files_table"],
        keys_table=names["keys_table"],
        identities_table=names["identities_table"],
        webhooks_table=names["webhooks_table"],
        media_bucket=names["media_bucket"],
    )
    ddb = boto3.client("dynamodb", region_name=REGION)
    for spec in table_specs(settings):
        ddb.create_table(**spec["create_table"])
        if spec.get("ttl_attribute"):
            ddb.update_time_to_live(
                TableName=spec["create_table"]["TableName"],
                TimeToLiveSpecification={
                    "Enabled": True,
                    "AttributeName": spec["ttl_attribute"],
                },
            )
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=names["media_bucket"])

    # The state machine's ARN is known before it exists (functions' environment names it).
    resources = service["Resources"]
    (machine_id,) = [
        k for k, v in resources.items() if v["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    machine_name = f"{machine_id}-{suffix}"
    state_machine_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine_name}"
    refs[machine_id] = state_machine_arn

    iam = boto3.client("iam", region_name=REGION)
    role_arn = iam.create_role(
        RoleName=f"framelens-{suffix}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]

    # Lambda: one moto function per template function we have code for.
    awslambda = boto3.client("lambda", region_name=REGION)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    function_env: dict[str, dict[str, str]] = {}
    function_handlers: dict[str, str] = {}
    for logical, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        code = next((c for p, c in FUNCTION_CODE.items() if logical.startswith(p)), None)
        if code is None:
            continue  # CDK's helpers (bucket notifications, ASG drain hook)
        env = resolve(resource["Properties"].get("Environment", {}).get("Variables", {}), refs)
        arn = awslambda.create_function(
            FunctionName=logical,
            Runtime="python3.11",
            Role=role_arn,
            Handler="handler.handler",
            Code={"ZipFile": buffer.getvalue()},
            Environment={"Variables": env},
            Timeout=int(resource["Properties"].get("Timeout", 30)),
        )["FunctionArn"]
        refs[f"{logical}.Arn"] = arn
        refs[logical] = logical
        function_env[logical] = env
        function_handlers[logical] = code

    # The uploads/ notification, exactly as the template configures it.
    for resource in resources.values():
        if resource["Type"] == "Custom::S3BucketNotifications":
            config = resolve(resource["Properties"]["NotificationConfiguration"], refs)
            s3.put_bucket_notification_configuration(
                Bucket=resolve(resource["Properties"]["BucketName"], refs),
                NotificationConfiguration=config,
            )

    # ECS: cluster, capacity provider, task definition, one registered GPU instance.
    ecs = boto3.client("ecs", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    task_environment: dict[str, str] = {}
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::ECS::Cluster":
            arn = ecs.create_cluster(clusterName=logical)["cluster"]["clusterArn"]
            refs[logical], refs[f"{logical}.Arn"] = logical, arn
            instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
            instance_id = instance["Instances"][0]["InstanceId"]
            registered = ecs.register_container_instance(
                cluster=logical,
                instanceIdentityDocument=json.dumps({"instanceId": instance_id}),
            )["containerInstance"]["containerInstanceArn"]
            size_like_a_gpu_instance(logical, registered)
        elif resource["Type"] == "AWS::ECS::CapacityProvider":
            refs[logical] = logical
            ecs.create_capacity_provider(
                name=logical,
                autoScalingGroupProvider={
                    "autoScalingGroupArn": f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:"
                    f"autoScalingGroup:{suffix}:autoScalingGroupName/gpu"
                },
            )
    for resource in resources.values():
        if resource["Type"] != "AWS::ECS::TaskDefinition":
            continue
        props = resource["Properties"]
        containers = []
        for definition in props["ContainerDefinitions"]:
            env = {e["Name"]: resolve(e["Value"], refs) for e in definition.get("Environment", [])}
            task_environment.update(env)
            containers.append(
                {
                    "name": definition["Name"],
                    "image": resolve(definition["Image"], refs),
                    "essential": definition.get("Essential", True),
                    "cpu": definition.get("Cpu", 0),
                    "memoryReservation": definition.get("MemoryReservation", 512),
                    "environment": [{"name": k, "value": v} for k, v in env.items()],
                    "resourceRequirements": camel_keys(definition.get("ResourceRequirements", [])),
                }
            )
        # moto insists on a hard memory limit for EC2 tasks where AWS accepts a container's
        # memoryReservation alone: give the task level the reservations' sum.
        memory = props.get("Memory") or sum(c["memoryReservation"] for c in containers)
        ecs.register_task_definition(
            family=props["Family"],
            containerDefinitions=containers,
            requiresCompatibilities=props.get("RequiresCompatibilities", ["EC2"]),
            memory=str(memory),
        )

    # The state machine: the template's definition, intrinsics resolved.
    machine = resources[machine_id]["Properties"]
    definition_string = resolve(machine["DefinitionString"], refs)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sfn.create_state_machine(
        name=machine_name, definition=definition_string, roleArn=role_arn, type="STANDARD"
    )

    # The handlers run in this process: it gets the functions' (identical) settings.
    for env in function_env.values():
        for key, value in env.items():
            if key.startswith("FRAMELENS_") and key != "FRAMELENS_MODELS_BUCKET":
                setenv(key, value)
    reset_handler_caches()
    env = CloudEnv(
        synth=synth,
        names=names,
        refs=refs,
        function_env=function_env,
        function_handlers=function_handlers,
        definition=json.loads(definition_string),
        state_machine_arn=state_machine_arn,
        task_environment=task_environment,
    )
    activate(env)
    return env


@contextmanager
def deployed(synth: Synth, setenv: Callable[[str, str], None]) -> Iterator[CloudEnv]:
    """``mock_aws`` with Step Functions execution on, and the stacks deployed into it."""
    from moto import mock_aws

    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Framelens",
        "FRAMELENS_WEBHOOK_BACKOFF_S": "0.02",
        "FRAMELENS_WEBHOOK_MAX_ATTEMPTS": "2",
        # In-process moto has no HTTP endpoint FFmpeg could read a presigned URL from: segments
        # are downloaded here. The ranged path runs on a moto server in
        # tests/e2e/test_cloud_segment_reads.py and in the artifact tests.
        "FRAMELENS_SEGMENT_RANGED_READS": "false",
    }.items():
        setenv(key, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        env = deploy(synth, setenv)
        try:
            yield env
        finally:
            env.close()
