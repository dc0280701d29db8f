"""Frozen dataclasses made in bulk (private).

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, in the
interpreter: for the hundred thousand cited ties or remediation steps of a check at a
million people that cost more than everything else about them. :func:`instances` makes
the same objects in one C loop (:func:`dualrel._findtext.instances`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, TypeVar

import dualrel._findtext as _ft

__all__ = ["instances"]

_T = TypeVar("_T")


def instances(cls: type[_T], columns: Sequence[list[Any]]) -> list[_T]:
    """One object of ``cls`` (a frozen dataclass with slots and no ``__post_init__``) per
    row of ``columns`` (one list per field, in the fields' order), each equal to
    ``cls(*row)``.

    >>> from dualrel.graph.model import SourceLocation
    >>> made = instances(SourceLocation, [["a.csv", "b.json"], [2, None], [None, "/ties/0"]])
    >>> made == [SourceLocation("a.csv", 2), SourceLocation("b.json", None, "/ties/0")]
    True
    """
    slots = _SLOTS.get(cls)
    if slots is None:
        slots = _SLOTS[cls] = _slots(cls)
    return _ft.instances(cls, slots, tuple(columns))


#: each class's member descriptors, in the order of its fields
_SLOTS: dict[type[Any], tuple[Any, ...]] = {}


def _slots(cls: type[Any]) -> tuple[Any, ...]:
    fields = dataclasses.fields(cls)
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: not a frozen dataclass without __post_init__")
    return tuple(cls.__dict__[f.name] for f in fields)
