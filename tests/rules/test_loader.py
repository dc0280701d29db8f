"""Loading rulesets: every problem located (file, line, rule), all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualrel import Citation
from dualrel.errors import RulesetError
from dualrel.rules import load_ruleset, shipped_rulesets

RULE = """\
  - id: {id}
    title: A rule
    category: test
    severity: high
    level: 2
    remediation:
      - {{action: Act, within_days: 7, owner: manager}}
    match:
      people: {{coach: {{}}, client: {{}}}}
      ties:
        - {{as: coaching, kind: {kind}, from: coach, to: {to}, active: true}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def header(rid: str = "mine", extra: str = "") -> str:
    return f'id: {rid}\nversion: "1"\ntitle: Test\n{extra}rules:\n'


def problems(path: Path | str) -> list:
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    return list(info.value.problems)


def test_shipped_rulesets_load_and_have_rules():
    assert set(shipped_rulesets()) >= {"coaching-core", "icf-2020", "counselling-windows"}
    for name in shipped_rulesets():
        assert load_ruleset(name).rules


def test_all_problems_reported_at_once_with_lines_and_rule_ids(tmp_path):
    text = (
        header()
        + RULE.format(id="r1", kind="coachng", to="client")
        + RULE.format(id="r2", kind="coaching", to="clinet")
    )
    path = write(tmp_path, "rs.yaml", text)
    found = problems(path)
    by_code = {p.code: p for p in found}
    assert set(by_code) >= {"unknown-kind", "unknown-variable"}
    kind = by_code["unknown-kind"]
    assert kind.file == str(path) and kind.record == "r1" and kind.line == 15
    assert "did you mean 'coaching'" in kind.message
    var = by_code["unknown-variable"]
    assert var.record == "r2" and var.line == 26 and "did you mean 'client'" in var.message


def test_schema_errors_name_the_field_and_line(tmp_path):
    text = header() + RULE.format(id="r1", kind="coaching", to="client").replace(
        "severity: high", "severity: huge"
    ).replace("level: 2", "level: 5")
    found = problems(write(tmp_path, "rs.yaml", text))
    fields = {(p.field, p.line) for p in found}
    assert ("severity", 8) in fields and ("level", 9) in fields
    assert all(p.record == "r1" for p in found)


def test_unknown_field_is_reported(tmp_path):
    text = header() + RULE.format(id="r1", kind="coaching", to="client").replace(
        "category: test", "category: test\n    colour: red"
    )
    (p,) = problems(write(tmp_path, "rs.yaml", text))
    assert p.code == "schema" and "unknown field 'colour'" in p.message and p.line == 8


def test_malformed_yaml_is_located(tmp_path):
    (p,) = problems(write(tmp_path, "rs.yaml", "id: x\nrules: [\n  - a: b\n"))
    assert p.code == "malformed" and p.line is not None


def test_unknown_parameter_in_where_suggests(tmp_path):
    text = (
        header(extra="parameters:\n  window_days: 30\n")
        + RULE.format(id="r1", kind="coaching", to="client")
        + "      where:\n        - coaching.start <= as_of + windw_days\n"
    )
    (p,) = problems(write(tmp_path, "rs.yaml", text))
    assert p.code == "unknown-parameter" and "did you mean 'window_days'" in p.message
    assert p.line == 19


def test_where_syntax_error_explains_the_grammar(tmp_path):
    text = (
        header()
        + RULE.format(id="r1", kind="coaching", to="client")
        + ("      where:\n        - __import__('os').system('true')\n")
    )
    (p,) = problems(write(tmp_path, "rs.yaml", text))
    assert p.code == "where-syntax" and "<clause>.<field> <op> <clause>.<field>" in p.message


def test_undirected_kind_with_from_to_is_refused(tmp_path):
    text = header() + RULE.format(id="r1", kind="romance", to="client")
    (p,) = problems(write(tmp_path, "rs.yaml", text))
    assert p.code == "undirected-kind" and "between" in p.message


def test_extends_cycle_is_reported(tmp_path):
    for name, base, rid in (("a", "b", "r1"), ("b", "a", "r2")):
        write(
            tmp_path,
            f"{name}.yaml",
            header(name, f"extends: {base}.yaml\n")
            + RULE.format(id=rid, kind="coaching", to="client"),
        )
    found = problems(tmp_path / "a.yaml")
    assert [p.code for p in found] == ["extends-cycle"]
    assert "a.yaml -> b.yaml -> a.yaml" in found[0].message


def test_extends_unknown_ruleset_suggests_a_shipped_one(tmp_path):
    (p,) = problems(write(tmp_path, "a.yaml", header("a", "extends: coaching-cor\n")))
    assert p.code == "unknown-ruleset" and "coaching-core" in p.message and p.line == 4


def test_override_of_unknown_rule_suggests(tmp_path):
    text = header("a", "extends: coaching-core\noverrides:\n  romance-activ-client: {level: 1}\n")
    (p,) = problems(write(tmp_path, "a.yaml", text))
    assert p.code == "unknown-rule" and "romance-active-client" in p.message and p.line == 6


def test_overrides_change_level_severity_parameters_and_disable(tmp_path):
    text = header(
        "a",
        "extends: coaching-core\noverrides:\n"
        "  romance-former-client: {level: 3, severity: critical,\n"
        "                          parameters: {former_client_window_days: 10}}\n"
        "  coaching-without-agreement: {enabled: false}\n",
    )
    rs = load_ruleset(write(tmp_path, "a.yaml", text))
    rule = rs.rule("romance-former-client")
    window = rule.parameters["former_client_window_days"]
    assert (rule.level, rule.severity, window) == (3, "critical", 10)
    assert "coaching-without-agreement" not in {r.id for r in rs.rules}
    assert rs.disabled == ("coaching-without-agreement",)
    assert rs.extends == ("coaching-core",)


def test_redefining_an_inherited_rule_is_an_error(tmp_path):
    text = header("a", "extends: coaching-core\n") + RULE.format(
        id="romance-active-client", kind="coaching", to="client"
    )
    (p,) = problems(write(tmp_path, "a.yaml", text))
    assert p.code == "duplicate-rule" and "overrides" in p.message


def test_caller_parameters_override_and_unknown_ones_are_refused():
    rs = load_ruleset("coaching-core", parameters={"former_client_window_days": 5})
    assert rs.rule("romance-former-client").parameters["former_client_window_days"] == 5
    with pytest.raises(RulesetError, match="did you mean 'former_client_window_days'"):
        load_ruleset("coaching-core", parameters={"former_client_window_day": 5})


def test_unknown_shipped_name_lists_the_shipped_ones():
    with pytest.raises(RulesetError, match="did you mean 'coaching-core'"):
        load_ruleset("coaching-cor")


def test_disconnected_and_unbound_patterns_are_refused(tmp_path):
    text = (
        header()
        + """\
  - id: r1
    title: A rule
    category: test
    severity: low
    level: 1
    remediation: [{action: Act, within_days: 1, owner: coach}]
    match:
      people: {a: {}, b: {}, c: {}, d: {}, e: {}}
      ties:
        - {kind: coaching, from: a, to: b}
        - {kind: coaching, from: c, to: d}
"""
    )
    codes = {p.code for p in problems(write(tmp_path, "rs.yaml", text))}
    assert codes == {"disconnected", "unbound-variable"}


def test_an_alias_bomb_fails_fast(tmp_path):
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    (p,) = problems(write(tmp_path, "rs.yaml", bomb))
    assert p.code == "too-large"


def test_python_tags_are_never_constructed(tmp_path):
    (p,) = problems(write(tmp_path, "rs.yaml", "id: !!python/object/apply:os.system ['true']\n"))
    assert p.code == "malformed"


@pytest.mark.parametrize(
    ("citations", "expected"),
    [
        ("[{code: ICF}]", ["missing required field 'clause'"]),
        ("[{code: ICF, clause: '1', page: 3}]", ["unknown field 'page'"]),
        (
            "[{code: '', clause: ''}]",
            ["clause must not be empty", "code must not be empty"],
        ),
        ("[{code: 12, clause: 3}]", ["code must be text, not a number"]),
        (
            "[ICF 24]",
            [
                'a citation must be a mapping such as {code: ICF-2020, clause: "24"}, not text or '
                "a number"
            ],
        ),
        (
            "{code: ICF, clause: '1'}",
            ["citations must be a list ([a, b], or one '- ' line per item), not a mapping"],
        ),
        # YAML made a mapping of unquoted text with ': '
        (
            "[ICF: 24]",
            [
                "missing required field 'code'",
                "missing required field 'clause'",
                "unknown field 'ICF' (YAML reads unquoted text containing ': ' as a mapping: "
                "put the text in quotes)",
            ],
        ),
    ],
)
def test_bad_citations_are_said_in_our_words(tmp_path, citations, expected):
    """One Citation class for rulesets and findings; errors in words, not pydantic's."""
    rule = RULE.format(id="r1", kind="coaching", to="client")
    text = header() + rule.replace(
        "    remediation:", f"    citations: {citations}\n    remediation:"
    )
    found = problems(write(tmp_path, "rs.yaml", text))
    assert sorted(p.message for p in found) == sorted(expected)
    assert {(p.code, p.record, p.line) for p in found} == {("schema", "r1", 10)}


def test_citations_are_the_findings_class(tmp_path):
    rule = RULE.format(id="r1", kind="coaching", to="client")
    text = header() + rule.replace(
        "    remediation:", "    citations: [{code: ICF, clause: 24}]\n    remediation:"
    )
    (r,) = load_ruleset(write(tmp_path, "rs.yaml", text)).rules
    assert r.citations == (Citation("ICF", "24"),) and type(r.citations[0]) is Citation
