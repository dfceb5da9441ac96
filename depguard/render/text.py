"""Human output for a terminal or a CI log.

Layout (normal verbosity)::

    envs/prod/.terraform.lock.hcl:12: critical lock-hash-mismatch: <message>
        subject: registry.terraform.io/hashicorp/aws 5.31.0 linux_amd64

    skipped (1):
      - envs/dev/.terraform.lock.hcl: <subject>: <reason>

    checked (2):
      envs/prod/.terraform.lock.hcl
        ✓ registry.terraform.io/hashicorp/null 3.1.0  openpgp:34365D9472D7468F, zh, h1

    2 checked, 1 finding (1 critical), 1 skipped

``check-pr`` adds a ``changes (N):`` section before the skipped items, one line per
dependency change (from -> to, verification status, evidence, release age).

Quiet keeps findings and the summary; verbose adds each finding's rule summary and
fingerprint. Every user-derived string goes through :func:`~depguard.render.printable`
and the whole output through :func:`~depguard.render.guard_log_lines`.
"""

from __future__ import annotations

from itertools import groupby

from depguard import rules
from depguard.model import Finding, Report, Severity
from depguard.render import RenderContext, guard_log_lines, printable, summary_line

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_GREEN = "\x1b[32m"
_SEVERITY_STYLE = {
    Severity.CRITICAL: "\x1b[1;31m",  # bold red
    Severity.HIGH: "\x1b[31m",  # red
    Severity.MEDIUM: "\x1b[33m",  # yellow
    Severity.LOW: "\x1b[36m",  # cyan
    Severity.INFO: "\x1b[2m",  # dim
}

NO_FILE = "(no file)"


class _Style:
    """Applies ANSI styles only when colour is on; text passed in is already printable."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.enabled else text


def _location(f: Finding) -> str:
    path = printable(f.path) if f.path else NO_FILE
    return f"{path}:{f.line}" if f.line else path


def _findings(report: Report, ctx: RenderContext, style: _Style) -> list[str]:
    lines: list[str] = []
    for i, (_, group) in enumerate(groupby(report.findings, key=lambda f: f.path)):
        if i:
            lines.append("")  # a blank line between files
        for f in group:
            severity = style(_SEVERITY_STYLE[f.severity], f.severity.label)
            rule = style(_BOLD, printable(f.rule))
            lines.append(f"{_location(f)}: {severity} {rule}: {printable(f.message)}")
            if f.subject:
                lines.append(f"    subject: {printable(f.subject)}")
            if ctx.verbosity > 0:
                meta = rules.BY_ID.get(f.rule)
                if meta is not None:
                    lines.append(f"    rule: {meta.summary}")
                lines.append(style(_DIM, f"    fingerprint: {printable(f.fingerprint)}"))
    return lines


def _change_text(old: str | None, new: str | None) -> str:
    if old is not None and new is not None:
        return f"{printable(old)} -> {printable(new)}" if old != new else printable(new)
    if new is not None:
        return f"added {printable(new)}"
    return f"removed {printable(old)}" if old is not None else ""


def _changes(report: Report) -> list[str]:
    lines = [f"changes ({len(report.changes)}):"]
    for path, group in groupby(report.changes, key=lambda c: c.path):
        lines.append(f"  {printable(path)}")
        for c in group:
            what = " ".join(x for x in (_change_text(c.old, c.new), printable(c.hashes)) if x)
            entry = f"    {printable(c.name)} ({printable(c.kind)}) {what}: {printable(c.status)}"
            if c.old_source and c.new_source and c.old_source != c.new_source:
                entry += f"; source {printable(c.old_source)} -> {printable(c.new_source)}"
            if c.evidence:
                entry += "; " + "; ".join(printable(e) for e in c.evidence)
            if c.age:
                entry += f"; released {printable(c.age)} ago"
            lines.append(entry)
    return lines


def _skipped(report: Report) -> list[str]:
    lines = [f"skipped ({len(report.skipped)}):"]
    for s in report.skipped:
        where = f"{printable(s.path)}: " if s.path else ""
        lines.append(f"  - {where}{printable(s.subject)}: {printable(s.reason)}")
    return lines


def _checked(report: Report, style: _Style) -> list[str]:
    lines = [f"checked ({len(report.checked)}):"]
    for path, group in groupby(report.checked, key=lambda c: c.path):
        indent = "  "
        if path:
            lines.append(f"  {printable(path)}")
            indent = "    "
        for c in group:
            entry = f"{indent}{style(_GREEN, '✓')} {printable(c.subject)}"
            if c.evidence:
                entry += "  " + ", ".join(printable(e) for e in c.evidence)
            lines.append(entry)
    return lines


def render_text(report: Report, ctx: RenderContext) -> str:
    """Return the terminal/CI-log rendering of ``report``, ending in a newline.

    Sections, separated by blank lines: findings grouped by file, then (unless quiet)
    skipped items, what was checked with its evidence, and notes; then the summary line.
    ANSI colour is used only when ``ctx.color``.
    """
    report = report.sorted()
    style = _Style(ctx.color)
    sections: list[list[str]] = []
    if report.findings:
        sections.append(_findings(report, ctx, style))
    if ctx.verbosity >= 0:
        if report.changes:
            sections.append(_changes(report))
        if report.skipped:
            sections.append(_skipped(report))
        if report.checked:
            sections.append(_checked(report, style))
        if report.notes:
            sections.append(["notes:", *(f"  - {printable(n)}" for n in report.notes)])

    summary = summary_line(report, ctx)
    if ctx.color:
        worst = report.max_severity()
        summary = style(_GREEN if worst is None else _SEVERITY_STYLE[worst], summary)
    sections.append([summary])

    text = "\n\n".join("\n".join(section) for section in sections) + "\n"
    return guard_log_lines(text)
