"""Contact times parsed in bulk (``aware_datetimes``) are the times parsed one by one
(``aware_datetime``): the same values, the same shared zone objects, None alike."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel.graph._practice_times import aware_datetime, aware_datetimes

TEXTS = [
    "2026-10-27T14:28:00+01:00",
    "2026-10-27T14:28+01:00",
    "2026-10-28T09:00:00Z",
    "2026-11-01T23:59:00.250-05:00",
    "2026-11-01T23:59:00-05:30",
    "9999-12-31T23:00:00-12:00",  # past the calendar's end in UTC
    "0001-01-01T00:30:00+01:00",  # before its start
    "2026-10-27 14:28:00+01:00",  # a space: parsed by fromisoformat, not a contact time
    "20261027T142800+0100",
    "2026-10-27T14:28:00",  # no timezone
    "2026-10-27",
    "2026-02-30T10:00:00Z",
    "yesterday",
    "",
    " ",
]


def _same(texts: list[Any]) -> None:
    one = [aware_datetime(t) for t in texts]
    bulk = aware_datetimes(texts)
    assert bulk == one
    assert [None if d is None else d.tzinfo for d in bulk] == [
        None if d is None else d.tzinfo for d in one
    ]
    # the zone objects themselves: one per offset, as the one-by-one parse keeps them
    assert all(a is None or a.tzinfo is b.tzinfo for a, b in zip(bulk, one, strict=True) if b)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*TEXTS, None, 7]), max_size=12))
def test_bulk_times_are_the_times_one_by_one(texts: list[Any]) -> None:
    _same(texts)


def test_valid_times_with_blanks_keep_their_places() -> None:
    texts = [TEXTS[0], "", TEXTS[2], None, TEXTS[3]]
    _same(texts)
    found = aware_datetimes(texts)
    assert [d is None for d in found] == [False, True, False, True, False]
