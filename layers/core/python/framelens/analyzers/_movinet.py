"""``MovinetStream``: MoViNet-A0 streaming inference, one frame per call, state carried.

Owns: the model's input conventions (``../shared/models/MANIFEST.md``: RGB / 255, plain resize
to 172x172, no crop), its state tensors (zeros at the start of a clip or shot, each ``<name>_out``
fed back as ``<name>``) and the softmax of its logits. Does not own: the session
(``framelens.models``), sampling or shot cuts (``activity``).

onnxruntime only: the manifest records that ``cv2.dnn`` gives a different argmax on this model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from framelens.errors import ModelError

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["INPUT_SIDE", "MovinetStream", "preprocess"]

INPUT_SIDE = 172
_IMAGE = "image"
_LOGITS = "logits"
_DTYPES = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(int64)": np.int64}


def preprocess(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """A BGR ``HxWx3`` uint8 frame as the model's ``[1, 1, 172, 172, 3]`` RGB input in [0, 1]."""
    small = cv2.resize(image, (INPUT_SIDE, INPUT_SIDE), interpolation=cv2.INTER_AREA)
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    out: npt.NDArray[np.float32] = (rgb.astype(np.float32) / 255.0)[None, None]
    return out


def softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Probabilities of one logit vector (float64, so sums are exact enough to compare)."""
    z = logits.astype(np.float64) - float(np.max(logits))
    e = np.exp(z)
    out: npt.NDArray[np.float64] = e / e.sum()
    return out


class MovinetStream:
    """One stream through a MoViNet streaming model.

    Args:
        session: an ``onnxruntime.InferenceSession`` of the streaming export.

    Raises:
        ModelError: the session lacks the ``image`` input, the ``logits`` output or a state's
            ``_out`` twin.

    Examples:
        >>> session = registry.session("movinet_a0_stream_kinetics600_int8")  # doctest: +SKIP
        >>> stream = MovinetStream(session)  # doctest: +SKIP
        >>> probs = stream.step(bgr_frame)  # doctest: +SKIP
    """

    def __init__(self, session: Any) -> None:
        self._session = session
        inputs = {i.name: i for i in session.get_inputs()}
        self._outputs = [o.name for o in session.get_outputs()]
        if _IMAGE not in inputs or _LOGITS not in self._outputs:
            raise ModelError("not a MoViNet streaming model: needs input 'image', output 'logits'")
        self._specs: dict[str, tuple[tuple[int, ...], Any]] = {}
        for name, spec in inputs.items():
            if name == _IMAGE:
                continue
            if f"{name}_out" not in self._outputs or spec.type not in _DTYPES:
                raise ModelError(f"MoViNet state {name!r} has no '{name}_out' output")
            self._specs[name] = (tuple(int(d) for d in spec.shape), _DTYPES[spec.type])
        self._state: dict[str, npt.NDArray[Any]] = {}
        self.reset()

    def reset(self) -> None:
        """Start a new clip: every state tensor back to zeros."""
        self._state = {name: np.zeros(shape, dtype) for name, (shape, dtype) in self._specs.items()}

    def step(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """Feed one BGR frame; the class probabilities of the clip so far."""
        outputs = self._session.run(self._outputs, {**self._state, _IMAGE: preprocess(image)})
        named = dict(zip(self._outputs, outputs, strict=True))
        self._state = {name: named[f"{name}_out"] for name in self._specs}
        logits: npt.NDArray[np.float32] = named[_LOGITS][0]
        return softmax(logits)
