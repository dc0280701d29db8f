"""Seeded synthetic registries for benchmarks: a realistic mix of roles and ties.

``generate(n_people, seed)`` returns ``(people_rows, tie_rows)``, tuples in the column
order of ``PEOPLE_COLUMNS`` and ``TIE_COLUMNS`` (empty string = absent), about three ties
per person.  The same arguments always give the same rows.  ``write_csv``, ``write_json``
and ``write_jsonl`` write them in the registry formats.

    python benchmarks/generate.py --people 100000 --seed 1 --out benchmarks/data/n100000
    python benchmarks/generate.py --people 10000000 --planted --csv-only \
        --out /tmp/n10000000-s1-planted   # what run.py --data /tmp --people 10000000 reads
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

PEOPLE_COLUMNS = ("id", "roles", "name", "organisation")
TIE_COLUMNS = ("id", "kind", "source", "target", "start", "end", "agreement_signed", "relation")
AS_OF = "2026-11-26"
FORMAT = "dualrel.registry/1"

PersonRow = tuple[str, str, str, str]
TieRow = tuple[str, str, str, str, str, str, str, str]

#: share of people per role (the rest are clients)
_ROLE_MIX = (
    ("coach", 0.03),
    ("supervisor", 0.004),
    ("manager", 0.004),
    ("sponsor", 0.02),
    ("staff", 0.012),
)
_PREFIX = {
    "coach": "co",
    "supervisor": "su",
    "manager": "ma",
    "sponsor": "sp",
    "staff": "st",
    "client": "cl",
}
_SOCIAL = (
    ("friendship", 0.35),
    ("social_media", 0.35),
    ("family", 0.12),
    ("business", 0.12),
    ("romance", 0.06),
)
_RELATIONS = ("spouse", "partner", "parent", "child", "sibling", "cousin", "other")
_FIRST = ("Alex", "Sam", "Robin", "Kim", "Noa", "Jo", "Lee", "Ari", "Max", "Eli")
_LAST = ("Varga", "Moreau", "Okafor", "Lindqvist", "Tanaka", "Haddad", "Novak", "Silva")
_ORGS = ("Northwind", "Bluebird Ltd", "Acme Health", "Kestrel Bank", "")
_EPOCH = date(2018, 1, 1)
_SPAN_DAYS = (date(2026, 11, 26) - _EPOCH).days


def generate(n_people: int, seed: int = 1) -> tuple[list[PersonRow], list[TieRow]]:
    """People and ties of a synthetic practice of ``n_people`` (about 3 ties each)."""
    rng = random.Random(seed)
    by_role: dict[str, list[str]] = {r: [] for r in _PREFIX}
    people: list[PersonRow] = []
    counts = {r: max(1, round(n_people * share)) for r, share in _ROLE_MIX}
    counts["client"] = max(1, n_people - sum(counts.values()))
    width = len(str(n_people)) + 1
    for role, count in counts.items():
        for i in range(count):
            pid = f"{_PREFIX[role]}{i + 1:0{width}d}"
            roles = role
            if role == "coach" and rng.random() < 0.1:
                roles = "coach;mentor"
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            people.append((pid, roles, name, rng.choice(_ORGS)))
            by_role[role].append(pid)
    rng.shuffle(people)
    days = [(_EPOCH + timedelta(days=d)).isoformat() for d in range(_SPAN_DAYS + 1)]
    ties: list[TieRow] = []
    n = 0

    def add(kind: str, s: str, t: str, agreement: bool = False, relation: str = "") -> None:
        nonlocal n
        n += 1
        a = rng.randrange(_SPAN_DAYS - 30)
        start = days[a]
        end = ""
        if rng.random() < 0.4:
            end = days[min(_SPAN_DAYS, a + rng.randrange(30, 900))]
        signed = days[max(0, a - rng.randrange(0, 20))] if agreement else ""
        ties.append((f"t{n:08d}", kind, s, t, start, end, signed, relation))

    coaches, clients = by_role["coach"], by_role["client"]
    everyone = [p[0] for p in people]
    for cl in clients:
        for _ in range(1 if rng.random() < 0.7 else 2):
            add("coaching", rng.choice(coaches), cl, agreement=rng.random() < 0.9)
        if rng.random() < 0.5:
            add("sponsorship", rng.choice(by_role["sponsor"]), cl)
    for co in coaches:
        add("supervision", rng.choice(by_role["supervisor"]), co)
        add("management", rng.choice(by_role["manager"]), co)
    kinds = [k for k, _ in _SOCIAL]
    weights = [w for _, w in _SOCIAL]
    target_ties = 3 * n_people
    while len(ties) < target_ties:
        kind = rng.choices(kinds, weights)[0]
        a, b = rng.choice(everyone), rng.choice(everyone)
        if a == b:
            continue
        add(kind, a, b, relation=rng.choice(_RELATIONS) if kind == "family" else "")
    return people, ties


def write_csv(folder: str, people: Iterable[PersonRow], ties: Iterable[TieRow]) -> None:
    os.makedirs(folder, exist_ok=True)
    for name, header, rows in (
        ("people.csv", PEOPLE_COLUMNS, people),
        ("ties.csv", TIE_COLUMNS, ties),
    ):
        with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)


def _person(row: PersonRow) -> dict[str, object]:
    rec: dict[str, object] = {"id": row[0], "roles": row[1].split(";"), "name": row[2]}
    if row[3]:
        rec["organisation"] = row[3]
    return rec


def _tie(row: TieRow) -> dict[str, object]:
    rec: dict[str, object] = {
        "id": row[0],
        "kind": row[1],
        "source": row[2],
        "target": row[3],
        "start": row[4] or None,
        "end": row[5] or None,
    }
    attributes = {}
    if row[6]:
        attributes["agreement_signed"] = row[6]
    if row[7]:
        attributes["relation"] = row[7]
    if attributes:
        rec["attributes"] = attributes
    return rec


def write_json(path: str, people: Sequence[PersonRow], ties: Sequence[TieRow]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'{{"format": "{FORMAT}", "as_of": "{AS_OF}",\n "people": [\n')
        f.write(",\n".join(json.dumps(_person(p)) for p in people))
        f.write('\n ],\n "ties": [\n')
        f.write(",\n".join(json.dumps(_tie(t)) for t in ties))
        f.write("\n ]}\n")


def write_jsonl(path: str, people: Iterable[PersonRow], ties: Iterable[TieRow]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"type": "registry", "format": FORMAT, "as_of": AS_OF}) + "\n")
        for p in people:
            f.write(json.dumps({"type": "person", **_person(p)}) + "\n")
        for t in ties:
            f.write(json.dumps({"type": "tie", **_tie(t)}) + "\n")


def write_all(
    folder: str, n_people: int, seed: int = 1, *, csv_only: bool = False, planted: bool = False
) -> None:
    """CSV folder ``folder/csv``, ``folder/registry.json`` and ``folder/registry.jsonl``.

    ``csv_only``: the CSV folder alone (at 10M people the two JSON files would take as long
    again and 9 GB of disk).  ``planted``: with the coaching-core situations and decoys of
    ``planting.plant`` added to the ties, the registry ``run.py`` checks."""
    people, ties = generate(n_people, seed)
    if planted:
        from planting import plant  # noqa: PLC0415 (planting imports this module)

        ties += plant(people, ties, seed)
    write_csv(os.path.join(folder, "csv"), people, ties)
    if csv_only:
        return
    write_json(os.path.join(folder, "registry.json"), people, ties)
    write_jsonl(os.path.join(folder, "registry.jsonl"), people, ties)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="folder to write csv/, registry.json(l)")
    ap.add_argument("--csv-only", action="store_true", help="write csv/ alone")
    ap.add_argument(
        "--planted",
        action="store_true",
        help="add planting.py's situations and decoys (the registries run.py checks)",
    )
    args = ap.parse_args()
    write_all(args.out, args.people, args.seed, csv_only=args.csv_only, planted=args.planted)


if __name__ == "__main__":
    main()
