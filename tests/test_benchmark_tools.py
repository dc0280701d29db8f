"""The benchmark tooling a 10M run relies on: the registry written without its JSON forms,
under a folder of the caller's choosing, and the findings read back from a report a
finding at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks import run
from benchmarks.generate import generate, write_all, write_csv
from benchmarks.planting import plant

import dualrel


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.csv")}


def test_csv_only_writes_the_csv_folder_alone(tmp_path: Path) -> None:
    write_all(str(tmp_path / "only"), 300, seed=3, csv_only=True)
    write_all(str(tmp_path / "all"), 300, seed=3)
    assert sorted(p.name for p in (tmp_path / "only").iterdir()) == ["csv"]
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "csv",
        "registry.json",
        "registry.jsonl",
    ]
    assert _files(tmp_path / "only") == _files(tmp_path / "all")


def test_planted_is_the_registry_run_checks(tmp_path: Path) -> None:
    """``generate.py --planted`` and ``run.py --data`` write the same files as the rows of
    ``generate`` plus ``plant`` (what run.py has always checked)."""
    people, ties = generate(400, 2)
    planted = plant(people, ties, 2)
    assert planted  # the registry is large enough to hold planted situations
    write_csv(str(tmp_path / "expected" / "csv"), people, ties + planted)
    write_all(str(tmp_path / "generated"), 400, seed=2, csv_only=True, planted=True)
    folder = run.dataset(400, 2, root=tmp_path / "data")
    assert folder == tmp_path / "data" / "n400-s2-planted" / "csv"
    expected = _files(tmp_path / "expected")
    assert _files(tmp_path / "generated") == expected
    assert _files(tmp_path / "data" / "n400-s2-planted") == expected


def test_report_findings_read_one_at_a_time_match_the_whole_document(tmp_path: Path) -> None:
    result = dualrel.run_check(dualrel.example_registry(), ["coaching-core"])
    path = tmp_path / "report.json"
    path.write_text(dualrel.render(result, "json"), encoding="utf-8")
    report = json.loads(path.read_text(encoding="utf-8"))
    whole = sorted(
        json.dumps([f["rule"], dict(sorted(f["subjects"].items())), list(f["evidence"])])
        for f in report["findings"]
    )
    assert len(whole) == len(result.findings) > 1
    assert run.report_findings(str(path)).split("\n") == whole


def test_report_findings_of_a_report_without_findings(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"format": "dualrel.report/1", "findings": [ ]}\n', encoding="utf-8")
    assert run.report_findings(str(path)) == ""


def _results(
    path: Path, people: int, ties: int, wall: float, peak: float, *, cpu: float | None = None
) -> Path:
    stages = {"read_validate": wall / 2, "index": wall / 4, "evaluate": wall / 4}
    dualrel_run: dict[str, object] = {"wall_s": wall, "peak_mb": peak, "stages": stages}
    if cpu is not None:  # as stage_memory.py records them: CPU split 3:1 between two stages
        dualrel_run["stage_memory"] = {
            "stages": {
                "read_validate": {"cpu_s": cpu * 3 / 4, "peak_mb": peak},
                "index": {"cpu_s": cpu / 4, "peak_mb": peak / 2},
            }
        }
    row = {
        "people": people,
        "ties": ties,
        "findings": 1,
        "results": {
            "duckdb": {"wall_s": wall / 5},
            "dualrel": dualrel_run,
        },
    }
    path.write_text(json.dumps({"rows": [row]}), encoding="utf-8")
    return path


def test_scaling_per_tie_ratios_and_where_memory_runs_out(tmp_path: Path) -> None:
    from benchmarks.scaling import summary  # noqa: PLC0415 (beside its test)

    small = _results(tmp_path / "a.json", 1_000_000, 3_000_000, 90.0, 1_100.0)
    large = _results(tmp_path / "b.json", 10_000_000, 30_000_000, 1_080.0, 9_200.0)
    out = summary([large, small], memory_gib=24)
    assert [r["people"] for r in out["rows"]] == [1_000_000, 10_000_000]  # by size
    big = out["rows"][1]
    assert big["us_per_tie"] == 36.0
    assert big["us_per_tie_to_smallest"] == 1.2
    assert big["stage_per_tie_to_smallest"] == dict.fromkeys(
        ("read_validate", "index", "evaluate"), 1.2
    ) | dict.fromkeys(("findings", "result", "report"), 0.0)
    assert big["to_duckdb"] == 5.0
    fit = out["peak_fit"]
    # 9,200 - 1,100 MB over 27M ties: 300 MB per million ties from 200 MB
    assert fit["intercept_mb"] == 200.0
    assert fit["mb_per_million_ties"] == 300.0
    assert fit["ties_at_memory"] == round((24 * 1024 - 200) / 300e-6)
    assert fit["people_at_memory"] == round(fit["ties_at_memory"] / 3)
    assert "cpu_per_tie_to_smallest" not in big  # no CPU recorded: no ratio made up


def test_scaling_compares_cpu_per_tie_when_stages_record_it(tmp_path: Path) -> None:
    from benchmarks.scaling import summary  # noqa: PLC0415 (beside its test)

    small = _results(tmp_path / "a.json", 1_000_000, 3_000_000, 9.0, 900.0, cpu=8.0)
    large = _results(tmp_path / "b.json", 10_000_000, 30_000_000, 120.0, 7_000.0, cpu=104.0)
    big = summary([small, large], memory_gib=24)["rows"][1]
    assert big["cpu_per_tie_to_smallest"] == 1.3  # 104 / 30M against 8 / 3M
    assert big["stage_cpu_per_tie_to_smallest"] == {"read_validate": 1.3, "index": 1.3}
    assert big["stage_peak_mb"] == {"read_validate": 7_000.0, "index": 3_500.0}


def test_stage_memory_records_each_stage_cpu_seconds() -> None:
    from benchmarks.stage_memory import Sampler  # noqa: PLC0415 (beside its test)

    sampler = Sampler(every=0.005)
    sum(i * i for i in range(300_000))  # CPU spent in the first stage only
    sampler.close("busy", 0.0)
    sampler.close("idle", 0.0)
    stages = sampler.stop()["stages"]
    assert stages["busy"]["cpu_s"] > stages["idle"]["cpu_s"]
    assert stages["busy"]["cpu_s"] > 0


def test_converting_a_csv_registry_writes_it_once_and_reads_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``run.py --input-format`` converts the CSV folder in a child process; the child
    once asked for the converted file again, which started another child, without end
    (each holding the registry, until the machine ran out of memory)."""
    write_all(str(tmp_path / "n"), 200, seed=4, csv_only=True)
    folder = tmp_path / "n" / "csv"
    expected = dualrel.load_registry(folder).ties

    def no_child(argv: list[str], ok: tuple[int, ...] = (0,)) -> None:
        raise AssertionError(f"the conversion child started a child: {argv}")

    with monkeypatch.context() as m:  # the child's own work: it writes, starts nothing
        m.setattr(run, "run_child", no_child)
        run.child_convert("jsonl", str(folder))
    assert dualrel.load_registry(run.converted_path(folder, "jsonl")).ties == expected
    # and the whole way, through a child process
    target = run.converted(folder, "json")
    assert target == run.converted_path(folder, "json")
    assert dualrel.load_registry(target).ties == expected
