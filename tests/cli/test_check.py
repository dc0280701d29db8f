"""End-to-end tests of ``dualrel check``: every format, every exit code, bad input."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from tests.cli.util import assert_input_error, release, run
from tests.report.util import (
    EXAMPLE,
    FRIENDSHIP,
    KEY,
    NAMES,
    ROMANCE,
    example_names,
    small_registry,
    write_registry,
)


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    return write_registry(tmp_path / "reg.json", small_registry([ROMANCE, FRIENDSHIP]))


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return write_registry(tmp_path / "clean.json", small_registry())


def test_default_is_text_with_coaching_core_and_exit_1() -> None:
    proc = run("check", EXAMPLE)
    assert proc.returncode == 1, proc.stderr
    assert "rulesets: coaching-core 1.0.0" in proc.stdout
    assert "Level 3 (external referral or therapy): 1" in proc.stdout
    # not on a terminal: one log line per stage (tests/cli/test_progress.py), no warning
    assert all(line.startswith("dualrel: [") for line in proc.stderr.splitlines())
    assert "\033[" not in proc.stdout
    assert not [n for n in example_names() if n in proc.stdout]


def test_exit_0_when_nothing_found(clean: Path) -> None:
    proc = run("check", clean)
    assert proc.returncode == 0, proc.stderr
    assert "No findings." in proc.stdout


@pytest.mark.parametrize(("level", "code"), [("1", 1), ("2", 1), ("3", 1)])
def test_fail_level_with_a_level_3_finding(planted: Path, level: str, code: int) -> None:
    assert run("check", planted, "--fail-level", level).returncode == code


def test_fail_level_above_the_findings(tmp_path: Path) -> None:
    reg = write_registry(tmp_path / "r.json", small_registry([FRIENDSHIP]))
    assert run("check", reg, "--fail-level", "1").returncode == 1
    assert run("check", reg, "--fail-level", "2").returncode == 0
    assert run("check", reg, "--fail-level", "4").returncode == 2


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "markdown", "html"])
def test_every_format_to_stdout_and_file(tmp_path: Path, planted: Path, fmt: str) -> None:
    out = run("check", planted, "--format", fmt, env=KEY)
    assert out.returncode == 1, out.stderr
    target = tmp_path / f"report.{fmt}"
    to_file = run("check", planted, "--format", fmt, "-o", target, env=KEY)
    assert to_file.returncode == 1
    assert target.read_text(encoding="utf-8") == out.stdout
    assert f"wrote {target}" in to_file.stderr
    if fmt in ("json", "sarif"):
        json.loads(out.stdout)
    if fmt == "junit":
        ET.fromstring(out.stdout)
    assert not [n for n in NAMES if n in out.stdout]
    again = run("check", planted, "--format", fmt, env=KEY)
    assert again.stdout == out.stdout  # deterministic


def test_reveal_shows_names(planted: Path) -> None:
    for fmt in ("text", "json", "markdown"):
        proc = run("check", planted, "--format", fmt, "--reveal")
        assert "Zelda Quorn" in proc.stdout, fmt


def test_shared_formats_pseudonymise_with_the_key(planted: Path) -> None:
    a = run("check", planted, "--format", "markdown", env=KEY).stdout
    b = run("check", planted, "--format", "markdown", env={"DUALREL_PSEUDONYM_KEY": "other" * 7})
    r1 = run("check", planted, "--format", "markdown").stdout
    r2 = run("check", planted, "--format", "markdown").stdout
    assert "co1" not in a and "co1" not in r1
    assert a != b.stdout and r1 != r2
    assert "random key" in r1 and "keyed by DUALREL_PSEUDONYM_KEY" in a


def test_unknown_format_is_a_usage_error(tmp_path: Path, planted: Path) -> None:
    target = tmp_path / "out.xml"
    proc = run("check", planted, "--format", "xml", "-o", target)
    assert_input_error(proc, "invalid choice: 'xml'")
    assert proc.stdout == ""
    assert not target.exists()


def test_several_rulesets_compose() -> None:
    proc = run("check", EXAMPLE, "-r", "coaching-core", "-r", "icf-2020", "--format", "json")
    doc = json.loads(proc.stdout)
    assert [r["id"] for r in doc["rulesets"]] == ["coaching-core", "icf-2020"]
    # icf-2020 extends coaching-core: each core finding is reported once, named by its origin
    core = json.loads(run("check", EXAMPLE, "--format", "json").stdout)["findings"]
    icf = json.loads(run("check", EXAMPLE, "-r", "icf-2020", "--format", "json").stdout)
    fingerprints = [f["fingerprint"] for f in doc["findings"]]
    assert core and len(fingerprints) == len(set(fingerprints))
    assert set(fingerprints) == {f["fingerprint"] for f in icf["findings"]}
    assert {f["fingerprint"] for f in core} <= set(fingerprints)
    assert {f"{f['ruleset']['id']}/{f['rule']}" for f in core} == {
        f"{f['ruleset']['id']}/{f['rule']}"
        for f in icf["findings"]
        if f["fingerprint"] in {c["fingerprint"] for c in core}
    }


def test_ruleset_path_with_declared_kind(tmp_path: Path) -> None:
    ruleset = tmp_path / "gifts.yaml"
    ruleset.write_text(
        """\
id: gifts
version: "0.1"
title: Gifts
description: Gifts between coach and client.
vocabulary:
  kinds:
    gift: {directed: true}
rules:
  - id: gift-to-client
    title: Coach gave a gift to an active client
    category: gifts
    severity: low
    level: 1
    description: Gifts blur the boundary.
    citations: [{code: ICF-2020, clause: "25"}]
    remediation:
      - {action: Discuss the gift in session, within_days: 14, owner: coach}
    match:
      people: {coach: {}, client: {}}
      ties:
        - {as: coaching, kind: coaching, from: coach, to: client, active: true}
        - {as: gift, kind: gift, from: coach, to: client}
""",
        encoding="utf-8",
    )
    gift = {"id": "g1", "kind": "gift", "source": "co1", "target": "cl1", "start": "2026-03-01"}
    reg = write_registry(tmp_path / "r.json", small_registry([gift]))
    rejected = run("check", reg)
    assert_input_error(rejected, str(reg), "gift")
    proc = run("check", reg, "-r", ruleset, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert [f["rule"] for f in doc["findings"]] == ["gift-to-client"]
    assert doc["findings"][0]["evidence_ties"][1]["kind"] == "gift"


def test_as_of(planted: Path) -> None:
    before = run("check", planted, "--as-of", "2025-12-31", "--format", "json")
    doc = json.loads(before.stdout)
    assert doc["generated_for"]["as_of"] == "2025-12-31"
    assert "romance-active-client" not in {f["rule"] for f in doc["findings"]}
    assert_input_error(run("check", planted, "--as-of", "31/12/2025"), "expected a date")


def test_waivers_and_baseline_end_to_end(tmp_path: Path, planted: Path) -> None:
    base = tmp_path / "base.json"
    assert run("check", planted, "-f", "json", "-o", base).returncode == 1
    assert run("check", planted, "--baseline", base).returncode == 0
    doc = json.loads(base.read_text(encoding="utf-8"))
    romance = next(f for f in doc["findings"] if f["level"] == 3)["fingerprint"]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        f"waivers:\n  - fingerprint: {romance}\n    reason: Client referred, engagement ended\n"
        "    approved_by: Ethics committee\n    agreement: EC-1\n    expires: 2026-07-01\n"
        "  - rule: friendship-active-client\n    subjects: {coach: co1, client: cl9}\n"
        "    reason: x\n    approved_by: y\n    expires: 2026-07-01\n",
        encoding="utf-8",
    )
    proc = run("check", planted, "--waivers", waivers, "--fail-level", "2")
    assert proc.returncode == 0, proc.stdout
    assert "[waived]" in proc.stdout and "stale" in proc.stdout
    expired = run("check", planted, "--waivers", waivers, "--as-of", "2026-07-02", "-f", "json")
    assert expired.returncode == 1
    statuses = [w["status"] for w in json.loads(expired.stdout)["waivers"]]
    assert statuses == ["expired", "expired"]  # expiry wins over staleness


def test_stale_waivers_are_warned_about_and_fail_the_check_when_asked(
    tmp_path: Path, planted: Path
) -> None:
    base = json.loads(run("check", planted, "-f", "json").stdout)
    shown = [f["fingerprint"][:12] for f in base["findings"]]
    waivers = tmp_path / "w.yaml"
    entries = [f"  - fingerprint: {fp}\n" for fp in shown]
    entries.append("  - rule: romance-actve-client\n    subjects: {coach: co1, client: cl1}\n")
    waivers.write_text(
        "waivers:\n"
        + "".join(
            e + "    reason: Private words\n    approved_by: EC\n    expires: 2030-01-01\n"
            for e in entries
        ),
        encoding="utf-8",
    )
    stale_line = 2 + 4 * len(shown)
    proc = run("check", planted, "--waivers", waivers)
    assert proc.returncode == 0, proc.stderr  # every finding waived by its printed prefix
    assert f"warning: {waivers}:{stale_line}: stale-waiver: " in proc.stderr
    assert "(did you mean 'romance-active-client'" in proc.stderr
    assert f"dualrel: 1 stale waiver(s) in {waivers}" in proc.stderr
    assert "Private" not in proc.stderr
    failing = run("check", planted, "--waivers", waivers, "--fail-on-stale")
    assert failing.returncode == 1 and failing.stdout == proc.stdout
    assert "--fail-on-stale" in run("check", "--help").stdout
    # without a stale waiver the flag changes nothing
    waivers.write_text(waivers.read_text(encoding="utf-8").rsplit("  - rule:", 1)[0])
    quiet = run("check", planted, "--waivers", waivers, "--fail-on-stale")
    assert quiet.returncode == 0 and "stale" not in quiet.stderr


def test_invalid_waiver_names_file_and_line(tmp_path: Path, planted: Path) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - fingerprint: abc\n    reason: x\n    expires: 2026-01-01\n")
    target = tmp_path / "out.json"
    proc = run("check", planted, "--waivers", waivers, "-f", "json", "-o", target)
    assert_input_error(proc, f"{waivers}:2", "approved_by", "waiver abc")
    assert not target.exists()


@pytest.mark.parametrize(
    ("doc", "needles"),
    [
        (
            '{"people": [{"id": "a"}], "ties": [{"kind": "coaching", "source": "a", '
            '"target": "zz"}]}',
            ["/ties/0/target", "unknown-person", "zz"],
        ),
        ('{"people": [], "ties": [', ["malformed"]),
        ('{"people": [{"id": "a"}, {"id": "a"}], "ties": []}', ["/people/1", "duplicate"]),
    ],
)
def test_invalid_registry(tmp_path: Path, doc: str, needles: list[str]) -> None:
    reg = tmp_path / "bad.json"
    reg.write_text(doc, encoding="utf-8")
    target = tmp_path / "report.html"
    target.write_text("previous report", encoding="utf-8")
    proc = run("check", reg, "-f", "html", "-o", target)
    assert_input_error(proc, str(reg), *needles)
    assert target.read_text(encoding="utf-8") == "previous report"
    assert sorted(os.listdir(tmp_path)) == ["bad.json", "report.html"]


def test_missing_inputs(tmp_path: Path, planted: Path) -> None:
    assert_input_error(run("check", tmp_path / "nope.json"), "nope.json")
    assert_input_error(
        run("check", planted, "-r", "coaching-kore"), "coaching-kore", "did you mean"
    )
    assert_input_error(run("check", planted, "-r", tmp_path / "x.yaml"), "x.yaml", "not-found")
    assert_input_error(run("check", planted, "--baseline", tmp_path / "b.json"), "b.json")
    assert_input_error(run("check", planted, "--waivers", tmp_path / "w.yaml"), "w.yaml")
    assert_input_error(run("check", planted, "-o", tmp_path / "no" / "r.txt"), "no/r.txt")
    assert_input_error(run("check"), "REGISTRY")


def test_invalid_ruleset_file(tmp_path: Path, planted: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\ntitle: t\nrules:\n  - id: r1\n    level: 9\n")
    assert_input_error(run("check", planted, "-r", bad), f"{bad}:", "r1")


def test_progress_bar_on_a_terminal(tmp_path: Path, planted: Path) -> None:
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "dualrel", "check", str(planted), "-o", tmp_path / "r.txt"],
            stdout=subprocess.DEVNULL,
            stderr=slave,
            timeout=120,
            check=False,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    err = b"".join(chunks).decode()
    assert proc.returncode == 1
    assert "evaluating coaching-core" in err and "loading the registry" in err


def _csv(tmp_path: Path, people: str) -> Path:
    d = tmp_path / "reg"
    d.mkdir(exist_ok=True)
    (d / "people.csv").write_text("id,roles\n" + people)
    (d / "ties.csv").write_text("kind,source,target\ncoaching,co1,cl1\n")
    return d


def test_the_registry_s_warnings_are_printed_located(tmp_path: Path) -> None:
    d = _csv(tmp_path, 'co1,coach\ncl1,client\ncl2,"coach,mentor"\n')
    proc = run("check", d, "--as-of", "2026-01-01")
    assert proc.returncode == 1, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if not line.startswith("dualrel: [")]
    assert warnings == [
        f"warning: {d / 'people.csv'}:4: unknown-role: role 'coach,mentor' is not in the "
        "vocabulary (did you mean 'mentor'?) [cl2]",
        "dualrel: 1 warning(s) (dualrel validate lists the registry's)",
    ]
    assert run("check", d, "--as-of", "2026-01-01", "-q").stderr == ""


def test_many_warnings_are_counted_after_the_first_few(tmp_path: Path) -> None:
    people = "co1,coach\ncl1,client\n" + "".join(f"x{i},role{i}\n" for i in range(25))
    proc = run("check", _csv(tmp_path, people), "--as-of", "2026-01-01")
    listed = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    assert len(listed) == 10 and all("unknown-role" in line for line in listed)
    assert "dualrel: 25 warning(s), the first 10 above" in proc.stderr


def test_a_registry_without_a_date_says_which_date_it_was_checked_on(tmp_path: Path) -> None:
    d = _csv(tmp_path, "co1,coach\ncl1,client\n")
    proc = run("check", d)
    today = date.today().isoformat()
    assert (
        f"warning: {d}: as-of-today: the registry has no as_of date: checked as of {today} (today)"
    ) in proc.stderr
    assert f"dualrel check: {d} as of {today}" in proc.stdout
    assert "as-of-today" not in run("check", d, "--as-of", "2026-01-01").stderr
    assert "as-of-today" not in run("check", EXAMPLE).stderr  # the document has its as_of


def test_help_documents_exit_codes_and_formats() -> None:
    proc = run("check", "--help")
    assert proc.returncode == 0
    for needle in (
        "exit codes:",
        "  0  no open finding",
        "  1  open findings",
        "  2  bad input",
        "sarif",
        "junit",
        "markdown",
        "html",
        "DUALREL_PSEUDONYM_KEY",
    ):
        assert needle in proc.stdout


def test_the_command_exits_with_its_code_and_full_output_when_piped_into_a_closed_reader():
    # ``dualrel check ... | head -1``: the reader goes away before the report (100 kB, more
    # than a pipe holds) is written; no traceback, and the exit code stays
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dualrel",
            "check",
            str(EXAMPLE),
            "-r",
            "coaching-practice",
            "--format",
            "sarif",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err


def test_output_dash_is_standard_output(tmp_path: Path, planted: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = run("check", planted, "-f", "json", "-o", "-", cwd=cwd)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["format"] == "dualrel.report/1"
    assert "wrote" not in proc.stderr  # as without -o: no file was written
    assert os.listdir(cwd) == []  # no file named "-"


def test_output_to_a_fifo_is_written_through(tmp_path: Path, planted: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    proc = run("check", planted, "-f", "json", "-o", fifo)
    release(fifo)
    reader.join(timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(got[0])["format"] == "dualrel.report/1"
    assert fifo.is_fifo()


def test_output_to_a_directory_names_it(tmp_path: Path, planted: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert_input_error(run("check", planted, "-o", out), str(out), "directory")
    assert os.listdir(out) == []
