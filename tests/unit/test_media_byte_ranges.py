"""HTTP byte ranges and conditional GETs: every header has a defined answer, none raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from framelens.media.byte_ranges import MAX_RANGES, ByteRange, parse_range
from framelens.media.conditional import (
    if_none_match_matches,
    if_range_allows,
    make_etag,
    parse_etags,
    plan_get,
)

SIZE = 1000


@dataclass(frozen=True)
class Case:
    header: str | None
    kind: str
    range: tuple[int, int] | None = None


CASES = [
    # absent / ignored
    Case(None, "full"),
    Case("", "full"),
    Case("items=0-10", "full"),
    Case("bytes", "full"),
    Case("bytes=", "full"),
    Case("bytes=,", "full"),
    Case("bytes=abc", "full"),
    Case("bytes=5-1", "full"),  # reversed: the whole set is invalid (RFC 9110 §14.1.1)
    Case("bytes=0-1,5-1", "full"),
    Case("bytes=-", "full"),
    Case("bytes=+1-2", "full"),
    Case("bytes=1 -2", "full"),
    Case("bytes=0x10-20", "full"),
    Case("bytes=١-٢", "full"),  # non-ASCII digits int() would accept
    Case("bytes=0-1-2", "full"),
    # single ranges
    Case("bytes=0-0", "partial", (0, 0)),
    Case("bytes=0-99", "partial", (0, 99)),
    Case("BYTES = 10-19", "partial", (10, 19)),
    Case("bytes= 10-19 ", "partial", (10, 19)),
    Case("bytes=999-999", "partial", (999, 999)),
    Case("bytes=500-", "partial", (500, 999)),
    Case("bytes=0-", "partial", (0, 999)),
    Case("bytes=900-5000", "partial", (900, 999)),
    Case("bytes=900-" + "9" * 5000, "partial", (900, 999)),  # past Python's int() digit limit
    Case("bytes=-100", "partial", (900, 999)),
    Case("bytes=-1", "partial", (999, 999)),
    Case("bytes=-5000", "partial", (0, 999)),
    Case("bytes=-" + "9" * 30, "partial", (0, 999)),
    # unsatisfiable
    Case("bytes=1000-", "unsatisfiable"),
    Case("bytes=1000-2000", "unsatisfiable"),
    Case("bytes=" + "9" * 30 + "-", "unsatisfiable"),
    Case("bytes=-0", "unsatisfiable"),
    Case("bytes=1000-1001,2000-", "unsatisfiable"),
    # several: coalesced into one bounding range; unsatisfiable members are dropped
    Case("bytes=0-9,20-29", "partial", (0, 29)),
    Case("bytes=20-29,0-9", "partial", (0, 29)),
    Case("bytes=0-9,,20-29", "partial", (0, 29)),
    Case("bytes=0-0,-1", "partial", (0, 999)),
    Case("bytes=10-20,5000-6000", "partial", (10, 20)),
    Case("bytes=" + ",".join(f"{i}-{i}" for i in range(MAX_RANGES)), "partial", (0, 99)),
    Case("bytes=" + ",".join(f"{i}-{i}" for i in range(MAX_RANGES + 1)), "full"),
    Case("bytes=" + "0-1," * 3000, "full"),  # header longer than MAX_HEADER_CHARS
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: repr(c.header)[:40])
def test_range_header_has_a_defined_answer(case: Case) -> None:
    # GIVEN a representation of 1000 bytes WHEN the header is parsed
    answer = parse_range(case.header, SIZE)
    # THEN it is full, one partial range, or unsatisfiable, as documented
    assert answer.kind == case.kind
    expected = ByteRange(*case.range) if case.range else None
    assert answer.range == expected


@pytest.mark.parametrize("header", ["bytes=0-", "bytes=-5", "bytes=0-0"])
def test_any_range_of_an_empty_representation_is_unsatisfiable(header: str) -> None:
    assert parse_range(header, 0).kind == "unsatisfiable"


def test_byte_range_length_and_content_range() -> None:
    assert ByteRange(10, 19).length == 10
    assert ByteRange(10, 19).content_range(1000) == "bytes 10-19/1000"


# --- validators ---------------------------------------------------------------------------

ETAG = make_etag("f_1", 1000)
LAST = datetime(2026, 5, 19, 12, 49, 24, tzinfo=UTC)
HTTP_LAST = "Tue, 19 May 2026 12:49:24 GMT"


def test_etag_is_strong_quoted_and_follows_its_parts() -> None:
    assert ETAG.startswith('"') and ETAG.endswith('"') and len(ETAG) == 34
    assert make_etag("f_1", 1000) == ETAG
    assert make_etag("f_1", 1001) != ETAG
    assert make_etag("f_1", "1000") == ETAG  # parts are compared as text


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (ETAG, True),
        (f"W/{ETAG}", True),  # If-None-Match compares weakly
        (f'"other", {ETAG}', True),
        ("*", True),
        ('"other"', False),
        (ETAG[1:-1], False),  # unquoted is not an entity tag
        ("", False),
        ('"a"b"', False),
    ],
)
def test_if_none_match(header: str, matches: bool) -> None:
    assert if_none_match_matches(header, ETAG) is matches


def test_parse_etags_keeps_weakness_and_star() -> None:
    assert parse_etags('W/"a", "b", junk') == [(True, '"a"'), (False, '"b"')]
    assert parse_etags(" * ") is None


@pytest.mark.parametrize(
    ("header", "allows"),
    [
        (ETAG, True),
        (f"W/{ETAG}", False),  # If-Range needs a strong match
        ('"other"', False),
        (HTTP_LAST, True),
        ("Tue, 19 May 2026 12:49:25 GMT", False),
        ("yesterday", False),
    ],
)
def test_if_range(header: str, allows: bool) -> None:
    assert if_range_allows(header, ETAG, LAST) is allows


def test_if_range_with_a_date_needs_a_last_modified() -> None:
    assert if_range_allows(HTTP_LAST, ETAG, None) is False
    assert if_range_allows(ETAG, None, LAST) is False


# --- plan_get: status and headers ---------------------------------------------------------


def test_plain_get_is_200_with_length_and_validators() -> None:
    plan = plan_get(SIZE, etag=ETAG, last_modified=LAST)
    assert plan.status == 200 and plan.range == ByteRange(0, 999)
    assert plan.headers["Content-Length"] == "1000"
    assert plan.headers["Accept-Ranges"] == "bytes"
    assert plan.headers["ETag"] == ETAG
    assert plan.headers["Last-Modified"] == HTTP_LAST
    assert plan.headers["Cache-Control"] == "public, max-age=86400"
    assert "Content-Range" not in plan.headers


def test_last_modified_in_another_timezone_is_sent_as_gmt() -> None:
    other = LAST.astimezone(timezone(timedelta(hours=8)))
    assert plan_get(SIZE, last_modified=other).headers["Last-Modified"] == HTTP_LAST


def test_range_is_206_with_content_range() -> None:
    plan = plan_get(SIZE, range_header="bytes=100-199", etag=ETAG)
    assert plan.status == 206 and plan.range == ByteRange(100, 199)
    assert plan.headers["Content-Range"] == "bytes 100-199/1000"
    assert plan.headers["Content-Length"] == "100"


def test_unsatisfiable_range_is_416_with_star_content_range() -> None:
    plan = plan_get(SIZE, range_header="bytes=5000-", etag=ETAG)
    assert plan.status == 416 and plan.range is None
    assert plan.headers["Content-Range"] == "bytes */1000"
    assert plan.headers["Content-Length"] == "0"


def test_matching_if_none_match_is_304_even_with_a_range() -> None:
    plan = plan_get(SIZE, range_header="bytes=0-9", if_none_match=ETAG, etag=ETAG)
    assert plan.status == 304 and plan.range is None
    assert plan.headers["ETag"] == ETAG and "Content-Length" not in plan.headers


def test_if_none_match_wins_over_if_modified_since() -> None:
    # GIVEN a stale tag but a date that would say "not modified"
    plan = plan_get(
        SIZE, if_none_match='"old"', if_modified_since=HTTP_LAST, etag=ETAG, last_modified=LAST
    )
    # THEN the tag decides (RFC 9110 §13.2.2): the body is sent
    assert plan.status == 200


@pytest.mark.parametrize(
    ("since", "status"),
    [
        (HTTP_LAST, 304),
        ("Wed, 20 May 2026 00:00:00 GMT", 304),
        ("Mon, 18 May 2026 00:00:00 GMT", 200),
        ("garbage", 200),
    ],
)
def test_if_modified_since(since: str, status: int) -> None:
    assert plan_get(SIZE, if_modified_since=since, last_modified=LAST).status == status


def test_stale_if_range_sends_the_whole_representation() -> None:
    plan = plan_get(SIZE, range_header="bytes=0-9", if_range='"old"', etag=ETAG)
    assert plan.status == 200 and plan.range == ByteRange(0, 999)
    fresh = plan_get(SIZE, range_header="bytes=0-9", if_range=ETAG, etag=ETAG)
    assert fresh.status == 206 and fresh.range == ByteRange(0, 9)


def test_stale_if_range_turns_a_416_into_a_200() -> None:
    plan = plan_get(SIZE, range_header="bytes=5000-", if_range='"old"', etag=ETAG)
    assert plan.status == 200


def test_empty_representation_is_200_with_no_range() -> None:
    plan = plan_get(0, etag=ETAG)
    assert plan.status == 200 and plan.range is None and plan.headers["Content-Length"] == "0"
