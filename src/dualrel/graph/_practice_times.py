"""Contact times: ISO 8601 dates and times with a timezone, parsed one by one or in bulk
(private).  Every time with one UTC offset shares one zone object."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from operator import attrgetter
from typing import Any, cast

__all__ = ["aware_datetime", "aware_datetimes"]


#: one tzinfo per UTC offset: parsing gives every datetime its own, which at millions of
#: contacts costs more memory than the datetimes themselves
_ZONES: dict[timedelta, tzinfo] = {}


def aware_datetime(text: Any) -> datetime | None:
    """An ISO date and time with a timezone from text, else None (the slow path says why)."""
    if type(text) is not str or len(text) < 16 or text[10] != "T":
        return None
    if text[4] != "-" or text[7] != "-":
        return None
    try:
        d = datetime.fromisoformat(text)
    except ValueError:
        return None
    tz = d.tzinfo
    offset = d.utcoffset()
    if tz is None or offset is None:
        return None
    zone = _ZONES.setdefault(offset, tz)
    # the same offset, so the same wall time; ``astimezone`` would pass through UTC, which
    # lies outside the calendar for a time near its ends (9999-12-31T23:00-12:00)
    return d if zone is tz else d.replace(tzinfo=zone)


#: what :func:`aware_datetime` reads of a text's shape before parsing it
_SHAPED = re.compile(r".{4}-.{2}-.{2}T.{5}", re.DOTALL).match


def aware_datetimes(texts: Sequence[Any]) -> list[datetime | None]:
    """``[aware_datetime(t) for t in texts]``, in loops that run in C when every non-empty
    text is a time with a timezone (hundreds of thousands of contact times: a call of
    ``aware_datetime`` each cost several times the parse); one by one otherwise."""
    present = list(filter(None, texts))
    try:
        if not all(map(_SHAPED, present)):
            raise ValueError
        parsed = list(map(datetime.fromisoformat, present))
        maybe = list(map(datetime.utcoffset, parsed))
        if None in maybe:
            raise ValueError
        offsets = cast("list[timedelta]", maybe)
        # the zone of the first time with each new offset, as aware_datetime keeps it
        zones = map(_TZINFO, reversed(parsed))
        for offset, tz in dict(zip(reversed(offsets), zones, strict=True)).items():
            _ZONES.setdefault(offset, tz)
        # the same offset: the same wall time (and the time itself when its zone is kept)
        kept: list[datetime | None] = list(
            map(datetime.astimezone, parsed, map(_ZONES.__getitem__, offsets))
        )
    except (TypeError, ValueError, OverflowError):  # near the calendar's ends, or not text
        return [aware_datetime(t) for t in texts]
    if len(kept) == len(texts):
        return kept
    found = iter(kept)
    return [next(found) if t else None for t in texts]


_TZINFO = attrgetter("tzinfo")
