"""``dualrel diff``: the rules that change, what they find, and the findings on a registry."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from dualrel import run_check
from dualrel.cli import build_parser, main
from dualrel.diff import PolicyDiff, diff_policies, render_diff
from dualrel.report import Pseudonymizer
from dualrel.testing.runner import run_tests
from tests.report.util import TEST_KEY
from tests.test_ci import check_jsonschema

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = str(ROOT / "examples" / "practice.json")

OURS = """\
id: ours
version: "1"
title: Our practice
parameters:
  window_days: {value: 365, description: Days after coaching during which hiring is reviewed.}
rules:
  - id: hiring-former-client
    title: A coach hired a former client
    category: business
    severity: medium
    level: 2
    remediation:
      - {action: The manager reviews the hiring, within_days: 30, owner: manager}
    match:
      people: {coach: {}, client: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client, ended: true}
        - {as: job, kind: employment, from: coach, to: client}
      where:
        - job.start <= coaching.end + window_days
        - job.start <= as_of
  - id: close-tie
    title: Romance or family with an active client
    category: romance
    severity: high
    level: 3
    remediation:
      - {action: Refer the client to another coach, within_days: 7, owner: manager}
    match:
      people: {coach: {}, client: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client, active: true}
        - {as: close, kind: [romance, family], between: [coach, client], active: true}
"""

SPLIT = """\
  - id: close-romance
    title: Romance with an active client
    category: romance
    severity: high
    level: 3
    remediation:
      - {action: Refer the client to another coach, within_days: 7, owner: manager}
    match:
      people: {coach: {}, client: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client, active: true}
        - {as: close, kind: romance, between: [coach, client], active: true}
  - id: close-family
    title: Family tie with an active client
    category: romance
    severity: high
    level: 3
    remediation:
      - {action: Refer the client to another coach, within_days: 7, owner: manager}
    match:
      people: {coach: {}, client: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client, active: true}
        - {as: close, kind: family, between: [coach, client], active: true}
"""

REGISTRY = {
    "format": "dualrel.registry/1",
    "as_of": "2026-01-01",
    "people": [
        {"id": "ann", "roles": ["coach"]},
        {"id": "bo", "roles": ["client"]},
        {"id": "cy", "roles": ["client"]},
    ],
    "ties": [
        {"id": "t1", "kind": "coaching", "source": "ann", "target": "bo", "start": "2025-01-01"},
        {"id": "t2", "kind": "romance", "source": "ann", "target": "bo", "start": "2025-06-01"},
        {
            "id": "t3",
            "kind": "coaching",
            "source": "ann",
            "target": "cy",
            "start": "2024-01-01",
            "end": "2025-01-01",
        },
        {"id": "t4", "kind": "employment", "source": "ann", "target": "cy", "start": "2025-09-01"},
    ],
}


def _cut(text: str, rule: str) -> str:
    """``text`` without the rule ``rule`` (rules are the last section)."""
    head, _, rules = text.partition("rules:\n")
    parts = rules.split("  - id: ")[1:]
    return head + "rules:\n" + "".join("  - id: " + p for p in parts if not p.startswith(rule))


@pytest.fixture
def files(tmp_path):
    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    write("registry.json", json.dumps(REGISTRY))
    return write


def _diff(files, new_text: str, **kw) -> PolicyDiff:
    old = files("old.yaml", OURS)
    new = files("new.yaml", new_text)
    return diff_policies([old], [new], [files("registry.json", json.dumps(REGISTRY))], **kw)


def _change(diff: PolicyDiff, rule: str):
    (change,) = [c for c in diff.rules if c.name == f"ours/{rule}"]
    return change


def _case_passes(tmp_path: Path, ruleset_text: str, case: str) -> bool:
    folder = tmp_path / "paste"
    (folder / "tests" / "ours").mkdir(parents=True, exist_ok=True)
    (folder / "ours.yaml").write_text(ruleset_text)
    (folder / "tests" / "ours" / "witness.yaml").write_text(case)
    results = run_tests([folder / "tests" / "ours" / "witness.yaml"])
    assert not results.problems, [str(p) for p in results.problems]
    (result,) = results.results
    return result.passed


def test_a_widened_window_finds_a_superset_with_a_witness(files, tmp_path):
    wider = OURS.replace("value: 365", "value: 730")
    diff = _diff(files, wider)
    change = _change(diff, "hiring-former-client")
    assert change.status == "changed"
    assert [(f.field, f.old, f.new) for f in change.changes] == [
        ("parameter window_days", 365, 730)
    ]
    assert _change(diff, "close-tie").status == "same"
    (cmp,) = diff.comparisons
    assert cmp.verdict == "superset"
    (w,) = cmp.witnesses
    assert w.direction == "new-only" and w.new and not w.old
    # the witness is a case the committee can paste: it holds for the new rule, not the old
    assert _case_passes(tmp_path, wider, w.case)
    assert not _case_passes(tmp_path, OURS, w.case)
    assert diff.exit_code() == 1


def test_a_narrowed_window_finds_a_subset(files, tmp_path):
    narrower = OURS.replace("value: 365", "value: 180")
    diff = _diff(files, narrower)
    (cmp,) = diff.comparisons
    assert cmp.verdict == "subset"
    (w,) = cmp.witnesses
    assert w.direction == "old-only" and w.old and not w.new
    assert "absent: [hiring-former-client]" in w.case
    assert _case_passes(tmp_path, narrower, w.case)
    assert not _case_passes(tmp_path, OURS, w.case)
    # and the registry's hiring 243 days after coaching ended is no longer found
    (impact,) = diff.impacts
    assert impact.counts()["disappears"] == 1
    assert [c.rule for c in impact.changes] == ["ours/hiring-former-client"]


def test_a_rule_split_in_two_whose_union_is_the_original_is_equivalent(files):
    split = _cut(OURS, "close-tie") + SPLIT
    diff = _diff(files, split, pairs={"close-tie": ["close-romance", "close-family"]})
    assert {c.status for c in diff.rules if "close" in c.name} == {"removed", "added"}
    (cmp,) = diff.comparisons
    assert (cmp.old_rule, cmp.new_rules) == (
        "ours/close-tie",
        ("ours/close-romance", "ours/close-family"),
    )
    assert cmp.verdict == "same" and cmp.witnesses == () and cmp.examples == 100
    assert cmp.tried == (100, 100)  # every registry tried, each way
    assert "no difference found in 100 registries each way" in render_diff(diff)
    # one half alone is narrower: the search says so, with a witness
    half = _diff(files, split, pairs={"close-tie": ["close-romance"]}, examples=60)
    (cmp,) = half.comparisons
    assert cmp.verdict == "subset"
    assert "family" in cmp.witness("old-only").case


def test_a_raised_level_finds_the_same_matches_and_changes_the_level_in_the_impact(files):
    raised = OURS.replace("level: 2", "level: 3")
    diff = _diff(files, raised, examples=40)
    change = _change(diff, "hiring-former-client")
    assert [(f.field, f.old, f.new) for f in change.changes] == [("level", 2, 3)]
    (cmp,) = diff.comparisons
    assert cmp.verdict == "same" and cmp.witnesses == ()
    (impact,) = diff.impacts
    assert impact.counts() == {
        "appears": 0,
        "disappears": 0,
        "level": 1,
        "severity": 0,
        "remediation": 0,
    }
    (c,) = impact.changes
    assert (c.old.level, c.new.level, dict(c.new.subjects)) == (
        2,
        3,
        {"coach": "ann", "client": "cy"},
    )
    assert impact.by_level() == {3: (1, 2), 2: (1, 0), 1: (0, 0)}


def test_a_removed_rule_and_its_findings_disappear(files):
    diff = _diff(files, _cut(OURS, "close-tie"))
    assert _change(diff, "close-tie").status == "removed"
    assert diff.comparisons == ()  # nothing to compare it with, unless paired
    (impact,) = diff.impacts
    assert impact.by_rule() == {
        "ours/close-tie": {
            "appears": 0,
            "disappears": 1,
            "level": 0,
            "severity": 0,
            "remediation": 0,
        }
    }


def test_a_changed_remediation_shows_in_the_rules_and_the_impact(files):
    diff = _diff(files, OURS.replace("within_days: 7", "within_days: 3"), semantic=False)
    change = _change(diff, "close-tie")
    (field,) = change.changes
    assert field.field == "remediation" and "within 3 days" in field.new[0]
    (impact,) = diff.impacts
    assert [c.kind for c in impact.changes] == ["remediation"]
    assert "not run" in diff.semantic_note


def test_a_code_added_on_top_of_another_adds_only_its_own_rules():
    diff = diff_policies(["coaching-core"], ["icf-2020"], semantic=False)
    changed = [(c.status, c.name) for c in diff.rules if c.status != "same"]
    assert changed == [
        ("added", "icf-2020/business-with-sponsor"),
        ("added", "icf-2020/internal-coach-same-employer"),
        ("added", "icf-2020/romance-with-sponsor"),
    ]
    assert all(c.name.startswith("coaching-core/") for c in diff.rules if c.status == "same")


@pytest.mark.parametrize("new", ["counselling-windows", "icf-2020"])
def test_impact_counts_are_those_of_two_plain_checks(new):
    diff = diff_policies(["coaching-core"], [new], [PRACTICE], semantic=False)
    before = {
        f.finding.fingerprint: f.finding for f in run_check(PRACTICE, ["coaching-core"]).findings
    }
    after = {f.finding.fingerprint: f.finding for f in run_check(PRACTICE, [new]).findings}
    (impact,) = diff.impacts
    assert len(impact.old) == len(before) and len(impact.new) == len(after)
    counts = impact.counts()
    assert counts["appears"] == len(after.keys() - before.keys())
    assert (counts["appears"] > 0) == (new == "counselling-windows")  # icf-2020 adds none here
    assert counts["disappears"] == len(before.keys() - after.keys())
    both = before.keys() & after.keys()
    assert counts["level"] == sum(before[k].level != after[k].level for k in both)
    per_rule: dict[str, int] = {}
    for k in after.keys() - before.keys():
        rule = f"{after[k].ruleset.id}/{after[k].rule}"
        per_rule[rule] = per_rule.get(rule, 0) + 1
    assert {r: n["appears"] for r, n in impact.by_rule().items()} == per_rule


def test_a_policy_compared_with_itself_exits_0(capsys):
    assert main(["diff", "coaching-core", "coaching-core", PRACTICE]) == 0
    out = capsys.readouterr().out
    assert "0 changed, 0 added, 0 removed" in out and "the policies do not differ (exit 0)" in out


def test_composed_policies_are_compared_with_old_and_new(capsys):
    code = main(
        [
            "diff",
            "--old",
            "icf-2020",
            "--new",
            "icf-2020",
            "--new",
            "counselling-windows",
            "--no-semantic",
            PRACTICE,
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "icf-2020 1.0.0 -> icf-2020 1.0.0 + counselling-windows 1.0.0" in out
    assert "changed  coaching-core/romance-former-client" in out


def test_the_search_is_deterministic(files):
    wider = OURS.replace("value: 365", "value: 730")
    one = render_diff(_diff(files, wider, examples=50), "json")
    two = render_diff(_diff(files, wider, examples=50), "json")
    assert one == two
    other_seed = render_diff(_diff(files, wider, examples=50, seed=3), "json")
    assert json.loads(other_seed)["semantic"]["seed"] == 3


def test_markdown_pseudonymises_people(files):
    diff = _diff(files, OURS.replace("level: 2", "level: 3"), semantic=False)
    key = Pseudonymizer(TEST_KEY.encode(), "env")
    text = render_diff(diff, "markdown", pseudonymizer=key)
    assert key.alias("cy") in text and key.alias("ann") in text
    assert "=cy" not in text and "=ann" not in text
    assert "| `ours/hiring-former-client` | 0 | 0 | 1 | 0 | 0 |" in text
    shown = render_diff(diff, "markdown", reveal=True)
    assert "client=cy coach=ann" in shown


def test_json_lists_every_part(files):
    doc = json.loads(render_diff(_diff(files, OURS.replace("value: 365", "value: 730")), "json"))
    assert doc["differs"] is True
    (cmp,) = doc["semantic"]["comparisons"]
    assert cmp["verdict"] == "superset" and cmp["witnesses"][0]["direction"] == "new-only"
    assert doc["semantic"]["method"] == "search"
    (rule,) = [r for r in doc["rules"] if r["status"] == "changed"]
    assert rule["changes"] == [{"field": "parameter window_days", "old": 365, "new": 730}]


def test_the_output_file_is_written(files, tmp_path, capsys):
    out = tmp_path / "diff.md"
    code = main(
        [
            "diff",
            files("old.yaml", OURS),
            files("new.yaml", OURS.replace("level: 2", "level: 3")),
            files("registry.json", json.dumps(REGISTRY)),
            "--no-semantic",
            "-f",
            "markdown",
            "-o",
            str(out),
        ]
    )
    assert code == 1
    assert out.read_text().startswith("## dualrel diff")
    assert capsys.readouterr().out == ""


def test_bad_input_exits_2_with_every_problem_located(files, capsys):
    bad_registry = files("bad.json", '{"format": "dualrel.registry/1", "people": [{"id": 1}]}')
    code = main(
        ["diff", "coaching-cor", files("broken.yaml", "id: x\nrules: [{id: 1}]\n"), bad_registry]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "coaching-cor" in err and "did you mean 'coaching-core'" in err
    assert "broken.yaml:" in err
    # the rulesets are read first: a registry is read with the kinds they declare
    assert main(["diff", "coaching-core", "icf-2020", bad_registry]) == 2
    assert "bad.json:" in capsys.readouterr().err


def test_an_unknown_rule_in_a_pair_is_bad_input(capsys):
    code = main(
        ["diff", "coaching-core", "icf-2020", "--pair", "romance-activ=romance-with-sponsor"]
    )
    assert code == 2
    assert "did you mean 'romance-active-client'" in capsys.readouterr().err
    assert main(["diff", "coaching-core", "icf-2020", "--pair", "nonsense"]) == 2
    assert main(["diff", "coaching-core"]) == 2
    assert main(["diff", "--old", "coaching-core", "x.json"]) == 2


def _git(tmp_path: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )


def test_git_compares_a_ruleset_with_itself_at_a_revision(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _git(tmp_path, "init", "-q")
    (tmp_path / "ours.yaml").write_text(OURS)
    (tmp_path / "registry.json").write_text(json.dumps(REGISTRY))
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "ours")
    (tmp_path / "ours.yaml").write_text(OURS.replace("level: 2", "level: 3"))
    args = ["diff", "--git", "HEAD", "ours.yaml", "registry.json", "--no-semantic"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "level: 2 -> 3" in out and "1 change level" in out
    assert main([*args, "--exit-zero"]) == 0
    capsys.readouterr()
    (tmp_path / "new.yaml").write_text(OURS)
    assert main(["diff", "--git", "HEAD", "new.yaml"]) == 2
    assert "new.yaml did not exist at HEAD" in capsys.readouterr().err
    assert main(["diff", "--git", "no-such-rev", "ours.yaml"]) == 2


def test_the_pre_commit_hook_runs_dualrel_diff():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "dualrel-diff"]
    command = hook["entry"].split()
    assert command[:2] == ["dualrel", "diff"]
    # the committee's args follow the entry: the ruleset, then the registry
    args = build_parser().parse_args([*command[1:], "ours.yaml", "registry.json"])
    assert (args.git, args.exit_zero, args.args) == ("HEAD", True, ["ours.yaml", "registry.json"])


def _doc_file(name: str) -> str:
    text = (ROOT / "docs" / "policy-testing.md").read_text()
    (body,) = re.findall(rf"```yaml file={re.escape(name)}\n(.*?)```", text, re.S)
    return body


def test_the_documented_hook_and_ci_recipe_run_dualrel_diff():
    (repo,) = yaml.safe_load(_doc_file(".pre-commit-config.yaml"))["repos"]
    (hook,) = repo["hooks"]
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (shipped,) = [h for h in hooks if h["id"] == hook["id"]]
    build_parser().parse_args([*shipped["entry"].split()[1:], *hook["args"]])
    workflow = yaml.safe_load(_doc_file(".github/workflows/policy-diff.yml"))
    run = workflow["jobs"]["diff"]["steps"][3]["run"]
    command = run.split("dualrel ", 1)[1].split("||")[0]
    # GitHub fills in ${{ ... }} before the shell runs
    command = re.sub(r"\$\{\{.*?\}\}", "main", command).replace("\\\n", " ")
    args = build_parser().parse_args(shlex.split(command))
    assert (args.git, args.format, args.output, args.args) == (
        "origin/main",
        "markdown",
        "diff.md",
        ["our-practice.yaml", "registry.json"],
    )


def test_a_rule_over_practice_records_is_not_searched_and_says_why(tmp_path):
    shipped = ROOT / "src" / "dualrel" / "rulesets" / "coaching-practice.yaml"
    text = shipped.read_text()
    head, _, rest = text.partition("  - id: late-responses\n")
    changed = tmp_path / "coaching-practice.yaml"
    changed.write_text(head + "  - id: late-responses\n" + rest.replace("level: 1", "level: 2", 1))
    diff = diff_policies(["coaching-practice"], [str(changed)], examples=5)
    (cmp,) = diff.comparisons
    assert cmp.old_rule == "coaching-practice/late-responses"
    assert cmp.verdict == "not-compared" and "practice records" in cmp.reason
    assert "not compared (late-responses reads practice records" in render_diff(diff)


def test_markdown_holds_each_witness_as_a_case_to_paste(files):
    diff = _diff(files, OURS.replace("value: 365", "value: 730"), examples=20)
    text = render_diff(diff, "markdown", pseudonymizer=Pseudonymizer(TEST_KEY.encode(), "env"))
    (cmp,) = diff.comparisons
    (w,) = cmp.witnesses
    assert f"```yaml\n{w.case}```" in text
    assert "| `ours/hiring-former-client` | `ours/hiring-former-client` | finds more" in text


def test_the_documented_diff_workflow_is_a_valid_github_workflow(tmp_path):
    path = tmp_path / "policy-diff.yml"
    path.write_text(_doc_file(".github/workflows/policy-diff.yml"), encoding="utf-8")
    check_jsonschema("vendor.github-workflows", path)


def test_markdown_shows_hostile_ids_and_paths_as_text(files):
    # a PR comment renders Markdown with raw HTML: ids and paths must stay text (issue 21 D10)
    markdown_it = pytest.importorskip("markdown_it")
    hostile = "<img src=https://attacker.example/x.png><!--"
    doc = json.loads(json.dumps(REGISTRY).replace('"cy"', json.dumps(hostile)))
    registry = files(f"reg{hostile.replace('/', '_')}.json", json.dumps(doc))
    old = files("old.yaml", OURS)
    new = files("new.yaml", OURS.replace("level: 2", "level: 3", 1))
    diff = diff_policies([old], [new], [registry], semantic=False)
    for pseudonymizer in (Pseudonymizer.reveal(), Pseudonymizer(TEST_KEY.encode(), "env")):
        text = render_diff(diff, "markdown", pseudonymizer=pseudonymizer)
        tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(text)
        inline = {c.type for t in tokens for c in (t.children or [])}
        assert not inline & {"html_inline", "link_open", "image"}, text
        html = [t.content for t in tokens if t.type == "html_block"]
        assert not any("<img" in h or "<!--" in h for h in html), text
