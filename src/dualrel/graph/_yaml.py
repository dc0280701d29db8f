"""YAML documents, loaded safely and within limits, with line marks (private).

``yaml.safe_load`` semantics (only plain data; libyaml's C parser when available), plus
limits checked before anything is built: the document's size in bytes, its nesting depth
and its alias expansion.  A "billion laughs" document fails in milliseconds: the check
walks the composed node graph (aliases share nodes) and counts what expanding it would
produce, without expanding it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

import yaml

from dualrel.graph._document import read_document
from dualrel.graph._problems import Collector
from dualrel.graph.model import Registry

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "YamlLocator", "load_yaml"]

#: Largest YAML document read, in bytes (use JSON Lines or CSV for larger registries).
MAX_BYTES = 64 * 1024 * 1024
#: Deepest nesting of collections.
MAX_DEPTH = 64
#: Most alias uses (``*name``) in one document.
MAX_ALIASES = 1000
#: Expanding aliases may add at most this many nodes beyond the document's own.
MAX_ALIAS_EXPANSION = 100_000

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _line(mark: Any) -> int | None:
    return int(mark.line) + 1 if mark is not None else None


class _LimitError(Exception):
    def __init__(self, code: str, message: str, line: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """A safe loader whose composed node tree is checked and kept for line marks."""


def _check_events(text: str) -> None:
    """Depth and alias count, from the event stream (no tree is built, nothing recurses)."""
    depth = 0
    aliases = 0
    loader = _Loader(text)
    try:
        while True:
            event = loader.get_event()
            if event is None:
                break
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _LimitError(
                        "too-deep",
                        f"YAML nested deeper than {MAX_DEPTH} levels",
                        _line(event.start_mark),
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise _LimitError(
                        "too-many-aliases",
                        f"YAML uses more than {MAX_ALIASES} aliases",
                        _line(event.start_mark),
                    )
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node) -> None:
    """Count the nodes expanding every alias would produce, memoised per shared node."""
    sizes: dict[int, int] = {}
    distinct = 0
    # iterative post-order walk; a node reached again through an alias reuses its size
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        children: list[yaml.Node]
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        if not done:
            sizes[key] = -1  # in progress
            distinct += 1
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(max(sizes.get(id(c), 1), 1) for c in children)
        sizes[key] = total
        if total > distinct + MAX_ALIAS_EXPANSION:
            raise _LimitError(
                "alias-expansion",
                f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION} extra nodes "
                "(a 'billion laughs' document?)",
                _line(node.start_mark),
            )


class YamlLocator:
    """Lines of records and fields from the composed YAML node tree."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.keys: dict[str, yaml.Node] = {}
        self.records: dict[str, list[yaml.Node]] = {}
        if isinstance(root, yaml.MappingNode):
            for k, v in root.value:
                if isinstance(k, yaml.ScalarNode):
                    self.keys[str(k.value)] = k
                    if isinstance(v, yaml.SequenceNode):
                        self.records[str(k.value)] = list(v.value)

    def key_line(self, key: str) -> int | None:
        node = self.keys.get(key)
        return None if node is None else node.start_mark.line + 1

    def _record(self, section: str, index: int) -> yaml.Node | None:
        nodes = self.records.get(section)
        return nodes[index] if nodes is not None and index < len(nodes) else None

    def record_line(self, section: str, index: int) -> int | None:
        node = self._record(section, index)
        return None if node is None else node.start_mark.line + 1

    def field_line(self, section: str, index: int, field: str) -> int | None:
        node = self._record(section, index)
        if isinstance(node, yaml.MappingNode):
            for k, _ in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == field:
                    return int(k.start_mark.line) + 1
        return None if node is None else node.start_mark.line + 1


def parse_yaml(text: str) -> tuple[Any, YamlLocator]:
    """Decode ``text`` within the limits; raises ``_LimitError`` or ``yaml.YAMLError``."""
    _check_events(text)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _check_expansion(root)
        doc = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return doc, YamlLocator(root)


def load_yaml(
    text: str,
    file: str,
    collector: Collector,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
) -> Registry:
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        collector.error(
            file,
            "too-large",
            f"YAML document of {size} bytes is over the {MAX_BYTES}-byte limit "
            "(use JSON Lines or CSV for large registries)",
        )
    else:
        try:
            doc, locator = parse_yaml(text)
        except _LimitError as e:
            collector.error(file, e.code, e.message, line=e.line)
        except yaml.MarkedYAMLError as e:
            line = e.problem_mark.line + 1 if e.problem_mark is not None else None
            what = e.problem or str(e)
            collector.error(file, "malformed", f"not valid YAML: {what}", line=line)
        except yaml.YAMLError as e:
            collector.error(file, "malformed", f"not valid YAML: {e}")
        else:
            return read_document(
                doc,
                file,
                locator,
                collector,
                kinds=kinds,
                roles=roles,
                as_of=as_of,
                plain_data=False,
            )
    collector.raise_if_errors()
    raise AssertionError("unreachable")  # pragma: no cover
