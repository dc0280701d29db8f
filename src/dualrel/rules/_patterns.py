"""Named sub-patterns: a ruleset's ``patterns:``, included in rules with ``use``.

A sub-pattern is people, clauses and conditions written once and included in several
rules (and in other sub-patterns).  Including one adds its people (renamed by ``with``),
its tie and record clauses after the including pattern's own, and its conditions; clause
names (``as``) are kept as they are, so a rule's ``where`` may read them.  Everything is
resolved when the ruleset is loaded: the compiler sees plain patterns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dualrel._internal.suggest import did_you_mean
from dualrel.errors import ProblemCode
from dualrel.rules.schema import Match, PatternSpec, PatternUse, PersonSpec

__all__ = ["Defined", "resolve_uses"]

#: Reports a problem: (where it was written: the file's index and a JSON pointer, code, text)
Report = Callable[[object, str, ProblemCode, str], None]


@dataclass(frozen=True, slots=True)
class Defined:
    """A sub-pattern and where it is defined (``where``: the caller's handle on its file)."""

    spec: PatternSpec
    where: object
    pointer: str


@dataclass(slots=True)
class _Parts:
    people: dict[str, PersonSpec]
    ties: list[object]
    records: list[object]
    where: list[object]


def resolve_uses(
    match: Match, patterns: Mapping[str, Defined], at: object, pointer: str, report: Report
) -> Match:
    """``match`` with every sub-pattern it uses included (``use`` then empty).  Unknown
    names, circles and a variable asked for different roles are reported, located at the
    ``use`` item (or the pattern definition) that causes them."""
    if not match.use:
        return match
    parts = _Parts(dict(match.people), list(match.ties), list(match.records), list(match.where))
    for k, item in enumerate(match.use):
        _include(
            item,
            outer={},
            patterns=patterns,
            parts=parts,
            stack=(),
            at=at,
            pointer=f"{pointer}/use/{k}",
            report=report,
        )
    return match.model_copy(
        update={
            "people": parts.people,
            "ties": parts.ties,
            "records": parts.records,
            "where": parts.where,
            "use": [],
        }
    )


def _include(
    item: str | PatternUse,
    *,
    outer: Mapping[str, str],
    patterns: Mapping[str, Defined],
    parts: _Parts,
    stack: Sequence[str],
    at: object,
    pointer: str,
    report: Report,
) -> None:
    name = item if isinstance(item, str) else item.pattern
    renames = {} if isinstance(item, str) else dict(item.with_)
    defined = patterns.get(name)
    if defined is None:
        report(
            at,
            pointer,
            "unknown-pattern",
            f"no sub-pattern named {name!r}{did_you_mean(name, patterns)}; define it under "
            "patterns:",
        )
        return
    if name in stack:
        report(
            at,
            pointer,
            "pattern-cycle",
            "sub-patterns use each other in a circle: " + " -> ".join([*stack, name]),
        )
        return
    spec = defined.spec
    for var in sorted(_variables(spec) - set(spec.people)):
        report(
            defined.where,
            f"{defined.pointer}/people",
            "unknown-variable",
            f"sub-pattern {name!r} names variable {var!r} without declaring it under its people",
        )
    for var in renames:
        if var not in _variables(spec):
            report(
                at,
                f"{pointer}/with/{var}",
                "unknown-variable",
                f"sub-pattern {name!r} has no variable {var!r}"
                + did_you_mean(var, _variables(spec)),
            )

    def rename(var: str) -> str:
        inner = renames.get(var, var)
        return outer.get(inner, inner)

    for var, person in spec.people.items():
        target = rename(var)
        known = parts.people.get(target)
        if known is None or not known.roles:
            parts.people[target] = person if known is None or person.roles else known
        elif person.roles and set(person.roles) != set(known.roles):
            report(
                at,
                pointer,
                "pattern-conflict",
                f"sub-pattern {name!r} asks roles {person.roles} of {target!r}, which the "
                f"pattern asks to have roles {known.roles}",
            )
    for clause in spec.ties:
        if clause.between is not None:
            update: dict[str, object] = {"between": [rename(v) for v in clause.between]}
        else:
            update = {"from_": rename(clause.from_ or ""), "to": rename(clause.to or "")}
        parts.ties.append(clause.model_copy(update=update))
    for rec in spec.records:
        parts.records.append(
            rec.model_copy(update={"people": {f: rename(v) for f, v in rec.people.items()}})
        )
    parts.where.extend(spec.where)
    inner = {v: rename(v) for v in _variables(spec)}
    for k, nested in enumerate(spec.use):
        _include(
            nested,
            outer=inner,
            patterns=patterns,
            parts=parts,
            stack=(*stack, name),
            at=defined.where,
            pointer=f"{defined.pointer}/use/{k}",
            report=report,
        )


def _variables(spec: PatternSpec) -> set[str]:
    """The variables a sub-pattern names (declared or in its clauses)."""
    out = set(spec.people)
    for clause in spec.ties:
        out.update(clause.ends)
    for rec in spec.records:
        out.update(rec.people.values())
    for item in spec.use:
        if isinstance(item, PatternUse):
            out.update(item.with_.values())
    return out
