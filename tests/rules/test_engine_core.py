"""The engine's C core (``dualrel._rete``, ``csrc/durable``) on its own, below the wrapper.

Each test pins one of durable-rules 2.0.28's defects as fixed at its root (``docs/engine.md``
lists the patches): every one fails on the unpatched sources.  Tests that crashed the
unpatched core run their probe in a child process, so a crash is a failure, not the end of
the test run.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel import _rete

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


def run_child(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child Python with this one's path: a crash there fails the test."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=600,
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
