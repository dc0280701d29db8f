"""An invalid split registry checked on Dask: every problem found on the workers
(``dualrel.scale._problems``), the same problems, in the same places and order, capped the
same way, as one machine gives.

One machine's reader is made to fail on the client while the check runs on Dask: the
problems can only come from the workers.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualrel import run_check
from dualrel._internal.problems import MAX_ERRORS
from dualrel._internal.suggest import Suggester, hint_text
from dualrel.cli import main
from dualrel.errors import Problem, RegistryError
from dualrel.scale import check_on_dask
from dualrel.scale._problems import Batch, _hinted, candidates

PEOPLE_HEADER = "id,roles"
TIES_HEADER = "id,kind,source,target,start,end,relation"

#: people rows: valid ones (the ids ties name, near ids for "did you mean"), and each
#: problem a people row can have
PEOPLE_ROWS = [
    "co1,coach",
    "co2,coach;supervisor",
    "cl1,client",
    "cl2,client",
    "cl3,client;sponsor",
    "fr1,",
    "su1,supervisor",
    "cl1,client",  # duplicate-person (within a part or across parts)
    "co2,coach",  # duplicate-person
    ",client",  # missing-field
    "x1,clinet",  # unknown-role (a warning, at the text's first use)
    "x2,coach;boss",  # unknown-role
    "x3,client,extra",  # wrong-column-count
    '"x4"z,client',  # malformed
]
#: ties rows: valid ones and each problem a ties row can have
TIES_ROWS = [
    "t1,coaching,co1,cl1,2025-01-01,",
    "t2,romance,co2,cl2,,",
    "t3,family,cl1,cl2,,,spouse",
    "t4,supervision,co2,co1,,",
    "t1,friendship,fr1,cl3,,",  # duplicate-tie
    ",friendship,su1,fr1,,",  # a derived id
    "t5,romance,co1,cl9,,",  # unknown-person, with a hint
    "t6,romance,zzzz,co1,,",  # unknown-person, no hint
    "t7,romance,co1,co1,,",  # self-tie
    "t8,coaching,co1,cl1,2025-02-30,",  # invalid-date
    "t9,coaching,co1,cl1,2025-03-01,2025-01-01",  # end-before-start
    "t10,coachng,co1,cl1,,",  # unknown-kind
    "t11,,co1,cl1,,",  # missing-field
    "t12,family,cl1,cl3,,",  # missing-relation (a warning)
    "t13,family,cl1,cl3,,,cousn",  # invalid-relation
    "t14,coaching,cl1,co1,,",  # role-mismatch (warnings)
    "t15,coaching,co1",  # wrong-column-count
    '"t16"x,coaching,co1,cl1,,',  # malformed
]


def _write_parts(folder: Path, name: str, header: str, parts: list[list[str] | None]) -> None:
    for k, rows in enumerate(parts):
        text = "" if rows is None else header + "\n" + "".join(r + "\n" for r in rows)
        (folder / f"{name}-{k + 1:04d}.csv").write_text(text, encoding="utf-8")


def _write_one(folder: Path, name: str, header: str, parts: list[list[str] | None]) -> None:
    rows = [r for part in parts if part is not None for r in part]
    text = header + "\n" + "".join(r + "\n" for r in rows)
    (folder / f"{name}.csv").write_text(text, encoding="utf-8")


@st.composite
def split_rows(draw: st.DrawFn, pool: list[str], valid: int) -> list[list[str] | None]:
    """The pool's valid rows and some of its others, shuffled, over 1 to 4 parts (a part
    may be an empty file or a header alone)."""
    rows = pool[:valid] + draw(st.lists(st.sampled_from(pool), max_size=12))
    rows = draw(st.permutations(rows))
    cuts = sorted(draw(st.lists(st.integers(0, len(rows)), max_size=3)))
    bounds = [0, *cuts, len(rows)]
    parts: list[list[str] | None] = [rows[a:b] for a, b in pairwise(bounds)]
    empty = draw(st.sampled_from([None, *range(len(parts))]))
    if empty is not None and not parts[empty]:
        parts[empty] = None  # an empty file: no header either
    return parts


def _outcome(check: Callable[[Path], Any], folder: Path) -> tuple[str, Any]:
    try:
        check(folder)
    except RegistryError as e:
        return "problems", e.problems
    return "valid", None


def _refused(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the registry was read on the client")


def _on_dask(client: Any, folder: Path) -> tuple[Problem, ...]:
    """The problems of the check on Dask, one machine's reader refused on the client
    (not on the workers: other processes)."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr("dualrel.check.load_for_rules", _refused)
        with pytest.raises(RegistryError) as e:
            check_on_dask(client, folder)
    return e.value.problems


def _where(problems: list[Problem]) -> list[tuple[Any, ...]]:
    return sorted((p.severity, p.code, p.record or "", p.field or "") for p in problems)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=split_rows(PEOPLE_ROWS, 7), ties=split_rows(TIES_ROWS, 4))
def test_planted_problems_of_every_kind_over_parts_are_one_machines(
    client: Any, people: list[list[str] | None], ties: list[list[str] | None]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        split, one = Path(tmp) / "split", Path(tmp) / "one"
        split.mkdir()
        one.mkdir()
        _write_parts(split, "people", PEOPLE_HEADER, people)
        _write_parts(split, "ties", TIES_HEADER, ties)
        _write_one(one, "people", PEOPLE_HEADER, people)
        _write_one(one, "ties", TIES_HEADER, ties)
        kind, expected = _outcome(run_check, split)
        if kind == "valid":
            return  # nothing planted was drawn: the other tests compare reports
        assert _on_dask(client, split) == expected
        if None not in people and None not in ties:
            # the same problems as the parts concatenated into one file each (located
            # in their parts, and a duplicate across parts told after the parts' own)
            assert _where(expected) == _where(_outcome(run_check, one)[1])


def _many_bad(folder: Path) -> None:
    """Three people parts and three ties parts, each with hundreds of bad rows, a
    malformed row past the cap in each (where one machine's reader stops a part)."""
    folder.mkdir()
    people = [f"p{i},client" for i in range(50)]
    for k in range(3):
        rows = [*people] if k == 0 else []
        rows += [f"p{i},client" for i in range(k * 10, k * 10 + 100)]  # duplicate-person
        rows += [",client"] * 100 + [f"r{k},boss{k}"]
        rows += ['"m"x,client'] + [",client"] * 50
        (folder / f"people-{k + 1:04d}.csv").write_text(
            PEOPLE_HEADER + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8"
        )
        ties = [f"t{k}-{i},romance,p{i},p{i}x,,," for i in range(200)]  # unknown-person
        ties += ["t0-1,romance,p1,p2,,,"] * 3 + ['"m"x,romance,p1,p2,,,'] + ["t9,romance,p1,p1,,,"]
        (folder / f"ties-{k + 1:04d}.csv").write_text(
            TIES_HEADER + "\n" + "".join(r + "\n" for r in ties), encoding="utf-8"
        )


def test_more_problems_than_the_cap_are_cut_and_counted_as_one_machine(
    client: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "reg"
    _many_bad(folder)
    expected = _outcome(run_check, folder)[1]
    assert sum(p.severity == "error" for p in expected) == MAX_ERRORS + 1
    assert _on_dask(client, folder) == expected


def test_the_bytes_each_stage_of_the_problems_sends_are_measured(
    client: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "reg"
    _many_bad(folder)
    network: dict[str, int] = {}
    with pytest.MonkeyPatch.context() as m:
        m.setattr("dualrel.check.load_for_rules", _refused)
        with pytest.raises(RegistryError) as e:
            check_on_dask(client, folder, network=network)
    assert e.value.problems == _outcome(run_check, folder)[1]
    stages = {k.removeprefix("problems.") for k in network if k.startswith("problems.")}
    assert stages >= {
        "gather.files",
        "gather.people",
        "shuffle.people",
        "shuffle.ends",
        "gather.joins",
        "join.people",
        "gather.ties",
        "shuffle.tie_ids",
        "gather.tie_ids",
        "gather.hints",
    }
    # every person id of the people parts crosses to its bucket, every distinct end to
    # its bucket: their text is a floor of what was sent
    ids = {
        line.split(",")[0]
        for f in folder.glob("people-*.csv")
        for line in f.read_text(encoding="utf-8").splitlines()[1:]
    }
    assert network["problems.shuffle.people"] >= sum(map(len, ids))
    ends = {
        cell
        for f in folder.glob("ties-*.csv")
        for line in f.read_text(encoding="utf-8").splitlines()[1:]
        for cell in line.split(",")[2:4]
    }
    assert network["problems.shuffle.ends"] >= sum(map(len, ends))


def test_the_ties_parts_of_people_whose_header_stops_are_checked_by_their_headers(
    client: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "reg"
    folder.mkdir()
    (folder / "people-0001.csv").write_text("id,roles\nco1,coach\n", encoding="utf-8")
    (folder / "people-0002.csv").write_text("id;roles\nco2;coach\n", encoding="utf-8")
    (folder / "ties-0001.csv").write_text("id,kind,source\nt1,coaching,co1\n", encoding="utf-8")
    (folder / "ties-0002.csv").write_text("", encoding="utf-8")
    expected = _outcome(run_check, folder)[1]
    assert [p.code for p in expected] == ["wrong-delimiter", "missing-column"]
    assert _on_dask(client, folder) == expected


def test_the_command_line_prints_the_same_problems_and_exits_the_same(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reg"
    folder.mkdir()
    _write_parts(folder, "people", PEOPLE_HEADER, [PEOPLE_ROWS[:9], PEOPLE_ROWS[9:]])
    _write_parts(folder, "ties", TIES_HEADER, [TIES_ROWS[:9], TIES_ROWS[9:]])
    one = main(["check", str(folder)])
    one_out = capsys.readouterr()
    with pytest.MonkeyPatch.context() as m:
        m.setattr("dualrel.check.load_for_rules", _refused)
        on_dask = main(["check", str(folder), "--dask", "local:1"])
    on_dask_out = capsys.readouterr()
    assert (on_dask, on_dask_out.out) == (one, one_out.out)
    assert _problem_lines(on_dask_out.err) == _problem_lines(one_out.err)
    assert one == 2


def _problem_lines(err: str) -> list[str]:
    # the progress lines' timings differ from run to run
    return [line for line in err.splitlines() if not line.startswith("dualrel: [")]


@settings(max_examples=200, deadline=None)
@given(
    ids=st.lists(st.text("abc1", min_size=1, max_size=6), max_size=30),
    names=st.lists(st.text("abc12", min_size=1, max_size=8), max_size=20),
    budget=st.integers(0, 400),
)
def test_the_hints_spent_and_scored_apart_are_the_suggesters(
    ids: list[str], names: list[str], budget: int
) -> None:
    """The budget spent from the count of ids of each length, and the ids scored in
    three buckets, give the hint one ``Suggester`` over every id gives."""
    suggester = Suggester(ids, budget=budget)
    expected = [suggester.hint(name) for name in names]
    lengths = Counter(len(i) for i in set(ids))
    hinted = _hinted([(name, at) for at, name in enumerate(names)], lengths, budget)
    buckets = [sorted({i for i in ids if hash(i) % 3 == k}) for k in range(3)]
    scores: dict[str, list[tuple[float, str]]] = {name: [] for name in names}
    for bucket in buckets:
        for name, found in candidates(Batch(bucket), names).items():
            scores[name].extend(found)
    got = [hint_text(scores[name]) if at in hinted else "" for at, name in enumerate(names)]
    assert got == expected
