"""A griffe extension for the API reference: the docstrings' reStructuredText habits
as Markdown.

The docstrings hold doctests (``>>>`` lines, run by pytest's ``--doctest-modules``) in plain
prose, without an ``Examples`` section. Markdown would read ``>>>`` as nested quotes and
a printed list such as ``['t1', 't2']`` as a reference link; each run of doctest lines is
given to Markdown as one ``pycon`` code block instead. Sphinx roles
(``:func:`evaluate```, ``:class:`~dualrel.errors.RegistryError```) become code spans.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:attr|class|data|exc|func|meth|mod|obj):`(~?)([^`]+)`")


def fence_doctests(text: str) -> str:
    """Each run of doctest lines (from a ``>>>`` line to the next blank line) fenced."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if not stripped.startswith(">>>"):
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(stripped)]
        if out and out[-1].strip():
            out.append("")
        out.append(f"{indent}```pycon")
        while i < len(lines) and lines[i].strip():
            out.append(lines[i])
            i += 1
        out.append(f"{indent}```")
    return "\n".join(out)


def plain_roles(text: str) -> str:
    """Sphinx roles as code spans: ``:meth:`~a.b.add``` -> ```add```."""

    def code(m: re.Match[str]) -> str:
        short, target = m.groups()
        return f"`{target.rsplit('.', 1)[-1] if short else target}`"

    return _ROLE.sub(code, text)


class DoctestBlocks(griffe.Extension):
    """Fences the doctests and plains the roles of every docstring the reference renders."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain_roles(fence_doctests(obj.docstring.value))

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        # on_object is called for the members of the package, not for the package itself
        self.on_object(obj=pkg)
