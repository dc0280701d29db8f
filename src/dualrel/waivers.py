"""Waivers: documented, signed, time-bound decisions to accept a finding.

A waivers file is YAML: a mapping with a ``waivers`` list (or the bare list).  Each entry
names a finding by ``fingerprint`` (the full 32 hex digits, or a unique prefix of at least 12
such as the text report prints after ``#``), or by ``rule`` (``rule-id`` or ``ruleset/rule-id``)
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
``expired`` and the finding counts again.  A waiver that matches no finding is ``stale``:
:func:`stale_warnings` says why, located, for the command line to print.  The file format
is ``docs/waivers.md``; :func:`waivers_json_schema` is its JSON Schema.
"""

from __future__ import annotations

import bisect
import os
import re
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
from dualrel._internal.suggest import did_you_mean
from dualrel.errors import DualrelError, Problem
from dualrel.findings import CheckResult, Finding, WaiverInfo, WaiverOutcome

__all__ = [
    "MIN_FINGERPRINT_PREFIX",
    "WaiverError",
    "apply_waivers",
    "load_waivers",
    "stale_warnings",
    "waiver_matches",
    "waivers_json_schema",
]

#: The fewest hex digits a waiver's fingerprint may have: the text report prints 12.
MIN_FINGERPRINT_PREFIX = 12
#: A full fingerprint (:func:`dualrel.findings.fingerprint`).
_FINGERPRINT_DIGITS = 32
_FINGERPRINT = re.compile(rf"#?[0-9a-fA-F]{{{MIN_FINGERPRINT_PREFIX},{_FINGERPRINT_DIGITS}}}")
#: The top-level fields of a waivers file written as a mapping.
_FILE_FIELDS = ("waivers", "format")


class WaiverError(DualrelError):
    """A waivers file is invalid; ``problems`` lists every problem, located."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line or 0, p.message)))
        super().__init__("\n".join(str(p) for p in self.problems))


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Waiver")

    fingerprint: str | None = Field(
        default=None,
        # the schema's pattern only: the validator below says what is wrong in words
        json_schema_extra={"pattern": rf"^{_FINGERPRINT.pattern}$"},
        description="the finding's fingerprint: all 32 hex digits, or a unique prefix of at "
        f"least {MIN_FINGERPRINT_PREFIX} (the text report prints 12 after '#')",
    )
    rule: str | None = Field(
        default=None, description="the finding's rule: rule-id or ruleset/rule-id (with subjects)"
    )
    subjects: dict[str, str] | None = Field(
        default=None, description="the finding's subjects, all of them: role -> person id"
    )
    reason: str = Field(min_length=1, description="why the finding is accepted")
    approved_by: str = Field(min_length=1, description="who approved the waiver")
    agreement: str | None = Field(default=None, description="the signed document's reference")
    expires: date = Field(description="the last day the waiver applies (YYYY-MM-DD)")

    @field_validator("reason", "approved_by", "agreement", "fingerprint", "rule")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be blank")
        return v.strip() if v is not None else None

    @field_validator("fingerprint", mode="after")
    @classmethod
    def _fingerprint_digits(cls, v: str | None) -> str | None:
        # after _not_blank (declared first) has stripped it
        if v is None:
            return None
        if _FINGERPRINT.fullmatch(v) is None:
            raise ValueError(
                f"a fingerprint is {MIN_FINGERPRINT_PREFIX} to {_FINGERPRINT_DIGITS} hex "
                f"digits (the text report prints {MIN_FINGERPRINT_PREFIX} after '#'); "
                f"got {len(v)} character(s)"
                + ("" if set(v.lstrip("#")) <= set("0123456789abcdefABCDEF") else ", not all hex")
            )
        return v.removeprefix("#").lower()

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
        unknown = sorted(str(k) for k in data if k not in _FILE_FIELDS)
        if unknown:
            raise WaiverError(
                [
                    Problem(
                        file=name,
                        line=doc.line_of(f"/{unknown[0]}"),
                        pointer=f"/{unknown[0]}",
                        code="schema",
                        message=f"unknown field {unknown[0]!r} (expected 'waivers')"
                        + did_you_mean(unknown[0], _FILE_FIELDS),
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
                    msg = f"unknown field {fld!r}" + did_you_mean(str(fld), _Entry.model_fields)
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
    """Whether ``waiver`` names ``finding`` (by fingerprint or a prefix of it, or by rule and
    exact subjects).

    >>> from dualrel.findings import RulesetRef
    >>> f = Finding("r1", RulesetRef("rs", "1"), "t", "c", "low", 1, {"coach": "a"}, ("t1",),
    ...             (), (), "abc")
    >>> w = WaiverInfo("w.yaml:2", "why", "who", date(2030, 1, 1), rule="rs/r1",
    ...                subjects={"coach": "a"})
    >>> waiver_matches(w, f)
    True
    """
    if waiver.fingerprint is not None:
        return finding.fingerprint.startswith(waiver.fingerprint)
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

    A waiver's fingerprint that a finding has exactly names that finding; otherwise it
    names the findings whose fingerprints it starts (every fingerprint has 32 digits, so
    for findings of a check this is :func:`waiver_matches`).  Raises :class:`WaiverError`
    (``ambiguous-fingerprint``, naming each such waiver) when a waiver's fingerprint is a
    prefix of the fingerprints of different findings.
    """
    by_target = _FindingIndex(findings)
    applied: dict[str, WaiverInfo] = {}
    outcomes: list[WaiverOutcome] = []
    ambiguous: list[Problem] = []
    for w in waivers:
        matched = by_target.matches(w)
        if w.fingerprint is not None and len(set(matched)) > 1:
            file, line = _where(w)
            ambiguous.append(
                Problem(
                    file=file,
                    line=line,
                    code="ambiguous-fingerprint",
                    record=f"waiver {w.fingerprint}",
                    field="fingerprint",
                    message=f"{len(set(matched))} findings have fingerprints starting with "
                    f"{w.fingerprint!r}: give more digits",
                )
            )
            continue
        if w.expires < as_of:
            outcomes.append(WaiverOutcome(w, "expired", matched))
            continue
        if not matched:
            outcomes.append(WaiverOutcome(w, "stale"))
            continue
        for fp in matched:
            applied.setdefault(fp, w)
        outcomes.append(WaiverOutcome(w, "applied", matched))
    if ambiguous:
        raise WaiverError(ambiguous)
    return applied, tuple(outcomes)


def _where(waiver: WaiverInfo) -> tuple[str, int | None]:
    """The file and line of a waiver, from its ``source`` (``file:line``, or ``file``)."""
    file, _, line = waiver.source.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return waiver.source, None


def stale_warnings(result: CheckResult) -> tuple[Problem, ...]:
    """A located warning (``stale-waiver``) for each stale waiver of a check, in file
    order, saying why it matches nothing: no finding has its fingerprint, no rule of the
    check has its id (with the closest ids), or no finding of its rule has its subjects.

    The messages name the waiver's fingerprint or rule, never its free text (reason,
    approver, agreement).
    """
    rule_ids = {r.id for r in result.rules} | {f"{r.ruleset.id}/{r.id}" for r in result.rules}
    out: list[Problem] = []
    for outcome in result.waivers:
        if outcome.status != "stale":
            continue
        w = outcome.waiver
        file, line = _where(w)
        if w.fingerprint is not None:
            record = f"waiver {w.fingerprint}"
            why = f"no finding has fingerprint {w.fingerprint!r}"
        elif w.rule not in rule_ids:
            record = f"waiver {w.rule}"
            why = f"no rule {w.rule!r} in the rulesets checked" + did_you_mean(
                str(w.rule), rule_ids
            )
        else:
            record = f"waiver {w.rule}"
            why = f"no finding of {w.rule!r} has exactly these subjects (every role and person)"
        out.append(
            Problem(
                file=file,
                line=line,
                code="stale-waiver",
                message=f"stale waiver, it waives nothing: {why}",
                record=record,
                severity="warning",
            )
        )
    return tuple(out)


def waivers_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a waivers file: a mapping with a ``waivers``
    list, or the bare list.

    >>> schema = waivers_json_schema()
    >>> sorted(schema["$defs"]["Waiver"]["required"])
    ['approved_by', 'expires', 'reason']
    """
    entry = _Entry.model_json_schema(ref_template="#/$defs/{model}")
    defs = {"Waiver": {k: v for k, v in entry.items() if k != "$defs"}, **entry.get("$defs", {})}
    entries = {"type": "array", "items": {"$ref": "#/$defs/Waiver"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "dualrel waivers file",
        "description": "Documented, signed, time-bound decisions to accept findings "
        "(docs/waivers.md). Each waiver names a finding by fingerprint, or by rule and "
        "subjects.",
        "oneOf": [
            {
                "type": "object",
                "properties": {"waivers": {"oneOf": [entries, {"type": "null"}]}, "format": {}},
                "additionalProperties": False,
            },
            entries,
            {"type": "null"},
        ],
        "$defs": defs,
    }


_Subjects = tuple[tuple[str, str], ...]


class _FindingIndex:
    """The fingerprints of findings by what a waiver can name them by: the fingerprint,
    or a rule reference (``rule`` and ``ruleset/rule`` both) with the exact subjects."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.by_fingerprint: dict[str, list[str]] = {}
        self.by_rule: dict[tuple[str, _Subjects], list[str]] = {}
        self.sorted_fingerprints: list[str] | None = None
        for f in findings:
            fp = f.fingerprint
            self.by_fingerprint.setdefault(fp, []).append(fp)
            subjects = _subjects_key(f.subjects)
            # a finding's rule id never equals its own ``ruleset/rule``: no double count
            for ref in (f.rule, f"{f.ruleset.id}/{f.rule}"):
                self.by_rule.setdefault((ref, subjects), []).append(fp)

    def matches(self, waiver: WaiverInfo) -> tuple[str, ...]:
        """The sorted fingerprints of the findings ``waiver`` names (more than one distinct
        fingerprint only for a prefix of several)."""
        if waiver.fingerprint is not None:
            found = self.by_fingerprint.get(waiver.fingerprint, ())
            if not found:
                found = self._by_prefix(waiver.fingerprint)
        elif waiver.rule is None:
            found = ()
        else:
            found = self.by_rule.get((waiver.rule, _subjects_key(waiver.subjects or {})), ())
        return tuple(sorted(found))

    def _by_prefix(self, prefix: str) -> list[str]:
        if self.sorted_fingerprints is None:  # sorted once, for the first prefix only
            self.sorted_fingerprints = sorted(self.by_fingerprint)
        keys = self.sorted_fingerprints
        found: list[str] = []
        for i in range(bisect.bisect_left(keys, prefix), len(keys)):
            if not keys[i].startswith(prefix):
                break
            found.extend(self.by_fingerprint[keys[i]])
        return found


def _subjects_key(subjects: Mapping[str, str]) -> _Subjects:
    # dict equality, as waiver_matches compares: the same keys with the same values
    return tuple(sorted(subjects.items()))
