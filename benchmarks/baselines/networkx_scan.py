"""Baseline 1: what a competent user writes without dualrel.

Read the CSV files with the standard library, build a NetworkX MultiDiGraph, scan it in
plain Python for the coaching-core rules.  Prints the findings as JSON lines
``[rule, subjects, evidence]`` sorted, and the stage times on stderr.

    python benchmarks/baselines/networkx_scan.py FOLDER AS_OF
"""

from __future__ import annotations

import csv
import json
import sys
import time
from datetime import date, timedelta

import networkx as nx

WINDOW = timedelta(days=730)


def main(folder: str, as_of_text: str) -> None:
    t0 = time.perf_counter()
    as_of = date.fromisoformat(as_of_text)
    dates: dict[str, date | None] = {"": None}

    def day(text: str) -> date | None:
        if text not in dates:
            dates[text] = date.fromisoformat(text)
        return dates[text]

    G: nx.MultiDiGraph = nx.MultiDiGraph()
    with open(f"{folder}/people.csv", encoding="utf-8-sig", newline="") as f:
        G.add_nodes_from(
            (row["id"], {"roles": row["roles"].split(";")}) for row in csv.DictReader(f)
        )
    t1 = time.perf_counter()
    with open(f"{folder}/ties.csv", encoding="utf-8-sig", newline="") as f:
        G.add_edges_from(
            (
                r["source"],
                r["target"],
                r["id"],
                {
                    "kind": r["kind"],
                    "start": day(r["start"]),
                    "end": day(r["end"]),
                    "signed": r["agreement_signed"],
                },
            )
            for r in csv.DictReader(f)
        )
    t2 = time.perf_counter()

    def active(d: dict) -> bool:
        return (d["start"] is None or d["start"] <= as_of) and (
            d["end"] is None or d["end"] >= as_of
        )

    def between(a: str, b: str):
        """Ties a->b (forward) then b->a."""
        for u, v in ((a, b), (b, a)):
            for key, d in G.get_edge_data(u, v, default={}).items():
                yield key, d, u == a

    found: set[tuple] = set()
    undirected_pair = {"romance", "family", "business", "friendship", "social_media", "employment"}
    for coach, client, key, d in G.edges(keys=True, data=True):
        if d["kind"] == "coaching" and active(d):
            pair = (("client", client), ("coach", coach))
            if not d["signed"]:
                found.add(("coaching-without-agreement", pair, (key,)))
            for k2, d2, forward in between(coach, client):
                kind = d2["kind"]
                if not active(d2):
                    continue
                if kind == "romance":
                    found.add(("romance-active-client", pair, (key, k2)))
                elif kind == "business":
                    found.add(("business-active-client", pair, (key, k2)))
                elif kind == "family":
                    found.add(("family-active-client", pair, (key, k2)))
                elif kind == "employment":
                    found.add(("employment-active-client", pair, (key, k2)))
                elif kind in ("friendship", "social_media"):
                    found.add(("personal-contact-active-client", pair, (key, k2)))
                elif kind == "paid_service" and forward:
                    found.add(("paid-service-active-client", pair, (key, k2)))
                elif kind in ("mentoring", "management", "supervision") and forward:
                    found.add(("multiple-roles-with-client", pair, (key, k2)))
            for via in set(G.successors(coach)) | set(G.predecessors(coach)):
                if via == client:
                    continue
                for kf, df, _ in between(coach, via):
                    if df["kind"] != "family" or not active(df):
                        continue
                    for ke, de, _ in between(via, client):
                        if de["kind"] in ("romance", "business") and active(de):
                            found.add(
                                (
                                    "family-member-entangled-with-client",
                                    (("client", client), ("coach", coach), ("via", via)),
                                    (key, kf, ke),
                                )
                            )
        elif d["kind"] == "coaching" and d["end"] is not None and d["end"] < as_of:
            for k2, d2, _ in between(coach, client):
                s = d2["start"]
                if d2["kind"] == "romance" and (
                    s is None or (s <= d["end"] + WINDOW and s <= as_of)
                ):
                    found.add(
                        ("romance-former-client", (("client", client), ("coach", coach)), (key, k2))
                    )
        elif d["kind"] == "supervision" and active(d):
            sup, coach_ = coach, client
            for k2, d2, _ in between(sup, coach_):
                if d2["kind"] in ("romance", "family") and active(d2):
                    found.add(
                        (
                            "supervisor-romance-or-family",
                            (("coach", coach_), ("supervisor", sup)),
                            (key, k2),
                        )
                    )
    assert undirected_pair  # documents which kinds the scan reads in both directions
    t3 = time.perf_counter()
    for item in sorted(found):
        print(json.dumps([item[0], dict(item[1]), list(item[2])]))
    print(
        json.dumps({"read_people": t1 - t0, "read_ties_and_build": t2 - t1, "scan": t3 - t2}),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
