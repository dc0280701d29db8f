"""Practice sections for a synthetic registry, and the cost of checking them (issue 7).

Writes, next to a generated CSV registry, a copy whose folder also holds the practice
sections (seeded): for every coaching tie active on the evaluation date an agreement
(about 5% missing, 3% unsigned, 5% covering too little, 5% reviewed long ago), about
``--contacts`` contacts in the 60 days before the evaluation date (some on channels or at
hours the agreement does not allow, some answered late or not at all), a supervision
session per coach most months, assessments with or without consent, disclosures,
concerns and client records.  Then it times ``dualrel check`` with the coaching-practice
ruleset on the registry with the sections and on the same registry without them, and the
coaching-core check on the registry without them, in one run::

    python benchmarks/practice_sections.py --people 100000 [--jobs 2]

The registry itself comes from ``benchmarks/generate.py`` (run ``benchmarks/run.py --people
N`` once to create it).  To compare source trees on sections written before (a folder that
may be read-only), give ``--sections`` and one ``--tree NAME=SRC`` per tree: each check
then runs with ``PYTHONPATH=SRC``, the trees alternating, best of ``--repeat``, and the
ratio with / without sections is printed per tree::

    python benchmarks/practice_sections.py --sections DIR --tree before=OLD/src \
        --tree after=src --repeat 3
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = date(2026, 11, 26)
CHANNELS = ("email", "phone", "sms", "platform", "in_person")
COVERS = ("confidentiality", "escalation", "availability", "cancellation", "data_handling", "fees")


def _active(row: dict[str, str]) -> bool:
    start, end = row.get("start") or "", row.get("end") or ""
    return (not start or date.fromisoformat(start) <= AS_OF) and (
        not end or date.fromisoformat(end) >= AS_OF
    )


def write_sections(src: Path, dst: Path, contacts_per_tie: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("people.csv", "ties.csv"):
        target = dst / name
        if target.is_symlink() or target.exists():
            target.unlink()
        target.symlink_to((src / name).resolve())
    with (src / "ties.csv").open(newline="", encoding="utf-8") as f:
        coaching = [r for r in csv.DictReader(f) if r["kind"] == "coaching" and _active(r)]
    rows: dict[str, list[dict[str, object]]] = {
        s: []
        for s in (
            "agreements",
            "contacts",
            "supervision_sessions",
            "assessments",
            "consents",
            "disclosures",
            "concerns",
            "records",
        )
    }
    coaches: set[str] = set()
    tz = timezone(timedelta(hours=1))
    for n, tie in enumerate(coaching):
        coach, client = tie["source"], tie["target"]
        coaches.add(coach)
        u = rng.random()
        if u >= 0.05:  # 5% have no agreement at all
            covers = list(COVERS) if u >= 0.10 else ["availability", "fees"]
            signed = (
                ""
                if 0.10 <= u < 0.13
                else (AS_OF - timedelta(days=rng.randint(401, 900))).isoformat()
            )
            reviewed = (
                AS_OF - timedelta(days=rng.randint(200, 400) if u >= 0.95 else rng.randint(5, 80))
            ).isoformat()
            rows["agreements"].append(
                {
                    "id": f"ag{n}",
                    "tie": tie["id"],
                    "signed": signed,
                    "roles": "coach" if rng.random() < 0.9 else "coach;assessor",
                    "covers": ";".join(covers),
                    "channels": "email;platform;in_person",
                    "response_window_hours": rng.choice((24, 48)),
                    "reviewed": reviewed if signed else "",
                    "hours": "08:00-19:00",
                    "days": "mon;tue;wed;thu;fri",
                }
            )
        for k in range(contacts_per_tie):
            odd = rng.random() < 0.05  # 5% outside the agreed days and hours
            day = AS_OF - timedelta(days=rng.randint(0, 59))
            while not odd and day.weekday() >= 5:  # the others on weekdays
                day -= timedelta(days=1)
            minutes = rng.randint(1140, 1380) if odd else rng.randint(480, 1130)
            at = datetime.combine(day, datetime.min.time(), tz) + timedelta(minutes=minutes)
            by = "client" if rng.random() < 0.6 else "coach"
            late = rng.random()
            responded = (
                ""
                if late < 0.03
                else (at + timedelta(hours=rng.uniform(0.5, 60 if late < 0.2 else 20))).isoformat()
            )
            rows["contacts"].append(
                {
                    "id": f"ct{n}-{k}",
                    "coach": coach,
                    "client": client,
                    "channel": rng.choice(CHANNELS) if rng.random() < 0.1 else "email",
                    "at": at.isoformat(),
                    "initiated_by": by,
                    "responded_at": responded if by == "client" else "",
                }
            )
        if rng.random() < 0.1:
            d = AS_OF - timedelta(days=rng.randint(10, 300))
            rows["assessments"].append(
                {
                    "id": f"as{n}",
                    "client": client,
                    "assessor": coach,
                    "instrument": "MBTI",
                    "date": d.isoformat(),
                }
            )
            if rng.random() < 0.9:
                rows["consents"].append(
                    {
                        "id": f"cs{n}",
                        "person": client,
                        "purpose": "assessment",
                        "given": (d - timedelta(days=3)).isoformat(),
                    }
                )
        if rng.random() < 0.05:
            rows["disclosures"].append(
                {
                    "id": f"ds{n}",
                    "client": client,
                    "recipient": "Acme Ltd",
                    "date": (AS_OF - timedelta(days=20)).isoformat(),
                }
            )
        if rng.random() < 0.01:
            rows["concerns"].append(
                {
                    "id": f"cn{n}",
                    "about": tie["id"],
                    "raised": (AS_OF - timedelta(days=rng.randint(1, 40))).isoformat(),
                    "status": rng.choice(("open", "in_review", "resolved")),
                }
            )
        created = AS_OF - timedelta(days=rng.randint(100, 3000))
        rows["records"].append(
            {
                "id": f"rc{n}",
                "client": client,
                "kind": "session_notes",
                "created": created.isoformat(),
                "retain_until": (
                    created + timedelta(days=7 * 365 if rng.random() < 0.97 else 60)
                ).isoformat(),
            }
        )
    for i, coach in enumerate(sorted(coaches)):
        for m in range(3):
            if rng.random() < 0.85:
                d = AS_OF - timedelta(days=m * 30 + rng.randint(0, 29))
                rows["supervision_sessions"].append(
                    {
                        "id": f"ss{i}-{m}",
                        "supervisor": "su-ext",
                        "coach": coach,
                        "date": d.isoformat(),
                    }
                )
    # a session names its supervisor: another coach of the registry (every id must exist)
    for r in rows["supervision_sessions"]:
        r["supervisor"] = rng.choice(sorted(coaches - {str(r["coach"])}) or [str(r["coach"])])
    for section, items in rows.items():
        if not items:
            continue
        with (dst / f"{section}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(items[0]))
            w.writeheader()
            w.writerows(items)
    return {s: len(v) for s, v in rows.items()} | {"active_coaching_ties": len(coaching)}


def _check(
    folder: Path, ruleset: str, jobs: int, tree: Path | None = None, out_dir: Path | None = None
) -> tuple[float, float, int, float]:
    """Wall seconds, peak MB, findings and CPU seconds (every thread) of one check."""
    out = (out_dir or folder.parent) / f"report-{folder.name}-{ruleset}.json"
    code = (
        "import resource,subprocess,sys,time;t=time.perf_counter();"
        "r=subprocess.run(sys.argv[1:]);w=time.perf_counter()-t;"
        "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(w, u.ru_maxrss, r.returncode, u.ru_utime + u.ru_stime)"
    )
    argv = [
        sys.executable,
        "-c",
        code,
        sys.executable,
        "-m",
        "dualrel",
        "check",
        str(folder),
        "--as-of",
        AS_OF.isoformat(),
        "-r",
        ruleset,
        "--format",
        "json",
        "--jobs",
        str(jobs),
        "--output",
        str(out),
    ]
    env = None if tree is None else {**os.environ, "PYTHONPATH": str(tree.resolve())}
    done = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    wall, rss, rc, cpu = done.stdout.split()
    if rc not in ("0", "1"):
        raise SystemExit(f"dualrel check failed on {folder} ({ruleset}): exit {rc}")
    findings = len(json.loads(out.read_text())["findings"])
    return float(wall), int(rss) / 1024, findings, float(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--contacts", type=int, default=10, help="contacts per active coaching tie")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1, help="dualrel check --jobs, for every run")
    ap.add_argument(
        "--sections", type=Path, help="an existing folder with the sections: compare --tree"
    )
    ap.add_argument("--tree", action="append", default=[], metavar="NAME=SRC")
    ap.add_argument("--repeat", type=int, default=3, help="with --tree: best of this many")
    args = ap.parse_args()
    if args.sections is not None:
        _compare_trees(args)
        return
    plain = HERE / "data" / f"n{args.people}-s{args.seed}-planted" / "csv"
    if not (plain / "ties.csv").exists():
        raise SystemExit(f"{plain} is missing: run benchmarks/run.py --people {args.people} first")
    sections = HERE / "data" / f"n{args.people}-s{args.seed}-practice" / "csv"
    counts = write_sections(plain, sections, args.contacts, args.seed)
    print("sections:", json.dumps(counts))
    runs = {
        "coaching-practice, with sections": _check(sections, "coaching-practice", args.jobs),
        "coaching-practice, without sections": _check(plain, "coaching-practice", args.jobs),
        "coaching-core, without sections": _check(plain, "coaching-core", args.jobs),
    }
    base = runs["coaching-practice, without sections"][0]
    core = runs["coaching-core, without sections"][0]
    print(
        f"{'check':40} {'wall s':>8} {'peak MB':>8} {'findings':>9} "
        f"{'/ practice w/o':>14} {'/ core w/o':>10}"
    )
    for name, (wall, rss, n, _cpu) in runs.items():
        print(f"{name:40} {wall:8.2f} {rss:8.0f} {n:9d} {wall / base:14.2f} {wall / core:10.2f}")


def _compare_trees(args: argparse.Namespace) -> None:
    """The with / without sections ratio of each tree, on the same folders, alternating."""
    trees = dict(t.split("=", 1) for t in args.tree) or {"this": "src"}
    plain = args.sections.resolve() / "ties.csv"
    plain = plain.resolve().parent  # the registry the sections were written next to
    best: dict[tuple[str, str], float] = {}
    best_cpu: dict[tuple[str, str], float] = {}
    found: dict[tuple[str, str], int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for name in sorted(trees, reverse=i % 2 == 1):
                for label, folder in (("with", args.sections), ("without", plain)):
                    out = Path(tmp) / name
                    out.mkdir(exist_ok=True)
                    wall, _rss, n, cpu = _check(
                        folder, "coaching-practice", args.jobs, Path(trees[name]), out
                    )
                    key = (name, label)
                    best[key] = min(best.get(key, float("inf")), wall)
                    best_cpu[key] = min(best_cpu.get(key, float("inf")), cpu)
                    if found.setdefault(key, n) != n:
                        raise SystemExit(f"{name} {label}: {n} findings, earlier {found[key]}")
    print(f"coaching-practice, best of {args.repeat} (wall s; CPU s, every thread), alternating")
    print(
        f"{'tree':12} {'with':>8} {'without':>8} {'with/without':>13} "
        f"{'CPU with':>9} {'without':>8} {'with/without':>13} {'findings':>9}"
    )
    for name in trees:
        w, wo = best[(name, "with")], best[(name, "without")]
        c, co = best_cpu[(name, "with")], best_cpu[(name, "without")]
        print(
            f"{name:12} {w:8.2f} {wo:8.2f} {w / wo:13.2f} "
            f"{c:9.2f} {co:8.2f} {c / co:13.2f} {found[(name, 'with')]:9d}"
        )


if __name__ == "__main__":
    main()
