"""The checked-in Kinetics-600 → Kinetics-400 table against both label lists and its script."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from framelens.analyzers.kinetics import kinetics400_name, kinetics400_table
from framelens.models import BUILTIN_MANIFESTS, load_labels
from tests.shared import MODELS

K400 = MODELS / "kinetics400_labels.txt"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "kinetics_map.py"


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def test_table_follows_the_model_labels_in_order() -> None:
    # GIVEN the packaged table and the activity model's packaged labels
    table = kinetics400_table()
    labels = load_labels(BUILTIN_MANIFESTS["movinet_a0_stream_kinetics600_int8"])
    # THEN one row per model class, same names, same order ("playing violin" is class 376)
    assert list(table) == list(labels)
    assert len(labels) == 600 and labels[376] == "playing violin"


@pytest.mark.skipif(not K400.exists(), reason="../shared/models/kinetics400_labels.txt is absent")
def test_mapping_reaches_only_kinetics400_names_and_documents_the_gap() -> None:
    # GIVEN the Kinetics-400 list seed 000 promises
    k400 = set(_lines(K400))
    table = kinetics400_table()
    targets = {v for v in table.values() if v is not None}
    # THEN every mapped name is a Kinetics-400 name: 368 verbatim + 16 renamed classes
    assert targets <= k400
    assert sum(k == v for k, v in table.items()) == 368
    assert sum(v is not None and k != v for k, v in table.items()) == 16
    # AND the 18 Kinetics-400 names left out are exactly those the script documents
    spec = importlib.util.spec_from_file_location("kinetics_map", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert k400 - targets == set(script.UNREACHABLE)
    assert len(k400 - targets) == 18
    # AND the script, run again on the shared lists, writes the same table
    rows = script.build(list(table), _lines(K400))
    assert {a: (b or None) for a, b in rows} == table


@pytest.mark.parametrize(
    ("k600", "k400"),
    [
        ("playing violin", "playing violin"),
        ("dyeing hair", "dying hair"),
        ("hugging baby", "hugging"),
        ("passing american football (not in game)", "passing American football (not in game)"),
        ("waking up", None),
        ("not a class", None),
    ],
)
def test_names(k600: str, k400: str | None) -> None:
    assert kinetics400_name(k600) == k400
