"""Testers: a clause's tests of one fact, run in Python instead of in durable-rules.

A *tester* is a function of one fact (a mapping of fact fields) that says whether it passes
a list of tests in the compiler's durable-rules form (``{field: value}``, ``{"$ex":
{field: 1}}``, ``{"$lt": {field: number}}``, ...), tests that read that fact only.  The
engine uses them to leave out records and variants before they reach durable-rules, and to
count a share's denominator without it.  There are two, by the promise they keep:

- :func:`lenient_tester` is never stricter than the engine (a form it does not know
  passes), for leaving out what can take part in no match;
- :func:`exact_tester` agrees with the engine, or is None when it cannot promise that,
  for counting.

Both read the tests once into checks and build the tester with :func:`_tester_of`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from dualrel.rules._fields import FLAG_PREFIXES, KIND, NUMBER_PREFIXES, TEXT_PREFIXES

__all__ = ["ORDERS", "Tester", "exact_tester", "lenient_tester"]

#: A test of one fact: whether it passes.
Tester = Callable[[Mapping[str, Any]], bool]

#: The engine's comparisons of a field with an operand, as Python operators: the one
#: table, also read by the engine where it tests records itself (_facts, _admit).
ORDERS: Mapping[str, Callable[[Any, Any], bool]] = {
    "$lt": operator.lt,
    "$lte": operator.le,
    "$gt": operator.gt,
    "$gte": operator.ge,
}


def lenient_tester(tests: Iterable[Mapping[str, Any]]) -> Tester:
    """Whether a fact passes every one of ``tests``, never stricter than the engine: a form
    it does not know counts as passed, and so does a comparison of a field that holds no
    number.

    >>> due = lenient_tester([{"$lt": {"t_retain_until": 0}}])
    >>> due({"k": "@records", "t_retain_until": -3})
    True
    >>> lenient_tester([{"$ex": {"e_destroyed": 1}}])({"k": "@records"})
    False
    """
    checks: list[tuple[Any, str, Any]] = []  # (what, fact field, operand)
    for test in tests:
        ((key, value),) = test.items()
        if not key.startswith("$"):
            checks.append(("==", key, value))
            continue
        ((field, operand),) = value.items()
        if key in ("$ex", "$nex"):
            checks.append((key, field, None))
        elif key in ORDERS and isinstance(operand, int | float):
            checks.append((ORDERS[key], field, operand))
    return _tester_of(checks, exact=False)


def exact_tester(tests: Iterable[Mapping[str, Any]]) -> Tester | None:
    """A tester that agrees with the engine on every fact the compiler makes, or None when
    ``tests`` hold a form it cannot promise that of.  Unlike :func:`lenient_tester`, never
    more lenient either: a comparison fails on a missing field.  Each form is taken only on
    the fields whose values always have one type: comparisons on numbers (times, numbers,
    counts, weekdays, minutes), equality with a text on the kind and values, with a number
    on flags.  Across types the engine has rules of its own (measured: ``"s" > 1`` holds,
    and ``1 == "1"`` and ``1 == true``).

    >>> check = exact_tester([{"v_by": "client"}, {"$gt": {"t_at": -30}}])
    >>> check({"v_by": "client", "t_at": -2.5}), check({"v_by": "client"})
    (True, False)
    >>> exact_tester([{"$gt": {"v_by": 1}}]) is None
    True
    """
    checks: list[tuple[Any, str, Any]] = []
    for test in tests:
        ((key, value),) = test.items()
        if not key.startswith("$"):
            texts = type(value) is str and (key == KIND or key.startswith(TEXT_PREFIXES))
            flags = type(value) is int and key.startswith(FLAG_PREFIXES)
            if not (texts or flags):
                return None
            checks.append(("==", key, value))
            continue
        if not isinstance(value, Mapping) or len(value) != 1:
            return None
        ((field, operand),) = value.items()
        if key in ("$ex", "$nex"):
            checks.append((key, field, None))
        elif (
            key in ORDERS
            and field.startswith(NUMBER_PREFIXES)
            and isinstance(operand, int | float)
            and not isinstance(operand, bool)
        ):
            checks.append((ORDERS[key], field, operand))
        else:
            return None
    return _tester_of(checks, exact=True)


def _tester_of(checks: Sequence[tuple[Any, str, Any]], *, exact: bool) -> Tester:
    """Whether a fact passes every (what, fact field, operand) of ``checks``: ``what`` is
    ``"=="``, ``"$ex"``, ``"$nex"`` or a comparison.  A comparison of a field that holds no
    number passes, unless ``exact`` (then the field is one that holds a number whenever it
    is there, and a missing one fails, as in the engine)."""

    def check(fact: Mapping[str, Any]) -> bool:
        for what, field, operand in checks:
            have = fact.get(field)
            if what == "==":
                if have != operand:
                    return False
            elif what == "$ex":
                if have is None:
                    return False
            elif what == "$nex":
                if have is not None:
                    return False
            elif isinstance(have, int | float):
                if not what(have, operand):
                    return False
            elif exact:
                return False
        return True

    return check
