# The findings' texts in bulk (csrc/findtext/findtext.c): what dualrel.findings,
# dualrel.finding_table and dualrel.report.json_report call.

from collections.abc import Mapping, Sequence
from typing import Any

def fingerprints(
    prefixes: list[str],
    rule: list[int],
    subjects: list[Mapping[str, str]],
    evidence: list[tuple[str, ...]],
    records: list[tuple[str, ...]],
    /,
) -> list[str]: ...
def instances(
    cls: type[Any], slots: tuple[Any, ...], columns: tuple[list[Any], ...], /
) -> list[Any]: ...
def attributes(objects: list[Any], names: tuple[str, ...], /) -> tuple[list[Any], ...]: ...
def dicts(pairs: list[Any], /) -> list[Any]: ...  # of dicts
def looked_up(mapping: dict[Any, Any], keys: list[Any], /) -> list[tuple[Any, ...]]: ...
def ordered_texts(
    subjects: list[Mapping[str, str]],
    evidence: list[tuple[str, ...]],
    records: list[tuple[str, ...]],
    rule: list[int] | None = None,
    places: list[int] | None = None,
    /,
) -> list[str]: ...
def finding_texts(
    lead: bytes,
    steps: dict[int, bytes],
    start: int,
    stop: int,
    heads: Sequence[str],
    citations: Sequence[str],
    rule: Sequence[int],
    subjects: Sequence[Mapping[str, str]],
    evidence: Sequence[tuple[str, ...]],
    records: Sequence[tuple[str, ...]],
    remediation: Sequence[tuple[Any, ...]],
    fingerprint: Sequence[str],
    status: Sequence[str],
    description: Sequence[str],
    ties: Sequence[Sequence[Any]],
    tails: Sequence[str | None],
    /,
) -> bytes: ...
