"""The models one faces run needs, loaded once from the registry.

Owns: ``FaceModels`` (detector, embedder, age/gender) and ``load_face_models``. Does not own
finding or verifying files (``framelens.models``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from framelens.analyzers.faces.attributes import AgeGenderEstimator
from framelens.analyzers.faces.detect import DEFAULT_MIN_SCORE, FaceDetector
from framelens.analyzers.faces.embed import Embedder, load_embedder
from framelens.errors import ModelMissingError
from framelens.models.manifests import DEFAULT_AGE_GENDER, DEFAULT_FACE_DETECTOR

if TYPE_CHECKING:
    from framelens.models import ModelProvider

__all__ = ["FaceModels", "load_face_models"]


@dataclass(frozen=True, slots=True)
class FaceModels:
    """Detector, embedder and age/gender estimator of one run."""

    detector: FaceDetector
    embedder: Embedder
    attributes: AgeGenderEstimator


def load_face_models(
    registry: ModelProvider | None,
    *,
    embedder: str | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
) -> FaceModels:
    """Load (and verify) YuNet, the embedder and the age/gender model.

    Args:
        registry: the model registry (``RunContext.models``).
        embedder: embedder name (default dlib's ResNet); see ``embed.load_embedder``.
        min_score: the detector's score floor.

    Raises:
        ModelMissingError: no registry, or a model file is missing (the message says how to
            install it); never a made-up result.
    """
    if registry is None:
        raise ModelMissingError(
            "the faces analyzer needs the model registry (YuNet, the face embedder and the "
            "age/gender model); none was given to the run"
        )
    detector = FaceDetector(
        registry.path(DEFAULT_FACE_DETECTOR), DEFAULT_FACE_DETECTOR, min_score=min_score
    )
    attributes = AgeGenderEstimator(registry.session(DEFAULT_AGE_GENDER), DEFAULT_AGE_GENDER)
    return FaceModels(detector, load_embedder(registry, embedder), attributes)
