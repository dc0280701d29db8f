"""Loading a registry from a file or folder: the public entry points.

The format follows the path: a folder holding ``people.csv`` and ``ties.csv``, or a file
ending in ``.json``, ``.yaml``/``.yml`` or ``.jsonl``/``.ndjson``.  Every problem is
collected and raised in one :class:`~dualrel.errors.RegistryError`; warnings never stop a
load.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import date

from dualrel._internal import decode, reading
from dualrel._internal.dates import as_of_out_of_range
from dualrel._internal.decode import DecodeError
from dualrel._internal.gc import gc_paused
from dualrel._internal.problems import Collector
from dualrel.errors import InvalidArgument, Problem, RegistryError
from dualrel.graph._csv import load_csv_folder

# read_document and Locator are public here for readers of documents that embed a registry
# (the policy test case files); the registry loaders above are what most callers want
from dualrel.graph._document import Locator, read_document
from dualrel.graph._json import load_json
from dualrel.graph._jsonl import load_jsonl
from dualrel.graph._yaml import load_yaml
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS, Registry

__all__ = [
    "FORMATS",
    "Locator",
    "load_registry",
    "load_registry_with_warnings",
    "read_document",
    "registry_format",
    "registry_from_data",
]

#: File suffix -> registry format name.
FORMATS: Mapping[str, str] = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def registry_format(path: str | os.PathLike[str]) -> str | None:
    """The format a path is read as: ``csv`` (a folder), ``json``, ``yaml``, ``jsonl``.

    >>> registry_format("practice.json"), registry_format("big.jsonl"), registry_format("x.txt")
    ('json', 'jsonl', None)
    """
    p = os.fspath(path)
    if os.path.isdir(p):
        return "csv"
    return FORMATS.get(os.path.splitext(p)[1].lower())


def _kinds(extra_kinds: Mapping[str, bool] | None) -> dict[str, bool]:
    kinds = dict(CORE_TIE_KINDS)
    if extra_kinds is None:
        return kinds
    if not isinstance(extra_kinds, Mapping):
        raise InvalidArgument(
            f"extra_kinds must be a mapping of kind name to directed (bool), got {extra_kinds!r}"
        )
    for name, directed in extra_kinds.items():
        if not isinstance(name, str) or not name or not isinstance(directed, bool):
            raise InvalidArgument(
                f"extra_kinds must map non-empty names to bool, got {name!r}: {directed!r}"
            )
        if name in kinds and kinds[name] != directed:
            raise InvalidArgument(
                f"extra_kinds redeclares core kind {name!r} with directed={directed!r}"
            )
        kinds[name] = directed
    return kinds


def _as_of(as_of: date | str | None) -> date | None:
    if as_of is None:
        return None
    when = as_of if isinstance(as_of, date) and type(as_of) is date else None
    if isinstance(as_of, str):
        with contextlib.suppress(ValueError):
            when = date.fromisoformat(as_of)
    if when is None:
        raise InvalidArgument(f"as_of must be a date or a 'YYYY-MM-DD' string, got {as_of!r}")
    far = as_of_out_of_range(when)
    if far is not None:
        raise InvalidArgument(f"as_of: {far}")
    return when


def load_registry_with_warnings(
    path: str | os.PathLike[str],
    *,
    extra_kinds: Mapping[str, bool] | None = None,
    extra_roles: Iterable[str] = (),
    as_of: date | str | None = None,
    on_read: reading.OnRead | None = None,
) -> tuple[Registry, tuple[Problem, ...]]:
    """Load, validate and return the registry with its warnings.

    Parameters
    ----------
    path
        A ``.json``, ``.yaml``/``.yml`` or ``.jsonl`` file, or a folder with ``people.csv``
        and ``ties.csv``.
    extra_kinds
        Tie kinds declared by the rulesets in use, name to directed; accepted in addition
        to the core kinds (``Registry.kinds`` holds the union).
    extra_roles
        Roles declared by the rulesets in use (unknown roles are only a warning).
    as_of
        Evaluation date, overriding the document's ``as_of``.
    on_read
        Told the number of bytes of the registry's files each read returned, as the
        load goes (a progress display: their sizes add up to the total).

    Raises
    ------
    RegistryError
        With every problem found (and the warnings), each located.
    InvalidArgument
        When an argument itself is wrong.
    """
    kinds = _kinds(extra_kinds)
    roles = frozenset(CORE_ROLES) | frozenset(extra_roles)
    when = _as_of(as_of)
    with gc_paused():
        return _load(os.fspath(path), kinds, roles, when, on_read)


def _load(
    file: str,
    kinds: Mapping[str, bool],
    roles: frozenset[str],
    when: date | None,
    on_read: reading.OnRead | None,
) -> tuple[Registry, tuple[Problem, ...]]:
    c = Collector()
    fmt = registry_format(file)
    if fmt is None:
        if not os.path.exists(file):
            c.error(file, "unreadable", "no such file or folder")
        else:
            c.error(
                file,
                "unknown-format",
                "cannot tell the format: use a folder with people.csv and ties.csv, "
                "or a file ending in " + ", ".join(sorted(FORMATS)),
            )
        c.raise_if_errors()
    if fmt == "csv":
        registry = load_csv_folder(file, c, kinds=kinds, roles=roles, as_of=when, on_read=on_read)
        return registry, tuple(c.warnings)
    try:
        if fmt == "jsonl":
            with reading.open_lines(file, "registry", on_read=on_read) as f:
                registry = load_jsonl(f, file, c, kinds=kinds, roles=roles, as_of=when)
            return registry, tuple(c.warnings)
        kind: reading.InputKind = "registry" if fmt == "json" else "yaml"
        text = reading.read_text(file, kind, on_read=on_read)
    except UnicodeDecodeError as e:
        # a streamed read knows only an offset in its block: find the line
        found = reading.utf8_error(file)
        if found is None:  # pragma: no cover - the file changed under the reader
            found = reading.wrong_encoding(b"", e.reason, None)
        c.add(found.problem(file))
        c.raise_if_errors()
        raise AssertionError("unreachable") from e  # pragma: no cover
    except DecodeError as e:
        for p in e.problems(file):
            large_yaml = p.code == "too-large" and fmt == "yaml"
            hint = " (use JSON Lines or CSV for large registries)" if large_yaml else ""
            c.add(dataclasses.replace(p, message=p.message + hint))
        c.raise_if_errors()
        raise AssertionError("unreachable") from e  # pragma: no cover
    except OSError as e:
        c.error(file, "unreadable", f"cannot read: {e.strerror or e}")
        c.raise_if_errors()
        raise AssertionError("unreachable") from e  # pragma: no cover
    loader = load_json if fmt == "json" else load_yaml
    registry = loader(text, file, c, kinds=kinds, roles=roles, as_of=when)
    return registry, tuple(c.warnings)


def load_registry(
    path: str | os.PathLike[str],
    *,
    extra_kinds: Mapping[str, bool] | None = None,
    extra_roles: Iterable[str] = (),
    as_of: date | str | None = None,
) -> Registry:
    """Load and validate a registry, dropping warnings.

    See :func:`load_registry_with_warnings` for the parameters.
    """
    registry, _ = load_registry_with_warnings(
        path, extra_kinds=extra_kinds, extra_roles=extra_roles, as_of=as_of
    )
    return registry


class _NoLines:
    """Locator for data that never was text: problems carry JSON pointers only."""

    def key_line(self, key: str) -> int | None:
        return None

    def record_line(self, section: str, index: int) -> int | None:
        return None

    def field_line(self, section: str, index: int, field: str) -> int | None:
        return None


def registry_from_data(
    data: Mapping[str, object],
    *,
    source: str = "<data>",
    extra_kinds: Mapping[str, bool] | None = None,
    extra_roles: Iterable[str] = (),
    as_of: date | str | None = None,
) -> Registry:
    """Validate a registry given as Python data (the JSON document's shape) and return it.

    For platforms that hold their registry in memory: the same checks as
    :func:`load_registry`, with problems located by JSON pointer and ``source`` as the
    file name.  Dates may be ISO strings or :class:`datetime.date` objects.

    >>> reg = registry_from_data({"format": "dualrel.registry/1", "as_of": "2026-11-26",
    ...     "people": [{"id": "co1", "roles": ["coach"]}, {"id": "cl1", "roles": ["client"]}],
    ...     "ties": [{"id": "t1", "kind": "coaching", "source": "co1", "target": "cl1"}]})
    >>> len(reg.people), reg.ties[0].kind
    (2, 'coaching')
    >>> from dualrel.errors import RegistryError
    >>> try:
    ...     registry_from_data({"format": "dualrel.registry/1", "people": [{"id": "a"}],
    ...         "ties": [{"kind": "romace", "source": "a", "target": "b"}]})
    ... except RegistryError as e:
    ...     [(p.pointer, p.code) for p in e.problems]
    [('/ties/0/kind', 'unknown-kind'), ('/ties/0/target', 'unknown-person')]
    """
    unusable = _unusable_values(data, source)
    if unusable:
        raise RegistryError(unusable)
    c = Collector()
    with gc_paused():
        return read_document(
            dict(data),
            source,
            _NoLines(),
            c,
            kinds=_kinds(extra_kinds),
            roles=frozenset(CORE_ROLES) | frozenset(extra_roles),
            as_of=_as_of(as_of),
            plain_data=False,
        )


def _unusable_values(data: object, source: str, most: int = 100) -> list[Problem]:
    """Values of in-memory data that no message or report can show: integers longer than
    the interpreter converts to text (``malformed``) and text holding a lone surrogate
    (``invalid-text``), at most ``most`` of them.  A file's decoder refuses both before
    they get this far; data handed over in memory meets them here, located by pointer."""
    digits = sys.get_int_max_str_digits()
    too_big = 10**digits if digits else None
    found: list[Problem] = []
    seen: set[int] = set()
    stack: list[tuple[str, object]] = [("", data)]
    while stack and len(found) < most:
        pointer, value = stack.pop()
        if isinstance(value, str):
            if decode.bad_text(value):
                message = "text holds a lone surrogate, which no report can carry"
                found.append(
                    Problem(file=source, code="invalid-text", message=message, pointer=pointer)
                )
        elif isinstance(value, int) and not isinstance(value, bool):
            if too_big is not None and abs(value) >= too_big:
                found.append(
                    Problem(
                        file=source, code="malformed", message=decode.long_number(), pointer=pointer
                    )
                )
        elif isinstance(value, Mapping | list | tuple) and id(value) not in seen:
            seen.add(id(value))  # shared or circular parts are walked once
            items = value.items() if isinstance(value, Mapping) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and decode.bad_text(key):
                    stack.append((pointer, key))
                    continue
                stack.append((f"{pointer}/{_pointer_part(key)}", item))
    found.sort(key=lambda p: p.pointer or "")
    return found


def _pointer_part(key: object) -> str:
    try:
        text = key if isinstance(key, str) else str(key) if isinstance(key, int) else repr(key)
    except ValueError:  # a key that cannot be shown either (an over-long integer)
        text = "?"
    return text.replace("~", "~0").replace("/", "~1")
