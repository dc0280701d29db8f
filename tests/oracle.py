"""A brute-force reference matcher, sharing no matching code with the engine.

It reads the loaded rule's pattern and enumerates variable assignments clause by clause in
plain Python over the registry.  Slow, simple, and written from the semantics in the
issues: distinct variables are distinct people; ``between`` reads either direction; active
means ``start <= as_of <= end`` with missing dates open; ``ended`` means ``end < as_of``;
a missing start is "since always" and a missing end "ongoing" in date comparisons.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from typing import Any

from dualrel.graph.model import Registry, Tie
from dualrel.rules.loader import Rule, Ruleset

INF = 10**12
_WHERE = re.compile(r"^\s*(\S+)\s*(<=|>=|==|<|>)\s*(\S+?)(?:\s*([+-])\s*(\w+))?\s*$")


def _canon(v: Any) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"), default=str)


def _clause_ok(clause: Any, tie: Tie, as_of: date) -> bool:
    if tie.kind not in clause.kinds:
        return False
    if clause.active and not (
        (tie.start is None or tie.start <= as_of) and (tie.end is None or tie.end >= as_of)
    ):
        return False
    ended = tie.end is not None and tie.end < as_of
    if clause.ended is not None and clause.ended != ended:
        return False
    for name, test in clause.attributes.items():
        present = name in tie.attributes
        if test.present and not present:
            return False
        if test.absent and present:
            return False
        if test.equals is not None and (
            not present or _canon(tie.attributes[name]) != _canon(test.equals)
        ):
            return False
        if test.in_ is not None and (
            not present or _canon(tie.attributes[name]) not in {_canon(v) for v in test.in_}
        ):
            return False
    return True


def _orientations(clause: Any, tie: Tie, directed: dict[str, bool]) -> list[tuple[str, str]]:
    if clause.between is None and directed.get(tie.kind, True):
        return [(tie.source, tie.target)]
    return [(tie.source, tie.target), (tie.target, tie.source)]


def _day(tie: Tie, which: str) -> int:
    if which == "start":
        return -INF if tie.start is None else tie.start.toordinal()
    return INF if tie.end is None else tie.end.toordinal()


def match_rule(rule: Rule, ruleset: Ruleset, registry: Registry, as_of: date) -> set[tuple]:
    roles = {p.id: set(p.roles) for p in registry.people}
    directed = dict(ruleset.kinds)
    people = rule.match.people
    positive = [c for c in rule.match.ties if c.exists]
    negative = [c for c in rule.match.ties if not c.exists]
    by_kind: dict[str, list[Tie]] = defaultdict(list)
    touching: dict[str, list[Tie]] = defaultdict(list)
    for t in registry.ties:
        by_kind[t.kind].append(t)
        touching[t.source].append(t)
        touching[t.target].append(t)

    def candidates(clause: Any, binding: dict[str, str]) -> list[Tie]:
        for var in clause.ends:
            if var in binding:
                return [t for t in touching[binding[var]] if t.kind in clause.kinds]
        return [t for kind in clause.kinds for t in by_kind.get(kind, [])]
    names = {c.as_: i for i, c in enumerate(positive) if c.as_}
    found: set[tuple] = set()

    def role_ok(var: str, person: str) -> bool:
        want = people[var].roles
        return not want or bool(roles[person] & set(want))

    def where_ok(chosen: list[Tie]) -> bool:
        for text in rule.match.where:
            left, op, right, sign, off = _WHERE.match(text).groups()  # type: ignore[union-attr]

            def val(ref: str) -> int:
                if ref == "as_of":
                    return as_of.toordinal()
                cname, which = ref.split(".")
                return _day(chosen[names[cname]], which)

            k = 0
            if off is not None:
                k = int(off) if off.isdigit() else int(rule.parameters[off])
                k = -k if sign == "-" else k
            lv, rv = val(left), val(right) + k
            if not {"<": lv < rv, "<=": lv <= rv, ">": lv > rv, ">=": lv >= rv, "==": lv == rv}[op]:
                return False
        return True

    def negation_ok(binding: dict[str, str]) -> bool:
        for clause in negative:
            for tie in candidates(clause, binding):
                if not _clause_ok(clause, tie, as_of):
                    continue
                for a, b in _orientations(clause, tie, directed):
                    ok = True
                    for var, person in zip(clause.ends, (a, b), strict=True):
                        if var in binding:
                            ok = ok and binding[var] == person
                        else:  # "anyone" other than the people already chosen
                            ok = ok and person not in binding.values() and role_ok(var, person)
                    if ok:
                        return False
        return True

    def search(i: int, binding: dict[str, str], chosen: list[Tie]) -> None:
        if i == len(positive):
            if where_ok(chosen) and negation_ok(binding):
                found.add((tuple(sorted(binding.items())), tuple(t.id for t in chosen)))
            return
        clause = positive[i]
        for tie in candidates(clause, binding):
            if not _clause_ok(clause, tie, as_of):
                continue
            for a, b in _orientations(clause, tie, directed):
                new = dict(binding)
                ok = True
                for var, person in zip(clause.ends, (a, b), strict=True):
                    if var in new:
                        ok = ok and new[var] == person
                    elif person in new.values() or not role_ok(var, person):
                        ok = False
                    else:
                        new[var] = person
                if ok:
                    search(i + 1, new, [*chosen, tie])

    search(0, {}, [])
    return found


def oracle(ruleset: Ruleset, registry: Registry, as_of: date) -> set[tuple]:
    """Every match as ``(rule id, subjects, evidence)``."""
    return {
        (rule.id, subjects, evidence)
        for rule in ruleset.rules
        for subjects, evidence in match_rule(rule, ruleset, registry, as_of)
    }
