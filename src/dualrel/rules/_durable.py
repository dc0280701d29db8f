"""The only module that talks to the engine, ``dualrel._rete``, and what it still guards.

The engine is durable-rules 2.0.28's Rete core and C binding, kept and fixed in
``csrc/durable``: ``docs/engine.md`` lists each fix with its test (exact fact and session ids,
no session ceiling, ``delete_state`` on any session, joins evaluated to their group's end and
not past it, a missing field in a join is a non-match, ``$or`` refused, everything freed with
its ruleset, negation that retracts).  What this module still does, and why:

* **One fact at a time, every action drained after each assert.**  Nothing runs in the
  background (durable's Python ``Host``, whose threads ran actions late, is not kept), so
  every match is read in the order it is made.
* **Negations judged on complete sessions.**  The engine retracts a pending match when a
  later fact satisfies its negated clause, but an action that has run cannot be taken back,
  and actions run after each assert.  So the compiler gates every rule with a negated clause
  on a release fact (:meth:`_Session.release`), asserted after all data.
* **Missing values are values.**  A join test that reads a field a fact lacks does not match,
  which is not dualrel's meaning of a missing value: tie facts carry every field a join
  reads, and practice-record facts every field any condition reads, missing values included
  (a time reads as "not yet", a value as a token equal to nothing; see
  :mod:`dualrel.rules.compiler`).
* **"Already seen" is a bug.**  Every fact of a session gets its own id (``"1"``, ``"2"``,
  ...), so an "already observed" answer raises :class:`~dualrel.errors.EngineError` instead
  of being swallowed.
* **No alternatives.**  The engine refuses ``$or`` itself (raised here as
  :class:`~dualrel.errors.EngineError`), and ``$any`` groups, which no test of the engine
  covers, are refused here; the compiler emits neither (alternatives become flags the facts
  carry, e.g. ``ks0: 1`` for "kind is friendship or social_media").
* **Fixed limits, named.**  What the engine still cannot hold (:data:`MAX_FACTS_PER_MATCH`
  facts joined in one match, :data:`MAX_ENGINE_RULES` rules in one ruleset, what it refuses
  as it builds a rule) the compiler refuses (:mod:`dualrel.rules._limits`), so ``lint``
  reports it.  Any error the engine still returns becomes an
  :class:`~dualrel.errors.EngineError` naming the rules it may come from.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from pydantic_core import from_json

import dualrel._rete as _dre
from dualrel.errors import EngineError

__all__ = [
    "MAX_ENGINE_RULES",
    "MAX_FACTS_PER_MATCH",
    "RELEASE_FIELD",
    "Engine",
    "match_ids",
    "refusal",
]

RELEASE_FIELD = "__release__"

#: The most facts one match of one engine rule joins (``MAX_MESSAGE_FRAMES`` in
#: ``csrc/durable/rules/state.h``): each partial match holds a place for every fact, so
#: raising it would grow every partial match of every check.
MAX_FACTS_PER_MATCH = 16
#: The most engine rules in one ruleset (``MAX_ACTIONS`` in ``csrc/durable/rules/rete.c``);
#: a rule compiles to one engine rule per variant (direction, alternative).
MAX_ENGINE_RULES = 4096

#: What the engine's error codes mean (``csrc/durable/rules/rules.h``), for those a
#: compiled ruleset could still meet.
_MEANINGS = {
    101: "the engine ran out of memory",
    106: f"more than {MAX_ENGINE_RULES} engine rules in one ruleset",
    113: "too many tests on one clause",
    114: "alternatives ('$or') are not supported",
    201: "a value the engine cannot read",
    202: "a text the engine cannot read",
    203: "a number the engine cannot read",
    302: "a fact with too many fields",
    304: f"a match joining more than {MAX_FACTS_PER_MATCH} facts",
}
_CODE = re.compile(r"error code: (\d+)")

_RESULT_OK, _RESULT_NOT_HANDLED, _RESULT_OBSERVED, _RESULT_QUEUED = 0, 1, 2, 3

_names = itertools.count(1)
_sids = itertools.count(1)


def _refuse_any(node: Any) -> None:
    """Refuse ``$any`` groups: nothing tests the engine's evaluation of them."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("$any"):
                raise EngineError(
                    "compiled ruleset: alternatives ('$any') are not allowed: the engine's "
                    "evaluation of them is untested"
                )
            _refuse_any(value)
    elif isinstance(node, list):
        for item in node:
            _refuse_any(item)


def match_ids(message: str, prefix: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The matches of one raw match message of a session whose facts start with
    ``prefix`` (``{"sid":"<sid>","id":"``): per rule, its (alias, fact id) pairs in order.

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
        return [(name, pairs)]
    return [
        (name, [(alias, str(fact["id"])) for alias, fact in facts.items()])
        for name, facts in from_json(message).items()
    ]


def _code(error: BaseException) -> int | None:
    m = _CODE.search(str(error))
    return int(m.group(1)) if m else None


def _meaning(error: BaseException) -> str:
    code = _code(error)
    return f"{_MEANINGS.get(code or 0, 'an error it gives no meaning for')} (engine error {code})"


def refusal(definition: Mapping[str, Any]) -> str | None:
    """Why the engine refuses to build ``definition``, in words; None when it builds it."""
    try:
        handle = _dre.create_ruleset(f"dualrel-{next(_names)}", json.dumps(definition))
    except _dre.error as error:
        return _meaning(error)
    _dre.delete_ruleset(handle)
    return None


class Engine:
    """One compiled ruleset of the engine, isolated from every other one.

    ``definition`` maps rule names to durable-rules conditions (without ``run``).  Matches
    are returned as ``(rule name, {alias: fact})`` pairs.  ``labels`` names each rule in
    errors (``ruleset/rule``); a rule without one is named as the engine knows it.
    """

    def __init__(self, definition: dict[str, Any], labels: Mapping[str, str] | None = None) -> None:
        _refuse_any(definition)
        # A fresh name per engine: the C core keeps rulesets apart by handle.
        self._name = f"dualrel-{next(_names)}"
        #: What the C core was given.
        self.definition = definition
        self.labels: Mapping[str, str] = labels or {}
        try:
            self._handle: int | None = _dre.create_ruleset(
                self._name, json.dumps(definition, allow_nan=False)
            )
        except ValueError:  # NaN or infinity: the compiler lets none through
            raise EngineError("compiled ruleset: a number that is NaN or infinite") from None
        except _dre.error as error:
            # a rule the engine refuses on its own is named; else the ruleset as a whole
            culprits = [n for n, c in definition.items() if refusal({n: c}) is not None]
            raise EngineError(
                self.failure(error, "cannot build", culprits or list(definition))
            ) from None
        self._live: set[str] = set()

    def failure(self, error: BaseException, what: str, names: Sequence[str]) -> str:
        """The message of an engine error: which rules, what the engine could not do, and
        its code in words."""
        shown = list(dict.fromkeys(self.labels.get(n, n) for n in names))
        rules = ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")
        return f"the engine {what} rule(s) {rules}: {_meaning(error)}"

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

    @contextmanager
    def session(self, *, raw: bool = False) -> Iterator[_Session]:
        """Open a session, and delete it on the way out, whatever happens.

        With ``raw``, matches are kept as the engine's message text (``raw_matches``),
        for :func:`match_ids`, instead of being parsed into ``matches``.
        """
        handle = self._handle
        if handle is None:
            raise EngineError("engine is closed")
        sid = str(next(_sids))
        self._live.add(sid)
        try:
            yield _Session(self, handle, sid, raw=raw)
        finally:
            self._live.discard(sid)
            # a session in which no fact was asserted does not exist in the engine
            with contextlib.suppress(_dre.error):
                _dre.delete_state(handle, sid)

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
        raise EngineError(f"the engine refused a fact as already seen: {text[:120]}")
    raise EngineError(f"the engine returned code {code}")


class _Session:
    __slots__ = ("_count", "_engine", "_handle", "_raw", "matches", "prefix", "raw_matches", "sid")

    def __init__(self, engine: Engine, handle: int, sid: str, *, raw: bool = False) -> None:
        self._engine = engine
        self._handle = handle
        self.sid = sid
        #: how every fact of this session starts (see :func:`match_ids`)
        self.prefix = f'{{"sid":"{sid}","id":"'
        self._count = 0
        self._raw = raw
        self.matches: list[tuple[str, dict[str, Any]]] = []
        #: with ``raw``: each action's message text (see match_ids)
        self.raw_matches: list[str] = []

    def assert_fact(self, body: str) -> str:
        """Assert one fact given as the inside of a JSON object; returns its fact id."""
        return self.assert_each((body,))[0]

    def assert_each(self, bodies: Sequence[str]) -> list[str]:
        """Assert ``bodies`` as :meth:`assert_fact` does, one at a time, each fact's
        actions drained before the next; returns their ids (``"1"``, ``"2"``, ... in the
        session)."""
        first = self._count
        self._count += len(bodies)
        ids = [str(n) for n in range(first + 1, self._count + 1)]
        # _assert's work, in one loop: a session asserts thousands of facts
        prefix, handle = self.prefix, self._handle
        assert_fact, start = _dre.assert_fact, _dre.start_action_for_state
        try:
            for fid, body in zip(ids, bodies, strict=True):
                text = f'{prefix}{fid}",{body}}}'
                code, state = assert_fact(handle, text)
                if code == _RESULT_NOT_HANDLED:
                    continue  # the fact matches no condition: nothing stored, nothing fires
                if code not in (_RESULT_OK, _RESULT_QUEUED):
                    _refuse(code, text)
                started = start(handle, state)
                if started:
                    self._drain(state, started)
        except _dre.error as error:
            self._failed(error)
        return ids

    def release(self) -> None:
        """Assert the release fact: rules with negated clauses can fire from now on."""
        self.assert_fact(f'"{RELEASE_FIELD}":1')

    def _assert(self, text: str) -> None:
        handle = self._handle
        try:
            code, state = _dre.assert_fact(handle, text)
            if code == _RESULT_NOT_HANDLED:
                return  # the fact matches no condition: nothing is stored, nothing to fire
            if code not in (_RESULT_OK, _RESULT_QUEUED):
                _refuse(code, text)
            self._drain(state, _dre.start_action_for_state(handle, state))
        except _dre.error as error:
            self._failed(error)

    def _failed(self, error: BaseException) -> NoReturn:
        """Raise the engine's error as an :class:`EngineError` naming the rules it may
        come from: those whose matches join too many facts for a 304, else every rule."""
        definition = self._engine.definition
        names = list(definition)
        if _code(error) == 304:
            names = [
                n for n, c in definition.items() if len(c.get("all", ())) > MAX_FACTS_PER_MATCH
            ] or names
        raise EngineError(self._engine.failure(error, "failed on", names)) from None

    def _drain(self, state: int, started: tuple[Any, str] | None) -> None:
        """Run every pending action of ``state``, ``started`` the first one."""
        handle = self._handle
        while started and self._raw:
            self.raw_matches.append(started[1])
            nxt = _dre.complete_and_start_action(handle, state)
            started = (started[0], nxt) if nxt else None
        while started:
            # pydantic-core's parser reads these messages (every fact of every match, in
            # full: the bulk of a large check's matches) about twice as fast as json
            self.matches.extend(from_json(started[1]).items())
            nxt = _dre.complete_and_start_action(handle, state)
            started = (started[0], nxt) if nxt else None
