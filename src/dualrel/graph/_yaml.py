"""YAML registries: a thin adapter over the project's safe YAML parser (private).

``dualrel._internal.safeyaml`` decodes the document within the limits below (checked before
anything is built: a "billion laughs" document fails in milliseconds) and gives the line of
every JSON pointer; this module reports its errors through the ``Collector`` and answers the
document reader's questions about lines from that pointer map.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date

import yaml

from dualrel._internal import safeyaml
from dualrel._internal.decode import DecodeError
from dualrel._internal.problems import Collector
from dualrel.graph._document import read_document
from dualrel.graph.model import Registry

__all__ = [
    "MAX_ALIASES",
    "MAX_ALIAS_EXPANSION",
    "MAX_BYTES",
    "MAX_DEPTH",
    "YamlLocator",
    "load_yaml",
]

#: Largest YAML document read, in bytes (use JSON Lines or CSV for larger registries).
MAX_BYTES = safeyaml.MAX_BYTES
#: Deepest nesting of collections.
MAX_DEPTH = safeyaml.MAX_DEPTH
#: Most alias uses (``*name``) in one document.
MAX_ALIASES = safeyaml.MAX_ALIASES
#: Expanding aliases may add at most this many nodes beyond the document's own.
MAX_ALIAS_EXPANSION = safeyaml.MAX_ALIAS_EXPANSION


class YamlLocator:
    """Lines of top-level keys, records and fields, from a document's pointer -> line map.

    >>> loc = YamlLocator(safeyaml.loads("people:\\n  - id: a\\n    roles: [x]\\n").lines)
    >>> loc.key_line("people"), loc.record_line("people", 0), loc.field_line("people", 0, "roles")
    (1, 2, 3)
    """

    def __init__(self, lines: Mapping[str, int]) -> None:
        self.lines = lines

    def key_line(self, key: str) -> int | None:
        return self.lines.get("/" + safeyaml.escape(key))

    def record_line(self, section: str, index: int) -> int | None:
        return self.lines.get(f"/{safeyaml.escape(section)}/{index}")

    def field_line(self, section: str, index: int, field: str) -> int | None:
        record = f"/{safeyaml.escape(section)}/{index}"
        line = self.lines.get(f"{record}/{safeyaml.escape(field)}")
        return self.lines.get(record) if line is None else line


def load_yaml(
    text: str,
    file: str,
    collector: Collector,
    *,
    kinds: Mapping[str, bool],
    roles: Collection[str],
    as_of: date | None,
) -> Registry:
    try:
        doc = safeyaml.loads(
            text,
            max_bytes=MAX_BYTES,
            max_depth=MAX_DEPTH,
            max_aliases=MAX_ALIASES,
            max_alias_expansion=MAX_ALIAS_EXPANSION,
            max_nodes=None,  # bytes and alias expansion bound a registry
        )
    except safeyaml.YamlLimitError as e:
        message = e.message
        if e.code == "too-large":
            message += " (use JSON Lines or CSV for large registries)"
        collector.error(file, e.code, message, line=e.line)
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark is not None else None
        what = e.problem or str(e)
        collector.error(file, "malformed", f"not valid YAML: {what}", line=line)
    except yaml.YAMLError as e:
        collector.error(file, "malformed", f"not valid YAML: {e}")
    except DecodeError as e:
        for p in e.problems(file):
            collector.add(p)
    else:
        return read_document(
            doc.data,
            file,
            YamlLocator(doc.lines),
            collector,
            kinds=kinds,
            roles=roles,
            as_of=as_of,
            plain_data=False,
        )
    collector.raise_if_errors()
    raise AssertionError("unreachable")  # pragma: no cover
