"""Turning a final result into a final result with images: frame exports, and the public view.

Owns: fulfilling the ``FrameExport`` requests of an analyzer's merged (or single-pass) result —
each frame read by a targeted seek (``media.frames``, frame-exact), cropped, resized, encoded and
stored through the run's ``ArtifactSink`` — then handing the keys back to the analyzer and
dropping merge state (``AnalyzerResult.public``). Does not own which frames an analyzer wants
(``Analyzer.exports``) or where artifacts are stored (the sink).

``analyze_media`` is the one-file entry point (a single pass, then this): what the CLI's tests,
the inline seed routes and library users get; the pipeline does the same after merging segments.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from framelens.engine.run import run_analyzers

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy as np
    import numpy.typing as npt

    from framelens.engine.base import (
        Analyzer,
        AnalyzerResult,
        ArtifactSink,
        FrameExport,
        MediaInfo,
        RunContext,
    )

__all__ = ["analyze_media", "compose", "finalize"]


def _source_image(path: Path, media_type: str, index: int) -> npt.NDArray[np.uint8]:
    if media_type == "image":
        from framelens.engine.decode import read_image

        image: npt.NDArray[np.uint8] = read_image(path).raw
        return image
    from framelens.media.frames import read_frame

    return read_frame(path, index)


def _encode(image: npt.NDArray[np.uint8], export: FrameExport) -> bytes:
    import cv2

    from framelens.media.frames import crop_image, encode_image

    if export.crop is not None:
        image = crop_image(image, export.crop)
    if export.size is not None:
        image = cast(
            "npt.NDArray[np.uint8]", cv2.resize(image, export.size, interpolation=cv2.INTER_AREA)
        )
    return encode_image(image, export.fmt)


def export_frames(
    path: Path, media_type: str, exports: Sequence[FrameExport], sink: ArtifactSink
) -> dict[str, str]:
    """Store every requested frame; returns ``FrameExport.name`` → blob key.

    Frames are read once each, in index order (several exports of one frame share the read).
    """
    stored: dict[str, str] = {}
    ordered = sorted(exports, key=lambda e: (e.frame_index, e.name))
    image: npt.NDArray[np.uint8] | None = None
    current = -1
    for export in ordered:
        if image is None or export.frame_index != current:
            image, current = _source_image(path, media_type, export.frame_index), export.frame_index
        stored[export.name] = sink.put(export.name, _encode(image, export), export.content_type)
    return stored


def compose(
    classes: Mapping[str, type[Analyzer]], parts: Mapping[str, AnalyzerResult]
) -> dict[str, AnalyzerResult]:
    """Each merged part refined by the parts of the modules its analyzer ``uses`` (pure)."""
    out = dict(parts)
    for name, part in parts.items():
        cls = classes[name]
        others = {u: parts[u] for u in cls.uses if u in parts}
        if others:
            out[name] = cls.compose(part, others)
    return out


def finalize(
    cls: type[Analyzer],
    result: AnalyzerResult,
    path: Path,
    media_type: str,
    sink: ArtifactSink | None,
) -> AnalyzerResult:
    """The public result of a merged (or single-pass) ``result``: exports stored, state dropped."""
    exports = cls.exports(result)
    if exports and sink is not None:
        result = cls.with_exports(result, export_frames(path, media_type, exports, sink))
    return result.public()


def analyze_media(
    path: Path,
    analyzers: Sequence[Analyzer],
    ctx: RunContext,
    media: MediaInfo | None = None,
) -> dict[str, AnalyzerResult]:
    """Analyze a whole file in one pass and return each analyzer's public, final result.

    Examples:
        >>> from framelens.analyzers.best_frames import BestFramesAnalyzer  # doctest: +SKIP
        >>> out = analyze_media(Path("clip.mp4"), [BestFramesAnalyzer()], RunContext(artifacts=s))
        >>> out["best_frames"].frames[0].artifact_key
    """
    path = Path(path)
    if media is None:
        from framelens.media.probe import media_info

        media = media_info(path)
    by_name = {type(a).name: type(a) for a in analyzers}
    parts = compose(by_name, run_analyzers(path, analyzers, ctx, media=media))
    return {
        name: finalize(by_name[name], part, path, media.media_type, ctx.artifacts)
        for name, part in parts.items()
    }
