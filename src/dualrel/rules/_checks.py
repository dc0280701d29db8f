"""The semantic checks of a rule's pattern, run when a ruleset is loaded.

What a schema cannot express: every name a pattern uses (roles, tie kinds, person
variables, clause names, record fields, parameters) is declared, every variable is bound by
a clause that must exist, the positive clauses connect all variables, and every ``where``
condition parses. Each problem is located in the ruleset file, with a "did you mean" hint
where one helps, so a ruleset author fixes the file in one pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from dualrel._internal import safeyaml
from dualrel._internal.datebounds import Bound, bounds, conflict
from dualrel._internal.dates import days_out_of_range
from dualrel._internal.located import located
from dualrel._internal.suggest import did_you_mean
from dualrel.errors import Problem, ProblemCode
from dualrel.rules.conditions import (
    ATTRIBUTE,
    PERSON_FIELD,
    Compare,
    Condition,
    Relate,
    clauses_of,
    date_attributes,
    field_kinds,
    parse_condition,
)
from dualrel.rules.schema import (
    NUMERIC_TESTS,
    AnyOf,
    AttributeTest,
    CountSpec,
    Match,
    PathClause,
    SourceSpec,
    TieClause,
)
from dualrel.rules.sections import SECTIONS

if TYPE_CHECKING:
    from dualrel.rules.loader import Rule

__all__ = [
    "check_citation_sources",
    "check_citations_given",
    "check_dates",
    "check_match",
    "citation_code",
    "clauses_of_text",
]


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
    _check_roles(match, roles, base, bad)
    names: dict[str, int] = {}
    bound: set[str] = set()
    for j, clause in enumerate(match.ties):
        cp = f"{base}/ties/{j}"
        if clause.as_ is not None:
            if clause.as_ in names:
                bad(f"{cp}/as", "duplicate-clause", f"clause name {clause.as_!r} is used twice")
            names[clause.as_] = j
        _check_link(clause, "a tie clause", cp, kinds=kinds, variables=variables, bad=bad)
        if clause.active and clause.ended:
            bad(cp, "contradiction", "a tie cannot be both active and ended")
        if clause.exists:
            bound.update(clause.ends)
    bound.update(_check_paths(rule, kinds, variables, set(names), bad))
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
    positive = [c.ends for c in match.ties if c.exists] + [p.ends for p in match.paths]
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
        _check_relate(cond, pointer, match, bad)
        if isinstance(cond, Compare | Relate) and cond.offset is not None:
            off = cond.offset.value
            if isinstance(off, str) and off not in params:
                bad(
                    pointer,
                    "unknown-parameter",
                    f"unknown parameter {off!r}{did_you_mean(off, params)}",
                )
            else:
                _check_offset(cond, kinds_of, rule.parameters, pointer, bad)

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
    _check_bounds(rule, params, bad)
    _check_grouping(rule, record_bound, bound, params, bad)
    if match.share is not None:
        check_where(match.share.where, f"{base}/share/where")


def _check_offset(
    cond: Compare | Relate,
    kinds: Mapping[str, Mapping[str, str]],
    parameters: Mapping[str, float],
    pointer: str,
    bad: Callable[[str, ProblemCode, str], None],
) -> None:
    """An offset is a finite number (a literal of many digits reads as infinity) and, when
    it is a number of days, at most :data:`MAX_DAYS`."""
    assert cond.offset is not None
    off = cond.offset.value
    value = float(parameters[off]) if isinstance(off, str) else off
    shown = f"parameter {off!r}" if isinstance(off, str) else "the offset"
    if not math.isfinite(value):
        bad(pointer, "out-of-range", f"{shown} is not a finite number")
        return
    days = isinstance(cond, Compare) and any(
        r.clause is None or kinds.get(r.clause, {}).get(r.field) in ("time", ATTRIBUTE)
        for r in (cond.left, cond.right)
    )
    far = days_out_of_range(value, shown) if days else None
    if far is not None:
        bad(pointer, "out-of-range", far)


def _check_link(
    link: TieClause | PathClause,
    what: str,
    pointer: str,
    *,
    kinds: Mapping[str, bool],
    variables: set[str],
    bad: Callable[[str, ProblemCode, str], None],
) -> None:
    """A tie or path clause names declared kinds (from/to only for directed ones) and two
    different declared variables."""
    for k in link.kinds:
        if k not in kinds:
            hint = did_you_mean(k, kinds)
            bad(f"{pointer}/kind", "unknown-kind", f"unknown tie kind {k!r}{hint}")
        elif link.directed and not kinds[k]:
            bad(
                f"{pointer}/kind",
                "undirected-kind",
                f"{k!r} ties are undirected: write between: [a, b] instead of from/to",
            )
    names = ("from", "to") if link.directed else ("between", "between")
    for end_name, var in zip(names, link.ends, strict=True):
        if var not in variables:
            bad(
                f"{pointer}/{end_name}",
                "unknown-variable",
                f"unknown person variable {var!r}{did_you_mean(var, variables)}; declare it "
                "under match.people",
            )
    a, b = link.ends
    if a == b:
        bad(pointer, "self-tie", f"{what} joins {a!r} to itself")


def _check_roles(
    match: Match, roles: Iterable[str], base: str, bad: Callable[[str, ProblemCode, str], None]
) -> None:
    for var, spec in match.people.items():
        for j, role in enumerate(spec.roles):
            if role not in roles:
                bad(
                    f"{base}/people/{var}/roles/{j}",
                    "unknown-role",
                    f"unknown role {role!r}{did_you_mean(role, roles)}",
                )


def citation_code(source: SourceSpec) -> str:
    """The code a citation gives to name ``source``: ``CODE-VERSION``, or ``CODE`` for a
    source without a version (``{code: ICF, version: "2020"}`` is cited as ``ICF-2020``).

    >>> citation_code(SourceSpec(code="ICF", version="2020")), citation_code(SourceSpec(code="X"))
    ('ICF-2020', 'X')
    """
    return source.code if source.version is None else f"{source.code}-{source.version}"


def check_citations_given(
    rule: Rule,
    pointer: str,
    *,
    file: str,
    doc: safeyaml.LocatedDocument,
    problems: list[Problem],
) -> None:
    """A lint error when ``rule`` cites no clause: a committee must see what it implements.

    ``pointer`` is where the rule's citations are (or would be) written in ``doc``.
    """
    if not rule.citations:
        problems.append(
            located(
                file,
                doc,
                pointer,
                "missing-citation",
                f"rule {rule.id}: cites no clause; add citations: [{{code: ..., clause: ...}}]",
                record=rule.id,
                field="citations",
            )
        )


def check_citation_sources(
    rule: Rule,
    sources: Iterable[SourceSpec],
    pointer: str,
    *,
    file: str,
    doc: safeyaml.LocatedDocument,
    problems: list[Problem],
) -> None:
    """A lint error for each citation of ``rule`` whose code names none of ``sources`` (the
    ruleset's that wrote the citations and its bases'), matched by :func:`citation_code`.

    ``pointer`` is where the rule's citations are written in ``doc``.
    """
    codes = {citation_code(s) for s in sources}
    for j, citation in enumerate(rule.citations):
        if citation.code not in codes:
            declared = ", ".join(sorted(codes)) or "none"
            problems.append(
                located(
                    file,
                    doc,
                    f"{pointer}/{j}/code",
                    "undeclared-source",
                    f"rule {rule.id}: cites {citation.code!r}, which no source declares "
                    f"(declared: {declared}){did_you_mean(citation.code, codes)}; add "
                    "{code: ..., version: ...} to sources",
                    record=rule.id,
                    field="code",
                )
            )


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


def _check_paths(
    rule: Rule,
    kinds: Mapping[str, bool],
    variables: set[str],
    tie_names: set[str],
    bad: Callable[[str, ProblemCode, str], None],
) -> set[str]:
    """Path clauses name declared kinds and variables, from/to only for directed kinds, two
    different variables, and a name no other clause has; ``where`` reads nothing of a
    path.  Returns the variables the paths bind."""
    match = rule.match
    base = f"{rule.pointer}/match/paths"
    taken = tie_names | {c.as_ for c in match.records if c.as_}
    bound: set[str] = set()
    for j, path in enumerate(match.paths):
        pp = f"{base}/{j}"
        if path.as_ is not None:
            if path.as_ in taken:
                bad(f"{pp}/as", "duplicate-clause", f"clause name {path.as_!r} is used twice")
            taken.add(path.as_)
        _check_link(path, "a path", pp, kinds=kinds, variables=variables, bad=bad)
        bound.update(path.ends)
    named = {p.as_ for p in match.paths if p.as_}
    for j, item in enumerate(match.where):
        texts = item.any if isinstance(item, AnyOf) else [item]
        for text in texts:
            for name in sorted(named):
                if re.search(rf"(?<![\w.]){re.escape(name)}\.", text):
                    bad(
                        f"{rule.pointer}/match/where/{j}",
                        "where-syntax",
                        f"{name!r} is a path: where reads no field of a path (its ties' "
                        "dates differ along the chain); test the chain's ties with "
                        "active: true on the path",
                    )
    return bound


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
    tie_counted = {c.as_ for c in match.ties if c.as_ and c.exists}
    people = (bound | record_bound) - set(match.subject_variables)
    for key, spec in (("count", match.count), ("share", match.share)):
        if spec is None:
            continue
        if spec.of in match.people and spec.of in counted | tie_counted:
            bad(
                f"{base}/{key}/of",
                "duplicate-clause",
                f"{spec.of!r} names both a clause and a person variable",
            )
        elif spec.of in match.people and spec.of not in people:
            bad(
                f"{base}/{key}/of",
                "unbound-variable",
                f"people counted must be bound by a clause that must exist and not be "
                f"grouped by (per), and {spec.of!r} is not",
            )
        elif spec.of not in counted | tie_counted | set(match.people):
            choices = counted | tie_counted | people
            bad(
                f"{base}/{key}/of",
                "unknown-clause",
                f"no clause that must exist nor person variable is named {spec.of!r}"
                + did_you_mean(spec.of, choices),
            )
        if isinstance(spec, CountSpec) and spec.alike is not None and spec.of not in people:
            bad(
                f"{base}/count/alike",
                "unknown-variable",
                "alike compares a field of the people counted: count a person variable",
            )
        limit = spec.at_least if isinstance(spec, CountSpec) else spec.more_than
        if isinstance(limit, str) and limit not in params:
            bad(
                f"{base}/{key}",
                "unknown-parameter",
                f"unknown parameter {limit!r}{did_you_mean(limit, params)}",
            )


def check_dates(
    rule: Rule, *, file: str, doc: safeyaml.LocatedDocument, problems: list[Problem]
) -> None:
    """Date conditions that contradict each other: the rule can never fire.

    The conditions named are those of one contradiction (a negative cycle of the
    difference constraints); a contradiction without a ``where`` condition (``active`` and
    ``ended: true`` on one clause) is :func:`check_match`'s to report.
    """
    found = bounds(rule.match, rule.parameters)
    n = 1 + 2 * sum(c.exists for c in rule.match.ties)
    cycle = conflict(n, [b.constraint for b in found])
    if cycle is None:
        return
    involved = [found[i] for i in cycle]
    first = min((b.where for b in involved if b.where is not None), default=None)
    if first is None:
        return
    labels = list(dict.fromkeys(b.label for b in sorted(involved, key=_where_first)))
    pointer = f"{rule.pointer}/match/where/{first}"
    problems.append(
        located(
            file,
            doc,
            pointer,
            "contradiction",
            f"rule {rule.id}: its date conditions contradict each other, so it can never fire: "
            + "; ".join(labels),
            record=rule.id,
            field="where",
        )
    )


def _where_first(b: Bound) -> tuple[int, int]:
    return (0, b.where) if b.where is not None else (1, 0)


def _check_bounds(
    rule: Rule, params: set[str], bad: Callable[[str, ProblemCode, str], None]
) -> None:
    """The numeric tests of tie and person attributes name declared parameters."""
    base = f"{rule.pointer}/match"
    tested: list[tuple[str, AttributeTest]] = []
    for var, spec in rule.match.people.items():
        if spec.organisation is not None:
            tested.append((f"{base}/people/{var}/organisation", spec.organisation))
        tested += [(f"{base}/people/{var}/attributes/{k}", t) for k, t in spec.attributes.items()]
    for j, clause in enumerate(rule.match.ties):
        tested += [(f"{base}/ties/{j}/attributes/{k}", t) for k, t in clause.attributes.items()]
    for pointer, test in tested:
        for name, op in NUMERIC_TESTS.items():
            value = getattr(test, name)
            if isinstance(value, str) and value not in params:
                bad(
                    f"{pointer}/{name}",
                    "unknown-parameter",
                    f"unknown parameter {value!r}{did_you_mean(value, params)} "
                    f"(the bound of {name}, {op})",
                )


def _check_relate(
    cond: Condition, pointer: str, match: Match, bad: Callable[[str, ProblemCode, str], None]
) -> None:
    """The people a comparison of fields reads are bound by a tie clause that exists (the
    engine reads their fields off its ties), and its tie clauses exist."""
    if not isinstance(cond, Relate):
        return
    kinds_of = field_kinds(match)
    named = {c.as_: c for c in match.ties if c.as_}
    for ref in (cond.left, cond.right):
        name = ref.clause or ""
        if kinds_of[name].get(ref.field.split(".", 1)[0]) == PERSON_FIELD and name not in named:
            if not any(c.exists and name in c.ends for c in match.ties):
                bad(
                    pointer,
                    "unbound-variable",
                    f"{ref}: compared fields are read from ties, and {name!r} is in no tie "
                    "clause that must exist",
                )
        elif name in named and not named[name].exists:
            bad(
                pointer,
                "negated-clause-date",
                f"clause {name!r} must not exist, so it has no attributes to compare",
            )
