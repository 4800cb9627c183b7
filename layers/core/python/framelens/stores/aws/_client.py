"""boto3 clients created lazily and once, and the translation of botocore errors.

Owns: the one place the aws adapter builds SDK clients (honouring ``AWS_ENDPOINT_URL`` for
LocalStack or moto) and maps ``ClientError`` codes to Framelens errors. Does not own any table
or bucket logic.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from framelens.errors import ConflictError, NotFoundError, StoreError, ValidationError

if TYPE_CHECKING:
    import boto3

__all__ = [
    "AwsClients",
    "decode_cursor",
    "encode_cursor",
    "iso",
    "num",
    "scan_all",
    "translate",
]

_CONFLICT = {"ConditionalCheckFailedException", "TransactionCanceledException"}
_MISSING = {"NoSuchKey", "404", "NotFound", "NoSuchBucket"}


class AwsClients:
    """DynamoDB and S3 clients, built on first use and shared by every aws store.

    Args:
        session: A ``boto3.session.Session``; a default one is created when omitted.
        endpoint_url: ``AWS_ENDPOINT_URL`` (LocalStack, moto server) or ``None`` for AWS.
        dynamodb: An injected DynamoDB client (tests); built from ``session`` otherwise.
        s3: An injected S3 client (tests); built from ``session`` otherwise.
    """

    def __init__(
        self,
        session: boto3.session.Session | None = None,
        *,
        endpoint_url: str | None = None,
        dynamodb: Any = None,
        s3: Any = None,
    ) -> None:
        self._session = session
        self._endpoint_url = endpoint_url
        self._dynamodb = dynamodb
        self._s3 = s3
        # boto3 sessions are not thread-safe: build clients under a lock, then share them
        # (clients are thread-safe).
        self._lock = threading.Lock()

    def _client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        if self._session is None:
            self._session = boto3.session.Session()
        config = Config(retries={"mode": "standard"}, max_pool_connections=50)
        if service == "s3":
            # Presigned URLs (uploads, media redirects) must be SigV4: boto3 still presigns S3
            # with SigV2 unless told otherwise, which S3 refuses for buckets made since 2020.
            config = config.merge(Config(signature_version="s3v4"))
        return self._session.client(service, endpoint_url=self._endpoint_url, config=config)

    @property
    def dynamodb(self) -> Any:
        """The DynamoDB client."""
        if self._dynamodb is None:
            with self._lock:
                if self._dynamodb is None:
                    self._dynamodb = self._client("dynamodb")
        return self._dynamodb

    @property
    def s3(self) -> Any:
        """The S3 client."""
        if self._s3 is None:
            with self._lock:
                if self._s3 is None:
                    self._s3 = self._client("s3")
        return self._s3


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ``ClientError``."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: ClientError | BotoCoreError, what: str) -> NoReturn:
    """Raise the Framelens error for a botocore error about ``what``, chaining the cause.

    Raises:
        ConflictError: A conditional write lost.
        NotFoundError: The object or item does not exist.
        ValidationError: A byte range starts past the end of the object.
        StoreError: Anything else (throttling after retries, missing tables, network).
    """
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in _CONFLICT:
            raise ConflictError(f"{what} changed concurrently; re-read and retry.") from exc
        if code in _MISSING:
            raise NotFoundError(f"{what} not found.") from exc
        if code == "InvalidRange":
            raise ValidationError(f"The byte range is not satisfiable for {what}.") from exc
        raise StoreError(f"Storage failed for {what} ({code}).") from exc
    raise StoreError(f"Storage is unreachable for {what}.") from exc


def scan_all(dynamodb: Any, what: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item a ``Scan`` with ``kwargs`` returns, following ``LastEvaluatedKey`` pages.

    Raises:
        StoreError (or another translated error) naming ``what``.
    """
    items: list[dict[str, Any]] = []
    try:
        while True:
            out = dynamodb.scan(**kwargs)
            items += out.get("Items", [])
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    except (ClientError, BotoCoreError) as exc:
        translate(exc, what)


def num(value: float) -> str:
    """A number in DynamoDB's wire format (no float artefacts such as ``1e-05``)."""
    return format(Decimal(repr(float(value))), "f")


def encode_cursor(key: dict[str, str]) -> str:
    """An opaque page cursor from a DynamoDB ``ExclusiveStartKey`` of string attributes."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, expected: set[str]) -> dict[str, str]:
    """The key a cursor carries. Raises ``ValidationError`` for a malformed cursor."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise ValidationError("The cursor is not valid; pass back a next_cursor value.") from exc
    if not isinstance(key, dict) or set(key) != expected:
        raise ValidationError("The cursor is not valid; pass back a next_cursor value.")
    if not all(isinstance(v, str) for v in key.values()):
        raise ValidationError("The cursor is not valid; pass back a next_cursor value.")
    return key


def iso(dt: datetime) -> str:
    """A fixed-width UTC timestamp whose string order is its time order (naive means UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
