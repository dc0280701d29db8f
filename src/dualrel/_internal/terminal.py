r"""Text for a terminal: the one escaping of control and bidi characters every writer uses.

Ids, keys, paths and case names come from files anyone may write.  Written raw to a
terminal, an escape sequence in one clears the screen, rewrites a line (a forged
"PASS"), sets the window title, and a bidi override reorders what follows.  Every
terminal writer (the text report, problems and errors on stderr, lint, test, explain,
stats, progress, the rulesets listing) passes what it writes through :func:`printable`,
which shows such characters as Python does in a repr (``\x1b``, ``\u202e``).

>>> printable("r1\x1b[2J\r\u202eevil")
'r1\\x1b[2J\\r\\u202eevil'
>>> printable("two\nlines", keep="\n")
'two\nlines'
"""

from __future__ import annotations

import re
from typing import TextIO

__all__ = ["PrintableStream", "printable"]

_BIDI = (
    *range(0x202A, 0x202F),  # embeddings and overrides: LRE RLE PDF LRO RLO
    *range(0x2066, 0x206A),  # isolates: LRI RLI FSI PDI
    0x200E,  # left-to-right mark
    0x200F,  # right-to-left mark
    0x061C,  # Arabic letter mark
    0x2028,  # line separator
    0x2029,  # paragraph separator
)
_UNSAFE = (*range(0x20), 0x7F, *range(0x80, 0xA0), *_BIDI)


_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _shown(code: int) -> str:
    if code in _NAMED:
        return _NAMED[code]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_TABLE = {code: _shown(code) for code in _UNSAFE}
# per ``keep``: what finds a character to escape (a substitution costs what it finds, where
# str.translate with a mapping goes character by character once the text is not ASCII)
_UNSAFE_RES: dict[str, re.Pattern[str]] = {}


def _unsafe(keep: str) -> re.Pattern[str]:
    found = _UNSAFE_RES.get(keep)
    if found is None:
        chars = "".join(re.escape(chr(c)) for c in _TABLE if chr(c) not in keep)
        found = _UNSAFE_RES[keep] = re.compile(f"[{chars}]")
    return found


def _escape(match: re.Match[str]) -> str:
    return _TABLE[ord(match.group())]


def printable(text: str, *, keep: str = "") -> str:
    r"""``text`` with every C0/C1 control and bidi control escaped, but those in ``keep``.

    A single value (an id, a name) keeps nothing, so that even a newline in it cannot start
    a line of its own; a block of lines keeps ``"\n"``.
    """
    if text.isprintable():  # no control, format or separator character at all
        return text
    return _unsafe(keep).sub(_escape, text)


class PrintableStream:
    """Writes to ``stream`` through :func:`printable`, keeping line breaks: for commands
    that write blocks of lines made of what their inputs hold."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(printable(text, keep="\n"))

    def flush(self) -> None:
        self.stream.flush()
