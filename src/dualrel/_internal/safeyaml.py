"""Safe YAML loading with line numbers and resource limits.

Only YAML's safe subset is constructed (no Python tags, nothing is executed).  Aliases are
kept as shared nodes by the composer, so an alias bomb ("billion laughs") only explodes
when converted to Python objects: counting constructed nodes stops it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

try:  # the C loader is much faster and equally safe
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 5_000_000
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


class YamlLimitError(ValueError):
    """The document breaks a resource limit; ``line`` is where it was noticed."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class LocatedDocument:
    """A YAML document as Python data, with the line of every JSON pointer in it."""

    data: Any
    lines: dict[str, int]

    def line_of(self, pointer: str) -> int | None:
        """The line of ``pointer``, or of its nearest ancestor that has one.

        >>> doc = loads("a:\\n  b: [1, 2]\\n")
        >>> doc.line_of("/a/b/1"), doc.line_of("/a/zzz")
        (2, 1)
        """
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


def escape(token: str) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def _expanded_size(root: yaml.Node, cap: int) -> int:
    """How many nodes the document has once aliases are expanded, counted without
    expanding them (aliases share node objects, so sizes are memoised per node)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH * 4:  # a recursive alias: refuse rather than loop
            return cap + 1
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k, depth + 1) + size(v, depth + 1)
                if total > cap:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
                if total > cap:
                    break
        sizes[id(node)] = total
        return total

    return size(root, 0)


def loads(
    text: str, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES
) -> LocatedDocument:
    """Parse one YAML document safely, keeping 1-based lines by JSON pointer.

    Raises ``yaml.YAMLError`` for malformed text and ``YamlLimitError`` for a document
    that is too deep or expands to too many nodes.

    >>> loads("x: 1\\ny: [a, b]\\n").data
    {'x': 1, 'y': ['a', 'b']}
    """
    if len(text) > MAX_BYTES:
        raise YamlLimitError(f"document larger than {MAX_BYTES} bytes", None)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if root is None:
        return LocatedDocument(None, lines)
    expanded = _expanded_size(root, max_nodes)
    if expanded > max_nodes:
        raise YamlLimitError(
            f"document expands to more than {max_nodes} nodes through aliases (alias bomb?)",
            root.start_mark.line + 1,
        )
    budget = [max_nodes]
    constructor = yaml.SafeLoader("")

    def build(node: yaml.Node, pointer: str, depth: int) -> Any:
        budget[0] -= 1
        line = node.start_mark.line + 1
        if budget[0] < 0:
            raise YamlLimitError(
                f"document expands to more than {max_nodes} nodes (alias bomb?)", line
            )
        if depth > max_depth:
            raise YamlLimitError(f"document nested deeper than {max_depth} levels", line)
        lines.setdefault(pointer, line)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            raise yaml.constructor.ConstructorError(
                None, None, f"tag {node.tag!r} is not allowed", node.start_mark
            )
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = build(key_node, pointer + "/<key>", depth + 1)
                if isinstance(key, list | dict):
                    raise yaml.constructor.ConstructorError(
                        None, None, "a mapping key must be a scalar", key_node.start_mark
                    )
                child = f"{pointer}/{escape(str(key))}"
                lines.setdefault(child, key_node.start_mark.line + 1)
                out[key] = build(value_node, child, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(item, f"{pointer}/{i}", depth + 1) for i, item in enumerate(node.value)]
        return constructor.construct_object(node, deep=True)

    data = build(root, "", 0)
    lines.pop("/<key>", None)
    return LocatedDocument(data, {k: v for k, v in lines.items() if "<key>" not in k})
