"""Each sharp edge of durable-rules 2.0.28 (shared/notes/durable-rules.md), made unreachable.

Every test here fails if the guard it names is removed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import threading
from datetime import date
from pathlib import Path

import pytest

import dualrel.rules._durable as d
import dualrel.rules._sessions as sessions
import dualrel.rules.engine as eng
from dualrel.errors import EngineError
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import compile_ruleset, evaluate, load_ruleset, prepare
from dualrel.rules._durable import MAX_LIVE_SESSIONS, Engine, fnv1a32, safe_ids

AS_OF = date(2026, 1, 1)


def coaching_registry(n_coaches: int, tie_ids: list[str] | None = None) -> Registry:
    people = [Person(f"co{i}", ("coach",)) for i in range(n_coaches)]
    people += [Person(f"cl{i}", ("client",)) for i in range(n_coaches)]
    ids = tie_ids or [f"t{i}" for i in range(n_coaches)]
    ties = [Tie(ids[i], "coaching", f"co{i}", f"cl{i}") for i in range(n_coaches)]
    return Registry(people=tuple(people), ties=tuple(ties), as_of=AS_OF)


# -- 32-bit fact-id hashes ------------------------------------------------------------------


def test_the_engine_hash_really_collides_on_the_measured_pair():
    assert fnv1a32("40189") == fnv1a32("797186")


def test_safe_ids_skip_every_collision_in_a_long_range():
    ids = safe_ids(800_000)
    assert len({fnv1a32(i) for i in ids}) == len(ids)
    # "797186" collides with "40189", which comes first: the sequence must skip it
    assert "40189" in ids and "797186" not in ids
    assert ids[-1] != str(len(ids))


def test_registry_ids_that_collide_in_the_engine_lose_nothing():
    # tie ids whose hashes collide never reach the engine as fact ids
    reg = coaching_registry(2, tie_ids=["40189", "797186"])
    report = evaluate(reg, "coaching-core")
    assert sorted(f.evidence for f in report.findings) == [("40189",), ("797186",)]


def test_a_refused_fact_raises_instead_of_being_swallowed():
    engine = Engine({"r": {"all": [{"m": {"k": "x"}}]}})
    with pytest.raises(EngineError, match="already seen"), engine.session() as s:
        s._assert(f'{{"sid":"{s.sid}","id":"40189","k":"x"}}')
        s._assert(f'{{"sid":"{s.sid}","id":"797186","k":"x"}}')
    engine.close()


# -- at most 1,024 live sessions ------------------------------------------------------------


def test_live_sessions_are_capped_far_below_the_engine_limit():
    engine = Engine({"r": {"all": [{"m": {"k": "x"}}]}})
    opened = []
    with pytest.raises(EngineError, match="live sessions"):
        for _ in range(MAX_LIVE_SESSIONS + 1):
            cm = engine.session()
            cm.__enter__()
            opened.append(cm)
    assert engine.live_sessions == MAX_LIVE_SESSIONS
    for cm in reversed(opened):
        cm.__exit__(None, None, None)
    assert engine.live_sessions == 0
    engine.close()


def test_thousands_of_sessions_in_one_evaluation_stay_correct(monkeypatch):
    # one session per anchor: 3,000 sessions, three times the engine's live limit

    monkeypatch.setattr(sessions, "SESSION_TIES", 1)
    reg = coaching_registry(3_000)
    report = evaluate(reg, "coaching-core")
    assert len(report.findings) == 3_000


# -- the crash in delete_state --------------------------------------------------------------


def test_deleting_sessions_where_nothing_fired_does_not_crash():
    # a crash kills the interpreter, so run it in a child process
    code = textwrap.dedent(
        """
        from dualrel.rules._durable import Engine
        engine = Engine({"r": {"all": [{"m": {"k": "never"}}]}})
        for _ in range(500):
            with engine.session() as s:
                s.assert_fact('"k":"other"')   # matches nothing: no rule fires
        engine.close()
        print("survived")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "survived"


# -- batch asserts whose actions run late ---------------------------------------------------


def test_all_findings_are_there_when_evaluate_returns_and_no_thread_is_left():
    threads = threading.active_count()
    reg = coaching_registry(200)
    report = evaluate(reg, "coaching-core")
    assert len(report.findings) == 200
    assert threading.active_count() == threads  # durable's Host (and its timers) never start


def test_batch_assert_is_never_used():

    source = Path(d.__file__).read_text()
    assert "assert_facts(" not in source and "post_batch" not in source


# -- the wrong '|' operator -----------------------------------------------------------------


def test_no_compiled_ruleset_contains_an_or():

    for name in ("coaching-core", "icf-2020", "counselling-windows"):
        text = json.dumps(prepare(name)[0].definition)
        assert "$or" not in text and "$any" not in text


def test_the_engine_refuses_an_or():
    with pytest.raises(EngineError, match="alternatives"):
        Engine({"r": {"all": [{"m": {"$or": [{"k": "a"}, {"k": "b"}]}}]}})


def test_no_compiled_ruleset_contains_a_regular_expression():
    for ref in (
        "coaching-core",
        "icf-2020",
        "counselling-windows",
        "tests/rules/data/language.yaml",
    ):
        text = json.dumps(prepare(ref)[0].definition)
        assert "$mt" not in text and "$imt" not in text


@pytest.mark.parametrize("op", ["$mt", "$imt"])
def test_the_engine_refuses_a_regular_expression(op):
    with pytest.raises(EngineError, match="regular expressions"):
        Engine({"r": {"all": [{"m": {op: {"k": "a|b"}}}]}})


def test_engines_built_and_closed_in_a_loop_do_not_grow_the_process():
    # with '$mt' alternatives each coaching-core engine left 1.1 MB behind (330 MB here)
    code = textwrap.dedent("""
        import resource
        from dualrel.rules import compile_ruleset, load_ruleset
        from dualrel.rules._durable import Engine
        definitions = [compile_ruleset(load_ruleset(name)).definition
                       for name in ("coaching-core", "icf-2020", "counselling-windows")]
        def peak_kb():
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for d in definitions:
            Engine(d).close()
        before = peak_kb()
        for _ in range(100):
            for d in definitions:
                engine = Engine(d)
                engine.run([])
                engine.close()
        print(peak_kb() - before)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert int(out.stdout) < 20_000, f"grew by {out.stdout.strip()} KB over 300 engines"


def test_alternatives_give_exactly_the_right_matches():
    # the notes' case: two coaching ties, one romance, one unrelated business tie: one match
    people = tuple(Person(p) for p in ("co", "cl", "cl2", "x", "y"))
    ties = (
        Tie("c1", "coaching", "co", "cl"),
        Tie("c2", "coaching", "co", "cl2"),
        Tie("r", "romance", "co", "cl"),
        Tie("b", "business", "x", "y"),
    )
    report = evaluate(Registry(people=people, ties=ties, as_of=AS_OF), "coaching-core")
    romance = [f for f in report.findings if f.rule == "romance-active-client"]
    assert [f.evidence for f in romance] == [("c1", "r")]


# -- ruleset names: isolation ---------------------------------------------------------------


def test_the_same_ruleset_compiles_many_times_in_one_process():
    rs = load_ruleset("coaching-core")
    reg = coaching_registry(2)
    counts = {len(evaluate(reg, compile_ruleset(rs)).findings) for _ in range(50)}
    assert counts == {2}


def test_parallel_evaluation_gives_the_same_report(monkeypatch):

    monkeypatch.setattr(eng, "_PARALLEL_MIN_KEYS", 0)
    monkeypatch.setattr(eng, "_PARALLEL_MIN_TIES", 0)
    monkeypatch.setattr(sessions, "SESSION_TIES", 5)
    reg = coaching_registry(300)
    assert evaluate(reg, "coaching-core", jobs=2) == evaluate(reg, "coaching-core")
    with pytest.raises(TypeError, match="jobs"):
        evaluate(reg, "coaching-core", jobs=0)


# -- negation that does not retract (found here, not in the notes) --------------------------


def test_a_veto_asserted_after_the_match_still_vetoes(tmp_path):
    # facts go in sorted by tie id: the supervision tie ("t2") arrives after the coaching
    # tie ("t1") it vetoes
    rs = tmp_path / "neg.yaml"
    rs.write_text(
        'id: neg\nversion: "1"\ntitle: t\nrules:\n  - id: unsupervised\n    title: t\n'
        "    category: t\n    severity: low\n    level: 1\n"
        "    remediation: [{action: a, within_days: 1, owner: coach}]\n"
        "    match:\n      people: {coach: {}, client: {}, anyone: {}}\n      ties:\n"
        "        - {kind: coaching, from: coach, to: client}\n"
        "        - {kind: supervision, from: anyone, to: coach, exists: false}\n"
    )
    people = tuple(Person(p) for p in ("co", "cl", "sup"))
    vetoed = Registry(
        people=people,
        as_of=AS_OF,
        ties=(Tie("t1", "coaching", "co", "cl"), Tie("t2", "supervision", "sup", "co")),
    )
    assert evaluate(vetoed, load_ruleset(rs)).findings == ()
    alone = Registry(people=people, as_of=AS_OF, ties=(Tie("t1", "coaching", "co", "cl"),))
    assert len(evaluate(alone, load_ruleset(rs)).findings) == 1


# -- the short-circuit that reads past the end of a join group ----------------------------


def _reads(test, aliases):
    """Does ``test`` read a field of one of ``aliases`` (``{alias: field}`` anywhere)?"""
    if isinstance(test, dict):
        return any(
            (k in aliases and isinstance(v, str)) or _reads(v, aliases) for k, v in test.items()
        )
    return isinstance(test, list) and any(_reads(t, aliases) for t in test)


@pytest.mark.parametrize(
    "ref", ["coaching-core", "icf-2020", "counselling-windows", "tests/rules/data/language.yaml"]
)
def test_no_join_group_handed_to_the_engine_ends_in_a_test_that_can_fail(ref):
    engine = Engine(compile_ruleset(load_ruleset(ref)).definition)
    try:
        joins = 0
        for rule in engine.definition.values():
            bound: set[str] = set()
            for clause in rule["all"]:
                ((alias, condition),) = clause.items()
                tests = condition.get("$and", [condition])
                if _reads(tests[:-1], bound):
                    joins += 1
                    assert tests[-1] == {
                        "$lte": {"__j__": {next(iter(tests[-1]["$lte"]["__j__"])): "__j__"}}
                    }, clause
                    assert next(iter(tests[-1]["$lte"]["__j__"])) in bound
                bound.add(alias)
        assert joins > 0
    finally:
        engine.close()


_PROBE = textwrap.dedent("""
    import sys
    from dualrel.rules import _durable
    if sys.argv[1] == "off":
        _durable.guard_joins = lambda definition: dict(definition)
    definition = {"r": {"all": [{"a": {"k": "x"}},
                                {"b": {"$and": [{"k": "y"}, {"$neq": {"s": {"a": "s"}}}]}}]}}
    engine = _durable.Engine(definition)
    found = engine.run(['"k":"x","s":1', '"k":"y","s":2', '"k":"y","s":1'])
    print("matches", len(found))
""")


@pytest.mark.large
def test_a_failing_last_join_test_never_makes_the_engine_read_past_its_group(tmp_path):
    """Build the C core with a bounds check on the short-circuit scan, then run one join
    whose last test fails: the bare core trips the check, the guarded wrapper never does."""
    env = {**os.environ, "PYTHONPATH": str(build_bounds_checked_engine(tmp_path))}

    def probe(guard: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _PROBE, guard],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    bare = probe("off")
    assert bare.returncode != 0 and "read past the end of a group" in bare.stderr
    guarded = probe("on")
    assert guarded.returncode == 0, guarded.stderr
    assert guarded.stdout.split() == ["matches", "1"]


def build_bounds_checked_engine(out):
    """durable-rules' C sources from the sdist `./dev` keeps in the venv, with an abort
    where the short-circuit scan of ``reduceExpressionSequence`` passes its group's end."""
    sdists = sorted((Path(sys.prefix) / "sdist").glob("durable_rules-2.0.28.tar.gz"))
    assert sdists, (
        "the durable-rules 2.0.28 source archive is missing: run `./dev setup` "
        "(it downloads it into .venv/sdist) or `pip download --no-deps "
        "--no-binary :all: durable-rules==2.0.28 -d .venv/sdist`"
    )
    with tarfile.open(sdists[0]) as tar:
        tar.extractall(out, filter="data")
    src = out / "durable_rules-2.0.28" / "src"
    events = src / "rules" / "events.c"
    scan = "            while (currentExpression->operator != OP_END) {\n                ++*i;\n"
    text = events.read_text()
    assert text.count(scan) == 1
    events.write_text(
        text.replace(
            scan,
            scan
            + (
                '                if (*i >= exprs->length) { fprintf(stderr, "read past the end '
                'of a group\\n"); abort(); }\n'
            ),
        )
    )
    events.write_text("#include <stdio.h>\n#include <stdlib.h>\n" + events.read_text())
    target = out / "ext"
    target.mkdir()
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    sources = [src / "rulespy" / "rules.c"] + [
        src / "rules" / f"{name}.c" for name in ("json", "rete", "state", "events", "regex")
    ]
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-O1",
            "-std=c99",
            "-D_GNU_SOURCE",
            "-fcommon",
            "-DPyEval_CallObject=PyObject_CallObject",
            "-w",
            f"-I{sysconfig.get_paths()['include']}",
            f"-I{src / 'rules'}",
            *map(str, sources),
            "-o",
            str(target / f"durable_rules_engine{suffix}"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target
