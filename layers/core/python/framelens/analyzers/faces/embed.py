"""Face embedders behind one ``Embedder`` protocol, chosen through the model registry.

Owns: the ``Embedder`` protocol (aligned faces in, L2-normalised vectors out), the two families
Framelens can run and ``load_embedder``, which picks the family from the manifest's ``format``:

- ``dlib_resnet``: dlib's ResNet 128-d descriptor (the default; CC0 weights from the PyPI package
  ``face-recognition-models``, run by ``dlib`` from ``dlib-bin``), on 150x150 RGB chips.
- ``arcface_112``: an ONNX network on ArcFace-aligned 112x112 crops, ``(x - mean) / std`` in the
  manifest's colour order (MobileFaceNet today, as a non-default option; SFace once registered).

Does not own: files and sessions (``framelens.models``) or landmarks (``detect``/``align``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from framelens.analyzers.faces.align import ARCFACE_TEMPLATE_112, DLIB_TEMPLATE_150, align_face
from framelens.errors import ModelError, ValidationError
from framelens.models.manifests import DEFAULT_FACE_EMBEDDER

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    import numpy.typing as npt

    from framelens.models import ModelManifest, ModelProvider

__all__ = ["ArcfaceOnnxEmbedder", "DlibEmbedder", "Embedder", "l2_normalise", "load_embedder"]

# One dlib network per model file per process: loading the 22 MB file costs ~0.3 s. A dlib
# network keeps its layers' outputs in itself, so one call at a time runs on it (its lock).
_DLIB_NETS: dict[str, tuple[Any, threading.Lock]] = {}
_LOCK = threading.Lock()


class Embedder(Protocol):
    """Turns faces (image + YuNet landmarks) into L2-normalised identity vectors."""

    name: str
    dim: int

    def embed(
        self, image: npt.NDArray[np.uint8], landmarks: Sequence[npt.NDArray[np.float64]]
    ) -> npt.NDArray[np.float32]:
        """``(N, dim)`` float32 vectors of unit length, one per face of ``image`` (BGR)."""
        ...


def l2_normalise(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: npt.NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


class DlibEmbedder:
    """dlib's ResNet face descriptor on chips aligned to ``DLIB_TEMPLATE_150``.

    Args:
        path: the verified ``dlib_face_recognition_resnet_model_v1.dat``.
        name: its registry name.
    """

    dim = 128

    def __init__(self, path: Path, name: str) -> None:
        self.name = name
        key = str(path)
        with _LOCK:
            shared = _DLIB_NETS.get(key)
            if shared is None:
                import dlib

                shared = (dlib.face_recognition_model_v1(key), threading.Lock())
                _DLIB_NETS[key] = shared
        self._net, self._net_lock = shared

    def embed(
        self, image: npt.NDArray[np.uint8], landmarks: Sequence[npt.NDArray[np.float64]]
    ) -> npt.NDArray[np.float32]:
        """One batch through the network for all faces of the image."""
        import cv2

        if not landmarks:
            return np.zeros((0, self.dim), dtype=np.float32)
        chips = [
            cv2.cvtColor(align_face(image, lm, DLIB_TEMPLATE_150, 150), cv2.COLOR_BGR2RGB)
            for lm in landmarks
        ]
        with self._net_lock:
            descriptors = self._net.compute_face_descriptor(chips)
        return l2_normalise(np.array([list(d) for d in descriptors], dtype=np.float32))


class ArcfaceOnnxEmbedder:
    """An ONNX embedder on ArcFace-aligned 112x112 crops (MobileFaceNet, SFace).

    Args:
        session: the model's ``onnxruntime.InferenceSession``.
        manifest: its manifest (input colour, mean and std).
    """

    def __init__(self, session: Any, manifest: ModelManifest) -> None:
        self.name = manifest.name
        self._session = session
        self._spec = manifest.input
        self._input = session.get_inputs()[0].name
        self.dim = int(session.get_outputs()[0].shape[-1])

    def embed(
        self, image: npt.NDArray[np.uint8], landmarks: Sequence[npt.NDArray[np.float64]]
    ) -> npt.NDArray[np.float32]:
        """Faces one at a time (exports are often fixed to batch 1)."""
        import cv2

        out = np.zeros((len(landmarks), self.dim), dtype=np.float32)
        mean = np.array(self._spec.mean, dtype=np.float32)
        std = np.array(self._spec.std, dtype=np.float32)
        for i, lm in enumerate(landmarks):
            bgr = align_face(image, lm, ARCFACE_TEMPLATE_112, 112)
            chip = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if self._spec.colour == "rgb" else bgr
            x = (chip.astype(np.float32) - mean) / std * self._spec.scale
            blob = np.ascontiguousarray(x.transpose(2, 0, 1)[None])
            out[i] = np.asarray(self._session.run(None, {self._input: blob})[0]).reshape(-1)
        return l2_normalise(out)


def load_embedder(registry: ModelProvider, name: str | None = None) -> Embedder:
    """The embedder registered as ``name`` (default: dlib's ResNet).

    Raises:
        ValidationError: ``name`` is not a face embedding model.
        ModelMissingError: its file is not installed (the message says how to install it).
        ModelError: its ``format`` is a family Framelens cannot run.
    """
    manifest = registry.manifest(name or DEFAULT_FACE_EMBEDDER)
    if manifest.task != "face_embedding":
        raise ValidationError(
            f"model {manifest.name!r} is a {manifest.task} model, not a face embedder",
            details={"model": manifest.name},
        )
    if manifest.format == "dlib_resnet":
        return DlibEmbedder(registry.path(manifest.name), manifest.name)
    if manifest.format == "arcface_112":
        return ArcfaceOnnxEmbedder(registry.session(manifest.name), manifest)
    raise ModelError(
        f"face embedder {manifest.name!r} has format {manifest.format!r}; "
        "known formats: dlib_resnet, arcface_112",
        details={"model": manifest.name},
    )
