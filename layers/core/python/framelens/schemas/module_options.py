"""Each module's options as a pydantic model: checked when a job is created, shown in OpenAPI.

Owns: the option models (names, types and ranges, the same the analyzers accept),
``validate_module_options`` (the 422 naming the module and the option) and ``ModuleOptions``
(one property per module, the OpenAPI schema of a job's ``modules``). Does not own what an
option does (each analyzer's docstring says) nor which modules exist (the analyzer registry; an
unknown module is the job service's 400). Options a model does not name pass through, as the
analyzers ignore them, except for ``faces``, which refuses unknown options.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from framelens.errors import ValidationError

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

__all__ = [
    "OPTION_MODELS",
    "ActivityOptions",
    "BestFramesOptions",
    "FacesOptions",
    "InvalidOptionError",
    "ModuleOptions",
    "ModulesSchema",
    "ObjectsOptions",
    "OcrOptions",
    "ProbeOptions",
    "ScenesOptions",
    "SectionsOptions",
    "TagsOptions",
    "TrackingOptions",
    "validate_module_options",
]

Names = list[str] | str | None  # a list, or one comma-separated string


class InvalidOptionError(ValidationError):
    """A module option has the wrong type or is out of range (found when the job is created)."""

    code = "invalid_option"
    http_status = 422


class _Options(BaseModel):
    model_config = ConfigDict(extra="allow")


class ProbeOptions(_Options):
    """``probe`` has no options."""


class ObjectsOptions(_Options):
    """``objects``: detections on sampled frames."""

    fps: float | None = Field(default=None, ge=0.01, le=240, description="Sampled frames/s.")
    confidence: float | None = Field(default=None, ge=0, le=1, description="Minimum score.")
    classes: Names = Field(default=None, description="Class names to keep (default all).")
    model: str | None = Field(default=None, description="Detector name in the model registry.")


class TrackingOptions(_Options):
    """``tracking``: ByteTrack over detections, with an annotated video."""

    fps: float | None = Field(default=None, ge=0, le=240, description="0: every frame.")
    confidence: float | None = Field(default=None, ge=0.1, le=1)
    classes: Names = None
    model: str | None = None
    video: bool = Field(default=True, description="Write the annotated video.")
    max_side: int | None = Field(default=None, ge=64, le=4096)


class TagsOptions(_Options):
    """``tags``: image classification and detector labels as tags."""

    fps: float | None = Field(default=None, ge=0.01, le=240)
    min_probability: float | None = Field(default=None, ge=0, le=1)
    critical: Names = Field(default=None, description="Tags flagged is_critical.")
    classifier: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    classes: Names = None
    model: str | None = None


class ActivityOptions(_Options):
    """``activity``: MoViNet per shot."""

    fps: float | None = Field(default=None, ge=1, le=15)
    top_k: int | None = Field(default=None, ge=1, le=20)
    model: str | None = None


class OcrOptions(_Options):
    """``ocr``: text lines of images and documents, text segments of videos."""

    fps: float | None = Field(default=None, ge=0.01, le=60)
    shot_fps: float | None = Field(default=None, ge=0, le=60)
    change_test: bool = True
    max_side: int | None = Field(default=None, ge=32, le=8192)
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    max_missed: int | None = Field(default=None, ge=0, le=100)
    languages: list[str] | None = Field(default=None, description="ISO 639-1 codes.")


class ScenesOptions(_Options):
    """``scenes``: cuts, fades and dissolves."""

    threshold: float | None = Field(default=None, ge=0, le=2)
    min_scene_len: float | None = Field(default=None, ge=0, le=3600)
    ratio: float | None = Field(default=None, ge=0, le=1000)
    window: int | None = Field(default=None, ge=1, le=1000)
    dark_level: float | None = Field(default=None, ge=0, le=1)
    dissolve_threshold: float | None = Field(default=None, ge=0, le=2)
    sample_fps: float | None = Field(default=None, ge=0, le=240)
    every_frame: bool = False
    max_side: int | None = Field(default=None, ge=16, le=4096)


class SectionsOptions(_Options):
    """``sections``: scenes grouped by motion, activity and tags."""

    static_below: float | None = Field(default=None, ge=0, le=1)
    high_from: float | None = Field(default=None, ge=0, le=1)
    min_activity: float | None = Field(default=None, ge=0, le=1)
    min_similarity: float | None = Field(default=None, ge=0, le=1)
    thumb_fps: float | None = Field(default=None, gt=0, le=60)
    critical: Names = None


class BestFramesOptions(_Options):
    """``best_frames``: the sharpest, best-exposed frames, from different shots."""

    k: int | None = Field(default=None, ge=1, le=100)
    format: Literal["jpeg", "png"] | None = None
    sample_fps: float | None = Field(default=None, gt=0, le=240)
    max_side: int | None = Field(default=None, ge=16, le=4096)
    min_gap_seconds: float | None = Field(default=None, ge=0, le=3600)
    candidates: int | None = Field(default=None, ge=1, le=10000)
    diversity: Literal["shot", "none"] | None = None
    min_relative_score: float | None = Field(default=None, ge=0, le=1)
    per_shot: int | None = Field(default=None, ge=1, le=1000)


class FacesOptions(BaseModel):
    """``faces``: detect, embed, trace and name faces (unknown options are refused)."""

    model_config = ConfigDict(extra="forbid")

    fps: float | None = Field(default=None, ge=0.1, le=60)
    max_side: int | None = Field(default=None, ge=64, le=4096)
    min_score: float | None = Field(default=None, ge=0.3, le=1)
    confirm_score: float | None = Field(default=None, ge=0.3, le=1)
    trace_gate: float | None = Field(default=None, ge=-1, le=1)
    cluster_threshold: float | None = Field(default=None, ge=-1, le=1)
    match_threshold: float | None = Field(default=None, ge=-1, le=1)
    gender_margin: float | None = Field(default=None, ge=0, le=0.5)
    include_embeddings: bool = False
    gallery: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    allowlist: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    embedder: str | None = None


OPTION_MODELS: dict[str, type[BaseModel]] = {
    "activity": ActivityOptions,
    "best_frames": BestFramesOptions,
    "faces": FacesOptions,
    "objects": ObjectsOptions,
    "ocr": OcrOptions,
    "probe": ProbeOptions,
    "scenes": ScenesOptions,
    "sections": SectionsOptions,
    "tags": TagsOptions,
    "tracking": TrackingOptions,
}


def _absent_not_null(schema: dict[str, Any]) -> None:
    # A module is run or left out; ``null`` is not a value a job's modules may hold.
    for name, prop in schema.get("properties", {}).items():
        refs = [p for p in prop.get("anyOf", []) if p.get("type") != "null"]
        if len(refs) == 1:
            schema["properties"][name] = refs[0]
    schema["minProperties"] = 1


class ModuleOptions(BaseModel):
    """A job's ``modules``: the modules to run, each with its options (``{}``: defaults)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_absent_not_null)

    activity: ActivityOptions | None = None
    best_frames: BestFramesOptions | None = None
    faces: FacesOptions | None = None
    objects: ObjectsOptions | None = None
    ocr: OcrOptions | None = None
    probe: ProbeOptions | None = None
    scenes: ScenesOptions | None = None
    sections: SectionsOptions | None = None
    tags: TagsOptions | None = None
    tracking: TrackingOptions | None = None


class ModulesSchema:
    """Marks a plain ``dict`` of modules so its OpenAPI schema is ``ModuleOptions``'s (routes
    and the job record keep the dict; ``validate_module_options`` checks it)."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """``ModuleOptions``'s schema (a reference to it) instead of a free-form object."""
        return handler(ModuleOptions.__pydantic_core_schema__)


def validate_module_options(modules: dict[str, dict[str, Any]]) -> None:
    """Check every module's options against its model.

    Raises:
        InvalidOptionError: the first module whose options do not validate, naming the option
            and what is wrong (422).
    """
    for module, options in modules.items():
        model = OPTION_MODELS.get(module)
        if model is None:
            continue  # unknown modules are the job service's to refuse, with the known list
        try:
            model.model_validate(options)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            option = ".".join(str(p) for p in first.get("loc", ())) or "(options)"
            raise InvalidOptionError(
                f"module {module!r}, option {option!r}: {first.get('msg', 'invalid')}",
                details={
                    "module": module,
                    "option": option,
                    "errors": [
                        {"option": ".".join(str(p) for p in e.get("loc", ())), "problem": e["msg"]}
                        for e in exc.errors()
                    ],
                },
            ) from exc
