"""What the engine's modules pass between them: matches and the keys they are found under.

(private) Shared by :mod:`dualrel.rules._sessions` (which finds matches),
:mod:`dualrel.rules._aggregate` (which groups them), :mod:`dualrel.rules._admit` and
:mod:`dualrel.rules._facts` (which compare as the engine does), so that none of them
imports another for a type.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["NUMERATOR", "ORDERS", "AnchorKey", "Match"]

Match = tuple[tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...]]
"""One match: (subjects as sorted (variable, person id) pairs, evidence tie ids, evidence
records as ``section/id``)."""

AnchorKey = tuple[str, str]
"""Where matches are collected: (compiled rule name, anchor person id)."""

#: Suffix of the rule name under which a ``share`` rule's numerator matches are collected.
NUMERATOR = "~"

#: The engine's order comparisons, as Python's.
ORDERS: Mapping[str, Callable[[Any, Any], bool]] = {
    "$lt": operator.lt,
    "$lte": operator.le,
    "$gt": operator.gt,
    "$gte": operator.ge,
}
