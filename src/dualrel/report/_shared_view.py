"""What the shared formats (sarif, junit, markdown, html) may show of a check result.

Every shared format renders the result this module returns, so what a shared report may
reveal is decided once, here, and not by each renderer: derived tie ids (unkeyed hashes
of a tie's people and dates) become keyed aliases, and waivers lose their free text
(``reason``, ``approved_by``, ``agreement``), which may name people or quote a committee.
A waived finding still says it is waived, by which waiver (``file:line``) until when.
People themselves are aliased by :class:`~dualrel.report._base.People` as each format
writes them.  A result with neither derived tie ids nor waivers is returned as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from dualrel.findings import (
    CheckedFinding,
    CheckResult,
    ResolvedFinding,
    WaiverInfo,
)
from dualrel.report.pseudonym import Pseudonymizer, is_derived_tie_id

__all__ = ["WITHHELD", "shared_view"]

#: What a shared report shows in place of a waiver's free text.
WITHHELD = "[withheld]"


def shared_view(result: CheckResult, pseudo: Pseudonymizer) -> CheckResult:
    """``result`` as a shared format may show it, keyed by ``pseudo``."""
    findings = tuple(_finding(f, pseudo) for f in result.findings)
    resolved = tuple(_resolved(r, pseudo) for r in result.resolved)
    waivers = tuple(
        dataclasses.replace(w, waiver=_waiver(w.waiver, pseudo)) for w in result.waivers
    )
    if (
        _same(findings, result.findings)
        and _same(resolved, result.resolved)
        and _same(waivers, result.waivers)
    ):
        return result
    return dataclasses.replace(result, findings=findings, resolved=resolved, waivers=waivers)


def _same(new: Iterable[object], old: Iterable[object]) -> bool:
    return all(a is b for a, b in zip(new, old, strict=True))


def _ties(ids: tuple[str, ...], pseudo: Pseudonymizer) -> tuple[str, ...]:
    return tuple(pseudo.tie_alias(i) for i in ids)


def _finding(f: CheckedFinding, pseudo: Pseudonymizer) -> CheckedFinding:
    fd = f.finding
    derived = any(is_derived_tie_id(e) for e in fd.evidence) or any(
        is_derived_tie_id(t.id) for t in f.ties
    )
    if not derived and f.waiver is None:
        return f
    if derived:
        fd = dataclasses.replace(fd, evidence=_ties(fd.evidence, pseudo))
    return dataclasses.replace(
        f,
        finding=fd,
        ties=tuple(dataclasses.replace(t, id=pseudo.tie_alias(t.id)) for t in f.ties),
        waiver=_waiver(f.waiver, pseudo) if f.waiver is not None else None,
    )


def _resolved(r: ResolvedFinding, pseudo: Pseudonymizer) -> ResolvedFinding:
    if not any(is_derived_tie_id(e) for e in r.evidence):
        return r
    return dataclasses.replace(r, evidence=_ties(r.evidence, pseudo))


def _waiver(w: WaiverInfo, pseudo: Pseudonymizer) -> WaiverInfo:
    return dataclasses.replace(
        w,
        reason=WITHHELD,
        approved_by=WITHHELD,
        agreement=WITHHELD if w.agreement is not None else None,
        subjects=(
            {k: pseudo.alias(v) for k, v in w.subjects.items()} if w.subjects is not None else None
        ),
    )
