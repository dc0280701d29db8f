"""What shared reports may reveal: derived tie ids, pseudonym keys, waivers' free text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from dualrel.check import run_check
from dualrel.errors import InvalidArgument
from dualrel.graph import derive_tie_id
from dualrel.report import MIN_KEY_BYTES, Pseudonymizer, render
from dualrel.report.pseudonym import is_derived_tie_id
from tests.cli.util import run
from tests.report.util import KEY, TEST_KEY, small_registry, write_registry

SHARED = ("sarif", "junit", "markdown", "html")
DERIVED = re.compile(r"t-[0-9a-f]{16}")

# a romance tie without an id: the loader derives one from its kind, people and dates
NO_ID_ROMANCE = {"kind": "romance", "source": "cl1", "target": "co1", "start": "2026-01-01"}


@pytest.fixture
def no_ids(tmp_path: Path) -> Path:
    return write_registry(tmp_path / "reg.json", small_registry([NO_ID_ROMANCE]))


def derived_id() -> str:
    return derive_tie_id("romance", "cl1", "co1", date(2026, 1, 1), None, {}, directed=False)


# -- D2a: derived tie ids ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", SHARED)
def test_shared_formats_alias_derived_tie_ids(no_ids: Path, fmt: str) -> None:
    # anyone knowing the id scheme can recompute a derived id from two people and a date
    result = run_check(no_ids)
    tid = derived_id()
    assert tid in result.findings[0].finding.evidence  # the loader derived the id
    pseudo = Pseudonymizer(TEST_KEY.encode(), "env")
    out = render(result, fmt, pseudonymizer=pseudo)
    assert not DERIVED.search(out)
    assert pseudo.tie_alias(tid) in out
    assert render(result, fmt, reveal=True).count(tid) >= 1


def test_a_derived_tie_has_one_alias_per_key_in_every_shared_format(no_ids: Path) -> None:
    result = run_check(no_ids)
    a = Pseudonymizer(TEST_KEY.encode(), "env")
    b = Pseudonymizer(b"another key, also 32 bytes long!", "env")
    alias = a.tie_alias(derived_id())
    assert re.fullmatch(r"tie-[0-9a-f]{12}", alias)
    assert alias != b.tie_alias(derived_id())
    for fmt in SHARED:
        assert alias in render(result, fmt, pseudonymizer=a)
        assert alias not in render(result, fmt, pseudonymizer=b)


@pytest.mark.parametrize("fmt", ("text", "json"))
def test_text_and_json_keep_derived_tie_ids(no_ids: Path, fmt: str) -> None:
    assert derived_id() in render(run_check(no_ids), fmt)


def test_the_derived_shape_is_the_shape_derive_tie_id_makes() -> None:
    # the shape decides which ids are aliased: it must follow derive_tie_id
    for directed in (True, False):
        tid = derive_tie_id("coaching", "co1", "cl1", None, None, {"a": 1}, directed=directed)
        assert is_derived_tie_id(tid) and DERIVED.fullmatch(tid)


def test_chosen_tie_ids_are_shown_as_they_are() -> None:
    pseudo = Pseudonymizer(TEST_KEY.encode(), "env")
    assert pseudo.tie_alias("r1") == "r1"
    assert pseudo.tie_alias("t-0123456789abcdeF") == "t-0123456789abcdeF"  # not the shape
    assert pseudo.tie_alias("t-0123456789abcdef") != "t-0123456789abcdef"
    # a tie's alias is not the alias its id would have as a person's id
    assert pseudo.tie_alias("t-0123456789abcdef")[4:] != pseudo.alias("t-0123456789abcdef")[2:]


# -- D2b: short keys --------------------------------------------------------------------


@pytest.mark.parametrize("key", [b"", b"4711", b"k" * (MIN_KEY_BYTES - 1)])
def test_short_keys_are_refused(key: bytes) -> None:
    with pytest.raises(InvalidArgument, match=f"at least {MIN_KEY_BYTES} bytes"):
        Pseudonymizer(key, "env")
    if key:
        with pytest.raises(InvalidArgument, match="DUALREL_PSEUDONYM_KEY is"):
            Pseudonymizer.from_env({"DUALREL_PSEUDONYM_KEY": key.decode()})


def test_a_key_of_32_bytes_is_accepted_counted_in_utf8() -> None:
    assert Pseudonymizer(b"k" * MIN_KEY_BYTES, "env").active
    assert Pseudonymizer.from_env({"DUALREL_PSEUDONYM_KEY": "é" * 16}).key == "é".encode() * 16
    with pytest.raises(InvalidArgument):
        Pseudonymizer.from_env({"DUALREL_PSEUDONYM_KEY": "k" * 31})


def test_render_refuses_a_short_key_from_the_environment(
    no_ids: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_check(no_ids)
    monkeypatch.setenv("DUALREL_PSEUDONYM_KEY", "4711")
    with pytest.raises(InvalidArgument, match="DUALREL_PSEUDONYM_KEY"):
        render(result, "markdown")
    assert render(result, "text")  # formats without pseudonyms do not read the key


def test_the_command_line_refuses_a_short_key_with_exit_2(no_ids: Path, tmp_path: Path) -> None:
    out = tmp_path / "k.md"
    proc = run("check", no_ids, "-f", "markdown", "-o", out, env={"DUALREL_PSEUDONYM_KEY": "4711"})
    assert proc.returncode == 2
    assert "DUALREL_PSEUDONYM_KEY is 4 byte(s) long" in proc.stderr
    assert "at least 32 bytes" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()
    assert run("check", no_ids, "-f", "markdown", env=KEY).returncode == 1


# -- D16: waivers' free text ------------------------------------------------------------

REASON, APPROVER, AGREEMENT = "Client-confided-REASON", "Dr-Approver-NAME", "AGR-2026-SECRET"


@pytest.fixture
def waived(no_ids: Path, tmp_path: Path) -> tuple[Path, Path]:
    fp = run_check(no_ids).findings[0].finding.fingerprint
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        f"waivers:\n  - fingerprint: {fp}\n    reason: {REASON}\n"
        f"    approved_by: {APPROVER}\n    agreement: {AGREEMENT}\n    expires: 2099-12-31\n"
        "  - rule: coaching-core/romance-active-client\n    subjects: {coach: co1, client: cl2}\n"
        f"    reason: {REASON}\n    approved_by: {APPROVER}\n    expires: 2099-12-31\n",
        encoding="utf-8",
    )
    return no_ids, waivers


@pytest.mark.parametrize("fmt", SHARED)
def test_shared_formats_leave_out_waivers_free_text(waived: tuple[Path, Path], fmt: str) -> None:
    registry, waivers = waived
    result = run_check(registry, waivers=waivers)
    assert result.findings[0].status == "waived"
    out = render(result, fmt, pseudonymizer=Pseudonymizer(TEST_KEY.encode(), "env"))
    for secret in (REASON, APPROVER, AGREEMENT):
        assert secret not in out
    assert "waived" in out
    if fmt != "junit":  # junit lists findings per rule, not waivers
        assert "waivers.yaml:2" in out and "2099-12-31" in out
    revealed = render(result, fmt, reveal=True)
    assert APPROVER in revealed or fmt == "junit"


@pytest.mark.parametrize("fmt", ("text", "json"))
def test_json_keeps_waivers_and_text_is_unchanged(waived: tuple[Path, Path], fmt: str) -> None:
    registry, waivers = waived
    out = render(run_check(registry, waivers=waivers), fmt)
    assert (REASON in out) == (fmt == "json")


# -- hostile ids keep the shared documents well-formed ----------------------------------------


def test_junit_stays_well_formed_xml_with_control_characters_in_ids(tmp_path: Path) -> None:
    romance = {"id": "r1\x1b[2J\x07\x00", "kind": "romance", "source": "cl1", "target": "co1"}
    reg = write_registry(tmp_path / "reg\x1b.json", small_registry([romance]))
    result = run_check(reg)
    for reveal in (False, True):
        out = render(
            result, "junit", reveal=reveal, pseudonymizer=Pseudonymizer(TEST_KEY.encode(), "env")
        )
        root = ET.fromstring(out.encode("utf-8"))  # XML 1.0 has no ESC, BEL or NUL
        assert "r1\\x1b[2J\\x07\\x00" in ET.tostring(root, encoding="unicode")
