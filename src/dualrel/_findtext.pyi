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
def ordered_texts(
    subjects: list[Mapping[str, str]],
    evidence: list[tuple[str, ...]],
    records: list[tuple[str, ...]],
    /,
) -> list[str]: ...
def finding_texts(
    lead: bytes,
    start: int,
    stop: int,
    heads: list[str],
    citations: list[str],
    rule: list[int],
    subjects: list[Mapping[str, str]],
    evidence: list[tuple[str, ...]],
    records: list[tuple[str, ...]],
    remediation: list[str],
    fingerprint: list[str],
    status: list[str],
    description: list[str],
    ties: list[Sequence[Any]],
    tails: list[str | None],
    /,
) -> bytes: ...
