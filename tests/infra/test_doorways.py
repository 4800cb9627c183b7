"""Lambda handlers and the GPU worker entry are doorways (STYLE; issue 8): parse the event, call
the library, shape the response — at most 40 lines each, so work cannot hide in them."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = [*sorted(ROOT.glob("functions/*/handler.py")), ROOT / "containers/gpu-worker/worker.py"]


def test_every_function_has_a_handler() -> None:
    names = {p.parent.name for p in ENTRIES}
    assert {"api", "authorizer", "ingest", "pipeline", "job_events", "webhooks", "render"} <= names


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_entry_points_are_at_most_40_lines(entry: Path) -> None:
    lines = entry.read_text().splitlines()
    assert len(lines) <= 40, f"{entry.relative_to(ROOT)} has {len(lines)} lines"
