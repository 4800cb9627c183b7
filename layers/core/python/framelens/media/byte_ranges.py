"""HTTP ``Range`` headers: parse one against a representation size, never raising.

Owns: ``parse_range`` and ``ByteRange`` (RFC 9110 §14 byte ranges). Does not own conditional
requests (``media.conditional``) or reading bytes (``BlobStore.iter_range``). Pure stdlib: the
API's cold path may import it.

Decisions (every input has a defined answer, none an exception):

- No header, another unit (``items=0-1``), a syntactically invalid set (garbage, a reversed
  ``5-1``, signs, an empty set), more than ``MAX_RANGES`` ranges or a header longer than
  ``MAX_HEADER_CHARS`` → ``full``: the header is ignored and the whole representation is sent
  (200), as RFC 9110 §14.2 lets a server ignore ``Range``.
- ``bytes=N-`` → ``N`` to the end; ``bytes=N-M`` with ``M`` past the end → clamped to the end;
  ``bytes=-N`` → the last ``N`` bytes (the whole file when ``N`` is larger).
- No range satisfiable (every first byte at or past the end, ``bytes=-0``, or an empty
  representation) → ``unsatisfiable`` (416 with ``Content-Range: bytes */size``).
- Several satisfiable ranges → one ``partial`` range from the smallest first byte to the largest
  last byte (§14.3 lets a server coalesce). It covers everything asked for in one 206 part, so
  no ``multipart/byteranges`` is ever built and a many-range header cannot amplify the reply
  beyond the file itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["MAX_HEADER_CHARS", "MAX_RANGES", "ByteRange", "RangeAnswer", "parse_range"]

MAX_RANGES = 100
MAX_HEADER_CHARS = 8192
# Values longer than this are larger than any file; Python refuses int() past 4300 digits.
_MAX_DIGITS = 19
_HUGE = 1 << 63
_SPEC = re.compile(r"([0-9]*)-([0-9]*)")  # ASCII digits only: int() accepts others


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes ``start..end`` inclusive of a representation.

    Examples:
        >>> ByteRange(0, 99).content_range(1000)
        'bytes 0-99/1000'
    """

    start: int
    end: int

    @property
    def length(self) -> int:
        """Number of bytes in the range."""
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        """The ``Content-Range`` value of a 206 carrying this range."""
        return f"bytes {self.start}-{self.end}/{size}"


@dataclass(frozen=True, slots=True)
class RangeAnswer:
    """What a ``Range`` header asks of a representation.

    Attributes:
        kind: ``full`` (send everything, 200), ``partial`` (206 with ``range``) or
            ``unsatisfiable`` (416).
        range: the one range to send when ``partial``.
    """

    kind: Literal["full", "partial", "unsatisfiable"]
    range: ByteRange | None = None


_FULL = RangeAnswer("full")
_UNSATISFIABLE = RangeAnswer("unsatisfiable")


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= _MAX_DIGITS else _HUGE


def _spec_range(spec: str, size: int) -> ByteRange | Literal[False] | None:
    """One spec → its satisfiable range, ``None`` if unsatisfiable, ``False`` if invalid."""
    match = _SPEC.fullmatch(spec)
    if match is None:
        return False
    first, last = match.groups()
    if not first:
        if not last:
            return False  # a bare "-"
        suffix = _number(last)
        if suffix == 0 or size == 0:
            return None
        return ByteRange(max(0, size - suffix), size - 1)
    start = _number(first)
    if last and _number(last) < start:
        return False  # RFC 9110 §14.1.1: last < first makes the whole set invalid
    if start >= size:
        return None
    end = size - 1 if not last else min(_number(last), size - 1)
    return ByteRange(start, end)


def parse_range(header: str | None, size: int) -> RangeAnswer:
    """Decide what a ``Range`` header asks of a representation of ``size`` bytes.

    Args:
        header: the raw ``Range`` value, or ``None``.
        size: the representation's length in bytes (0 or more).

    Returns:
        ``full``, ``partial`` with one coalesced ``ByteRange``, or ``unsatisfiable``; see the
        module docstring for every case. Never raises.

    Examples:
        >>> parse_range("bytes=-100", 1000).range
        ByteRange(start=900, end=999)
        >>> parse_range("bytes=5-1", 1000).kind
        'full'
        >>> parse_range("bytes=1000-", 1000).kind
        'unsatisfiable'
    """
    if not header or len(header) > MAX_HEADER_CHARS:
        return _FULL
    unit, sep, rest = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return _FULL
    specs = [s.strip() for s in rest.split(",")]
    specs = [s for s in specs if s]  # RFC 9110 §5.6.1: empty list elements are allowed
    if not specs or len(specs) > MAX_RANGES:
        return _FULL
    found: list[ByteRange] = []
    for spec in specs:
        outcome = _spec_range(spec, size)
        if outcome is False:
            return _FULL
        if outcome is not None:
            found.append(outcome)
    if not found:
        return _UNSATISFIABLE
    start = min(r.start for r in found)
    end = max(r.end for r in found)
    return RangeAnswer("partial", ByteRange(start, end))
