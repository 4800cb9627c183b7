"""Write ``framelens/models/data/kinetics600_to_400.tsv``: each Kinetics-600 class of MoViNet's
output mapped to the Kinetics-400 name seed 000 promises, or to nothing.

Usage: ``python scripts/kinetics_map.py [--models ../shared/models]`` (run once; the output is
checked in and reviewed; ``tests/unit/test_kinetics_map.py`` checks it against both label lists).

Rules: a Kinetics-600 name that is also a Kinetics-400 name maps to itself (368 of them). The
other 232 map through ``RENAMED`` below, reviewed by hand against the 32 Kinetics-400 names that
are not in Kinetics-600: a pair is listed only when the Kinetics-600 class is the same activity
(a rename, a spelling fix, or a split whose parts are each still that activity). Everything else
maps to nothing (an empty second column): the API then reports the Kinetics-600 name with
``kinetics400: null``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "layers/core/python/framelens/models/data/kinetics600_to_400.tsv"

# Kinetics-600 name -> Kinetics-400 name, for Kinetics-600 names absent from Kinetics-400.
RENAMED: dict[str, str] = {
    "changing wheel (not on bike)": "changing wheel",
    "cooking sausages (not on barbeque)": "cooking sausages",
    "dyeing hair": "dying hair",  # spelling fixed in Kinetics-600
    "hugging (not baby)": "hugging",  # Kinetics-400's class had no such split
    "hugging baby": "hugging",
    "making the bed": "making bed",
    "opening bottle (not wine)": "opening bottle",
    "opening wine bottle": "opening bottle",
    "passing american football (not in game)": "passing American football (not in game)",
    "person collecting garbage": "garbage collecting",
    "throwing ball (not baseball or American football)": "throwing ball",
    "tying necktie": "tying tie",  # "tying bow tie" is in both lists
    "inflating balloons": "balloon blowing",
    "skiing mono": "skiing (not slalom or crosscountry)",  # downhill, neither slalom nor cross
    # Kinetics-400 has "mopping floor" and "sweeping floor" too: its "cleaning floor" is the rest.
    "vacuuming floor": "cleaning floor",
    "sipping cup": "drinking",
}

# Kinetics-400 names that no Kinetics-600 class maps to, and why (for the README's gap table).
UNREACHABLE: dict[str, str] = {
    "baby waking up": 'K600 "waking up" is any person, not only babies',
    "cooking chicken": "no such class",
    "digging": 'K600 has only "clam digging"',
    "drinking beer": 'K600 "tasting beer" is also in K400; "pouring beer" is not drinking',
    "exercising arm": "no such class",
    "filling eyebrows": 'K600 "dyeing eyebrows" is tinting, not filling',
    "gargling": "no such class",
    "playing cards": 'K600 "shuffling cards" is also in K400',
    "riding mountain bike": 'K600 "riding a bike" is also in K400',
    "shredding paper": "no such class",
    "sniffing": "no such class",
    "spraying": 'K600 "spray painting" is also in K400',
    "strumming guitar": 'K600 "playing guitar" is also in K400',
    "swinging legs": "no such class",
    "taking a shower": "no such class",
    "tossing salad": 'K600 "preparing salad" is broader (chopping, mixing)',
    "using computer": "no such class",
    "vault": 'K600 "pole vault" is also in K400 (this is the gymnastics vault)',
}


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def build(k600: list[str], k400: list[str]) -> list[tuple[str, str]]:
    """``(kinetics600, kinetics400 or "")`` in model order; checks the tables above."""
    known = set(k400)
    assert all(v in known for v in RENAMED.values()), "RENAMED targets must be K400 names"
    assert all(k in set(k600) - known for k in RENAMED), "RENAMED keys must be K600-only names"
    rows = [(name, name if name in known else RENAMED.get(name, "")) for name in k600]
    reached = {target for _, target in rows if target}
    assert known - reached == set(UNREACHABLE), "UNREACHABLE must list exactly the gap"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=Path, default=ROOT.parent / "shared" / "models")
    args = parser.parse_args()
    k600 = _lines(args.models / "kinetics600_labels.txt")
    k400 = _lines(args.models / "kinetics400_labels.txt")
    rows = build(k600, k400)
    OUT.write_text("".join(f"{a}\t{b}\n" for a, b in rows))
    verbatim = sum(a == b for a, b in rows)
    print(
        f"wrote {OUT.relative_to(ROOT)}: {len(rows)} rows, {verbatim} verbatim, "
        f"{len(RENAMED)} renamed, {len(rows) - verbatim - len(RENAMED)} without a K400 name; "
        f"{len(UNREACHABLE)} K400 names unreachable"
    )


if __name__ == "__main__":
    main()
