"""Everything Framelens reads off the faces of one frame, in one call.

Owns: ``FaceObservation``, ``FacePatch`` and ``observe`` (detect → align + embed → age/gender →
sharpness → thumbnail crop), with boxes converted to source pixels, and ``embed_patch``. Does
not own following faces over time (``traces``), which also decides which faces need an
embedding, or any model's internals.

The embedder is by far the dearest step (dlib's ResNet from ``dlib-bin``, built without BLAS:
~80-140 ms a face on this 2-core machine, vs ~25 ms for YuNet on a 640x360 frame), so a caller
may ask for embeddings of some faces only; the others carry ``embedding=None`` and a
``FacePatch``: a copy of the frame around the face, wide enough for the embedder's alignment, so
``traces`` can still embed the face later if its identity comes into doubt (``embed_patch``
gives the vector embedding the whole frame gives).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from framelens.analyzers.faces.quality import face_thumbnail, sharpness

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy.typing as npt

    from framelens.analyzers.faces.detect import DetectedFace
    from framelens.analyzers.faces.models import FaceModels

__all__ = ["Box", "FaceObservation", "FacePatch", "embed_patch", "observe"]

Box = tuple[float, float, float, float]
# A patch reaches one face side beyond the box on every side: the aligned chips (dlib's 150 px
# with 25% padding, ArcFace's 112 px) lie well inside it, so the warp reads the same pixels.
_PATCH_MARGIN = 1.0


@dataclass(frozen=True, slots=True)
class FacePatch:
    """The frame around one face at working size, to embed it later.

    Attributes:
        image: BGR pixels (a copy: the frame may be reused).
        landmarks: ``(5, 2)`` YuNet points in patch pixels.
    """

    image: npt.NDArray[np.uint8]
    landmarks: npt.NDArray[np.float64]


def _patch(image: npt.NDArray[np.uint8], box: Box, landmarks: npt.NDArray[np.float64]) -> FacePatch:
    x, y, w, h = box
    side = _PATCH_MARGIN * max(w, h)
    x0, y0 = max(0, int(x - side)), max(0, int(y - side))
    x1 = min(image.shape[1], int(x + w + side) + 1)
    y1 = min(image.shape[0], int(y + h + side) + 1)
    return FacePatch(image[y0:y1, x0:x1].copy(), landmarks - np.array([x0, y0], np.float64))


def embed_patch(models: FaceModels, patch: FacePatch) -> npt.NDArray[np.float32]:
    """The L2-normalised embedding of the face a ``FacePatch`` holds."""
    return np.asarray(models.embedder.embed(patch.image, [patch.landmarks])[0], np.float32)


@dataclass(frozen=True, slots=True)
class FaceObservation:
    """One face on one frame.

    Attributes:
        box: ``(x, y, w, h)`` in source pixels.
        landmarks: ``(5, 2)`` in source pixels.
        score: detection score.
        embedding: L2-normalised identity vector, or ``None`` when it was not asked for.
        age: estimated age.
        female_probability: P(female).
        sharpness: variance of the Laplacian of the 64-px grey face.
        crop: ``THUMBNAIL_SIDE`` square BGR thumbnail pixels.
        patch: for a face not embedded, what ``embed_patch`` needs to embed it later.
    """

    box: Box
    landmarks: npt.NDArray[np.float64]
    score: float
    embedding: npt.NDArray[np.float32] | None
    age: float
    female_probability: float
    sharpness: float
    crop: npt.NDArray[np.uint8]
    patch: FacePatch | None = None


def _embed_wanted(
    image: npt.NDArray[np.uint8],
    models: FaceModels,
    faces: list[DetectedFace],
    wanted: list[bool],
) -> list[npt.NDArray[np.float32] | None]:
    """Embeddings of the wanted faces (one embedder batch), ``None`` for the others."""
    picked = [i for i, want in enumerate(wanted) if want]
    vectors = models.embedder.embed(image, [faces[i].landmarks for i in picked])
    embeddings: list[npt.NDArray[np.float32] | None] = [None] * len(faces)
    for i, vector in zip(picked, vectors, strict=True):
        embeddings[i] = np.asarray(vector, dtype=np.float32)
    return embeddings


def observe(
    image: npt.NDArray[np.uint8],
    models: FaceModels,
    scale: float = 1.0,
    wants_embedding: Callable[[list[Box]], list[bool]] | None = None,
) -> list[FaceObservation]:
    """The faces of one BGR frame at working size, best detection first.

    Args:
        image: ``HxWx3`` BGR uint8 as the engine delivered it.
        models: the run's models.
        scale: working size / source size (``Frame.scale``).
        wants_embedding: given the faces' boxes in source pixels, which ones to embed;
            ``None`` embeds all.

    Returns:
        One observation per face above the detector's ``min_score``.
    """
    faces = models.detector.detect(image)
    if not faces:
        return []
    inv = 1.0 / scale if scale > 0 else 1.0
    boxes = [(x * inv, y * inv, w * inv, h * inv) for x, y, w, h in (f.box for f in faces)]
    wanted = wants_embedding(boxes) if wants_embedding is not None else [True] * len(faces)
    embeddings = _embed_wanted(image, models, faces, wanted)
    readings = models.attributes.estimate(image, [f.box for f in faces])
    out: list[FaceObservation] = []
    for face, box, vector, reading in zip(faces, boxes, embeddings, readings, strict=True):
        out.append(
            FaceObservation(
                box=box,
                landmarks=face.landmarks * inv,
                score=face.score,
                embedding=vector,
                age=reading.age,
                female_probability=reading.female_probability,
                sharpness=sharpness(image, face.box),
                crop=face_thumbnail(image, face.box),
                patch=None if vector is not None else _patch(image, face.box, face.landmarks),
            )
        )
    return out
