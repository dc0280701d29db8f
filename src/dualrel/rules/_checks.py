"""The semantic checks of a rule's pattern, run when a ruleset is loaded.

What a schema cannot express: every name a pattern uses (roles, tie kinds, person
variables, clause names, record fields, parameters) is declared, every variable is bound by
a clause that must exist, the positive clauses connect all variables, and every ``where``
condition parses. Each problem is located in the ruleset file, with a "did you mean" hint
where one helps, so a ruleset author fixes the file in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from dualrel._internal import safeyaml
from dualrel._internal.located import located
from dualrel._internal.suggest import did_you_mean
from dualrel.errors import Problem, ProblemCode
from dualrel.rules.conditions import (
    Compare,
    Condition,
    clauses_of,
    date_attributes,
    field_kinds,
    parse_condition,
)
from dualrel.rules.schema import AnyOf, CountSpec
from dualrel.rules.sections import SECTIONS

if TYPE_CHECKING:
    from dualrel.rules.loader import Rule

__all__ = ["check_match", "clauses_of_text"]


def check_match(
    rule: Rule,
    kinds: Mapping[str, bool],
    roles: Iterable[str],
    params: set[str],
    *,
    file: str,
    doc: safeyaml.LocatedDocument,
    problems: list[Problem],
) -> None:
    """Semantic checks a schema cannot express; every problem is located in ``doc``."""
    base = f"{rule.pointer}/match"
    match = rule.match

    def bad(pointer: str, code: ProblemCode, message: str) -> None:
        problems.append(
            located(
                file,
                doc,
                pointer,
                code,
                f"rule {rule.id}: {message}",
                record=rule.id,
                field=pointer.rsplit("/", 1)[-1],
            )
        )

    variables = set(match.people)
    for var, spec in match.people.items():
        for j, role in enumerate(spec.roles):
            if role not in roles:
                bad(
                    f"{base}/people/{var}/roles/{j}",
                    "unknown-role",
                    f"unknown role {role!r}{did_you_mean(role, roles)}",
                )
    names: dict[str, int] = {}
    bound: set[str] = set()
    for j, clause in enumerate(match.ties):
        cp = f"{base}/ties/{j}"
        if clause.as_ is not None:
            if clause.as_ in names:
                bad(f"{cp}/as", "duplicate-clause", f"clause name {clause.as_!r} is used twice")
            names[clause.as_] = j
        for k in clause.kinds:
            if k not in kinds:
                bad(f"{cp}/kind", "unknown-kind", f"unknown tie kind {k!r}{did_you_mean(k, kinds)}")
            elif clause.directed and not kinds[k]:
                bad(
                    f"{cp}/kind",
                    "undirected-kind",
                    f"{k!r} ties are undirected: write between: [a, b] instead of from/to",
                )
        for end_name, var in zip(
            ("from", "to") if clause.directed else ("between", "between"), clause.ends, strict=True
        ):
            if var not in variables:
                bad(
                    f"{cp}/{end_name}",
                    "unknown-variable",
                    f"unknown person variable {var!r}{did_you_mean(var, variables)}; declare it "
                    "under match.people",
                )
        a, b = clause.ends
        if a == b:
            bad(cp, "self-tie", f"a tie clause joins {a!r} to itself")
        if clause.active and clause.ended:
            bad(cp, "contradiction", "a tie cannot be both active and ended")
        if clause.exists:
            bound.update(clause.ends)
    # a variable met only in negated clauses stands for "anyone": allowed in one clause only
    wild: dict[str, int] = {}
    for j, clause in enumerate(match.ties):
        if not clause.exists:
            for var in set(clause.ends) - bound:
                wild[var] = wild.get(var, 0) + 1
                if wild[var] == 2:
                    bad(
                        f"{base}/ties/{j}",
                        "unbound-variable",
                        f"variable {var!r} is bound by no tie that must exist, so it may appear "
                        "in one negated clause only",
                    )
    for j, clause in enumerate(match.ties):
        if not clause.exists and all(v not in bound for v in clause.ends):
            bad(
                f"{base}/ties/{j}",
                "unbound-clause",
                "a negated clause must share a variable with the tie clauses that exist",
            )
    record_bound = _check_records(rule, names, bound, variables, bad)
    for var in sorted(variables - bound - set(wild) - record_bound):
        bad(
            f"{base}/people/{var}",
            "unbound-variable",
            f"variable {var!r} appears in no clause that must exist",
        )
    # positive clauses must connect every variable, or the rule is a cross product
    positive = [c.ends for c in match.ties if c.exists]
    if positive:
        reached = {positive[0][0]}
        grew = True
        while grew:
            grew = False
            for a, b in positive:
                if (a in reached) != (b in reached):
                    reached.update((a, b))
                    grew = True
        loose = sorted(bound - reached)
        if loose:
            bad(
                f"{base}/ties",
                "disconnected",
                f"variables {', '.join(loose)} are not linked to the others by any tie clause",
            )
    elif match.ties:
        bad(f"{base}/ties", "no-positive-clause", "a pattern needs at least one tie that exists")
    kinds_of = field_kinds(match)
    negated = {c.as_ for c in match.ties if c.as_ and not c.exists} | {
        c.as_ for c in match.records if c.as_ and not c.exists
    }

    def check_condition(text: str, pointer: str) -> None:
        try:
            cond = parse_condition(text, kinds_of)
        except ValueError as exc:
            bad(pointer, "where-syntax", str(exc))
            return
        used = clauses_of(cond)
        _check_negated_dates(cond, negated, kinds_of, pointer, bad)
        if sum(name in negated for name in used) > 1:
            bad(pointer, "where-syntax", "a condition may read one negated clause at most")
        if isinstance(cond, Compare) and cond.offset is not None:
            off = cond.offset.value
            if isinstance(off, str) and off not in params:
                bad(
                    pointer,
                    "unknown-parameter",
                    f"unknown parameter {off!r}{did_you_mean(off, params)}",
                )

    def check_where(items: Iterable[str | AnyOf], pointer: str) -> None:
        for j, item in enumerate(items):
            if isinstance(item, AnyOf):
                for k, text in enumerate(item.any):
                    check_condition(text, f"{pointer}/{j}/any/{k}")
                    if any(n in negated for n in clauses_of_text(text, kinds_of)):
                        bad(
                            f"{pointer}/{j}/any/{k}",
                            "where-syntax",
                            "conditions on a negated clause cannot be alternatives",
                        )
            else:
                check_condition(item, f"{pointer}/{j}")

    check_where(match.where, f"{base}/where")
    _check_grouping(rule, record_bound, bound, params, bad)
    if match.share is not None:
        check_where(match.share.where, f"{base}/share/where")


def _check_negated_dates(
    cond: Condition,
    negated: set[str],
    kinds_of: Mapping[str, Mapping[str, str]],
    pointer: str,
    bad: Callable[[str, ProblemCode, str], None],
) -> None:
    """A condition on a negated clause belongs to it ("no tie such that ..."), so a date
    attribute it reads must be that clause's: one of a clause that exists holding no date
    would have to make every negated tie fail, which the engine cannot test there."""
    used = clauses_of(cond)
    if not any(name in negated for name in used):
        return
    for ref in date_attributes(cond, kinds_of):
        if ref.clause not in negated:
            bad(
                pointer,
                "negated-clause-date",
                f"{ref} is a date attribute of a clause that exists, compared with a "
                "negated clause: compare the negated clause's dates with the other "
                "clause's start or end, as_of or a fixed date",
            )


def clauses_of_text(text: str, kinds_of: Mapping[str, Mapping[str, str]]) -> tuple[str, ...]:
    """The clauses a condition reads, or none when it does not parse."""
    try:
        return clauses_of(parse_condition(text, kinds_of))
    except ValueError:
        return ()


def _check_records(
    rule: Rule,
    names: Mapping[str, int],
    bound: set[str],
    variables: set[str],
    bad: Callable[[str, ProblemCode, str], None],
) -> set[str]:
    """Record clauses name fields their section has, declared people, and a named tie
    clause that must exist; returns the variables only records bind."""
    match = rule.match
    base = f"{rule.pointer}/match/records"
    existing = {n for n, j in names.items() if match.ties[j].exists}
    record_bound = {v for c in match.records if c.exists for v in c.people.values()} - bound
    in_ties = {v for c in match.ties for v in c.ends}
    seen_names = set(names)
    shared: set[str] | None = None  # variables every record clause names (records-only rules)
    for j, clause in enumerate(match.records):
        rp = f"{base}/{j}"
        fields = SECTIONS[clause.section]
        if clause.as_ is not None:
            if clause.as_ in seen_names:
                bad(f"{rp}/as", "duplicate-clause", f"clause name {clause.as_!r} is used twice")
            seen_names.add(clause.as_)
        named = set(clause.people.values())
        shared = named if shared is None else shared & named
        for name, var in clause.people.items():
            fp = f"{rp}/people/{name}"
            if name not in fields.people:
                bad(
                    fp,
                    "unknown-field",
                    f"{clause.section} have no person field {name!r}"
                    + did_you_mean(name, fields.people),
                )
            elif var not in variables:
                bad(
                    fp,
                    "unknown-variable",
                    f"unknown person variable {var!r}"
                    f"{did_you_mean(var, variables)}; declare it under match.people",
                )
            elif not clause.exists and var not in bound | record_bound:
                bad(
                    fp,
                    "unbound-variable",
                    f"variable {var!r} is bound by no clause that must exist"
                    + did_you_mean(var, bound | record_bound),
                )
            elif var in record_bound and var in in_ties:
                bad(
                    fp,
                    "unbound-variable",
                    f"variable {var!r} is in tie clauses but bound by none that must exist",
                )
        if len(named) != len(clause.people):
            bad(f"{rp}/people", "self-tie", "two person fields name the same variable")
        if clause.tie is not None:
            if fields.tie is None:
                bad(f"{rp}/tie", "unknown-field", f"{clause.section} refer to no tie")
            elif clause.tie not in existing:
                bad(
                    f"{rp}/tie",
                    "unknown-clause",
                    f"no tie clause that must exist is named {clause.tie!r}"
                    + did_you_mean(clause.tie, existing),
                )
        if match.ties and clause.tie is None and not named & bound:
            bad(
                rp,
                "disconnected",
                "a record clause must name a variable bound by a tie "
                "clause, or a tie clause (tie:)",
            )
        for name, test in clause.fields.items():
            fp = f"{rp}/fields/{name}"
            if name not in fields.testable:
                bad(
                    fp,
                    "unknown-field",
                    f"{clause.section} have no field {name!r}"
                    + did_you_mean(name, fields.testable),
                )
            elif (test.contains or test.lacks) and name not in fields.lists:
                bad(fp, "field-test", f"contains/lacks test lists, and {name!r} is not one")
            elif name in fields.lists and (test.equals is not None or test.in_):
                bad(fp, "field-test", f"{name!r} is a list: test it with contains or lacks")
            elif name in fields.times and not (test.present or test.absent):
                bad(
                    fp,
                    "field-test",
                    f"{name!r} is a date: test present/absent here and compare it in where",
                )
            elif name in fields.lists:
                words = fields.vocabulary.get(name, ())
                for w in (test.contains or []) + (test.lacks or []):
                    if words and w not in words:
                        bad(
                            fp,
                            "unknown-value",
                            f"{w!r} is not a word of {name}" + did_you_mean(w, words),
                        )
    if not match.ties and match.records and not shared:
        bad(
            base,
            "disconnected",
            "in a rule of records only, every record clause must name one same variable",
        )
    return record_bound


def _check_grouping(
    rule: Rule,
    record_bound: set[str],
    bound: set[str],
    params: set[str],
    bad: Callable[[str, ProblemCode, str], None],
) -> None:
    """``per`` names bound variables; ``count``/``share`` count a record clause that exists."""
    match = rule.match
    base = f"{rule.pointer}/match"
    if match.per is not None:
        for j, var in enumerate(match.per):
            if var not in bound | record_bound:
                bad(
                    f"{base}/per/{j}",
                    "unbound-variable",
                    f"variable {var!r} is bound by no clause that must exist"
                    + did_you_mean(var, bound | record_bound),
                )
        if match.ties and not set(match.per) & bound:
            bad(
                f"{base}/per",
                "unbound-variable",
                "per must name at least one variable bound by a tie clause",
            )
    counted = {c.as_ for c in match.records if c.as_ and c.exists}
    for key, spec in (("count", match.count), ("share", match.share)):
        if spec is None:
            continue
        if spec.of not in counted:
            bad(
                f"{base}/{key}/of",
                "unknown-clause",
                f"no record clause that must exist is named {spec.of!r}"
                + did_you_mean(spec.of, counted),
            )
        limit = spec.at_least if isinstance(spec, CountSpec) else spec.more_than
        if isinstance(limit, str) and limit not in params:
            bad(
                f"{base}/{key}",
                "unknown-parameter",
                f"unknown parameter {limit!r}{did_you_mean(limit, params)}",
            )
