"""Writing output files whole or not at all (private).

The one writer behind ``-o``, ``--chart`` and :func:`dualrel.graph.dump_registry`.  A
regular file (or a path that does not exist yet) is written to a temporary file beside
it, flushed to disk, then renamed over it, so a failure never leaves a partial file.

What cannot be replaced is written through instead: a device node (``/dev/null``), a
FIFO or a socket, and whatever a symlink leads to when that is one of them
(``/dev/stdout``).  Renaming over those would turn a machine's ``/dev/null`` into a
regular file.  A symlink to a regular file stays a symlink: the file it leads to is
replaced.  A directory is refused, naming the path the caller gave.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from typing import IO

__all__ = ["open_atomic", "write_atomic"]

_NEW_FILE_MODE = 0o666  # as open() creates files: the process umask applies
_PRIVATE_MODE = 0o600


@contextlib.contextmanager
def open_atomic(
    path: str | os.PathLike[str], *, newline: str | None = None, private: bool = False
) -> Iterator[IO[str]]:
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
        with open(target, "w", encoding="utf-8", newline=newline) as through:
            yield through
        return
    # a symlink stays in place; the file it leads to is the one replaced
    final = os.path.realpath(target) if os.path.islink(target) else target
    fd, tmp = _create_beside(final, target, _PRIVATE_MODE if private else _NEW_FILE_MODE)
    try:
        if private:
            os.fchmod(fd, _PRIVATE_MODE)  # the umask may have taken bits off, never added
        elif mode is not None:
            os.fchmod(fd, stat.S_IMODE(mode))
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
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


def _create_beside(final: str, asked: str, mode: int) -> tuple[int, str]:
    # os.open with 0o666 lets the kernel apply the umask: reading the umask would mean
    # setting it, which races other threads of a library user
    folder = os.path.dirname(final) or "."
    name = os.path.basename(final)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue
        except OSError as exc:  # name the file the user asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, asked) from None
    raise FileExistsError(errno.EEXIST, "no free temporary name beside it", asked)
