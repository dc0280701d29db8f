"""Writing output files whole or not at all (private).

The one writer behind ``-o``, ``--chart`` and :func:`dualrel.graph.dump_registry`.  A
regular file (or a path that does not exist yet) is written to a temporary file beside
it, flushed to disk, then renamed over it, so a failure never leaves a partial file.

What cannot be replaced is written through instead: a device node (``/dev/null``), a
FIFO or a socket, and whatever a symlink leads to when that is one of them
(``/dev/stdout``).  Renaming over those would turn a machine's ``/dev/null`` into a
regular file.  A symlink to a regular file stays a symlink: the file it leads to is
replaced.  A directory is refused, naming the path the caller gave, and so is every error
of the write itself (a full disk names the output, not a temporary file or nothing).

A writer stopped by ``SIGTERM`` or ``SIGHUP`` removes its temporary file (the command line
turns those signals into an exception).  One killed outright (``SIGKILL``, a power cut)
cannot: its temporary file carries this host's tag and the writer's process id
(``.NAME.HOST-PID-RANDOM.tmp``), and the next write to the same path removes those of
writers on this host that are gone.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import socket
import stat
from collections.abc import Iterable, Iterator
from typing import TextIO

__all__ = ["open_atomic", "write_atomic", "write_atomic_parts"]

_NEW_FILE_MODE = 0o666  # as open() creates files: the process umask applies
_PRIVATE_MODE = 0o600


@contextlib.contextmanager
def open_atomic(
    path: str | os.PathLike[str], *, newline: str | None = None, private: bool = False
) -> Iterator[TextIO]:
    """A text file (UTF-8) that replaces ``path`` when the block ends without error.

    An existing regular file keeps its mode; a new one gets the mode ``open()`` would
    give it.  A ``private`` file is readable and writable by its owner only (0600),
    whatever the umask or the mode of the file it replaces, from its creation on.
    Device nodes, FIFOs and sockets are written through, not replaced.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.txt"
    >>> with open_atomic(p) as f:
    ...     _ = f.write("hello")
    >>> p.read_text()
    'hello'
    """
    target = os.fspath(path)
    try:
        mode: int | None = os.stat(target).st_mode  # follows symlinks
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, target) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), target)
    if mode is not None and not stat.S_ISREG(mode):
        with _named(target), open(target, "w", encoding="utf-8", newline=newline) as through:
            yield through
        return
    # a symlink stays in place; the file it leads to is the one replaced
    final = os.path.realpath(target) if os.path.islink(target) else target
    _remove_stale(final)
    fd, tmp = _create_beside(final, target, _PRIVATE_MODE if private else _NEW_FILE_MODE)
    try:
        if private:
            os.fchmod(fd, _PRIVATE_MODE)  # the umask may have taken bits off, never added
        elif mode is not None:
            os.fchmod(fd, stat.S_IMODE(mode))
        with _named(target), os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


#: What writing a file fails with, without naming it: a full disk or quota, a file too
#: large, an I/O error, a read-only file system, a closed pipe
_WRITE_ERRORS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.EPIPE}
)


@contextlib.contextmanager
def _named(target: str) -> Iterator[None]:
    """Name ``target`` in an error of writing it that names no file (``write()`` and
    ``fsync()`` never do), so the user reads which output failed."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and exc.errno in _WRITE_ERRORS:
            raise OSError(exc.errno, exc.strerror, target) from exc
        raise


def write_atomic(path: str | os.PathLike[str], text: str, *, private: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all (see :func:`open_atomic`;
    ``private``: owner-only).

    On any error ``path`` is left as it was.

    >>> import tempfile, pathlib
    >>> d = tempfile.mkdtemp()
    >>> write_atomic(pathlib.Path(d) / "r.txt", "hello")
    >>> (pathlib.Path(d) / "r.txt").read_text()
    'hello'
    """
    with open_atomic(path, newline="", private=private) as f:
        f.write(text)


def write_atomic_parts(path: str | os.PathLike[str], parts: Iterable[bytes]) -> None:
    """Write ``parts`` (UTF-8 bytes, one after the other) to ``path`` whole or not at all,
    as :func:`write_atomic` does; a text made in parts is never held whole.

    >>> import tempfile, pathlib
    >>> d = tempfile.mkdtemp()
    >>> write_atomic_parts(pathlib.Path(d) / "r.txt", [b"hel", b"lo"])
    >>> (pathlib.Path(d) / "r.txt").read_text()
    'hello'
    """
    with open_atomic(path, newline="") as f:
        for part in parts:
            f.buffer.write(part)


#: This host, in temporary names: a process id means something only on its own host (an
#: output folder may be shared over the network)
_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def _remove_stale(final: str) -> None:
    """Remove the temporary files left beside ``final`` by writers on this host that are
    gone (killed before they could clean up); those of live writers stay."""
    folder = os.path.dirname(final) or "."
    ours = re.compile(re.escape(f".{os.path.basename(final)}.{_HOST}-") + r"(\d+)-[0-9a-f]{8}\.tmp")
    try:
        with os.scandir(folder) as entries:
            stale = [
                e.path
                for e in entries
                if (m := ours.fullmatch(e.name)) is not None and not _alive(int(m.group(1)))
            ]
    except OSError:  # an unlistable folder: the write itself reports what is wrong
        return
    for path in stale:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (EPERM), or a pid out of range
        return pid > 0
    return True


def _create_beside(final: str, asked: str, mode: int) -> tuple[int, str]:
    # os.open with 0o666 lets the kernel apply the umask: reading the umask would mean
    # setting it, which races other threads of a library user
    folder = os.path.dirname(final) or "."
    name = os.path.basename(final)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue
        except OSError as exc:  # name the file the user asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, asked) from None
    raise FileExistsError(errno.EEXIST, "no free temporary name beside it", asked)
