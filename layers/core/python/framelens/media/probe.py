"""Probing: the metadata of a video or image, read from its headers and its first frame.

Owns: ``probe_video``, ``probe_image`` and ``media_info`` (exact ``Fraction`` rates for the engine).
Does not own: deciding whether media is acceptable (``media.validate``) or decoding a whole stream
(``engine``). PyAV and OpenCV are imported inside functions so importing this module stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from framelens.errors import UnprocessableMediaError, UnsupportedMediaError
from framelens.media._sniff import HEAD_BYTES, image_header_size, sniff
from framelens.media.info import MediaInfo
from framelens.media.source import is_url, url_name
from framelens.schemas.media import MediaProbe

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["media_info", "probe_image", "probe_video"]

# Decoders with B-frames or frame threading hold a few packets before the first frame; past this
# many packets without a frame the stream is treated as undecodable.
_MAX_PACKETS_FOR_FIRST_FRAME = 600
_AV_TIME_BASE = 1_000_000


@dataclass(frozen=True, slots=True)
class VideoFacts:
    """Exact video metadata; ``MediaProbe`` is its float view for the API."""

    width: int  # display size, after rotation
    height: int
    duration: Fraction | None
    fps: Fraction | None
    frames: int | None
    codec: str
    container: str
    rotation: int  # clockwise degrees the player applies: 0, 90, 180 or 270
    has_audio: bool

    def to_probe(self) -> MediaProbe:
        """The API's float view of these facts."""
        return MediaProbe(
            duration_s=float(self.duration) if self.duration is not None else None,
            fps=float(self.fps) if self.fps else None,
            frames=self.frames,
            width=self.width,
            height=self.height,
            codec=self.codec,
            container=self.container,
            rotation=self.rotation,
            has_audio=self.has_audio,
        )


def _is_file(source: object) -> bool:
    """Whether ``source`` is an open, seekable file object (a ``BlobReader`` over S3, say)."""
    return hasattr(source, "read") and hasattr(source, "seek")


def _sniffed_container(source: Path | str | BinaryIO) -> str | None:
    """The container the content's magic bytes name, when they name a video format."""
    if is_url(source):  # sniffing would be one more request; FFmpeg's name is enough
        return None
    if _is_file(source):
        fh = cast("BinaryIO", source)
        fh.seek(0)
        head = fh.read(HEAD_BYTES)
        fh.seek(0)
    else:
        with Path(cast("Path | str", source)).open("rb") as opened:
            head = opened.read(HEAD_BYTES)
    sniffed = sniff(head)
    return sniffed.container if sniffed is not None and sniffed.kind == "video" else None


def _opened(source: Path | str | BinaryIO) -> Any:
    """``av.open`` of a path, URL or file object (rewound: PyAV reads it from the start)."""
    import av

    if _is_file(source):
        cast("BinaryIO", source).seek(0)
        return av.open(source)
    return av.open(str(source))


def _unprocessable(path: object, why: str) -> UnprocessableMediaError:
    return UnprocessableMediaError(
        f"The video could not be decoded ({why}); the file may be truncated or corrupt. "
        "Re-export or re-upload the complete file.",
        details={"reason": why},
    )


def _normalise_rotation(degrees: float) -> int:
    # Snap to the nearest quarter turn; odd display matrices are not rotations we honour.
    return round(degrees / 90.0) * 90 % 360


def _first_frame(container: Any, stream: Any) -> Any:
    """Decode and return the first frame of ``stream``, or ``None`` if none decodes."""
    import av

    packets = 0
    try:
        for packet in container.demux(stream):
            frames = stream.decode(packet)  # a packet with size 0 flushes the decoder
            if frames:
                return frames[0]
            packets += 1
            if packets >= _MAX_PACKETS_FOR_FIRST_FRAME:
                return None
    except av.FFmpegError:
        return None
    return None


def _count_packets(path: Path | str | BinaryIO) -> int:
    """Count the video stream's packets by demuxing only (no decode): one packet = one frame."""
    with _opened(path) as container:
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.size > 0)


def read_video(
    path: Path | str | BinaryIO, *, before_decode: Callable[[VideoFacts], None] | None = None
) -> VideoFacts:
    """Read a video's exact metadata; decode its first frame to prove it decodes.

    Args:
        path: the video file, its ``http(s)`` URL, or a seekable file object (PyAV reads only
            the bytes it seeks to: over a ``BlobReader``, ranged reads instead of a download).
        before_decode: called with the header facts before any frame is decoded, so limits
            (dimensions, duration) can refuse the file before a decoder allocates frames.

    Returns:
        The video's facts; ``width``/``height`` are the display size after rotation.

    Raises:
        UnsupportedMediaError: the file has no video stream (audio only, say).
        UnprocessableMediaError: the file cannot be opened or no frame decodes.
    """
    import av

    path = path if is_url(path) or _is_file(path) else Path(cast("Path | str", path))
    label = _sniffed_container(path)
    try:
        container = _opened(path)
    except av.FFmpegError as exc:
        raise _unprocessable(path, f"the container could not be opened: {exc.strerror}") from exc
    with container:
        if not container.streams.video:
            kinds: list[str] = sorted({str(s.type) for s in container.streams}) or ["no streams"]
            raise UnsupportedMediaError(
                f"The file contains no video stream (found: {', '.join(kinds)}). "
                "Upload a video with a picture track, or an image.",
                details={"streams": kinds},
            )
        stream = container.streams.video[0]
        header_rotation = _normalise_rotation(float(stream.metadata.get("rotate", 0) or 0))
        facts = _facts_from_header(container, stream, header_rotation, label=label)
        if before_decode is not None:
            before_decode(facts)
        frame = _first_frame(container, stream)
        if frame is None:
            raise _unprocessable(path, "no video frame could be decoded")
        # FFmpeg 7 exposes the display matrix on decoded frames (counter-clockwise degrees).
        rotation = _normalise_rotation(-frame.rotation) if frame.rotation else header_rotation
        facts = _facts_from_header(
            container, stream, rotation, frame.width, frame.height, label=label
        )
    if not facts.frames:
        facts = _replace_frames(facts, _count_packets(path))
    return facts


def _facts_from_header(
    container: Any,
    stream: Any,
    rotation: int,
    width: int = 0,
    height: int = 0,
    *,
    label: str | None = None,
) -> VideoFacts:
    width = width or stream.codec_context.width
    height = height or stream.codec_context.height
    if rotation in (90, 270):
        width, height = height, width
    fps = stream.average_rate or stream.guessed_rate or None
    if stream.duration and stream.time_base:
        duration: Fraction | None = stream.duration * stream.time_base
    elif container.duration:
        duration = Fraction(container.duration, _AV_TIME_BASE)
    else:
        duration = None
    return VideoFacts(
        width=width,
        height=height,
        duration=duration,
        fps=Fraction(fps) if fps else None,
        frames=stream.frames or None,
        codec=stream.codec_context.name,
        container=label or container.format.name.split(",")[0],
        rotation=rotation,
        has_audio=bool(container.streams.audio),
    )


def _replace_frames(facts: VideoFacts, frames: int) -> VideoFacts:
    from dataclasses import replace

    duration = facts.duration
    if duration is None and facts.fps:
        duration = Fraction(frames) / facts.fps
    return replace(facts, frames=frames or None, duration=duration)


def probe_video(path: Path) -> MediaProbe:
    """Probe a video: duration, average fps, frame count, display size, codec, rotation, audio.

    The frame count comes from the container header, or from counting packets by demuxing (no
    decoding) when the header lacks it (MKV, WebM, MPEG-TS).

    Args:
        path: the video file.

    Returns:
        The probe, as the API reports it.

    Raises:
        UnsupportedMediaError: the file has no video stream.
        UnprocessableMediaError: the file cannot be opened or decoded.

    Examples:
        >>> probe_video(Path("clip.mp4")).fps  # doctest: +SKIP
        25.0
    """
    return read_video(path).to_probe()


def read_image_size(path: Path, container: str) -> tuple[int, int]:
    """Decode an image fully and return its ``(width, height)``.

    Raises:
        UnprocessableMediaError: no decoder could read it.
    """
    try:
        import cv2
        import numpy as np
    except ImportError:
        # The zip Lambdas' layer carries PyAV but not OpenCV/numpy (Lambda's 250 MB limit).
        pass
    else:
        data = np.fromfile(str(path), dtype=np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if image is not None:
            return int(image.shape[1]), int(image.shape[0])
    # OpenCV builds may lack a GIF or WebP decoder; FFmpeg has both.
    import av

    try:
        with av.open(str(path)) as media:
            frame = next(media.decode(video=0))
            return frame.width, frame.height
    except (av.FFmpegError, StopIteration, IndexError) as exc:
        raise UnprocessableMediaError(
            f"The {container.upper()} image could not be decoded; it may be truncated or "
            "corrupt. Re-export or re-upload the complete file.",
            details={"container": container},
        ) from exc


def probe_image(path: Path) -> MediaProbe:
    """Probe an image by decoding it: width, height and format.

    Args:
        path: the image file.

    Returns:
        The probe (``codec`` and ``container`` are the image format, e.g. ``"png"``).

    Raises:
        UnsupportedMediaError: the content is not a supported image format.
        UnprocessableMediaError: it cannot be decoded.
    """
    path = Path(path)
    with path.open("rb") as fh:
        sniffed = sniff(fh.read(HEAD_BYTES))
    if sniffed is None or sniffed.kind != "image":
        raise UnsupportedMediaError(
            "The file is not a supported image (JPEG, PNG, BMP, TIFF, WebP, GIF)."
        )
    width, height = read_image_size(path, sniffed.container)
    return MediaProbe(
        width=width, height=height, codec=sniffed.container, container=sniffed.container
    )


def image_declared_size(path: Path, container: str) -> tuple[int, int] | None:
    """The size an image's header declares (read before decoding), or ``None`` if unreadable."""
    with Path(path).open("rb") as fh:
        # JPEG's SOF can sit after large EXIF/ICC segments; other headers are at the start.
        head = fh.read(1 << 20 if container == "jpeg" else HEAD_BYTES)
    return image_header_size(head, container)


def media_info(path: Path | str) -> MediaInfo:
    """What the engine needs before the first frame, with exact ``Fraction`` rates.

    Args:
        path: an image, video or DOCX file, or the ``http(s)://`` URL of a video.

    Returns:
        ``MediaInfo`` (display size after rotation; ``fps``/``duration`` exact).

    Raises:
        UnsupportedMediaError: neither an image, a video nor a DOCX document.
        UnprocessableMediaError: it cannot be decoded.
    """
    if is_url(path):
        # Only videos are read over HTTP (a segment of a stored video): no sniffing needed.
        return _video_info(read_video(path), url_name(str(path)))
    path = Path(path)
    with path.open("rb") as fh:
        sniffed = sniff(fh.read(HEAD_BYTES))
    if sniffed is not None and sniffed.kind == "zip":
        # A document has no frames: the engine reads its blocks (``engine.documents``).
        return MediaInfo(media_type="document", width=0, height=0, name=path.name)
    if sniffed is not None and sniffed.kind == "image":
        width, height = read_image_size(path, sniffed.container)
        return MediaInfo(media_type="image", width=width, height=height, name=path.name)
    return _video_info(read_video(path), path.name)


def _video_info(facts: VideoFacts, name: str) -> MediaInfo:
    return MediaInfo(
        media_type="video",
        width=facts.width,
        height=facts.height,
        fps=facts.fps,
        frames=facts.frames,
        duration=facts.duration,
        rotation=facts.rotation,
        name=name,
    )
