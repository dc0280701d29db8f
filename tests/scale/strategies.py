"""Small CSV registries dense in coaching-core's patterns (coaches, clients, relatives,
supervisors tied every which way), written as a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import strategies as st

PEOPLE = {
    "co1": "coach",
    "co2": "coach;supervisor",
    "cl1": "client",
    "cl2": "client",
    "cl3": "client;sponsor",
    "fr1": "",
    "su1": "supervisor",
    "ma1": "manager",
}
KINDS = ["coaching", "romance", "family", "business", "friendship", "supervision", "management"]
DATES = ["", "2023-01-01", "2024-06-30", "2025-03-01"]


@st.composite
def folders(draw: st.DrawFn, max_ties: int = 14) -> dict[str, Any]:
    """``{"people": text, "ties": text}`` of a valid folder."""
    ids = sorted(PEOPLE)
    rows = []
    for i in range(draw(st.integers(1, max_ties))):
        source, target = draw(st.permutations(ids))[:2]
        kind = draw(st.sampled_from(KINDS))
        start, end = sorted(draw(st.lists(st.sampled_from(DATES[1:]), min_size=2, max_size=2)))
        rows.append(
            [
                f"t{i}",
                kind,
                source,
                target,
                draw(st.sampled_from(["", start])),
                draw(st.sampled_from(["", "", end])),
                draw(st.sampled_from(DATES)) if kind == "coaching" else "",
                draw(st.sampled_from(["spouse", "cousin", "parent"])) if kind == "family" else "",
            ]
        )
    people = "id,roles\n" + "".join(f"{p},{r}\n" for p, r in PEOPLE.items())
    ties = "id,kind,source,target,start,end,agreement_signed,relation\n" + "".join(
        ",".join(r) + "\n" for r in rows
    )
    return {"people": people, "ties": ties}


def write(folder: Path, case: dict[str, Any], parts: int = 1) -> Path:
    """The folder, as people.csv and ties.csv, or split into ``parts`` parts."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("people", "ties"):
        header, *rows = case[name].splitlines(keepends=True)
        if parts == 1:
            (folder / f"{name}.csv").write_text(case[name], encoding="utf-8")
            continue
        size = -(-len(rows) // parts)
        for k in range(parts):
            chunk = "".join(rows[k * size : (k + 1) * size])
            (folder / f"{name}-{k + 1:04d}.csv").write_text(header + chunk, encoding="utf-8")
    return folder
