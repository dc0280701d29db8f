"""Record clauses (match.records): validated with located errors, then compiled."""

from __future__ import annotations

import textwrap

import pytest

from dualrel.errors import RulesetError
from dualrel.graph import practice
from dualrel.rules import compile_ruleset, load_ruleset
from dualrel.rules.sections import SECTIONS

HEAD = textwrap.dedent("""\
    id: practice-wip
    version: "0"
    title: WIP
    extends: coaching-core
    rules:
      - id: r
        title: t
        category: c
        severity: low
        level: 1
        remediation: [{action: a, within_days: 1, owner: coach}]
        match:
          people: {coach: {roles: [coach]}, client: {}}
          ties:
            - {as: c, kind: coaching, from: coach, to: client, active: true}
          records:
""")


def ruleset(tmp_path, records: str):
    path = tmp_path / "r.yaml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(records), " " * 8))
    return path


def problems(tmp_path, records: str) -> set[tuple[str, str]]:
    with pytest.raises(RulesetError) as info:
        load_ruleset(ruleset(tmp_path, records))
    return {(p.pointer or "", p.code) for p in info.value.problems}


def test_a_valid_record_clause_loads_and_compiles(tmp_path):
    path = ruleset(
        tmp_path,
        """\
        - {section: agreements, tie: c, exists: false,
           fields: {signed: {present: true}, covers: {contains: [confidentiality, escalation]}}}
    """,
    )
    rs = load_ruleset(path)
    (rule,) = [r for r in rs.rules if r.id == "r"]
    (clause,) = rule.match.records
    assert (clause.section, clause.tie, clause.exists) == ("agreements", "c", False)
    assert clause.fields["covers"].contains == ["confidentiality", "escalation"]
    (compiled,) = [r for r in compile_ruleset(rs).rules if r.rule.id == "r"]
    negated = compiled.condition["all"][-1]["m0$not"]["$and"]
    assert {"k": "@agreements"} in negated and {"tn": {"c0": "tn"}} in negated
    assert {"l_covers_confidentiality": 1} in negated and {"e_signed": 1} in negated


def test_every_problem_of_a_record_clause_is_reported_at_once_with_suggestions(tmp_path):
    found = problems(
        tmp_path,
        """\
        - {section: consents, people: {persn: client, person: cliant}, tie: c,
           fields: {purpos: {equals: assessment}, given: {equals: x}, scope: {contains: a}}}
        - {section: agreements, tie: d, fields: {roles: {equals: mentor}}}
    """,
    )
    base = "/rules/0/match/records"
    assert found == {
        (f"{base}/0/people/persn", "unknown-field"),
        (f"{base}/0/people/person", "unknown-variable"),
        (f"{base}/0/tie", "unknown-field"),
        (f"{base}/0/fields/purpos", "unknown-field"),
        (f"{base}/0/fields/given", "field-test"),
        (f"{base}/0/fields/scope", "field-test"),
        (f"{base}/1/tie", "unknown-clause"),
        (f"{base}/1/fields/roles", "field-test"),
    }


def test_a_record_clause_must_say_whose_record_it_is(tmp_path):
    found = problems(tmp_path, "- {section: records, fields: {kind: {equals: billing}}}\n")
    assert ("/rules/0/match/records/0", "schema") in found


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_the_catalogue_names_only_fields_the_registry_format_has(section):
    types = {
        "agreements": practice.Agreement,
        "consents": practice.Consent,
        "assessments": practice.Assessment,
        "disclosures": practice.Disclosure,
        "supervision_sessions": practice.SupervisionSession,
        "contacts": practice.Contact,
        "concerns": practice.Concern,
        "records": practice.ClientRecord,
    }
    fields = SECTIONS[section]
    derived = set(fields.derived)
    names = (
        set(
            fields.people
            + fields.times
            + fields.lists
            + fields.values
            + fields.numbers
            + fields.windows
        )
        - derived
    )
    if fields.tie:
        names.add(fields.tie)
    assert names <= set(types[section].__dataclass_fields__)
