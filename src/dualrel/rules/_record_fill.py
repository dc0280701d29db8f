"""How a practice record's wanted fields become fact fields (private).

:class:`~dualrel.rules._facts.Layout` says which fact fields of one section are wanted;
:func:`filler` makes, once per layout, the function that adds them to a record's fact.
Admission runs it for every record passing its section's filter (the 400k contacts
inside the window of the 100k practice registry), so it is made of the steps the layout
has and no others, each with what it reads bound beforehand, in the order the fact's
fields have always had (the fact's text, hence what the engine asserts, depends on it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dualrel.rules._fields import HOURS_FROM, HOURS_TO, HOURS_WRAP
from dualrel.rules.plan import NO_END

if TYPE_CHECKING:
    from dualrel.rules._facts import Layout

__all__ = ["INSTANTS_CACHED", "MISSING", "filler", "window"]

MISSING = "~missing~"  # prefix of a missing value: equal to nothing, unique per record
#: Instants (days from the evaluation date) remembered per datetime object, at most.
INSTANTS_CACHED = 200_000

Fill = Callable[[Any, str, dict[str, Any]], None]
"""Add the wanted fields of a record (whose id is given) to its fact."""


def filler(layout: Layout) -> Fill:
    """The function adding ``layout``'s wanted fields of a record to its fact."""
    steps = [
        *(_date_step(layout, *d) for d in layout.dates),
        *(_instant_step(layout, *i) for i in layout.instants),
        *(_number_step(layout, *n) for n in layout.numbers),
        *([_value_step(tuple(layout.values))] if layout.values else []),
        *(_list_step(*lst) for lst in layout.lists),
        *(_window_step(*w) for w in layout.windows),
        *(_value_set_step(*v) for v in layout.value_sets),
    ]
    if not steps:
        return _nothing
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:
        first, second = steps

        def two(rec: Any, rid: str, fact: dict[str, Any]) -> None:
            first(rec, rid, fact)
            second(rec, rid, fact)

        return two
    if len(steps) == 3:
        first, second, third = steps

        def three(rec: Any, rid: str, fact: dict[str, Any]) -> None:
            first(rec, rid, fact)
            second(rec, rid, fact)
            third(rec, rid, fact)

        return three
    every = tuple(steps)

    def fill(rec: Any, rid: str, fact: dict[str, Any]) -> None:
        for step in every:
            step(rec, rid, fact)

    return fill


def _nothing(rec: Any, rid: str, fact: dict[str, Any]) -> None:
    """No field wanted."""


def _date_step(layout: Layout, f: str, e: str | None, t: str | None, fallback: str | None) -> Fill:
    day = layout.day

    def step(rec: Any, rid: str, fact: dict[str, Any]) -> None:
        value = getattr(rec, f)
        if value is not None:
            if e is not None:
                fact[e] = 1
        elif fallback is not None:
            value = getattr(rec, fallback)
        if t is not None:
            fact[t] = NO_END if value is None else value.toordinal() - day

    return step


def _instant_step(  # noqa: PLR0917 (one layout entry, spread)
    layout: Layout, f: str, e: str | None, t: str | None, wd: str | None, mn: str | None
) -> Fill:
    # by ``id`` of a datetime: (it, its fact fields); the entry holds the object, so its
    # id is not reused while cached
    memo: dict[int, tuple[datetime, dict[str, Any]]] = {}
    instant_of, get = layout.instant, memo.get
    missing = {name: value for name, value in ((t, NO_END), (wd, -1), (mn, -1)) if name is not None}

    def step(rec: Any, rid: str, fact: dict[str, Any]) -> None:
        instant = getattr(rec, f)
        if instant is None:
            fact.update(missing)
            return
        # worked out once per datetime object (a CSV folder's contacts share them)
        hit = get(id(instant))
        if hit is None or hit[0] is not instant:
            fields: dict[str, Any] = {}
            if e is not None:
                fields[e] = 1
            if t is not None:
                fields[t] = instant_of(instant)
            if wd is not None:
                fields[wd] = instant.weekday()
            if mn is not None:
                fields[mn] = instant.hour * 60 + instant.minute
            hit = (instant, fields)
            if len(memo) < INSTANTS_CACHED:
                memo[id(instant)] = hit
        fact.update(hit[1])

    return step


def _number_step(layout: Layout, f: str, e: str | None, n: str | None) -> Fill:
    number_of = functools.partial(layout.number_of, layout.section)

    def step(rec: Any, rid: str, fact: dict[str, Any]) -> None:
        number = number_of(rec, f)
        if n is not None:
            fact[n] = 0 if number is None else number
        if e is not None and number is not None:
            fact[e] = 1

    return step


def _value_step(values: tuple[tuple[str, str | None, str | None], ...]) -> Fill:
    def step(rec: Any, rid: str, fact: dict[str, Any]) -> None:
        for f, e, v in values:
            text = getattr(rec, f, None)
            if v is not None:
                fact[v] = f"{MISSING}{rid}" if text is None else str(text)
            if e is not None and text is not None:
                fact[e] = 1

    return step


def _list_step(f: str, c: str | None, flags: dict[str, str]) -> Fill:
    def step(rec: Any, rid: str, fact: dict[str, Any]) -> None:
        words = getattr(rec, f)
        if c is not None:
            fact[c] = len(words)
        for w in words:
            flag = flags.get(w)
            if flag is not None:
                fact[flag] = 1

    return step


def _window_step(f: str, wanted: frozenset[str]) -> Fill:
    def step(rec: Any, rid: str, fact: dict[str, Any]) -> None:
        for name, minutes in window(getattr(rec, f)).items():
            if name in wanted:
                fact[name] = minutes

    return step


def _value_set_step(f: str, values: frozenset[str], flag: str) -> Fill:
    def step(rec: Any, rid: str, fact: dict[str, Any]) -> None:
        if str(getattr(rec, f, None)) in values:
            fact[flag] = 1

    return step


@functools.lru_cache(maxsize=1024)  # agreements share a few hours texts
def window(hours: str | None) -> dict[str, int]:
    """An agreement's ``HH:MM-HH:MM`` as minutes :data:`HOURS_FROM`/:data:`HOURS_TO` and
    :data:`HOURS_WRAP` (0: within one day, 1: past midnight, 2: no hours agreed).

    >>> window("22:00-06:30")
    {'hf': 1320, 'ht': 390, 'hw': 1}
    """
    if hours is None:
        return {HOURS_FROM: 0, HOURS_TO: 0, HOURS_WRAP: 2}
    start, _, end = hours.partition("-")
    hf = int(start[:2]) * 60 + int(start[3:5])
    ht = int(end[:2]) * 60 + int(end[3:5])
    return {HOURS_FROM: hf, HOURS_TO: ht, HOURS_WRAP: 0 if hf <= ht else 1}
