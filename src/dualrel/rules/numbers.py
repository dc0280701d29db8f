"""Warnings about values a ruleset reads as numbers but that do not read as one.

Attributes read from CSV are text, and a value that does not read as a number (see
:func:`dualrel.rules._values.as_number`) never satisfies a numeric test: a gift of
"a bottle of wine" is never "above the limit".  ``check`` says so once per field a rule
reads as a number, located at the first such value, without printing any value.
"""

from __future__ import annotations

from collections.abc import Iterable

from dualrel.errors import Problem
from dualrel.graph.model import Registry
from dualrel.rules._encode import relations, slot_of
from dualrel.rules._values import as_number, field_of
from dualrel.rules.loader import Ruleset

__all__ = ["numeric_warnings"]

#: A field read as a number: ("tie", attribute path, kinds or None for any) or
#: ("person", "organisation" | "attributes.<key>", None), and the first rule reading it.
_Read = tuple[str, str, frozenset[str] | None]


def _numeric_reads(rulesets: Iterable[Ruleset]) -> dict[_Read, str]:
    reads: dict[_Read, str] = {}
    for rs in rulesets:
        for rule in rs.rules:
            match = rule.match
            for var, spec in match.people.items():
                tested = [("organisation", spec.organisation)] if spec.organisation else []
                tested += [(f"attributes.{k}", t) for k, t in spec.attributes.items()]
                for path, test in tested:
                    if test is not None and test.bounds:
                        reads.setdefault(("person", path, None), f"{rule.id} ({var})")
            for clause in match.ties:
                for name, test in clause.attributes.items():
                    if test.bounds:
                        key = ("tie", f"attributes.{name}", frozenset(clause.kinds))
                        reads.setdefault(key, rule.id)
            named = {c.as_: frozenset(c.kinds) for c in match.ties if c.as_}
            for rel in relations(rule):
                if not rel.numeric:
                    continue
                for ref in (rel.left, rel.right):
                    owner, path = slot_of(rule, ref)
                    kinds = named.get(ref.clause or "") if owner == "tie" else None
                    reads.setdefault((owner, path, kinds), rule.id)
    return reads


def numeric_warnings(registry: Registry, rulesets: Iterable[Ruleset]) -> list[Problem]:
    """One warning per field the ``rulesets`` read as a number and file it is read from,
    when some value of it does not read as one: at the first such value, with how many
    more there are (no value is printed)."""
    reads = _numeric_reads(rulesets)
    if not reads:
        return []
    first: dict[tuple[str, str, str], tuple[str, str, int | None, str]] = {}
    counts: dict[tuple[str, str, str], int] = {}

    def seen(owner: str, ident: str, path: str, rule: str) -> None:
        loc = registry.locations.get((owner, ident))
        file = loc.file if loc is not None else registry.source or "<registry>"
        key = (file, owner, path)
        counts[key] = counts.get(key, 0) + 1
        if key not in first:
            first[key] = (ident, rule, loc.line if loc is not None else None, file)

    people = [(path, rule) for (o, path, _), rule in reads.items() if o == "person"]
    if people:
        for p in registry.people:
            for path, rule in people:
                present, value = field_of(path, p.organisation, p.attributes)
                if present and as_number(value) is None:
                    seen("person", p.id, path, rule)
    ties = [(path, kinds, rule) for (o, path, kinds), rule in reads.items() if o == "tie"]
    if ties:
        for t in registry.ties:
            for path, kinds, rule in ties:
                if kinds is not None and t.kind not in kinds:
                    continue
                present, value = field_of(path, None, t.attributes)
                if present and as_number(value) is None:
                    seen("tie", t.id, path, rule)
    out = []
    for key, (ident, rule, line, file) in first.items():
        _, owner, path = key
        more = counts[key] - 1
        out.append(
            Problem(
                file=file,
                line=line,
                code="not-a-number",
                message=(
                    f"{owner} {ident}: {path} does not read as a number, so no numeric test "
                    f"of rule {rule} holds for it"
                    + (f" ({more} more {owner} value(s) of {path} alike)" if more else "")
                ),
                record=ident,
                field=path.rsplit(".", 1)[-1],
                severity="warning",
            )
        )
    return out
