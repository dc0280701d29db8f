"""The engine's C core (``dualrel._rete``, ``csrc/durable``) on its own, below the wrapper.

Each test pins one of durable-rules 2.0.28's defects as fixed at its root (``docs/engine.md``
lists the patches): every one fails on the unpatched sources.  Tests that crashed the
unpatched core run their probe in a child process, so a crash is a failure, not the end of
the test run.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel import _rete
from tests.rules import engine_build
from tests.rules.engine_build import CSRC, SANITIZED, build_engine

_names = itertools.count()
_OK, _NOT_HANDLED = 0, 1


@contextmanager
def ruleset(definition: dict[str, Any]) -> Iterator[int]:
    handle = _rete.create_ruleset(f"core-{next(_names)}", json.dumps(definition))
    try:
        yield handle
    finally:
        _rete.delete_ruleset(handle)


def assert_fact(handle: int, fact: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """Assert ``fact``; its result code and the matches it fired (every action drained)."""
    code, state = _rete.assert_fact(handle, json.dumps(fact))
    matches = []
    started = _rete.start_action_for_state(handle, state) if code == _OK else None
    while started:
        matches.append(json.loads(started[1]))
        nxt = _rete.complete_and_start_action(handle, state)
        started = (started[0], nxt) if nxt else None
    return code, matches


def run_child(code: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child Python with this one's path: a crash there fails the test."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- fact and session identity: exact ids, not 32-bit hashes ----------------------------------

ONE_RULE = {"r": {"all": [{"m": {"k": 1}}]}}
#: distinct ids whose 32-bit FNV-1a hashes (the engine's) are equal
COLLIDING = ("40189", "797186")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet="0123456789abcdef-", min_size=1, max_size=7), unique=True, max_size=40
    )
)
def test_no_fact_with_a_distinct_id_is_ever_refused(ids):
    ids = [*COLLIDING, *(i for i in ids if i not in COLLIDING)]
    with ruleset(ONE_RULE) as handle:
        fired = []
        for fid in ids:
            code, matches = assert_fact(handle, {"sid": "1", "id": fid, "k": 1})
            assert code == _OK, fid
            fired += [m["r"]["m"]["id"] for m in matches]
        assert fired == ids
        # the same id again is the same fact: refused as already seen
        assert assert_fact(handle, {"sid": "1", "id": ids[1], "k": 1}) == (2, [])


def test_sessions_whose_ids_collide_are_two_sessions():
    with ruleset(ONE_RULE) as handle:
        for sid in COLLIDING:
            code, matches = assert_fact(handle, {"sid": sid, "id": "7", "k": 1})
            assert (code, [m["r"]["m"]["sid"] for m in matches]) == (_OK, [sid])
        _rete.delete_state(handle, COLLIDING[0])
        # the other session is still there, its fact still stored
        assert assert_fact(handle, {"sid": COLLIDING[1], "id": "7", "k": 1}) == (2, [])


# -- delete_state on any session ----------------------------------------------------------------


def test_deleting_sessions_in_which_no_rule_fired_is_safe():
    # upstream left the session's action context uninitialised and freed it on delete
    out = run_child("""
        import json
        from dualrel import _rete
        handle = _rete.create_ruleset("r", json.dumps({"r": {"all": [{"m": {"k": 1}}]}}))
        for n in range(2_000):
            sid = str(n)
            _rete.assert_fact(handle, json.dumps({"sid": sid, "id": "1", "k": 2}))
            _rete.delete_state(handle, sid)
        _rete.delete_ruleset(handle)
        print("survived")
    """)
    assert (out.returncode, out.stdout.strip()) == (0, "survived"), out.stderr[-2000:]


# -- no fixed session ceiling ---------------------------------------------------------------------


def test_a_hundred_thousand_sessions_opened_and_deleted_stay_correct():
    # upstream: a fixed index of 1,024 live sessions; the 1,025th raised MemoryError and
    # left the ruleset corrupt, and a deleted session stayed in the index
    out = run_child("""
        import json
        from dualrel import _rete
        handle = _rete.create_ruleset("r", json.dumps({"r": {"all": [{"m": {"k": 1}}]}}))
        live, opened = 2_500, 0
        for round in range(40):
            sids = [str(opened + n) for n in range(live)]
            opened += live
            for sid in sids:
                code, state = _rete.assert_fact(handle, json.dumps({"sid": sid, "id": "1", "k": 1}))
                started = _rete.start_action_for_state(handle, state)
                assert code == 0 and json.loads(started[1])["r"]["m"]["sid"] == sid
                assert _rete.complete_and_start_action(handle, state) is None
            # every live session still holds its fact; delete them in another order
            for sid in sids[::-2] + sids[-2::-2]:
                code, _ = _rete.assert_fact(handle, json.dumps({"sid": sid, "id": "1", "k": 1}))
                assert code == 2, (sid, code)
                _rete.delete_state(handle, sid)
        assert opened == 100_000
        _rete.delete_ruleset(handle)
        print("survived")
    """)
    assert (out.returncode, out.stdout.strip()) == (0, "survived"), out.stderr[-2000:]


# -- join groups: evaluated to their end, and not one expression further -------------------------


def _join_rule(tests: list[dict[str, Any]]) -> dict[str, Any]:
    return {"r": {"all": [{"a": {"k": "x"}}, {"b": {"$and": [{"k": "y"}, *tests]}}]}}


NEQ_S = {"$neq": {"s": {"a": "s"}}}
LT_V = {"$lt": {"v": {"a": "v"}}}


@pytest.mark.parametrize(
    ("tests", "b", "expected"),
    [
        # upstream stopped the outer group after its nested one: the last test was skipped
        ([{"$and": [NEQ_S]}, LT_V], {"s": 2, "v": 9}, 0),
        ([{"$and": [NEQ_S]}, LT_V], {"s": 2, "v": 1}, 1),
        ([{"$and": [NEQ_S, LT_V]}, {"$neq": {"w": {"a": "w"}}}], {"s": 2, "v": 1, "w": 0}, 0),
        ([{"$and": [NEQ_S, LT_V]}, {"$neq": {"w": {"a": "w"}}}], {"s": 2, "v": 1, "w": 1}, 1),
        # the last test of the group decides (upstream's skip then read past the group)
        ([NEQ_S, LT_V], {"s": 2, "v": 9}, 0),
        ([NEQ_S, LT_V], {"s": 1, "v": 1}, 0),
        ([NEQ_S, LT_V], {"s": 2, "v": 1}, 1),
    ],
)
def test_every_test_of_a_join_group_counts(tests, b, expected):
    with ruleset(_join_rule(tests)) as handle:
        a = {"sid": "1", "id": "a", "k": "x", "s": 1, "v": 5, "w": 0}
        assert assert_fact(handle, a) == (_OK, [])
        code, matches = assert_fact(handle, {"sid": "1", "id": "b", "k": "y", **b})
        assert (code, len(matches)) == (_OK, expected)


_GROUP_PROBE = """
    import json
    from dualrel import _rete
    rule = {"r": {"all": [{"a": {"k": "x"}},
                          {"b": {"$and": [{"k": "y"}, {"$neq": {"s": {"a": "s"}}}]}}]}}
    handle = _rete.create_ruleset("r", json.dumps(rule))
    found = 0
    for n, fact in enumerate([{"k": "x", "s": 1}, {"k": "y", "s": 2}, {"k": "y", "s": 1}]):
        code, state = _rete.assert_fact(handle, json.dumps({"sid": "1", "id": str(n), **fact}))
        started = _rete.start_action_for_state(handle, state)
        while started:
            found += 1
            nxt = _rete.complete_and_start_action(handle, state)
            started = (started[0], nxt) if nxt else None
    print("matches", found)
"""


def bounds_checked_engine(out: Path, csrc: Path = CSRC) -> Path:
    """The engine built from ``csrc`` with every read of a join's expression sequence in
    ``reduceExpressionSequence`` checked against the sequence's length (abort if past)."""
    copy = out / "csrc"
    shutil.copytree(csrc, copy)
    events = copy / "rules" / "events.c"
    text = events.read_text()
    start = text.index("static unsigned int reduceExpressionSequence(")
    end = text.index("static unsigned int getFrameHashForExpression(")
    body, reads = re.subn(
        r"exprs->expressions\[\*i\]", "(*checkedRead(exprs, *i))", text[start:end]
    )
    assert reads >= 2
    check = (
        "#include <stdio.h>\n#include <stdlib.h>\n"
        "static expression *checkedRead(expressionSequence *exprs, unsigned short i) {\n"
        "    if (i >= exprs->length) {\n"
        '        fprintf(stderr, "read past the end of a group\\n");\n'
        "        abort();\n"
        "    }\n"
        "    return &exprs->expressions[i];\n}\n"
    )
    events.write_text(text[:start] + check + body + text[end:])
    return build_engine(out / "build", csrc=copy)


@pytest.mark.large
def test_a_join_group_whose_last_test_fails_is_never_read_past_its_end(tmp_path):
    # upstream's short circuit stepped over the group's end marker when the last test
    # failed, and read on until a byte looked like one (found with AddressSanitizer)
    engine = bounds_checked_engine(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_GROUP_PROBE)],
        env={**os.environ, "PYTHONPATH": str(engine)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["matches", "1"]


# -- a join test that reads a field the earlier fact lacks ---------------------------------------


@pytest.mark.parametrize("op", ["$lt", "$neq", "$eq"])
@pytest.mark.parametrize("grouped", [True, False])
@pytest.mark.parametrize("a_first", [True, False])
def test_a_join_reading_a_missing_field_does_not_match(op, grouped, a_first):
    # upstream failed the whole assert with error 311 when the earlier fact lacked the field
    test = {"v": {"a": "v"}} if op == "$eq" else {op: {"v": {"a": "v"}}}
    rule = {"r": {"all": [{"a": {"k": "x"}}, {"b": {"$and": [{"k": "y"}, test]}}]}}
    if not grouped:
        rule = {"r": {"all": [{"a": {"k": "x"}}, {"b": test}]}}
    b_value = {"$lt": 1, "$neq": 7, "$eq": 5}[op]
    for a_value, expected in (({}, 0), ({"v": 5}, 1)):
        facts = [{"id": "a", "k": "x", **a_value}, {"id": "b", "k": "y", "v": b_value}]
        with ruleset(rule) as handle:
            fired = []
            for fact in facts if a_first else facts[::-1]:
                code, matches = assert_fact(handle, {"sid": "1", **fact})
                assert code == _OK
                fired += matches
            assert len(fired) == expected


# -- '|' ($or): refused by the engine -------------------------------------------------------------


OR_RULES = [
    # upstream: a fact passing one branch's plain test and the other branch's join test
    # matched (the network cannot tell which branch a fact came through)
    {"$or": [{"$and": [{"k": "y"}, {"s": {"a": "s"}}]}, {"$and": [{"k": "z"}, NEQ_S]}]},
    # alternatives of join tests, and of plain tests: refused alike, one rule each instead
    {"$and": [{"k": "y"}, {"$or": [{"s": {"a": "s"}}, {"v": {"a": "v"}}]}]},
    {"$or": [{"k": "y"}, {"k": "z"}]},
]


@pytest.mark.parametrize("condition", OR_RULES)
def test_the_engine_refuses_an_or(condition):
    rule = {"r": {"all": [{"a": {"k": "x"}}, {"b": condition}]}}
    with pytest.raises(_rete.error, match=r"114: alternatives \('\$or'\) are not supported"):
        _rete.create_ruleset(f"or-{next(_names)}", json.dumps(rule))


def test_a_refused_ruleset_leaves_nothing_behind():
    # upstream kept a ruleset it could not build, and its handle: 131,071 and no more
    rule = {"r": {"all": [{"a": {"$or": [{"k": "y"}, {"k": "z"}]}}]}}
    out = run_child(f"""
        import json
        from dualrel import _rete
        for _ in range(140_000):
            try:
                _rete.create_ruleset("r", {json.dumps(json.dumps(rule))})
            except _rete.error as error:
                assert "114" in str(error), error
            else:
                raise AssertionError("'$or' accepted")
        _rete.delete_ruleset(_rete.create_ruleset("r", '{{"r": {{"all": [{{"m": {{"k": 1}}}}]}}}}'))
        print("survived")
    """)
    assert (out.returncode, out.stdout.strip()) == (0, "survived"), out.stderr[-2000:]


# -- a ruleset frees everything it holds ----------------------------------------------------------


def test_rulesets_created_and_deleted_in_a_loop_do_not_grow_the_process():
    # upstream kept every compiled regular expression's graph (about 1.5 MB for the four
    # below), the state machines, and the sessions still open when the ruleset was deleted
    out = run_child("""
        import json, resource
        from dualrel import _rete
        words = "|".join(f"kind{i}" for i in range(12))
        rule = json.dumps({
            f"r{j}": {"all": [{"a": {"$mt": {"f": f"({words})x{j}"}}},
                              {"b": {"$imt": {"g": f"a{j}(b|c)*d"}}}]}
            for j in range(2)
        })
        def cycle():
            handle = _rete.create_ruleset("r", rule)
            for sid in ("1", "2", "3"):
                for n, fact in enumerate([{"f": "kind3x0"}, {"g": "A0BCD"}, {"g": "a1d"}]):
                    code, state = _rete.assert_fact(
                        handle, json.dumps({"sid": sid, "id": str(n), **fact}))
                    assert code == 0, code
            _rete.delete_ruleset(handle)   # with three sessions open
        for _ in range(5):
            cycle()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for _ in range(200):
            cycle()
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """)
    assert out.returncode == 0, out.stderr[-2000:]
    if not os.environ.get(SANITIZED):  # AddressSanitizer holds freed memory back
        assert int(out.stdout) < 20_000, f"grew by {out.stdout.strip()} KB over 200 rulesets"


# -- negation: a later fact satisfying a negated clause retracts what it vetoes ------------------

A_FACT = {"id": "a", "k": "x", "s": 1}
VETO = {"id": "n", "k": "y", "s": 1}
GO = {"id": "g", "go": 1}
NEGATED = {"n$not": {"$and": [{"k": "y"}, {"s": {"a": "s"}}]}}


def _fired(rule: dict[str, Any], facts: list[dict[str, Any]], drain: list[bool]) -> list[str]:
    """The aliases of each match, asserting ``facts`` and running pending actions after
    each fact whose ``drain`` is true."""
    fired = []
    with ruleset(rule) as handle:
        for fact, now in zip(facts, drain, strict=True):
            code, state = _rete.assert_fact(handle, json.dumps({"sid": "1", **fact}))
            assert code == _OK
            started = _rete.start_action_for_state(handle, state) if now else None
            while started:
                fired.append(",".join(json.loads(started[1])["r"]))
                nxt = _rete.complete_and_start_action(handle, state)
                started = (started[0], nxt) if nxt else None
    return fired


@pytest.mark.parametrize(
    ("clauses", "facts", "drain"),
    [
        # the veto arrives while the match waits for its action to start
        ([NEGATED], [A_FACT, VETO], [False, True]),
        # the veto arrives while the frame it vetoes waits for a later clause
        ([NEGATED, {"g": {"go": 1}}], [A_FACT, VETO, GO], [True, True, True]),
        ([NEGATED, {"g": {"go": 1}}], [A_FACT, GO, VETO], [True, False, True]),
    ],
)
def test_a_later_fact_satisfying_a_negated_clause_retracts_the_match(clauses, facts, drain):
    # upstream's retraction read the wrong slots of the frame, found no fact, and
    # retracted nothing: every one of these fired
    rule = {"r": {"all": [{"a": {"k": "x"}}, *clauses]}}
    assert _fired(rule, facts, drain) == []
    # without the veto, each fires once
    alone = [(f, d) for f, d in zip(facts, drain, strict=True) if f is not VETO]
    assert len(_fired(rule, [f for f, _ in alone], [*(d for _, d in alone[:-1]), True])) == 1


def test_an_action_already_run_is_not_undone_by_a_later_veto():
    # why the wrapper still gates vetoable rules on a release fact (docs/engine.md):
    # actions run as soon as they match, and a run action cannot be taken back
    rule = {"r": {"all": [{"a": {"k": "x"}}, NEGATED]}}
    assert _fired(rule, [A_FACT, VETO], [True, True]) == ["a"]


# -- no fixed ceiling on the rules one fact reaches ---------------------------------------------


def _fired_rules(definition: dict[str, Any], fact: dict[str, Any]) -> set[str]:
    with ruleset(definition) as handle:
        code, matches = assert_fact(handle, {"id": "1", **fact})
    assert code == _OK
    return {name for m in matches for name in m}


def test_a_fact_reaching_more_than_64_alpha_nodes_at_once_fires_every_rule():
    # upstream visited the alpha nodes on a fixed stack of 64: error 303 (65 rules reading
    # one tie kind, each with a test of its own)
    rules = {f"r{i}": {"all": [{"m": {"$and": [{"k": 1}, {f"p{i}": 1}]}}]} for i in range(100)}
    fact = {"k": 1, **{f"p{i}": 1 for i in range(100)}}
    assert _fired_rules(rules, fact) == set(rules)


def test_more_than_255_rules_on_one_alpha_node_fire():
    # upstream gave an alpha node a fixed list of 256 beta nodes: error 108 when built
    rules = {f"r{i}": {"all": [{"m": {"k": 1}}]} for i in range(300)}
    assert _fired_rules(rules, {"k": 1}) == set(rules)


def test_more_than_127_not_exists_tests_on_one_alpha_node_fire():
    # upstream gave an alpha node a fixed list of 128 "not exists" successors: error 107
    rules = {
        f"r{i}": {"all": [{"m": {"$and": [{"k": 1}, {"$nex": {f"q{i}": 1}}]}}]} for i in range(200)
    }
    assert _fired_rules(rules, {"k": 1, "q7": 1}) == set(rules) - {"r7"}


def test_more_than_511_tests_after_one_alpha_node_are_built_and_fire():
    # upstream's hash set of an alpha node's successors had 512 places: the 512th filled the
    # last one and building the next rule probed it forever (a hang), so a child runs it
    out = run_child(
        """
        import json
        from dualrel import _rete
        rules = {f"r{i}": {"all": [{"m": {"$and": [{"k": 1}, {"$gt": {"v": i}}]}}]}
                 for i in range(600)}
        handle = _rete.create_ruleset("wide", json.dumps(rules))
        code, state = _rete.assert_fact(handle, json.dumps({"id": "1", "k": 1, "v": 99.5}))
        fired = set()
        started = _rete.start_action_for_state(handle, state)
        while started:
            fired.update(json.loads(started[1]))
            nxt = _rete.complete_and_start_action(handle, state)
            started = (started[0], nxt) if nxt else None
        _rete.delete_ruleset(handle)
        print(sorted(int(name[1:]) for name in fired) == list(range(100)))
        """,
        timeout=120,
    )
    assert (out.returncode, out.stdout.strip()) == (0, "True"), out.stderr[-2000:]


# -- the sanitizers ----------------------------------------------------------------------


@pytest.mark.large
def test_the_engine_tests_pass_under_address_and_undefined_behaviour_sanitizers():
    # `./dev sanitize`: any ASan or UBSan report aborts the test process
    out = subprocess.run(
        [sys.executable, str(Path(engine_build.__file__)), "-x"],
        capture_output=True,
        text=True,
        timeout=3_600,
        check=False,
    )
    assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:])
    assert "passed" in out.stdout and "failed" not in out.stdout
