"""What the engine's modules pass between them: matches and the keys they are found under.

(private) Shared by :mod:`dualrel.rules._sessions` (which finds matches),
:mod:`dualrel.rules._aggregate` (which groups them), :mod:`dualrel.rules.engine` and
:mod:`dualrel.rules.monitor` (which report them), so that none of them imports another
for a type.  The engine's comparisons (``ORDERS``) are the testers'
(:mod:`dualrel.rules._tester`).
"""

from __future__ import annotations

__all__ = ["NUMERATOR", "AnchorKey", "Match"]

Match = tuple[tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...]]
"""One match: (subjects as sorted (variable, person id) pairs, evidence tie ids, evidence
records as ``section/id``)."""

AnchorKey = tuple[str, str]
"""Where matches are collected: (compiled rule name, anchor person id)."""

#: Suffix of the rule name under which a ``share`` rule's numerator matches are collected.
NUMERATOR = "~"
