"""Naming the encoding of a file that is not UTF-8 (private), for its ``wrong-encoding`` problem.

Every text input is read as UTF-8.  The files that are not come mostly from spreadsheet
exports on Windows: UTF-16 ("Unicode text", with a byte order mark, or without one, every
other byte a NUL for Latin text) and Windows-1252 ("ANSI").  A message that names the
encoding and says "save as UTF-8" tells the user what to do; "invalid start byte" does not.

UTF-16 text of Latin letters decodes as UTF-8 without an error (a NUL is a valid UTF-8
character), so it is told from the first bytes (:func:`sniff`) before the text is read;
Windows-1252 is told from the line where UTF-8 decoding failed (:func:`message`).
"""

from __future__ import annotations

__all__ = ["SAVE_AS", "message", "sniff"]

SAVE_AS = "save the file as UTF-8"
_WINDOWS = 'Windows-1252 (cp1252, "ANSI") or Latin-1'

#: byte order marks, longest first (a UTF-32 LE mark starts with the UTF-16 LE one)
_MARKS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian, with a byte order mark)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian, with a byte order mark)"),
    (b"\xff\xfe", "UTF-16 (little-endian, with a byte order mark)"),
    (b"\xfe\xff", "UTF-16 (big-endian, with a byte order mark)"),
)


def sniff(head: bytes) -> str | None:
    """The encoding ``head`` (a file's first bytes) is in when it is plainly not UTF-8:
    UTF-16 or UTF-32 by their byte order mark, or UTF-16 without one (NUL bytes in every
    other place); None otherwise.

    >>> sniff("id,roles".encode("utf-16"))
    'UTF-16 (little-endian, with a byte order mark)'
    >>> sniff("id,roles".encode("utf-16-be"))
    'UTF-16 (big-endian, without a byte order mark)'
    >>> sniff(b"id,roles\\n") is None
    True
    """
    for mark, name in _MARKS:
        if head.startswith(mark):
            return name
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even = head[0 : pairs * 2 : 2].count(0)
    odd = head[1 : pairs * 2 : 2].count(0)
    # Latin text in UTF-16 has a NUL in about every other byte; UTF-8 text has none
    if odd >= pairs // 2 and even <= pairs // 16:
        return "UTF-16 (little-endian, without a byte order mark)"
    if even >= pairs // 2 and odd <= pairs // 16:
        return "UTF-16 (big-endian, without a byte order mark)"
    return None


def message(line: bytes, reason: str) -> str:
    """The message for a ``line`` of bytes that is not UTF-8 (``reason`` is the decoder's):
    the encoding named when the line reads as Windows-1252 (which Latin-1 text also does).

    >>> print(message(b"Zo\\xeb", "invalid start byte"))  # doctest: +NORMALIZE_WHITESPACE
    not UTF-8 text (invalid start byte): it looks like Windows-1252 (cp1252, "ANSI") or
    Latin-1: save the file as UTF-8
    >>> print(message(b"\\x81\\x8d", "invalid start byte"))
    not UTF-8 text (invalid start byte): save the file as UTF-8
    >>> "CESU-8" in message(b"a\\xed\\xa0\\x80", "invalid continuation byte")
    True
    """
    named = sniff(line[:4096])
    if named is not None:
        return f"not UTF-8 text: it looks like {named}: {SAVE_AS}"
    try:  # UTF-8 but for surrogates encoded one by one: not a single-byte encoding
        line.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        pass
    else:
        return f"not UTF-8 text ({reason}: a surrogate encoded alone, as CESU-8 does): {SAVE_AS}"
    try:
        line.decode("cp1252")
    except UnicodeDecodeError:
        return f"not UTF-8 text ({reason}): {SAVE_AS}"
    return f"not UTF-8 text ({reason}): it looks like {_WINDOWS}: {SAVE_AS}"
