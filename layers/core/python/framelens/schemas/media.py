"""Media file records, probes and upload targets."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from framelens.schemas.common import utcnow

__all__ = [
    "FilePublic",
    "FileRecord",
    "MediaProbe",
    "MediaType",
    "UploadRequest",
    "UploadTarget",
]


class MediaType(StrEnum):
    """What a file is, decided from its content, never from its name."""

    image = "image"
    video = "video"
    document = "document"


class MediaProbe(BaseModel):
    """Metadata read by decoding the file's headers (and first frame)."""

    duration_s: float | None = None
    fps: float | None = None
    frames: int | None = None
    width: int | None = None
    height: int | None = None
    codec: str | None = None
    container: str | None = None
    rotation: int = 0
    has_audio: bool = False


class FileRecord(BaseModel):
    """A stored media file. ``url`` is the ``storage://`` URI a job names as its source."""

    file_id: str
    tenant_id: str
    url: str
    media_type: MediaType | None  # None until a presigned upload is completed and checked
    content_type: str
    size: int
    name: str | None = None
    folder: str = Field(
        default="/", description="Folder of the tenant's storage ('/' or '/a/b/'), seed 003."
    )
    number: int | None = Field(
        default=None, description="Seed 003's numeric storage id (per tenant), when it has one."
    )
    probe: MediaProbe = Field(default_factory=MediaProbe)
    blob_key: str
    state: str = "ready"  # "pending" while a presigned upload has not arrived
    time_created: datetime = Field(default_factory=utcnow)
    upload_token_hash: str | None = None  # embedded uploads: sha256 of the one-time PUT token
    upload_expires: datetime | None = None


class FilePublic(BaseModel):
    """What ``POST /v1/media`` returns (201) and ``GET /v1/media/{file_id}`` shows."""

    file_id: str
    url: str = Field(examples=["storage://f_3kq9..."])
    media_type: MediaType | None
    size: int
    name: str | None = None
    content_type: str
    state: str
    probe: MediaProbe
    time_created: datetime

    @classmethod
    def from_record(cls, record: FileRecord) -> FilePublic:
        """The public view of a stored file."""
        return cls(**record.model_dump(include=set(cls.model_fields)))


class UploadRequest(BaseModel):
    """``POST /v1/uploads``: announce a large file before sending its bytes."""

    name: str | None = Field(default=None, max_length=300)
    content_type: str = "application/octet-stream"
    size: int | None = Field(default=None, ge=1)


class UploadTarget(BaseModel):
    """Where a client PUTs a large file; ``complete_url`` turns it into a file record."""

    file_id: str
    method: str = "PUT"
    upload_url: str
    headers: dict[str, str] = Field(default_factory=dict)
    complete_url: str
    expires_in: int
    max_bytes: int
