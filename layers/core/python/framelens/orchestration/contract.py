"""The pipeline contract: what a stage may use, and the typed payloads stages pass each other.

Owns: ``PipelineDeps`` (the narrow protocol of services a stage function gets — the composition
root's ``Services`` satisfies it, so nothing here imports ``runtime``), ``PipelineConfig`` (the
settings stages read) and the payload models that cross Step Functions states: ``JobRef``,
``Planned``, ``WorkItem``, ``PartRef``, ``Failure``, and the blobs between them (``Probed``,
``PartManifest``). Does not own: the stage list (``stages``) or what stages do (``steps``).

State stays small and constant whatever the job's size: the probe output and the work items
live in the bucket, the fan-out (a Distributed Map in AWS) reads its items from there
(``Planned.items_key``) and each item writes its manifest to its own ``result_key``, so the
aggregate stage needs nothing but ``Planned``. The same models are read by the local runner, the
pipeline Lambda, the GPU worker and the CDK construct (``infra/constructs/pipeline.py`` names
the item list through ``FAN_OUT_ITEMS``), so the payload shape is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, Field, TypeAdapter

from framelens.schemas import MediaProbe

if TYPE_CHECKING:
    from framelens.auth import Quotas
    from framelens.config import Settings
    from framelens.jobs.deliveries import DeliveryService
    from framelens.jobs.latency import LatencyStats
    from framelens.jobs.service import JobService
    from framelens.models.provider import ModelProvider
    from framelens.stores import Stores

__all__ = [
    "FAN_OUT_ITEMS",
    "Failure",
    "JobRef",
    "PartManifest",
    "PartRef",
    "PipelineConfig",
    "PipelineDeps",
    "Planned",
    "Probed",
    "SourceInfo",
    "WorkItem",
    "WorkItems",
    "gpu_task_item",
]

FAN_OUT_ITEMS = "items_key"  # the field of ``Planned``: the blob key of the JSON item array


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """The settings stage functions read (a stage never sees the whole ``Settings``); built
    from it by ``from_settings``, so defaults live only in ``Settings``."""

    backend: str
    media_bucket: str
    segment_seconds: float
    segment_ranged_reads: bool
    max_image_pixels: int
    max_video_seconds: float
    fetch_max_bytes: int
    fetch_timeout_s: float
    fetch_max_redirects: int
    allow_private_network: bool
    public_base_url: str
    local_source_roots: str

    @classmethod
    def from_settings(cls, settings: Settings) -> PipelineConfig:
        """The pipeline's view of ``settings``."""
        return cls(**{name: getattr(settings, name) for name in cls.__slots__})


class PipelineDeps(Protocol):
    """What a stage function may use (the composition root's services satisfy it)."""

    @property
    def pipeline_config(self) -> PipelineConfig:
        """Settings of the pipeline."""
        ...

    @property
    def stores(self) -> Stores:
        """The store adapters."""
        ...

    @property
    def jobs(self) -> JobService:
        """Job lifecycle."""
        ...

    @property
    def quotas(self) -> Quotas:
        """Per-tenant usage."""
        ...

    @property
    def latency(self) -> LatencyStats:
        """Observed processing latency."""
        ...

    @property
    def models(self) -> ModelProvider:
        """Models for the analyzers (opened on first use)."""
        ...

    @property
    def deliveries(self) -> DeliveryService:
        """The webhook delivery queue (the notify stage only records; it never sends)."""
        ...


class JobRef(BaseModel):
    """A stage's input or output that only names the job."""

    job_id: str


class SourceInfo(BaseModel):
    """One source of a job, resolved to a blob and probed."""

    index: int
    uri: str
    blob_key: str
    media_type: Literal["image", "video", "document"]
    probe: MediaProbe
    fetched: bool = Field(default=False, description="A copy made for this job (deleted at end).")


class Probed(JobRef):
    """The probe stage's output."""

    sources: list[SourceInfo]


class WorkItem(JobRef):
    """One unit of the fan-out: some modules over one segment of one source."""

    source_index: int
    segment: tuple[float, float | None] = Field(description="[start, end) seconds; end None = open")
    modules: list[str]
    runtime: Literal["cpu", "gpu"]
    result_key: str | None = Field(
        default=None, description="Where to leave the manifest (the plan stage names it)."
    )


def gpu_task_item(raw: str | None) -> WorkItem:
    """The work item a GPU task receives as JSON (``FRAMELENS_TASK_INPUT``).

    Raises:
        ValueError: missing, not a work item, or without the ``result_key`` it must write.
    """
    if not raw:
        raise ValueError("no task input: the state machine passes the work item as JSON")
    item = WorkItem.model_validate_json(raw)  # pydantic's ValidationError is a ValueError
    if not item.result_key:
        raise ValueError("the work item has no result_key to leave its manifest at")
    return item


WorkItems = TypeAdapter(list[WorkItem])  # the JSON array the plan stage stores


class Planned(JobRef):
    """The plan stage's output: where the work items are, how many, and the time budget."""

    items_key: str
    count: int
    deadline_s: int | None = None


class PartRef(BaseModel):
    """A work item's output: the blob key of its part manifest."""

    key: str


class Failure(JobRef):
    """The failure path's input: a Step Functions error ``{"Error", "Cause"}`` or a job error."""

    error: dict[str, Any] = Field(default_factory=dict)


class PartManifest(BaseModel):
    """What one work item wrote: each module's part key, and the modules it skipped and why."""

    source_index: int
    segment: tuple[float, float | None]
    parts: dict[str, str] = Field(default_factory=dict)
    skipped: dict[str, str] = Field(default_factory=dict)
