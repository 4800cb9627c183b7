"""Synthetic face embeddings and observations for the faces logic tests: two people as random
128-d directions, noisy samples of each, and ``FaceObservation``s around them."""

from __future__ import annotations

import numpy as np

from framelens.analyzers.faces.observe import FaceObservation

__all__ = ["PERSON_A", "PERSON_B", "jittered", "noisy", "obs", "unit"]

rng = np.random.default_rng(7)
PERSON_A = rng.normal(size=128)
PERSON_B = rng.normal(size=128)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def noisy(person: np.ndarray, scale: float = 0.05) -> np.ndarray:
    return unit(person + rng.normal(scale=scale * np.linalg.norm(person) / 11, size=128))


_TRACE_RNG = np.random.default_rng(11)  # its own, so the tests below don't shift ``rng``


def jittered(person: np.ndarray) -> np.ndarray:
    """Like ``noisy``, from the trace tests' own generator."""
    return unit(person + _TRACE_RNG.normal(scale=0.05 * np.linalg.norm(person) / 11, size=128))


def obs(box: tuple[float, float, float, float], vector: np.ndarray | None) -> FaceObservation:
    return FaceObservation(
        box=box,
        landmarks=np.zeros((5, 2)),
        score=0.95,
        embedding=None if vector is None else vector.astype(np.float32),
        age=30.0,
        female_probability=0.5,
        sharpness=10.0,
        crop=np.zeros((4, 4, 3), np.uint8),
    )
