"""Safe YAML loading with line numbers and resource limits: the project's one YAML parser.

Only plain data is built: mappings, sequences and the scalars of ``yaml.safe_load`` (no
Python tags, nothing is executed; any other tag on a mapping or sequence is refused).  Merge
keys (``<<: *defaults``) are honoured as ``yaml.safe_load`` honours them.  libyaml's C parser
is used when available.

Every limit is checked before anything is built, and each breaks with a ``YamlLimitError``
carrying a stable ``code`` and the line where it was noticed:

=====================  ============================================================
``too-large``          the document's size in UTF-8 bytes (``max_bytes``)
``too-deep``           nesting of mappings and sequences (``max_depth``), read from the
                       event stream before any tree is built, and again as aliases
                       expand
``too-many-aliases``   uses of ``*name`` (``max_aliases``)
``alias-expansion``    nodes that expanding aliases would add to the document's own
                       (``max_alias_expansion``), or an alias inside its own anchor
``too-many-nodes``     nodes of the document once aliases are expanded (``max_nodes``)
=====================  ============================================================

A "billion laughs" document fails in milliseconds: the composed node graph shares aliased
nodes, and what expanding them would produce is counted without expanding them.

>>> try:
...     loads("a: &a [1, 2]\\nb: [*a, *a, *a]\\n", max_aliases=2)
... except YamlLimitError as e:
...     print(e.code, e.line)
too-many-aliases 2
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import yaml

from dualrel._internal.decode import SURROGATE_MESSAGE, DecodeError, Found, bad_text, long_number
from dualrel.errors import ProblemCode

__all__ = [
    "MAX_ALIASES",
    "MAX_ALIAS_EXPANSION",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "LocatedDocument",
    "YamlLimitError",
    "escape",
    "loads",
]

#: Largest document read, in UTF-8 bytes.
MAX_BYTES = 64 * 1024 * 1024
#: Deepest nesting of mappings and sequences.
MAX_DEPTH = 64
#: Most alias uses (``*name``) in one document.
MAX_ALIASES = 1000
#: Expanding aliases may add at most this many nodes beyond the document's own.
MAX_ALIAS_EXPANSION = 100_000
#: Most nodes of a document once its aliases are expanded.
MAX_NODES = 5_000_000

# the C loader is much faster and equally safe
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"
_SCALARS = {
    tag: fn
    for tag, fn in yaml.constructor.SafeConstructor.yaml_constructors.items()
    if tag
    in {
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:binary",
        "tag:yaml.org,2002:timestamp",
    }
}


class YamlLimitError(ValueError):
    """The document breaks a resource limit.

    ``code`` names the limit (``too-large``, ``too-deep``, ``too-many-aliases``,
    ``alias-expansion``, ``too-many-nodes``); ``line`` is where it was noticed (1-based;
    None for ``too-large``).
    """

    def __init__(self, code: ProblemCode, message: str, line: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
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
    """Escape one JSON pointer reference token (RFC 6901).

    >>> escape("a/b~c")
    'a~1b~0c'
    """
    if "~" not in token and "/" not in token:
        return token
    return token.replace("~", "~0").replace("/", "~1")


def _line(mark: Any) -> int | None:
    return int(mark.line) + 1 if mark is not None else None


def _check_events(text: str, max_depth: int | None, max_aliases: int | None) -> None:
    """Depth and alias count, from the event stream (no tree is built, nothing recurses)."""
    depth = 0
    aliases = 0
    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    alias = yaml.AliasEvent
    loader = _Loader(text)
    get_event: Callable[[], Any] = loader.get_event
    try:
        while (event := get_event()) is not None:
            cls = event.__class__
            if cls in starts:
                depth += 1
                if max_depth is not None and depth > max_depth:
                    raise YamlLimitError(
                        "too-deep",
                        f"YAML nested deeper than {max_depth} levels",
                        _line(event.start_mark),
                    )
            elif cls in ends:
                depth -= 1
            elif cls is alias:
                aliases += 1
                if max_aliases is not None and aliases > max_aliases:
                    raise YamlLimitError(
                        "too-many-aliases",
                        f"YAML uses more than {max_aliases} aliases",
                        _line(event.start_mark),
                    )
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node, max_extra: int | None, max_nodes: int | None) -> None:
    """Count the nodes expanding every alias would produce, memoised per shared node.

    An iterative post-order walk over mappings and sequences (scalars count 1 where they
    are met); a collection reached again through an alias reuses its size.
    """
    mapping, sequence = yaml.MappingNode, yaml.SequenceNode
    sizes: dict[int, int] = {}
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if not done:
            if key in sizes:
                continue
            sizes[key] = -1  # in progress
            distinct += 1
            stack.append((node, True))
            for child in node.value if node.__class__ is sequence else _flat(node.value):
                cls = child.__class__
                if cls is mapping or cls is sequence:
                    if id(child) not in sizes:
                        stack.append((child, False))
                else:
                    distinct += 1
            continue
        total = 1
        for child in node.value if node.__class__ is sequence else _flat(node.value):
            cls = child.__class__
            if cls is mapping or cls is sequence:
                size = sizes[id(child)]
                if size < 0:
                    raise YamlLimitError(
                        "alias-expansion",
                        "YAML alias used inside its own anchor (it would expand forever)",
                        _line(child.start_mark),
                    )
                total += size
            else:
                total += 1
        sizes[key] = total
        if max_extra is not None and total > distinct + max_extra:
            raise YamlLimitError(
                "alias-expansion",
                f"YAML aliases expand to more than {max_extra} extra nodes "
                "(a 'billion laughs' document?)",
                _line(node.start_mark),
            )
        if max_nodes is not None and total > max_nodes:
            raise YamlLimitError(
                "too-many-nodes",
                f"YAML document expands to more than {max_nodes} nodes (alias bomb?)",
                _line(node.start_mark),
            )


def _flat(pairs: list[tuple[yaml.Node, yaml.Node]]) -> list[yaml.Node]:
    return [n for pair in pairs for n in pair]


def loads(
    text: str,
    *,
    max_bytes: int | None = MAX_BYTES,
    max_depth: int | None = MAX_DEPTH,
    max_aliases: int | None = MAX_ALIASES,
    max_alias_expansion: int | None = MAX_ALIAS_EXPANSION,
    max_nodes: int | None = MAX_NODES,
) -> LocatedDocument:
    """Parse one YAML document safely, keeping 1-based lines by JSON pointer.

    Raises ``yaml.YAMLError`` for malformed text (``yaml.constructor.ConstructorError``
    for a refused tag), ``YamlLimitError`` for a document over a limit (None: no limit) and
    :class:`~dualrel._internal.decode.DecodeError` for every key repeated in a mapping
    (``duplicate-key``; merged keys may be overridden), integer too long to convert
    (``malformed``) and string holding a lone surrogate (``invalid-text``).
    A mapping value's pointer has the line of its key; a sequence item's, its own.

    >>> doc = loads("x: 1\\ny: [a, b]\\n")
    >>> doc.data, doc.lines
    ({'x': 1, 'y': ['a', 'b']}, {'': 1, '/x': 1, '/y': 2, '/y/0': 2, '/y/1': 2})
    """
    if max_bytes is not None and len(text) * 4 > max_bytes:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            raise YamlLimitError(
                "too-large",
                f"YAML document of {size} bytes is over the {max_bytes}-byte limit",
                None,
            )
    _check_events(text, max_depth, max_aliases)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    if root is None:
        return LocatedDocument(None, {})
    if root.__class__ is yaml.MappingNode or root.__class__ is yaml.SequenceNode:
        _check_expansion(root, max_alias_expansion, max_nodes)
    return _Builder(max_depth).document(root)


class _Builder:
    """Python data and the line of every pointer, from a checked node graph."""

    def __init__(self, max_depth: int | None) -> None:
        self.max_depth = max_depth
        self.lines: dict[str, int] = {}
        self.constructor = yaml.constructor.SafeConstructor()

    def document(self, root: yaml.Node) -> LocatedDocument:
        self.lines[""] = root.start_mark.line + 1
        self.found: list[Found] = []
        data = self.build(root, "", 0)
        if self.found:
            raise DecodeError(self.found, partial=data)
        return LocatedDocument(data, self.lines)

    def scalar(self, node: yaml.Node, pointer: str = "") -> Any:
        tag = node.tag
        if tag == _STR:
            value: str = node.value
            if bad_text(value):
                self.refuse(node, pointer, "invalid-text", SURROGATE_MESSAGE)
            return value
        fn = _SCALARS.get(tag)
        if fn is not None:
            try:
                return fn(self.constructor, node)
            except ValueError:
                if tag == "tag:yaml.org,2002:timestamp":
                    # shaped as a date but none (2026-02-30): kept as its text, which the
                    # field's own validation then refuses, located, as any wrong value
                    return node.value
                if tag != "tag:yaml.org,2002:int":
                    raise
                # over sys.get_int_max_str_digits(): Python will not convert it
                self.refuse(node, pointer, "malformed", long_number())
                return None
        # anything else (unknown tags, a collection tag on a scalar) fails as it would in
        # yaml.safe_load, with its message and mark
        return self.constructor.construct_object(node, deep=True)

    def refuse(self, node: yaml.Node, pointer: str, code: ProblemCode, message: str) -> None:
        self.found.append(Found(code, message, node.start_mark.line + 1, pointer))

    def build(self, node: yaml.Node, pointer: str, depth: int) -> Any:
        cls = node.__class__
        if cls is yaml.ScalarNode:
            return self.scalar(node)
        depth += 1
        if self.max_depth is not None and depth > self.max_depth:
            raise YamlLimitError(
                "too-deep",
                f"YAML nested deeper than {self.max_depth} levels (through aliases)",
                node.start_mark.line + 1,
            )
        if node.tag != (_MAP if cls is yaml.MappingNode else _SEQ):
            raise yaml.constructor.ConstructorError(
                None, None, f"tag {node.tag!r} is not allowed", node.start_mark
            )
        lines = self.lines
        scalar_cls = yaml.ScalarNode
        if cls is yaml.SequenceNode:
            items: list[Any] = []
            for i, item in enumerate(node.value):
                child = f"{pointer}/{i}"
                lines[child] = item.start_mark.line + 1
                items.append(
                    self.scalar(item, child)
                    if item.__class__ is scalar_cls
                    else self.build(item, child, depth)
                )
            return items
        # the mapping's own keys are its last ones once merged keys are put first; they
        # may override a merged key, never repeat one another
        own = len(node.value)
        for key_node, _ in node.value:
            if key_node.tag in (_MERGE, _VALUE):
                own = sum(k.tag != _MERGE for k, _ in node.value)
                self.constructor.flatten_mapping(cast(yaml.MappingNode, node))
                break
        first_own = len(node.value) - own
        out: dict[Any, Any] = {}
        for i, (key_node, value_node) in enumerate(node.value):
            if key_node.__class__ is not scalar_cls:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a scalar", key_node.start_mark
                )
            key = self.scalar(key_node, pointer)
            child = f"{pointer}/{escape(key if key.__class__ is str else str(key))}"
            if i >= first_own and key in out and _own_before(node.value, first_own, i, key):
                self.refuse(
                    key_node,
                    child,
                    "duplicate-key",
                    f"duplicate key {_shown(key)} (a key may appear once in a mapping)",
                )
            lines[child] = key_node.start_mark.line + 1
            out[key] = (
                self.scalar(value_node, child)
                if value_node.__class__ is scalar_cls
                else self.build(value_node, child, depth)
            )
        return out


def _own_before(pairs: list[tuple[yaml.Node, yaml.Node]], first: int, i: int, key: Any) -> bool:
    """Whether a key among the mapping's own keys before ``i`` equals ``key`` (rare: only
    asked once a key is seen again, which a merged key may legitimately be)."""
    constructor = yaml.constructor.SafeConstructor()
    for k, _ in pairs[first:i]:
        if k.__class__ is yaml.ScalarNode:
            try:
                if constructor.construct_object(k) == key:
                    return True
            except (yaml.YAMLError, ValueError):
                continue
    return False


def _shown(key: Any) -> str:
    # a hostile key may be huge: name its start
    text = key if isinstance(key, str) else str(key)
    return repr(text if len(text) <= 40 else text[:40] + "...")
