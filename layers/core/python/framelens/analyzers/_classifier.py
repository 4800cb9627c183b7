"""``ImageClassifier``: one ImageNet-style classifier session → class probabilities of a frame.

Owns: the preprocessing of ``efficientnet_lite0_imagenet1k`` (``../shared/models/MANIFEST.md``:
RGB, ``(x - mean) / std`` from the manifest, short side resized to 256, centre crop 224) and the
softmax. Does not own: the session (``framelens.models``) or turning classes into tags
(``tag_vocabulary``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from framelens.analyzers._movinet import softmax
from framelens.errors import ModelError

if TYPE_CHECKING:
    import numpy.typing as npt

    from framelens.models.manifests import ModelManifest

__all__ = ["ImageClassifier"]

# The usual ImageNet evaluation crop: the centre 224/256 (87.5%) of the short side.
_CROP_RATIO = 0.875


class ImageClassifier:
    """Classify BGR frames with a ``classification`` model.

    Args:
        session: an ``onnxruntime.InferenceSession`` with one NCHW image input.
        manifest: the model's manifest (input size, colour, mean, std).
        labels: class names, index = class id.

    Examples:
        >>> name = "efficientnet_lite0_imagenet1k"
        >>> args = reg.session(name), reg.manifest(name), reg.labels(name)  # doctest: +SKIP
        >>> clf = ImageClassifier(*args)  # doctest: +SKIP
        >>> probs = clf.probabilities(bgr_image)  # doctest: +SKIP
    """

    def __init__(self, session: Any, manifest: ModelManifest, labels: tuple[str, ...]) -> None:
        if manifest.task != "classification" or manifest.input.size is None:
            raise ModelError(f"model {manifest.name!r} is not an image classifier")
        self.session = session
        self.manifest = manifest
        self.labels = labels
        self._input = session.get_inputs()[0].name
        spec = manifest.input
        self._mean = np.asarray(spec.mean, dtype=np.float32).reshape(3, 1, 1)
        self._std = np.asarray(spec.std, dtype=np.float32).reshape(3, 1, 1)

    @property
    def name(self) -> str:
        """The registry name of the model."""
        return self.manifest.name

    def blob(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """A BGR ``HxWx3`` uint8 image as the ``[1, 3, H, W]`` input tensor."""
        assert self.manifest.input.size is not None
        width, height = self.manifest.input.size
        h, w = image.shape[:2]
        resize = round(min(width, height) / _CROP_RATIO)
        scale = resize / min(h, w)
        size = (max(width, round(w * scale)), max(height, round(h * scale)))
        interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        resized = cv2.resize(image, size, interpolation=interp)
        y0, x0 = (size[1] - height) // 2, (size[0] - width) // 2
        crop = resized[y0 : y0 + height, x0 : x0 + width]
        if self.manifest.input.colour == "rgb":
            crop = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
        chw = crop.transpose(2, 0, 1).astype(np.float32)
        out: npt.NDArray[np.float32] = ((chw - self._mean) / self._std * self.manifest.input.scale)[
            None
        ]
        return out

    def probabilities(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """Class probabilities of one BGR image (softmax of the logits)."""
        logits: npt.NDArray[np.float32] = self.session.run(None, {self._input: self.blob(image)})[
            0
        ][0]
        if len(logits) != len(self.labels):
            raise ModelError(f"the model has {len(logits)} classes but {len(self.labels)} labels")
        return softmax(logits)
