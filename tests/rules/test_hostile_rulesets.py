"""Rulesets built to break a check (issue 21: D6, D8, D16): each is refused, located, before
it reaches the engine, or runs and finds what the oracle finds."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from dualrel import load_registry
from dualrel.errors import EngineError, InvalidArgument, RulesetError
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import compile_ruleset, evaluate, load_ruleset
from dualrel.rules._durable import Engine
from dualrel.testing._cases import read_case_files
from tests.cli.util import assert_input_error, run
from tests.oracle import oracle
from tests.rules.test_oracle_differential import engine_matches

EXAMPLE = Path(__file__).parents[2] / "examples" / "practice.json"
HEAD = 'id: t-hostile\nversion: "1"\ntitle: Hostile\n'


def rule(rid: str, *, ties: str, where: str = "[]", people: str = "{coach: {}, client: {}}") -> str:
    return f"""\
  - id: {rid}
    title: Rule {rid}
    category: c
    severity: high
    level: 2
    remediation: [{{action: Assess, within_days: 14, owner: manager}}]
    match:
      people: {people}
      ties:
{ties}
      where: {where}
"""


ROMANCE = """\
        - {as: coaching, kind: coaching, from: coach, to: client}
        - {as: other, kind: romance, between: [coach, client]}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path | str, **kwargs: object) -> list:
    with pytest.raises(RulesetError) as info:
        compile_ruleset(load_ruleset(path, **kwargs))  # type: ignore[arg-type]
    return list(info.value.problems)


# -- D6: rules beyond the engine's old fixed limits run, and find what the oracle finds ------


@pytest.mark.parametrize("n", [65, 300, 600])
def test_many_rules_reading_one_tie_kind_find_what_the_oracle_finds(tmp_path, n):
    # 65: the alpha stack of 64 (error 303); 300: 256 beta nodes on one alpha node (108);
    # 600: 512 successors of one alpha node (a hang)
    rules = "".join(
        rule(f"r{i}", ties=ROMANCE, where=f'["other.start <= coaching.end + {i}"]')
        for i in range(n)
    )
    rs = load_ruleset(write(tmp_path, "many.yaml", HEAD + "rules:\n" + rules))
    reg = load_registry(EXAMPLE)
    found = engine_matches(evaluate(reg, rs))
    assert len({name for name, _, _ in found}) > n // 2  # the test means something
    assert found == oracle(rs, reg, reg.as_of)


def _chain(n: int) -> str:
    people = "{" + ", ".join(f"v{i}: {{}}" for i in range(n + 1)) + "}"
    ties = "".join(f"        - {{kind: friendship, between: [v{i}, v{i + 1}]}}\n" for i in range(n))
    return HEAD + "rules:\n" + rule("chain", ties=ties, people=people)


def _chain_registry(n: int) -> Registry:
    people = tuple(Person(f"p{i}", ("client",)) for i in range(n + 1))
    ties = tuple(Tie(f"f{i}", "friendship", f"p{i}", f"p{i + 1}") for i in range(n))
    return Registry(people=people, ties=ties, as_of=date(2026, 1, 1))


def test_a_chain_of_sixteen_tie_clauses_runs_and_finds_every_chain(tmp_path):
    # (the oracle enumerates assignments clause by clause: too slow for sixteen clauses)
    rs = load_ruleset(write(tmp_path, "c16.yaml", _chain(16)))
    found = evaluate(_chain_registry(20), rs).findings
    windows = {frozenset(f"f{i}" for i in range(k, k + 16)) for k in range(5)}
    assert {frozenset(f.evidence) for f in found} == windows


@pytest.mark.parametrize("n", [17, 18])
def test_a_match_joining_more_facts_than_the_engine_holds_is_refused_located(tmp_path, n):
    # ruleset-18/19-clauses.yaml: lint passed, check failed with engine error 304
    path = write(tmp_path, "chain.yaml", _chain(n))
    (p,) = refused(path)
    assert (p.code, p.file, p.pointer, p.record) == (
        "too-many-clauses",
        str(path),
        "/rules/0/match",
        "chain",
    )
    assert p.line == 5 and f"joins {n} facts" in p.message and "at most 16" in p.message
    assert_input_error(run("check", "-r", path, EXAMPLE), f"{path}:5", "too-many-clauses")
    # lint reports it beside the authoring problems (this rule cites nothing)
    lint = run("lint", path)
    assert_input_error(lint, "too-many-clauses", "missing-citation")


def test_a_rule_the_engine_refuses_to_build_is_located(tmp_path):
    # forty join tests on one clause: more than the engine's 31 (error 113)
    where = "[" + ", ".join(f'"other.start <= coaching.end + {i}"' for i in range(40)) + "]"
    path = write(tmp_path, "w.yaml", HEAD + "rules:\n" + rule("wide", ties=ROMANCE, where=where))
    (p,) = refused(path)
    assert (p.code, p.pointer, p.record, p.line) == ("engine-limit", "/rules/0/match", "wide", 5)
    assert "engine error 113" in p.message


def test_an_engine_error_names_the_rule_it_comes_from():
    facts = {f"c{i}": {"k": i} for i in range(17)}
    engine = Engine({"r0_0": {"all": [{a: t} for a, t in facts.items()]}}, {"r0_0": "rs/chain"})
    with (
        pytest.raises(EngineError, match=r"rs/chain: a match joining more than 16 facts"),
        engine.session() as s,
    ):
        for i in range(17):
            s.assert_fact(f'"k":{i}')
    engine.close()
    with pytest.raises(EngineError, match=r"cannot build rule\(s\) rs/wide: too many tests"):
        joins = [{"$lte": {"v": {"a": "v"}}} for _ in range(40)]
        Engine({"w_0": {"all": [{"a": {"k": 1}}, {"b": {"$and": joins}}]}}, {"w_0": "rs/wide"})


def test_an_empty_kind_list_is_a_located_schema_error(tmp_path):
    ties = "        - {as: coaching, kind: [], from: coach, to: client}\n"
    path = write(tmp_path, "k.yaml", HEAD + "rules:\n" + rule("r", ties=ties))
    (p,) = refused(path)
    assert (p.code, p.pointer) == ("schema", "/rules/0/match/ties/0/kind")
    assert "at least 1 item" in p.message


# -- D8: no NaN or infinity anywhere -------------------------------------------------------


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
@pytest.mark.parametrize(
    ("where", "pointer"),
    [
        ("parameters: {{window: {v}}}\n", "/parameters/window"),
        ("parameters: {{window: {{value: {v}}}}}\n", "/parameters/window/value"),
    ],
)
def test_a_non_finite_parameter_is_refused(tmp_path, value, where, pointer):
    # ruleset-param-nan.yaml: NaN passed lint and every window matched
    text = HEAD + where.format(v=value) + "rules:\n"
    text += rule("r", ties=ROMANCE, where='["other.start <= coaching.end + window"]')
    (p,) = refused(write(tmp_path, "p.yaml", text))
    assert (p.code, p.pointer, p.line) == ("schema", pointer, 4)
    assert "finite number" in p.message


THRESHOLD = (
    "        - {{kind: coaching, from: coach, to: client, attributes: {{hours: {{{t}: .nan}}}}}}\n"
)


@pytest.mark.parametrize("test", ["at_least", "equals"])
def test_a_non_finite_threshold_is_refused(tmp_path, test):
    text = HEAD + "rules:\n" + rule("r", ties=THRESHOLD.format(t=test))
    found = refused(write(tmp_path, "t.yaml", text))
    pointer = f"/rules/0/match/ties/0/attributes/hours/{test}"
    assert [(p.code, p.pointer) for p in found] == [("schema", pointer)]


def test_a_non_finite_override_parameter_is_refused(tmp_path):
    base = HEAD + "parameters: {window: 10}\nrules:\n"
    base += rule("r", ties=ROMANCE, where='["other.start <= coaching.end + window"]')
    write(tmp_path, "base.yaml", base)
    child = 'id: child\nversion: "1"\ntitle: C\nextends: base.yaml\n'
    child += "overrides: {r: {parameters: {window: .nan}}}\n"
    (p,) = refused(write(tmp_path, "child.yaml", child))
    assert (p.code, p.pointer) == ("schema", "/overrides/r/parameters/window")


@pytest.mark.parametrize("value", [math.nan, math.inf, "30"])
def test_the_api_refuses_parameters_that_are_not_finite_numbers(value):
    with pytest.raises(InvalidArgument, match="window"):
        load_ruleset("coaching-core", parameters={"window": value})


def test_a_case_file_with_a_non_finite_parameter_is_refused(tmp_path):
    path = write(
        tmp_path,
        "cases.yaml",
        "ruleset: coaching-core\nparameters: {x: .nan}\ncases:\n"
        "  - {name: c, people: [{id: a, roles: [coach]}], expect_none: true}\n",
    )
    _, found = read_case_files([path])
    assert [(p.code, p.pointer) for p in found] == [("schema", "/parameters/x")]


def test_an_offset_of_too_many_digits_is_refused_not_read_as_infinity(tmp_path):
    where = '["other.start <= coaching.end + ' + "9" * 400 + '"]'
    (p,) = refused(
        write(tmp_path, "o.yaml", HEAD + "rules:\n" + rule("r", ties=ROMANCE, where=where))
    )
    assert (p.code, p.pointer) == ("out-of-range", "/rules/0/match/where/0")
    assert "finite" in p.message


# -- D16: extends reads only shipped rulesets and files in the ruleset's folder ----------------


SECRET = "db_password: hunter2\napi_token: s3cr3t\n"


def _extending(folder: Path, base: str) -> Path:
    return write(folder, "rs/top.yaml", f"id: top\nversion: '1'\ntitle: T\nextends: {base}\n")


@pytest.mark.parametrize("base", ["../secret.yaml", "SECRET_ABSOLUTE", "link.yaml"])
def test_extends_outside_the_rulesets_folder_is_refused_unread(tmp_path, base):
    secret = write(tmp_path, "secret.yaml", SECRET)
    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "link.yaml").symlink_to(secret)  # a link inside leading outside
    path = _extending(tmp_path, str(secret) if base == "SECRET_ABSOLUTE" else base)
    found = refused(path)
    assert [(p.code, p.file, p.pointer, p.line) for p in found] == [
        ("extends-outside", str(path), "/extends", 4)
    ]
    assert "--extends-from" in found[0].message
    proc = run("lint", path)
    assert_input_error(proc, "extends-outside")
    for word in ("db_password", "api_token", "hunter2"):
        assert word not in proc.stderr + proc.stdout


def test_extends_reads_a_subfolder_and_a_folder_allowed_explicitly(tmp_path):
    base = HEAD.replace("t-hostile", "base") + "rules:\n" + rule("r", ties=ROMANCE)
    write(tmp_path, "rs/sub/base.yaml", base)
    assert [r.id for r in load_ruleset(_extending(tmp_path, "sub/base.yaml")).rules] == ["r"]
    write(tmp_path, "shared/base.yaml", base)
    path = _extending(tmp_path, "../shared/base.yaml")
    assert refused(path)[0].code == "extends-outside"
    rs = load_ruleset(path, extends_from=[tmp_path / "shared"])
    assert [r.id for r in rs.rules] == ["r"]
    registry = write(tmp_path, "reg.json", EXAMPLE.read_text())
    proc = run("check", registry, "-r", path, "--extends-from", tmp_path / "shared")
    assert proc.returncode in (0, 1), proc.stderr
    with pytest.raises(InvalidArgument):
        load_ruleset(path, extends_from=str(tmp_path))  # type: ignore[arg-type]
