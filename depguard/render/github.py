"""GitHub Actions workflow-command annotations (``--format github``).

One annotation per finding (``::error file=PATH,line=N,title=RULE::MESSAGE``; critical and
high are errors, medium warnings, low and info notices) and per skipped item (a warning:
a skip was not verified), then, unless quiet, notes as notices and what was checked inside a
collapsed log group, then a plain summary line.

Escaping follows the runner (actions/toolkit ``command.ts``, actions/runner
``ActionCommand.cs``): data escapes ``%``, CR and LF; properties also ``:`` and ``,``.
Escaping CR/LF is also what stops injection: text that contains ``\\n::set-output …`` stays
on the annotation's line, and a workflow command is only recognised at a line start.
Every line we print is either a command we build (the runner parses it as ours first, so
a legacy ``##[`` inside the data is inert) or passes :func:`~depguard.render.guard_log_lines`.
"""

from __future__ import annotations

from depguard.model import Finding, Report, Severity, Skip
from depguard.render import (
    RenderContext,
    by_severity,
    command_name,
    guard_log_lines,
    printable,
    summary_line,
)

#: Annotation command per severity.
COMMAND: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}


def escape_data(text: str) -> str:
    """Return ``text`` escaped as workflow-command data (``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Return ``text`` escaped as a workflow-command property (data escapes plus ``:``, ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _clean(text: str) -> str:
    # Other control characters (ESC, bidi overrides, …) are shown as escapes; CR/LF are kept
    # for the official escaping, which renders them as line breaks in the annotation.
    return printable(text, keep_newlines=True)


def command(name: str, properties: dict[str, str], data: str) -> str:
    """Return one workflow command line, ``::name k=v,k=v::data``, escaped."""
    props = ",".join(f"{k}={escape_property(_clean(v))}" for k, v in properties.items())
    head = f"{name} {props}" if props else name
    return f"::{head}::{escape_data(_clean(data))}"


def _annotation(f: Finding) -> str:
    properties: dict[str, str] = {}
    if f.path:
        properties["file"] = f.path
        if f.line:
            properties["line"] = str(f.line)
    properties["title"] = f.rule
    data = f.message + (f"\n{f.subject}" if f.subject else "")
    return command(COMMAND[f.severity], properties, data)


def _skip_annotation(s: Skip) -> str:
    properties = {"file": s.path} if s.path else {}
    properties["title"] = "depguard: skipped"
    return command("warning", properties, f"{s.subject}: {s.reason}")


def render_github(report: Report, ctx: RenderContext) -> str:
    """Return ``report`` as workflow-command annotations and a summary line, newline-terminated."""
    report = report.sorted()
    # Most severe first: GitHub shows only the first annotations of each kind per step.
    lines = [_annotation(f) for f in by_severity(report.findings)]
    lines += [_skip_annotation(s) for s in report.skipped]
    if ctx.verbosity >= 0:
        lines += [command("notice", {"title": "depguard"}, n) for n in report.notes]
        if report.checked:
            lines.append(command("group", {}, f"depguard: checked ({len(report.checked)})"))
            for c in report.checked:
                entry = "✓ " + printable(c.subject)
                if c.evidence:
                    entry += "  " + ", ".join(printable(e) for e in c.evidence)
                if c.path:
                    entry += f"  ({printable(c.path)})"
                lines.append(guard_log_lines(entry))
            lines.append("::endgroup::")
    lines.append(f"depguard {command_name(report)}: {summary_line(report, ctx)}")
    return "\n".join(lines) + "\n"
