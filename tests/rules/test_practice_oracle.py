"""Practice records in patterns (issue 7): the oracle on the bundled example, the engine
against the oracle on registries with practice sections, and the oracle's subtle points.

The oracle (``tests/oracle.py``) is written from ``docs/rulesets.md`` ("Practice records in
patterns") and shares no code with the compiler or the engine.
"""

from __future__ import annotations

import functools
import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, note, seed, settings
from hypothesis import strategies as st

from dualrel.graph import (
    Agreement,
    ClientRecord,
    Concern,
    Contact,
    Person,
    Practice,
    Registry,
    Tie,
    load_registry,
    registry_document,
    registry_from_data,
)
from dualrel.rules import evaluate, load_ruleset, prepare
from dualrel.testing.strategies import practice_registries, registry_json
from tests.oracle import Reader, oracle, oracle_findings, outside

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "practice.json"
PRACTICE = load_ruleset("coaching-practice")
CORE_IDS = frozenset(r.id for r in load_ruleset("coaching-core").rules)
PRACTICE_RULES = [r.id for r in PRACTICE.rules if r.id not in CORE_IDS]


def cc(coach: str, client: str) -> tuple[tuple[str, str], ...]:
    return (("client", client), ("coach", coach))


# -- the bundled example (examples/README.md, "Practice records") ------------------------------

#: Written by hand from the README's table of situations planted for practice rules.
PLANTED = {
    # (none) for t084; ag-t066 never signed; ag-t049 covers neither topic
    ("agreement-missing-or-incomplete", cc("co003", "cl0018"), ("t084",), ()),
    ("agreement-missing-or-incomplete", cc("co003", "cl0038"), ("t066",), ()),
    ("agreement-missing-or-incomplete", cc("co001", "cl0028"), ("t049",), ()),
    # ag-t024 last reviewed 2025-06-10; ag-t054 never reviewed, signed 2024-01-01
    ("agreement-review-overdue", cc("co001", "cl0008"), ("t024",), ("agreements/ag-t024",)),
    ("agreement-review-overdue", cc("co004", "cl0031"), ("t054",), ("agreements/ag-t054",)),
    # ag-t036 + t083: co004 also mentors cl0021, the agreement declares only coach
    ("role-undeclared-mentor", cc("co004", "cl0021"), ("t036", "t083"), ("agreements/ag-t036",)),
    # as-02: no consent, and assessor is not a declared role
    ("assessment-without-consent", cc("co001", "cl0003"), (), ("assessments/as-02",)),
    (
        "role-undeclared-assessor",
        cc("co001", "cl0003"),
        ("t015",),
        ("agreements/ag-t015", "assessments/as-02"),
    ),
    # as-03 + cs-03: assessed after the consent was withdrawn
    ("assessment-without-consent", cc("co004", "cl0023"), (), ("assessments/as-03",)),
    # ds-02 + cs-05; ds-03 without any consent
    ("disclosure-without-consent", cc("co002", "cl0005"), ("t018",), ("disclosures/ds-02",)),
    ("disclosure-without-consent", cc("co002", "cl0013"), ("t026",), ("disclosures/ds-03",)),
    # ss-11, ss-12: co004's last session 2026-08-20; evidence: all co004's active coaching
    (
        "supervision-overdue",
        (("coach", "co004"),),
        ("t035", "t036", "t040", "t047", "t054", "t061", "t068"),
        (),
    ),
    # ct-006 .. ct-009 + ag-t033: four sms contacts, sms not agreed
    (
        "contact-outside-agreement",
        cc("co003", "cl0017"),
        ("t033",),
        (
            "agreements/ag-t033",
            "contacts/ct-006",
            "contacts/ct-007",
            "contacts/ct-008",
            "contacts/ct-009",
        ),
    ),
    # ct-010 .. ct-014 + ag-t020: 2 of 5 answered late (ct-011 30 hours, ct-013 52 hours)
    (
        "late-responses",
        cc("co001", "cl0006"),
        ("t020",),
        ("agreements/ag-t020", "contacts/ct-011", "contacts/ct-013"),
    ),
    # cn-01: about tie t078 (friendship co003 -> cl0016), still open
    (
        "concern-about-tie-open-past-review",
        (("source", "co003"), ("target", "cl0016")),
        (),
        ("concerns/cn-01",),
    ),
    # rc-01: kept past retain_until 2026-01-31
    ("record-kept-past-retention", (("client", "cl0009"),), (), ("records/rc-01",)),
}

#: The README's decoys: (rule, a record or tie any finding of the rule must not hold).
DECOYS = [
    ("assessment-without-consent", "assessments/as-01"),
    ("assessment-without-consent", "assessments/as-04"),
    ("disclosure-without-consent", "disclosures/ds-01"),
    ("role-undeclared-assessor", "agreements/ag-t011"),
    ("role-undeclared-assessor", "agreements/ag-t040"),
    ("role-undeclared-assessor", "agreements/ag-t054"),
    ("role-undeclared-assessor", "assessments/as-01"),
    ("contact-outside-agreement", "contacts/ct-015"),
    ("contact-outside-agreement", "contacts/ct-016"),
    ("contact-outside-agreement", "contacts/ct-017"),
    ("contact-outside-agreement", "contacts/ct-018"),
    ("late-responses", "contacts/ct-017"),
    ("late-responses", "contacts/ct-018"),
    ("concern-open-past-review", "concerns/cn-02"),
    ("concern-open-past-review", "concerns/cn-04"),
    ("concern-about-tie-open-past-review", "concerns/cn-03"),
    *(("record-kept-past-retention", f"records/rc-0{i}") for i in range(2, 7)),
]


@pytest.fixture(scope="module")
def example_findings() -> set[tuple]:
    reg = load_registry(EXAMPLE)
    assert reg.as_of == date(2026, 11, 26)
    return {f for f in oracle_findings(PRACTICE, reg, reg.as_of) if f[0] not in CORE_IDS}


def test_the_oracle_finds_every_planted_practice_situation(example_findings):
    assert PLANTED - example_findings == set()


def test_the_oracle_finds_none_of_the_decoys(example_findings):
    hit = [
        (rule, ref)
        for rule, ref in DECOYS
        for f in example_findings
        if f[0] == rule and (ref in f[3] or ref in f[2])
    ]
    assert hit == []


def test_the_oracle_finds_exactly_the_planted_practice_situations(example_findings):
    # as-03 and as-04 are by co004, whose agreements ag-t040 and ag-t054 declare assessor
    assert example_findings - PLANTED == set()


# -- the engine against the oracle -----------------------------------------------------------


@functools.cache
def compiled():
    # compiled when first needed, not at import: the oracle's own tests run even when the
    # compiler refuses the ruleset (and not a fixture: hypothesis would print all of it)
    return prepare(PRACTICE)[0]


def engine_findings(reg: Registry, rules: set[str] | None = None) -> set[tuple]:
    return {
        (f.rule, tuple(sorted(f.subjects.items())), f.evidence, f.records)
        for f in evaluate(reg, compiled()).findings
        if rules is None or f.rule in rules
    }


def oracle_of(reg: Registry, rules: set[str] | None = None) -> set[tuple]:
    return oracle_findings(PRACTICE, reg, reg.as_of, rules)


def kinds_for(rule_id: str) -> tuple[str, ...]:
    """The rule's own tie kinds, coaching and friendship (concerns about ties)."""
    rule = PRACTICE.rule(rule_id)
    return tuple(sorted({k for c in rule.match.ties for k in c.kinds} | {"coaching", "friendship"}))


@pytest.mark.parametrize("rule_id", PRACTICE_RULES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_engine_equals_oracle_on_each_practice_rule(rule_id, data):
    reg = data.draw(practice_registries(kinds=kinds_for(rule_id)))
    note(registry_json(reg))
    assert engine_findings(reg, {rule_id}) == oracle_of(reg, {rule_id})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=practice_registries(max_people=6))
def test_engine_equals_oracle_on_the_whole_ruleset(reg):
    note(registry_json(reg))
    assert engine_findings(reg) == oracle_of(reg)


def test_the_engine_finds_what_the_oracle_finds_on_the_example():
    reg = load_registry(EXAMPLE)
    assert engine_findings(reg) == oracle_of(reg)


def _concerns(ties: list[tuple[str, str, str]], concerns: list[tuple[str, str, str]]) -> dict:
    return {
        "format": "dualrel.registry/1",
        "as_of": "2026-01-01",
        "people": [{"id": "p0"}, {"id": "p1"}],
        "ties": [{"id": i, "kind": "coaching", "source": s, "target": t} for i, s, t in ties],
        "concerns": [
            {"id": i, "about": about, "raised": "2025-12-01", "status": status}
            for i, about, status in concerns
        ],
    }


@pytest.mark.parametrize(
    "doc",
    [
        # found by the differential test: a concern about a tie read as one about a person
        # (the last person of the session), and one about a person as one about a tie
        # (source and target both that person)
        _concerns([("t1", "p0", "p1")], [("cn1", "t1", "open"), ("cn2", "p1", "open")]),
        _concerns([("t2", "p1", "p0")], [("cn1", "t2", "open"), ("cn3", "p1", "open")]),
    ],
)
def test_engine_equals_oracle_on_concerns_about_people_and_ties(doc):
    reg = registry_from_data(doc)
    rules = {"concern-open-past-review", "concern-about-tie-open-past-review"}
    assert engine_findings(reg, rules) == oracle_of(reg, rules)


# -- the strategy ------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(reg=practice_registries())
def test_practice_registries_validate(reg):
    back = registry_from_data(registry_document(reg))
    assert back.practice == reg.practice
    assert back.ties == reg.ties


@pytest.mark.parametrize("rule_id", PRACTICE_RULES)
def test_practice_registries_reach_every_practice_rule(rule_id):
    # the strategy is only as good as the rules it brings to fire (and close to it).  One
    # run's examples are mutated from one another, so a share measured in one run swings
    # with anything that moves its random stream (Hypothesis also draws literals found in
    # our own source): four independent seeded runs keep it stable and repeatable
    fired = []
    for run in range(4):

        @seed(run)
        @settings(
            max_examples=60,
            database=None,
            phases=[Phase.generate],
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(reg=practice_registries(kinds=kinds_for(rule_id)))
        def draw(reg):
            fired.append(bool(oracle_of(reg, {rule_id})))

        draw()
    assert 0.05 <= sum(fired) / len(fired) <= 0.95


# -- the oracle's subtle points --------------------------------------------------------------

AS_OF = date(2026, 11, 26)  # a Thursday
MIDNIGHT = datetime(2026, 11, 26, tzinfo=UTC)
COACHING = Tie("t1", "coaching", "co", "cl", start=date(2025, 1, 1))
PEOPLE = (Person("co", ("coach",)), Person("cl", ("client",)))


def registry(ties=(COACHING,), **sections) -> Registry:
    return Registry(
        people=PEOPLE,
        ties=tuple(ties),
        as_of=AS_OF,
        practice=Practice(**{k: tuple(v) for k, v in sections.items()}),
    )


def found(rule_id: str, reg: Registry, ruleset=PRACTICE) -> set[tuple]:
    return {f[1:] for f in oracle(ruleset, reg, reg.as_of, records=True) if f[0] == rule_id}


def agreement(**fields) -> Agreement:
    base = {
        "signed": date(2025, 1, 1),
        "reviewed": AS_OF,
        "roles": ("coach",),
        "covers": ("confidentiality", "escalation"),
        "channels": ("email",),
        "response_window_hours": 24,
        "hours": "08:00-19:00",
        "days": ("mon", "tue", "wed", "thu", "fri"),
    }
    return Agreement("ag1", "t1", **{**base, **fields})


@pytest.mark.parametrize(
    ("signed", "reviewed", "overdue"),
    [
        (AS_OF - timedelta(days=91), None, True),  # never reviewed: counts from signed
        (AS_OF - timedelta(days=90), None, False),  # exactly 90 days: not yet overdue
        (AS_OF - timedelta(days=400), AS_OF - timedelta(days=10), False),
        (AS_OF - timedelta(days=400), AS_OF - timedelta(days=91), True),
        (None, None, False),  # never signed nor reviewed: "not yet", never overdue
        (None, AS_OF - timedelta(days=91), True),
    ],
)
def test_a_missing_reviewed_reads_as_signed(signed, reviewed, overdue):
    reg = registry(agreements=[agreement(signed=signed, reviewed=reviewed)])
    expected = {(cc("co", "cl"), ("t1",), ("agreements/ag1",))} if overdue else set()
    assert found("agreement-review-overdue", reg) == expected


def test_fields_tests_read_the_raw_field_not_the_fallback(tmp_path):
    # present/absent test the field as written: reviewed is absent even though it reads
    # as signed in conditions
    rs = ruleset_with(
        tmp_path,
        """\
        people: {coach: {}, client: {}}
        ties: [{as: c, kind: coaching, from: coach, to: client}]
        records: [{as: a, section: agreements, tie: c, fields: {reviewed: {absent: true}}}]
    """,
    )
    reg = registry(agreements=[agreement(reviewed=None)])
    assert found("r", reg, rs) == {(cc("co", "cl"), ("t1",), ("agreements/ag1",))}


def contact(cid: str, at: datetime, responded: datetime | None = None, **kw) -> Contact:
    return Contact(
        cid, "co", "cl", kw.pop("channel", "email"), at, kw.pop("initiated_by", "client"), responded
    )


def test_response_hours_of_an_unanswered_contact_run_to_the_end_of_the_evaluation_date():
    reader = Reader(registry(), AS_OF)
    at = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    assert reader.response_hours(contact("k", at)) == 25
    assert reader.response_hours(contact("k", at, at + timedelta(hours=3))) == 3
    # written in another offset: the same instant, the same hours
    local = at.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert reader.response_hours(contact("k", local)) == 25


@pytest.mark.parametrize(
    ("at", "responded", "late"),
    [
        (MIDNIGHT - timedelta(hours=1), None, True),  # unanswered for 25 hours
        (MIDNIGHT + timedelta(minutes=30), None, False),  # unanswered, 23.5 hours so far
        (MIDNIGHT - timedelta(hours=30), MIDNIGHT - timedelta(hours=6), False),  # exactly 24
        (
            MIDNIGHT - timedelta(hours=30),
            MIDNIGHT - timedelta(hours=6) + timedelta(seconds=1),
            True,
        ),
    ],
)
def test_an_unanswered_contact_is_late_once_its_window_has_passed(at, responded, late):
    reg = registry(
        agreements=[agreement(response_window_hours=24)], contacts=[contact("k1", at, responded)]
    )
    expected = {(cc("co", "cl"), ("t1",), ("agreements/ag1", "contacts/k1"))} if late else set()
    assert found("late-responses", reg) == expected


def zone(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


@pytest.mark.parametrize(
    ("at", "hours", "days", "is_outside"),
    [
        # 22:00-06:00 wraps past midnight; the end is excluded; seconds do not count
        (datetime(2026, 11, 24, 23, 30, tzinfo=zone(1)), "22:00-06:00", (), False),
        (datetime(2026, 11, 24, 2, 0, tzinfo=zone(1)), "22:00-06:00", (), False),
        (datetime(2026, 11, 24, 6, 0, tzinfo=zone(1)), "22:00-06:00", (), True),
        (datetime(2026, 11, 24, 5, 59, 59, tzinfo=zone(1)), "22:00-06:00", (), False),
        (datetime(2026, 11, 24, 21, 59, tzinfo=zone(1)), "22:00-06:00", (), True),
        (datetime(2026, 11, 24, 12, 0, tzinfo=zone(1)), "22:00-06:00", (), True),
        # the days are those of the local time: Tuesday 01:00 is not a Monday night
        (datetime(2026, 11, 24, 1, 0, tzinfo=zone(1)), "22:00-06:00", ("mon",), True),
        (datetime(2026, 11, 23, 23, 0, tzinfo=zone(1)), "22:00-06:00", ("mon",), False),
        # the same instant, 08:30 UTC on a Tuesday, written in three offsets
        (datetime(2026, 11, 24, 8, 30, tzinfo=UTC), "08:00-19:00", ("tue",), False),
        (datetime(2026, 11, 24, 3, 30, tzinfo=zone(-5)), "08:00-19:00", ("tue",), True),
        (datetime(2026, 11, 24, 22, 30, tzinfo=zone(14)), "08:00-19:00", ("tue",), True),
        # no hours: any time on the agreed days; no days: every day
        (datetime(2026, 11, 28, 3, 0, tzinfo=UTC), None, ("sat",), False),
        (datetime(2026, 11, 28, 3, 0, tzinfo=UTC), None, ("fri",), True),
        (datetime(2026, 11, 28, 3, 0, tzinfo=UTC), None, (), False),
    ],
)
def test_outside_the_agreed_hours_in_the_contacts_own_local_time(at, hours, days, is_outside):
    ag = agreement(hours=hours, days=days)
    assert outside(at, ag) is is_outside
    assert outside(at, ag) is not ag.allows_time(at)


def test_outside_counts_contacts_in_the_window_in_their_local_time():
    # three contacts on an agreed channel: two late at night in India, one in office hours
    # of New York that is past midnight in UTC; the window is the 30 days up to as_of
    india, new_york = zone(5.5), zone(-5)
    contacts = [
        contact("k1", datetime(2026, 11, 24, 23, 0, tzinfo=india)),
        contact("k2", datetime(2026, 11, 25, 22, 0, tzinfo=india)),
        contact("k3", datetime(2026, 11, 24, 21, 0, tzinfo=new_york)),  # 02:00 UTC
        contact("k4", datetime(2026, 11, 25, 10, 0, tzinfo=new_york)),
    ]
    reg = registry(agreements=[agreement(hours="08:00-22:00")], contacts=contacts)
    assert found("contact-outside-agreement", reg) == set()  # k1, k2: two only
    contacts[3] = contact("k4", datetime(2026, 11, 25, 22, 0, tzinfo=new_york))
    reg = registry(agreements=[agreement(hours="08:00-22:00")], contacts=contacts)
    assert found("contact-outside-agreement", reg) == {
        (cc("co", "cl"), ("t1",), ("agreements/ag1", "contacts/k1", "contacts/k2", "contacts/k4"))
    }


@pytest.mark.parametrize(
    ("at", "counted"),
    [
        (MIDNIGHT - timedelta(days=30), False),  # as_of - 30 exactly: not after it
        (MIDNIGHT - timedelta(days=30) + timedelta(seconds=1), True),
        (datetime(2026, 10, 27, 1, 0, tzinfo=zone(1)), False),  # midnight UTC, in +01:00
        (datetime(2026, 10, 26, 23, 30, tzinfo=zone(-1)), True),  # 00:30 UTC
        (MIDNIGHT + timedelta(days=1) - timedelta(seconds=1), True),  # end of as_of
        (MIDNIGHT + timedelta(days=1), False),  # as_of + 1: outside the window
    ],
)
def test_instants_count_in_days_from_midnight_utc_of_the_evaluation_date(at, counted):
    contacts = [contact(f"k{i}", at, channel="sms") for i in range(3)]
    reg = registry(agreements=[agreement()], contacts=contacts)
    assert bool(found("contact-outside-agreement", reg)) is counted


@pytest.mark.parametrize(
    ("late", "total", "share", "fires"),
    [
        (1, 5, 0.2, False),  # exactly the share: not more than it
        (2, 5, 0.2, True),
        (1, 4, 0.2, True),
        (0, 3, 0.2, False),
        (1, 1, 0.0, True),  # any late one is more than 0
        (0, 1, 0.0, False),
        (57, 100, 0.57, False),  # the share as written: 0.57 * 100 is 57, not 56.99...
    ],
)
def test_share_is_strictly_more_than(late, total, share, fires):
    rs = load_ruleset("coaching-practice", parameters={"late_response_share": share})
    start = MIDNIGHT - timedelta(days=20)
    contacts = [
        contact(
            f"k{i:03}",
            start + timedelta(minutes=i),
            start + timedelta(minutes=i, hours=30 if i < late else 1),
        )
        for i in range(total)
    ]
    reg = registry(agreements=[agreement(response_window_hours=24)], contacts=contacts)
    got = found("late-responses", reg, rs)
    if not fires:
        assert got == set()
    else:
        # the evidence is the late contacts only
        late_ids = tuple(f"contacts/k{i:03}" for i in range(late))
        assert got == {(cc("co", "cl"), ("t1",), ("agreements/ag1", *late_ids))}


def test_a_concern_names_a_person_or_the_two_ends_of_a_tie():
    friendship = Tie("t2", "friendship", "cl", "co", start=date(2024, 1, 1))
    old = AS_OF - timedelta(days=20)
    reg = registry(
        ties=(COACHING, friendship),
        concerns=[
            Concern("n1", "t2", old, "open"),
            Concern("n2", "co", old, "in_review"),
            Concern("n3", "cl", old, "resolved", resolved=AS_OF),
        ],
    )
    # as written, not re-oriented: the friendship's source is cl
    assert found("concern-about-tie-open-past-review", reg) == {
        ((("source", "cl"), ("target", "co")), (), ("concerns/n1",))
    }
    assert found("concern-open-past-review", reg) == {((("subject", "co"),), (), ("concerns/n2",))}


def test_a_concern_matches_a_tie_clause_through_about(tmp_path):
    rs = ruleset_with(
        tmp_path,
        """\
        people: {a: {}, b: {}}
        ties: [{as: f, kind: friendship, between: [a, b]}]
        records: [{as: n, section: concerns, tie: f}]
    """,
    )
    friendship = Tie("t2", "friendship", "cl", "co")
    reg = registry(
        ties=(COACHING, friendship),
        concerns=[
            Concern("n1", "t2", AS_OF, "open"),
            Concern("n2", "t1", AS_OF, "open"),
            Concern("n3", "co", AS_OF, "open"),
        ],
    )
    # the pattern is symmetric in a and b: one finding, a the smaller person id (issue 15)
    assert found("r", reg, rs) == {
        ((("a", "cl"), ("b", "co")), ("t2",), ("concerns/n1",)),
    }


def test_variables_a_record_introduces_are_distinct_people_with_their_roles(tmp_path):
    rs = ruleset_with(
        tmp_path,
        """\
        people: {coach: {roles: [coach]}, client: {}, other: {roles: [client]}}
        ties: [{as: c, kind: coaching, from: coach, to: client}]
        records: [{as: k, section: contacts, people: {client: client, coach: other}}]
    """,
    )
    people = (*PEOPLE, Person("x", ("client",)), Person("y", ("staff",)))
    reg = Registry(
        people=people,
        ties=(COACHING,),
        as_of=AS_OF,
        practice=Practice(
            contacts=(
                Contact("k1", "x", "cl", "email", MIDNIGHT, "client"),  # x: a client, fits
                Contact("k2", "y", "cl", "email", MIDNIGHT, "client"),  # y: not a client
                Contact("k3", "co", "cl", "email", MIDNIGHT, "client"),  # co is already the coach
            )
        ),
    )
    assert found("r", reg, rs) == {
        ((("client", "cl"), ("coach", "co"), ("other", "x")), ("t1",), ("contacts/k1",))
    }


def test_records_only_rules_and_missing_dates_read_as_not_yet():
    reg = registry(
        records=[
            ClientRecord(
                "r1",
                "cl",
                "session_notes",
                date(2020, 1, 1),
                retain_until=AS_OF - timedelta(days=1),
            ),
            ClientRecord(
                "r2",
                "cl",
                "session_notes",
                date(2020, 1, 1),
                retain_until=AS_OF - timedelta(days=1),
                destroyed=AS_OF,
            ),
            ClientRecord(
                "r3",
                "cl",
                "session_notes",
                date(2020, 1, 1),
                retain_until=AS_OF - timedelta(days=1),
                destroyed=AS_OF + timedelta(days=1),
            ),
            ClientRecord("r4", "cl", "session_notes", date(2020, 1, 1), retain_until=AS_OF),
            ClientRecord("r5", "cl", "session_notes", date(2020, 1, 1)),  # no retention date
        ]
    )
    assert found("record-kept-past-retention", reg) == {
        ((("client", "cl"),), (), ("records/r1",)),
        ((("client", "cl"),), (), ("records/r3",)),
    }


def test_tie_only_rules_keep_the_three_part_output():
    reg = load_registry(EXAMPLE)
    three = oracle(PRACTICE, reg, reg.as_of)
    four = oracle(PRACTICE, reg, reg.as_of, records=True)
    assert three == {f[:3] for f in four}
    assert all(f[3] == () for f in four if f[0] in CORE_IDS)


def ruleset_with(tmp_path: Path, match: str):
    """A one-rule ruleset (``r``) with the given ``match``, loaded from a file."""
    text = textwrap.dedent("""\
        id: oracle-unit
        version: "0"
        title: oracle unit tests
        rules:
          - id: r
            title: t
            category: c
            severity: low
            level: 1
            remediation: [{action: a, within_days: 1, owner: coach}]
            match:
    """) + textwrap.indent(textwrap.dedent(match), " " * 6)
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return load_ruleset(path)
