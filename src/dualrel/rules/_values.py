"""Tests of attribute values, run in Python when facts are made (private).

A tie attribute's numeric tests and every test of a person (organisation, attributes) are
decided here, once per tie or person, and reach the engine as flags (``an<j>`` on a tie
fact, a person-test token among a person's roles): durable-rules never reads the values.

Attributes read from CSV are text: a value reads as a number when it is a number (not a
boolean) or text that Python's ``float`` reads as a finite number (``"250"``, ``" 1e3 "``);
anything else never satisfies a numeric test.

>>> as_number("250"), as_number(" 12.5 "), as_number("n/a"), as_number(True), as_number("nan")
(250.0, 12.5, None, None, None)
>>> ValueTest(">", bound=100.0).holds(True, "250")
True
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dualrel.rules.schema import AttributeTest, PersonSpec

__all__ = [
    "Pair",
    "PersonTest",
    "ValueTest",
    "as_number",
    "canonical",
    "compare",
    "field_of",
    "person_test",
    "value_tests",
]

_COMPARE: Mapping[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def canonical(value: Any) -> str:
    """The canonical text of an attribute value, used to compare values of any type.

    >>> canonical("a"), canonical(3), canonical(True)
    ('"a"', '3', 'true')
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def as_number(value: Any) -> float | None:
    """``value`` as a number, or None when it does not read as one (see the module)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class ValueTest:
    """One test of a value: ``in`` (canonical texts), ``present``, ``absent``, or a
    numeric comparison (``>``, ``>=``, ``<``, ``<=``) with ``bound``."""

    op: str
    texts: frozenset[str] = frozenset()
    bound: float = 0.0

    def holds(self, present: bool, value: Any) -> bool:
        if self.op == "present":
            return present
        if self.op == "absent":
            return not present
        if not present:
            return False
        if self.op == "in":
            return canonical(value) in self.texts
        number = as_number(value)
        return number is not None and _COMPARE[self.op](number, self.bound)


def value_tests(test: AttributeTest, parameters: Mapping[str, float]) -> tuple[ValueTest, ...]:
    """``test`` as value tests, its parameters resolved with ``parameters``."""
    if test.present:
        return (ValueTest("present"),)
    if test.absent:
        return (ValueTest("absent"),)
    if test.bounds:
        return tuple(
            ValueTest(op, bound=float(parameters[b]) if isinstance(b, str) else float(b))
            for op, b in test.bounds
        )
    wanted = [test.equals] if test.equals is not None else list(test.in_ or [])
    return (ValueTest("in", texts=frozenset(canonical(v) for v in wanted)),)


#: A person field a test reads: ``organisation`` or ``attributes.<key>``.
PersonField = str


@dataclass(frozen=True, slots=True)
class PersonTest:
    """What a pattern variable asks of a person beyond roles alone: one of ``roles``
    (when any) and every test of ``tests``."""

    roles: frozenset[str]
    tests: tuple[tuple[PersonField, ValueTest], ...]

    def holds(
        self, roles: frozenset[str], organisation: Any, attributes: Mapping[str, Any]
    ) -> bool:
        if self.roles and not self.roles & roles:
            return False
        for name, test in self.tests:
            if name == "organisation":
                ok = test.holds(organisation is not None, organisation)
            else:
                key = name.split(".", 1)[1]
                ok = test.holds(key in attributes, attributes.get(key))
            if not ok:
                return False
        return True


def person_test(spec: PersonSpec, parameters: Mapping[str, float]) -> PersonTest | None:
    """The test of a person ``spec`` makes, or None when it tests roles only."""
    if not spec.tested:
        return None
    tests: list[tuple[PersonField, ValueTest]] = []
    if spec.organisation is not None:
        tests += [("organisation", t) for t in value_tests(spec.organisation, parameters)]
    for key, test in spec.attributes.items():
        tests += [(f"attributes.{key}", t) for t in value_tests(test, parameters)]
    return PersonTest(frozenset(spec.roles), tuple(tests))


def field_of(path: str, organisation: Any, attributes: Mapping[str, Any]) -> tuple[bool, Any]:
    """``(present, value)`` of ``organisation`` or ``attributes.<key>``."""
    if path == "organisation":
        return organisation is not None, organisation
    key = path.split(".", 1)[1]
    return key in attributes, attributes.get(key)


def compare(op: str, left: tuple[bool, Any], right: tuple[bool, Any], offset: float) -> bool:
    """Whether ``left op right (+ offset)`` holds: ``==``/``!=`` as values (canonical
    texts), the orders as numbers; a missing value, or one that does not read as a number
    in an order, makes it false."""
    if not (left[0] and right[0]):
        return False
    if op == "==":
        return canonical(left[1]) == canonical(right[1])
    if op == "!=":
        return canonical(left[1]) != canonical(right[1])
    a, b = as_number(left[1]), as_number(right[1])
    return a is not None and b is not None and _COMPARE[op](a, b + offset)


@dataclass(frozen=True, slots=True)
class Pair:
    """A comparison of two fields of one tie fact: each ``(place, slot index)``."""

    left: tuple[str, int]
    op: str
    right: tuple[str, int]
    offset: float
