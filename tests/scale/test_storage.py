"""A registry by URL gives the report of its local copy, on a Dask cluster and on one machine.

The storage is real: moto's S3 server (what s3fs's own tests run against) on a free port
of localhost, read through s3fs as any S3 bucket is, the endpoint and keys given as a
deployment gives them (fsspec's ``FSSPEC_S3_*`` variables, AWS's own), inherited by the
LocalCluster's worker processes.  Nothing leaves localhost.

Every report names where each tie was read: over the URL, the URL's files where the
local copy's report names the local files, and nothing else differs.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import os
import socket
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import dualrel
from dualrel import render, run_check
from dualrel.check import registry_sha256
from dualrel.cli import main
from dualrel.errors import RegistryError
from dualrel.graph.parts import split_folder
from dualrel.scale import check_on_dask, connect
from tests.scale.strategies import write

if not os.environ.get("CI"):  # CI installs the test extra: there, their absence fails
    pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")

AS_OF = date.fromisoformat("2026-11-26")
BUCKET = "registries"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """An S3 server on localhost with one bucket; its s3fs filesystem."""
    import fsspec.config  # noqa: PLC0415
    import s3fs  # noqa: PLC0415
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",  # never ask a metadata service for keys
        "FSSPEC_S3_ENDPOINT_URL": endpoint,  # what the workers' fsspec reads
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        # this process imported fsspec before: its configuration as the workers read it
        mp.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint})
        fs = s3fs.S3FileSystem(skip_instance_cache=True)
        fs.mkdir(BUCKET)
        try:
            yield fs
        finally:
            server.stop()


@pytest.fixture(scope="module")
def client(s3: Any) -> Iterator[Any]:
    """The module's LocalCluster, started once the workers can see the S3 server."""
    with connect("local:2") as c:
        yield c


def _upload(fs: Any, local: Path, key: str) -> str:
    """``local`` (a file, or a folder's files) at ``s3://BUCKET/key``; the URL."""
    target = f"{BUCKET}/{key}"
    if local.is_dir():
        for f in sorted(local.iterdir()):
            fs.put_file(str(f), f"{target}/{f.name}")
    else:
        fs.put_file(str(local), target)
    fs.invalidate_cache()
    return f"s3://{target}"


def _as_url(report: str, local: Path, url: str) -> str:
    """``report`` (of the local copy) with the local copy's names as the URL's."""
    return report.replace(str(local), url)


@contextlib.contextmanager
def _not_on_the_client() -> Iterator[None]:
    """The client neither copies a registry by URL nor reads one as one machine does:
    what the check gives comes from the workers (other processes, not patched)."""

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the registry was read on the client")

    with pytest.MonkeyPatch.context() as m:
        m.setattr("dualrel.check.load_for_rules", refused)
        m.setattr("dualrel.graph.columns.mirrored", refused)  # the copy one machine reads
        m.setattr("dualrel.scale._blocks.mirrored", refused)  # a worker's, if made here
        yield


def _split_registry(tmp: Path) -> Path:
    """A generated registry of 300 people with planted findings, split in 4 parts."""
    bench = Path(__file__).parents[2] / "benchmarks"
    sys.path.insert(0, str(bench))
    try:
        from generate import write_all  # noqa: PLC0415

        write_all(str(tmp / "gen"), 300, 3, csv_only=True, planted=True)
    finally:
        sys.path.remove(str(bench))
    return Path(split_folder(str(tmp / "gen" / "csv"), str(tmp / "split"), 4)[0]).parent


def test_a_split_registry_on_s3_gives_its_local_copys_report(
    s3: Any, client: Any, tmp_path: Path
) -> None:
    local = _split_registry(tmp_path)
    url = _upload(s3, local, "split")
    expected = render(run_check(local, as_of=AS_OF), "json")
    assert '"ties-0004.csv' in expected.replace(str(local) + "/", '"')
    assert '"rule":' in expected  # the planted situations were found
    network: dict[str, int] = {}
    with _not_on_the_client():
        on_dask = render(check_on_dask(client, url, as_of=AS_OF, network=network), "json")
    assert network["shuffle.partitions"] > 0  # evaluated on the workers
    assert network["read.blocks"] == 4  # each ties part read by a worker
    assert on_dask == _as_url(expected, local, url)
    assert f'"{url}/ties-000' in on_dask  # each tie located in its object
    # one machine reads the URL too: the same report
    assert render(run_check(url, as_of=AS_OF), "json") == on_dask
    assert registry_sha256(url) == registry_sha256(local)


def test_practice_sections_in_parts_on_s3_give_their_local_copys_report(
    s3: Any, client: Any, tmp_path: Path
) -> None:
    one = tmp_path / "one"
    one.mkdir()
    (one / "people.csv").write_text("id,roles\nco1,coach\ncl1,client\ncl2,client\n")
    (one / "ties.csv").write_text(
        "id,kind,source,target,start\n"
        "t1,coaching,co1,cl1,2025-01-01\nt2,coaching,co1,cl2,2025-01-01\n"
        "t3,romance,cl1,co1,2025-02-01\n"
    )
    (one / "agreements.csv").write_text("id,tie,signed\na1,t1,2024-12-20\n")
    local = tmp_path / "split"
    split_folder(str(one), str(local), 2)
    url = _upload(s3, local, "practice")
    expected = _as_url(render(run_check(local, as_of=AS_OF), "json"), local, url)
    assert "coaching-without-agreement" in expected  # t2 has none: the records were read
    assert render(run_check(url, as_of=AS_OF), "json") == expected
    assert render(check_on_dask(client, url, as_of=AS_OF), "json") == expected
    assert registry_sha256(url) == registry_sha256(local)


def test_a_part_written_since_the_last_check_is_read(s3: Any, client: Any, tmp_path: Path) -> None:
    people = "id,roles\nco1,coach\ncl1,client\n"
    ties = "id,kind,source,target,start\nt1,coaching,co1,cl1,2025-01-01\n"
    local = write(tmp_path / "grow", {"people": people, "ties": ties}, parts=2)
    url = _upload(s3, local, "grow")
    for result in (run_check(url, as_of=AS_OF), check_on_dask(client, url, as_of=AS_OF)):
        assert "romance-active-client" not in {f.finding.rule for f in result.findings}
    (local / "ties-0003.csv").write_text(
        "id,kind,source,target,start\nt2,romance,co1,cl1,2025-02-01\n"
    )
    s3.put_file(str(local / "ties-0003.csv"), f"{BUCKET}/grow/ties-0003.csv")
    for result in (run_check(url, as_of=AS_OF), check_on_dask(client, url, as_of=AS_OF)):
        assert "romance-active-client" in {f.finding.rule for f in result.findings}


def test_the_example_on_s3_gives_its_local_copys_report(s3: Any, client: Any) -> None:
    local = dualrel.example_registry()  # a JSON document: read on the client
    url = _upload(s3, local, "example/practice.json")
    expected = _as_url(render(run_check(local), "json"), local, url)
    assert render(run_check(url), "json") == expected
    network: dict[str, int] = {}
    assert render(check_on_dask(client, url, network=network), "json") == expected
    assert network["shuffle.partitions"] > 0
    assert registry_sha256(url) == registry_sha256(local)


def test_a_bad_row_on_s3_is_located_by_its_url_and_line(
    s3: Any, client: Any, tmp_path: Path
) -> None:
    case = {
        "people": "id,roles\nco1,coach\ncl1,client\ncl1,client\n",
        "ties": "id,kind,source,target,start,end\n"
        "t1,coaching,co1,cl1,2025-01-01,\n"
        "t2,romance,co1,nobody,2025-01-01,\n"
        "t3,coaching,co1,cl1,2025-02-30,\n",
    }
    local = write(tmp_path / "bad", case, parts=2)
    url = _upload(s3, local, "bad")
    with _not_on_the_client(), pytest.raises(RegistryError) as on_dask:
        check_on_dask(client, url)
    with pytest.raises(RegistryError) as one:
        run_check(url)
    assert one.value.problems == on_dask.value.problems
    where = sorted((p.file, p.line, p.code) for p in on_dask.value.problems)
    assert where == [
        (f"{url}/people-0002.csv", 2, "duplicate-person"),
        (f"{url}/ties-0001.csv", 3, "unknown-person"),
        (f"{url}/ties-0002.csv", 2, "invalid-date"),
    ]


def test_nothing_at_a_url_is_reported_as_nothing_at_a_path(s3: Any, client: Any) -> None:
    url = f"s3://{BUCKET}/nothing-here/"
    with pytest.raises(RegistryError) as one:
        run_check(url)
    with pytest.raises(RegistryError) as on_dask:
        check_on_dask(client, url)
    assert one.value.problems == on_dask.value.problems
    assert [(p.file, p.code) for p in one.value.problems] == [(url, "unreadable")]


def test_the_command_line_checks_a_url_on_a_cluster_and_on_one_machine(
    s3: Any, client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = write(
        tmp_path / "reg",
        {
            "people": "id,roles\nco1,coach\ncl1,client\n",
            "ties": "id,kind,source,target,start,end\n"
            "t1,coaching,co1,cl1,2025-01-01,\nt2,romance,co1,cl1,2025-02-01,\n",
        },
        parts=2,
    )
    url = _upload(s3, local, "cli")
    outs = {}
    for name, extra in (
        ("local", []),
        ("one", []),
        ("dask", ["--dask", client.scheduler.address]),
    ):
        reg = str(local) if name == "local" else url
        out = outs[name] = tmp_path / f"{name}.json"
        args = ["check", reg, "--as-of", "2026-11-26", "--format", "json", "-o", str(out), "-q"]
        assert main([*args, *extra]) == 1
    expected = _as_url(outs["local"].read_text(), local, url)
    assert outs["one"].read_text() == expected
    assert outs["dask"].read_text() == expected
    assert "Traceback" not in capsys.readouterr().err


def test_storage_that_cannot_be_reached_is_unreadable_with_no_report(
    s3: Any, client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import fsspec.config  # noqa: PLC0415

    local = write(
        tmp_path / "reg",
        {"people": "id,roles\nco1,coach\n", "ties": "id,kind,source,target\n"},
        parts=2,
    )
    url = _upload(s3, local, "unreachable")
    # nothing listens there; asked once, not retried for half a minute
    dead = {
        "endpoint_url": f"http://127.0.0.1:{_free_port()}",
        "retries": 1,
        "config_kwargs": {"retries": {"max_attempts": 1}},
    }
    out = tmp_path / "r.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(fsspec.config.conf, "s3", dead)
        with pytest.raises(RegistryError) as e:
            check_on_dask(client, url)
        assert main(["check", url, "-o", str(out), "--dask", client.scheduler.address]) == 2
        assert main(["check", url, "-o", str(out)]) == 2
    [problem] = e.value.problems
    assert (problem.file, problem.code) == (url, "unreadable")
    assert "cannot be read" in problem.message
    assert "Traceback" not in capsys.readouterr().err
    assert not out.exists()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on localhost (Python's own server, its folder pages
    listing the files as links, as fsspec's HTTP filesystem lists them); its URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_split_registry_over_http_gives_its_local_copys_report(
    served: tuple[Path, str], client: Any, tmp_path: Path
) -> None:
    pytest.importorskip("aiohttp")  # fsspec's HTTP filesystem (installed with s3fs)
    root, base = served
    local = write(
        root / "reg",
        {
            "people": "id,roles\nco1,coach\ncl1,client\ncl2,client\n",
            "ties": "id,kind,source,target,start\nt1,coaching,co1,cl1,2025-01-01\n"
            "t2,romance,co1,cl1,2025-02-01\nt3,coaching,co1,cl2,2025-01-01\n",
        },
        parts=2,
    )
    url = f"{base}/reg/"
    # named with a slash at the end, as the URL is
    one = render(run_check(f"{local}/", as_of=AS_OF), "json")
    expected = one.replace(f"{local}/", url)
    assert f"{url}ties-0002.csv" in expected
    network: dict[str, int] = {}
    with _not_on_the_client():
        on_dask = render(check_on_dask(client, url, as_of=AS_OF, network=network), "json")
    assert on_dask == expected
    assert network["read.blocks"] == 2
    assert render(run_check(url, as_of=AS_OF), "json") == expected
    assert registry_sha256(url) == registry_sha256(local)


def _missing_protocol() -> str:
    """A protocol fsspec knows whose package is not installed here."""
    from fsspec.registry import known_implementations  # noqa: PLC0415

    for protocol in ("gcs", "abfs", "oci", "oss", "dropbox", "box", "wandb"):
        module = known_implementations[protocol]["class"].split(".")[0]
        if importlib.util.find_spec(module) is None:
            return protocol
    pytest.skip("every candidate protocol's package is installed")


def test_a_url_whose_protocol_is_not_installed_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    protocol = _missing_protocol()
    url = f"{protocol}://bucket/registry/"
    out = tmp_path / "r.json"
    assert main(["check", url, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{url}: unreadable: the {protocol}:// protocol needs the package" in err
    assert "pip install " in err
    assert "Traceback" not in err
    assert not out.exists()
    with pytest.raises(RegistryError, match="pip install"):
        run_check(url)


def test_without_fsspec_a_url_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec.core", None)  # import fails
    with pytest.raises(RegistryError, match=r"pip install 'dualrel\[dask\]'") as e:
        run_check("s3://bucket/registry/")
    assert [p.code for p in e.value.problems] == ["unreadable"]


def test_only_a_scheme_before_the_path_makes_a_url() -> None:
    from dualrel._internal.storage import is_url  # noqa: PLC0415

    assert is_url("s3://b/r") and is_url("gs://b") and is_url("file:///data/r")
    assert not is_url("/data/registry") and not is_url(os.path.join("x", "s3://b"))
    assert not is_url("C:/data") and not is_url("3s://b")
