"""Seed 003's Visual Mining Modules: DeepVA names for what Framelens does, and their translation.

Owns: the catalogue (``MODULES``: each DeepVA module, its options and the native modules that
run it) and ``native_modules``, which turns a request's ``modules`` into a native job's modules,
refusing unknown modules, unknown options, bad values and a ``face_recognition`` ``model`` that
is not one of the tenant's galleries (each with a 400 that names what exists). Does not own what
the native modules do (``analyzers``) or the galleries (``jobs.galleries``).

Examples:
    >>> native_modules({"shot_detection": {}}, galleries=list)
    {'scenes': {}}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framelens.errors import ValidationError
from framelens.schemas.seeds.deepva import DeepvaModule, DeepvaModuleOption

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MODULES", "catalogue", "native_modules"]


@dataclass(frozen=True, slots=True)
class Option:
    """A DeepVA option and where its value goes: ``target`` is ``(native module, option)``."""

    name: str
    description: str
    target: tuple[str, str]
    kind: str = "number"  # number | gallery | names
    bounds: tuple[float, float] = (0.0, 1.0)
    required: bool = False


@dataclass(frozen=True, slots=True)
class Module:
    """A DeepVA module: which native modules run it, on what media, with which options."""

    name: str
    description: str
    natives: tuple[str, ...]
    media_types: tuple[str, ...]
    options: tuple[Option, ...] = ()


_FPS = "sampled frames per second of video"
MODULES: dict[str, Module] = {
    m.name: m
    for m in (
        Module(
            "face_recognition",
            "Finds faces and names the people of one of your galleries (open set: others are "
            "'unknown').",
            ("faces",),
            ("image", "video"),
            (
                Option(
                    "model",
                    "the gallery to recognise (its identities are enrolled per tenant)",
                    ("faces", "gallery"),
                    kind="gallery",
                    required=True,
                ),
                Option(
                    "threshold", "cosine similarity a match needs", ("faces", "match_threshold")
                ),
                Option("fps", _FPS, ("faces", "fps"), bounds=(0.1, 60.0)),
            ),
        ),
        Module(
            "face_detection",
            "Finds faces (boxes, landmarks, age and gender estimates) without naming them.",
            ("faces",),
            ("image", "video"),
            (
                Option(
                    "min_confidence", "detection score a face needs", ("faces", "confirm_score")
                ),
                Option("fps", _FPS, ("faces", "fps"), bounds=(0.1, 60.0)),
            ),
        ),
        Module(
            "object_scene_recognition",
            "Objects (80 COCO classes, with boxes) and tags of what the scene shows.",
            ("objects", "tags"),
            ("image", "video"),
            (
                Option(
                    "min_confidence", "detection score an object needs", ("objects", "confidence")
                ),
                Option("fps", _FPS, ("objects", "fps"), bounds=(0.1, 60.0)),
            ),
        ),
        Module(
            "object_detection",
            "Objects (80 COCO classes) with boxes per sampled frame.",
            ("objects",),
            ("image", "video"),
            (
                Option(
                    "min_confidence", "detection score an object needs", ("objects", "confidence")
                ),
                Option("fps", _FPS, ("objects", "fps"), bounds=(0.1, 60.0)),
                Option(
                    "classes", "class names to keep (default all)", ("objects", "classes"), "names"
                ),
            ),
        ),
        Module(
            "object_tracking",
            "Objects followed through a video (persistent ids) and an annotated video.",
            ("tracking",),
            ("video",),
            (
                Option(
                    "classes",
                    "class names to track (default all)",
                    ("tracking", "classes"),
                    "names",
                ),
            ),
        ),
        Module(
            "text_recognition",
            "Text in images, video frames and DOCX documents, with its language.",
            ("ocr",),
            ("image", "video", "document"),
            (Option("languages", "candidate language codes", ("ocr", "languages"), "names"),),
        ),
        Module("shot_detection", "Shots: cuts, fades and dissolves.", ("scenes",), ("video",)),
        Module(
            "activity_recognition",
            "Human activities per shot (Kinetics-600 classes).",
            ("activity",),
            ("video",),
        ),
        Module(
            "best_frame_selection",
            "The best frames of a video (sharp, well exposed, from different shots).",
            ("best_frames",),
            ("video",),
        ),
    )
}


def catalogue() -> list[DeepvaModule]:
    """Every module as ``GET /api/v1/modules/`` lists it."""
    return [
        DeepvaModule(
            name=m.name,
            description=m.description,
            analyzers=list(m.natives),
            media_types=list(m.media_types),
            options=[
                DeepvaModuleOption(name=o.name, description=o.description, required=o.required)
                for o in m.options
            ],
        )
        for m in MODULES.values()
    ]


def _value(module: str, option: Option, value: Any, galleries: Callable[[], list[str]]) -> Any:
    where = f"{module}.{option.name}"
    if option.kind == "gallery":
        known = galleries()
        if not isinstance(value, str) or value not in known:
            have = ", ".join(known) if known else "none yet: enrol identities in a gallery first"
            raise ValidationError(
                f"{where}: model {value!r} does not exist; your galleries: {have}",
                details={"module": module, "option": option.name, "galleries": known},
            )
        return value
    if option.kind == "names":
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise ValidationError(f"{where} must be a list of names (or a comma-separated string)")
        return [n.strip() for n in names]
    lo, hi = option.bounds
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ValidationError(f"{where} must be a number between {lo:g} and {hi:g}")
    return value


def native_modules(
    requested: dict[str, dict[str, Any] | None], galleries: Callable[[], list[str]]
) -> dict[str, dict[str, Any]]:
    """The native modules (with options) that run the DeepVA ``requested`` modules.

    Args:
        requested: the job's ``modules`` as the client sent them.
        galleries: the tenant's gallery names (asked only when a module needs one).

    Raises:
        ValidationError: an unknown module or option, a bad value, a missing required option,
            a ``model`` that is not a gallery, or two modules setting one option differently.
    """
    unknown = sorted(set(requested) - set(MODULES))
    if unknown:
        raise ValidationError(
            f"unknown module(s) {', '.join(unknown)}; known modules: {', '.join(MODULES)}",
            details={"unknown_modules": unknown, "known_modules": list(MODULES)},
        )
    out: dict[str, dict[str, Any]] = {}
    for name, given in requested.items():
        module, options = MODULES[name], given or {}
        by_name = {o.name: o for o in module.options}
        extra = sorted(set(options) - set(by_name))
        if extra:
            known = ", ".join(by_name) or "none"
            raise ValidationError(
                f"{name}: unknown option(s) {', '.join(extra)}; its options: {known}",
                details={"module": name, "unknown_options": extra},
            )
        for native in module.natives:
            out.setdefault(native, {})
        for option in module.options:
            if option.name not in options:
                if option.required:
                    raise ValidationError(f"{name} needs the option {option.name!r}")
                continue
            native, key = option.target
            value = _value(name, option, options[option.name], galleries)
            if out[native].get(key, value) != value:
                raise ValidationError(f"{name}.{option.name} conflicts with another module's value")
            out[native][key] = value
    return out
