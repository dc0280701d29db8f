"""The only module that talks to durable-rules, and the guard around its sharp edges.

durable-rules 2.0.28 is used through its C extension only (``durable_rules_engine``): the
Python ``Host`` starts background threads that run actions late, so it is never created.
What this module makes impossible (see ``shared/notes/durable-rules.md``):

* **32-bit fact-id hashes.**  Facts get ids from :func:`safe_ids`, a sequence of small
  decimal strings whose FNV-1a hashes (the engine's hash) are pairwise distinct, and any
  "already observed" answer raises :class:`~dualrel.errors.EngineError` instead of being
  swallowed.  Session ids come from the same sequence.
* **1,024 live sessions per ruleset.**  Sessions are opened by :meth:`Engine.session` and
  always closed before the next one opens; a hard cap far below the engine's limit raises
  before the engine could be asked for one more.
* **The crash in delete_state.**  A session is sealed (a fact that fires a no-op rule) before
  it is deleted, so no session is ever deleted with no rule fired.
* **Batch asserts whose actions run late.**  Facts are asserted one at a time and every
  pending action is drained after each assert; nothing runs in the background.
* **Negation that does not retract.**  A match whose negated clause is satisfied by a fact
  asserted *later* still fires (measured here, not in the notes).  The compiler gates every
  rule with a negated clause on a release fact (:meth:`_Session.release`), asserted after
  all data, so negations are judged on complete sessions.
* **The skip past the end of a join.**  When the *last* test of a clause's ``$and`` is a
  join test (one that refers to an earlier fact) and it fails, the C core's short-circuit
  (``reduceExpressionSequence``) steps over the group's end marker and keeps reading the
  node pool until it meets a byte that looks like one: a heap overread that segfaults when
  the node sits near the end of the pool (found with AddressSanitizer, measured here, not in
  the notes).  :func:`guard_joins` ends every clause after the first with a join test that
  is always true (a field every fact carries with the same value), so a failing test is
  never the last one.
* **Joins that read a missing field.**  A comparison join (``$lt``, ``$neq``, ...) that reads
  a field the *earlier* fact lacks fails the whole assert with error 311 instead of not
  matching (measured here, not in the notes).  Tie facts carry every field a join reads;
  practice-record facts carry every field any condition reads, missing values included
  (a time reads as "not yet", a value as a token equal to nothing; see
  :mod:`dualrel.rules.compiler`).
* **The wrong ``|`` operator.**  The compiler never emits ``$or`` (alternatives become
  flags the facts carry, e.g. ``ks0: 1`` for "kind is friendship or social_media");
  :class:`Engine` refuses a definition that contains one.
* **Regular expressions that are never freed.**  ``delete_ruleset`` leaves the state
  machines of ``$mt`` tests allocated: about 1.1 MB per coaching-core engine when its
  alternatives were regular expressions (measured here, not in the notes), so a process
  that builds engines (a platform's monitors, a mutation check) grew without bound.
  :class:`Engine` refuses ``$mt`` and ``$imt``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from dualrel import _rete as _dre
from pydantic_core import from_json

from dualrel.errors import EngineError

__all__ = [
    "MAX_LIVE_SESSIONS",
    "RELEASE_FIELD",
    "SEAL_RULE",
    "Engine",
    "fnv1a32",
    "guard_joins",
    "match_ids",
    "safe_ids",
]

#: Well below the engine's 1,024: the engine corrupts itself past its limit.
MAX_LIVE_SESSIONS = 64
SEAL_RULE = "__seal__"
_SEAL_FIELD = "__seal__"
RELEASE_FIELD = "__release__"
#: Carried by every fact with the value 0, so a join on it is always true.  Not ``sid``:
#: comparisons on ``sid`` in a join test are not reliable in the C core (measured).
_JOIN_FIELD = "__j__"
_JOIN_TAIL = f',"{_JOIN_FIELD}":0}}'

_RESULT_OK, _RESULT_NOT_HANDLED, _RESULT_OBSERVED, _RESULT_QUEUED = 0, 1, 2, 3

_names = itertools.count(1)


def fnv1a32(text: str) -> int:
    """The 32-bit FNV-1a hash durable-rules uses to identify facts and sessions.

    >>> fnv1a32("40189") == fnv1a32("797186")  # a collision the engine would trip on
    True
    """
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


_safe: list[str] = []
_safe_hashes: set[int] = set()
_next_candidate = [1]


def safe_ids(n: int) -> list[str]:
    """The first ``n`` ids of a sequence whose engine hashes are pairwise distinct.

    The sequence is ``"1"``, ``"2"``, ... with every number whose hash equals that of an
    earlier one left out, so it is the same in every process.

    >>> ids = safe_ids(1_000)
    >>> len({fnv1a32(i) for i in ids}) == len(ids) == len(set(ids))
    True
    """
    while len(_safe) < n:
        candidate = str(_next_candidate[0])
        _next_candidate[0] += 1
        h = fnv1a32(candidate)
        if h not in _safe_hashes:
            _safe_hashes.add(h)
            _safe.append(candidate)
    return _safe[:n]


def _refuse_broken_operators(node: Any, where: str) -> None:
    """Refuse ``$or``/``$any`` (evaluated wrongly) and ``$mt``/``$imt`` (never freed)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$or" or key.endswith("$any"):
                raise EngineError(
                    f"{where}: alternatives ('$or') are not allowed: durable-rules "
                    "evaluates them wrongly"
                )
            if key in {"$mt", "$imt"}:
                raise EngineError(
                    f"{where}: regular expressions ('{key}') are not allowed: "
                    "durable-rules never frees them"
                )
            _refuse_broken_operators(value, where)
    elif isinstance(node, list):
        for item in node:
            _refuse_broken_operators(item, where)


def _referenced(test: Any, bound: set[str]) -> list[str]:
    """The aliases of earlier facts a test reads, in order of appearance."""
    found: list[str] = []
    if isinstance(test, dict):
        for key, value in test.items():
            if key in bound and isinstance(value, str):
                found.append(key)
            else:
                found.extend(_referenced(value, bound))
    elif isinstance(test, list):
        for item in test:
            found.extend(_referenced(item, bound))
    return found


def guard_joins(definition: dict[str, Any]) -> dict[str, Any]:
    """``definition`` with every clause that joins earlier facts ending in an always-true join.

    The added test compares a field every fact carries with the value 0 (see
    :meth:`_Session.assert_fact`) with that of a fact the clause already joins: true in
    every match, so no result changes, but a failing join test is never the
    last of its group.

    >>> guarded = guard_joins({"r": {"all": [{"a": {"k": 1}}, {"b": {"s": {"a": "d"}}}]}})
    >>> guarded["r"]["all"][1]
    {'b': {'$and': [{'s': {'a': 'd'}}, {'$lte': {'__j__': {'a': '__j__'}}}]}}
    """
    guarded: dict[str, Any] = {}
    for name, rule in definition.items():
        if not isinstance(rule, dict) or set(rule) != {"all"} or not isinstance(rule["all"], list):
            raise EngineError(f"rule {name!r}: expected {{'all': [...]}}, got {str(rule)[:80]}")
        clauses = []
        bound: set[str] = set()
        for clause in rule["all"]:
            if not isinstance(clause, dict) or len(clause) != 1:
                raise EngineError(f"rule {name!r}: a clause must bind exactly one alias")
            ((alias, condition),) = clause.items()
            if not isinstance(condition, dict):
                raise EngineError(f"rule {name!r}: clause {alias!r} is not a condition object")
            tests = condition["$and"] if set(condition) == {"$and"} else [condition]
            if not isinstance(tests, list):
                raise EngineError(f"rule {name!r}: clause {alias!r}: '$and' must be a list")
            joined = _referenced(tests, bound)
            if joined:
                always = {"$lte": {_JOIN_FIELD: {joined[0]: _JOIN_FIELD}}}
                clauses.append({alias: {"$and": [*tests, always]}})
            else:
                clauses.append(clause)
            bound.add(alias)
        guarded[name] = {"all": clauses}
    return guarded


def match_ids(message: str, prefix: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The matches of one raw match message of a session whose facts start with
    ``prefix`` (``{"sid":"<sid>","id":"``): per rule (but the seal rule), its (alias,
    fact id) pairs in order.

    Reads only the ids when the text is one rule's match (nearly always), without parsing
    the facts, which are most of its bytes; parses it in full otherwise.

    >>> p = '{"sid":"3","id":"'
    >>> match_ids('{"r1":{"c0":{"sid":"3","id":"7","k":"x"},"r0":{"sid":"3","id":"9","v":"}"}}}', p)
    [('r1', [('c0', '7'), ('r0', '9')])]
    >>> match_ids('{"r1":{"c0":{"sid":"3","id":"7","v":":{"}},"r2":{"c0":{"sid":"3","id":"8"}}}', p)
    [('r1', [('c0', '7')]), ('r2', [('c0', '8')])]
    """
    # The message is {rule: {alias: fact, ...}} and every fact is the text asserted, byte
    # for byte (measured), so each fact starts with ``prefix``; inside a JSON string every
    # quote is escaped, so ``prefix`` (or a quote) found outside is structure.
    pairs: list[tuple[str, str]] = []
    find, rfind = message.find, message.rfind
    at = find(prefix)
    while at != -1:
        # ..."alias":{"sid":"S","id":"N",...
        start = at + len(prefix)
        key_end = at - 2  # the quote closing the alias
        pairs.append(
            (message[rfind('"', 0, key_end) + 1 : key_end], message[start : find('"', start)])
        )
        at = find(prefix, start)
    # ":{" opens the rule's object and each fact; any more (another rule, or text that looks
    # like it inside a value) and the message is parsed in full
    if pairs and message.startswith('{"') and message.count(":{") == len(pairs) + 1:
        name = message[2 : message.index('"', 2)]
        return [] if name == SEAL_RULE else [(name, pairs)]
    return [
        (name, [(alias, str(fact["id"])) for alias, fact in facts.items()])
        for name, facts in from_json(message).items()
        if name != SEAL_RULE
    ]


class Engine:
    """One compiled durable-rules ruleset, isolated from every other one.

    ``definition`` maps rule names to durable-rules conditions (without ``run``); a no-op
    seal rule is added.  Matches are returned as ``(rule name, {alias: fact})`` pairs.
    """

    def __init__(self, definition: dict[str, Any]) -> None:
        if SEAL_RULE in definition:
            raise EngineError(f"rule name {SEAL_RULE!r} is reserved")
        _refuse_broken_operators(definition, "compiled ruleset")
        full = guard_joins(definition)
        full[SEAL_RULE] = {"all": [{"m": {_SEAL_FIELD: 1}}]}
        # A fresh name per engine: the C core keeps rulesets apart by handle, and nothing
        # here registers a name with durable's Python Host.
        self._name = f"dualrel-{next(_names)}"
        #: What the C core was given: ``definition`` guarded, plus the seal rule.
        self.definition = full
        self._handle: int | None = _dre.create_ruleset(self._name, json.dumps(full))
        self._live: set[str] = set()

    def close(self) -> None:
        """Free the engine's memory; the engine cannot be used afterwards."""
        if self._handle is not None:
            if self._live:
                raise EngineError("close() with sessions still open")
            _dre.delete_ruleset(self._handle)
            self._handle = None

    def __del__(self) -> None:
        if getattr(self, "_handle", None) is not None and not self._live:
            with contextlib.suppress(Exception):  # interpreter shutdown
                self.close()

    @property
    def live_sessions(self) -> int:
        return len(self._live)

    def _sid(self) -> str:
        if self._handle is None:
            raise EngineError("engine is closed")
        if len(self._live) >= MAX_LIVE_SESSIONS:
            raise EngineError(
                f"more than {MAX_LIVE_SESSIONS} live sessions: refusing before durable-rules "
                "reaches its limit of 1,024 and corrupts its state"
            )
        for sid in safe_ids(MAX_LIVE_SESSIONS):
            if sid not in self._live:
                return sid
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def session(self, *, raw: bool = False) -> Iterator[_Session]:
        """Open a session, and seal and delete it on the way out, whatever happens.

        With ``raw``, matches are kept as the engine's message text (``raw_matches``),
        for :func:`match_ids`, instead of being parsed into ``matches``.
        """
        sid = self._sid()
        self._live.add(sid)
        session = _Session(self, sid, raw=raw)
        try:
            yield session
        finally:
            session._seal_and_delete()
            self._live.discard(sid)

    def run(self, facts: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
        """Assert ``facts`` (JSON object bodies without ``id``/``sid``) in one session.

        Returns every match, in firing order.
        """
        with self.session() as s:
            for body in facts:
                s.assert_fact(body)
            s.release()
            return s.matches


def _refuse(code: int, text: str) -> NoReturn:
    if code == _RESULT_OBSERVED:
        raise EngineError(f"durable-rules refused a fact as already seen: {text[:120]}")
    raise EngineError(f"durable-rules returned code {code}")


class _Session:
    __slots__ = ("_count", "_engine", "_raw", "matches", "prefix", "raw_matches", "sid")

    def __init__(self, engine: Engine, sid: str, *, raw: bool = False) -> None:
        self._engine = engine
        self.sid = sid
        #: how every fact of this session starts (see :func:`match_ids`)
        self.prefix = f'{{"sid":"{sid}","id":"'
        self._count = 0
        self._raw = raw
        self.matches: list[tuple[str, dict[str, Any]]] = []
        #: with ``raw``: each action's message text, seal rule included (see match_ids)
        self.raw_matches: list[str] = []

    def assert_fact(self, body: str) -> str:
        """Assert one fact given as the inside of a JSON object; returns its fact id."""
        return self.assert_each((body,))[0]

    def assert_each(self, bodies: Sequence[str]) -> list[str]:
        """Assert ``bodies`` as :meth:`assert_fact` does, one at a time (never as one
        batch, whose actions durable-rules runs late); returns their ids."""
        first = self._count
        self._count += len(bodies)
        if self._count > len(_safe):
            safe_ids(self._count)
        ids = _safe[first : self._count]
        prefix, assert_text = self.prefix, self._assert
        for fid, body in zip(ids, bodies, strict=True):
            assert_text(f'{prefix}{fid}",{body}{_JOIN_TAIL}')
        return ids

    def release(self) -> None:
        """Assert the release fact: rules with negated clauses can fire from now on."""
        self.assert_fact(f'"{RELEASE_FIELD}":1')

    def _assert(self, text: str) -> None:
        handle = self._engine._handle
        code, state = _dre.assert_fact(handle, text)
        if code == _RESULT_NOT_HANDLED:
            return  # the fact matches no condition: nothing is stored, nothing to fire
        if code not in (_RESULT_OK, _RESULT_QUEUED):
            _refuse(code, text)
        self._drain(state, _dre.start_action_for_state(handle, state))

    def _drain(self, state: int, started: tuple[Any, str] | None) -> None:
        """Run every pending action of ``state``, ``started`` the first one."""
        handle = self._engine._handle
        while started and self._raw:
            self.raw_matches.append(started[1])
            nxt = _dre.complete_and_start_action(handle, state)
            started = (started[0], nxt) if nxt else None
        while started:
            # pydantic-core's parser reads these messages (every fact of every match, in
            # full: the bulk of a large check's matches) about twice as fast as json
            message = from_json(started[1])
            for rule_name, facts in message.items():
                if rule_name != SEAL_RULE:
                    self.matches.append((rule_name, facts))
            nxt = _dre.complete_and_start_action(handle, state)
            started = (started[0], nxt) if nxt else None

    def _seal_and_delete(self) -> None:
        # Deleting a session in which no rule ever fired crashes durable-rules: make the
        # no-op seal rule fire first.
        fid = safe_ids(self._count + 1)[-1]
        self._assert(f'{self.prefix}{fid}","{_SEAL_FIELD}":1{_JOIN_TAIL}')
        _dre.delete_state(self._engine._handle, self.sid)
