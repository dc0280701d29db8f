"""Monitor: incremental results always equal a batch evaluation of the same registry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dualrel.errors import RegistryError
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import Monitor, _near, evaluate, prepare
from dualrel.rules._near import JOIN_FROM
from dualrel.testing.strategies import ties as tie_strategy

AS_OF = date(2026, 1, 1)
PEOPLE = [Person(f"p{i}", ("coach",) if i < 2 else ()) for i in range(6)]
IDS = [p.id for p in PEOPLE]


LANGUAGE = Path(__file__).parent / "data" / "language.yaml"


@pytest.fixture(
    scope="module",
    params=["coaching-core", "counselling-windows", "icf-2020", LANGUAGE],
    ids=["coaching-core", "counselling-windows", "icf-2020", "language-features"],
)
def compiled(request):
    return prepare(request.param)[0]


def batch(compiled, people, ties):
    reg = Registry(people=tuple(people), ties=tuple(ties), as_of=AS_OF)
    return evaluate(reg, compiled).findings


def state(monitor):
    """Everything a monitor holds that a change could touch: people, ties, the matches
    kept and their index by tie, and each store's contents and numbering (an index entry
    left holding no tie counts as none)."""
    stores = [
        (
            dict(s.index.ties),
            {p: list(ts) for p, ts in s.index.adjacency.items() if ts},
            {p: list(ts) for p, ts in s.index.overseers.items() if ts},
            dict(s.tie_number),
            dict(s.number),
            dict(s.roles),
        )
        for s in monitor._stores
    ]
    return (
        dict(monitor._people),
        dict(monitor._ties),
        [{k: frozenset(v) for k, v in res.items()} for res in monitor._results],
        [{k: frozenset(v) for k, v in by.items()} for by in monitor._by_tie],
        stores,
        monitor.findings(),
    )


class MonitorMachine(RuleBasedStateMachine):
    compiled = None  # set per ruleset below

    def __init__(self) -> None:
        super().__init__()
        self.people = list(PEOPLE[:4])
        self.ties: dict[str, Tie] = {}
        self.count = 0
        reg = Registry(people=tuple(self.people), ties=(), as_of=AS_OF)
        self.monitor = Monitor(self.compiled, reg)
        self.open = {f.fingerprint for f in self.monitor.findings()}

    def teardown(self) -> None:
        self.monitor.close()

    def _draw_tie(self, data):
        kinds = sorted(self.compiled.schema.kinds)
        raw = data.draw(tie_strategy([p.id for p in self.people], kinds=kinds, as_of=AS_OF))
        self.count += 1
        return Tie(
            f"t{self.count}", raw.kind, raw.source, raw.target, raw.start, raw.end, raw.attributes
        )

    @precondition(lambda self: len(self.people) >= 2)
    @rule(data=st.data())
    def add_tie(self, data):
        tie = self._draw_tie(data)
        delta = self.monitor.add_tie(tie)
        self.ties[tie.id] = tie
        self._apply(delta)

    @precondition(lambda self: len(self.people) >= 2)
    @rule(data=st.data(), add=st.booleans())
    def preview(self, data, add):
        # a preview is the delta adding the tie gives, and touches nothing
        tie = self._draw_tie(data)
        before = state(self.monitor)
        preview = self.monitor.preview(tie)
        assert state(self.monitor) == before
        if add:
            delta = self.monitor.add_tie(tie)
            assert preview == delta
            self.ties[tie.id] = tie
            self._apply(delta)

    @precondition(lambda self: self.ties)
    @rule(data=st.data())
    def refused_preview(self, data):
        # a tie the monitor refuses (here: an id it holds) is refused by preview too
        tid = data.draw(st.sampled_from(sorted(self.ties)))
        before = state(self.monitor)
        with pytest.raises(RegistryError):
            self.monitor.preview(self.ties[tid])
        assert state(self.monitor) == before

    @precondition(lambda self: self.ties)
    @rule(data=st.data())
    def remove_tie(self, data):
        tid = data.draw(st.sampled_from(sorted(self.ties)))
        delta = self.monitor.remove_tie(tid)
        del self.ties[tid]
        self._apply(delta)

    @precondition(lambda self: len(self.people) < len(PEOPLE))
    @rule()
    def add_person(self):
        person = next(p for p in PEOPLE if p not in self.people)
        delta = self.monitor.add_person(person)
        assert delta.appeared == delta.resolved == ()
        self.people.append(person)

    @precondition(lambda self: self.people)
    @rule(data=st.data())
    def remove_person(self, data):
        person = data.draw(st.sampled_from(self.people))
        delta = self.monitor.remove_person(person.id)
        self.people.remove(person)
        for tid in [t.id for t in self.ties.values() if person.id in (t.source, t.target)]:
            del self.ties[tid]
        self._apply(delta)

    def _apply(self, delta):
        appeared = {f.fingerprint for f in delta.appeared}
        resolved = {f.fingerprint for f in delta.resolved}
        assert not appeared & self.open, "a finding appeared twice"
        assert resolved <= self.open, "a finding resolved that was not open"
        self.open = (self.open - resolved) | appeared

    @invariant()
    def equals_batch(self):
        expected = batch(self.compiled, self.people, self.ties.values())
        assert self.monitor.findings() == expected
        # the deltas alone reconstruct the open findings
        assert self.open == {f.fingerprint for f in expected}


@pytest.mark.parametrize("join_from", [JOIN_FROM, 0], ids=["default", "always-join"])
def test_monitor_equals_batch_after_any_sequence(compiled, join_from, monkeypatch):
    # registries this small rarely reach JOIN_FROM: a run with 0 prunes every new tie's
    # neighbourhood on people, to show the pruning never loses a match
    monkeypatch.setattr(_near, "JOIN_FROM", join_from)
    machine = type("Machine", (MonitorMachine,), {"compiled": compiled})
    runner = machine.TestCase
    runner.settings = settings(
        max_examples=40,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    runner().runTest()


def test_monitor_reports_what_appeared_and_resolved():
    people = (Person("co"), Person("cl"), Person("sp"))
    reg = Registry(
        people=people,
        ties=(Tie("c", "coaching", "co", "cl", attributes={"agreement_signed": "2025-01-01"}),),
        as_of=AS_OF,
    )
    m = Monitor("coaching-core", reg)
    assert m.findings() == ()
    d = m.add_tie(Tie("f", "family", "co", "sp"))
    assert d.appeared == d.resolved == ()
    d = m.add_tie(Tie("b", "business", "sp", "cl"))  # two hops from the coach
    assert [(f.rule, f.evidence) for f in d.appeared] == [
        ("family-member-entangled-with-client", ("c", "f", "b"))
    ]
    d = m.remove_tie("f")
    assert [f.rule for f in d.resolved] == ["family-member-entangled-with-client"]
    assert d.appeared == ()


def test_monitor_refuses_bad_ties_with_located_problems():
    reg = Registry(people=(Person("a"), Person("b")), ties=(), as_of=AS_OF)
    m = Monitor("coaching-core", reg)
    with pytest.raises(RegistryError) as info:
        m.add_tie(Tie("x", "romace", "a", "zz"))
    codes = {(p.code, p.field) for p in info.value.problems}
    assert codes == {("unknown-kind", "kind"), ("unknown-person", "target")}
    with pytest.raises(RegistryError):
        m.add_tie(Tie("y", "romance", "a", "a"))
    with pytest.raises(RegistryError):
        m.remove_tie("nope")
    with pytest.raises(RegistryError):
        m.add_person(Person("a"))


def test_a_new_tie_reaches_only_the_ties_a_match_with_it_can_read():
    # a coach with many clients takes a business partner: the partner's ties and the
    # coach's family can complete a match, the coach's other coaching ties cannot (in
    # such a match the coach is the family member, whose own coaching is not read)
    people = (
        Person("co", ("coach",)),
        Person("bp"),
        Person("kin"),
        *(Person(f"cl{i}", ("client",)) for i in range(5)),
    )
    ties = (
        *(Tie(f"c{i}", "coaching", "co", f"cl{i}") for i in range(5)),
        Tie("f", "family", "co", "kin"),
        Tie("pc", "coaching", "kin", "bp"),
    )
    m = Monitor("coaching-core", Registry(people=people, ties=ties, as_of=AS_OF))
    store = m._stores[0]
    new = Tie("b", "business", "co", "bp")
    store.add_tie(new)
    rule = next(
        r for r in store.compiled.rules if r.rule.id == "family-member-entangled-with-client"
    )
    assert store.seed_neighbourhood(rule, new) == {"b", "f", "pc"}


def test_a_new_tie_reads_only_the_ties_whose_people_every_clause_can_reach():
    # a coach with many clients gains a relative: the coach's coaching ties matter only
    # for a client the relative has a romance or business tie with
    people = (
        Person("co", ("coach",)),
        Person("kin"),
        *(Person(f"cl{i}", ("client",)) for i in range(40)),
    )
    ties = tuple(Tie(f"c{i}", "coaching", "co", f"cl{i}") for i in range(40))
    m = Monitor("coaching-core", Registry(people=people, ties=ties, as_of=AS_OF))
    store = m._stores[0]
    rule = next(
        r for r in store.compiled.rules if r.rule.id == "family-member-entangled-with-client"
    )
    new = Tie("f", "family", "co", "kin")
    store.add_tie(new)
    assert store.seed_neighbourhood(rule, new) == set()  # kin is entangled with no client
    store.remove_tie(new)
    m.add_tie(Tie("b", "business", "kin", "cl7"))
    store.add_tie(new)
    assert store.seed_neighbourhood(rule, new) == {"f", "b", "c7"}
    store.remove_tie(new)
    [finding] = m.add_tie(new).appeared
    assert (finding.rule, set(finding.evidence)) == (rule.rule.id, {"f", "b", "c7"})
