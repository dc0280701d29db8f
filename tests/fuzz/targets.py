"""What the fuzz tests feed dualrel, and what they require of it.

Made from the adversarial campaign's fuzzers (issue 21): hostile values, documents
mutated from the bundled example, byte-level damage to every registry format and to
rulesets.  Each ``run_*`` function drives one public entry point, then the check and
every report format on what it accepted.  The one requirement: nothing escapes but a
documented error (:class:`dualrel.DualrelError` from the API, an exit code from the
command line), and every report encodes as UTF-8.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

import dualrel
from dualrel import (
    Delta,
    DualrelError,
    Monitor,
    Registry,
    Tie,
    evaluate,
    load_registry,
    load_ruleset,
)
from dualrel.check import run_check
from dualrel.cli import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, main
from dualrel.report import FORMATS, render
from dualrel.rules import compile_ruleset

#: A number the JSON, YAML and CSV encoders below write as 5,000 digits (past Python's
#: 4,300-digit limit on converting text to int).
BIGINT = "__BIGINT__"
_BIG_DIGITS = "9" * 5000

# values that broke, or nearly broke, a reader or a report in the campaign
_HOSTILE = [
    "", " ", "\x00", "\ud800", "\udcff", "\x1b[31m", "\x1b]0;title\x07", "\u202e", "\x9b2J",
    "a" * 5000, "9" * 5000, "0001-01-01", "9999-12-31", "2024-02-29", "2023-02-29",
    "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2026-11-25T10:00:00+14:00",
    "2026-11-25T10:00", "NaN", "Infinity", "-Infinity", "1e999", "-1", "999999999",
    "coaching", "romance", "coach", "client", "co001", "cl0001", "t015", "data_sharing",
    "open", "email", "mon", "08:00-19:00", "25:00-26:00", "09:00-08:00", "{}", "[]", "\n",
    "\r", "\t", "<script>", "<!--", "|", "`", "/", "~", "'", '"', "\\", BIGINT,
]  # fmt: skip

weird_text = st.one_of(st.sampled_from(_HOSTILE), st.text(max_size=12))
# the hostile values first and as one choice, so that a few hundred examples meet each
_HOSTILE_SCALARS = [
    *_HOSTILE, None, True, False, 0, -1, 10**30, float("nan"), float("inf"), -float("inf"),
    date(1, 1, 1), date(9999, 12, 31), datetime(2026, 1, 1),
    datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-12))),
    datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=14))),
]  # fmt: skip
scalar = st.one_of(
    st.sampled_from(_HOSTILE_SCALARS),
    st.text(max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
value = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(weird_text, inner, max_size=3)
    ),
    max_leaves=6,
)


def _example() -> dict[str, Any]:
    with open(dualrel.example_registry(), encoding="utf-8") as f:
        doc: dict[str, Any] = json.load(f)
    return doc


def _small_seed() -> dict[str, Any]:
    """A dozen people of the example with their ties and practice records: small enough
    that one check costs milliseconds, varied enough that every rule has something."""
    base = _example()
    people = base["people"][:12]
    ids = {p["id"] for p in people}
    ties = [t for t in base["ties"] if t["source"] in ids and t["target"] in ids][:20]
    tie_ids = {t["id"] for t in ties}
    return {
        "format": base["format"],
        "as_of": base["as_of"],
        "people": people,
        "ties": ties,
        "agreements": [a for a in base["agreements"] if a["tie"] in tie_ids][:4],
        "contacts": [c for c in base["contacts"] if c["coach"] in ids and c["client"] in ids][:4],
        "consents": [c for c in base["consents"] if c["person"] in ids][:3],
        "concerns": [],
        "records": [r for r in base["records"] if r["client"] in ids][:3],
    }


SEED = _small_seed()
RULESETS = ("coaching-core", "coaching-practice")


def _shipped_ruleset(name: str) -> dict[str, Any]:
    text = (Path(dualrel.__file__).parent / "rulesets" / f"{name}.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    doc.pop("extends", None)  # stand-alone, so the fuzzed file is the whole ruleset
    # dates as text, as a committee writes them
    loaded: dict[str, Any] = json.loads(json.dumps(doc, default=str))
    return loaded


RULESET_SEEDS = tuple(_shipped_ruleset(name) for name in RULESETS)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


@st.composite
def mutated(draw: st.DrawFn, seed: Mapping[str, Any]) -> dict[str, Any]:
    """``seed`` with one to four edits: a value made hostile, replaced or deleted, a list
    item duplicated, a key added, a part copied over another."""
    doc: dict[str, Any] = copy.deepcopy(dict(seed))
    for _ in range(draw(st.integers(1, 4))):
        places = [p for p in _paths(doc) if p]
        if not places:
            break
        place = draw(st.sampled_from(places))
        parent: Any = doc
        for k in place[:-1]:
            parent = parent[k]
        key = place[-1]
        op = draw(st.sampled_from(["hostile", "replace", "delete", "dup", "addkey", "copy"]))
        if op == "hostile":
            parent[key] = draw(st.sampled_from(_HOSTILE_SCALARS))
        elif op == "replace":
            parent[key] = draw(value)
        elif op == "delete":
            del parent[key]
        elif op == "dup" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif op == "addkey" and isinstance(parent[key], dict):
            parent[key][draw(weird_text)] = draw(value)
        elif op == "copy":
            source: Any = doc
            for k in draw(st.sampled_from(places)):
                source = source[k]
            parent[key] = copy.deepcopy(source)
    return doc


#: byte edits: (position modulo the length, operation, bytes)
byte_edits = st.lists(
    st.tuples(
        st.integers(0, 10**6),
        st.sampled_from(["del", "ins", "flip"]),
        st.one_of(
            st.binary(min_size=1, max_size=3),
            st.sampled_from(
                [
                    b"\x00",
                    b"\xff",
                    b"\xed\xa0\x80",
                    b"\xef\xbb\xbf",
                    b'"',
                    b"\r",
                    b"\n",
                    b",",
                    b";",
                    b"9" * 5000,
                    b"[" * 3000,
                    b"9999-12-31",
                    b"0001-01-01",
                ]
            ),
        ),
    ),
    max_size=3,
)


def damaged(data: bytes, edits: Sequence[tuple[int, str, bytes]]) -> bytes:
    """``data`` with the byte ``edits`` applied in turn."""
    b = bytearray(data)
    for where, op, chunk in edits:
        if not b:
            break
        pos = where % len(b)
        if op == "del":
            del b[pos : pos + len(chunk)]
        elif op == "ins":
            b[pos:pos] = chunk
        else:
            b[pos] = chunk[0]
    return bytes(b)


def _json_text(obj: Any) -> str:
    return json.dumps(obj, default=str, ensure_ascii=False).replace(f'"{BIGINT}"', _BIG_DIGITS)


def encoded(doc: Mapping[str, Any], fmt: str) -> bytes:
    """``doc`` written as a registry file of format ``fmt`` (json, jsonl or yaml); lone
    surrogates are kept (as WTF-8 bytes) so the reader meets them."""
    if fmt == "json":
        text = _json_text(doc)
    elif fmt == "jsonl":
        header = {"type": "registry", "format": doc.get("format"), "as_of": doc.get("as_of")}
        lines = [_json_text(header)]
        sections = (
            ("people", "person"), ("ties", "tie"), ("agreements", "agreement"),
            ("contacts", "contact"), ("consents", "consent"), ("records", "record"),
        )  # fmt: skip
        for section, kind in sections:
            rows = doc.get(section)
            for row in rows if isinstance(rows, list) else []:
                lines.append(_json_text({"type": kind, **row} if isinstance(row, dict) else row))
        text = "\n".join(lines) + "\n"
    else:
        plain = json.loads(json.dumps(doc, default=str))
        text = yaml.safe_dump(plain, allow_unicode=True).replace(BIGINT, _BIG_DIGITS)
    return text.encode("utf-8", "surrogatepass")


def _csv_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c)
            if isinstance(v, list):
                v = ";".join(map(str, v))
            elif isinstance(v, dict):
                v = v.get("agreement_signed", "")
            cells.append("" if v is None else v)
        writer.writerow(cells)
    return out.getvalue()


def _csv_seed() -> dict[str, bytes]:
    base = _example()
    ties = [
        t | {"agreement_signed": (t.get("attributes") or {}).get("agreement_signed")}
        for t in base["ties"]
    ]
    tables = {
        "people.csv": _csv_table(base["people"], ["id", "roles", "name", "organisation"]),
        "ties.csv": _csv_table(
            ties, ["id", "kind", "source", "target", "start", "end", "agreement_signed"]
        ),
        "contacts.csv": _csv_table(
            base["contacts"],
            ["id", "coach", "client", "channel", "at", "initiated_by", "responded_at"],
        ),
        "agreements.csv": _csv_table(
            base["agreements"],
            [
                "id",
                "tie",
                "signed",
                "roles",
                "covers",
                "channels",
                "response_window_hours",
                "reviewed",
                "hours",
                "days",
            ],
        ),
    }
    return {name: text.encode() for name, text in tables.items()}


CSV_SEED = _csv_seed()
CSV_FILES = tuple(sorted(CSV_SEED))


def _every_format(result: Any) -> None:
    for fmt in FORMATS:
        render(result, fmt).encode("utf-8")


def with_big_ints(obj: Any) -> Any:
    """``obj`` with each :data:`BIGINT` placeholder made a 5,000-digit int."""
    if obj == BIGINT:
        return 10**5000
    if isinstance(obj, dict):
        return {k: with_big_ints(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [with_big_ints(v) for v in obj]
    return obj


def run_data(doc: Mapping[str, Any]) -> None:
    """``registry_from_data`` on ``doc``, then the core ruleset on what it accepted."""
    try:
        registry = dualrel.registry_from_data(with_big_ints(doc))
        evaluate(registry, ["coaching-core"])
    except DualrelError:
        return


def run_file(path: Path) -> None:
    """Load the registry at ``path``, then check it and render every format."""
    try:
        load_registry(path)
        result = run_check(path, list(RULESETS))
    except DualrelError:
        return
    _every_format(result)


def run_ruleset(path: Path, registry: Any) -> None:
    """Load and compile the ruleset at ``path``, then evaluate it on ``registry``."""
    try:
        ruleset = load_ruleset(path)
        compile_ruleset(ruleset)
        evaluate(registry, [ruleset])
    except DualrelError:
        return


def run_monitor(
    monitor: Monitor, fields: Sequence[Any], remove: bool, registry: Registry | None = None
) -> None:
    """Offer a tie made of ``fields`` to ``monitor``, previewed first; a refused tie leaves
    no trace (the same tie, corrected, can be added after).  A preview changes nothing,
    is refused exactly when adding is, and says what adding then does.  With
    ``registry`` (the one the monitor was made from), the tie's source is then removed as
    a person, and put back from the registry when that succeeds."""
    try:
        tie = Tie(*fields)
    except (TypeError, ValueError):
        return  # the dataclass itself refused it: nothing reached dualrel
    before = monitor.findings()
    try:
        preview: Delta | None = monitor.preview(tie)
    except DualrelError:
        preview = None
    assert monitor.findings() == before, "a preview changed the findings"
    try:
        delta = monitor.add_tie(tie)
    except DualrelError:
        assert preview is None, "preview accepted a tie add_tie refused"
        return
    assert delta == preview, "preview differs from add_tie"
    if remove:
        monitor.remove_tie(tie.id)
    if registry is not None:
        _remove_person(monitor, fields[2], registry)


def _remove_person(monitor: Monitor, person_id: Any, registry: Registry) -> None:
    try:
        monitor.remove_person(person_id)
    except DualrelError:
        return
    person = next(p for p in registry.people if p.id == person_id)
    monitor.add_person(person)
    for tie in registry.ties:
        if person_id in (tie.source, tie.target):
            monitor.add_tie(tie)


#: exit codes a command may end with on any input
CLI_EXITS = frozenset({EXIT_OK, EXIT_FINDINGS, EXIT_INPUT})


def run_cli(argv: Sequence[str]) -> tuple[int, str]:
    """``dualrel ARGV`` in this process: its exit code and what it wrote to stderr.  An
    exception escaping :func:`dualrel.cli.main` is what a user sees as a traceback."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, err.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def fuzz_examples(default: int) -> int:
    """How many examples a campaign test runs: ``DUALREL_FUZZ_EXAMPLES`` when set."""
    return int(os.environ.get("DUALREL_FUZZ_EXAMPLES", default))
