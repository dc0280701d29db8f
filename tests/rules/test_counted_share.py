"""A ``share`` rule's denominator counted while records are indexed (``CountedShare``):
when it applies, what it counts, and that it finds what matching every record finds."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualrel.graph import Agreement, Contact, Person, Practice, Registry, Tie, load_registry
from dualrel.rules import _emit, evaluate, load_ruleset, plan
from dualrel.rules._durable import Engine
from dualrel.rules._facts import body
from dualrel.rules._tester import exact_tester
from dualrel.rules.compiler import compile_ruleset
from dualrel.testing.strategies import practice_registries

PRACTICE = load_ruleset("coaching-practice")
AS_OF = date(2026, 11, 26)

#: late-responses as shipped, but for what ``_share_rule`` is given
SHARE_RULE = """\
id: shares
version: "1"
title: t
rules:
  - id: late
    title: t
    category: c
    severity: low
    level: 1
    remediation: [{{action: a, within_days: 1, owner: coach}}]
    match:
      people: {{coach: {{}}, client: {{}}}}
      ties:
        - {{as: coaching, kind: coaching, from: coach, to: client, active: true}}
      records:
        - {{as: agreement, section: agreements, tie: coaching}}
{records}        - {{as: contact, section: contacts, people: {{coach: coach, client: client}}}}
{changes}
      share:
        of: contact
        where: [{share_where}]
        more_than: {more_than}
"""

WINDOW = "      where: [contact.at > as_of - 30, contact.at < as_of + 1]"


def _share_rule(
    tmp_path: Path,
    changes: str,
    *,
    records: str = "",
    share_where: str = "contact.response_hours > agreement.response_window_hours",
    more_than: float = 0.5,
) -> plan.CompiledRuleset:
    """``SHARE_RULE`` compiled: ``changes`` are YAML lines of ``match`` after its records,
    ``records`` YAML lines of record clauses before the contact's."""
    path = tmp_path / "shares.yaml"
    path.write_text(
        SHARE_RULE.format(
            changes=changes, records=records, share_where=share_where, more_than=more_than
        )
    )
    return compile_ruleset(load_ruleset(path))


def _compiled(tmp_path: Path, changes: str) -> plan.CompiledRule:
    (rule,) = _share_rule(tmp_path, changes).rules
    return rule


def _uncounted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_emit, "_counted_share", lambda *args: None)


def test_late_responses_counts_its_denominator_and_matches_its_numerator_only():
    (rule,) = [r for r in compile_ruleset(PRACTICE).rules if r.rule.id == "late-responses"]
    share = rule.counted_share
    assert share is not None
    assert share.section == "contacts"
    assert share.people == (("client", "client"), ("coach", "coach"))
    assert {"v_initiated_by": "client"} in share.tests
    assert {"$gt": {"t_at": -30}} in share.tests
    assert [v.numerator for v in rule.variants] == [True]


def test_without_counting_the_denominator_is_matched(monkeypatch):
    _uncounted(monkeypatch)
    (rule,) = [r for r in compile_ruleset(PRACTICE).rules if r.rule.id == "late-responses"]
    assert rule.counted_share is None
    assert [v.numerator for v in rule.variants] == [False, True]


@pytest.mark.parametrize(
    ("changes", "counted"),
    [
        pytest.param(WINDOW, True, id="window-and-people-only"),
        pytest.param("", True, id="no-where"),
        # a join between the counted record and another clause
        pytest.param(
            "      where: [contact.response_hours > agreement.response_window_hours - 100]",
            False,
            id="joined-to-another-clause",
        ),
        # the group is the coach: a contact counts only with an agreement for its client
        pytest.param(WINDOW + "\n      per: [coach]", False, id="per-lacks-a-named-person"),
        pytest.param(
            "      where:\n        - any: [contact.at > as_of - 30, contact.at < as_of - 60]",
            False,
            id="alternatives",
        ),
    ],
)
def test_when_a_denominator_is_counted(tmp_path, changes, counted):
    rule = _compiled(tmp_path, changes)
    assert (rule.counted_share is not None) is counted
    assert any(not v.numerator for v in rule.variants) is not counted


#: two positive clauses on contacts: one fact never fills both in one match
SAME_SECTION = """\
        - {as: phone, section: contacts, people: {coach: coach, client: client},
           fields: {channel: {equals: phone}}}
"""
#: a negated clause on contacts: a fact of the match does not veto it
SAME_SECTION_NEGATED = """\
        - {section: contacts, people: {coach: coach, client: client},
           fields: {channel: {equals: phone}}, exists: false}
"""


@pytest.mark.parametrize("other", [SAME_SECTION, SAME_SECTION_NEGATED])
def test_another_clause_on_the_counted_section_keeps_the_denominator_matched(tmp_path, other):
    # found in review: with x1 the only phone contact, the matched denominator is
    # {x2, x3} with a phone clause (x1 is taken by it) and {x1} with a negated one (x2
    # and x3 are vetoed by x1); counting every contact of the pair gives 3 and no finding
    compiled = _share_rule(
        tmp_path,
        "      where: [contact.at > as_of - 30]\n      per: [coach, client]",
        records=other,
        share_where="contact.at > as_of - 10",
        more_than=0.4,
    )
    assert compiled.rules[0].counted_share is None
    midnight = datetime(2026, 11, 26, tzinfo=UTC)
    days = [(-5, "phone"), (-5 if other is SAME_SECTION else -20, "email"), (-20, "email")]
    reg = Registry(
        people=(Person("co1", ("coach",)), Person("cl1", ("client",))),
        ties=(Tie("c1", "coaching", "co1", "cl1"),),
        as_of=AS_OF,
        practice=Practice(
            agreements=(Agreement("a1", "c1"),),
            contacts=tuple(
                Contact(f"x{i}", "co1", "cl1", ch, midnight + timedelta(days=d), "client")
                for i, (d, ch) in enumerate(days, 1)
            ),
        ),
    )
    (finding,) = evaluate(reg, compiled).findings
    assert finding.records == (
        ("agreements/a1", "contacts/x1", "contacts/x2")
        if other is SAME_SECTION
        else ("agreements/a1", "contacts/x1")
    )


def test_a_repeated_record_id_counts_once_as_in_a_match(monkeypatch):
    # loaders refuse a repeated id; a registry built in code may hold one: a match reads
    # distinct records, and so does the count (found in review)
    reg = _contacts_registry([30, 30, 1, 1, 1], ["client"] * 5)
    contacts = reg.practice.contacts
    twice = dataclasses.replace(contacts[1], id=contacts[0].id)
    reg = dataclasses.replace(
        reg,
        practice=dataclasses.replace(reg.practice, contacts=(contacts[0], twice, *contacts[2:])),
    )
    counted = evaluate(reg, PRACTICE).findings
    _uncounted(monkeypatch)
    assert counted == evaluate(reg, PRACTICE).findings
    assert [f.rule for f in counted].count("late-responses") == 1


def test_a_contact_a_few_milliseconds_before_midnight_reaches_the_engine(monkeypatch):
    # -1e-7 days: pydantic-core writes it with an exponent the engine cannot read (error
    # 204, found in review); facts write it as -0.0000001
    midnight = datetime(2026, 11, 26, tzinfo=UTC)
    at = midnight - timedelta(microseconds=8640)
    reg = _contacts_registry([30, 30], ["client"] * 2)
    tiny = Contact("x9", "co1", "cl1", "email", at, "client", at + timedelta(hours=1))
    reg = dataclasses.replace(
        reg,
        practice=dataclasses.replace(reg.practice, contacts=(*reg.practice.contacts, tiny)),
    )
    counted = evaluate(reg, PRACTICE).findings
    _uncounted(monkeypatch)
    matched = evaluate(reg, PRACTICE).findings
    assert counted == matched
    (late,) = [f for f in matched if f.rule == "late-responses"]
    assert late.records == ("agreements/a1", "contacts/x0", "contacts/x1")


def _contacts_registry(hours: list[float | None], initiators: list[str]) -> Registry:
    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    contacts = tuple(
        Contact(
            f"x{i}",
            "co1",
            "cl1",
            "email",
            at - timedelta(days=i),
            by,
            None if h is None else at - timedelta(days=i) + timedelta(hours=h),
        )
        for i, (h, by) in enumerate(zip(hours, initiators, strict=True))
    )
    return Registry(
        people=(Person("co1", ("coach",)), Person("cl1", ("client",))),
        ties=(Tie("c1", "coaching", "co1", "cl1"),),
        as_of=AS_OF,
        practice=Practice(
            agreements=(Agreement("a1", "c1", response_window_hours=24),),
            contacts=contacts,
        ),
    )


@pytest.mark.parametrize(
    ("hours", "initiators", "fires"),
    [
        # 2 of 4 client contacts late: 2 is more than 0.2 * 4
        ([30, 30, 1, 1], ["client"] * 4, True),
        # 1 of 5 late: 0.2 is not more than 0.2
        ([30, 1, 1, 1, 1], ["client"] * 5, False),
        # the coach's own contacts are not counted: 1 of 4 client contacts late
        ([30, 1, 1, 1, 30, 30], ["client"] * 4 + ["coach"] * 2, True),
        # 1 of 5 client contacts late once the coach's are left out
        ([30, 1, 1, 1, 1, 1], ["client"] * 5 + ["coach"], False),
        # a contact 40 days old is outside the window: 1 of 4 counted
        ([30, 1, 1, 1] + [1] * 30 + [1], ["client"] * 35, False),
    ],
)
def test_the_counted_denominator_is_the_clients_contacts_in_the_window(
    monkeypatch, hours, initiators, fires
):
    reg = _contacts_registry(hours, initiators)
    counted = [f for f in evaluate(reg, PRACTICE).findings if f.rule == "late-responses"]
    _uncounted(monkeypatch)
    matched = [f for f in evaluate(reg, PRACTICE).findings if f.rule == "late-responses"]
    assert counted == matched
    assert bool(counted) is fires


@st.composite
def contact_registries(draw: st.DrawFn) -> Registry:
    """Two coaches and three clients, coaching ties (some ended, some doubled), agreements
    for some of them, and many contacts near the window's edges and the share's threshold."""
    coaches, clients = ["co1", "co2"], ["cl1", "cl2", "cl3"]
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(coaches), st.sampled_from(clients), st.booleans()),
            min_size=1,
            max_size=5,
        )
    )
    ties = tuple(
        Tie(f"t{i}", "coaching", co, cl, end=date(2026, 1, 1) if ended else None)
        for i, (co, cl, ended) in enumerate(pairs)
    )
    agreements = tuple(
        Agreement(f"a{i}", t.id, response_window_hours=draw(st.sampled_from([24, 4, None])))
        for i, t in enumerate(ties)
        if draw(st.sampled_from([True, True, False]))
    )
    midnight = datetime(2026, 11, 26, tzinfo=UTC)
    contacts = []
    for i in range(draw(st.integers(3, 14))):
        at = midnight + timedelta(hours=draw(st.integers(-31 * 24, 30)))
        hours = draw(st.sampled_from([30, 1, 10, None]))
        # mostly between the people of a tie, sometimes naming someone unknown
        coach, client, _ = draw(st.sampled_from([*pairs, ("nobody", "cl1", False)]))
        contacts.append(
            Contact(
                f"x{i}",
                coach,
                client,
                "email",
                at,
                draw(st.sampled_from(["client", "coach"])),
                None if hours is None else at + timedelta(hours=hours),
            )
        )
    people = tuple(Person(p, ("coach",)) for p in coaches) + tuple(
        Person(p, ("client",)) for p in clients
    )
    return Registry(
        people=people,
        ties=ties,
        as_of=AS_OF,
        practice=Practice(agreements=agreements, contacts=tuple(contacts)),
    )


def _counted_equals_matched(reg: Registry) -> None:
    counted = evaluate(reg, PRACTICE).findings
    with pytest.MonkeyPatch.context() as mp:
        _uncounted(mp)
        matched = evaluate(reg, PRACTICE).findings
    assert counted == matched


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=contact_registries())
def test_counting_finds_what_matching_every_contact_finds(reg):
    _counted_equals_matched(reg)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=practice_registries(max_people=8))
def test_counting_finds_what_matching_every_record_finds(reg):
    _counted_equals_matched(reg)


# -- exact_tester agrees with the engine ------------------------------------------------------

_FIELDS = {
    "t_at": st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False)),
    "v_by": st.sampled_from(["client", "coach", "~missing~x"]),
    "e_at": st.just(1),
}

# durable-rules refuses a ruleset whose number has an exponent (error 204, "5e-324" or
# "1e-05" as JSON writes them); that defect is the hostile-input issue's (D6), not the
# tester's, so the rule's operands are numbers JSON writes without one
_OPERANDS = st.one_of(
    st.integers(-5, 5),
    st.floats(-5, 5, allow_nan=False).filter(lambda x: "e" not in repr(x)),
)

_TESTS = st.one_of(
    st.builds(
        lambda op, n: {op: {"t_at": n}},
        st.sampled_from(["$lt", "$lte", "$gt", "$gte"]),
        _OPERANDS,
    ),
    st.builds(lambda v: {"v_by": v}, st.sampled_from(["client", "coach"])),
    st.builds(lambda op: {op: {"e_at": 1}}, st.sampled_from(["$ex", "$nex"])),
    st.just({"e_at": 1}),
)


@settings(max_examples=150, deadline=None)
@given(
    tests=st.lists(_TESTS, min_size=1, max_size=4),
    facts=st.lists(st.fixed_dictionaries({}, optional=_FIELDS), min_size=1, max_size=6),
)
def test_exact_tester_agrees_with_the_engine(tests, facts):
    check = exact_tester(tests)
    assert check is not None
    engine = Engine({"r": {"all": [{"a": {"$and": [{"k": "@x"}, *tests]}}]}})
    try:
        # written as the store writes record facts (an exponent would not be read)
        bodies = [body({"k": "@x", "n": i, **f}) for i, f in enumerate(facts)]
        fired = {m["a"]["n"] for _, m in engine.run(bodies)}
    finally:
        engine.close()
    assert fired == {i for i, f in enumerate(facts) if check({"k": "@x", **f})}


@pytest.mark.parametrize(
    "tests",
    [
        [{"$gt": {"v_by": 1}}],  # the engine compares texts with numbers its own way
        [{"$neq": {"t_at": 1}}],
        [{"e_at": True}],
        [{"t_at": 1.5}],
        [{"t_at": 1}],  # the engine takes 1 == 1.0 == "1" == true
        [{"e_at": "1"}],
        [{"x": "client"}],
        [{"$gt": {"t_at": {"a": "t_at"}}}],
    ],
)
def test_exact_tester_refuses_what_it_cannot_promise(tests):
    assert exact_tester(tests) is None


def test_the_shipped_example_reports_the_same_with_and_without_counting(monkeypatch):
    reg = load_registry(Path(__file__).resolve().parents[2] / "examples" / "practice.json")
    counted = evaluate(reg, PRACTICE).findings
    _uncounted(monkeypatch)
    matched = evaluate(reg, PRACTICE).findings
    assert counted == matched
    assert any(f.rule == "late-responses" for f in counted)
