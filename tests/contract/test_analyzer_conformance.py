"""Every registered analyzer: declares needs, survives zero frames, is deterministic, merges."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import pytest

from framelens.analyzers.registry import analyzer_class, known_modules
from framelens.engine.base import Analyzer, AnalyzerResult, Frame, FrameNeeds, MediaInfo, RunContext
from framelens.engine.merge import merge_results

if TYPE_CHECKING:
    from framelens.engine.base import Analyzer as AnalyzerT

NAMES = [n for n in known_modules() if n in {"scenes", "best_frames", "sections"}]
MEDIA = MediaInfo(
    media_type="video", width=64, height=48, fps=Fraction(10), frames=30, duration=Fraction(3)
)


def _frames(needs: FrameNeeds) -> list[Frame]:
    rng = np.random.default_rng(0)
    shape: tuple[int, ...] = (48, 64) if needs.colour == "gray" else (48, 64, 3)
    out = []
    for i in range(30):
        img = (
            rng.integers(0, 256, shape, dtype=np.uint8) if i >= 15 else np.full(shape, 90, np.uint8)
        )
        out.append(Frame(i, Fraction(i, 10), img))
    return out


def _run(analyzer: AnalyzerT, frames: list[Frame]) -> AnalyzerResult:
    analyzer.start(MEDIA, RunContext())
    for f in frames:
        analyzer.process(f)
    return analyzer.finish()


@pytest.mark.parametrize("name", NAMES)
def test_declares_needs_and_a_name(name: str) -> None:
    cls = analyzer_class(name)
    assert issubclass(cls, Analyzer) and cls.name == name
    assert isinstance(cls().needs(), FrameNeeds)


@pytest.mark.parametrize("name", NAMES)
def test_zero_frames_give_an_empty_result(name: str) -> None:
    result = _run(analyzer_class(name)(), [])
    assert isinstance(result, AnalyzerResult) and result.analyzer == name
    assert result.items() == []


@pytest.mark.parametrize("name", NAMES)
def test_same_frames_same_result(name: str) -> None:
    cls = analyzer_class(name)
    frames = _frames(cls().needs())
    assert _run(cls(), frames).model_dump() == _run(cls(), frames).model_dump()


@pytest.mark.parametrize("name", NAMES)
def test_merge_of_one_part_is_that_part(name: str) -> None:
    cls = analyzer_class(name)
    result = _run(cls(), _frames(cls().needs()))
    assert result.items(), "the synthetic frames should produce items"
    assert merge_results(name, [result]).model_dump() == result.model_dump()


@pytest.mark.parametrize("name", NAMES)
def test_result_round_trips_through_json(name: str) -> None:
    cls = analyzer_class(name)
    result = _run(cls(), _frames(cls().needs()))
    again = type(result).model_validate_json(result.model_dump_json())
    assert again.model_dump() == result.model_dump()
