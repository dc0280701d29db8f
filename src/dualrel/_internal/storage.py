"""Registries named by URL (``s3://bucket/registry/``), listed and opened through fsspec.

A name without a scheme (``/data/registry``) is a local path, read as ever; a URL
(``scheme://...``) is read through fsspec, whose implementation of the scheme (s3fs for
``s3://``, gcsfs for ``gs://``, ...) must be installed where it is read (where
``dualrel check`` runs).  Storage options (keys, endpoint, region) are never arguments
of dualrel (so never printed): they come from fsspec's configuration, the variables
``FSSPEC_<PROTOCOL>_<OPTION>`` (``FSSPEC_S3_ENDPOINT_URL``) or the files of
``FSSPEC_CONFIG_DIR``, and from the implementation's own (s3fs reads ``AWS_*`` variables
and ``~/.aws``).

The readers read local files: a registry by URL is copied to a local folder first
(:func:`mirrored`), on one machine, and on a Dask check each part by the worker task that
reads it (``dualrel.scale._blocks.local``); each problem and record is then named by its
URL, never by the copy.
"""

from __future__ import annotations

import contextlib
import glob
import os
import posixpath
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from dualrel.errors import Problem, RegistryError

__all__ = [
    "exists",
    "is_url",
    "isdir",
    "isfile",
    "matching",
    "mirrored",
    "open_binary",
]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")

#: what to install for a URL when fsspec itself is missing
INSTALL_HINT = "pip install 'dualrel[dask]'"


def is_url(name: str) -> bool:
    """Whether ``name`` is a URL (``scheme://...``) rather than a local path."""
    return _SCHEME.match(name) is not None


def _unreadable(url: str, message: str) -> RegistryError:
    return RegistryError([Problem(file=url, code="unreadable", message=message)])


def _missing(url: str, e: ImportError) -> str:
    """What to install for ``url``'s protocol, from fsspec's error (its cause names the
    module that is missing)."""
    protocol = url.split("://", 1)[0]
    cause = e.__cause__ if isinstance(e.__cause__, ImportError) else e
    package = cause.name or protocol
    return (
        f"the {protocol}:// protocol needs the package {package}, which is not installed "
        f"here ({e}): pip install {package}"
    )


def _fs(url: str, *, listing: bool = False) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path there; ``RegistryError``
    (``unreadable``) naming the package to install when it is not.  ``listing``: the
    filesystem's cached listing of ``url`` dropped first (fsspec keeps one filesystem per
    process, and its listings: a part written since the last check would be missed)."""
    try:
        from fsspec.core import url_to_fs  # noqa: PLC0415 (an optional extra)
    except ImportError:
        message = f"a registry by URL is read through fsspec, not installed: {INSTALL_HINT}"
        raise _unreadable(url, message) from None
    try:
        fs, path = url_to_fs(url)
    except ImportError as e:
        raise _unreadable(url, _missing(url, e)) from None
    except ValueError as e:  # a protocol fsspec does not know
        raise _unreadable(url, f"not a URL fsspec can open ({e})") from None
    if listing:
        fs.invalidate_cache(path)
    return fs, path


def _failed(url: str, e: Exception) -> RegistryError:
    # the exception's type and text only: options (keys) are never in a URL
    return _unreadable(url, f"cannot be read ({type(e).__name__}: {e})")


def _asks(name: str, local: Callable[[str], bool], method: str, *, listing: bool = False) -> bool:
    """``local(name)`` for a path; for a URL the filesystem's ``method`` (``isdir``,
    ``isfile``, ``exists``), a failure raised as ``unreadable`` naming the URL."""
    if not is_url(name):
        return local(name)
    fs, path = _fs(name, listing=listing)
    try:
        return bool(getattr(fs, method)(path))
    except Exception as e:
        raise _failed(name, e) from e


def isdir(name: str) -> bool:
    """Whether ``name`` is a folder (a prefix holding objects, on object storage)."""
    return _asks(name, os.path.isdir, "isdir", listing=True)


def isfile(name: str) -> bool:
    """Whether ``name`` is a file (an object)."""
    return _asks(name, os.path.isfile, "isfile")


def exists(name: str) -> bool:
    """Whether anything is at ``name``."""
    return _asks(name, os.path.exists, "exists")


def matching(folder: str, pattern: str) -> list[str]:
    """The files of ``folder`` whose names match ``pattern`` (``ties-*.csv``), sorted,
    each named as ``os.path.join(folder, name)``, a URL as a path."""
    if not is_url(folder):
        return sorted(glob.glob(os.path.join(glob.escape(folder), pattern)))
    fs, path = _fs(folder, listing=True)
    try:
        found = fs.glob(posixpath.join(path, pattern))
    except Exception as e:
        raise _failed(folder, e) from e
    return sorted(os.path.join(folder, posixpath.basename(p.rstrip("/"))) for p in found)


def open_binary(name: str) -> IO[bytes]:
    """The file ``name`` opened for reading bytes."""
    if not is_url(name):
        return open(name, "rb")
    fs, path = _fs(name)
    try:
        return fs.open(path, "rb")  # type: ignore[no-any-return]
    except Exception as e:
        raise _failed(name, e) from e


@contextlib.contextmanager
def mirrored(url: str) -> Iterator[tuple[str, Callable[[str], str]]]:
    """The registry at ``url`` copied to a local path (a file, or a folder's files that
    end in ``.csv``, the files a CSV registry is read from), and what names the files of
    the copy in a text (a file name, a message) by their URLs.  Removed on exit."""
    fs, path = _fs(url, listing=True)
    with tempfile.TemporaryDirectory(prefix="dualrel-") as tmp:
        base = posixpath.basename(path.rstrip("/")) or "registry"
        local = os.path.join(tmp, base)
        try:
            if fs.isdir(path):
                os.mkdir(local)
                for entry in fs.ls(path, detail=True):
                    name = posixpath.basename(entry["name"].rstrip("/"))
                    if entry["type"] == "file" and name.endswith(".csv"):
                        fs.get_file(entry["name"], os.path.join(local, name))
            else:
                fs.get_file(path, local)
        except FileNotFoundError:
            # as for a local path that is not there: the reader says so, located
            if os.path.isdir(local):
                shutil.rmtree(local)
            with contextlib.suppress(FileNotFoundError):
                os.remove(local)
        except Exception as e:
            raise _failed(url, e) from e

        def by_url(text: str) -> str:
            # a file name, or a message naming files: the copy is a fresh folder, named
            # nowhere else
            return text.replace(local + os.sep, os.path.join(url, "")).replace(local, url)

        yield local, by_url
