"""Faces: detect (YuNet), align, embed (dlib ResNet by default), age/gender, traces through
video, identities within a file and open-set matching against a tenant's gallery.

One module per job: ``detect``, ``align``, ``embed``, ``attributes`` (age/gender), ``quality``
(sharpness, prominence, thumbnails), ``observe`` (all of it on one frame), ``traces``,
``identities`` (clustering), ``matching`` (gallery), ``assemble`` and ``segments`` (the result
and segment joins), ``persons`` (seed 001/002 views), ``image`` (enrolment and per-image persons)
and ``analyzer`` (``FacesAnalyzer``). Heavy libraries (cv2, dlib, onnxruntime) are imported inside
functions; only workers import this package.

Calibration (cosine similarity of L2-normalised dlib descriptors; measured on what is available
offline, which is very little labelled data: two real people in colour — the violinist clip's man
in 4 shots and scikit-image's astronaut with mirrored, half-size and 15-degree-rotated copies —
plus scikit-image's grey ``camera`` photo's man as a hard negative; see ``benchmarks/faces.py``
for the numbers of the current run):

- same person, one face vs the mean of its shot: >= 0.93; vs another shot's mean: >= 0.887;
  shot means with each other: 0.968-0.991; astronaut copies with each other: >= 0.976.
- different people: astronaut vs violinist, single faces or means: <= 0.785;
  grey ``camera`` face vs violinist shot means: <= 0.851.
- thresholds: ``trace_gate`` 0.85 (a face continuing a trace, with the box also nearby);
  ``cluster_threshold`` and ``match_threshold`` 0.88, between the worst same-person score seen
  (0.887) and the best different-person one (0.851), and at dlib's own LFW operating point
  (euclidean 0.6 on raw descriptors of norm ~1.3 is cosine ~0.89).
"""

from __future__ import annotations

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
