"""The weekly report as Markdown (a GitHub issue body) or JSON; HTML is
:mod:`depguard.report.html`.

The Markdown starts with the hidden marker :data:`MARKER` so a workflow finds and updates one
issue instead of opening a new one each week. Long tables sit in ``<details>`` blocks and the
whole body stays under GitHub's 65,536-character limit (rows are cut, and a line says so).
Every string from the repository or upstream is escaped (:func:`~depguard.render.markdown.md_text`).
"""

from __future__ import annotations

import json
from typing import Any

from depguard.render import guard_json_text, guard_log_lines
from depguard.report.model import UpgradeReport, to_document

__all__ = ["MARKER", "render_json", "render_markdown"]

MARKER = "<!-- depguard:upgrade-report -->"
_BUDGET = 60_000
_DETAILS_OVER = 10  # rows: longer tables are folded


def render_json(report: UpgradeReport) -> str:
    return guard_json_text(json.dumps(to_document(report), indent=2, ensure_ascii=False)) + "\n"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _delta(now: float, before: float | None) -> str:
    if before is None:
        return ""
    diff = round(now - before, 2)
    if diff == 0:
        return " (=)"
    return f" ({'▲' if diff > 0 else '▼'} {abs(diff):g})"


def _table(header: list[str], rows: list[list[str]], *, title: str, budget: list[int]) -> list[str]:
    """A GFM table (folded in ``<details>`` when long), cut to the remaining budget."""
    if not rows:
        return []
    head = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines: list[str] = []
    for cells in rows:
        line = "| " + " | ".join(cells) + " |"
        if budget[0] - len(line) < 0:
            lines.append(f"\n_{len(rows) - len(lines)} more rows not shown (size limit); "
                         "the JSON report has them all._")  # fmt: skip
            break
        budget[0] -= len(line) + 1
        lines.append(line)
    if len(rows) > _DETAILS_OVER:
        return ["<details>", f"<summary>{title} ({len(rows)})</summary>", "", *head, *lines,
                "", "</details>"]  # fmt: skip
    return [*head, *lines]


def render_markdown(report: UpgradeReport, *, tool_version: str) -> str:
    """The issue body (see the module docstring)."""
    from depguard.render import rule_help_uri
    from depguard.render.markdown import md_code, md_text

    doc: dict[str, Any] = to_document(report)
    summary = doc["summary"]
    before = report.trend[-2] if len(report.trend) >= 2 else None
    budget = [_BUDGET]

    def cell(value: object) -> str:
        return "—" if value is None or value == "" else md_text(str(value))

    out = [
        MARKER,
        f"## depguard weekly upgrade report: {md_text(report.repository)}",
        "",
        f"Generated {report.generated} by depguard {md_text(tool_version)}. "
        f"{_count(summary['directories'], 'state directory', 'state directories')}, "
        f"{_count(summary['dependencies'], 'dependency', 'dependencies')}.",
        "",
        "| | this run | trend |",
        "| --- | --- | --- |",
    ]
    for key, label, prev in (
        ("outdated", "outdated dependencies", before.outdated if before else None),
        ("skewed", "dependencies with version skew", before.skewed if before else None),
        ("findings", "verification findings", before.findings if before else None),
        ("skipped", "checks not performed", before.skipped if before else None),
        ("libyears", "libyears behind", before.libyears if before else None),
    ):
        out.append(f"| {label} | {summary[key]} | {_delta(summary[key], prev).strip() or '—'} |")
    out.append(f"| rollouts in progress | {summary['rollouts']} | — |")

    outdated = [o for o in report.outdated if o.outdated or o.latest is None]
    out += ["", "### Outdated", ""]
    rows = [
        [
            md_text(o.kind),
            md_code(o.name),
            ", ".join(md_code(v) for v in o.in_use),
            md_code(o.latest) if o.latest else "—",
            cell(o.behind),
            cell(o.latest_age_days),
            cell(o.libyears),
            cell(o.note),
        ]
        for o in sorted(outdated, key=lambda o: (-(o.libyears or 0), -(o.behind or 0), o.name))
    ]
    out += _table(
        ["kind", "dependency", "in use", "latest", "behind", "latest age (days)", "libyears",
         "note"],
        rows, title="Outdated dependencies", budget=budget,
    ) or ["Everything is on its newest release."]  # fmt: skip

    out += ["", "### Version skew", ""]
    rows = []
    for s in report.skew:
        if s.stages:
            spread = "; ".join(
                f"{md_text(stage)}: {', '.join(md_code(v) for v in versions)}"
                for stage, versions in s.stages.items()
            )
        else:
            spread = ", ".join(sorted({md_code(v) for v in s.versions.values()}))
        rows.append([md_text(s.kind), md_code(s.name), spread, str(len(s.versions))])
    out += _table(["kind", "dependency", "versions by stage", "directories"], rows,
                  title="Version skew", budget=budget) or ["No skew."]  # fmt: skip

    out += ["", "### Integrity", ""]
    rows = [
        [
            f"**{f.severity.label}**" if f.severity >= 3 else f.severity.label,
            f"[{f.rule}]({rule_help_uri(f.rule)})",
            md_code(f"{f.path}:{f.line}" if f.line else f.path) if f.path else "—",
            md_text(f.message),
        ]
        for f in report.findings
    ]
    out += _table(["severity", "rule", "location", "message"], rows, title="Findings",
                  budget=budget) or [f"No findings ({report.checked} checked)."]  # fmt: skip
    if report.skipped:
        rows = [[md_code(s.subject), cell(s.path), md_text(s.reason)] for s in report.skipped]
        out += ["", f"{len(report.skipped)} checks could not be performed:", ""]
        out += _table(["subject", "where", "why"], rows, title="Skipped", budget=budget)

    out += ["", "### Rollouts in progress", ""]
    rows = [
        [
            md_code(r.name),
            md_code(r.to),
            f"{r.waves_done}/{r.waves} waves, {r.directories_done}/{r.directories} directories",
            (f"{r.next_wave} ({md_text(r.next_stage or '')}"
             + (", approval" if r.approval else "") + ")") if r.next_wave else "—",
            cell(r.may_start),
        ]
        for r in report.rollouts
    ]  # fmt: skip
    out += _table(["dependency", "to", "progress", "next wave", "may start"], rows,
                  title="Rollouts", budget=budget) or ["None."]  # fmt: skip

    if report.prs is not None:
        out += ["", "### Open Renovate pull requests", ""]
        rows = [
            [f"#{p.number}", md_text(p.title), cell(p.created[:10]), md_text(", ".join(p.labels))]
            for p in report.prs
        ]
        out += _table(["PR", "title", "opened", "labels"], rows, title="Pull requests",
                      budget=budget) or ["None."]  # fmt: skip

    if len(report.trend) > 1:
        out += ["", "### Trend", ""]
        rows = [
            [t.generated[:10], str(t.outdated), str(t.skewed), str(t.findings), f"{t.libyears:g}"]
            for t in report.trend
        ]
        out += _table(["run", "outdated", "skewed", "findings", "libyears"], rows,
                      title="Earlier runs", budget=budget)  # fmt: skip
    if report.notes:
        out += ["", *(f"- {md_text(n)}" for n in report.notes)]
    return guard_log_lines("\n".join(out) + "\n")
