"""A pull-request comment in GitHub-flavoured Markdown.

The comment starts with a hidden marker, ``<!-- depguard:report command=<command> -->``, so
CI can find and update its one comment instead of adding a new one per push. Then a
headline verdict; for ``check-pr`` a table of the PR's dependency changes (from → to, source,
whether and how each was verified, release age); a findings table and how to fix each rule
found; and a ``<details>`` block with what was skipped and checked. The result stays under
GitHub's comment limit (:data:`COMMENT_LIMIT`): when it would not, rows are left out and a
note says how many.

All user-derived text — it may come from the pull request under review — is escaped so it
renders literally: no links, images, HTML, mentions or table breakage (:func:`md_text`).
"""

from __future__ import annotations

import re

from depguard.model import Change, Checked, Finding, Report, Severity, Skip
from depguard.render import (
    RenderContext,
    by_severity,
    command_name,
    failing,
    findings_phrase,
    guard_log_lines,
    plural,
    printable,
    rule_help_uri,
    severity_counts,
    summary_line,
)

#: GitHub rejects issue and pull-request comments longer than this many characters.
COMMENT_LIMIT = 65_536
#: What the renderer aims for: headroom for a CI step that wraps the comment.
BUDGET = COMMENT_LIMIT - 1_536
#: Longest user-derived cell text kept (in characters, before escaping).
MAX_CELL = 1_000

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$#!{}])")
_SAFE_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def marker(report: Report) -> str:
    """Return the hidden marker starting the comment, ``<!-- depguard:report command=C -->``."""
    return f"<!-- depguard:report command={command_name(report)} -->"


def _clip(text: str, limit: int = MAX_CELL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_text(text: str) -> str:
    """Return ``text`` escaped to render literally inside a GFM table cell or list item.

    Control characters become visible escapes, line breaks become ``<br>``, ``& < >`` become
    entities (no raw HTML), Markdown punctuation is backslash-escaped (no emphasis, links,
    images, code, math or cell breaks) and ``@`` is followed by a zero-width space entity so
    that a name in the text never mentions (notifies) anyone.
    """
    text = printable(_clip(text), keep_newlines=True)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = text.replace("@", "@&#8203;")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def md_code(text: str) -> str:
    """Return ``text`` as inline code (``<code>`` with escaped content, safe in table cells)."""
    return f"<code>{md_text(text)}</code>"


def _rule_link(rule: str) -> str:
    if _SAFE_RULE_ID.match(rule):
        return f"[{rule}]({rule_help_uri(rule)})"
    return md_text(rule)


def _severity_cell(severity: Severity) -> str:
    return f"**{severity.label}**" if severity >= Severity.HIGH else severity.label


def _finding_row(f: Finding) -> str:
    location = f"{f.path}:{f.line}" if f.path and f.line else f.path
    location_cell = md_code(location) if location else "—"
    message = md_text(f.message)
    if f.subject:
        message += "<br>" + md_code(f.subject)
    return f"| {_severity_cell(f.severity)} | {_rule_link(f.rule)} | {location_cell} | {message} |"


_STATUS = {"failed": "**failed**", "verified": "verified"}


_COMMIT = re.compile(r"[0-9a-f]{40}")


def _version(text: str) -> str:
    """A version as inline code; a full commit SHA shortened to 12 digits (the table's width)."""
    return md_code(text[:12] if _COMMIT.fullmatch(text) else text)


def _change_row(c: Change) -> str:
    where = f"{c.path}:{c.line}" if c.line else c.path
    dependency = f"{md_code(c.name)}<br><sub>{md_text(c.kind)} · {md_text(where)}</sub>"
    if c.old is not None and c.new is not None:
        change = f"{_version(c.old)} → {_version(c.new)}" if c.old != c.new else _version(c.new)
    elif c.new is not None:
        change = f"added {_version(c.new)}"
    elif c.old is not None:
        change = f"removed {_version(c.old)}"
    elif c.new_source is not None or c.old_source is not None:
        change = "added" if c.old_source is None else "removed" if c.new_source is None else ""
    else:
        change = ""
    if c.hashes:
        change += ("<br>" if change else "") + md_text(c.hashes)
    if c.old_source and c.new_source and c.old_source != c.new_source:
        source = f"{md_code(c.old_source)} → **{md_code(c.new_source)}**"
    else:
        shown = c.new_source or c.old_source
        source = md_code(shown) if shown else "—"
    status = _STATUS.get(c.status, md_text(c.status))
    evidence = "<br>".join(md_text(e) for e in c.evidence) or "—"
    age = "—"
    if c.age is not None:
        age = md_text(c.age) + (f"<br><sub>{md_text(c.released)}</sub>" if c.released else "")
    return f"| {dependency} | {change or '—'} | {source} | {status} | {evidence} | {age} |"


def _fix_item(rule: str) -> str:
    from depguard.model import RuleId
    from depguard.rules import BY_ID

    meta = BY_ID.get(RuleId(rule))
    return f"- {_rule_link(rule)}: {md_text(meta.help)}" if meta is not None else ""


def _skip_item(s: Skip) -> str:
    where = f" ({md_code(s.path)})" if s.path else ""
    return f"- {md_code(s.subject)}{where}: {md_text(s.reason)}"


def _checked_item(c: Checked) -> str:
    where = f" ({md_code(c.path)})" if c.path else ""
    evidence = ": " + ", ".join(md_text(e) for e in c.evidence) if c.evidence else ""
    return f"- {md_code(c.subject)}{where}{evidence}"


def _headline(report: Report) -> str:
    counts = severity_counts(report.findings)
    if not report.findings:
        verdict = "no findings"
    elif len(counts) == 1:
        (severity,) = counts
        verdict = f"{plural(len(report.findings), severity.label + ' finding')}"
    else:
        verdict = findings_phrase(report.findings)
    if report.skipped:
        verdict += f", {len(report.skipped)} skipped"
    return f"### depguard {md_text(report.command)}: {verdict}"


def _status(report: Report, ctx: RenderContext) -> str:
    line = md_text(summary_line(report, ctx)) + "."
    n = failing(report, ctx)
    if n:
        line += f" {plural(n, 'finding')} at or above `{ctx.fail_on.label}` fail this check."
    if report.skipped:
        line += " Skipped items were not verified."
    return line


def _width(text: str) -> int:
    """Return the length in UTF-16 code units (>= code points), the conservative measure."""
    return len(text.encode("utf-16-le")) // 2


def _size(parts: list[str]) -> int:
    return sum(_width(p) + 1 for p in parts)


def _fit(lines: list[str], budget: int) -> tuple[list[str], int]:
    """Return the longest prefix of ``lines`` that fits ``budget``, and how many lines are left."""
    used = 0
    for i, line in enumerate(lines):
        used += _width(line) + 1
        if used > budget:
            return lines[:i], len(lines) - i
    return lines, 0


def render_markdown(report: Report, ctx: RenderContext) -> str:
    """Return ``report`` as a PR comment in GitHub-flavoured Markdown, ending in a newline.

    Findings are listed most severe first. Priority when the comment would exceed
    :data:`BUDGET` characters: the headline, then finding rows (so the least severe are cut
    first), then skipped items, then notes, then checked items; each cut is announced.
    """
    report = report.sorted()
    head = [marker(report), _headline(report), "", _status(report, ctx)]
    footer = ["", f"<sub>depguard {md_text(ctx.tool_version)}</sub>"]
    # Reserve room for fixed text, truncation notes and the details scaffolding.
    budget = BUDGET - _size(head) - _size(footer) - 1_000

    body: list[str] = []
    found: list[str] = []
    if report.findings:
        rows = [_finding_row(f) for f in by_severity(report.findings)]
        kept, cut = _fit(rows, budget)
        header = ["| Severity | Rule | Location | Message |", "| --- | --- | --- | --- |"]
        found += ["", *header, *kept]
        if cut:
            found += [
                "",
                f"_{plural(cut, 'more finding')} not shown (comment size limit); "
                "the JSON or SARIF output has them all._",
            ]
        budget -= _size(kept)
        fixes = [x for x in (_fix_item(r) for r in sorted({f.rule for f in report.findings})) if x]
        kept, cut = _fit(fixes, max(budget, 0))
        budget -= _size(kept)
        if kept:
            found += ["", "**How to fix**", "", *kept]
    if report.changes:
        rows = [_change_row(c) for c in report.changes]
        kept, cut = _fit(rows, max(budget, 0))
        budget -= _size(kept)
        body += [
            "",
            f"**{plural(len(report.changes), 'dependency change')}**",
            "",
            "| Dependency | Change | Source | Verification | Evidence | Released |",
            "| --- | --- | --- | --- | --- | --- |",
            *kept,
        ]
        if cut:
            body += ["", f"_{plural(cut, 'more change')} not shown (comment size limit)._"]
    body += found

    details: list[str] = []
    sections = (
        ("Skipped", [_skip_item(s) for s in report.skipped]),
        ("Notes", [f"- {md_text(n)}" for n in report.notes]),
        ("Checked", [_checked_item(c) for c in report.checked]),
    )
    for title, items in sections:
        if not items:
            continue
        kept, cut = _fit(items, max(budget, 0))
        budget -= _size(kept)
        details += ["", f"**{title}**", "", *kept]
        if cut:
            details += ["", f"_{plural(cut, 'more item')} not shown (comment size limit)._"]
    if details:
        counts = [f"{len(report.skipped)} skipped"] if report.skipped else []
        counts += [f"{len(report.checked)} checked"] if report.checked else []
        summary = f"<summary>Details: {', '.join(counts) or 'notes'}</summary>"
        body += ["", "<details>", summary, *details, "", "</details>"]

    return guard_log_lines("\n".join(head + body + footer) + "\n")
