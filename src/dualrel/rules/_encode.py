"""The compiler's ``encode`` stage: what facts must carry for a ruleset's rules to read them.

Tie kinds, roles and attribute values are encoded once per ruleset into a
:class:`~dualrel.rules.plan.FactSchema`; the emitted conditions then test those fields
by their index in it (``rs<i>``, ``a<i>``, ``ks<i>``, ``av<j>``, ``vs<j>``).
"""

from __future__ import annotations

import json
from typing import Any

from dualrel.rules.conditions import Compare, date_attributes, field_kinds, parse_condition
from dualrel.rules.loader import Ruleset
from dualrel.rules.plan import FactSchema
from dualrel.rules.schema import AnyOf

__all__ = ["canonical", "encode"]


def canonical(value: Any) -> str:
    """The canonical text of an attribute value, used to compare values of any type.

    >>> canonical("a"), canonical(3), canonical(True)
    ('"a"', '3', 'true')
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def encode(ruleset: Ruleset) -> FactSchema:
    """What facts must carry for the rules of ``ruleset`` to read them: the tie kinds any
    clause reads (and those read in both directions), the role sets, the attributes with
    a token per value, the sets of kinds and values tested as one flag, and the practice
    sections and value sets of record clauses.  The fields record facts carry
    (:attr:`FactSchema.record_reads`) are known only once the conditions are emitted.

    >>> from dualrel.rules.loader import load_ruleset
    >>> "coaching" in encode(load_ruleset("coaching-core")).kinds
    True
    """
    kinds: set[str] = set()
    reverse: set[str] = set()
    role_sets: list[frozenset[str]] = []
    attributes: list[str] = []
    values: dict[str, dict[str, str]] = {}
    kind_sets: list[frozenset[str]] = []
    value_sets: list[tuple[int, frozenset[str]]] = []
    for rule in ruleset.rules:
        for spec in rule.match.people.values():
            rs = frozenset(spec.roles)
            if rs and rs not in role_sets:
                role_sets.append(rs)
        for clause in rule.match.ties:
            kinds.update(clause.kinds)
            if len(clause.kinds) > 1 and frozenset(clause.kinds) not in kind_sets:
                kind_sets.append(frozenset(clause.kinds))
            for k in clause.kinds:
                if not clause.directed or not ruleset.kinds.get(k, True):
                    reverse.add(k)
            for name, test in clause.attributes.items():
                if name not in attributes:
                    attributes.append(name)
                table = values.setdefault(name, {})
                for v in (test.in_ or []) + ([test.equals] if test.equals is not None else []):
                    table.setdefault(canonical(v), f"v{len(table) + 1}")
                tokens = frozenset(table[canonical(v)] for v in test.in_ or [])
                entry = (attributes.index(name), tokens)
                if len(tokens) > 1 and entry not in value_sets:
                    value_sets.append(entry)
    sections: set[str] = set()
    tie_numbers = False
    record_value_sets: list[tuple[str, str, frozenset[str]]] = []
    for rule in ruleset.rules:
        for rec in rule.match.records:
            sections.add(rec.section)
            tie_numbers = tie_numbers or rec.tie is not None
            for name, ftest in rec.fields.items():
                if ftest.in_ is not None and len(ftest.in_) > 1:
                    rentry = (rec.section, name, frozenset(str(v) for v in ftest.in_))
                    if rentry not in record_value_sets:
                        record_value_sets.append(rentry)
            for var in rec.people.values():
                rs = frozenset(rule.match.people[var].roles)
                if rs and rs not in role_sets:
                    role_sets.append(rs)
    date_attributes, fixed_dates = _dates_read(ruleset)
    return FactSchema(
        date_attributes=date_attributes,
        fixed_dates=fixed_dates,
        sections=frozenset(sections),
        tie_numbers=tie_numbers,
        record_value_sets=tuple(record_value_sets),
        kinds=frozenset(kinds),
        reverse_kinds=frozenset(reverse),
        role_sets=tuple(role_sets),
        attributes=tuple(attributes),
        values=values,
        kind_sets=tuple(kind_sets),
        value_sets=tuple(value_sets),
    )


def _dates_read(ruleset: Ruleset) -> tuple[tuple[str, ...], bool]:
    """The tie attributes some condition reads as dates, and whether some condition
    compares with a fixed date."""
    names: list[str] = []
    fixed = False
    for rule in ruleset.rules:
        match = rule.match
        kinds_of = field_kinds(match)
        items = list(match.where) + (list(match.share.where) if match.share else [])
        for item in items:
            for text in item.any if isinstance(item, AnyOf) else [item]:
                cond = parse_condition(text, kinds_of)
                for ref in sorted(date_attributes(cond, kinds_of), key=str):
                    if ref.field not in names:
                        names.append(ref.field)
                if isinstance(cond, Compare):
                    fixed = fixed or any(r.fixed is not None for r in (cond.left, cond.right))
    return tuple(names), fixed
