"""The ``faces`` analyzer's options, parsed and validated once.

Owns: ``FacesSettings`` and ``parse_options``. Does not own what the options do.

Options (``{"faces": {...}}`` in a job's modules):
    ``fps`` (default 5): sampled frames per second of video; 5 fps sees a face that is visible
        for 0.2 s and keeps detect + embed + age/gender faster than real time on 2 cores.
    ``max_side`` (default 960): working size of the longer side. YuNet finds faces down to about
        10 px, so 960 keeps a 20 px face of a 1080p frame findable; 640x360 clips stay full size.
    ``min_score`` (default 0.8): YuNet score that may continue a trace.
    ``confirm_score`` (default 0.86): score a trace (or a face of an image) must reach at least
        once to be reported (the violin body scores up to 0.832 on the violinist clip).
    ``trace_gate`` (default 0.85): cosine a face needs to its trace's mean embedding.
    ``cluster_threshold`` (default 0.88): cosine to join traces into one identity.
    ``match_threshold`` (default 0.88): cosine for a gallery name (open set: below = unknown).
    ``gender_margin`` (default 0.2): gender needs P >= 0.5 + margin, else ``"unidentified"``.
    ``include_embeddings`` (default false): put face embeddings in the public result.
    ``gallery``: name of the tenant gallery to match (the engine passes its vectors in
        ``RunContext.gallery``); ``allowlist``: name of a gallery whose identities all count as
        allowlisted.
    ``embedder``: face embedding model (default dlib's ResNet; MobileFaceNet is a
        non-shippable development option).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from framelens.analyzers.detections import option_float
from framelens.analyzers.faces.attributes import DEFAULT_GENDER_MARGIN
from framelens.analyzers.faces.detect import DEFAULT_MIN_SCORE
from framelens.analyzers.faces.identities import DEFAULT_CLUSTER_THRESHOLD
from framelens.analyzers.faces.matching import DEFAULT_MATCH_THRESHOLD
from framelens.analyzers.faces.traces import DEFAULT_GATE
from framelens.errors import ValidationError
from framelens.schemas.identities import GALLERY_NAME_RE

__all__ = [
    "DEFAULT_CONFIRM_SCORE",
    "DEFAULT_FPS",
    "FacesSettings",
    "parse_options",
    "settings_from_dict",
]

DEFAULT_FPS = 5.0
DEFAULT_MAX_SIDE = 960
DEFAULT_CONFIRM_SCORE = 0.86
MAX_GAP_S = 1.0
_KNOWN = {
    "fps",
    "max_side",
    "min_score",
    "confirm_score",
    "trace_gate",
    "cluster_threshold",
    "match_threshold",
    "gender_margin",
    "include_embeddings",
    "gallery",
    "allowlist",
    "embedder",
}


@dataclass(frozen=True, slots=True)
class FacesSettings:
    """Validated options (see the module docstring for each)."""

    fps: float = DEFAULT_FPS
    max_side: int = DEFAULT_MAX_SIDE
    min_score: float = DEFAULT_MIN_SCORE
    confirm_score: float = DEFAULT_CONFIRM_SCORE
    trace_gate: float = DEFAULT_GATE
    cluster_threshold: float = DEFAULT_CLUSTER_THRESHOLD
    match_threshold: float = DEFAULT_MATCH_THRESHOLD
    gender_margin: float = DEFAULT_GENDER_MARGIN
    include_embeddings: bool = False
    gallery: str | None = None
    allowlist: str | None = None
    embedder: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain values (stored in a part so ``merge`` applies the same settings)."""
        return asdict(self)


def _float(options: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    value = option_float(options, key, default, lo, hi)
    return default if value is None else value


def _gallery(options: dict[str, Any], key: str) -> str | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not GALLERY_NAME_RE.match(value):
        raise ValidationError(
            f"option {key!r} must be a gallery name ([A-Za-z0-9_.-], up to 64 characters)"
        )
    return value


def parse_options(options: dict[str, Any]) -> FacesSettings:
    """Validate a ``faces`` options dict.

    Raises:
        ValidationError: an unknown option, or a value of the wrong type or range.
    """
    unknown = sorted(set(options) - _KNOWN)
    if unknown:
        raise ValidationError(
            f"unknown faces option(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(_KNOWN))}",
            details={"options": unknown},
        )
    embedder = options.get("embedder")
    if embedder is not None and not isinstance(embedder, str):
        raise ValidationError("option 'embedder' must be a model name")
    min_score = _float(options, "min_score", DEFAULT_MIN_SCORE, 0.3, 1.0)
    return FacesSettings(
        fps=_float(options, "fps", DEFAULT_FPS, 0.1, 60.0),
        max_side=int(_float(options, "max_side", DEFAULT_MAX_SIDE, 64, 4096)),
        min_score=min_score,
        confirm_score=max(
            min_score, _float(options, "confirm_score", DEFAULT_CONFIRM_SCORE, 0.3, 1.0)
        ),
        trace_gate=_float(options, "trace_gate", DEFAULT_GATE, -1.0, 1.0),
        cluster_threshold=_float(
            options, "cluster_threshold", DEFAULT_CLUSTER_THRESHOLD, -1.0, 1.0
        ),
        match_threshold=_float(options, "match_threshold", DEFAULT_MATCH_THRESHOLD, -1.0, 1.0),
        gender_margin=_float(options, "gender_margin", DEFAULT_GENDER_MARGIN, 0.0, 0.5),
        include_embeddings=bool(options.get("include_embeddings", False)),
        gallery=_gallery(options, "gallery"),
        allowlist=_gallery(options, "allowlist"),
        embedder=embedder,
    )


def settings_from_dict(values: dict[str, Any]) -> FacesSettings:
    """The settings a part stored with ``to_dict`` (defaults for anything missing)."""
    known = {k: v for k, v in values.items() if k in FacesSettings.__dataclass_fields__}
    return FacesSettings(**known)
