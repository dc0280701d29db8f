"""Plant every coaching-core situation (and decoys that must not match) into generated rows.

``plant(people, ties, seed, every=...)`` returns extra tie rows: around one coaching pair in
``every`` gets one situation of each kind in turn, and as many get a decoy that looks alike
but must not match (wrong direction, ended, outside the window, the wrong kind).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from generate import AS_OF, PersonRow, TieRow

_AS_OF = date.fromisoformat(AS_OF)


def _d(days_before: int) -> str:
    return (_AS_OF - timedelta(days=days_before)).isoformat()


def plant(
    people: list[PersonRow], ties: list[TieRow], seed: int = 1, every: int = 50
) -> list[TieRow]:
    rng = random.Random(seed)
    active_coaching = [t for t in ties if t[1] == "coaching" and not t[5] and t[4] <= AS_OF]
    supervision = [t for t in ties if t[1] == "supervision" and not t[5] and t[4] <= AS_OF]
    others = [p[0] for p in people if p[1] == "client"]
    out: list[TieRow] = []

    def add(  # noqa: PLR0917 (a local helper called positionally on every planted line)
        kind: str,
        s: str,
        t: str,
        start: str = "",
        end: str = "",
        relation: str = "",
        signed: str = "",
    ) -> None:
        out.append((f"p{len(out) + 1:08d}", kind, s, t, start, end, signed, relation))

    situations = [
        lambda co, cl: add("romance", cl, co, _d(100)),
        lambda co, cl: (
            add("coaching", co, cl, _d(900), _d(400), signed=_d(901)),
            add("romance", co, cl, _d(200)),
        ),
        lambda co, cl: add("business", co, cl, _d(50)),
        lambda co, cl: add("family", cl, co, relation="cousin"),
        lambda co, cl: add("paid_service", co, cl, _d(30)),
        lambda co, cl: add("employment", cl, co, _d(300)),
        lambda co, cl: add(rng.choice(["friendship", "social_media"]), co, cl, _d(10)),
        lambda co, cl: (
            add("family", co, via := rng.choice(others), relation="spouse"),
            add("business", via, cl, _d(20)),
        ),
        lambda co, cl: add("mentoring", co, cl, _d(60)),
    ]
    decoys = [
        lambda co, cl: add("romance", cl, co, _d(400), _d(300)),  # ended before as_of
        lambda co, cl: (
            add("coaching", co, cl, _d(2000), _d(1500), signed=_d(2001)),
            add("romance", co, cl, _d(100)),
        ),  # outside the 730-day window
        lambda co, cl: add("paid_service", cl, co, _d(30)),  # the client sells to the coach
        lambda co, cl: add("business", co, cl, (_AS_OF + timedelta(days=30)).isoformat()),
        lambda co, cl: add("mentoring", cl, co, _d(60)),  # the client mentors the coach
        lambda co, cl: (
            add("family", co, via := rng.choice(others), relation="spouse", end=_d(5)),
            add("business", via, cl, _d(20)),
        ),  # the family tie has ended
    ]
    for i, tie in enumerate(active_coaching):
        if i % every == 0:
            situations[(i // every) % len(situations)](tie[2], tie[3])
        elif i % every == every // 2:
            decoys[(i // every) % len(decoys)](tie[2], tie[3])
    for i, tie in enumerate(supervision):
        if i % 10 == 0:
            add(rng.choice(["romance", "family"]), tie[2], tie[3], _d(100))
        elif i % 10 == 5:
            add("romance", tie[2], tie[3], _d(400), _d(200))  # decoy: ended
    return out
