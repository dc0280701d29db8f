"""The strict JSON decoder and the bounded reader every input goes through (issue 21:
D4 numbers and nesting, D5 lone surrogates, D7 unbounded reads, D15 duplicate keys)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from dualrel._internal import decode, reading, safeyaml


def found(text: str) -> list[tuple[str, int | None, str | None]]:
    with pytest.raises(decode.DecodeError) as info:
        decode.loads(text)
    return [(f.code, f.line, f.pointer) for f in info.value.found]


def test_valid_json_decodes_as_json_loads_does() -> None:
    text = '{"a": [1, -2.5e3, "\\ud83d\\ude00", "\\\\ud800", {"b": null}], "c": true}'
    assert decode.loads(text) == json.loads(text)


def test_every_duplicate_key_is_located() -> None:
    text = '{"people": [{"id": "a",\n "id": "b"}],\n "ties": [], "ties": []}'
    assert found(text) == [("duplicate-key", 2, "/people/0/id"), ("duplicate-key", 3, "/ties")]


def test_an_integer_past_the_interpreters_digits_is_malformed_not_a_value_error() -> None:
    text = '{"x": [0,\n ' + "7" * 4301 + "]}"
    assert found(text) == [("malformed", 2, "/x/1")]
    assert decode.loads('{"x": ' + "7" * 4300 + "}")["x"] > 0  # the limit itself reads


def test_nesting_past_the_decoder_is_too_deep_at_its_line() -> None:
    ((code, line, pointer),) = found('{"a":\n' + "[" * 5000 + "]" * 5000 + "}")
    assert (code, line, pointer) == ("too-deep", 2, None)


def test_a_lone_surrogate_is_invalid_text_a_pair_is_a_character() -> None:
    assert found('{"ids": ["ok", "t2\\ud800"]}') == [("invalid-text", 1, "/ids/1")]
    assert found('{"\\udc00": 1}') == [("invalid-text", 1, "/\udc00")]
    assert decode.loads('"\\ud83d\\ude00"') == "\U0001f600"


def test_syntax_errors_stay_json_decode_errors() -> None:
    with pytest.raises(json.JSONDecodeError):
        decode.loads('{"a": }')


def test_yaml_refuses_duplicate_keys_long_integers_and_lone_surrogates() -> None:
    with pytest.raises(decode.DecodeError) as info:
        safeyaml.loads("kind: coaching\nkind: romance\nn: " + "1" * 4301 + "\n")
    assert [(f.code, f.line, f.pointer) for f in info.value.found] == [
        ("duplicate-key", 2, "/kind"),
        ("malformed", 3, "/n"),
    ]
    # a merged key may be overridden: not a duplicate
    doc = safeyaml.loads("base: &b {x: 1, y: 2}\nmine:\n  <<: *b\n  x: 3\n")
    assert doc.data["mine"] == {"x": 3, "y": 2}


def test_limits_come_from_the_environment_only_when_whole_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DUALREL_MAX_REPORT_BYTES", "1000")
    assert reading.limit_of("report") == 1000
    monkeypatch.setenv("DUALREL_MAX_REPORT_BYTES", "1e99")  # a typo never lifts it
    assert reading.limit_of("report") == 1 << 30
    assert reading.limit_of("registry") == 4 << 30


def test_a_file_over_its_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUALREL_MAX_REGISTRY_BYTES", "10")
    path = tmp_path / "r.json"
    path.write_text("{}" + " " * 9)
    with pytest.raises(decode.DecodeError) as info:
        reading.read_text(str(path), "registry")
    (problem,) = info.value.problems(str(path))
    assert problem.code == "too-large"
    assert "11-byte file over the 10-byte limit" in problem.message
    assert "DUALREL_MAX_REGISTRY_BYTES" in problem.message


def test_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "r.json"
    link.symlink_to(os.devnull)  # a device that gives nothing: harmless if ever read
    with pytest.raises(decode.DecodeError) as info:
        reading.read_text(str(link), "registry")
    assert info.value.found[0].code == "unreadable"
    assert "not a regular file or a pipe" in info.value.found[0].message


def _feed(fifo: Path, data: bytes) -> threading.Thread:
    def write() -> None:
        try:
            with open(fifo, "wb") as f:
                f.write(data)
        except BrokenPipeError:  # the reader stopped at its limit
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


@pytest.mark.parametrize("size", [100, 5000])
def test_a_pipe_is_read_up_to_the_limit_and_no_further(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    monkeypatch.setenv("DUALREL_MAX_REPORT_BYTES", "1000")
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    writer = _feed(fifo, b"x" * size)
    try:
        if size <= 1000:
            assert reading.read_text(str(fifo), "report") == "x" * size
        else:
            with pytest.raises(decode.DecodeError, match="over the 1000-byte limit"):
                reading.read_text(str(fifo), "report")
    finally:  # a writer still waiting for a reader gets one, and a closed pipe
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(timeout=30)


def test_the_first_bad_utf8_byte_is_found_at_its_line_across_blocks(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    head = b"a\n" * 600_000  # past the first 1 MiB block
    path.write_bytes(head + "é".encode()[:1] + b"\n")
    assert reading.utf8_error_line(str(path)) == 600_001
    path.write_bytes(b"ok\n" + "é".encode())
    assert reading.utf8_error_line(str(path)) is None
