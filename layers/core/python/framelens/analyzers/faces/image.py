"""Faces of a single image: gallery enrolment and seed 001 ``person_ids`` per image.

Owns: ``faces_in_image`` (detect + align + embed for enrolment), ``require_single_face`` (the
check behind "an image with no face or several faces is a 400 naming the problem") and
``image_person_ids`` (the seed 001 image batch's per-image persons, through the same analyzer
code as videos). Does not own decoding the image bytes (the caller gives BGR pixels) or storing
identities (``jobs.galleries``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from framelens.analyzers.faces.options import DEFAULT_CONFIRM_SCORE
from framelens.engine.base import Frame, MediaInfo, RunContext
from framelens.errors import ValidationError

if TYPE_CHECKING:
    import numpy.typing as npt

    from framelens.analyzers.faces.models import FaceModels
    from framelens.engine.base import ArtifactSink
    from framelens.models.provider import ModelProvider
    from framelens.schemas.identities import GalleryView
    from framelens.schemas.results_faces import PersonId

__all__ = ["ImageFace", "faces_in_image", "image_person_ids", "require_single_face"]


@dataclass(frozen=True, slots=True)
class ImageFace:
    """A face found for enrolment.

    Attributes:
        box: ``(x, y, w, h)`` in image pixels.
        score: detection score.
        embedding: L2-normalised vector (a list, ready to store).
        embedder: the registry name of the model that made it.
    """

    box: tuple[float, float, float, float]
    score: float
    embedding: list[float]
    embedder: str


def faces_in_image(
    image_bgr: npt.NDArray[np.uint8],
    models: FaceModels,
    confirm_score: float = DEFAULT_CONFIRM_SCORE,
) -> list[ImageFace]:
    """Every face of ``image_bgr`` scoring at least ``confirm_score``, best first.

    Args:
        image_bgr: ``HxWx3`` BGR uint8 at full size.
        models: loaded face models (``load_face_models``).
        confirm_score: the score a face must reach (the analyzer's default).

    Examples:
        >>> [f.score > 0.9 for f in faces_in_image(astronaut_bgr, models)]  # doctest: +SKIP
        [True]
    """
    faces = [f for f in models.detector.detect(image_bgr) if f.score >= confirm_score]
    if not faces:
        return []
    vectors = models.embedder.embed(image_bgr, [f.landmarks for f in faces])
    return [
        ImageFace(f.box, f.score, [round(float(x), 6) for x in v], models.embedder.name)
        for f, v in zip(faces, vectors, strict=True)
    ]


def require_single_face(faces: list[ImageFace], label: str = "the image") -> ImageFace:
    """The only face of an enrolment image.

    Raises:
        ValidationError: no face, or more than one (the message says which and how many).
    """
    if not faces:
        raise ValidationError(
            f"no face was found in {label}; use a photo where one face is clearly visible",
            details={"faces": 0, "image": label},
        )
    if len(faces) > 1:
        raise ValidationError(
            f"{len(faces)} faces were found in {label}; an enrolment image must show exactly "
            "one face (crop it to the person)",
            details={"faces": len(faces), "image": label},
        )
    return faces[0]


def image_person_ids(
    image_bgr: npt.NDArray[np.uint8],
    models: ModelProvider | None,
    *,
    options: dict[str, Any] | None = None,
    gallery: GalleryView | None = None,
    artifacts: ArtifactSink | None = None,
    job_id: str = "",
) -> list[PersonId]:
    """Seed 001 ``person_ids`` of one image, computed by the ``faces`` analyzer code.

    Args:
        image_bgr: ``HxWx3`` BGR uint8.
        models: the model registry (``RunContext.models``).
        options: ``faces`` options (``gallery``, ``allowlist``, ``include_embeddings``...).
        gallery: the gallery view the options name.
        artifacts: where face thumbnails go (``None``: no thumbnails).
        job_id: seeds the identity uuids.

    Returns:
        The persons, most prominent first.
    """
    from framelens.analyzers.faces.analyzer import FacesAnalyzer
    from framelens.analyzers.faces.persons import persons_in_span

    h, w = image_bgr.shape[:2]
    analyzer = FacesAnalyzer(options)
    media = MediaInfo(media_type="image", width=w, height=h)
    ctx = RunContext(job_id=job_id, models=models, gallery=gallery, artifacts=artifacts)
    analyzer.start(media, ctx)
    analyzer.process(Frame(0, Fraction(0), np.ascontiguousarray(image_bgr)))
    return persons_in_span(analyzer.finish())
