"""Spans by stream copy and re-encoded MPEG-TS clips: frames, codecs, audio, streaming."""

from __future__ import annotations

import io
import itertools
import os
from typing import TYPE_CHECKING

import av
import pytest

from framelens.errors import ValidationError
from framelens.media.clip import encode_clip
from framelens.media.frame_index import build_frame_index
from framelens.media.selection import FrameSpan, select_span
from framelens.media.span import copy_span, span_bounds
from tests.media_indexed import read_index

if TYPE_CHECKING:
    from fractions import Fraction

    import numpy as np

    from tests.media import Generated


def _decode(data: bytes) -> tuple[str, list[tuple[str, str]], list[int], list[Fraction], float]:
    """Container name, (type, codec) per stream, frame indexes, frame times, audio seconds."""
    with av.open(io.BytesIO(data)) as container:
        name = container.format.name
        streams = [(s.type, s.codec_context.name) for s in container.streams]
        frames = list(container.decode(video=0))
    audio = 0.0
    with av.open(io.BytesIO(data)) as container:
        if container.streams.audio:
            audio = sum(f.samples for f in container.decode(audio=0)) / 48000
    indexes = [read_index(f.to_ndarray(format="bgr24")) for f in frames]
    times = [f.time for f in frames]
    return name, streams, indexes, times, audio


# --- spans ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "key"), [(30, 60, 25), (25, 40, 25), (0, 10, 0)])
def test_span_copy_starts_at_the_keyframe_at_or_before(
    indexed_av_video: Generated, start: int, end: int, key: int
) -> None:
    # GIVEN keyframes every 25 frames, with audio
    index = build_frame_index(indexed_av_video.path)
    # WHEN frames start..end are copied
    assert span_bounds(index, FrameSpan(start, end)) == FrameSpan(key, end)
    data = b"".join(copy_span(indexed_av_video.path, index, FrameSpan(start, end)))
    name, streams, indexes, _, audio = _decode(data)
    # THEN an MP4 with the source codecs (no re-encode) starting at that keyframe, in order,
    # through the end frame, plus at most the B-frames' reference frame after it
    assert "mp4" in name and streams == [("video", "h264"), ("audio", "aac")]
    assert indexes[0] == key
    assert indexes == sorted(indexes) and set(range(key, end + 1)) <= set(indexes)
    assert max(indexes) <= end + 2
    assert audio == pytest.approx((end + 1 - key) / 25, abs=0.1)


def test_span_copy_is_bit_exact(indexed_av_video: Generated) -> None:
    # GIVEN the source's video packets from keyframe 50 on
    index = build_frame_index(indexed_av_video.path)
    with av.open(str(indexed_av_video.path)) as container:
        source = [bytes(p) for p in container.demux(video=0) if p.size][50:70]
    # WHEN frames 50..60 are copied THEN the copied packets are the source's bytes
    data = b"".join(copy_span(indexed_av_video.path, index, FrameSpan(50, 60)))
    with av.open(io.BytesIO(data)) as container:
        copied = [bytes(p) for p in container.demux(video=0) if p.size]
    assert copied == source[: len(copied)] and len(copied) >= 11


def test_audio_off_remuxes_the_whole_file_without_audio(indexed_av_video: Generated) -> None:
    index = build_frame_index(indexed_av_video.path)
    data = b"".join(copy_span(indexed_av_video.path, index, None, audio=False))
    _, streams, indexes, _, _ = _decode(data)
    assert streams == [("video", "h264")]
    assert indexes == list(range(100))


def test_span_outside_the_video_is_refused_before_streaming(indexed_av_video: Generated) -> None:
    index = build_frame_index(indexed_av_video.path)
    with pytest.raises(ValidationError, match="has 100 frames"):
        copy_span(indexed_av_video.path, index, FrameSpan(90, 100))


# --- clips ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(0, 47), (30, 60), (49, 51), (99, 99), (0, 99)])
def test_clip_holds_exactly_the_span(indexed_av_video: Generated, start: int, end: int) -> None:
    # GIVEN keyframes every 25 frames and B-frames
    index = build_frame_index(indexed_av_video.path)
    # WHEN frames start..end are clipped
    data = b"".join(encode_clip(indexed_av_video.path, index, FrameSpan(start, end)))
    name, streams, indexes, times, audio = _decode(data)
    # THEN MPEG-TS with H.264 + AAC, and exactly end - start + 1 frames, start..end in order
    assert name == "mpegts"
    assert sorted(streams) == [("audio", "aac"), ("video", "h264")]
    assert len(indexes) == end - start + 1
    assert indexes == list(range(start, end + 1))
    # AND frames keep their spacing (25 fps) and the audio lasts as long as the video
    steps = {round(float(b - a), 3) for a, b in itertools.pairwise(times)}
    assert steps <= {0.04}
    assert audio == pytest.approx((end - start + 1) / 25, abs=0.05)


def test_clip_without_audio_has_no_audio_stream(indexed_av_video: Generated) -> None:
    index = build_frame_index(indexed_av_video.path)
    data = b"".join(encode_clip(indexed_av_video.path, index, FrameSpan(10, 20), audio=False))
    _, streams, indexes, _, _ = _decode(data)
    assert streams == [("video", "h264")]
    assert indexes == list(range(10, 21))


def test_clip_of_a_silent_video_has_only_video(long_gop_video: Generated) -> None:
    index = build_frame_index(long_gop_video.path)
    data = b"".join(encode_clip(long_gop_video.path, index, FrameSpan(240, 260)))
    _, streams, indexes, _, _ = _decode(data)
    assert streams == [("video", "h264")]
    assert indexes == list(range(240, 261))


def test_debug_clip_draws_the_clip_label(indexed_av_video: Generated) -> None:
    # GIVEN the same span clipped plain and in debug mode
    index = build_frame_index(indexed_av_video.path)
    plain = b"".join(encode_clip(indexed_av_video.path, index, FrameSpan(5, 9), audio=False))
    debug = b"".join(
        encode_clip(indexed_av_video.path, index, FrameSpan(5, 9), audio=False, debug=True)
    )

    def corner(data: bytes) -> np.ndarray:
        with av.open(io.BytesIO(data)) as container:
            frame = next(container.decode(video=0)).to_ndarray(format="bgr24")
        return frame[-25:, :70]

    # THEN the debug frames carry white text on black in the bottom-left corner; plain ones not
    assert (corner(debug).min(axis=2) > 200).sum() > 20
    assert (corner(debug).max(axis=2) < 40).sum() > 100
    assert (corner(plain).min(axis=2) > 200).sum() == 0


def test_vfr_clip_keeps_frame_times(vfr_indexed_video: Generated) -> None:
    index = build_frame_index(vfr_indexed_video.path)
    data = b"".join(encode_clip(vfr_indexed_video.path, index, FrameSpan(2, 10)))
    _, _, indexes, times, _ = _decode(data)
    truth = vfr_indexed_video.truth["times"]
    assert indexes == list(range(2, 11))
    assert [round(float(t - times[0]), 3) for t in times] == [
        round(float(truth[i] - truth[2]), 3) for i in range(2, 11)
    ]


def test_clip_streams_before_the_end_and_stops_when_closed(long_gop_video: Generated) -> None:
    # GIVEN a 300-frame clip being encoded
    index = build_frame_index(long_gop_video.path)
    done: list[int] = []
    fds_before = len(os.listdir("/proc/self/fd"))
    chunks = encode_clip(long_gop_video.path, index, FrameSpan(0, 299), progress=done.append)
    # WHEN the first chunk arrives
    first = next(chunks)
    # THEN it came before the whole clip was encoded
    assert first and done[-1] < 300
    # WHEN the consumer goes away
    chunks.close()  # type: ignore[attr-defined]
    encoded = done[-1]
    # THEN the work stops and the decoder's file is closed
    assert list(chunks) == [] and done[-1] == encoded
    assert len(os.listdir("/proc/self/fd")) == fds_before


# --- spans from request parameters ------------------------------------------------------------


def test_span_from_frames_and_times(indexed_video: Generated) -> None:
    index = build_frame_index(indexed_video.path)
    assert select_span(index) is None
    assert select_span(index, start_frame=0, end_frame=47) == FrameSpan(0, 47)
    # times cover the frames that start in [start, end)
    assert select_span(index, start_time=1.0, end_time=2.0) == FrameSpan(25, 49)
    assert select_span(index, start_time=1.01, end_time=2.0) == FrameSpan(26, 49)
    # fps overrides the frame <-> time conversion
    assert select_span(index, start_time=1.0, end_time=2.0, fps=10) == FrameSpan(10, 19)
    # an end past the video is clamped
    assert select_span(index, start_time=4.0, end_time=99.0) == FrameSpan(100, 119)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start_frame": 5}, "end_frame is missing"),
        ({"end_frame": 5}, "start_frame is missing"),
        ({"start_frame": 9, "end_frame": 5}, "before start_frame"),
        ({"start_frame": 0, "end_frame": 120}, "has 120 frames"),
        ({"start_time": 1.0}, "end_time is missing"),
        ({"start_time": 2.0, "end_time": 2.0}, "must be after"),
        ({"start_time": -1.0, "end_time": 2.0}, "0 or more"),
        ({"start_time": float("nan"), "end_time": 2.0}, "finite"),
        ({"start_time": 5.0, "end_time": 9.0}, "past the end"),
        ({"start_time": 0.0, "end_time": 1.0, "fps": 0}, "positive"),
    ],
)
def test_bad_span_parameters_name_the_problem(
    indexed_video: Generated, params: dict, message: str
) -> None:
    index = build_frame_index(indexed_video.path)
    with pytest.raises(ValidationError, match=message):
        select_span(index, **params)
