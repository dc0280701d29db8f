"""``dualrel check``'s settings from a file: ``dualrel.toml`` or ``[tool.dualrel]`` in
``pyproject.toml`` (private).

The file is found from the working directory upward: in each folder ``dualrel.toml``,
then a ``pyproject.toml`` that has a ``[tool.dualrel]`` table; the search stops at the
first folder holding ``.git`` (the repository's root) or at the file system's root, so a
check never picks up the settings of an unrelated project above its repository.
``--config PATH`` names the file instead, ``--no-config`` reads none.

Command-line flags win over the file, each on its own: ``-r`` replaces the file's
``rulesets``, any ``--format`` or ``-o`` replaces its ``outputs``.  Relative paths in the
file are relative to the file's folder (as in ruff or mypy), so a check run from a
subfolder reads the same registry.  The evaluation date (``--as-of``) is deliberately not
a setting: a date written in a file would silently freeze every later check at it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tomllib
from dataclasses import dataclass
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from dualrel._internal.schema_words import schema_errors
from dualrel._internal.storage import is_url
from dualrel._internal.suggest import did_you_mean
from dualrel._internal.terminal import printable
from dualrel.cli.outputs import Output
from dualrel.errors import DualrelError, InvalidArgument, Problem
from dualrel.findings import ESCALATION_LEVELS, SEVERITY_ORDER
from dualrel.report import FORMATS

__all__ = [
    "CONFIG_FILE",
    "CheckSettings",
    "ConfigError",
    "ConfigFile",
    "add_config_options",
    "apply_config",
    "fail_level_arg",
    "find_config",
    "load_config",
    "parse_fail_level",
]

#: The file of dualrel's own settings (``pyproject.toml`` holds them as ``[tool.dualrel]``)
CONFIG_FILE = "dualrel.toml"
_PYPROJECT = "pyproject.toml"


def parse_fail_level(value: object) -> int:
    """A fail level (1, 2 or 3, as a number or its text); a severity name gets a message
    saying why it is not one.

    >>> parse_fail_level("2"), parse_fail_level(3)
    (2, 3)
    """
    text = str(value).strip() if isinstance(value, int | str) else ""
    if text in ("1", "2", "3"):
        return int(text)
    levels = ", ".join(f"{n} ({what})" for n, what in ESCALATION_LEVELS.items())
    if text.lower() in SEVERITY_ORDER:
        raise ValueError(
            f"{text!r} is a severity, but the fail level is an escalation level: {levels}. "
            "A rule's severity and level are set apart in its ruleset (a high-severity rule "
            "may be level 1); give the lowest level that should fail"
        )
    raise ValueError(f"expected an escalation level, one of {levels}; got {value!r}")


def fail_level_arg(text: str) -> int:
    """An argparse type: ``--fail-level`` (:func:`parse_fail_level`)."""
    try:
        return parse_fail_level(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class CheckSettings(BaseModel):
    """The settings a file may give ``dualrel check``; keys as the long options spell them."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, alias_generator=_kebab, populate_by_name=False
    )

    registry: str | None = Field(
        default=None, description="registry file or CSV folder, or its URL"
    )
    rulesets: list[str] | None = Field(default=None, description="shipped names or paths")
    extends_from: list[str] | None = Field(default=None, description="see --extends-from")
    fail_level: int | str | None = Field(default=None, description="1, 2 or 3")
    waivers: str | None = None
    baseline: str | None = None
    outputs: dict[str, str] | None = Field(default=None, description="format = path")


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """Settings read from ``path``; paths in them already relative to the working folder."""

    path: str
    settings: CheckSettings
    outputs: tuple[Output, ...]


class ConfigError(DualrelError):
    """A settings file could not be read; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems))


def add_config_options(p: argparse.ArgumentParser) -> None:
    """``--config`` and ``--no-config`` of a command that reads settings."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--config",
        metavar="FILE",
        help=f"read settings from FILE ({CONFIG_FILE} or a pyproject.toml with "
        f"[tool.dualrel]); default: the first {CONFIG_FILE} or pyproject.toml with "
        "[tool.dualrel] from here up to the repository's root (docs/ci.md)",
    )
    group.add_argument(
        "--no-config", action="store_true", help="read no settings file, only the options"
    )


def find_config(start: str | os.PathLike[str] = ".") -> str | None:
    """The settings file that applies in ``start`` (relative to the working folder):
    searched upward, stopping at a folder that holds ``.git`` or at the root (see the
    module docstring)."""
    folder = os.path.abspath(start)
    while True:
        own = os.path.join(folder, CONFIG_FILE)
        if os.path.isfile(own):
            return os.path.relpath(own)
        pyproject = os.path.join(folder, _PYPROJECT)
        if os.path.isfile(pyproject) and _has_tool_table(pyproject):
            return os.path.relpath(pyproject)
        parent = os.path.dirname(folder)
        if os.path.exists(os.path.join(folder, ".git")) or parent == folder:
            return None
        folder = parent


def _has_tool_table(path: str) -> bool:
    """Whether the pyproject.toml at ``path`` has a ``[tool.dualrel]`` table.  One that
    cannot be read or parsed counts when its text names the table, so that its error is
    reported when it is loaded rather than the file silently passed over."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return False
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return re.search(rb"^\s*\[\s*tool\.dualrel(?![\w-])", raw, re.MULTILINE) is not None
    tool = doc.get("tool")
    return isinstance(tool, dict) and "dualrel" in tool


def load_config(path: str) -> ConfigFile:
    """Read and validate the settings of ``path`` (every problem at once, located by file,
    line when found, and key as a pointer)."""
    pyproject = os.path.basename(path) == _PYPROJECT
    prefix = "/tool/dualrel" if pyproject else ""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ConfigError(
            [Problem(file=path, code="not-found", message="no such settings file")]
        ) from None
    except OSError as exc:
        raise ConfigError(
            [Problem(file=path, code="unreadable", message=exc.strerror or str(exc))]
        ) from None
    try:
        text = raw.decode("utf-8")
        doc = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [Problem(file=path, code="malformed", message=f"not UTF-8 text: {exc.reason}")]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))
        raise ConfigError(
            [
                Problem(
                    file=path,
                    line=int(found.group(1)) if found else None,
                    code="malformed",
                    message=f"not valid TOML: {str(exc).split(' (at line')[0]}",
                )
            ]
        ) from None
    data: Any = doc.get("tool", {}).get("dualrel") if pyproject else doc
    if not isinstance(data, dict):
        raise ConfigError(
            [
                Problem(
                    file=path,
                    pointer=prefix or None,
                    code="missing-field" if data is None else "wrong-type",
                    message="no [tool.dualrel] table"
                    if data is None
                    else "[tool.dualrel] must be a table",
                )
            ]
        )
    lines = text.splitlines()
    problems: list[Problem] = []

    def problem(loc: tuple[str | int, ...], code: Any, message: str) -> Problem:
        keys = [str(k) for k in loc]
        return Problem(
            file=path,
            line=_line_of(lines, keys, pyproject),
            pointer=prefix + "/" + "/".join(keys),
            code=code,
            message=message,
            field=keys[-1] if keys else None,
        )

    settings: CheckSettings | None = None
    try:
        settings = CheckSettings.model_validate(data)
    except pydantic.ValidationError as exc:
        for err in schema_errors(exc, data, CheckSettings):
            # the words are YAML's elsewhere; TOML has no '- ' items
            message = err.message.replace(", or one '- ' line per item", "")
            problems.append(problem(err.loc, "schema", message))
    level = data.get("fail-level")
    if isinstance(level, int | str):
        try:
            parse_fail_level(level)
        except ValueError as exc:
            problems.append(problem(("fail-level",), "invalid-value", str(exc)))
    outputs = []
    named = data.get("outputs")
    for fmt, target in named.items() if isinstance(named, dict) else ():
        if fmt not in FORMATS:
            problems.append(
                problem(
                    ("outputs", fmt),
                    "unknown-format",
                    f"unknown format {fmt!r}{did_you_mean(fmt, FORMATS)}; choose one of "
                    f"{', '.join(FORMATS)}",
                )
            )
        elif target == "":
            problems.append(problem(("outputs", fmt), "empty-field", "no path (- is stdout)"))
        elif isinstance(target, str):
            outputs.append(Output(fmt, target if target == "-" else _here(path, target)))
    if problems or settings is None:
        raise ConfigError(sorted(problems, key=lambda p: (p.line or 0, p.pointer or "")))
    return ConfigFile(path, settings, tuple(outputs))


def _line_of(lines: list[str], keys: list[str], pyproject: bool) -> int | None:
    """The line of ``keys`` in the settings (a best effort: TOML's reader keeps no lines):
    the line of the inner key when its table has its own header, else of the outer one."""
    if not keys:
        return None
    table = "tool.dualrel" if pyproject else ""
    line = _key_line(lines, table, keys[0])
    if len(keys) > 1:
        line = _key_line(lines, f"{table}.{keys[0]}".lstrip("."), keys[1]) or line
    return line


def _key_line(lines: list[str], table: str, name: str) -> int | None:
    """The ``name = ...`` line in ``[table]``, or the header ``[table.name]``."""
    own = f"{table}.{name}".lstrip(".")
    key = re.compile(rf"\s*[\"']?{re.escape(name)}[\"']?\s*[=.]")
    current = ""
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if text.startswith("["):
            current = text.strip("[] ").replace(" ", "")
            if current == own:
                return number
        elif current == table and key.match(line):
            return number
    return None


def _here(config: str, value: str) -> str:
    """``value``, a path relative to the folder of ``config``, relative to the working
    folder (as the user would have typed it here); absolute paths stay as they are."""
    if os.path.isabs(value):
        return value
    return os.path.relpath(os.path.join(os.path.dirname(os.path.abspath(config)), value))


def _ruleset_here(config: str, value: str) -> str:
    # the loader's rule: no suffix and no '/' names a shipped ruleset, anything else a path
    if not value.endswith((".yaml", ".yml", ".json")) and "/" not in value:
        return value
    return _here(config, value)


def apply_config(args: argparse.Namespace) -> tuple[argparse.Namespace, tuple[Output, ...]]:
    """``args`` with every option the command line left unset taken from the settings
    file (if any), and the file's outputs; the file used is named on stderr."""
    path = None if args.no_config else args.config or find_config()
    merged = argparse.Namespace(**vars(args))
    outputs: tuple[Output, ...] = ()
    if path is not None:
        config = load_config(path)
        s = config.settings
        if not getattr(args, "quiet", False):
            sys.stderr.write(printable(f"dualrel: settings from {path}") + "\n")
        if merged.registry is None and s.registry is not None:
            # a URL names the same storage from any folder
            merged.registry = s.registry if is_url(s.registry) else _here(path, s.registry)
        if not merged.ruleset and s.rulesets is not None:
            merged.ruleset = [_ruleset_here(path, r) for r in s.rulesets]
        if not merged.extends_from and s.extends_from is not None:
            merged.extends_from = [_here(path, d) for d in s.extends_from]
        if merged.fail_level is None and s.fail_level is not None:
            merged.fail_level = parse_fail_level(s.fail_level)
        if merged.waivers is None and s.waivers is not None:
            merged.waivers = _here(path, s.waivers)
        if merged.baseline is None and s.baseline is not None:
            merged.baseline = _here(path, s.baseline)
        outputs = config.outputs
    if merged.fail_level is None:
        merged.fail_level = 1
    if merged.registry is None:
        where = f" or registry in {path}" if path else f" (or registry in {CONFIG_FILE})"
        raise InvalidArgument(f"no registry: give REGISTRY{where}")
    return merged, outputs
