"""Waivers: documented, signed, time-bound decisions to accept a finding.

A waivers file is YAML: a mapping with a ``waivers`` list (or the bare list).  Each entry
names a finding by ``fingerprint``, or by ``rule`` (``rule-id`` or ``ruleset/rule-id``)
plus ``subjects`` (the finding's full subjects mapping), and must give ``reason``,
``approved_by`` and ``expires`` (a date); ``agreement`` references the signed document.

.. code-block:: yaml

    waivers:
      - fingerprint: bde7dfb660f52807049a20999dd1bd77
        reason: Coaching ends this month; the client has been referred
        approved_by: ethics committee, meeting 2026-11-02
        agreement: EC-2026-117
        expires: 2026-12-31

A waiver applies while the evaluation date is on or before ``expires``; after that it is
``expired`` and the finding counts again.  A waiver that matches no finding is ``stale``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dualrel._internal import reading, safeyaml
from dualrel._internal.dates import iso_date
from dualrel._internal.decode import DecodeError
from dualrel._internal.located import yaml_problem
from dualrel.errors import DualrelError, Problem
from dualrel.findings import Finding, WaiverInfo, WaiverOutcome

__all__ = ["WaiverError", "apply_waivers", "load_waivers", "waiver_matches"]


class WaiverError(DualrelError):
    """A waivers file is invalid; ``problems`` lists every problem, located."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line or 0, p.message)))
        super().__init__("\n".join(str(p) for p in self.problems))


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fingerprint: str | None = None
    rule: str | None = None
    subjects: dict[str, str] | None = None
    reason: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)
    agreement: str | None = None
    expires: date

    @field_validator("reason", "approved_by", "agreement", "fingerprint", "rule")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be blank")
        return v.strip() if v is not None else None

    @field_validator("expires", mode="before")
    @classmethod
    def _strict_date(cls, v: Any) -> Any:
        if isinstance(v, date):
            return v
        if isinstance(v, str) and (parsed := iso_date(v)) is not None:
            return parsed
        raise ValueError(f"expires must be a date (YYYY-MM-DD), got {v!r}")

    @model_validator(mode="after")
    def _one_target(self) -> _Entry:
        by_fp = self.fingerprint is not None
        by_rule = self.rule is not None or self.subjects is not None
        if by_fp and by_rule:
            raise ValueError("give either fingerprint, or rule and subjects, not both")
        if not by_fp and not (self.rule is not None and self.subjects):
            raise ValueError("name the finding: give fingerprint, or rule and subjects")
        return self


_FIELD_MESSAGES = {
    "reason": "a waiver needs a reason",
    "approved_by": "a waiver needs approved_by (who approved it)",
    "expires": "a waiver needs an expiry date (expires)",
}


def load_waivers(path: str | os.PathLike[str]) -> tuple[WaiverInfo, ...]:
    """Read and validate a waivers file; every problem is raised at once, located.

    Raises
    ------
    WaiverError
        When the file is unreadable, not YAML, or any entry is invalid (missing reason,
        approver or expiry, unknown field, no fingerprint or rule with subjects).
    """
    name = str(path)
    try:
        text = reading.read_text(name, "yaml")
    except FileNotFoundError:
        raise WaiverError(
            [Problem(file=name, code="not-found", message="no such waivers file")]
        ) from None
    except OSError as exc:
        raise WaiverError([Problem(file=name, code="unreadable", message=str(exc))]) from None
    except DecodeError as exc:
        raise WaiverError(exc.problems(name)) from None
    try:
        doc = safeyaml.loads(text)
    except (safeyaml.YamlLimitError, yaml.YAMLError) as exc:
        raise WaiverError([yaml_problem(name, exc)]) from None
    except DecodeError as exc:
        raise WaiverError(exc.problems(name)) from None
    data = doc.data
    prefix = ""
    if data is None:
        return ()
    if isinstance(data, dict):
        unknown = sorted(str(k) for k in data if k not in ("waivers", "format"))
        if unknown:
            raise WaiverError(
                [
                    Problem(
                        file=name,
                        line=doc.line_of(f"/{unknown[0]}"),
                        pointer=f"/{unknown[0]}",
                        code="schema",
                        message=f"unknown field {unknown[0]!r} (expected 'waivers')",
                    )
                ]
            )
        data = data.get("waivers") or []
        prefix = "/waivers"
    if not isinstance(data, list):
        raise WaiverError(
            [
                Problem(
                    file=name,
                    line=doc.line_of(prefix),
                    pointer=prefix or "/",
                    code="schema",
                    message="waivers must be a list of entries",
                )
            ]
        )
    problems: list[Problem] = []
    out: list[WaiverInfo] = []
    for i, raw in enumerate(data):
        pointer = f"{prefix}/{i}"
        line = doc.line_of(pointer)
        record = _record(raw, i)
        if not isinstance(raw, dict):
            problems.append(
                Problem(
                    file=name,
                    line=line,
                    pointer=pointer,
                    code="schema",
                    record=record,
                    message="a waiver must be a mapping",
                )
            )
            continue
        try:
            entry = _Entry.model_validate(raw)
        except pydantic.ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                ptr = pointer + "".join(f"/{safeyaml.escape(p)}" for p in loc)
                fld = loc[0] if loc else None
                if err["type"] == "missing" and fld in _FIELD_MESSAGES:
                    msg = _FIELD_MESSAGES[fld]
                elif err["type"] == "extra_forbidden":
                    msg = f"unknown field {fld!r}"
                else:
                    msg = (f"{'.'.join(loc)}: " if loc else "") + str(err["msg"]).removeprefix(
                        "Value error, "
                    )
                problems.append(
                    Problem(
                        file=name,
                        line=doc.line_of(ptr) if fld else line,
                        pointer=ptr,
                        code="invalid-waiver",
                        message=msg,
                        record=record,
                        field=fld,
                    )
                )
            continue
        out.append(
            WaiverInfo(
                source=f"{name}:{line}" if line else name,
                reason=entry.reason,
                approved_by=entry.approved_by,
                expires=entry.expires,
                agreement=entry.agreement,
                fingerprint=entry.fingerprint,
                rule=entry.rule,
                subjects=dict(sorted(entry.subjects.items())) if entry.subjects else None,
            )
        )
    if problems:
        raise WaiverError(problems)
    return tuple(out)


def _record(raw: Any, index: int) -> str:
    if isinstance(raw, dict):
        if raw.get("fingerprint"):
            return f"waiver {raw['fingerprint']}"
        if raw.get("rule"):
            return f"waiver {raw['rule']}"
    return f"waiver #{index + 1}"


def waiver_matches(waiver: WaiverInfo, finding: Finding) -> bool:
    """Whether ``waiver`` names ``finding`` (by fingerprint, or by rule and exact subjects).

    >>> from dualrel.findings import RulesetRef
    >>> f = Finding("r1", RulesetRef("rs", "1"), "t", "c", "low", 1, {"coach": "a"}, ("t1",),
    ...             (), (), "abc")
    >>> w = WaiverInfo("w.yaml:2", "why", "who", date(2030, 1, 1), rule="rs/r1",
    ...                subjects={"coach": "a"})
    >>> waiver_matches(w, f)
    True
    """
    if waiver.fingerprint is not None:
        return waiver.fingerprint == finding.fingerprint
    if waiver.rule not in (finding.rule, f"{finding.ruleset.id}/{finding.rule}"):
        return False
    return dict(waiver.subjects or {}) == dict(finding.subjects)


def apply_waivers(
    findings: Iterable[Finding], waivers: Iterable[WaiverInfo], as_of: date
) -> tuple[dict[str, WaiverInfo], tuple[WaiverOutcome, ...]]:
    """Match waivers to findings on the evaluation date ``as_of``.

    Returns the waiver that applies to each waived fingerprint (the first in file order)
    and the outcome of every waiver: ``applied`` (with the findings it waived),
    ``expired`` (``expires`` before ``as_of``; it waives nothing) or ``stale`` (in force
    but matching no finding).  Each waiver looks its findings up in an index of the
    findings, so the cost grows with waivers plus findings, not their product; the
    result is what :func:`waiver_matches` gives over every pair.
    """
    by_target = _FindingIndex(findings)
    applied: dict[str, WaiverInfo] = {}
    outcomes: list[WaiverOutcome] = []
    for w in waivers:
        matched = by_target.matches(w)
        if w.expires < as_of:
            outcomes.append(WaiverOutcome(w, "expired", matched))
            continue
        if not matched:
            outcomes.append(WaiverOutcome(w, "stale"))
            continue
        for fp in matched:
            applied.setdefault(fp, w)
        outcomes.append(WaiverOutcome(w, "applied", matched))
    return applied, tuple(outcomes)


_Subjects = tuple[tuple[str, str], ...]


class _FindingIndex:
    """The fingerprints of findings by what a waiver can name them by: the fingerprint,
    or a rule reference (``rule`` and ``ruleset/rule`` both) with the exact subjects."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.by_fingerprint: dict[str, list[str]] = {}
        self.by_rule: dict[tuple[str, _Subjects], list[str]] = {}
        for f in findings:
            fp = f.fingerprint
            self.by_fingerprint.setdefault(fp, []).append(fp)
            subjects = _subjects_key(f.subjects)
            # a finding's rule id never equals its own ``ruleset/rule``: no double count
            for ref in (f.rule, f"{f.ruleset.id}/{f.rule}"):
                self.by_rule.setdefault((ref, subjects), []).append(fp)

    def matches(self, waiver: WaiverInfo) -> tuple[str, ...]:
        """The sorted fingerprints of the findings ``waiver`` names."""
        if waiver.fingerprint is not None:
            found = self.by_fingerprint.get(waiver.fingerprint, ())
        elif waiver.rule is None:
            found = ()
        else:
            found = self.by_rule.get((waiver.rule, _subjects_key(waiver.subjects or {})), ())
        return tuple(sorted(found))


def _subjects_key(subjects: Mapping[str, str]) -> _Subjects:
    # dict equality, as waiver_matches compares: the same keys with the same values
    return tuple(sorted(subjects.items()))
