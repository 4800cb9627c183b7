"""AWS pieces beside the stores: the models-bucket fetcher, the webhook sealing key and API Gateway
usage-plan keys.

Owns: downloading a model file from ``s3://<models_bucket>/models/<file>`` for the registry,
reading the key that seals webhook secrets from Secrets Manager, and registering a Framelens key
with the deployment's usage plan (API Gateway holds the key's SHA-256, never the secret: the
authorizer answers ``usageIdentifierKey`` = that hash).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framelens.errors import ModelMissingError, StoreError
from framelens.stores.layout import MODELS_PREFIX

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from framelens.config import Settings

__all__ = ["MODELS_PREFIX", "models_fetcher", "register_usage_plan_key", "secret_bytes"]


def _client(service: str, settings: Settings, client: Any = None) -> Any:
    if client is not None:
        return client
    import boto3

    return boto3.client(service, endpoint_url=settings.aws_endpoint_url)


def models_fetcher(settings: Settings, client: Any = None) -> Callable[[str, Path], None]:
    """``fetch(file_name, dest)`` copying a model from the models bucket to a local file."""
    from botocore.exceptions import ClientError

    bucket = settings.models_bucket

    def fetch(file_name: str, dest: Path) -> None:
        s3 = _client("s3", settings, client)
        try:
            s3.download_file(bucket, MODELS_PREFIX + file_name, str(dest))
        except ClientError as exc:
            raise ModelMissingError(
                f"model file {file_name} is not in s3://{bucket}/{MODELS_PREFIX}; "
                "upload it there or bake it into the image with `framelens models pull`"
            ) from exc

    return fetch


def secret_bytes(settings: Settings, secret_id: str, client: Any = None) -> bytes:
    """The value of the Secrets Manager secret ``secret_id`` (an ARN or name), as bytes.

    Raises:
        StoreError: it cannot be read (missing, or no ``secretsmanager:GetSecretValue``).
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        out = _client("secretsmanager", settings, client).get_secret_value(SecretId=secret_id)
    except (ClientError, BotoCoreError) as exc:
        raise StoreError("the webhook sealing key cannot be read from Secrets Manager") from exc
    return str(out["SecretString"]).encode()


def register_usage_plan_key(
    settings: Settings, key_id: str, key_hash: str, tenant_id: str, client: Any = None
) -> str:
    """Create the API Gateway API key for a Framelens key and attach it to the usage plan.

    Returns:
        The API Gateway key id.

    Raises:
        StoreError: no usage plan is configured, or API Gateway refused.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    if not settings.usage_plan_id:
        raise StoreError("FRAMELENS_USAGE_PLAN_ID is not set (the stack outputs UsagePlanId)")
    apigw = _client("apigateway", settings, client)
    try:
        created = apigw.create_api_key(
            name=f"framelens-{key_id}",
            description=f"tenant {tenant_id}",
            enabled=True,
            value=key_hash,
        )
        apigw.create_usage_plan_key(
            usagePlanId=settings.usage_plan_id, keyId=created["id"], keyType="API_KEY"
        )
    except (ClientError, BotoCoreError) as exc:
        raise StoreError(f"API Gateway refused the usage-plan key: {exc}") from exc
    api_key_id: str = created["id"]
    return api_key_id
