"""``github``: GitHub Actions workflow commands, one annotation per open finding.

Printed to a step's standard output, each line ``::error file=F,line=N,title=T::MESSAGE``
becomes an annotation on the run and, when the file is part of the pull request, on the
file's line.  Levels: 3 -> ``error``, 2 -> ``warning``, 1 -> ``notice`` (as SARIF's
error, warning, note).  The file and line are those of the finding's last evidence tie
(the tie that makes the relationship dual) when the loader knows them, else the registry
alone.  Waived and baselined findings are not annotated; a closing plain line counts
them.  Values are escaped as GitHub's toolkit escapes them (``%``, CR and LF in the
message; also ``:`` and ``,`` in properties), so no text from a registry or ruleset can
end a command or start another.

GitHub shows at most 10 error and 10 warning annotations per step and 50 per job; the
findings come highest level first, so the ones shown are the most serious.
"""

from __future__ import annotations

from dualrel.findings import CheckedFinding, CheckResult
from dualrel.report._base import OutputFormat, People, primary_location, step_text

__all__ = ["COMMANDS", "FORMAT", "escape_data", "escape_property", "render"]

#: The workflow command of each escalation level.
COMMANDS = {3: "error", 2: "warning", 1: "notice"}


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF escaped (``%`` first, so escapes stay
    distinct).

    >>> escape_data("50% done\\nnext")
    '50%25 done%0Anext'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as :func:`escape_data`, and ``:`` and ``,`` which end a value.

    >>> escape_property("a:b,c")
    'a%3Ab%2Cc'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(f: CheckedFinding, people: People, registry: str) -> str:
    fd = f.finding
    path, line = primary_location(f, registry)
    who = ", ".join(f"{k} {people.label(v)}" for k, v in sorted(fd.subjects.items()))
    message = f"{fd.title}: {who}. Evidence: {', '.join(fd.evidence + fd.records)}."
    if fd.remediation:
        message += f" First: {step_text(fd.remediation[0], people)}."
    message += f" Fingerprint {fd.fingerprint}."
    props = [("file", path)]
    if line is not None:
        props.append(("line", str(line)))
    props.append(("title", f"{fd.ruleset.id}/{fd.rule} (level {fd.level}, {fd.severity})"))
    joined = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{COMMANDS[fd.level]} {joined}::{escape_data(message)}"


def render(result: CheckResult, people: People, colour: bool = False) -> str:
    lines = [
        _annotation(f, people, result.registry.path) for f in result.findings if f.status == "open"
    ]
    counts = result.by_status()
    lines.append(
        f"dualrel check: {len(result.failing())} open finding(s) at or above level "
        f"{result.fail_level}; {counts['open']} open, {counts['waived']} waived, "
        f"{counts['baselined']} baselined in all."
    )
    lines.append(people.note())
    return "\n".join(lines) + "\n"


FORMAT = OutputFormat(
    name="github",
    help="GitHub Actions annotations, one per open finding (people pseudonymised)",
    suffix=".txt",
    shared=True,
    render=render,
)
