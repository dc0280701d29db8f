"""The date windows that decided a finding, read from its rule's ``where``.

A condition comparing two dates with an offset (``romance.start <= coaching.end +
former_client_window_days``) or with a fixed date (``romance.start >= 2021-01-01``)
becomes an :class:`~dualrel.findings.EvidenceWindow`: on the row of the tie or record its
clause matched, the date the other side gives (the parameter resolved).  The HTML page
draws it on the finding's timeline.

A clause is known to have matched a tie only when the rule's pattern says so without
doubt: the tie clauses that must exist are the evidence in their written order (no path
clause, no ``per``/``count``/``share``, as many clauses as ties, kinds agreeing), and a
record clause is the one record of its section the finding cites), and the dates so
read satisfy the condition, as they must for a finding (which also catches the two
readings of a symmetric pattern).  Otherwise the condition is left out: a window on the
wrong row would mislead more than none.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

from dualrel.findings import EvidenceRecord, EvidenceTie, EvidenceWindow, Finding
from dualrel.rules.conditions import Compare, Ref, field_kinds, parse_condition
from dualrel.rules.loader import Rule
from dualrel.rules.schema import TieClause

__all__ = ["date_conditions", "date_windows"]

_HOLDS: Mapping[str, Callable[[date, date], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
#: ``L op R`` read from R's side
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _fits(clause: TieClause, tie: EvidenceTie, subjects: Mapping[str, str]) -> bool:
    """Whether ``tie`` can be what ``clause`` matched: its kind, and its ends where the
    clause's ends are subjects of the finding."""
    if tie.kind not in clause.kinds:
        return False
    a, b = (subjects.get(v) for v in clause.ends)
    if clause.directed:
        return a in (None, tie.source) and b in (None, tie.target)
    ends = {tie.source, tie.target}
    return a in (None, *ends) and b in (None, *ends)


def _items(rule: Rule, finding: Finding, ties: Sequence[EvidenceTie]) -> dict[str, str]:
    """Clause name to the id of the tie or record it matched, where that is certain."""
    m = rule.match
    out: dict[str, str] = {}
    clauses = [c for c in m.ties if c.exists]
    if (
        not m.paths
        and m.per is None
        and m.count is None
        and m.share is None
        and [t.id for t in ties] == list(finding.evidence)
        and len(clauses) == len(ties)
        and all(_fits(c, t, finding.subjects) for c, t in zip(clauses, ties, strict=True))
    ):
        out.update((c.as_, t.id) for c, t in zip(clauses, ties, strict=True) if c.as_)
    for c in m.records:
        if not c.exists or not c.as_:
            continue
        mine = [r for r in finding.records if r.partition("/")[0] == c.section]
        same = [o for o in m.records if o.exists and o.section == c.section]
        if len(mine) == 1 and len(same) == 1:
            out[c.as_] = mine[0]
    return out


def _value(
    ref: Ref,
    items: Mapping[str, str],
    ties: Mapping[str, EvidenceTie],
    records: Mapping[str, EvidenceRecord],
    as_of: date,
) -> date | None:
    if ref.clause is None:
        return as_of if ref.field == "as_of" else ref.fixed
    item = items.get(ref.clause)
    if item is None:
        return None
    if item in ties:
        tie = ties[item]
        return tie.start if ref.field == "start" else tie.end if ref.field == "end" else None
    return dict(records[item].dates).get(ref.field) if item in records else None


def date_conditions(rule: Rule) -> tuple[tuple[str, Compare], ...]:
    """The conditions of ``rule``'s ``where`` that make windows, parsed once per rule:
    date comparisons with an offset or a fixed date, as written and parsed."""
    kinds = field_kinds(rule.match)
    out = []
    for text in rule.match.where:
        if not isinstance(text, str):
            continue  # an {any: [...]} decides through one of several conditions
        try:
            c = parse_condition(text, kinds)
        except ValueError:  # the loader accepted it; a form this module does not draw
            continue
        if not isinstance(c, Compare):
            continue
        if c.offset is None and c.left.fixed is None and c.right.fixed is None:
            continue  # no window: the plain order of two dates
        side = c.left if c.left.clause else c.right
        if side.clause is not None and kinds.get(side.clause, {}).get(side.field) == "time":
            out.append((text, c))
    return tuple(out)


def date_windows(
    rule: Rule,
    conditions: Sequence[tuple[str, Compare]],
    finding: Finding,
    *,
    ties: Sequence[EvidenceTie],
    records: Sequence[EvidenceRecord],
    as_of: date,
) -> tuple[EvidenceWindow, ...]:
    """The windows of ``conditions`` (:func:`date_conditions` of ``rule``) on
    ``finding``'s evidence, in ``where`` order, where every date they need is known."""
    if not conditions:
        return ()
    items = _items(rule, finding, ties)
    by_tie = {t.id: t for t in ties}
    by_record = {r.id: r for r in records}
    out: list[EvidenceWindow] = []
    for text, c in conditions:
        # ``L op R + k``: the row is L's item with the bound R + k, or, when L is as_of or
        # a fixed date, R's item with the bound L - k (``R op' L - k``)
        k = c.offset.resolve(rule.parameters) if c.offset is not None else 0.0
        side, other, days = (c.left, c.right, k) if c.left.clause else (c.right, c.left, -k)
        item = items.get(side.clause) if side.clause is not None else None
        base = _value(other, items, by_tie, by_record, as_of)
        if item is None or base is None:
            continue
        bound = base + timedelta(days=round(days))
        value = _value(side, items, by_tie, by_record, as_of)
        op = c.op if side is c.left else _FLIPPED[c.op]
        if value is not None and not _HOLDS[op](value, bound):
            continue  # not how the finding matched: the clause is not that item
        out.append(
            EvidenceWindow(
                item=item,
                condition=text,
                bound=bound,
                value=value,
            )
        )
    return tuple(out)
