"""Built-in properties: they hold for the shipped rulesets and catch broken engines."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from dualrel.cli import main
from dualrel.errors import InvalidArgument
from dualrel.graph import load_registry
from dualrel.rules import Monitor, evaluate, load_ruleset, shipped_rulesets
from dualrel.rules.schema import Match
from dualrel.testing import PROPERTIES, check_properties, unchecked_rules
from dualrel.testing import properties as props
from dualrel.testing.properties import format_property_result


@pytest.mark.parametrize("name", sorted(shipped_rulesets()))
def test_the_shipped_rulesets_have_every_property(name):
    results = check_properties(name, max_examples=10)
    assert [(r.name, r.passed) for r in results] == [(p, True) for p in PROPERTIES], [
        r.message for r in results if not r.passed
    ]


def broken(monkeypatch, change):
    def evaluate_badly(registry, rulesets, **kwargs):
        report = evaluate(registry, rulesets, **kwargs)
        return replace(report, findings=tuple(change(registry, report.findings)))

    monkeypatch.setattr(props, "evaluate", evaluate_badly)


def only(name, prop, **kw):
    (result,) = check_properties(
        name, max_examples=kw.pop("max_examples", 30), properties=[prop], **kw
    )
    return result


def test_determinism_catches_an_engine_that_forgets_every_other_time(monkeypatch):
    calls = []

    def flaky(reg, findings):
        calls.append(1)
        return findings[:-1] if len(calls) % 2 else findings

    broken(monkeypatch, flaky)
    result = only("coaching-core", "determinism")
    assert not result.passed and "two evaluations differ" in result.message


def test_invariance_catches_findings_that_depend_on_ids(monkeypatch):
    broken(
        monkeypatch,
        lambda reg, fs: [
            f for f in fs if not any(v.startswith("person-") for v in f.subjects.values())
        ],
    )
    result = only("coaching-core", "invariance")
    assert not result.passed and "renaming and shuffling changed the findings" in result.message


def test_satisfiability_catches_a_rule_that_never_fires_and_shrinks_to_its_pattern(monkeypatch):
    broken(monkeypatch, lambda reg, fs: [f for f in fs if f.rule != "business-active-client"])
    result = only("coaching-core", "satisfiability")
    assert not result.passed and "'business-active-client' did not fire" in result.message
    assert [p.id for p in result.example.people] == ["coach", "client"]
    assert sorted(t.kind for t in result.example.ties) == ["business", "coaching"]


def test_evidence_catches_evidence_that_does_not_join_the_subjects(monkeypatch):
    def wrong(reg, fs):
        return [replace(f, evidence=tuple(reversed(f.evidence))) for f in fs]

    broken(monkeypatch, wrong)
    result = only("coaching-core", "evidence")
    assert not result.passed and "does not pass the tests of clause" in result.message


@pytest.mark.large  # shrinking the failure takes about ten seconds
def test_monotonicity_catches_findings_lost_when_ties_are_added(monkeypatch):
    broken(
        monkeypatch, lambda reg, fs: [] if any(t.id.startswith("added") for t in reg.ties) else fs
    )
    result = only("coaching-core", "monotonicity")
    assert not result.passed and "adding ties ['added1'" in result.message


def test_monotonicity_skips_rules_with_negation():
    result = only("tests/rules/data/language.yaml", "monotonicity", max_examples=5)
    assert result.passed


def test_escalation_catches_a_wrong_level(monkeypatch):
    broken(monkeypatch, lambda reg, fs: [replace(f, level=3) for f in fs])
    result = only("coaching-core", "escalation")
    assert not result.passed and "has level 3" in result.message


def test_incremental_catches_a_monitor_that_loses_a_finding(monkeypatch):
    class Lossy(Monitor):
        def findings(self):
            return super().findings()[1:]

    monkeypatch.setattr(props, "Monitor", Lossy)
    result = only("coaching-core", "incremental")
    assert not result.passed and "the Monitor has" in result.message


def test_a_failure_prints_the_property_and_a_registry_dualrel_reads(monkeypatch, tmp_path):
    broken(monkeypatch, lambda reg, fs: [replace(f, severity="low") for f in fs])
    result = only("coaching-core", "escalation", save_failures=tmp_path)
    text = format_property_result(result)
    assert text.startswith("  FAIL  coaching-core  escalation\n")
    assert '"format": "dualrel.registry/1"' in text
    saved = load_registry(result.saved)
    assert saved.ties == result.example.ties
    assert result.saved.endswith("coaching-core-escalation.json")


def test_the_seed_makes_runs_repeatable(monkeypatch):
    broken(monkeypatch, lambda reg, fs: [replace(f, level=1) for f in fs if f.level > 1] or fs)
    first = only("coaching-core", "escalation", seed=7)
    again = only("coaching-core", "escalation", seed=7)
    assert first.example == again.example and not first.passed


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"seed": "x"}, "seed='x'"),
        ({"max_examples": 0}, "max_examples=0"),
        ({"properties": ["speed"]}, "properties=['speed']"),
        ({"properties": "evidence"}, "properties='evidence'"),
    ],
)
def test_arguments_are_checked(kwargs, named):
    with pytest.raises(InvalidArgument, match=named.replace("[", r"\[")):
        check_properties("coaching-core", **kwargs)


def test_the_cli_runs_the_properties(mini, capsys):
    assert (
        main(
            [
                "test",
                str(mini / "mini.yaml"),
                "--properties",
                "--examples",
                "5",
                "-q",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "properties (seed 3):" in out
    assert all(f"PASS  mini  {p}" in out for p in PROPERTIES)


def test_an_unsatisfiable_rule_fails_once_and_the_rest_is_checked():
    rs = load_ruleset("coaching-core")
    rule = rs.rule("romance-former-client")
    data = rule.match.model_dump(by_alias=True, exclude_none=True)
    data["where"] = [*data["where"], "romance.start > as_of"]  # and romance.start <= as_of
    never = replace(rule, match=Match.model_validate(data))
    broken = replace(rs, rules=tuple(never if r.id == rule.id else r for r in rs.rules))
    (u,) = unchecked_rules(broken)
    assert u.rule == "romance-former-client" and u.never_fires
    assert "romance.start <= as_of" in u.reason and "romance.start > as_of" in u.reason
    results = check_properties(broken, max_examples=3)
    assert [(r.name, r.passed) for r in results if not r.passed] == [("satisfiability", False)]
    (sat,) = [r for r in results if r.name == "satisfiability"]
    assert sat.message.count("romance-former-client") == 1


def test_the_cli_names_the_rules_properties_do_not_check(capsys):
    assert main(["test", "coaching-practice", "--properties", "--examples", "2", "-q"]) == 0
    out = capsys.readouterr().out
    assert (
        "  not checked: coaching-practice/late-responses: it reads practice records "
        "(the properties plant ties only): its cases check it" in out
    )
    assert out.count("not checked:") == 13


def test_properties_without_hypothesis_say_what_to_install():
    # hypothesis hidden from import, as on an install without the test extra
    script = (
        "import sys; sys.modules['hypothesis'] = None; from dualrel.cli import main; "
        "sys.exit(main(['test', 'coaching-core', '--properties', '-q']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "pip install 'dualrel[test]'" in proc.stderr
    assert proc.stdout == ""  # refused before any case ran
