"""The wrapper around the engine (``rules/_durable.py``), end to end, on each edge of
durable-rules 2.0.28 (shared/notes/durable-rules.md): fixed in the engine (tested on the
engine itself in ``test_engine_core.py``), or still guarded here.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
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
from dualrel.rules._durable import Engine

AS_OF = date(2026, 1, 1)


def coaching_registry(n_coaches: int, tie_ids: list[str] | None = None) -> Registry:
    people = [Person(f"co{i}", ("coach",)) for i in range(n_coaches)]
    people += [Person(f"cl{i}", ("client",)) for i in range(n_coaches)]
    ids = tie_ids or [f"t{i}" for i in range(n_coaches)]
    ties = [Tie(ids[i], "coaching", f"co{i}", f"cl{i}") for i in range(n_coaches)]
    return Registry(people=tuple(people), ties=tuple(ties), as_of=AS_OF)


# -- 32-bit fact-id hashes ------------------------------------------------------------------


def test_registry_ids_that_collide_in_the_engine_lose_nothing():
    # tie ids whose 32-bit hashes collide (the engine once refused the second)
    reg = coaching_registry(2, tie_ids=["40189", "797186"])
    report = evaluate(reg, "coaching-core")
    assert sorted(f.evidence for f in report.findings) == [("40189",), ("797186",)]


def test_a_refused_fact_raises_instead_of_being_swallowed():
    engine = Engine({"r": {"all": [{"m": {"k": "x"}}]}})
    with pytest.raises(EngineError, match="already seen"), engine.session() as s:
        s._assert(f'{{"sid":"{s.sid}","id":"40189","k":"x"}}')
        s._assert(f'{{"sid":"{s.sid}","id":"797186","k":"x"}}')  # another fact
        s._assert(f'{{"sid":"{s.sid}","id":"40189","k":"x"}}')  # the same fact again
    engine.close()


# -- live sessions: no ceiling ---------------------------------------------------------------


def test_more_live_sessions_than_the_old_ceiling_stay_apart():
    engine = Engine({"r": {"all": [{"m": {"k": "x"}}]}})
    with contextlib.ExitStack() as stack:
        sessions_ = [stack.enter_context(engine.session()) for _ in range(1_500)]
        for s in sessions_:
            s.assert_fact('"k":"x"')
        assert engine.live_sessions == 1_500
        assert all(len(s.matches) == 1 for s in sessions_)
        assert {s.matches[0][1]["m"]["sid"] for s in sessions_} == {s.sid for s in sessions_}
    assert engine.live_sessions == 0
    engine.close()


def test_thousands_of_sessions_in_one_evaluation_stay_correct(monkeypatch):
    # one session per anchor: 3,000 sessions, three times upstream's live limit

    monkeypatch.setattr(sessions, "SESSION_TIES", 1)
    reg = coaching_registry(3_000)
    report = evaluate(reg, "coaching-core")
    assert len(report.findings) == 3_000


# -- delete_state on any session ------------------------------------------------------------


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


# -- alternatives: '$or' refused by the engine, '$any' by the wrapper ------------------------


def test_no_compiled_ruleset_contains_an_or():

    for name in ("coaching-core", "icf-2020", "counselling-windows"):
        text = json.dumps(prepare(name)[0].definition)
        assert "$or" not in text and "$any" not in text


def test_the_engine_refuses_an_or():
    with pytest.raises(EngineError, match=r"alternatives \('\$or'\)"):
        Engine({"r": {"all": [{"m": {"$or": [{"k": "a"}, {"k": "b"}]}}]}})


def test_the_wrapper_refuses_an_any_group():
    with pytest.raises(EngineError, match=r"alternatives \('\$any'\)"):
        Engine({"r": {"all": [{"m$any": [{"a": {"k": "a"}}, {"b": {"k": "b"}}]}]}})


def test_no_compiled_ruleset_contains_a_regular_expression():
    for ref in (
        "coaching-core",
        "icf-2020",
        "counselling-windows",
        "tests/rules/data/language.yaml",
    ):
        text = json.dumps(prepare(ref)[0].definition)
        assert "$mt" not in text and "$imt" not in text


@pytest.mark.parametrize(("op", "value"), [("$mt", "b"), ("$imt", "B")])
def test_regular_expressions_are_accepted_and_match(op, value):
    engine = Engine({"r": {"all": [{"m": {op: {"k": "a|b"}}}]}})
    assert len(engine.run(['"k":"a"', f'"k":"{value}"', '"k":"c"'])) == 2
    engine.close()


def test_engines_built_and_closed_in_a_loop_do_not_grow_the_process():
    # with '$mt' alternatives each coaching-core engine left 1.1 MB behind (330 MB here)
    # until the engine freed its regular expressions; the compiler emits none (flags instead)
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
