"""Faces calibration: same-person and different-person cosine similarities of the default
embedder (dlib ResNet on YuNet-aligned chips), the numbers the thresholds were chosen from.

Usage: ``FRAMELENS_MODEL_DIR=../shared/models python benchmarks/faces_calibration.py``.
Labelled data available offline is tiny: two real people in colour (the violinist clip's man,
every 10th frame, labelled by shot; scikit-image's astronaut, as is, mirrored, half size and
rotated 15 degrees) and one grey photo (scikit-image's ``camera``) as a hard negative.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import av
import cv2
import numpy as np
from skimage import data

from framelens.analyzers.faces import faces_in_image, load_face_models
from framelens.models import ModelRegistry

CLIP = Path(__file__).resolve().parents[2] / "shared" / "media" / "violinist_faces_cuts_640x360.mp4"
CUTS = (223, 403, 584)


def _stats(name: str, values: list[float]) -> None:
    v = np.array(values)
    print(
        f"| {name} | {len(v)} | {v.min():.3f} | {np.percentile(v, 5):.3f} | {np.median(v):.3f} "
        f"| {np.percentile(v, 95):.3f} | {v.max():.3f} |"
    )


def main() -> None:
    registry = ModelRegistry(
        Path(os.environ.get("FRAMELENS_MODEL_DIR", "../shared/models")),
        Path("/tmp/framelens-bench-cache"),
    )
    models = load_face_models(registry)

    def best(image: np.ndarray) -> np.ndarray | None:
        found = faces_in_image(image, models)
        return np.array(found[0].embedding) if found else None

    ast = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    rot = cv2.warpAffine(ast, cv2.getRotationMatrix2D((256, 256), 15, 1.0), (512, 512))
    variants = [ast, cv2.flip(ast, 1), cv2.resize(ast, (256, 256)), rot]
    astronaut = [v for v in (best(x) for x in variants) if v is not None]
    camera = best(cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR))
    shots: dict[int, list[np.ndarray]] = {}
    with av.open(str(CLIP)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % 10 == 0:
                vector = best(frame.to_ndarray(format="bgr24"))
                if vector is not None:
                    shots.setdefault(sum(i >= c for c in CUTS), []).append(vector)
    man = [v for vs in shots.values() for v in vs]
    means = {
        s: vs and np.sum(vs, axis=0) / np.linalg.norm(np.sum(vs, axis=0)) for s, vs in shots.items()
    }
    print(
        f"faces: violinist {len(man)} in {len(shots)} shots, astronaut {len(astronaut)}, "
        f"camera {'1' if camera is not None else '0'}"
    )
    print("| pairs (cosine) | n | min | p5 | median | p95 | max |")
    print("|---|---|---|---|---|---|---|")
    _stats(
        "same: violinist face vs face", [float(a @ b) for a, b in itertools.combinations(man, 2)]
    )
    _stats(
        "same: violinist face vs another shot's mean",
        [float(v @ means[t]) for s, vs in shots.items() for v in vs for t in means if t != s],
    )
    _stats(
        "same: violinist shot mean vs shot mean",
        [float(means[a] @ means[b]) for a, b in itertools.combinations(means, 2)],
    )
    _stats(
        "same: astronaut copies", [float(a @ b) for a, b in itertools.combinations(astronaut, 2)]
    )
    _stats("different: astronaut vs violinist face", [float(a @ b) for a in astronaut for b in man])
    _stats(
        "different: astronaut vs violinist shot mean",
        [float(a @ m) for a in astronaut for m in means.values()],
    )
    if camera is not None:
        _stats("different: grey camera vs violinist face", [float(camera @ b) for b in man])
        _stats(
            "different: grey camera vs violinist shot mean",
            [float(camera @ m) for m in means.values()],
        )
        _stats("different: grey camera vs astronaut", [float(camera @ a) for a in astronaut])


if __name__ == "__main__":
    main()
