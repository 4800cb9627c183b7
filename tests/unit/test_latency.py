"""Unit tests of framelens.jobs.latency: seed 001's latency-per-unit statistic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from framelens.errors import ValidationError
from framelens.jobs.latency import LatencyStats
from framelens.stores.embedded import build_embedded_stores

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def stats(tmp_path: Path) -> LatencyStats:
    return LatencyStats(build_embedded_stores(tmp_path).counters)


def test_nothing_observed_is_null_not_zero(stats: LatencyStats) -> None:
    assert stats.get("video") == {
        "media_type": "video",
        "unit": "second",
        "latency_ms_per_unit": None,
    }


def test_average_is_total_ms_over_total_units(stats: LatencyStats) -> None:
    # GIVEN two image jobs: 2 images in 240 ms and 1 image in 150 ms
    stats.record("image", units=2, elapsed_ms=240)
    stats.record("image", units=1, elapsed_ms=150)
    # THEN the latency per image is 390 / 3
    assert stats.get("image") == {
        "media_type": "image",
        "unit": "image",
        "latency_ms_per_unit": 130.0,
    }


def test_media_types_are_kept_apart_and_empty_jobs_ignored(stats: LatencyStats) -> None:
    stats.record("video", units=10.0, elapsed_ms=5000)
    stats.record("video", units=0, elapsed_ms=9999)
    stats.record("image", units=1, elapsed_ms=100)
    assert stats.get("video")["latency_ms_per_unit"] == 500.0


@pytest.mark.parametrize("media_type", ["audio", "", "VIDEO"])
def test_unknown_media_type_is_a_validation_error(stats: LatencyStats, media_type: str) -> None:
    with pytest.raises(ValidationError, match="video' or 'image"):
        stats.get(media_type)
    with pytest.raises(ValidationError):
        stats.record(media_type, 1, 1)  # type: ignore[arg-type]
