"""Hypothesis strategies for registries, and printing a failing example.

Registries shrink towards few people, few ties, no dates and no attributes, so a failing
example reads like a hand-written one.  :func:`registries_matching` plants an instance of
a rule's pattern, derived from the pattern itself, among random noise.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("dualrel.testing needs hypothesis: pip install 'dualrel[test]'") from exc

from dualrel.errors import InvalidArgument
from dualrel.graph._people_ties import DATE_ATTRIBUTES
from dualrel.graph.dump import dump_registry
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS, FAMILY_RELATIONS, Person, Registry, Tie
from dualrel.graph.practice import (
    AGREEMENT_COVERS,
    CHANNELS,
    CONCERN_STATUSES,
    CONSENT_PURPOSES,
    CONTACT_INITIATORS,
    OPEN_CONCERN_STATUSES,
    RECORD_KINDS,
    WEEKDAYS,
    Agreement,
    Assessment,
    ClientRecord,
    Concern,
    Consent,
    Contact,
    Disclosure,
    Practice,
    SupervisionSession,
)
from dualrel.rules.loader import Ruleset, load_ruleset
from dualrel.testing._pattern import FAR, constraints, holds, positive, vetoed

__all__ = [
    "people",
    "plantable",
    "practice_registries",
    "registries",
    "registries_matching",
    "registry_json",
    "ties",
    "write_registry",
]

_ROLES = sorted(CORE_ROLES)


def _check_bounds(name_min: str, lo: int, name_max: str, hi: int | None) -> None:
    if not isinstance(lo, int) or isinstance(lo, bool) or lo < 0:
        raise InvalidArgument(f"{name_min}={lo!r} must be a non-negative integer")
    if hi is not None and (not isinstance(hi, int) or isinstance(hi, bool) or hi < lo):
        raise InvalidArgument(f"{name_max}={hi!r} must be an integer >= {name_min}={lo!r}")


def _check_people(min_people: int, max_people: int) -> None:
    _check_bounds("min_people", min_people, "max_people", max_people)
    if min_people < 2:
        raise InvalidArgument(
            f"min_people={min_people!r} must be at least 2: a tie needs two people"
        )


def _check_kinds(kinds: Sequence[str], extra_kinds: Mapping[str, bool] | None) -> None:
    if isinstance(kinds, str) or not kinds:
        raise InvalidArgument(f"kinds={kinds!r} must be a non-empty list of tie kinds")
    if extra_kinds is not None and not isinstance(extra_kinds, Mapping):
        raise InvalidArgument(f"extra_kinds={extra_kinds!r} must map kind names to directed")
    known = set(CORE_TIE_KINDS) | set(extra_kinds or {})
    unknown = sorted(set(kinds) - known)
    if unknown:
        raise InvalidArgument(
            f"kinds={list(kinds)!r}: {unknown!r} are neither core tie kinds nor in extra_kinds"
        )


def people(
    *, ids: st.SearchStrategy[str] | None = None, roles: Sequence[str] = _ROLES
) -> st.SearchStrategy[Person]:
    """A person with an id and a (possibly empty) set of roles; shrinks to no roles."""
    id_strategy = ids if ids is not None else st.from_regex(r"p[0-9]{1,4}", fullmatch=True)
    return st.builds(
        Person,
        id=id_strategy,
        roles=st.lists(st.sampled_from(sorted(roles)), unique=True, max_size=2).map(tuple),
    )


#: Offsets where rules change their mind: the evaluation date and the usual windows.
_EDGES = (-1, 0, 1, -729, -730, -731, -1825, -1826, -1827)


def _dates(as_of: date, spread_days: int) -> st.SearchStrategy[date | None]:
    edges = [d for d in _EDGES if abs(d) <= spread_days]
    offsets = st.sampled_from(edges) | st.integers(-spread_days, spread_days)
    return st.none() | offsets.map(lambda d: as_of + timedelta(days=d))


def ties(
    person_ids: Sequence[str],
    *,
    kinds: Sequence[str] = tuple(CORE_TIE_KINDS),
    as_of: date = date(2026, 1, 1),
    spread_days: int = 1_500,
    extra_kinds: Mapping[str, bool] | None = None,
) -> st.SearchStrategy[Tie]:
    """A tie between two distinct people of ``person_ids``, with a temporary id.

    Dates fall within ``spread_days`` of ``as_of`` (or are absent); ``end`` is never
    before ``start``.  Coaching ties may carry ``agreement_signed``; family ties a
    ``relation``.  Any kind name is accepted (a ruleset's vocabulary may add kinds);
    ``extra_kinds`` is accepted for symmetry with :func:`registries`.  Shrinks towards the
    first kind and people, no dates and no attributes.
    """
    if isinstance(person_ids, str) or len(set(person_ids)) < 2:
        raise InvalidArgument(f"person_ids needs at least two distinct ids, got {person_ids!r}")
    if isinstance(kinds, str) or not kinds:
        raise InvalidArgument(f"kinds={kinds!r} must be a non-empty list of tie kinds")
    _check_bounds("spread_days", spread_days, "spread_days", spread_days)
    if not isinstance(as_of, date):
        raise InvalidArgument(f"as_of={as_of!r} must be a datetime.date")
    ids = sorted(set(person_ids))

    @st.composite
    def build(draw: Any) -> Tie:
        kind = draw(st.sampled_from(sorted(kinds)))
        source = draw(st.sampled_from(ids))
        target = draw(st.sampled_from([i for i in ids if i != source]))
        start, end = draw(_dates(as_of, spread_days)), draw(_dates(as_of, spread_days))
        if start is not None and end is not None and end < start:
            start, end = end, start
        attributes: dict[str, Any] = {}
        if kind == "coaching" and draw(st.booleans()):
            attributes["agreement_signed"] = (start or as_of).isoformat()
        if kind == "family" and draw(st.booleans()):
            attributes["relation"] = draw(st.sampled_from(sorted(FAMILY_RELATIONS)))
        return Tie(
            id="",
            kind=kind,
            source=source,
            target=target,
            start=start,
            end=end,
            attributes=attributes,
        )

    return build()


def registries(
    *,
    min_people: int = 2,
    max_people: int = 12,
    max_ties: int | None = None,
    kinds: Sequence[str] = tuple(CORE_TIE_KINDS),
    as_of: date = date(2026, 1, 1),
    extra_kinds: Mapping[str, bool] | None = None,
) -> st.SearchStrategy[Registry]:
    """A valid registry: unique ids, ties between existing distinct people.

    ``max_ties`` defaults to three ties per person.  Tie ids are ``t1``, ``t2``, ... in
    file order.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(registries(max_people=4))
    ... def check(reg):
    ...     assert {p.id for p in reg.people} >= {t.source for t in reg.ties}
    >>> check()
    """
    _check_people(min_people, max_people)
    tie_cap = 3 * max_people if max_ties is None else max_ties
    _check_bounds("max_ties", 0, "max_ties", tie_cap)
    _check_kinds(kinds, extra_kinds)
    if not isinstance(as_of, date):
        raise InvalidArgument(f"as_of={as_of!r} must be a datetime.date")
    all_kinds = {**CORE_TIE_KINDS, **(extra_kinds or {})}

    @st.composite
    def build(draw: Any) -> Registry:
        n = draw(st.integers(min_people, max_people))
        persons = [
            Person(
                f"p{i}",
                roles=draw(st.lists(st.sampled_from(_ROLES), unique=True, max_size=2).map(tuple)),
            )
            for i in range(n)
        ]
        raw = draw(
            st.lists(
                ties([p.id for p in persons], kinds=kinds, as_of=as_of, extra_kinds=extra_kinds),
                max_size=tie_cap,
            )
        )
        numbered = tuple(
            Tie(
                id=f"t{i + 1}",
                kind=t.kind,
                source=t.source,
                target=t.target,
                start=t.start,
                end=t.end,
                attributes=t.attributes,
            )
            for i, t in enumerate(raw)
        )
        return Registry(people=tuple(persons), ties=numbered, as_of=as_of, kinds=all_kinds)

    return build()


# -- registries with practice records -------------------------------------------------------

#: Day offsets from the evaluation date where practice rules change their mind: the
#: evaluation date, and the edges of the usual windows (concern review 14 days, supervision
#: and contacts 30, agreement review 90).
_PRACTICE_EDGES = (0, -1, 1, -13, -14, -15, -29, -30, -31, -89, -90, -91)
#: Contact hours: ordinary days, a window wrapping past midnight, whole and minimal ones.
_HOURS = ("08:00-19:00", "09:00-17:30", "22:00-06:00", "18:30-08:15", "00:00-23:59", "12:00-12:01")
#: Local hours and minutes near those edges, for contact times.
_CLOCK_HOURS = (8, 7, 18, 19, 22, 23, 0, 5, 6, 12)
#: UTC offsets of contacts, in minutes: Europe in winter and summer, UTC, the Americas,
#: India, the extremes of the date line.
_UTC_OFFSETS = (60, 0, 120, -300, 330, 840, -720)
#: Hours to a response, around the usual windows (24 and 48 hours).
_RESPONSE_HOURS = (1, 23, 24, 25, 47, 48, 49, 0)
#: Recipients other than people: organisations.
_ORGANISATIONS = ("Acme Ltd", "Globex")
#: Agreement roles drawn: the ones rules ask about first.
_AGREEMENT_ROLES = ("coach", "mentor", "manager", "assessor", "facilitator", "supervisor")
#: Tie kinds drawn by default: those the practice rules read, and one the concerns read.
_PRACTICE_KINDS = ("coaching", "mentoring", "management", "supervision", "friendship")


def _near(as_of: date, spread_days: int) -> st.SearchStrategy[date]:
    offsets = st.sampled_from(_PRACTICE_EDGES) | st.integers(-spread_days, 2)
    return offsets.map(lambda d: as_of + timedelta(days=d))


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """None (what shrinking goes to) or a value of ``strategy``."""
    return st.none() | strategy


def practice_registries(
    *,
    min_people: int = 2,
    max_people: int = 5,
    max_ties: int | None = None,
    kinds: Sequence[str] = _PRACTICE_KINDS,
    as_of: date = date(2026, 1, 1),
    max_records: int = 4,
    max_contacts: int = 8,
    spread_days: int = 400,
    extra_kinds: Mapping[str, bool] | None = None,
) -> st.SearchStrategy[Registry]:
    """A valid registry with practice sections about its own people and ties.

    People and ties as in :func:`registries` (at least one tie, the first a coaching tie
    when ``kinds`` has coaching; coaching drawn three times as often as each other kind,
    and half the ties alongside an earlier one between the same two people), then up to
    ``max_records`` records per section (``max_contacts`` contacts) that refer to them,
    biased towards the situations where practice rules nearly match: agreements of the
    coaching ties (sometimes none, sometimes two) covering confidentiality and escalation
    or not, signed and reviewed around the review interval, declaring some roles, with
    channels, contact hours (wrapping past midnight too) and response windows; assessments
    and disclosures mostly by a coach about their client, consents for them given and
    withdrawn around their dates (and for the disclosure's recipient or another);
    supervision sessions around 30 days ago; contacts between the ends of coaching ties in
    the 30 days up to ``as_of`` and just outside, at local times near the agreed hours in
    several UTC offsets, answered around 24 and 48 hours later or not at all; concerns
    about people or ties, open or closed, raised around 14 days ago; client records at the
    end of their retention, destroyed or not.  Dates fall within ``spread_days`` before
    ``as_of`` or on the edges of the usual windows; every record keeps its dates in order,
    so the registry passes :func:`dualrel.graph.registry_from_data`.

    Record ids are ``ag1``, ``cs1``, ``as1``, ``ds1``, ``ss1``, ``ct1``, ``cn1``, ``rc1``,
    ...  Shrinks towards fewer records, missing optional fields and the first values of
    each vocabulary.

    >>> from hypothesis import given, settings
    >>> from dualrel.graph import registry_document, registry_from_data
    >>> @settings(max_examples=10, database=None)
    ... @given(practice_registries(max_people=4))
    ... def check(reg):
    ...     ties = {t.id for t in reg.ties}
    ...     assert all(a.tie in ties for a in reg.practice.agreements)
    ...     assert registry_from_data(registry_document(reg)).practice == reg.practice
    >>> check()
    """
    _check_people(min_people, max_people)
    tie_cap = 2 * max_people if max_ties is None else max_ties
    _check_bounds("max_ties", 0, "max_ties", tie_cap)
    _check_bounds("max_records", 0, "max_records", max_records)
    _check_bounds("max_contacts", 0, "max_contacts", max_contacts)
    _check_bounds("spread_days", spread_days, "spread_days", spread_days)
    _check_kinds(kinds, extra_kinds)
    if not isinstance(as_of, date):
        raise InvalidArgument(f"as_of={as_of!r} must be a datetime.date")
    all_kinds = {**CORE_TIE_KINDS, **(extra_kinds or {})}
    kind_choices = sorted(set(kinds))
    if "coaching" in kind_choices:
        kind_choices = ["coaching", "coaching", *kind_choices]
    # strategies built once: building them inside each draw costs more than drawing
    near = _near(as_of, spread_days)
    maybe_near = _maybe(near)
    person_roles = st.lists(st.sampled_from(_ROLES), unique=True, max_size=2).map(tuple)
    later_days = _maybe(st.sampled_from((0, 1, 2)) | st.integers(0, 120))
    both = ("confidentiality", "escalation")
    essentials = st.sampled_from((both, both, both, (), ("confidentiality",), ("escalation",)))
    other_topics = st.lists(st.sampled_from(AGREEMENT_COVERS[2:]), unique=True, max_size=2)
    agreement_roles = st.lists(st.sampled_from(_AGREEMENT_ROLES), unique=True, max_size=3)
    channels = st.lists(st.sampled_from(CHANNELS), unique=True, max_size=3)
    windows = _maybe(st.sampled_from((24, 48, 1, 2, 72)))
    hours_of = _maybe(st.sampled_from(_HOURS))
    days_of = st.lists(st.sampled_from(WEEKDAYS), unique=True, max_size=6)
    withdrawn_days = _maybe(st.sampled_from((0, 1, -1, 30)))
    contact_days = st.sampled_from((0, -1, -29, -30, -31, 1, -7)) | st.integers(-35, 2)
    clock_hours = st.sampled_from(_CLOCK_HOURS) | st.integers(0, 23)
    clock_minutes = st.sampled_from((0, 59, 30)) | st.integers(0, 59)
    response_hours = st.sampled_from(_RESPONSE_HOURS) | st.integers(0, 80)
    retention = _maybe(st.sampled_from((0, -1, 1)) | st.integers(-400, 400))
    record_kinds = sorted(RECORD_KINDS)

    @st.composite
    def build(draw: Any) -> Registry:
        def pick(options: Sequence[Any]) -> Any:
            """One of ``options`` (shrinking to the first)."""
            return options[draw(st.integers(0, len(options) - 1))]

        def chance(one_in: int) -> bool:
            """False one time in ``one_in`` (shrinking to False)."""
            return bool(draw(st.integers(0, one_in - 1)) > 0)

        def rarely(one_in: int) -> bool:
            """True one time in ``one_in`` (shrinking to False)."""
            return bool(draw(st.integers(0, one_in - 1)) == one_in - 1)

        n = draw(st.integers(min_people, max_people))
        persons = [Person(f"p{i}", roles=draw(person_roles)) for i in range(n)]
        ids = [p.id for p in persons]

        def pair() -> tuple[str, str]:
            a = pick(ids)
            return a, pick([i for i in ids if i != a])

        # ties: the first a coaching tie (when coaching is drawn at all), others often
        # alongside an earlier one (the same two people, the same way round)
        tie_list: list[Tie] = []
        for i in range(draw(st.integers(min(1, tie_cap), tie_cap))):
            kind = "coaching" if i == 0 and "coaching" in kinds else pick(kind_choices)
            if tie_list and chance(2):
                earlier = pick(tie_list)
                source, target = earlier.source, earlier.target
            else:
                source, target = pair()
            start = draw(maybe_near)
            end = draw(near) if rarely(4) else None  # mostly ongoing
            if start is not None and end is not None and end < start:
                start, end = end, start
            attributes: dict[str, Any] = {}
            if kind == "coaching" and chance(2):
                attributes["agreement_signed"] = (start or as_of).isoformat()
            tie_list.append(Tie(f"t{i + 1}", kind, source, target, start, end, attributes))
        coaching = [t for t in tie_list if t.kind == "coaching"]

        def coach_and_client() -> tuple[str, str]:
            """The ends of a coaching tie (most often), or two people."""
            if coaching and chance(5):
                t = pick(coaching)
                return t.source, t.target
            return pair()

        def later(d: date | None) -> date | None:
            """None, or a date on or after ``d`` (near it)."""
            if d is None:
                later_day: date | None = draw(maybe_near)
                return later_day
            k = draw(later_days)
            return None if k is None else d + timedelta(days=k)

        # agreements: zero, one (most often) or two per coaching tie
        agreements: list[Agreement] = []
        for t in coaching:
            for _ in range(pick((1, 0, 1, 1, 2))):
                if len(agreements) >= max(max_records, len(coaching)):
                    break
                signed = draw(near) if chance(6) else None
                topics = {*draw(essentials), *draw(other_topics)}
                weekdays = draw(days_of)
                agreements.append(
                    Agreement(
                        id=f"ag{len(agreements) + 1}",
                        tie=t.id,
                        signed=signed,
                        roles=tuple(draw(agreement_roles)),
                        covers=tuple(c for c in AGREEMENT_COVERS if c in topics),
                        channels=tuple(draw(channels)),
                        response_window_hours=draw(windows),
                        reviewed=later(signed),
                        hours=draw(hours_of),
                        days=tuple(d for d in WEEKDAYS if d in weekdays),
                    )
                )

        # assessments and disclosures, mostly by a coach about their client
        assessments = []
        for i in range(draw(st.integers(0, max_records))):
            assessor, client = coach_and_client()
            assessments.append(
                Assessment(
                    f"as{i + 1}", client, assessor, pick(("MBTI", "360 feedback")), draw(near)
                )
            )
        recipients = [*ids, *_ORGANISATIONS]
        disclosures = []
        for i in range(draw(st.integers(0, max_records))):
            by, client = coach_and_client()
            disclosures.append(
                Disclosure(
                    f"ds{i + 1}", client, pick(recipients), draw(near), by=by if chance(2) else None
                )
            )

        # consents: most of them for an assessment or a disclosure, around its date
        events: list[Assessment | Disclosure] = [*assessments, *disclosures]
        consents = []
        for i in range(draw(st.integers(0, max_records))):
            recipient = None
            if events and chance(4):
                event = pick(events)
                person = event.client
                purpose = "assessment" if isinstance(event, Assessment) else "data_sharing"
                if isinstance(event, Disclosure) and chance(3):
                    recipient = event.recipient
                given = event.date + timedelta(days=pick((0, -1, 1, -30)))
                withdrawn = draw(withdrawn_days)
                withdrawn_on = (
                    None
                    if withdrawn is None
                    else max(given, event.date + timedelta(days=withdrawn))
                )
            else:
                person = pick(ids)
                purpose = pick(CONSENT_PURPOSES)
                given = draw(near)
                withdrawn_on = later(given)
            if purpose == "data_sharing" and recipient is None:
                recipient = pick(recipients)
            consents.append(
                Consent(
                    f"cs{i + 1}",
                    person,
                    purpose,
                    scope="sessions" if chance(2) else None,
                    given=given,
                    withdrawn=withdrawn_on,
                    recipient=recipient,
                )
            )

        # supervision sessions of the coaches, around the supervision interval
        sessions = []
        for i in range(draw(st.integers(0, max_records))):
            coach, _ = coach_and_client()
            supervisor = pick([p for p in ids if p != coach])
            sessions.append(SupervisionSession(f"ss{i + 1}", supervisor, coach, draw(near)))

        # contacts between the ends of coaching ties, in and around the last 30 days
        contacts = []
        for i in range(draw(st.integers(0, max_contacts))):
            coach, client = coach_and_client()
            day = as_of + timedelta(days=draw(contact_days))
            zone = timezone(timedelta(minutes=pick(_UTC_OFFSETS)))
            clock = time(draw(clock_hours), draw(clock_minutes), pick((0, 59)))
            at = datetime.combine(day, clock, tzinfo=zone)
            responded = None
            if chance(4):
                responded = at + timedelta(hours=draw(response_hours), minutes=pick((0, 1)))
                if rarely(4):  # answered from another timezone
                    responded = responded.astimezone(UTC)
            contacts.append(
                Contact(
                    f"ct{i + 1}",
                    coach,
                    client,
                    pick(CHANNELS),
                    at,
                    pick(CONTACT_INITIATORS[::-1]),
                    responded,
                )
            )

        # concerns about people or ties, raised around the review deadline
        concerns = []
        for i in range(draw(st.integers(0, max_records))):
            about = pick(tie_list).id if tie_list and chance(2) else pick(ids)
            raised = draw(near)
            status = pick(CONCERN_STATUSES)
            resolved = None
            if status not in OPEN_CONCERN_STATUSES:
                resolved = raised + timedelta(days=draw(st.integers(0, 30)))
            concerns.append(
                Concern(
                    f"cn{i + 1}",
                    about,
                    raised,
                    status,
                    raised_by=pick(ids) if chance(2) else None,
                    resolved=resolved,
                )
            )

        # client records at the end of their retention
        client_records = []
        for i in range(draw(st.integers(0, max_records))):
            retain_days = draw(retention)
            retain = None if retain_days is None else as_of + timedelta(days=retain_days)
            destroyed = draw(maybe_near)
            known = [d for d in (retain, destroyed) if d is not None]
            created = min([*known, as_of]) - timedelta(days=draw(st.integers(0, 2_000)))
            client_records.append(
                ClientRecord(
                    f"rc{i + 1}",
                    pick(ids),
                    pick(record_kinds),
                    created,
                    retain_until=retain,
                    destroyed=destroyed,
                )
            )

        practice = Practice(
            agreements=tuple(agreements),
            consents=tuple(consents),
            assessments=tuple(assessments),
            disclosures=tuple(disclosures),
            supervision_sessions=tuple(sessions),
            contacts=tuple(contacts),
            concerns=tuple(concerns),
            records=tuple(client_records),
        )
        return Registry(
            people=tuple(persons),
            ties=tuple(tie_list),
            as_of=as_of,
            kinds=all_kinds,
            practice=practice,
        )

    return build()


# -- planting a rule's pattern ---------------------------------------------------------------


def _shortest(n: int, cons: Sequence[tuple[int, int, int]]) -> list[list[float]] | None:
    """``d[b][a]``: the tightest bound on ``x[a] - x[b]``; None if the system is infeasible."""
    inf = float("inf")
    d = [[0.0 if i == j else inf for j in range(n)] for i in range(n)]
    for a, b, c in cons:
        d[b][a] = min(d[b][a], c)
    for k in range(n):
        dk = d[k]
        for i in range(n):
            dik = d[i][k]
            if dik == inf:
                continue
            di = d[i]
            for j in range(n):
                di[j] = min(di[j], dik + dk[j])
    if any(d[i][i] < 0 for i in range(n)):
        return None
    return d


def _resolve_ruleset(ruleset: Any) -> Any:
    if isinstance(ruleset, Ruleset):
        return ruleset
    if isinstance(ruleset, str | Path):
        return load_ruleset(ruleset)
    raise InvalidArgument(
        f"ruleset={ruleset!r} must be a Ruleset, a shipped ruleset name or a path"
    )


def plantable(rule: Any) -> bool:
    """Whether :func:`registries_matching` can plant ``rule``: a pattern of ties only,
    each match its own finding.

    >>> from dualrel.rules import load_ruleset
    >>> rs = load_ruleset("coaching-practice")
    >>> plantable(rs.rule("romance-active-client")), plantable(rs.rule("late-responses"))
    (True, False)
    """
    m = rule.match
    return not m.records and m.per is None and m.count is None and m.share is None


def registries_matching(
    ruleset: Any,
    rule_id: str,
    *,
    max_extra_people: int = 4,
    max_noise_ties: int = 8,
    as_of: date = date(2026, 1, 1),
    spread_days: int = 1_500,
) -> st.SearchStrategy[Registry]:
    """A registry holding at least one instance of ``rule_id``'s pattern, among noise.

    The instance is derived from the pattern: one person per variable (its id is the
    variable's name, with one of the roles the pattern asks), one tie per clause that must
    exist (its id is the clause's ``as`` name when it has one), with a kind of the clause,
    its direction, dates that satisfy ``active``, ``ended`` and every ``where`` condition
    under the ruleset's parameters, and attributes that pass its tests.  Negated clauses
    are never planted, and noise never touches the planted people with a kind a negated
    clause reads.  Then up to ``max_extra_people`` people and ``max_noise_ties`` random ties.

    Shrinks towards no noise, no optional dates (missing where the pattern allows) and
    dates near ``as_of``.

    >>> from hypothesis import given, settings
    >>> from dualrel.rules import evaluate, load_ruleset
    >>> rs = load_ruleset("coaching-core")
    >>> @settings(max_examples=10, database=None)
    ... @given(registries_matching(rs, "romance-former-client"))
    ... def fires(reg):
    ...     assert "romance-former-client" in {f.rule for f in evaluate(reg, rs).findings}
    >>> fires()
    """
    rs = _resolve_ruleset(ruleset)
    if not isinstance(rule_id, str):
        raise InvalidArgument(f"rule_id={rule_id!r} must be a rule id (a string)")
    try:
        rule = rs.rule(rule_id)
    except KeyError as exc:
        raise InvalidArgument(f"rule_id={rule_id!r}: {exc.args[0]}") from None
    if not plantable(rule):
        raise InvalidArgument(
            f"rule_id={rule_id!r} reads practice records or groups matches: "
            "registries_matching plants ties only; draw from practice_registries() instead"
        )
    _check_bounds("max_extra_people", max_extra_people, "max_extra_people", max_extra_people)
    _check_bounds("max_noise_ties", max_noise_ties, "max_noise_ties", max_noise_ties)
    _check_bounds("spread_days", spread_days, "spread_days", spread_days)
    if not isinstance(as_of, date):
        raise InvalidArgument(f"as_of={as_of!r} must be a datetime.date")

    clauses = positive(rule)
    n = 1 + 2 * len(clauses)
    spread = spread_days + sum(abs(c) for _, _, c in constraints(rule))
    cons = (
        constraints(rule)
        + [(v, 0, spread) for v in range(1, n)]
        + [(0, v, spread) for v in range(1, n)]
    )
    if _shortest(n, cons) is None:
        raise InvalidArgument(
            f"rule_id={rule_id!r}: the rule's date conditions contradict each other, so it "
            "can never fire"
        )
    kinds_directed = dict(rs.kinds)
    negated_kinds = {k for c in rule.match.ties if not c.exists for k in c.kinds}
    read_kinds = sorted({k for r in rs.rules for c in r.match.ties for k in c.kinds})
    variables = list(rule.match.people)
    tie_ids = [c.as_ or f"t{i + 1}" for i, c in enumerate(clauses)]

    @st.composite
    def build(draw: Any) -> Registry:
        # people: one per variable, with a role the pattern asks for
        persons: list[Person] = []
        for var in variables:
            wanted = rule.match.people[var].roles
            roles = [draw(st.sampled_from(sorted(wanted)))] if wanted else []
            extra = draw(st.lists(st.sampled_from(_ROLES), unique=True, max_size=1))
            roles += [r for r in extra if r not in roles]
            persons.append(Person(var, roles=tuple(roles)))
        # dates: fix the variables one at a time inside the feasible region
        fixed: dict[int, int] = {0: 0}
        for v in draw(st.permutations(list(range(1, n)))):
            pinned = [
                *cons,
                *((u, 0, x) for u, x in fixed.items()),
                *((0, u, -x) for u, x in fixed.items()),
            ]
            d = _shortest(n, pinned)
            assert d is not None  # feasible before, and every value chosen stays feasible
            lo, hi = int(-d[v][0]), int(d[0][v])
            fixed[v] = draw(st.sampled_from(sorted({lo, hi})) | st.integers(lo, hi))
        values = [fixed[v] for v in range(n)]
        # leave dates out where the pattern allows it (shrinks to leaving them out)
        for v in range(1, n):
            if not draw(st.booleans()):
                trial = list(values)
                trial[v] = -FAR if v % 2 == 1 else FAR
                if holds(constraints(rule), trial):
                    values = trial
        planted: list[Tie] = []
        for i, clause in enumerate(clauses):
            kind = draw(st.sampled_from(list(clause.kinds)))
            a, b = clause.ends
            if not clause.directed and draw(st.booleans()):
                a, b = b, a
            start_v, end_v = values[2 * i + 1], values[2 * i + 2]
            start = None if start_v <= -FAR else as_of + timedelta(days=start_v)
            end = None if end_v >= FAR else as_of + timedelta(days=end_v)
            attributes: dict[str, Any] = {}
            for name, test in clause.attributes.items():
                if test.equals is not None:
                    attributes[name] = test.equals
                elif test.in_ is not None:
                    attributes[name] = draw(st.sampled_from(test.in_))
                elif test.present:
                    if name in DATE_ATTRIBUTES:
                        attributes[name] = (start or as_of).isoformat()
                    elif name == "relation":
                        attributes[name] = draw(st.sampled_from(sorted(FAMILY_RELATIONS)))
                    else:
                        attributes[name] = "yes"
            if (
                kind == "coaching"
                and "agreement_signed" not in clause.attributes
                and draw(st.booleans())
            ):
                attributes["agreement_signed"] = (start or as_of).isoformat()
            planted.append(Tie(tie_ids[i], kind, a, b, start, end, attributes))
        # noise
        taken = set(variables)
        extra_ids = []
        for j in range(draw(st.integers(0, max_extra_people))):
            pid = f"p{j + 1}"
            while pid in taken:
                pid += "x"
            taken.add(pid)
            extra_ids.append(pid)
        persons += [
            Person(
                pid,
                roles=draw(st.lists(st.sampled_from(_ROLES), unique=True, max_size=1).map(tuple)),
            )
            for pid in extra_ids
        ]
        everyone = [p.id for p in persons]
        noise_kinds = read_kinds or sorted(kinds_directed)
        raw = draw(
            st.lists(
                ties(
                    everyone,
                    kinds=noise_kinds,
                    as_of=as_of,
                    spread_days=spread_days,
                    extra_kinds=kinds_directed,
                ),
                max_size=max_noise_ties,
            )
        )
        used = set(tie_ids)
        noise: list[Tie] = []
        for t in raw:
            if t.kind in negated_kinds and (t.source in variables or t.target in variables):
                continue
            k = len(noise) + 1
            tid = f"t{len(planted) + k}"
            while tid in used:
                tid += "x"
            used.add(tid)
            noise.append(Tie(tid, t.kind, t.source, t.target, t.start, t.end, t.attributes))
        registry = Registry(
            people=tuple(persons), ties=tuple(planted + noise), as_of=as_of, kinds=kinds_directed
        )
        # a planted tie may itself be what a negated clause forbids: such draws are dropped
        assume(not vetoed(rule, registry, {v: v for v in variables}, as_of))
        return registry

    return build()


# -- printing an example ---------------------------------------------------------------------


def registry_json(registry: Registry) -> str:
    """The registry as the JSON document ``dualrel check`` reads.

    >>> print(registry_json(Registry((Person("co1", ("coach",)), Person("cl1")),
    ...                              (Tie("t1", "romance", "co1", "cl1"),),
    ...                              as_of=date(2026, 1, 1))))
    {"format": "dualrel.registry/1",
     "as_of": "2026-01-01",
     "people": [
      {"id": "co1", "roles": ["coach"]},
      {"id": "cl1", "roles": []}
     ],
     "ties": [
      {"id": "t1", "kind": "romance", "source": "co1", "target": "cl1", "start": null, "end": null}
     ]}
    <BLANKLINE>
    """
    buf = io.StringIO()
    dump_registry(registry, buf)
    return buf.getvalue()


def write_registry(registry: Registry, path: str) -> str:
    """Write ``registry`` to ``path`` as JSON (atomically) and return the path."""
    dump_registry(registry, path)
    return path
