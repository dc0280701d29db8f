"""The edits a mutant makes to one rule: each returns the changed rule, or None where the
edit does not apply (a clause the rule lacks, a match that would no longer be valid).

:mod:`dualrel.testing.mutate` decides which edits each rule gets and runs them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from dualrel.rules.conditions import clauses_of, field_kinds, parse_condition
from dualrel.rules.loader import Rule
from dualrel.rules.schema import AnyOf, CountSpec, Match, TieClause

__all__ = [
    "COMPARISON",
    "FLIP",
    "OFFSET",
    "SHARE_STEP",
    "Change",
    "Number",
    "direct",
    "drop_attribute",
    "drop_clause",
    "drop_key",
    "drop_record",
    "drop_test",
    "drop_where",
    "kind",
    "per",
    "replace_clause",
    "replace_record",
    "roles",
    "strictness",
    "substitute",
    "test_change",
    "threshold",
    "value_changes",
    "window",
]

Change = Callable[[Rule], Rule | None]
Number = int | float


def _with_match(rule: Rule, **changes: Any) -> Rule | None:
    data = rule.match.model_dump(by_alias=True, exclude_none=True)
    data.update(changes)
    try:
        match = Match.model_validate(data)
    except ValueError:
        return None
    if not _valid(match):
        return None
    return dataclasses.replace(rule, match=match)


def _valid(match: Match) -> bool:
    """The checks of the loader a mutant could break: bound, connected variables, where
    conditions naming existing clauses."""
    positive = [c for c in match.ties if c.exists]
    if any(v not in match.people for r in match.records for v in r.people.values()):
        return False
    if not _all_bound(match):
        return False
    if any(v not in match.people for p in match.paths for v in p.ends):
        return False
    if not positive and not match.paths:  # records only: they name one same variable
        if match.ties or not match.records or any(r.tie for r in match.records):
            return False
        return bool(set.intersection(*(set(r.people.values()) for r in match.records)))
    links = [c.ends for c in positive] + [p.ends for p in match.paths]  # paths link too
    bound = {v for ends in links for v in ends}
    reached = {links[0][0]}
    grew = True
    while grew:
        grew = False
        for a, b in links:
            if (a in reached) != (b in reached):
                reached.update((a, b))
                grew = True
    if reached != bound:
        return False
    if any(not c.exists and not set(c.ends) & bound for c in match.ties):
        return False
    if match.per is not None and not set(match.per) & bound:
        return False
    names = {c.as_ for c in positive if c.as_}
    if any(r.tie is not None and r.tie not in names for r in match.records):
        return False  # a record clause names a tie clause the mutant dropped or renamed
    negated_ties = {c.as_ for c in match.ties if c.as_ and not c.exists}
    kinds_of = field_kinds(match)
    for item in [*match.where, *(match.share.where if match.share else [])]:
        for text in [item] if isinstance(item, str) else item.any:
            try:
                read = clauses_of(parse_condition(text, kinds_of))
            except ValueError:
                return False
            if set(read) & negated_ties:
                return False
    return True


def _all_bound(match: Match) -> bool:
    """Every variable is bound by a clause that must exist, or (only in tie clauses) met in
    one negated tie clause; a negated record clause names bound variables only."""
    bound = (
        {v for c in match.ties if c.exists for v in c.ends}
        | {v for r in match.records if r.exists for v in r.people.values()}
        | {v for p in match.paths for v in p.ends}
    )
    negated_ties = [set(c.ends) for c in match.ties if not c.exists]
    for var in match.people:
        if var not in bound and sum(var in ends for ends in negated_ties) != 1:
            return False
    if any(not r.exists and not set(r.people.values()) <= bound for r in match.records):
        return False
    return not match.records or any(r.exists for r in match.records) or bool(match.ties)


def _clauses(rule: Rule) -> list[dict[str, Any]]:
    return [c.model_dump(by_alias=True, exclude_none=True) for c in rule.match.ties]


def _people_used(rule: Rule, ties: list[dict[str, Any]]) -> dict[str, Any]:
    used = {v for t in ties for v in (t.get("between") or [t.get("from"), t.get("to")])}
    return {k: v.model_dump() for k, v in rule.match.people.items() if k in used}


def replace_clause(j: int, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> Change:
    def apply(rule: Rule) -> Rule | None:
        ties = _clauses(rule)
        new = change(dict(ties[j]))
        if new is None:
            return None
        ties[j] = new
        return _with_match(rule, ties=ties)

    return apply


def drop_clause(j: int) -> Change:
    def apply(rule: Rule) -> Rule | None:
        ties = _clauses(rule)
        dropped = ties.pop(j)
        name = dropped.get("as")
        where = [w for w in rule.match.where if name is None or name not in _refs(w, rule.match)]
        return _with_match(rule, ties=ties, where=where, people=_people_used(rule, ties))

    return apply


def _refs(item: str | AnyOf, match: Match) -> list[str]:
    """The clauses a ``where`` item reads."""
    kinds_of = field_kinds(match)
    refs: list[str] = []
    for text in [item] if isinstance(item, str) else item.any:
        try:
            refs += clauses_of(parse_condition(text, kinds_of))
        except ValueError:
            continue
    return refs


def drop_key(key: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def change(c: dict[str, Any]) -> dict[str, Any] | None:
        c.pop(key, None)
        return c

    return change


def drop_attribute(name: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def change(c: dict[str, Any]) -> dict[str, Any] | None:
        attrs = dict(c.get("attributes") or {})
        attrs.pop(name, None)
        c["attributes"] = attrs
        return c

    return change


def drop_where(i: int) -> Change:
    def apply(rule: Rule) -> Rule | None:
        where = list(rule.match.where)
        where.pop(i)
        return _with_match(rule, where=where)

    return apply


def window(i: int, delta: int) -> Change:
    def apply(rule: Rule) -> Rule | None:
        written = rule.match.where[i]
        m = OFFSET.search(written) if isinstance(written, str) else None
        if m is None:
            return None
        off = m.group("offset")
        if off.isdigit():
            value = int(off) + delta
            if value < 0:
                return None
            text = m.string[: m.start("offset")] + str(value)
            return _with_match(
                rule, where=[*rule.match.where[:i], text, *rule.match.where[i + 1 :]]
            )
        params = dict(rule.parameters)
        params[off] = params[off] + delta
        return dataclasses.replace(rule, parameters=params)

    return apply


def kind(j: int, old: str, new: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def change(c: dict[str, Any]) -> dict[str, Any] | None:
        kinds = [c["kind"]] if isinstance(c["kind"], str) else list(c["kind"])
        kinds = [new if k == old else k for k in kinds]
        c["kind"] = kinds[0] if len(kinds) == 1 else kinds
        return c

    return change


def direct(a: str, b: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def change(c: dict[str, Any]) -> dict[str, Any] | None:
        c.pop("between", None)
        c["from"], c["to"] = a, b
        return c

    return change


def substitute(kind: str, clause: TieClause, kinds: dict[str, bool]) -> str | None:
    for k in sorted(kinds):
        if (
            k not in clause.kinds
            and (not clause.directed or kinds[k])
            and (kinds[k] == kinds.get(kind, True))
        ):
            return k
    return None


#: A comparison operator that has a strict and a loose form.
COMPARISON = re.compile(r"(?<![<>=!])(<=|>=|<|>)(?!=)")
FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
#: How far a share threshold moves: a twentieth of all records.
SHARE_STEP = 0.05


def strictness(i: int) -> Change:
    def apply(rule: Rule) -> Rule | None:
        text = rule.match.where[i]
        if not isinstance(text, str):
            return None
        m = COMPARISON.search(text)
        if m is None:
            return None
        new = text[: m.start()] + FLIP[m.group(0)] + text[m.end() :]
        return _with_match(rule, where=[*rule.match.where[:i], new, *rule.match.where[i + 1 :]])

    return apply


def roles(var: str, swap: tuple[str, str] | None) -> Change:
    def apply(rule: Rule) -> Rule | None:
        people = {k: v.model_dump() for k, v in rule.match.people.items()}
        roles = list(people[var]["roles"])
        if swap is None:
            roles = []
        elif swap[0] in roles:
            roles = [swap[1] if r == swap[0] else r for r in roles]
        else:
            return None
        people[var] = {**people[var], "roles": list(dict.fromkeys(roles))}
        return _with_match(rule, people=people)

    return apply


def value_changes(test: dict[str, Any]) -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """Changes to the value a test asks for: another ``equals`` value, one ``in`` value (or
    one ``contains``/``lacks`` word) fewer."""
    out: list[tuple[str, Callable[[dict[str, Any]], Any]]] = []
    value = test.get("equals")
    if value is not None:
        other = _other(value)
        out.append((f"equals {value!r} -> {other!r}", lambda t: {**t, "equals": other}))
    for key in ("in", "contains", "lacks"):
        values = test.get(key)
        if values and len(values) > 1:
            for v in values:

                def drop(t: dict[str, Any], key: str = key, v: Any = v) -> Any:
                    return {**t, key: [x for x in t[key] if x != v]}

                out.append((f"{key}: drop {v!r}", drop))
    return out


def _other(value: Any) -> Any:
    """A value unlike ``value``, of its type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return f"{value}-changed"


def test_change(
    where: str, name: str, change: Callable[[dict[str, Any]], Any]
) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def apply(c: dict[str, Any]) -> dict[str, Any] | None:
        tests = dict(c.get(where) or {})
        if name not in tests:
            return None
        tests[name] = {k: v for k, v in change(dict(tests[name])).items() if v is not None}
        c[where] = tests
        return c

    return apply


def drop_test(where: str, name: str) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    def apply(c: dict[str, Any]) -> dict[str, Any] | None:
        tests = dict(c.get(where) or {})
        tests.pop(name, None)
        c[where] = tests
        return c

    return apply


def _records(rule: Rule) -> list[dict[str, Any]]:
    return [c.model_dump(by_alias=True, exclude_none=True) for c in rule.match.records]


def replace_record(j: int, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> Change:
    def apply(rule: Rule) -> Rule | None:
        records = _records(rule)
        new = change(dict(records[j]))
        if new is None:
            return None
        records[j] = new
        return _with_match(rule, records=records)

    return apply


def drop_record(j: int) -> Change:
    def apply(rule: Rule) -> Rule | None:
        match = rule.match
        name = match.records[j].as_
        counted = {s.of for s in (match.count, match.share) if s is not None}
        if name is not None and name in counted:
            return None  # the clause a count or share counts
        records = _records(rule)
        records.pop(j)
        where = [w for w in match.where if name is None or name not in _refs(w, match)]
        changes: dict[str, Any] = {"records": records, "where": where}
        if match.share is not None:
            kept = [w for w in match.share.where if name is None or name not in _refs(w, match)]
            if not kept:
                return None  # the share counts by this clause
            changes["share"] = {**match.share.model_dump(by_alias=True), "where": kept}
        return _with_match(rule, **changes)

    return apply


def threshold(key: str, delta: Number) -> Change:
    def apply(rule: Rule) -> Rule | None:
        spec = rule.match.count if key == "count" else rule.match.share
        if spec is None:
            return None
        limit = spec.at_least if isinstance(spec, CountSpec) else spec.more_than
        if isinstance(limit, str):
            params = dict(rule.parameters)
            params[limit] = _bounded(key, params[limit] + delta)
            if params[limit] == rule.parameters[limit]:
                return None
            return dataclasses.replace(rule, parameters=params)
        new = _bounded(key, limit + delta)
        if new == limit:
            return None
        data = spec.model_dump(by_alias=True)
        data["at_least" if key == "count" else "more_than"] = new
        return _with_match(rule, **{key: data})

    return apply


def _bounded(key: str, value: Number) -> Number:
    if key == "count":
        return max(1, int(value))
    return round(min(max(float(value), 0.0), 0.95), 6)


def per(variables: list[str]) -> Change:
    def apply(rule: Rule) -> Rule | None:
        return _with_match(rule, per=variables)

    return apply


#: The offset that ends a comparison: ``... + 30`` or ``... - window_days``.
OFFSET = re.compile(r"(?P<sign>[+-])\s*(?P<offset>\d+|[A-Za-z_]\w*)\s*$")
