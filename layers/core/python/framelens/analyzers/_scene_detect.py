"""Scene boundary detection over a per-frame measurement series (pure functions, no decoding).

Owns: the per-step change measure and the detectors for hard cuts, fades through black and
dissolves. Does not own: frame delivery (the engine) or result assembly (``analyzers.scenes``).

Detection runs on the whole series at once (in ``finish`` for one pass, in ``merge`` for joined
segments), so merged segments give exactly the single-pass transitions.

- **Cut** at sample ``j`` when ``diff[j] >= threshold`` and ``diff[j] >= ratio x`` the median of
  the diffs in the ``window`` samples on each side (adaptive: busy shots need a bigger jump).
- **Fade** through black: a run of samples with mean luma below ``dark_level`` between two lit
  stretches; the boundary is the run's middle frame. Cuts on the luma ramps around the run (a
  cut to or from black) are absorbed into it.
- **Dissolve**: the histogram distance to the sample ``window`` steps back (``long_diff``)
  reaches ``dissolve_threshold`` while no single step is a cut; the boundary is the middle of the
  plateau where ``long_diff`` stays within 90 % of its peak, shifted back half a window.
- ``min_scene_len`` (seconds): a boundary closer than that to the previous kept one is dropped
  (cuts win over gradual transitions, then earlier wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["HIST_BINS", "DetectOptions", "Found", "detect", "histogram", "step_diff"]

HIST_BINS = 32


@dataclass(frozen=True, slots=True)
class DetectOptions:
    """Tunables (the analyzer's options of the same names)."""

    threshold: float = 0.12
    ratio: float = 3.0
    window: int = 12
    min_scene_len: float = 0.5
    dark_level: float = 0.1
    dissolve_threshold: float = 0.35

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> DetectOptions:
        """Pick the known keys out of an analyzer's options."""
        known = {k: options[k] for k in cls.__slots__ if k in options}
        return cls(**known)


@dataclass(frozen=True, slots=True)
class Found:
    """A boundary: the new scene starts at sample ``pos``."""

    kind: str
    pos: int
    strength: float


def histogram(gray: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Normalised ``HIST_BINS``-bin grey histogram (sums to 1): bin ``v >> 3``."""
    import cv2

    counts = cv2.calcHist([gray], [0], None, [HIST_BINS], [0, 256]).ravel()
    return cast("npt.NDArray[np.float32]", counts / max(1.0, float(gray.size)))


def hist_distance(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    """Total-variation distance of two normalised histograms, in [0, 1]."""
    import cv2

    return 0.5 * float(cv2.norm(a, b, cv2.NORM_L1))


def step_diff(
    prev: npt.NDArray[np.uint8],
    cur: npt.NDArray[np.uint8],
    prev_hist: npt.NDArray[np.float32],
    cur_hist: npt.NDArray[np.float32],
) -> float:
    """The documented change measure in [0, 1]: mean of pixel MAD / 255 and histogram distance."""
    import cv2

    mad = float(cv2.norm(prev, cur, cv2.NORM_L1)) / max(1, prev.size) / 255.0
    return 0.5 * mad + 0.5 * hist_distance(prev_hist, cur_hist)


def _cuts(diffs: list[float], opts: DetectOptions) -> list[Found]:
    import numpy as np

    arr = np.asarray(diffs, dtype=np.float64)
    found = []
    for j in np.flatnonzero(arr >= opts.threshold):
        lo, hi = max(0, j - opts.window), min(len(arr), j + opts.window + 1)
        around = np.concatenate([arr[lo:j], arr[j + 1 : hi]])
        base = float(np.median(around)) if around.size else 0.0
        if arr[j] >= opts.ratio * base:
            found.append(Found("cut", int(j), float(arr[j])))
    return found


def _fade_regions(luma: list[float], opts: DetectOptions) -> list[tuple[int, int, int, int]]:
    """Dark runs ``[a, b)`` between lit stretches, with the fade ramps around them ``[lo, hi)``."""
    regions = []
    j, n = 0, len(luma)
    while j < n:
        if luma[j] >= opts.dark_level:
            j += 1
            continue
        a = j
        while j < n and luma[j] < opts.dark_level:
            j += 1
        b = j
        if a == 0 or b == n:  # fading in at the start or out at the end is not a boundary
            continue
        lo, hi = a, b
        while lo > 0 and luma[lo - 1] > luma[lo]:
            lo -= 1
        while hi < n and luma[hi] > luma[hi - 1]:
            hi += 1
        regions.append((lo, a, b, hi))
    return regions


def _fades(luma: list[float], opts: DetectOptions) -> tuple[list[Found], list[tuple[int, int]]]:
    found, spans = [], []
    for lo, a, b, hi in _fade_regions(luma, opts):
        found.append(Found("fade", (a + b) // 2, 1.0 - min(luma[a:b])))
        spans.append((lo, hi))
    return found, spans


def _dissolves(
    long_diffs: list[float], diffs: list[float], cuts: set[int], opts: DetectOptions
) -> list[Found]:
    found = []
    low = opts.dissolve_threshold / 2
    j, n = 0, len(long_diffs)
    while j < n:
        # Hysteresis: a run is entered at half the threshold so noise cannot split a blend.
        if long_diffs[j] < low:
            j += 1
            continue
        a = j
        while j < n and long_diffs[j] >= low:
            j += 1
        b = j
        peak = max(long_diffs[a:b])
        if peak < opts.dissolve_threshold:
            continue
        top = [k for k in range(a, b) if long_diffs[k] >= 0.9 * peak]
        pos = max(0, (top[0] + top[-1]) // 2 - opts.window // 2)
        span_lo = max(0, a - opts.window)
        if not any(span_lo <= c <= b for c in cuts) and max(diffs[span_lo:b]) < opts.threshold:
            found.append(Found("dissolve", pos, float(peak)))
    return found


def detect(
    seconds: list[float],
    diffs: list[float],
    luma: list[float],
    long_diffs: list[float],
    opts: DetectOptions,
) -> list[Found]:
    """All boundaries of a series, sorted, ``min_scene_len`` applied.

    Args:
        seconds: time of each sample.
        diffs: ``step_diff`` to the previous sample (0 for the video's first frame).
        luma: mean grey / 255 of each sample.
        long_diffs: histogram distance to the sample ``opts.window`` steps back (0 if none).
        opts: tunables.
    """
    fades, fade_spans = _fades(luma, opts)
    # A cut into or out of black is part of the fade: one boundary per trip through black.
    cuts = [c for c in _cuts(diffs, opts) if not any(lo <= c.pos <= hi for lo, hi in fade_spans)]
    near = {c.pos for c in cuts} | {k for lo, hi in fade_spans for k in range(lo, hi + 1)}
    gradual = fades + _dissolves(long_diffs, diffs, near, opts)
    # Cuts are the most precise, so they claim their neighbourhood first.
    ordered = sorted(cuts, key=lambda f: f.pos) + sorted(gradual, key=lambda f: f.pos)
    kept: list[Found] = []
    for cand in ordered:
        if cand.pos <= 0:
            continue
        t = seconds[cand.pos]
        if all(abs(t - seconds[k.pos]) >= opts.min_scene_len for k in kept):
            kept.append(cand)
    return sorted(kept, key=lambda f: f.pos)
