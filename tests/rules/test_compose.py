"""Composing codes: several bases, one evaluation of an inherited rule, supersedes,
richer overrides, findings named and fingerprinted by the rule's origin."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dualrel import Citation
from dualrel.check import run_check
from dualrel.errors import InvalidArgument, RulesetError
from dualrel.findings import RulesetRef, fingerprint
from dualrel.graph.model import Person, Registry, Tie
from dualrel.report import render
from dualrel.rules import Monitor, evaluate, load_ruleset, prepare
from dualrel.rules.compose import rule_form
from tests.cli.util import assert_input_error, run

AS_OF = date(2026, 1, 1)
SIGNED = {"agreement_signed": "2025-01-01"}


def registry() -> Registry:
    """co1 in a romance with active client cl1, and since 2025 with cl2, a client whose
    coaching ended in 2022: within ACA's five years, outside the core's two."""
    return Registry(
        people=(
            Person("co1", ("coach",)),
            Person("cl1", ("client",)),
            Person("cl2", ("client",)),
        ),
        ties=(
            Tie("t1", "coaching", "co1", "cl1", start=date(2025, 1, 1), attributes=SIGNED),
            Tie("t2", "romance", "cl1", "co1", start=date(2025, 6, 1)),
            Tie("t3", "coaching", "co1", "cl2", start=date(2021, 1, 1), end=date(2022, 1, 1)),
            Tie("t4", "romance", "co1", "cl2", start=date(2025, 6, 1)),
        ),
        as_of=AS_OF,
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


RULE = """\
  - id: {id}
    title: A rule
    category: test
    severity: {severity}
    level: {level}
    citations: [{{code: ICF-2020, clause: "24"}}]
    remediation: [{{action: Act, within_days: 7, owner: manager}}]
    match:
      people: {{coach: {{}}, client: {{}}}}
      ties:
        - {{as: coaching, kind: coaching, from: coach, to: client, active: true}}
        - {{as: romance, kind: romance, between: [coach, client], active: true}}
{extra}"""


def ruleset(rid: str, rules: str = "", head: str = "") -> str:
    sources = 'sources: [{code: ICF, version: "2020"}]\n'
    return f'id: {rid}\nversion: "1"\ntitle: T\n{sources}{head}rules:\n{rules}'


def rule(rid: str, *, level: int = 2, severity: str = "high", extra: str = "") -> str:
    return RULE.format(id=rid, level=level, severity=severity, extra=extra)


def problems_of(path: Path | str, *, lint: bool = False) -> list:
    with pytest.raises(RulesetError) as info:
        load_ruleset(path, lint=lint)
    return list(info.value.problems)


# -- the rule's origin ------------------------------------------------------------------


def test_an_inherited_rule_keeps_its_origin():
    icf = load_ruleset("icf-2020")
    core = RulesetRef("coaching-core", "1.0.0")
    assert icf.rule("romance-active-client").origin == core
    assert icf.rule("romance-with-sponsor").origin == RulesetRef("icf-2020", "1.0.0")


def test_findings_are_named_and_fingerprinted_by_origin():
    core = evaluate(registry(), "coaching-core").findings
    icf = evaluate(registry(), "icf-2020").findings
    assert core and [(f.ruleset, f.rule, f.fingerprint) for f in core] == [
        (f.ruleset, f.rule, f.fingerprint) for f in icf
    ]
    f = core[0]
    assert f.fingerprint == fingerprint("coaching-core", f.rule, f.subjects, f.evidence)


@pytest.mark.parametrize(
    "names",
    [
        ["coaching-core", "icf-2020"],
        ["icf-2020", "coaching-core"],
        ["icf-2020", "coaching-practice", "coaching-core"],
        ["icf-2020", "counselling-windows"],
    ],
)
def test_a_rule_two_rulesets_bring_is_evaluated_and_reported_once(names):
    each = {f.fingerprint: f for n in names for f in evaluate(registry(), n).findings}
    together = evaluate(registry(), names).findings
    assert sorted(f.fingerprint for f in together) == sorted(each)
    assert "romance-active-client" in {f.rule for f in together}
    assert all(each[f.fingerprint] == f for f in together)
    compiled = prepare(names)
    forms = [rule_form(r.rule) for c in compiled for r in c.rules]
    assert len(forms) == len(set(forms))  # a rule in one form is compiled once
    assert compiled[0].ruleset.id == names[0]


def test_forms_that_differ_are_both_evaluated_and_each_finding_reported_once():
    # counselling-windows runs the core's former-client rule with a five-year window
    core = evaluate(registry(), "coaching-core").findings
    cw = evaluate(registry(), "counselling-windows").findings
    both = evaluate(registry(), ["coaching-core", "counselling-windows"]).findings
    fps = [f.fingerprint for f in both]
    assert len(fps) == len(set(fps))
    assert set(fps) == {f.fingerprint for f in core} | {f.fingerprint for f in cw}
    former = [f for f in both if f.rule == "romance-former-client"]
    assert [(f.ruleset.id, dict(f.subjects)) for f in former] == [
        ("coaching-core", {"coach": "co1", "client": "cl2"})
    ]
    assert former[0].citations == (Citation("ACA-2014", "A.5.c"),)


def test_counselling_windows_cites_aca_for_the_inherited_former_client_rule():
    rule_ = load_ruleset("counselling-windows").rule("romance-former-client")
    assert rule_.parameters["former_client_window_days"] == 1825
    assert rule_.citations == (Citation("ACA-2014", "A.5.c"),)
    assert "five years" in rule_.title
    assert load_ruleset("coaching-core").rule("romance-former-client").citations != (
        rule_.citations
    )


# -- waivers and baselines survive moving to a ruleset that extends the base -------------


def test_a_baseline_and_waiver_made_with_coaching_core_apply_under_icf_2020(tmp_path):
    reg = tmp_path / "reg.json"
    reg.write_text(
        json.dumps(
            {
                "format": "dualrel.registry/1",
                "as_of": "2026-01-01",
                "people": [
                    {"id": "co1", "roles": ["coach"]},
                    {"id": "cl1", "roles": ["client"]},
                ],
                "ties": [
                    {
                        "id": "t1",
                        "kind": "coaching",
                        "source": "co1",
                        "target": "cl1",
                        "start": "2025-01-01",
                        "attributes": SIGNED,
                    },
                    {"id": "t2", "kind": "romance", "source": "cl1", "target": "co1"},
                    {"id": "t3", "kind": "friendship", "source": "cl1", "target": "co1"},
                ],
            }
        )
    )
    before = run_check(reg, ["coaching-core"])
    base = write(tmp_path, "base.json", render(before, "json"))
    romance = next(f.finding for f in before.findings if f.finding.rule == "romance-active-client")
    friendship = next(
        f.finding for f in before.findings if f.finding.rule == "personal-contact-active-client"
    )
    waivers = write(
        tmp_path,
        "waivers.yaml",
        f"""\
waivers:
  - fingerprint: {romance.fingerprint}
    reason: Reviewed
    approved_by: Ethics committee
    expires: 2027-01-01
  - rule: coaching-core/personal-contact-active-client
    subjects: {{coach: co1, client: cl1}}
    reason: Reviewed
    approved_by: Ethics committee
    expires: 2027-01-01
""",
    )
    after = run_check(reg, ["icf-2020"], baseline=base, waivers=waivers)
    status = {f.finding.fingerprint: f.status for f in after.findings}
    assert status == {romance.fingerprint: "waived", friendship.fingerprint: "waived"}
    assert all(f.in_baseline for f in after.findings)
    assert after.resolved == ()
    assert [r.id for r in after.rulesets] == ["coaching-core", "icf-2020"]


# -- several bases -----------------------------------------------------------------------


def test_extends_may_name_several_bases(tmp_path):
    path = write(
        tmp_path,
        "both.yaml",
        ruleset("both", rule("own-rule"), head="extends: [icf-2020, counselling-windows]\n"),
    )
    rs = load_ruleset(path)
    ids = [r.id for r in rs.rules]
    assert len(ids) == len(set(ids))  # coaching-core, reached twice, is read once
    assert {"romance-with-sponsor", "romance-former-client-two-years", "own-rule"} <= set(ids)
    assert rs.extends == ("coaching-core", "icf-2020", "counselling-windows")
    # the later base's override wins: counselling-windows' citations and window
    former = rs.rule("romance-former-client")
    assert former.citations == (Citation("ACA-2014", "A.5.c"),)
    assert former.parameters["former_client_window_days"] == 1825


def test_a_base_is_located_in_the_extends_list(tmp_path):
    path = write(
        tmp_path, "bad.yaml", ruleset("bad", rule("r"), head="extends: [icf-2020, icf-2002]\n")
    )
    (p,) = problems_of(path)
    assert (p.code, p.pointer, p.line) == ("unknown-ruleset", "/extends/1", 5)
    assert "icf-2020" in p.message  # did you mean


def test_a_cycle_through_a_list_is_located(tmp_path):
    write(tmp_path, "a.yaml", ruleset("a", rule("ra"), head="extends: [coaching-core, b.yaml]\n"))
    write(tmp_path, "b.yaml", ruleset("b", rule("rb"), head="extends: a.yaml\n"))
    found = problems_of(tmp_path / "a.yaml")
    assert [(p.code, p.pointer) for p in found] == [("extends-cycle", "/extends")]
    assert "a.yaml -> b.yaml -> a.yaml" in found[0].message


def test_a_ruleset_overrides_only_the_rules_it_inherits(tmp_path):
    write(tmp_path, "b.yaml", ruleset("b", rule("rb")))
    write(
        tmp_path,
        "c.yaml",
        ruleset("c", rule("rc"), head="overrides:\n  rb: {level: 1}\n"),
    )
    write(tmp_path, "top.yaml", ruleset("top", head="extends: [b.yaml, c.yaml]\n"))
    (p,) = problems_of(tmp_path / "top.yaml")
    assert (p.code, p.pointer, p.record) == ("unknown-rule", "/overrides/rb", "rb")
    assert p.file.endswith("c.yaml")


def test_overrides_change_title_description_citations_and_remediation(tmp_path):
    path = write(
        tmp_path,
        "o.yaml",
        ruleset(
            "o",
            head="""\
extends: coaching-core
overrides:
  family-active-client:
    title: Coaching a relative
    description: Our committee's words.
    citations: [{code: ICF-2020, clause: "18"}]
    remediation: [{action: Hand over, within_days: 3, owner: coach}]
    level: 3
""",
        ),
    )
    r = load_ruleset(path).rule("family-active-client")
    assert (r.title, r.description, r.level) == ("Coaching a relative", "Our committee's words.", 3)
    assert r.citations == (Citation("ICF-2020", "18"),)
    assert [(s.action, s.within_days, s.owner) for s in r.remediation] == [
        ("Hand over", 3, "coach")
    ]
    assert r.origin.id == "coaching-core"


def test_an_override_with_an_empty_title_is_a_schema_error(tmp_path):
    path = write(
        tmp_path,
        "o.yaml",
        ruleset(
            "o", head="extends: coaching-core\noverrides:\n  family-active-client: {title: ''}\n"
        ),
    )
    (p,) = problems_of(path)
    assert p.code == "schema" and p.pointer == "/overrides/family-active-client/title"


# -- supersedes --------------------------------------------------------------------------

SPONSOR_RULE = """\
  - id: romance-client-and-sponsor
    title: Romance with a client who is their own sponsor's contact
    category: romance
    severity: critical
    level: 3
    citations: [{code: ICF-2020, clause: "24"}]
    remediation: [{action: Act, within_days: 0, owner: manager}]
    supersedes: [romance-active-client]
    match:
      people: {coach: {}, client: {}, sponsor: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client, active: true}
        - {as: romance, kind: romance, between: [coach, client], active: true}
        - {as: sponsorship, kind: sponsorship, from: sponsor, to: client, active: true}
"""


def sponsored() -> Registry:
    reg = registry()
    return Registry(
        people=(*reg.people, Person("sp1", ("sponsor",)), Person("cl3", ("client",))),
        ties=(
            *reg.ties,
            Tie("t5", "sponsorship", "sp1", "cl1"),
            Tie("t6", "coaching", "co1", "cl3", attributes=SIGNED),
            Tie("t7", "romance", "co1", "cl3"),
        ),
        as_of=AS_OF,
    )


def test_a_superseding_finding_replaces_the_finding_about_the_same_subjects(tmp_path):
    path = write(tmp_path, "s.yaml", ruleset("s", SPONSOR_RULE, head="extends: coaching-core\n"))
    plain = evaluate(sponsored(), "coaching-core").findings
    found = evaluate(sponsored(), path).findings
    romances = [(f.rule, f.subjects["client"]) for f in found if "romance" in f.rule]
    # cl1 has a sponsor: the specific finding wins; cl3 has none: the core finding stays
    assert sorted(romances) == [
        ("romance-active-client", "cl3"),
        ("romance-client-and-sponsor", "cl1"),
    ]
    assert ("romance-active-client", "cl1") in [(f.rule, f.subjects["client"]) for f in plain]
    # across rulesets: the core's finding, brought by coaching-core itself, is superseded too
    across = evaluate(sponsored(), ["coaching-core", path]).findings
    assert [f.fingerprint for f in across] == [f.fingerprint for f in found]


def test_supersedes_names_a_rule_with_the_same_subject_variables(tmp_path):
    bad = SPONSOR_RULE.replace(
        "supersedes: [romance-active-client]",
        "supersedes: [romance-activ-client, romance-client-and-sponsor,"
        " supervisor-romance-or-family]",
    )
    path = write(tmp_path, "s.yaml", ruleset("s", bad, head="extends: coaching-core\n"))
    found = problems_of(path)
    assert [(p.code, p.pointer) for p in found] == [
        ("unknown-rule", "/rules/0/supersedes/0"),
        ("unknown-rule", "/rules/0/supersedes/1"),
        ("supersedes-subjects", "/rules/0/supersedes/2"),
    ]
    assert "romance-active-client" in found[0].message  # did you mean
    assert "itself" in found[1].message
    assert "supervisor" in found[2].message
    assert all(p.line == 14 for p in found)


def test_rules_that_supersede_each_other_are_refused(tmp_path):
    back = SPONSOR_RULE.replace("id: romance-client-and-sponsor", "id: back").replace(
        "supersedes: [romance-active-client]", "supersedes: [romance-client-and-sponsor]"
    )
    cycle = SPONSOR_RULE.replace(
        "supersedes: [romance-active-client]", "supersedes: [romance-active-client, back]"
    )
    path = write(tmp_path, "c.yaml", ruleset("c", cycle + back, head="extends: coaching-core\n"))
    found = problems_of(path)
    # each rule of the cycle, located at its own supersedes (sorted by line)
    assert [(p.code, p.record, p.pointer) for p in found] == [
        ("supersedes-cycle", "romance-client-and-sponsor", "/rules/0/supersedes"),
        ("supersedes-cycle", "back", "/rules/1/supersedes"),
    ]
    assert "back -> romance-client-and-sponsor -> back" in found[1].message


def test_monitor_refuses_what_it_cannot_follow_naming_the_rules(tmp_path):
    path = write(tmp_path, "s.yaml", ruleset("s", SPONSOR_RULE, head="extends: coaching-core\n"))
    with pytest.raises(InvalidArgument, match="s/romance-client-and-sponsor"):
        Monitor(path, registry())
    with pytest.raises(InvalidArgument, match="coaching-core/romance-former-client"):
        Monitor(["coaching-core", "counselling-windows"], registry())
    # one form of each rule: the monitor runs, each finding once
    m = Monitor(["coaching-core", "icf-2020"], registry())
    assert m.findings() == evaluate(registry(), "coaching-core").findings


# -- lint: citations ---------------------------------------------------------------------


def test_lint_reports_a_rule_without_citation_and_an_undeclared_code(tmp_path):
    no_citation = rule("bare").replace('    citations: [{code: ICF-2020, clause: "24"}]\n', "")
    other_code = rule("aca").replace("ICF-2020", "ACA-2014")
    near_code = rule("near").replace("ICF-2020", "ICF-2025")
    path = write(tmp_path, "l.yaml", ruleset("l", no_citation + other_code + near_code))
    load_ruleset(path)  # check runs it: only lint refuses
    found = problems_of(path, lint=True)
    assert [(p.code, p.pointer, p.line, p.record) for p in found] == [
        ("missing-citation", "/rules/0/citations", 6, "bare"),
        ("undeclared-source", "/rules/1/citations/0/code", 22, "aca"),
        ("undeclared-source", "/rules/2/citations/0/code", 34, "near"),
    ]
    assert "ICF-2020" in found[2].message  # declared codes, and did you mean


def test_lint_checks_overridden_citations_against_the_overriding_ruleset(tmp_path):
    path = write(
        tmp_path,
        "o.yaml",
        ruleset(
            "o",
            head="""\
extends: coaching-core
overrides:
  family-active-client: {citations: [{code: APA-2017, clause: "3.05"}]}
  business-active-client: {citations: []}
""",
        ),
    )
    found = problems_of(path, lint=True)
    assert [(p.code, p.pointer, p.file) for p in found] == [
        ("undeclared-source", "/overrides/family-active-client/citations/0/code", str(path)),
        ("missing-citation", "/overrides/business-active-client/citations", str(path)),
    ]
    # a code declared by a base counts: coaching-core declares GCoE-2021
    fixed = path.read_text().replace("APA-2017", "GCoE-2021").replace("{citations: []}", "{}")
    path.write_text(fixed)
    load_ruleset(path, lint=True)


def test_a_citation_code_names_a_source_by_code_and_version(tmp_path):
    versionless = ruleset("v", rule("r").replace("ICF-2020", "ICF")).replace(
        'sources: [{code: ICF, version: "2020"}]', "sources: [{code: ICF}]"
    )
    load_ruleset(write(tmp_path, "v.yaml", versionless), lint=True)
    versioned_cites_bare = ruleset("w", rule("r").replace("ICF-2020", "ICF"))
    (p,) = problems_of(write(tmp_path, "w.yaml", versioned_cites_bare), lint=True)
    assert p.code == "undeclared-source"


@pytest.mark.parametrize(
    "name", ["coaching-core", "coaching-practice", "counselling-windows", "icf-2020"]
)
def test_shipped_rulesets_pass_lint(name):
    assert load_ruleset(name, lint=True).rules


def test_dualrel_lint_reports_the_citation_errors_and_check_still_runs(tmp_path):
    bare = rule("bare").replace('    citations: [{code: ICF-2020, clause: "24"}]\n', "")
    path = write(tmp_path, "l.yaml", ruleset("l", bare + rule("aca").replace("ICF-2020", "ACA")))
    assert_input_error(
        run("lint", path), f"{path}:6", "missing-citation", f"{path}:22", "undeclared-source"
    )
    reg = write(
        tmp_path,
        "reg.json",
        '{"format": "dualrel.registry/1", "people": [{"id": "co1"}], "ties": []}',
    )
    assert run("check", reg, "-r", path, "--as-of", "2026-01-01").returncode == 0
