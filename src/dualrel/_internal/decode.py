"""Decoding JSON strictly: the one wrapper every JSON reader goes through (private).

``json.loads`` lets through what later crashes or silently misleads: a duplicate key keeps
its last value (``"kind": "coaching", "kind": "romance"`` loads a romance), an integer of
more digits than the interpreter converts (``sys.get_int_max_str_digits()``, 4,300 by
default) raises a bare ``ValueError``, deep nesting a ``RecursionError``, and an escaped lone
surrogate (``"t2\\ud800"``) decodes to a string no output can encode.  Here each becomes a
:class:`DecodeError` carrying every such problem found, each with its line and JSON
pointer.  Syntax errors stay ``json.JSONDecodeError``: the readers word those themselves.

Valid documents cost one hook call per object (to see duplicate keys) and, only when the
text holds an escaped surrogate, one regular expression search.  Locating is slow and
rare: :func:`locate` walks the text token by token only once decoding has failed.

>>> try:
...     loads('{"a": 1,\\n "a": 2}')
... except DecodeError as e:
...     [str(p) for p in e.problems("f.json")]
["f.json:2 (/a): duplicate-key: duplicate key 'a' (a key may appear once in an object)"]
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dualrel.errors import Problem, ProblemCode

__all__ = [
    "REFUSED",
    "SURROGATE_MESSAGE",
    "DecodeError",
    "Found",
    "bad_text",
    "check_text",
    "escape",
    "has_lone_surrogate",
    "loads",
    "locate",
    "long_number",
    "readable_int",
    "refusal",
    "scanner",
]


@dataclass(frozen=True, slots=True)
class Found:
    """One problem of a decoded text: its code, message, 1-based line and JSON pointer."""

    code: ProblemCode
    message: str
    line: int | None = None
    pointer: str | None = None

    def problem(self, file: str) -> Problem:
        last = self.pointer.rsplit("/", 1)[-1] if self.pointer else ""
        field = None if last.isdigit() else last.replace("~1", "/").replace("~0", "~")
        return Problem(
            file=file,
            line=self.line,
            pointer=self.pointer or None,
            code=self.code,
            message=self.message,
            field=field or None,
        )


class DecodeError(ValueError):
    """A text decodes to something no reader should accept; ``found`` lists each problem."""

    def __init__(self, found: list[Found] | tuple[Found, ...], *, partial: Any = None) -> None:
        self.found = tuple(found)
        #: what was decoded despite the problems, when the decoder could go on (YAML), for
        #: a caller that only peeks (is this a case file?) and reports nothing itself
        self.partial = partial
        super().__init__("; ".join(f.message for f in self.found))

    def problems(self, file: str) -> list[Problem]:
        return [f.problem(file) for f in self.found]


class _Duplicate(ValueError):
    """A decoded object repeated a key (raised by the hook; :func:`locate` says where)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        raise _Duplicate
    return d


def escape(token: str) -> str:
    """Escape one JSON pointer reference token (RFC 6901).

    >>> escape("a/b~c")
    'a~1b~0c'
    """
    if "~" not in token and "/" not in token:
        return token
    return token.replace("~", "~0").replace("/", "~1")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs)
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
#: What fails inside the C scanner when the text is valid JSON syntax: a duplicate key
#: (the hook), an integer too long to convert (both ``ValueError``), nesting
#: (``RecursionError``); a syntax error is a ``json.JSONDecodeError``, caught first
REFUSED = (ValueError, RecursionError)


def scanner() -> Callable[[str, int], tuple[Any, int]]:
    """``scan_once(text, offset) -> (value, end)`` refusing duplicate keys; its other
    failures are those of :func:`loads`.  For readers that walk a document themselves."""
    return _SCAN


def refusal(text: str, exc: BaseException, *, first_line: int = 1) -> DecodeError:
    """The :class:`DecodeError` for ``exc`` (one of :data:`REFUSED`, not a syntax error),
    raised while decoding ``text``: every problem of the text, located."""
    deep = isinstance(exc, RecursionError)
    return DecodeError(locate(text, first_line=first_line, deep=deep) or [_unlocated(exc)])


def check_text(text: str, *, first_line: int = 1) -> None:
    """Raise :class:`DecodeError` when decoded ``text`` holds a lone surrogate (rarely
    more than a fast search of the text)."""
    if has_lone_surrogate(text):
        found = locate(text, first_line=first_line)
        if found:
            raise DecodeError(found)


def loads(text: str, *, first_line: int = 1) -> Any:
    """``json.loads(text)``, refusing duplicate keys, over-long integers, nesting too deep
    for the decoder and lone surrogates with a :class:`DecodeError` (lines counted from
    ``first_line``).  Syntax errors raise ``json.JSONDecodeError`` as ``json.loads`` does.

    >>> loads('{"a": [1, "\\\\ud83d\\\\ude00"]}')  # a surrogate pair is one character
    {'a': [1, '😀']}
    """
    try:
        try:
            # the C scanner alone: json.loads's own layers cost as much for a short line
            value, end = _SCAN(text, 0)
        except StopIteration:  # leading whitespace, or no value: the decoder says which
            value, end = _DECODER.decode(text), len(text)
        if end != len(text) and not text[end:].isspace():
            value = _DECODER.decode(text)  # raises its "Extra data"
    except json.JSONDecodeError:
        raise
    except REFUSED as exc:
        raise refusal(text, exc, first_line=first_line) from None
    if "\\u" in text:
        check_text(text, first_line=first_line)
    return value


def _unlocated(exc: BaseException) -> Found:
    # only when the walk finds nothing the decoder refused (a bug of either): still no
    # traceback, and the decoder's own words
    return Found("malformed", f"not valid JSON: {exc}")


# an escaped surrogate pair (consumed whole, so its low half is never taken for a lone
# one), or an escaped surrogate alone (the group); a literal backslash before it
# (``\\ud800``) matches too, and :func:`locate` then finds nothing: this only decides
# whether to look.  The prefix the alternatives share is written once: then the search
# looks for it as fast as ``str.find`` (as two alternatives, many times slower)
_ESCAPED_SURROGATE = re.compile(
    r"\\u[dD](?:[89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|([89a-fA-F][0-9a-fA-F]{2}))"
)
_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|(\\u[dD][89a-fA-F][0-9a-fA-F]{2})"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
#: What is wrong with a lone surrogate, in JSON and YAML alike
SURROGATE_MESSAGE = (
    "text holds a lone surrogate escape (\\ud800-\\udfff without its pair): not a character, "
    "no output could carry it"
)


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` (JSON) may escape a lone surrogate: a fast test, exact in the
    other direction (False means none).

    >>> pair, alone = '"\\\\ud83d\\\\ude00 \\\\u00e9"', '"\\\\ud83d"'
    >>> has_lone_surrogate(pair), has_lone_surrogate(alone)
    (False, True)
    """
    return any(m.group(1) for m in _ESCAPED_SURROGATE.finditer(text))


def bad_text(value: str) -> bool:
    """Whether a decoded string holds a lone surrogate (no UTF-8 output can carry it)."""
    return not value.isascii() and _SURROGATE.search(value) is not None


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]|-?[0-9][0-9.eE+-]*')


def locate(text: str, *, first_line: int = 1, deep: bool = False, limit: int = 100) -> list[Found]:
    """Every problem :func:`loads` refuses in ``text``, located, at most ``limit``; with
    ``deep`` (the decoder gave up on its nesting) also where the nesting is deepest.

    A walk over the tokens keeping the path from the root (no recursion, so any depth),
    for the error path only.  Tokens it does not know are skipped: text that is not JSON
    gives what it gives, and the syntax error is reported by the decoder.

    >>> found = locate('{"a": {"b": 1, "b": 2},\\n "c": "\\\\udc00"}')
    >>> [(f.code, f.line, f.pointer) for f in found]
    [('duplicate-key', 1, '/a/b'), ('invalid-text', 2, '/c')]
    """
    found: list[Found] = []
    digits = sys.get_int_max_str_digits()
    # one frame per open container: [is_object, keys seen, pointer, next index, key]
    stack: list[list[Any]] = []
    expect_key = False
    line = first_line
    last = 0
    deepest = 0
    deepest_at = 0

    def add(code: ProblemCode, message: str, offset: int, pointer: str | None) -> None:
        nonlocal line, last
        if offset < last:  # lines are counted forward, once
            line, last = first_line, 0
        line += text.count("\n", last, offset)
        last = offset
        found.append(Found(code, message, line, pointer))

    def here() -> str:
        if not stack:
            return ""
        top = stack[-1]
        child = escape(top[4]) if top[0] else str(top[3])
        return f"{top[2]}/{child}"

    for m in _TOKEN.finditer(text):
        if len(found) >= limit:
            break
        tok = m.group()
        ch = tok[0]
        if ch in "{[":
            stack.append([ch == "{", set(), here(), 0, ""])
            expect_key = ch == "{"
            if len(stack) > deepest:
                deepest, deepest_at = len(stack), m.start()
        elif ch in "}]":
            if stack:
                stack.pop()
            expect_key = False
        elif ch == ",":
            if stack:
                top = stack[-1]
                top[3] += 1
                expect_key = top[0]
        elif ch == '"':
            try:
                value = json.loads(tok)
            except ValueError:
                continue
            if expect_key and stack:
                top = stack[-1]
                top[4] = value
                expect_key = False
                if value in top[1]:
                    add(
                        "duplicate-key",
                        f"duplicate key {_shown(value)} (a key may appear once in an object)",
                        m.start(),
                        here(),
                    )
                top[1].add(value)
                if bad_text(value):
                    add("invalid-text", SURROGATE_MESSAGE + " (in a key)", m.start(), here())
            elif bad_text(value):
                add("invalid-text", SURROGATE_MESSAGE, m.start(), here())
        elif digits and _long_int(tok, digits):
            add("malformed", long_number(), m.start(), here())
    if deep and len(found) < limit:
        add(
            "too-deep",
            f"JSON nested {deepest} levels deep, deeper than the decoder reads "
            "(Python's recursion limit, about 1,000 levels)",
            deepest_at,
            None,  # a pointer a thousand levels long helps nobody
        )
    found.sort(key=lambda f: (f.line or 0, f.pointer or ""))
    return found


def long_number() -> str:
    """What is wrong with an integer of too many digits (JSON or YAML)."""
    return (
        f"a number of more than {sys.get_int_max_str_digits()} digits (numbers are read as "
        "Python integers, which convert at most that many)"
    )


def readable_int(text: str) -> bool:
    """Whether ``text`` is decimal digits that ``int()`` converts: ASCII or not
    (``isdecimal``, not ``isdigit``: "²" is a digit ``int()`` refuses), and not more of
    them than the interpreter converts.

    >>> readable_int("42"), readable_int("²"), readable_int("1" * 5000)
    (True, False, False)
    """
    most = sys.get_int_max_str_digits()
    return text.isdecimal() and (not most or len(text) <= most)


def _long_int(tok: str, digits: int) -> bool:
    n = len(tok) - (tok[0] == "-")
    return n > digits and not any(c in tok for c in ".eE")


def _shown(key: str) -> str:
    # a hostile key may be huge: name its start
    return repr(key if len(key) <= 40 else key[:40] + "...")
