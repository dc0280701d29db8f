"""``lint`` as an author meets it: every mistake of a file in one run, in our words.

Schema problems no longer hide the semantic ones of the rules that validated; messages
never quote pydantic; a misspelt field gets a "did you mean"; text YAML split at ': ' or
', ' gets a hint to quote it; date conditions that contradict each other are an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dualrel.errors import RulesetError
from dualrel.rules import load_ruleset

PYDANTIC_WORDS = ("Input should", "Field required", "Extra inputs", "Value error", "String should")

HEAD = 'id: mine\nversion: "1"\ntitle: Test\nparameters: {window_days: 30}\nrules:\n'

RULE = """\
  - id: {id}
    title: {title}
    category: test
    severity: {severity}
    level: 2
    remediation:
      - {{action: Act, within_days: 7, owner: manager}}
    match:
      people: {{coach: {{roles: [{role}]}}, client: {{}}}}
      ties:
        - {{as: coaching, kind: {kind}, {ends}, active: true}}
        - {{as: r, kind: romance, between: [coach, {other}]}}
      where:
{where}"""


def rule(
    rid: str,
    *,
    title: str = "A rule",
    severity: str = "high",
    role: str = "coach",
    kind: str = "coaching",
    ends: str = "from: coach, to: client",
    other: str = "client",
    where: tuple[str, ...] = ("r.start <= as_of",),
) -> str:
    return RULE.format(
        id=rid,
        title=title,
        severity=severity,
        role=role,
        kind=kind,
        ends=ends,
        other=other,
        where="".join(f"        - {w}\n" for w in where),
    )


def problems(tmp_path: Path, text: str, name: str = "rs.yaml") -> list:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    return info.value.problems


def test_schema_and_semantic_problems_come_in_one_run(tmp_path):
    text = (
        HEAD
        + rule("r1", severity="hihg", ends="form: coach, to: client")
        + rule("r2", role="coch", kind="coachin", other="clint")
    )
    found = problems(tmp_path, text)
    got = {(p.code, p.record, p.pointer) for p in found}
    assert got == {
        ("schema", "r1", "/rules/0/severity"),
        ("schema", "r1", "/rules/0/match/ties/0/form"),
        ("unknown-role", "r2", "/rules/1/match/people/coach/roles/0"),
        ("unknown-kind", "r2", "/rules/1/match/ties/0/kind"),
        ("unknown-variable", "r2", "/rules/1/match/ties/1/between"),
    }
    lines = {p.pointer: p.line for p in found}
    assert (
        lines["/rules/1/match/ties/0/kind"]
        == text.splitlines().index(
            "        - {as: coaching, kind: coachin, from: coach, to: client, active: true}"
        )
        + 1
    )


def test_an_override_of_a_rule_with_schema_errors_is_not_called_unknown(tmp_path):
    (tmp_path / "base.yaml").write_text(HEAD.replace("mine", "base") + rule("r1", severity="x"))
    child = 'id: child\nversion: "1"\ntitle: C\nextends: base.yaml\noverrides: {r1: {level: 3}}\n'
    found = problems(tmp_path, child, "child.yaml")
    assert [(p.code, p.pointer) for p in found] == [("schema", "/rules/0/severity")]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"severity": "hihg"},
            "severity must be one of 'low', 'medium', 'high' or 'critical', not 'hihg' "
            "(did you mean 'high'?)",
        ),
        ({"ends": "form: coach, to: client"}, "unknown field 'form' (did you mean 'from'?)"),
        ({"title": "[Coach, romance]"}, "title must be text, not a list"),
        ({"where": ("r.start: as_of",)}, "where item 1 must be text or {any: ...}, not a mapping"),
        ({"where": ("{anyy: [r.start <= as_of]}",)}, "unknown field 'anyy' (did you mean 'any'?)"),
        ({"where": ("12",)}, "where item 1 must be text or {any: ...}, not a number"),
    ],
)
def test_schema_messages_are_ours(tmp_path, changes, expected):
    (p,) = problems(tmp_path, HEAD + rule("r1", **changes))
    assert p.code == "schema" and p.message.startswith(expected)
    assert not any(w in p.message for w in PYDANTIC_WORDS)


def test_text_split_by_yaml_is_explained(tmp_path):
    # an unquoted ': ' inside a where condition makes a mapping
    (p,) = problems(tmp_path, HEAD + rule("r1", where=("r.start: as_of",)))
    assert "put the text in quotes" in p.message and "': '" in p.message
    # an unquoted ', ' inside {...} makes a field of the rest of the text
    text = HEAD + rule("r1").replace("{action: Act,", "{action: Act now, then tell,")
    (p,) = problems(tmp_path, text)
    assert p.message.startswith("unknown field 'then tell'") and "', '" in p.message
    # an unquoted ': ' in a block value is a YAML error: the hint is there too
    (p,) = problems(tmp_path, HEAD + rule("r1", title="Coach: romance"))
    assert p.code == "malformed" and "put the text in quotes" in p.message


def test_every_schema_problem_of_a_broken_file_is_in_our_words(tmp_path):
    text = HEAD.replace('version: "1"', "version: [1]") + rule("r1").replace(
        "level: 2", "level: 4\n    remediation_days: 3"
    ).replace("      people:", "      peeple: {}\n      people:")
    found = problems(tmp_path, text)
    assert len(found) == 4
    assert not [p.message for p in found if any(w in p.message for w in PYDANTIC_WORDS)]
    assert {p.message for p in found} >= {
        "unknown field 'peeple' (did you mean 'people'?)",
        "level must be one of 1, 2 or 3, not 4",
    }


@pytest.mark.parametrize(
    ("where", "named"),
    [
        (
            ("r.start > coaching.end", "r.start <= as_of"),
            "r.start > coaching.end; r.start <= as_of; 'coaching' active: true",
        ),
        (
            ("r.start >= coaching.start + window_days", "r.start < coaching.start + 10"),
            "r.start >= coaching.start + window_days; r.start < coaching.start + 10",
        ),
        (("r.start > as_of", "r.start <= as_of"), "r.start > as_of; r.start <= as_of"),
    ],
)
def test_contradicting_date_conditions_are_an_error(tmp_path, where, named):
    (p,) = problems(tmp_path, HEAD + rule("r1", where=where))
    assert p.code == "contradiction" and p.record == "r1"
    assert p.pointer == "/rules/0/match/where/0"
    assert p.message == (
        f"rule r1: its date conditions contradict each other, so it can never fire: {named}"
    )


def test_conditions_that_leave_room_are_no_contradiction(tmp_path):
    path = tmp_path / "rs.yaml"
    path.write_text(
        HEAD + rule("r1", where=("r.start >= coaching.start + 10", "r.start <= coaching.end"))
    )
    assert [r.id for r in load_ruleset(path).rules] == ["r1"]


def test_the_contradiction_example_of_the_reference_is_reported_as_shown(tmp_path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "rulesets.md").read_text()
    block = doc.split("```yaml ruleset\n", 1)[1].split("```", 1)[0]
    (p,) = problems(tmp_path, block)
    shown = " ".join(doc.split("is reported as `", 1)[1].split("`", 1)[0].split())
    assert p.code == "contradiction" and p.message == shown
