"""A brute-force reference matcher, sharing no matching code with the engine.

It reads the loaded rule's pattern and enumerates variable assignments clause by clause in
plain Python over the registry: tie clauses first, then record clauses, then conditions,
negated clauses and grouping.  Slow, simple, and written from the semantics in the issues
and ``docs/rulesets.md`` ("Practice records in patterns"); it parses ``where`` itself and
knows the fields of each practice section from that document, not from the library.

- distinct variables are distinct people (also those a record clause introduces), and a
  variable's roles apply wherever it is bound; ``between`` reads either direction; active
  means ``start <= as_of <= end`` with missing dates open; ``ended`` means ``end < as_of``;
- times compare in days: dates as their day, instants (a contact's ``at``,
  ``responded_at``) as days and fractions of a day from midnight UTC of the evaluation
  date, exactly (fractions, no floating point).  A missing tie start is "since always",
  a missing tie end "ongoing", a missing record date "not yet" (later than any date),
  except an agreement's missing ``reviewed``, which reads as its ``signed``;
- numbers: ``response_window_hours``; ``response_hours`` is derived (hours from ``at`` to
  ``responded_at``, or to the end of the evaluation date, midnight UTC of ``as_of + 1``,
  when unanswered).  A missing number or value makes a comparison false (``!=`` too), as
  does a missing value or instant in ``in``/``not in``/``outside``;
- ``x.at outside a.hours``: not on one of the agreement's ``days`` (none: every day), or
  not within its ``hours`` (none: any time), in the contact's own local time, a start
  after the end wrapping past midnight, the minute read (seconds ignored);
- concerns: the person field ``about`` is set only when ``about`` names a person;
  ``about_source``/``about_target`` are the source and target (as written) of the tie
  ``about`` names; ``tie:`` matches when ``about`` is that tie's id;
- a condition reading a negated record clause belongs to it ("no record such that its
  fields and these conditions hold"); the others are checked on every match;
- grouping: ``per`` (or, for ``count``/``share`` without ``per``, every bound variable)
  makes one finding per group, evidence the sorted tie ids and records the sorted
  ``section/id`` of its matches (for ``share``, of its matches meeting ``share.where``);
  ``count`` needs at least ``at_least`` distinct records of clause ``of``; ``share`` needs
  ``num > more_than * den`` with ``more_than`` read as the decimal it is written as.

- paths: a path joins ``a`` to ``b`` when the ties of its kinds (active on ``as_of`` with
  ``active: true``) make a chain from ``a`` to ``b`` (each tie along its direction for
  ``from``/``to``, either way for ``between``) whose length, the fewest ties of any such
  chain, is from ``min_hops`` to ``max_hops``; its evidence is the chain of that length
  whose tie ids, read from its start, are smallest (from ``a`` to ``b`` for ``from``/``to``,
  from the one of the two whose id sorts first for ``between``), after the tie clauses',
  paths in written order.  Found here by enumerating simple chains, shortest first.

Issue 15 (people and numbers): a person variable's ``organisation`` and ``attributes`` tests
hold of the person bound; a value *reads as a number* when it is a number (not a boolean)
or text Python's ``float`` reads as finite, and a numeric test (``greater_than``,
``at_least``, ``less_than``, ``at_most``) holds only of such a value; ``where`` may compare
``<variable>.organisation``, ``<variable>.attributes.<key>`` and
``<clause>.attributes.<key>``: ``==``/``!=`` as canonical texts, orders as numbers, a
missing value (or no number) making it false; ``count``/``share`` may count the people
bound to a variable or the ties of a tie clause, and ``count``'s ``alike`` keeps the
matches of the field values held by at least ``at_least`` counted people.

Ungrouped, a finding is one distinct match: subjects every bound variable, evidence the
tie ids of the tie clauses that exist in written order, records the ``section/id`` of the
record clauses that exist in written order.

Issue 15 (items 5, 6, 8), read from docs/rulesets.md:

- ``known: [start|end]``: that date is given; a fixed ``YYYY-MM-DD`` in a condition is its
  day; ``clause.attribute`` of a tie clause is the attribute read as a date, and a value
  that is not exactly ``YYYY-MM-DD`` (a real date) makes the comparison false;
- a condition reading a negated tie clause belongs to it, as for records;
- a symmetric pattern: every renaming of the variables that, with some renaming of the
  clause names, gives back the same pattern (tried one by one, compared as text); a
  finding is kept only when its subjects, read in declaration order, are not larger than
  any of their renamings (none for ``count``/``share``).
"""

from __future__ import annotations

import itertools
import json
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from dualrel.graph.model import Registry, Tie
from dualrel.rules.loader import Rule, Ruleset

INF = 10**12

# -- the sections, as docs/rulesets.md describes them -----------------------------------

PEOPLE: Mapping[str, tuple[str, ...]] = {
    "agreements": (),
    "consents": ("person",),
    "assessments": ("client", "assessor"),
    "disclosures": ("client", "by"),
    "supervision_sessions": ("supervisor", "coach"),
    "contacts": ("coach", "client"),
    "concerns": ("about", "raised_by", "about_source", "about_target"),
    "records": ("client",),
}
TIE_FIELD: Mapping[str, str] = {"agreements": "tie", "concerns": "about"}
TIMES: Mapping[str, frozenset[str]] = {
    "agreements": frozenset({"signed", "reviewed"}),
    "consents": frozenset({"given", "withdrawn"}),
    "assessments": frozenset({"date"}),
    "disclosures": frozenset({"date"}),
    "supervision_sessions": frozenset({"date"}),
    "contacts": frozenset({"at", "responded_at"}),
    "concerns": frozenset({"raised", "resolved"}),
    "records": frozenset({"created", "retain_until", "destroyed"}),
}
NUMBERS: Mapping[str, frozenset[str]] = {
    "agreements": frozenset({"response_window_hours"}),
    "contacts": frozenset({"response_hours"}),
}
VALUES: Mapping[str, frozenset[str]] = {
    "consents": frozenset({"purpose", "scope", "recipient"}),
    "assessments": frozenset({"instrument"}),
    "disclosures": frozenset({"recipient"}),
    "contacts": frozenset({"channel", "initiated_by"}),
    "concerns": frozenset({"status"}),
    "records": frozenset({"kind"}),
}
LISTS: Mapping[str, frozenset[str]] = {
    "agreements": frozenset({"roles", "covers", "channels", "days"}),
}
WINDOWS: Mapping[str, frozenset[str]] = {"agreements": frozenset({"hours"})}
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_OPS: Mapping[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_REF = r"(?:[A-Za-z_]\w*\.[A-Za-z_]\w*|as_of|\d{4}-\d{2}-\d{2})"
_COMPARE = re.compile(
    rf"^\s*({_REF})\s*(<=|>=|==|!=|<|>)\s*({_REF})"
    r"(?:\s*([+-])\s*(\d+(?:\.\d+)?|[A-Za-z_]\w*))?\s*$"
)
_MEMBER = re.compile(rf"^\s*({_REF})\s+(not\s+)?in\s+({_REF})\s*$")
_OUTSIDE = re.compile(rf"^\s*({_REF})\s+outside\s+({_REF})\s*$")


def _canon(v: Any) -> str:
    def plain(x: Any) -> Any:
        return x.isoformat() if isinstance(x, date) else str(x)

    return json.dumps(v, sort_keys=True, separators=(",", ":"), default=plain)


def _number(v: Any) -> bool:
    return isinstance(v, int | float | Fraction) and not isinstance(v, bool)


def _same(value: Any, wanted: Any) -> bool:
    if _number(value) and _number(wanted):
        return bool(value == wanted)
    return _canon(value) == _canon(wanted)


def _exact(v: Any) -> Fraction:
    """A number as written: 0.2 is one fifth, not the float nearest to it."""
    return Fraction(str(v))


@dataclass(frozen=True)
class Rec:
    """A practice record of a section, as a match holds it."""

    section: str
    record: Any

    @property
    def key(self) -> str:
        return f"{self.section}/{self.record.id}"


Item = Tie | Rec
Context = Mapping[str, Item]


class Reader:
    """Reads fields of ties and records as ``where`` sees them, on one evaluation date."""

    def __init__(self, registry: Registry, as_of: date) -> None:
        self.day0 = as_of.toordinal()
        self.midnight = datetime.combine(as_of, time(), tzinfo=UTC)
        self.end_of_day = self.midnight + timedelta(days=1)
        self.person_ids = {p.id for p in registry.people}
        self.ties = {t.id: t for t in registry.ties}

    def instant(self, at: datetime) -> Fraction:
        d = at - self.midnight
        micro = (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds
        return self.day0 + Fraction(micro, 86_400_000_000)

    def response_hours(self, contact: Any) -> Fraction:
        until = contact.responded_at if contact.responded_at is not None else self.end_of_day
        d = until - contact.at
        micro = (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds
        return Fraction(micro, 3_600_000_000)

    def field(self, rec: Rec, name: str) -> Any:
        """The raw value of a field (``fields:`` tests), derived ones computed."""
        if rec.section == "contacts" and name == "response_hours":
            return self.response_hours(rec.record)
        return getattr(rec.record, name)

    def people(self, rec: Rec) -> dict[str, str | None]:
        r = rec.record
        out: dict[str, str | None] = {}
        for name in PEOPLE[rec.section]:
            if rec.section == "concerns" and name in ("about", "about_source", "about_target"):
                continue
            out[name] = getattr(r, name)
        if rec.section == "concerns":
            out["about"] = r.about if r.about in self.person_ids else None
            tie = self.ties.get(r.about)
            out["about_source"] = tie.source if tie is not None else None
            out["about_target"] = tie.target if tie is not None else None
        return out

    def tie_of(self, rec: Rec) -> str | None:
        name = TIE_FIELD.get(rec.section)
        return None if name is None else getattr(rec.record, name)

    def read(self, ref: str, ctx: Context) -> tuple[str, Any]:
        """``(kind, value)`` of ``as_of`` or ``clause.field``."""
        if ref == "as_of":
            return "time", self.day0
        if "." not in ref:  # a fixed date
            return "time", date.fromisoformat(ref).toordinal()
        name, field = ref.split(".")
        item = ctx[name]
        if isinstance(item, Tie):
            if field == "start":
                return "time", -INF if item.start is None else item.start.toordinal()
            if field == "end":
                return "time", INF if item.end is None else item.end.toordinal()
            # an attribute read as a date: None unless it holds one
            value = item.attributes.get(field)
            if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    value = None
            if isinstance(value, date) and not isinstance(value, datetime):
                return "time", value.toordinal()
            return "time", None
        section, r = item.section, item.record
        if field in TIMES[section]:
            v = getattr(r, field)
            if v is None and section == "agreements" and field == "reviewed":
                v = r.signed
            if v is None:
                return "time", INF
            if isinstance(v, datetime):
                return "time", self.instant(v)
            return "time", v.toordinal()
        if field in NUMBERS.get(section, ()):
            return "number", self.field(item, field)
        if field in VALUES.get(section, ()):
            return "value", getattr(r, field)
        if field in LISTS.get(section, ()):
            return "list", tuple(getattr(r, field) or ())
        if field in WINDOWS.get(section, ()):
            return "window", r
        raise KeyError(ref)


def outside(at: datetime, agreement: Any) -> bool:
    """Whether ``at`` (in its own local time) is outside the agreed days and hours."""
    if agreement.days and WEEKDAY_NAMES[at.weekday()] not in agreement.days:
        return True
    if agreement.hours is None:
        return False
    start_text, end_text = agreement.hours.split("-")

    def minutes(text: str) -> int:
        h, m = text.split(":")
        return int(h) * 60 + int(m)

    start, end, now = minutes(start_text), minutes(end_text), at.hour * 60 + at.minute
    inside = start <= now < end if start <= end else (now >= start or now < end)
    return not inside


@dataclass(frozen=True)
class Condition:
    """One parsed ``where`` condition (or ``any`` of several): what it reads, and a test."""

    reads: frozenset[str]
    holds: Callable[[Reader, Context], bool]


_FIELD_REF = r"[A-Za-z_]\w*\.(?:organisation|attributes\.[A-Za-z_]\w*)"
_FIELDS = re.compile(
    rf"^\s*({_FIELD_REF})\s*(<=|>=|==|!=|<|>)\s*({_FIELD_REF})"
    r"(?:\s*([+-])\s*(\d+(?:\.\d+)?|[A-Za-z_]\w*))?\s*$"
)


def _field(item: Any, path: str) -> tuple[bool, Any]:
    """A person's organisation or attribute, or a tie's attribute: (present, value)."""
    if path == "organisation":
        return item.organisation is not None, item.organisation
    key = path.split(".", 1)[1]
    return key in item.attributes, item.attributes.get(key)


def _fields_condition(m: re.Match[str], parameters: Mapping[str, Any]) -> Condition:
    """Issue 15: people's fields and tie attributes compared; == and != as values, the
    orders as numbers (both must read as numbers); a missing value makes it false."""
    left, op, right, sign, off = m.groups()
    k = 0.0
    if off is not None:
        k = float(parameters[off]) if off[0].isalpha() or off[0] == "_" else float(off)
        k = -k if sign == "-" else k

    def holds(_reader: Reader, ctx: Context) -> bool:
        (lo, lpath), (ro, rpath) = left.split(".", 1), right.split(".", 1)
        lp, lv = _field(ctx[lo], lpath)
        rp, rv = _field(ctx[ro], rpath)
        if not (lp and rp):
            return False
        if op in ("==", "!="):
            return _OPS[op](_canon(lv), _canon(rv))
        a, b = _reads_as_number(lv), _reads_as_number(rv)
        return a is not None and b is not None and _OPS[op](a, b + k)

    return Condition(frozenset({left.split(".")[0], right.split(".")[0]}), holds)


def parse(text: str, parameters: Mapping[str, Any]) -> Condition:
    m = _FIELDS.match(text)
    if m is not None:
        return _fields_condition(m, parameters)
    m = _COMPARE.match(text)
    if m is not None:
        left, op, right, sign, off = m.groups()
        k = Fraction(0)
        if off is not None:
            k = _exact(off) if off[0].isdigit() else _exact(parameters[off])
            k = -k if sign == "-" else k

        def compare(reader: Reader, ctx: Context) -> bool:
            lk, lv = reader.read(left, ctx)
            rk, rv = reader.read(right, ctx)
            assert lk == rk, f"{text}: {lk} against {rk}"
            if lv is None or rv is None:  # a missing number or value, a non-date attribute
                return False
            if lk == "value":
                return bool(_OPS[op](lv, rv))
            return bool(_OPS[op](lv, rv + k))

        return Condition(_reads(left, right), compare)
    m = _MEMBER.match(text)
    if m is not None:
        value_ref, negated, list_ref = m.groups()

        def member(reader: Reader, ctx: Context) -> bool:
            _, v = reader.read(value_ref, ctx)
            _, words = reader.read(list_ref, ctx)
            if v is None:
                return False
            return (v in words) != (negated is not None)

        return Condition(_reads(value_ref, list_ref), member)
    m = _OUTSIDE.match(text)
    if m is not None:
        at_ref, window_ref = m.groups()
        at_clause, at_field = at_ref.split(".")

        def is_outside(reader: Reader, ctx: Context) -> bool:
            item = ctx[at_clause]
            assert isinstance(item, Rec)
            at = getattr(item.record, at_field)
            if at is None:
                return False
            _, agreement = reader.read(window_ref, ctx)
            return outside(at, agreement)

        return Condition(_reads(at_ref, window_ref), is_outside)
    raise ValueError(f"the oracle cannot read {text!r}")


def _reads(*refs: str) -> frozenset[str]:
    return frozenset(r.split(".")[0] for r in refs if "." in r)


def parse_where(items: Iterable[Any], parameters: Mapping[str, Any]) -> list[Condition]:
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(parse(item, parameters))
        else:  # {any: [...]}
            alternatives = [parse(text, parameters) for text in item.any]

            def any_holds(
                reader: Reader, ctx: Context, alternatives: list[Condition] = alternatives
            ) -> bool:
                return any(c.holds(reader, ctx) for c in alternatives)

            out.append(Condition(frozenset().union(*(c.reads for c in alternatives)), any_holds))
    return out


# -- tie clauses (unchanged semantics) --------------------------------------------------------


def _reads_as_number(v: Any) -> float | None:
    """Issue 15: a number, or text Python reads as a finite float; not a boolean."""
    if isinstance(v, bool):
        return None
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return None
    if not isinstance(v, int | float) or not -float("inf") < v < float("inf"):
        return None
    return float(v)


_BOUNDS = {"greater_than": ">", "at_least": ">=", "less_than": "<", "at_most": "<="}


def value_ok(test: Any, present: bool, value: Any, parameters: Mapping[str, Any]) -> bool:
    """One attribute test (tie or person) of a value (``present`` False: no value)."""
    if test.present:
        return present
    if test.absent:
        return not present
    bounds = [(op, getattr(test, name)) for name, op in _BOUNDS.items()]
    bounds = [(op, b) for op, b in bounds if b is not None]
    if bounds:
        number = _reads_as_number(value) if present else None
        if number is None:
            return False
        return all(
            _OPS[op](number, float(parameters[b] if isinstance(b, str) else b)) for op, b in bounds
        )
    wanted = [test.equals] if test.equals is not None else list(test.in_)
    return present and _canon(value) in {_canon(w) for w in wanted}


def person_ok(spec: Any, person: Any, parameters: Mapping[str, Any]) -> bool:
    """A person variable's roles (any one), organisation and attributes tests."""
    if spec.roles and not set(spec.roles) & set(person.roles):
        return False
    if spec.organisation is not None and not value_ok(
        spec.organisation, person.organisation is not None, person.organisation, parameters
    ):
        return False
    return all(
        value_ok(test, key in person.attributes, person.attributes.get(key), parameters)
        for key, test in spec.attributes.items()
    )


def _clause_ok(clause: Any, tie: Tie, as_of: date, parameters: Mapping[str, Any]) -> bool:
    if tie.kind not in clause.kinds:
        return False
    if clause.active and not (
        (tie.start is None or tie.start <= as_of) and (tie.end is None or tie.end >= as_of)
    ):
        return False
    if "start" in clause.known and tie.start is None:
        return False
    if "end" in clause.known and tie.end is None:
        return False
    ended = tie.end is not None and tie.end < as_of
    if clause.ended is not None and clause.ended != ended:
        return False
    return all(
        value_ok(test, name in tie.attributes, tie.attributes.get(name), parameters)
        for name, test in clause.attributes.items()
    )


def _orientations(clause: Any, tie: Tie, directed: dict[str, bool]) -> list[tuple[str, str]]:
    if clause.between is None and directed.get(tie.kind, True):
        return [(tie.source, tie.target)]
    return [(tie.source, tie.target), (tie.target, tie.source)]


# -- paths ----------------------------------------------------------------------------------


def path_chain(
    path: Any, ties: Sequence[Tie], a: str, b: str, as_of: date
) -> tuple[str, ...] | None:
    """The evidence chain of ``path`` from ``a`` to ``b``, or None when it does not hold."""
    if path.between is not None and b < a:
        a, b = b, a
    usable = [
        t
        for t in ties
        if t.kind in path.kinds
        and (
            not path.active
            or ((t.start is None or t.start <= as_of) and (t.end is None or t.end >= as_of))
        )
    ]

    def steps(person: str) -> list[tuple[str, str]]:
        out = [(t.id, t.target) for t in usable if t.source == person]
        if path.between is not None:
            out += [(t.id, t.source) for t in usable if t.target == person]
        return out

    walks: list[tuple[str, tuple[str, ...], frozenset[str]]] = [(a, (), frozenset({a}))]
    length = 0
    while walks:
        length += 1
        if path.max_hops is not None and length > path.max_hops:
            return None
        walks = [
            (nxt, (*chain, tid), seen | {nxt})
            for person, chain, seen in walks
            for tid, nxt in steps(person)
            if nxt not in seen
        ]
        arrived = [chain for person, chain, _ in walks if person == b]
        if arrived:
            return min(arrived) if length >= path.min_hops else None
    return None


# -- record clauses ---------------------------------------------------------------------------


def field_test_ok(test: Any, value: Any, *, is_list: bool) -> bool:
    """One ``fields:`` test on a field's raw value (lists: empty is absent)."""
    if is_list:
        words = tuple(value or ())
        if test.contains is not None:
            return all(w in words for w in test.contains)
        if test.lacks is not None:
            return not any(w in words for w in test.lacks)
        if test.present:
            return bool(words)
        if test.absent:
            return not words
        raise ValueError("equals/in on a list field")
    present = value is not None
    if test.present:
        return present
    if test.absent:
        return not present
    if test.equals is not None:
        return present and _same(value, test.equals)
    if test.in_ is not None:
        return present and any(_same(value, w) for w in test.in_)
    raise ValueError("contains/lacks on a field that is not a list")


def _record_ok(clause: Any, rec: Rec, reader: Reader, tie_ids: Mapping[str, str]) -> bool:
    """The clause's ``tie:`` and ``fields:`` (people are bound by the caller)."""
    if clause.tie is not None and reader.tie_of(rec) != tie_ids[clause.tie]:
        return False
    lists = LISTS.get(clause.section, frozenset())
    return all(
        field_test_ok(test, reader.field(rec, name), is_list=name in lists)
        for name, test in clause.fields.items()
    )


# -- matching ---------------------------------------------------------------------------------

Subjects = tuple[tuple[str, str], ...]
Finding = tuple[Subjects, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class _Match:
    binding: Mapping[str, str]
    ties: tuple[str, ...]
    records: tuple[str, ...]
    named: Mapping[str, Item]


def _matches(rule: Rule, ruleset: Ruleset, registry: Registry, as_of: date) -> list[_Match]:
    reader = Reader(registry, as_of)
    persons = {p.id: p for p in registry.people}
    directed = dict(ruleset.kinds)
    match = rule.match
    people = match.people
    positive = [c for c in match.ties if c.exists]
    negative = [c for c in match.ties if not c.exists]
    pos_records = [c for c in match.records if c.exists]
    neg_records = [c for c in match.records if not c.exists]
    negated_names = {c.as_ for c in neg_records + negative if c.as_}
    conditions = parse_where(match.where, rule.parameters)
    checked = [c for c in conditions if not c.reads & negated_names]
    vetoes = [
        (clause, [c for c in conditions if clause.as_ is not None and clause.as_ in c.reads])
        for clause in neg_records
    ]
    by_kind: dict[str, list[Tie]] = defaultdict(list)
    touching: dict[str, list[Tie]] = defaultdict(list)
    for t in registry.ties:
        by_kind[t.kind].append(t)
        touching[t.source].append(t)
        touching[t.target].append(t)
    sections = {c.section: tuple(registry.practice.section(c.section)) for c in match.records}

    def candidates(clause: Any, binding: dict[str, str]) -> list[Tie]:
        for var in clause.ends:
            if var in binding:
                return [t for t in touching[binding[var]] if t.kind in clause.kinds]
        return [t for kind in clause.kinds for t in by_kind.get(kind, [])]

    def role_ok(var: str, person: str) -> bool:
        return person_ok(people[var], persons[person], rule.parameters)

    tie_vetoes = {
        id(clause): [c for c in conditions if clause.as_ is not None and clause.as_ in c.reads]
        for clause in negative
    }

    def tie_negation_ok(binding: dict[str, str], ctx: dict[str, Item]) -> bool:
        # "no tie satisfying all of them": the clause's tests and its conditions
        for clause in negative:
            for tie in candidates(clause, binding):
                if not _clause_ok(clause, tie, as_of, rule.parameters):
                    continue
                inner = {**ctx, clause.as_: tie} if clause.as_ else ctx
                if not all(c.holds(reader, inner) for c in tie_vetoes[id(clause)]):
                    continue
                for a, b in _orientations(clause, tie, directed):
                    ok = True
                    for var, person in zip(clause.ends, (a, b), strict=True):
                        if var in binding:
                            ok = ok and binding[var] == person
                        else:  # "anyone" other than the people already chosen
                            ok = ok and person not in binding.values() and role_ok(var, person)
                    if ok:
                        return False
        return True

    def record_negation_ok(
        binding: dict[str, str], ctx: dict[str, Item], ties: dict[str, str]
    ) -> bool:
        for clause, conds in vetoes:
            for record in sections[clause.section]:
                rec = Rec(clause.section, record)
                fields = reader.people(rec)
                if any(
                    fields[f] is None or fields[f] != binding[v] for f, v in clause.people.items()
                ):
                    continue
                if not _record_ok(clause, rec, reader, ties):
                    continue
                inner = {**ctx, clause.as_: rec} if clause.as_ else ctx
                if all(c.holds(reader, inner) for c in conds):
                    return False
        return True

    found: list[_Match] = []

    def finish(
        binding: dict[str, str], chosen: list[Tie], recs: list[Rec], chains: tuple[str, ...]
    ) -> None:
        # the people bound, for conditions on their fields; clause names win a clash
        ctx: dict[str, Any] = {var: persons[p] for var, p in binding.items()}
        ties: dict[str, str] = {}
        for clause, tie in zip(positive, chosen, strict=True):
            if clause.as_:
                ctx[clause.as_] = tie
                ties[clause.as_] = tie.id
        for rclause, rec in zip(pos_records, recs, strict=True):
            if rclause.as_:
                ctx[rclause.as_] = rec
        if not all(c.holds(reader, ctx) for c in checked):
            return
        if not tie_negation_ok(binding, ctx) or not record_negation_ok(binding, ctx, ties):
            return
        found.append(
            _Match(
                dict(binding),
                tuple(t.id for t in chosen) + chains,
                tuple(r.key for r in recs),
                ctx,
            )
        )

    def search_records(
        j: int, binding: dict[str, str], chosen: list[Tie], recs: list[Rec], chains: tuple[str, ...]
    ) -> None:
        if j == len(pos_records):
            finish(binding, chosen, recs, chains)
            return
        clause = pos_records[j]
        ties = {c.as_: t.id for c, t in zip(positive, chosen, strict=True) if c.as_}
        for record in sections[clause.section]:
            rec = Rec(clause.section, record)
            fields = reader.people(rec)
            new = dict(binding)
            ok = True
            for name, var in clause.people.items():
                person = fields[name]
                if person is None:
                    ok = False
                elif var in new:
                    ok = new[var] == person
                elif person in new.values() or not role_ok(var, person):
                    ok = False
                else:
                    new[var] = person
                if not ok:
                    break
            if ok and _record_ok(clause, rec, reader, ties):
                search_records(j + 1, new, chosen, [*recs, rec], chains)

    everyone = [p.id for p in registry.people]

    def search_paths(
        j: int, binding: dict[str, str], chosen: list[Tie], chains: tuple[str, ...]
    ) -> None:
        if j == len(match.paths):
            search_records(0, binding, chosen, [], chains)
            return
        path = match.paths[j]
        for a in [binding[path.ends[0]]] if path.ends[0] in binding else everyone:
            for b in [binding[path.ends[1]]] if path.ends[1] in binding else everyone:
                new = dict(binding)
                ok = a != b
                for var, person in zip(path.ends, (a, b), strict=True):
                    if not ok:
                        break
                    if var not in new:
                        ok = person not in new.values() and role_ok(var, person)
                        new[var] = person
                if not ok:
                    continue
                chain = path_chain(path, registry.ties, a, b, as_of)
                if chain is not None:
                    search_paths(j + 1, new, chosen, chains + chain)

    def search(i: int, binding: dict[str, str], chosen: list[Tie]) -> None:
        if i == len(positive):
            search_paths(0, binding, chosen, ())
            return
        clause = positive[i]
        for tie in candidates(clause, binding):
            if not _clause_ok(clause, tie, as_of, rule.parameters):
                continue
            for a, b in _orientations(clause, tie, directed):
                new = dict(binding)
                ok = True
                for var, person in zip(clause.ends, (a, b), strict=True):
                    if var in new:
                        ok = ok and new[var] == person
                    elif person in new.values() or not role_ok(var, person):
                        ok = False
                    else:
                        new[var] = person
                if ok:
                    search(i + 1, new, [*chosen, tie])

    search(0, {}, [])
    return found


# -- symmetric patterns -------------------------------------------------------------------


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _where_text(text: str, names: Mapping[str, str]) -> str:
    """A condition with its clauses renamed, written one way of the two it reads."""

    def rename(ref: str) -> str:
        if "." not in ref:
            return ref
        name, field = ref.split(".")
        return f"{names.get(name, name)}.{field}"

    m = _COMPARE.match(text)
    if m is None:
        return re.sub(r"([A-Za-z_]\w*)\.", lambda g: names.get(g[1], g[1]) + ".", text.strip())
    left, op, right, sign, off = m.groups()
    k = "0" if off is None else off
    one = f"{rename(left)} {op} {rename(right)} {sign or '+'}{k}"
    other = f"{rename(right)} {_FLIPPED[op]} {rename(left)} {'+' if sign == '-' else '-'}{k}"
    if k == "0":
        one, other = one[: one.rindex(" ")], other[: other.rindex(" ")]
    return min(one, other)


def _shape(rule: Rule, sigma: Mapping[str, str], names: Mapping[str, str]) -> str:
    """The pattern with its variables and clause names renamed, order left out."""
    m = rule.match
    ties = []
    for c in m.ties:
        d = c.model_dump(by_alias=True, exclude_none=True)
        if c.as_:
            d["as"] = names[c.as_]
        if c.between is not None:
            d["between"] = sorted(sigma[v] for v in c.between)
        else:
            d["from"], d["to"] = sigma[c.from_ or ""], sigma[c.to or ""]
        d["kind"] = sorted(c.kinds)
        ties.append(_canon(d))
    records = []
    for r in m.records:
        d = r.model_dump(by_alias=True, exclude_none=True)
        if r.as_:
            d["as"] = names[r.as_]
        if r.tie:
            d["tie"] = names[r.tie]
        d["people"] = {f: sigma[v] for f, v in r.people.items()}
        records.append(_canon(d))
    where = []
    for item in m.where:
        texts = [item] if isinstance(item, str) else item.any
        where.append(_canon(sorted(_where_text(t, names) for t in texts)))
    paths = []
    for p in m.paths:  # where cannot read a path, so its name is left out
        d = p.model_dump(by_alias=True, exclude_none=True)
        d.pop("as", None)
        if p.between is not None:
            d["between"] = sorted(sigma[v] for v in p.between)
        else:
            d["from"], d["to"] = sigma[p.from_ or ""], sigma[p.to or ""]
        d["kind"] = sorted(p.kinds)
        paths.append(_canon(d))
    per = None if m.per is None else sorted(sigma[v] for v in m.per)
    return _canon([sorted(ties), sorted(records), sorted(paths), sorted(where), per])


def _ends(ties: Sequence[tuple[bool, str, str]], sigma: Mapping[str, str]) -> list[tuple]:
    """The ends ``(directed, a, b)`` of tie clauses renamed (``between`` in either order)."""
    return sorted(
        (True, sigma[a], sigma[b]) if directed else (False, *sorted((sigma[a], sigma[b])))
        for directed, a, b in ties
    )


def automorphisms(rule: Rule) -> list[dict[str, str]]:
    """Every renaming of the variables (not the identity) that, with some renaming of
    the clause names, gives back the same pattern; none for ``count``/``share`` rules."""
    m = rule.match
    if m.count is not None or m.share is not None:
        return []
    variables = list(m.people)
    names = [c.as_ for c in (*m.ties, *m.records) if c.as_]
    same = {n: n for n in names}
    base = _shape(rule, {v: v for v in variables}, same)
    spec = {v: repr(m.people[v]) for v in variables}
    ties = [(c.between is None, *c.ends) for c in m.ties]
    ends = _ends(ties, {v: v for v in variables})
    out = []
    for image in itertools.permutations(variables):
        sigma = dict(zip(variables, image, strict=True))
        if image == tuple(variables) or any(spec[v] != spec[sigma[v]] for v in variables):
            continue
        if _ends(ties, sigma) != ends:
            continue  # a cheap necessary condition: the ties join the same people
        for renamed in itertools.permutations(names):
            if _shape(rule, sigma, dict(zip(names, renamed, strict=True))) == base:
                out.append(sigma)
                break
    return out


def _first_ordering(subjects: Subjects, order: Sequence[str], autos: list[dict[str, str]]) -> bool:
    """The reported ordering of a symmetric match: the smallest person ids, read in the
    variables' declared order, among its images."""
    who = dict(subjects)
    seen = [v for v in order if v in who]
    return all(
        [who[v] for v in seen] <= [who[sigma[v]] for v in seen]
        for sigma in autos
        if all(sigma[v] in who for v in seen)
    )


def rule_findings(rule: Rule, ruleset: Ruleset, registry: Registry, as_of: date) -> set[Finding]:
    """Every finding of one rule as ``(subjects, evidence, records)``, one per unordered
    match of a symmetric pattern."""
    autos = automorphisms(rule)
    order = rule.match.per if rule.match.per is not None else list(rule.match.people)
    return {
        f
        for f in _rule_findings(rule, ruleset, registry, as_of)
        if _first_ordering(f[0], order, autos)
    }


def _rule_findings(rule: Rule, ruleset: Ruleset, registry: Registry, as_of: date) -> set[Finding]:
    matches = _matches(rule, ruleset, registry, as_of)
    m = rule.match
    if m.per is None and m.count is None and m.share is None:
        return {(tuple(sorted(x.binding.items())), x.ties, x.records) for x in matches}
    groups: dict[Subjects, list[_Match]] = defaultdict(list)
    for x in matches:
        keys: Sequence[str] = m.per if m.per is not None else sorted(x.binding)
        groups[tuple(sorted((v, x.binding[v]) for v in keys))].append(x)
    reader = Reader(registry, as_of)
    share_where = parse_where(m.share.where, rule.parameters) if m.share is not None else []

    def param(v: Any) -> Fraction:
        return _exact(rule.parameters[v] if isinstance(v, str) else v)

    tie_names = [c.as_ for c in m.ties if c.exists]
    persons = {p.id: p for p in registry.people}

    def of(xs: Iterable[_Match], name: str) -> set[str]:
        """Distinct records of a record clause, ties of a tie clause, or people bound to a
        variable (issue 15)."""
        out = set()
        for x in xs:
            if name in m.people:
                out.add(x.binding[name])
            elif name in tie_names:
                out.add(x.ties[tie_names.index(name)])
            else:
                item = x.named[name]
                assert isinstance(item, Rec)
                out.add(item.key)
        return out

    def alike(xs: list[_Match], var: str, path: str) -> list[_Match]:
        """The matches of the values of the counted people's field held by enough people."""
        by: dict[str, list[_Match]] = defaultdict(list)
        for x in xs:
            present, value = _field(persons[x.binding[var]], path)
            if present:
                by[_canon(value)].append(x)
        return [x for ys in by.values() if len(of(ys, var)) >= param(m.count.at_least) for x in ys]

    out: set[Finding] = set()
    for subjects, group in groups.items():
        xs = group
        if m.count is not None and m.count.alike is not None:
            xs = alike(xs, m.count.of, m.count.alike)
            if not xs:
                continue
        elif m.count is not None and len(of(xs, m.count.of)) < param(m.count.at_least):
            continue
        if m.share is not None:
            den = len(of(group, m.share.of))
            xs = [x for x in group if all(c.holds(reader, x.named) for c in share_where)]
            num = len(of(xs, m.share.of))
            if not (den > 0 and num > param(m.share.more_than) * den):
                continue
        out.add(
            (
                subjects,
                tuple(sorted({t for x in xs for t in x.ties})),
                tuple(sorted({r for x in xs for r in x.records})),
            )
        )
    return out


def match_rule(rule: Rule, ruleset: Ruleset, registry: Registry, as_of: date) -> set[tuple]:
    """Every finding of one rule as ``(subjects, evidence)``, records left out."""
    return {(s, e) for s, e, _ in rule_findings(rule, ruleset, registry, as_of)}


def oracle(
    ruleset: Ruleset,
    registry: Registry,
    as_of: date,
    *,
    records: bool = False,
    rules: Iterable[str] | None = None,
) -> set[tuple]:
    """Every finding as ``(rule id, subjects, evidence)``, or with ``records=True`` as
    ``(rule id, subjects, evidence, records)`` (records ``()`` for rules of ties only);
    only those of ``rules`` (ids) when given."""
    wanted = None if rules is None else set(rules)
    found = {rule.id: rule_findings(rule, ruleset, registry, as_of) for rule in ruleset.rules}
    out: set[tuple] = set()
    for rule in ruleset.rules:
        if wanted is not None and rule.id not in wanted:
            continue
        # supersedes: drop a finding when a rule naming this one found the same people
        # under the same variables (and maybe more)
        over = [
            found[s.id]
            for s in ruleset.rules
            if any(t == (rule.origin.id, rule.id) for t in s.supersedes)
        ]
        for subjects, evidence, recs in found[rule.id]:
            if any(set(subjects) <= set(other[0]) for fs in over for other in fs):
                continue
            out.add(
                (rule.id, subjects, evidence, recs) if records else (rule.id, subjects, evidence)
            )
    return out


def oracle_findings(
    ruleset: Ruleset, registry: Registry, as_of: date, rules: Iterable[str] | None = None
) -> set[tuple]:
    """``oracle(..., records=True)``: ``(rule id, subjects, evidence, records)``."""
    return oracle(ruleset, registry, as_of, records=True, rules=rules)
