"""Which ties a compiled ruleset can possibly use: a semi-join pass before the engine (private).

Batch evaluation asserts into durable-rules only the ties that can take part in a match or
veto one.  For each rule, every clause gets its *bindings*: the ties (and, for a tie read
in either direction, both orientations) that pass the clause's own tests (kind, direction,
dates, attribute tests, the roles of its ends).  A binding is kept only while each person
it binds is bound by every positive clause naming the same variable (and, for clauses on
the same pair of variables, the same pair of people).  That is a necessary condition for
being in a match, or for vetoing one (a negated clause vetoes only through people a match
binds), so the engine, which checks everything again, finds exactly the same matches.
``where`` date conditions and "different people" tests are not used: this pass is
deliberately weaker than the engine, never stronger.

Clauses are visited smallest first, and a clause is bound only to the people the clauses
before it allow.  A clause several rules share (most rules share the active coaching tie)
is listed in full once and each rule filters that list; the clause of a single rule is
found in one pass over its ties that tests the allowed people before anything else.  At
a million people every binding and person touched is a cache miss, so the pass builds as
few lists and sets as it can: no per-person adjacency, the people of a shared list kept.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from dualrel.graph.model import Tie
from dualrel.rules._encode import canonical
from dualrel.rules.plan import CompiledRuleset
from dualrel.rules.schema import PersonSpec, TieClause

__all__ = ["ROUNDS", "attributes_test", "date_tests", "needed_ties", "signature"]

_Binding = tuple[str, str, Tie]  # (person at the clause's first end, at its second end, tie)
_Test = Callable[[Tie], bool]

#: Rounds of the semi-join over one rule's clauses (each only removes bindings; any number
#: of rounds is safe, a few reach the fixpoint for patterns of a handful of clauses).
ROUNDS = 4


_DayTest = Callable[[date | None], bool]


def date_tests(clause: TieClause, as_of: date) -> tuple[_DayTest | None, _DayTest | None]:
    """The clause's ``active``/``ended`` demands as a test of a tie's start and a test of
    its end (None: no test); a tie passes when both pass."""
    active, ended = bool(clause.active), clause.ended
    if ended is True:
        if active:  # active and ended: never both
            return (lambda s: False), None
        return None, (lambda e: e is not None and e < as_of)
    if active:
        return (lambda s: s is None or s <= as_of), (lambda e: e is None or e >= as_of)
    if ended is False:
        return None, (lambda e: e is None or e >= as_of)
    return None, None


def _date_test(clause: TieClause, as_of: date) -> _Test | None:
    on_start, on_end = date_tests(clause, as_of)
    if on_start is None:
        return None if on_end is None else (lambda t: on_end(t.end))
    if on_end is None:
        return lambda t: on_start(t.start)
    return lambda t: on_start(t.start) and on_end(t.end)


def attributes_test(clause: TieClause) -> Callable[[Mapping[str, Any]], bool] | None:
    """The clause's attribute tests as a test of a tie's attributes (None: no test)."""
    tests: list[tuple[str, str, frozenset[str]]] = []
    for name, test in clause.attributes.items():
        if test.present or test.bounds:  # a numeric test needs a value: no more asked here
            tests.append((name, "present", frozenset()))
        elif test.absent:
            tests.append((name, "absent", frozenset()))
        else:
            values = [test.equals] if test.equals is not None else list(test.in_ or [])
            tests.append((name, "in", frozenset(canonical(v) for v in values)))
    if not tests:
        return None

    def check(attrs: Mapping[str, Any]) -> bool:
        for name, how, values in tests:
            if how == "present":
                if name not in attrs:
                    return False
            elif how == "absent":
                if name in attrs:
                    return False
            elif name not in attrs or canonical(attrs[name]) not in values:
                return False
        return True

    return check


def _attribute_test(clause: TieClause) -> _Test | None:
    check = attributes_test(clause)
    return None if check is None else (lambda t: check(t.attributes))


def signature(
    clause: TieClause, kinds: Mapping[str, bool], people: Mapping[str, PersonSpec]
) -> tuple[tuple[str, ...], bool, frozenset[str], frozenset[str], Any]:
    """A clause's kinds, whether it reads its ties forward only, the roles of its two ends
    and the key of its own tests (clauses with one key have the same bindings)."""
    kind_list = tuple(sorted(set(clause.kinds)))
    forward_only = clause.directed and all(kinds.get(k, True) for k in kind_list)
    u, v = clause.ends
    roles_u = frozenset(people[u].roles) if u in people else frozenset()
    roles_v = frozenset(people[v].roles) if v in people else frozenset()
    key = (
        kind_list,
        forward_only,
        bool(clause.active),
        clause.ended,
        tuple(
            sorted(
                (n, canonical(t.model_dump(by_alias=True, exclude_none=True)))
                for n, t in clause.attributes.items()
            )
        ),
        roles_u,
        roles_v,
    )
    return kind_list, forward_only, roles_u, roles_v, key


class _Clause:
    """One clause's own tests, and its bindings listed in full or from given people."""

    def __init__(self, table: _Table, clause: TieClause, people: Mapping[str, PersonSpec]) -> None:
        self.table = table
        self.clause = clause
        self.ends = clause.ends
        self.exists = clause.exists
        self.kinds, self.forward_only, self.roles_u, self.roles_v, self.key = signature(
            clause, table.kinds, people
        )
        self.size = sum(len(table.by_kind.get(k, ())) for k in self.kinds)
        tests = [t for t in (_date_test(clause, table.as_of), _attribute_test(clause)) if t]
        self.test: _Test | None = None
        if len(tests) == 1:
            self.test = tests[0]
        elif tests:
            first, second = tests
            self.test = lambda t: first(t) and second(t)
        self.role_test = table.roles is not None and bool(self.roles_u or self.roles_v)
        #: more than one clause of the ruleset has these tests (set by needed_ties)
        self.shared = False

    def _role_filter(self, out: list[_Binding]) -> list[_Binding]:
        if not self.role_test:
            return out
        roles = self.table.roles
        assert roles is not None
        ru, rv = self.roles_u, self.roles_v
        return [
            b
            for b in out
            if not (ru and ru.isdisjoint(roles(b[0]))) and not (rv and rv.isdisjoint(roles(b[1])))
        ]

    def estimate(self) -> int:
        """How many bindings the clause has, or at most has when not listed yet."""
        full = self.table.full.get(self.key)
        if full is not None:
            return len(full)
        return self.size if self.forward_only else 2 * self.size

    def all(self) -> list[_Binding]:
        cached = self.table.full.get(self.key)
        if cached is not None:
            return cached
        test = self.test
        kept: list[Tie] = []
        for kind in self.kinds:
            ties = self.table.by_kind.get(kind, ())
            kept += ties if test is None else [t for t in ties if test(t)]
        out = [(t.source, t.target, t) for t in kept]
        if not self.forward_only:
            out += [(t.target, t.source, t) for t in kept]
        out = self.table.full[self.key] = self._role_filter(out)
        return out

    def scan(self, allowed: Mapping[str, set[str]]) -> list[_Binding]:
        """The bindings whose people are allowed, from one pass over the clause's ties
        (the ends are tested first: a set look-up is cheaper than the clause's tests)."""
        au, av = allowed.get(self.ends[0]), allowed.get(self.ends[1])
        test = self.test
        out: list[_Binding] = []
        for kind in self.kinds:
            ties = self.table.by_kind.get(kind, ())
            for forward in (True,) if self.forward_only else (True, False):
                if au is not None and av is not None:
                    got = (
                        [(t.source, t.target, t) for t in ties if t.source in au and t.target in av]
                        if forward
                        else [
                            (t.target, t.source, t)
                            for t in ties
                            if t.target in au and t.source in av
                        ]
                    )
                elif au is not None:
                    got = (
                        [(t.source, t.target, t) for t in ties if t.source in au]
                        if forward
                        else [(t.target, t.source, t) for t in ties if t.target in au]
                    )
                else:
                    assert av is not None
                    got = (
                        [(t.source, t.target, t) for t in ties if t.target in av]
                        if forward
                        else [(t.target, t.source, t) for t in ties if t.source in av]
                    )
                out += got if test is None else [b for b in got if test(b[2])]
        return self._role_filter(out)

    def bindings(self, allowed: Mapping[str, set[str]]) -> list[_Binding]:
        """The bindings whose people are allowed (a variable not in ``allowed`` is free).

        A clause that several rules share (the active coaching tie) is listed in full once
        and each rule filters that list; the clause of one rule alone is found in one pass
        over its ties that tests the allowed people first.
        """
        if not any(var in allowed for var in self.ends):
            return self.all()
        if self.shared or self.key in self.table.full:
            return _keep(self.all(), self.ends, allowed)
        return self.scan(allowed)


class _Table:
    """Ties by kind, full binding lists by signature and their indexes by end."""

    def __init__(
        self,
        by_kind: Mapping[str, Sequence[Tie]],
        kinds: Mapping[str, bool],
        roles: Callable[[str], Iterable[str]] | None,
        as_of: date,
    ) -> None:
        self.by_kind = by_kind
        self.kinds = kinds
        self.roles = roles
        self.as_of = as_of
        self.full: dict[Any, list[_Binding]] = {}
        self._people: dict[tuple[Any, int], set[str]] = {}

    def people(self, key: Any, end: int) -> set[str]:
        """The people at ``end`` of the full binding list of signature ``key``."""
        found = self._people.get((key, end))
        if found is None:
            full = self.full[key]
            found = self._people[(key, end)] = (
                {b[0] for b in full} if end == 0 else {b[1] for b in full}
            )
        return found


def _keep(
    bindings: list[_Binding], ends: tuple[str, str], allowed: Mapping[str, set[str]]
) -> list[_Binding]:
    au, av = allowed.get(ends[0]), allowed.get(ends[1])
    if au is None and av is None:
        return bindings
    if av is None:
        assert au is not None
        return [b for b in bindings if b[0] in au]
    if au is None:
        return [b for b in bindings if b[1] in av]
    return [b for b in bindings if b[0] in au and b[1] in av]


def _rule_needs(table: _Table, clauses: list[_Clause], needed: dict[str, Tie]) -> None:
    positive = sorted((c for c in clauses if c.exists), key=lambda c: c.estimate())
    allowed: dict[str, set[str]] = {}
    found: dict[int, list[_Binding]] = {}
    # forward: smallest clause first, then clauses joined to the variables bound so far
    pending = list(positive)
    while pending:
        c = next((c for c in pending if any(v in allowed for v in c.ends)), pending[0])
        pending.remove(c)
        got = c.bindings(allowed)
        found[id(c)] = got
        for end, var in enumerate(c.ends):
            here = _people_at(table, c, got, end)
            allowed[var] = here if var not in allowed else allowed[var] & here
    # back and forth until nothing changes: bindings whose people another clause rules out
    by_pair: dict[tuple[str, str], list[_Clause]] = defaultdict(list)
    for c in positive:
        by_pair[_pair_key(c.ends)].append(c)
    for _ in range(ROUNDS):
        before = sum(len(v) for v in found.values())
        for c in positive:
            found[id(c)] = _keep(found[id(c)], c.ends, allowed)
        for key, on_pair in by_pair.items():
            if len(on_pair) < 2:
                continue
            # clauses on the same two variables must bind the same two people: filter the
            # larger binding lists by the pairs of the smaller ones, then back again
            on_pair.sort(key=lambda c: len(found[id(c)]))
            pairs: set[tuple[str, str]] | None = None
            for c in (*on_pair, *on_pair[-2::-1]):
                got = found[id(c)]
                if pairs is not None:
                    got = [b for b in got if _oriented(b, key, c.ends) in pairs]
                    found[id(c)] = got
                pairs = {_oriented(b, key, c.ends) for b in got}
        allowed = {}
        for c in positive:
            for end, var in enumerate(c.ends):
                here = _people_at(table, c, found[id(c)], end)
                allowed[var] = here if var not in allowed else allowed[var] & here
        if sum(len(v) for v in found.values()) == before:
            break
    for c in positive:
        needed.update((b[2].id, b[2]) for b in found[id(c)])
    # negated clauses: only ties among the people the positive clauses bind can veto
    for c in clauses:
        if not c.exists:
            needed.update((b[2].id, b[2]) for b in c.bindings(allowed))


def _people_at(table: _Table, c: _Clause, bindings: list[_Binding], end: int) -> set[str]:
    if bindings is table.full.get(c.key):  # a full list: its people are kept
        return table.people(c.key, end)
    return {b[0] for b in bindings} if end == 0 else {b[1] for b in bindings}


def _oriented(b: _Binding, key: tuple[str, str], ends: tuple[str, str]) -> tuple[str, str]:
    return (b[0], b[1]) if key == ends else (b[1], b[0])


def _pair_key(ends: tuple[str, str]) -> tuple[str, str]:
    return ends if ends[0] <= ends[1] else (ends[1], ends[0])


def needed_ties(
    compiled: CompiledRuleset,
    by_kind: Mapping[str, Sequence[Tie]],
    as_of: date,
    roles: Callable[[str], Iterable[str]] | None = None,
) -> dict[str, Tie]:
    """The ties (by id) any rule of ``compiled`` can use on ``as_of`` (see the module doc).

    ``by_kind`` holds the registry's ties grouped by kind, and the ties derived from path
    clauses (:mod:`dualrel.rules._paths`) under their kinds.  ``roles(person_id)`` gives a
    person's roles; it is only called when a rule's pattern asks for roles (None skips
    role tests: still a safe superset).
    """
    kinds = compiled.ruleset.kinds
    if compiled.paths:  # the derived ties' kinds (by_kind holds their ties too)
        kinds = {**kinds, **{p.kind: p.directed for p in compiled.paths}}
    table = _Table(by_kind, kinds, roles, as_of)
    needed: dict[str, Tie] = {}
    rules = [
        [_Clause(table, c, r.rule.match.people) for c in r.rule.match.ties] for r in compiled.rules
    ]
    uses = Counter(c.key for clauses in rules for c in clauses)
    for clauses in rules:
        for c in clauses:
            c.shared = uses[c.key] > 1
    for clauses in rules:
        _rule_needs(table, clauses, needed)
    return needed
