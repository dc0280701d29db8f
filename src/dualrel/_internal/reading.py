"""Reading input files within a size limit (private): every reader of user files uses it.

A file is checked before it is read: a regular file must not be larger than the limit
for its kind (its size says so at once), and a pipe (``<(...)``, a FIFO, piped standard
input) is read until the limit plus one byte, never further.  Devices, sockets and
folders are refused: ``/dev/zero`` would otherwise grow a reader to the memory limit.

The limits, per kind of input (``docs/errors.md`` lists them):

=============  ============================  ==========================================
kind           limit                         raised with
=============  ============================  ==========================================
registry       4 GiB per file (JSON, JSON    ``DUALREL_MAX_REGISTRY_BYTES``
               Lines, each CSV file)
report         1 GiB (baselines, ``stats``,  ``DUALREL_MAX_REPORT_BYTES``
               ``explain``)
YAML           64 MiB (rulesets, ``extends``,  fixed: the YAML parser's own limit
               waivers, case files, YAML
               registries)
=============  ============================  ==========================================

A YAML document larger than 64 MiB could not be parsed anyway; a registry that large is
written as JSON, JSON Lines or CSV.  A report holds findings, about eleven times its size
once read.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Literal

from dualrel._internal import encodings
from dualrel._internal.decode import DecodeError, Found

__all__ = [
    "InputKind",
    "OnRead",
    "check_file",
    "limit_of",
    "open_lines",
    "read_text",
    "refuse_foreign_text",
    "utf8_error",
    "utf8_error_line",
    "wrong_encoding",
]

InputKind = Literal["registry", "report", "yaml"]

#: Told the number of bytes each read returned, as it returns: a progress display's feed.
OnRead = Callable[[int], None]

_GIB = 1 << 30
_DEFAULTS: dict[InputKind, int] = {"registry": 4 * _GIB, "report": _GIB, "yaml": 64 << 20}
_ENV: dict[InputKind, str] = {
    "registry": "DUALREL_MAX_REGISTRY_BYTES",
    "report": "DUALREL_MAX_REPORT_BYTES",
}
_CHUNK = 1 << 20


def limit_of(kind: InputKind) -> int:
    """The largest input of ``kind`` read, in bytes: the default, or the environment's
    ``DUALREL_MAX_REGISTRY_BYTES`` / ``DUALREL_MAX_REPORT_BYTES`` when set to a positive
    whole number (anything else is ignored, so a typo cannot lift the limit).

    >>> limit_of("yaml")
    67108864
    """
    name = _ENV.get(kind)
    raw = os.environ.get(name, "") if name else ""
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    return _DEFAULTS[kind]


def _too_large(kind: InputKind, limit: int, size: int | None) -> DecodeError:
    what = f"{size}-byte file" if size is not None else "input"
    raise_with = f" (raise it with {_ENV[kind]})" if kind in _ENV else ""
    return DecodeError(
        [Found("too-large", f"{what} over the {limit}-byte limit for {_NOUN[kind]}{raise_with}")]
    )


_NOUN: dict[InputKind, str] = {
    "registry": "a registry file",
    "report": "a report",
    "yaml": "a YAML document",
}


def check_file(path: str, kind: InputKind) -> bool:
    """Whether ``path`` is a regular file (True) or a pipe (False) within the limit of
    ``kind``; raises :class:`DecodeError` (``too-large``, ``unreadable``) for anything
    else, and ``OSError`` as ``os.stat`` does (``FileNotFoundError`` for no file)."""
    mode = os.stat(path)
    limit = limit_of(kind)
    if stat.S_ISREG(mode.st_mode):
        if mode.st_size > limit:
            raise _too_large(kind, limit, mode.st_size)
        return True
    if stat.S_ISFIFO(mode.st_mode):
        return False
    what = "a folder" if stat.S_ISDIR(mode.st_mode) else "a device or socket"
    raise DecodeError([Found("unreadable", f"not a regular file or a pipe ({what})")])


def _read_bytes(f: IO[bytes], first: int, kind: InputKind, on_read: OnRead | None) -> bytes:
    """All of ``f`` up to the limit of ``kind`` (more is an error); ``first`` is how much
    to ask for at once, in one piece."""
    limit = limit_of(kind)
    data = f.read(first)
    if on_read is not None:
        on_read(len(data))
    if len(data) < first:
        return data
    chunks = [data]
    total = len(data)
    while total <= limit and (chunk := f.read(min(_CHUNK, limit + 1 - total))):
        chunks.append(chunk)
        total += len(chunk)
        if on_read is not None:
            on_read(len(chunk))
    if total > limit:
        raise _too_large(kind, limit, None)
    return b"".join(chunks)


def read_text(path: str, kind: InputKind, *, on_read: OnRead | None = None) -> str:
    """The UTF-8 text of ``path`` (a leading byte order mark dropped, line ends read as
    ``open()`` reads them), within the limit of ``kind``.

    Raises :class:`DecodeError` over the limit, for what is not a file or pipe, or for
    text that is not UTF-8 (``wrong-encoding``, located at its line, its encoding named when
    known); ``OSError`` when it cannot be read.
    """
    regular = check_file(path, kind)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size if regular else 0
        # a regular file is read in one piece of its size (one more byte tells it grew)
        first = size + 1 if regular else min(_CHUNK, limit_of(kind) + 1)
        data = _read_bytes(f, first, kind, on_read)
    _refuse_sniffed(data[:_HEAD])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        line_end = data.find(b"\n", e.start)
        bad = data[line_start : line_end if line_end >= 0 else len(data)]
        line = data.count(b"\n", 0, e.start) + 1
        raise DecodeError([wrong_encoding(bad, e.reason, line)]) from None
    if "\r" in text:  # universal newlines, as text-mode open() reads
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


#: How much of a file's start :func:`encodings.sniff` looks at.
_HEAD = 4096


def wrong_encoding(line: bytes, reason: str, at: int | None) -> Found:
    """The ``wrong-encoding`` problem of ``line``, bytes that do not decode, at line ``at``."""
    return Found("wrong-encoding", encodings.message(line, reason), at)


def _refuse_sniffed(head: bytes) -> None:
    """Raise ``wrong-encoding`` at line 1 when a file's first bytes are plainly UTF-16 or UTF-32
    (which Latin text in UTF-16 would otherwise pass as UTF-8 holding NULs)."""
    named = encodings.sniff(head)
    if named is not None:
        message = f"not UTF-8 text: it looks like {named}: {encodings.SAVE_AS}"
        raise DecodeError([Found("wrong-encoding", message, 1)])


def refuse_foreign_text(path: str) -> None:
    """Raise ``wrong-encoding`` (:class:`DecodeError`) when the first bytes of the regular file
    ``path`` are plainly UTF-16 or UTF-32: checked before a reader of many files starts, so
    that none of them is half read."""
    with open(path, "rb") as f:
        _refuse_sniffed(f.read(_HEAD))


def utf8_error(path: str) -> Found | None:
    """The ``wrong-encoding`` problem of ``path``: at the 1-based line of its first byte that is
    not UTF-8, read in blocks (a text stream's error knows only its offset in a block);
    None when all is UTF-8 or the file cannot be read."""
    line = 1
    carry = b""
    try:
        with open(path, "rb") as f:
            while block := f.read(_CHUNK):
                data = carry + block
                carry = b""
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as e:
                    if e.end < len(data) or len(data) - e.start >= 4:
                        start = data.rfind(b"\n", 0, e.start) + 1
                        end = data.find(b"\n", e.start)
                        bad = data[start : end if end >= 0 else len(data)]
                        return wrong_encoding(bad, e.reason, line + data.count(b"\n", 0, e.start))
                    # a character cut by the block's end: decided with the next block
                    carry = data[e.start :]
                    data = data[: e.start]
                line += data.count(b"\n")
    except OSError:
        return None
    return wrong_encoding(carry, "unexpected end of data", line) if carry else None


def utf8_error_line(path: str) -> int | None:
    """The 1-based line of the first byte of ``path`` that is not UTF-8 (:func:`utf8_error`);
    None when all is UTF-8."""
    found = utf8_error(path)
    return found.line if found is not None else None


class _Bounded(io.RawIOBase):
    """A raw stream that fails once more than ``limit`` bytes were read from it."""

    def __init__(self, raw: IO[bytes], kind: InputKind, on_read: OnRead | None = None) -> None:
        self.raw = raw
        self.kind = kind
        self.limit = limit_of(kind)
        self.total = 0
        self.on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n: int = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.total += n
        if self.total > self.limit:
            raise _too_large(self.kind, self.limit, None)
        if self.on_read is not None:
            self.on_read(n)
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


@contextmanager
def open_lines(
    path: str, kind: InputKind, *, newline: str | None = None, on_read: OnRead | None = None
) -> Iterator[IO[str]]:
    """``path`` open as UTF-8 text (``utf-8-sig``), failing with :class:`DecodeError` once
    more than the limit of ``kind`` was read, or at once (``wrong-encoding``) when its first bytes
    are plainly UTF-16 or UTF-32; checked as :func:`check_file` checks."""
    check_file(path, kind)
    raw = open(path, "rb", buffering=0)  # noqa: SIM115
    try:
        buffered = io.BufferedReader(_Bounded(raw, kind, on_read), _CHUNK)
        _refuse_sniffed(buffered.peek(_HEAD)[:_HEAD])
        with io.TextIOWrapper(buffered, encoding="utf-8-sig", newline=newline) as text:
            yield text
    finally:
        raw.close()
