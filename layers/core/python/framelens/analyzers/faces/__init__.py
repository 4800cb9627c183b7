"""Faces: detect (YuNet), align, embed (dlib ResNet by default), age/gender, traces through
video, identities within a file and open-set matching against a tenant's gallery.

One module per job: ``detect``, ``align``, ``embed``, ``attributes`` (age/gender), ``quality``
(sharpness, prominence, thumbnails), ``observe`` (all of it on one frame), ``traces``,
``identities`` (clustering), ``matching`` (gallery), ``assemble`` and ``segments`` (the result
and segment joins), ``persons`` (seed 001/002 views), ``image`` (enrolment and per-image persons)
and ``analyzer`` (``FacesAnalyzer``). Heavy libraries (cv2, dlib, onnxruntime) are imported inside
functions; only workers import this package. Names are re-exported lazily (PEP 562), so the pure
views of ``persons`` (seed 002's co-occurrence, answered by the API Lambda, whose layer has no
numpy) import without the analyzer's stack.

Calibration (cosine similarity of L2-normalised dlib descriptors; run
``benchmarks/faces_calibration.py``).
The labelled data available offline is very little: two real people in colour (the violinist
clip's man, 66 faces from every 10th frame across his 4 shots; scikit-image's astronaut as is,
mirrored, half size and rotated 15 degrees) and scikit-image's grey ``camera`` photo's man as a
hard negative. No other shared clip has a face YuNet finds. Measured (min / median / max):

- same person: violinist face vs face 0.856 / 0.942 / 0.996; face vs another shot's mean
  0.887 / 0.962 / 0.988; shot mean vs shot mean 0.968 / 0.975 / 0.991; astronaut copies
  0.980 / 0.984 / 0.987.
- different people: astronaut vs violinist face 0.723 / 0.755 / 0.794, vs his shot means
  at most 0.785; grey camera vs violinist face 0.778 / 0.811 / 0.864, vs his shot means at
  most 0.851; grey camera vs astronaut at most 0.830.
- thresholds: ``trace_gate`` 0.85 (a face continuing a trace, with its box also nearby: every
  same-person face pair scored above it, every colour different-person pair below 0.80);
  ``cluster_threshold`` and ``match_threshold`` 0.88 (they compare means, or a mean with
  enrolled faces: between the worst same-person score of that kind, 0.887, and the best
  different-person one, 0.864 for the grey photo, and at dlib's own LFW operating point:
  euclidean 0.6 on raw descriptors of norm ~1.3 is cosine ~0.89). With two people, these are
  sanity bounds, not a measured false-match rate; recalibrate on a labelled set (LFW pairs)
  before relying on a gallery match for anything that matters.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from framelens.analyzers.faces.analyzer import FacesAnalyzer
    from framelens.analyzers.faces.embed import Embedder, load_embedder
    from framelens.analyzers.faces.image import (
        ImageFace,
        faces_in_image,
        image_person_ids,
        require_single_face,
    )
    from framelens.analyzers.faces.matching import GalleryIndex, Match, match_identities
    from framelens.analyzers.faces.models import FaceModels, load_face_models
    from framelens.analyzers.faces.persons import cooccurrence, cooccurrences, persons_in_span

_SOURCES: dict[str, tuple[str, ...]] = {
    "analyzer": ("FacesAnalyzer",),
    "embed": ("Embedder", "load_embedder"),
    "image": ("ImageFace", "faces_in_image", "image_person_ids", "require_single_face"),
    "matching": ("GalleryIndex", "Match", "match_identities"),
    "models": ("FaceModels", "load_face_models"),
    "persons": ("cooccurrence", "cooccurrences", "persons_in_span"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [
    "Embedder",
    "FaceModels",
    "FacesAnalyzer",
    "GalleryIndex",
    "ImageFace",
    "Match",
    "cooccurrence",
    "cooccurrences",
    "faces_in_image",
    "image_person_ids",
    "load_embedder",
    "load_face_models",
    "match_identities",
    "persons_in_span",
    "require_single_face",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'framelens.analyzers.faces' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"framelens.analyzers.faces.{module}"), name)
    globals()[name] = value
    return value
