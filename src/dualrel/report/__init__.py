"""Report formats: one module per format behind one small interface.

:data:`FORMATS` maps each format name to its :class:`OutputFormat`; the command line
builds ``--format`` (choices and help) from it.  :func:`render` turns a
:class:`CheckResult` into text; shared formats (sarif, junit, markdown, html, github,
gitlab) show people as keyed pseudonyms unless ``reveal`` is true.

>>> sorted(FORMATS)
['github', 'gitlab', 'html', 'json', 'junit', 'markdown', 'sarif', 'text']
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping

from dualrel.errors import InvalidArgument
from dualrel.findings import (
    CheckedFinding,
    CheckResult,
    EvidenceRecord,
    EvidenceTie,
    RegistryInfo,
    ResolvedFinding,
    RuleInfo,
    RuleStep,
    WaiverInfo,
    WaiverOutcome,
)
from dualrel.report import (
    _shared_view,
    github,
    gitlab,
    html_report,
    json_report,
    junit,
    markdown,
    sarif,
    text,
)
from dualrel.report._base import OutputFormat, People
from dualrel.report.pseudonym import (
    KEY_ENV,
    MIN_KEY_BYTES,
    Pseudonymizer,
    pseudonym_map,
    write_pseudonym_map,
)
from dualrel.report.schema import ReportDocument, ReportFileError, load_report, report_json_schema

__all__ = [
    "FORMATS",
    "KEY_ENV",
    "MIN_KEY_BYTES",
    "CheckResult",
    "CheckedFinding",
    "EvidenceRecord",
    "EvidenceTie",
    "OutputFormat",
    "People",
    "Pseudonymizer",
    "RegistryInfo",
    "ReportDocument",
    "ReportFileError",
    "ResolvedFinding",
    "RuleInfo",
    "RuleStep",
    "WaiverInfo",
    "WaiverOutcome",
    "load_report",
    "pseudonym_map",
    "render",
    "render_parts",
    "report_json_schema",
    "write_pseudonym_map",
]

#: Every output format by name, in the order the help lists them.
FORMATS: Mapping[str, OutputFormat] = {
    f.name: f
    for f in (
        text.FORMAT,
        json_report.FORMAT,
        sarif.FORMAT,
        junit.FORMAT,
        markdown.FORMAT,
        html_report.FORMAT,
        github.FORMAT,
        gitlab.FORMAT,
    )
}


def render(
    result: CheckResult,
    format: str = "text",
    *,
    reveal: bool = False,
    pseudonymizer: Pseudonymizer | None = None,
    colour: bool = False,
    templates: str | os.PathLike[str] | None = None,
) -> str:
    """Render ``result`` in ``format``.

    Shared formats pseudonymise person ids and derived tie ids with ``pseudonymizer``
    (default: keyed by ``DUALREL_PSEUDONYM_KEY``, else a random key) and leave out waivers'
    free text, unless ``reveal``; ``text`` and ``json`` keep exact ids.  Names appear only
    when ``reveal`` (and the result carries them).  ``templates`` (``html`` only) is a
    folder of templates that replace the shipped ones file by file
    (:data:`dualrel.report.html_report.TEMPLATE_FILES`).

    The formats are the names of :data:`FORMATS` (``text``, ``json``, ``sarif``,
    ``junit``, ``markdown``, ``html``, ``github``, ``gitlab``); write the text where the
    platform wants it (as UTF-8).  A :class:`Pseudonymizer` keyed by a stored secret
    keeps a person's alias the same from one report to the next.

    >>> import dualrel
    >>> result = dualrel.run_check(dualrel.example_registry())
    >>> key = Pseudonymizer.from_env({KEY_ENV: "k" * 32})  # in production: a secret
    >>> junit = render(result, "junit", pseudonymizer=key)
    >>> "co001" in junit, key.alias("co001") in junit  # never the id, always its alias
    (False, True)

    Raises
    ------
    InvalidArgument
        For an unknown format, or a ``DUALREL_PSEUDONYM_KEY`` shorter than 32 bytes when a
        shared format needs it.
    """
    fmt, result, people = _view(result, format, reveal, pseudonymizer, templates)
    if templates is not None:
        return html_report.render(result, people, colour, templates=templates)
    return fmt.render(result, people, colour)


def render_parts(
    result: CheckResult,
    format: str = "text",
    *,
    reveal: bool = False,
    pseudonymizer: Pseudonymizer | None = None,
    templates: str | os.PathLike[str] | None = None,
) -> Iterator[bytes]:
    """What :func:`render` gives without colour, as UTF-8 bytes in parts: a format that
    can stream (``json``) is never held whole, to write a large report to a file.

    Raises what :func:`render` raises, before the first part.
    """
    fmt, result, people = _view(result, format, reveal, pseudonymizer, templates)
    if fmt.stream is not None and templates is None:
        return fmt.stream(result, people)
    if templates is not None:
        return iter([html_report.render(result, people, False, templates=templates).encode()])
    return iter([fmt.render(result, people, False).encode()])


def _view(
    result: CheckResult,
    format: str,
    reveal: bool,
    pseudonymizer: Pseudonymizer | None,
    templates: str | os.PathLike[str] | None,
) -> tuple[OutputFormat, CheckResult, People]:
    """The format, the result as it shows it (pseudonymised when shared) and its people."""
    fmt = FORMATS.get(format)
    if fmt is None:
        raise InvalidArgument(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if templates is not None and fmt is not html_report.FORMAT:
        raise InvalidArgument(f"templates apply to the html format only, not {format!r}")
    if fmt is not json_report.FORMAT and not isinstance(result.findings, tuple):
        # json writes a check's findings from its columns; the other formats read each
        # finding more than once: each made once, here
        result = dataclasses.replace(result, findings=tuple(result.findings))
    if reveal or not fmt.shared:
        pseudo = Pseudonymizer.reveal()
    else:
        pseudo = pseudonymizer if pseudonymizer is not None else Pseudonymizer.from_env()
        result = _shared_view.shared_view(result, pseudo)
    names = result.names if reveal else {}
    if templates is not None and not os.path.isdir(templates):
        raise InvalidArgument(f"{os.fspath(templates)}: no such template folder")
    return fmt, result, People(pseudo, names)
