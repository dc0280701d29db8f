"""The check on a Dask LocalCluster gives the one-machine check's report, byte for byte.

Every comparison renders both results as the JSON report (what ``dualrel check
--format json`` writes): the findings, their evidence and where each tie was read.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import dualrel
from dualrel import render, run_check
from dualrel.cli import main
from dualrel.errors import ClusterError, InvalidArgument, RegistryError
from dualrel.graph.parts import split_folder
from dualrel.scale import _dask, check_on_dask, connect
from tests.scale.strategies import folders, write

AS_OF = "2026-11-26"
BENCH = Path(__file__).parents[2] / "benchmarks" / "data" / "n100000-s1-planted" / "csv"


def _same_report(
    client: Any, registry: Path | str, network: dict[str, int] | None = None, **kwargs: Any
) -> str:
    one = render(run_check(registry, **kwargs), "json")
    network = {} if network is None else network
    on_dask = render(check_on_dask(client, registry, network=network, **kwargs), "json")
    assert on_dask == one
    assert network["shuffle.partitions"] > 0  # the partitions did cross to the workers
    return one


def test_the_example_gives_the_same_report(client: Any) -> None:
    report = _same_report(client, dualrel.example_registry())
    assert '"rule": "romance-active-client"' in report


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=folders())
def test_generated_split_registries_give_the_same_report(client: Any, case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write(Path(tmp) / "reg", case, parts=3)
        _same_report(client, folder, as_of=date.fromisoformat(AS_OF))


def test_planted_bad_rows_give_the_same_problems_in_the_same_places(
    client: Any, tmp_path: Path
) -> None:
    case = {
        "people": "id,roles\nco1,coach\ncl1,client\ncl1,client\n",
        "ties": "id,kind,source,target,start,end\n"
        "t1,coaching,co1,cl1,2025-01-01,\n"
        "t2,romance,co1,nobody,2025-01-01,\n"
        "t3,coaching,co1,cl1,2025-02-30,\n"
        "t4,coaching,co1,cl1,2025-03-01,2025-01-01\n",
    }
    folder = write(tmp_path / "reg", case, parts=2)
    with pytest.raises(RegistryError) as one:
        run_check(folder)
    with pytest.MonkeyPatch.context() as m, pytest.raises(RegistryError) as on_dask:
        # found on the workers: one machine's reader fails on the client
        m.setattr("dualrel.check.load_for_rules", _refused)
        check_on_dask(client, folder)
    assert on_dask.value.problems == one.value.problems
    where = sorted((Path(p.file).name, p.line, p.code) for p in on_dask.value.problems)
    assert where == [
        ("people-0002.csv", 2, "duplicate-person"),
        ("ties-0001.csv", 3, "unknown-person"),
        ("ties-0002.csv", 2, "invalid-date"),
        ("ties-0002.csv", 3, "end-before-start"),
    ]


def _refused(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the registry was read on the client")


def test_rules_a_partition_cannot_evaluate_are_refused_by_name(client: Any) -> None:
    with pytest.raises(InvalidArgument, match="coaching-practice/"):
        check_on_dask(client, dualrel.example_registry(), ["coaching-practice"])


def test_a_worker_killed_mid_run_is_replaced_and_the_report_is_the_same(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "killed"
    evaluate = _dask.evaluate_partition

    def dies_once(*args: Any) -> Any:
        # the first partition to start kills its worker process; Dask runs it again
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return evaluate(*args)
        os._exit(1)

    monkeypatch.setattr(_dask, "evaluate_partition", dies_once)
    _same_report(client, dualrel.example_registry())
    assert marker.exists()  # a worker did die


def test_the_client_keeps_a_few_partitions_in_flight(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next partition is submitted as the client takes one's matches: the scheduler
    never holds more than ``IN_FLIGHT_PER_THREAD`` a thread, so no worker piles up the
    matches of partitions the client has not taken yet."""
    log = tmp_path / "in-flight"
    evaluate = _dask.evaluate_partition

    def counted(*args: Any) -> Any:
        from distributed import get_client  # noqa: PLC0415

        alive = get_client().run_on_scheduler(_evaluations)
        with open(log, "a", encoding="ascii") as f:
            f.write(f"{alive}\n")
        return evaluate(*args)

    monkeypatch.setattr(_dask, "evaluate_partition", counted)
    monkeypatch.setattr(_dask, "IN_FLIGHT_PER_THREAD", 1)
    example = dualrel.example_registry()
    one = render(run_check(example), "json")
    assert render(check_on_dask(client, example, partitions=12), "json") == one
    seen = [int(n) for n in log.read_text(encoding="ascii").split()]
    threads = sum(client.nthreads().values())
    assert len(seen) == 12
    assert max(seen) <= threads


def _evaluations(dask_scheduler: Any = None) -> int:
    return sum(1 for ts in dask_scheduler.tasks.values() if ts.prefix.name == "counted")


def test_a_cluster_that_keeps_losing_workers_fails_with_no_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def always_dies(*args: Any) -> Any:
        os._exit(1)

    monkeypatch.setattr(_dask, "evaluate_partition", always_dies)
    # a cluster of its own: the module's stays whole for the other tests
    with connect("local:2") as own, pytest.raises(ClusterError, match="did not finish"):
        check_on_dask(own, dualrel.example_registry())


def test_a_local_cluster_fails_a_task_no_worker_can_run_instead_of_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # every worker lost and none brought back looks to the scheduler like a task with no
    # worker to run it: the check must end (ClusterError), not wait in as_completed
    import distributed  # noqa: PLC0415

    monkeypatch.setattr(_dask, "NO_WORKERS_TIMEOUT", "1s")
    with connect("local:1") as own:
        future = own.submit(sum, [1, 2], resources={"no-such-resource": 1})
        with pytest.raises(distributed.scheduler.NoValidWorkerError):
            future.result(timeout=60)


def test_the_command_line_checks_on_a_local_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dask.json"
    one = tmp_path / "one.json"
    reg = str(dualrel.example_registry())
    assert main(["check", reg, "--format", "json", "-o", str(one), "-q"]) == 1
    assert main(["check", reg, "--format", "json", "-o", str(out), "-q", "--dask", "local:1"]) == 1
    assert out.read_bytes() == one.read_bytes()
    assert "Traceback" not in capsys.readouterr().err


def test_an_unreachable_scheduler_exits_3_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_dask, "CONNECT_TIMEOUT", 1)
    out = tmp_path / "r.json"
    reg = str(dualrel.example_registry())
    assert main(["check", reg, "-o", str(out), "--dask", "tcp://127.0.0.1:9"]) == 3
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_without_dask_installed_the_error_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    with pytest.raises(ClusterError, match=r"pip install 'dualrel\[dask\]'"), connect("local"):
        pass
    reg = str(dualrel.example_registry())
    assert main(["check", reg, "-o", os.devnull, "--dask", "local"]) == 3
    assert "pip install 'dualrel[dask]'" in capsys.readouterr().err


def test_local_needs_a_positive_number_of_workers(capsys: pytest.CaptureFixture[str]) -> None:
    reg = str(dualrel.example_registry())
    assert main(["check", reg, "-o", os.devnull, "--dask", "local:0"]) == 2
    assert "local:N needs a positive number" in capsys.readouterr().err


@pytest.mark.large
def test_the_100k_registry_split_into_16_files_gives_the_same_report(
    client: Any, tmp_path: Path
) -> None:
    source = BENCH
    if not (source / "ties.csv").is_file():  # a fresh clone (CI): the same registry, made here
        from benchmarks import run  # noqa: PLC0415

        source = run.dataset(100_000, 1, root=tmp_path / "data")
    folder = tmp_path / "split"
    split_folder(str(source), str(folder), 16)
    network: dict[str, int] = {}
    report = _same_report(client, folder, network, as_of=date.fromisoformat(AS_OF))
    assert "ties-0016.csv" in report
    assert network["read.blocks"] == 16  # read and validated on the workers
    shutil.rmtree(folder)
