"""Kinetics-600 → Kinetics-400 names: seed 000 promises Kinetics-400 labels, the model has 600.

Owns: reading the checked-in table ``framelens/models/data/kinetics600_to_400.tsv`` (written by
``scripts/kinetics_map.py`` and reviewed by hand; the README's "Kinetics-400 names" section
documents it). Does not own: which activity a video shows (``activity``).

368 Kinetics-600 names are Kinetics-400 names verbatim; 16 more map to the Kinetics-400 name of
the same activity (renames such as "dyeing hair" → "dying hair", and splits such as
"hugging baby" / "hugging (not baby)" → "hugging"); the other 216 have none. 18 Kinetics-400
names ("digging", "using computer", ...) can never be produced by this model.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

__all__ = ["kinetics400_name", "kinetics400_table"]

_TABLE = "kinetics600_to_400.tsv"


@lru_cache(maxsize=1)
def kinetics400_table() -> dict[str, str | None]:
    """Every Kinetics-600 name → its Kinetics-400 name or ``None`` (600 entries, model order)."""
    text = resources.files("framelens.models").joinpath("data", _TABLE).read_text()
    table: dict[str, str | None] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        k600, _, k400 = line.partition("\t")
        table[k600] = k400 or None
    return table


def kinetics400_name(label: str) -> str | None:
    """The Kinetics-400 name of a Kinetics-600 ``label``, or ``None`` where there is none.

    Examples:
        >>> kinetics400_name("playing violin")
        'playing violin'
        >>> kinetics400_name("dyeing hair")
        'dying hair'
        >>> kinetics400_name("waking up") is None
        True
    """
    return kinetics400_table().get(label)
