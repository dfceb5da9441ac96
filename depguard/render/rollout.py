"""Output of ``depguard rollout plan|status|matrix`` (schema ``depguard.rollout/v1``).

JSON keys are documented in the README ("Staged rollouts") and only ever added. Text and
Markdown show the same data; every string that comes from the repository (paths, versions)
goes through :func:`~depguard.render.printable` / :func:`~depguard.render.markdown.md_text`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from depguard.render import guard_json_text, guard_log_lines, printable

if TYPE_CHECKING:
    from depguard.rollout.model import Workspace
    from depguard.rollout.planner import Landed, Plan
    from depguard.rollout.status import StageState

SCHEMA = "depguard.rollout/v1"

__all__ = ["SCHEMA", "matrix_json", "render_plan", "render_status"]


def _day(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _time(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(d: timedelta) -> str:
    seconds = int(d.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds}s"


def plan_document(plan: Plan, *, start: date) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "dependency": plan.dependency.name,
        "kind": plan.dependency.kind,
        "to": plan.to,
        "start": start.isoformat(),
        "waves": [
            {
                "index": w.index,
                "stage": w.stage,
                "directories": list(w.directories),
                "earliest": _day(w.earliest),
                "approval": w.approval,
                "canary": w.canary,
                "done": list(w.done),
                "completed": _day(w.completed),
            }
            for w in plan.waves
        ],
        "next_wave": (n.index if (n := plan.next_wave()) is not None else None),
        "notes": list(plan.notes),
    }


def status_document(
    plan: Plan,
    workspace: Workspace,
    landed: Mapping[str, Landed],
    stages: Sequence[StageState],
    *,
    start: date,
    now: datetime,
) -> dict[str, Any]:
    doc = plan_document(plan, start=start)
    doc["now"] = _time(now)
    by_path = {t.path: t for t in workspace.targets}
    doc["directories"] = [
        {
            "path": path,
            "stage": by_path[path].stage if path in by_path else None,
            "version": info.version,
            "since": _time(info.since),
            "commit": info.commit,
        }
        for path, info in sorted(landed.items())
    ]
    doc["stages"] = [
        {
            "name": s.name,
            "directories": s.directories,
            "done": s.done,
            "completed": _time(s.completed),
            "soak": _duration(s.soak),
            "soak_until": _time(s.soak_until),
            "soak_met": s.soak_met,
        }
        for s in stages
    ]
    return doc


def _json(doc: Mapping[str, Any]) -> str:
    return guard_json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


def _wave_label(w: Mapping[str, Any]) -> str:
    tags = [t for t, on in (("canary", w["canary"]), ("approval", w["approval"])) if on]
    return str(w["stage"]) + (f" ({', '.join(tags)})" if tags else "")


def _wave_state(w: Mapping[str, Any]) -> str:
    if len(w["done"]) == len(w["directories"]):
        return f"done {w['completed']}" if w["completed"] else "done"
    if w["done"]:
        return f"{len(w['done'])}/{len(w['directories'])} done"
    return "pending"


def _next(doc: Mapping[str, Any]) -> str:
    """``3 (prod, approval), may start 2026-12-06`` for the first wave not complete."""
    w = next(w for w in doc["waves"] if w["index"] == doc["next_wave"])
    return f"{w['index']} ({_wave_label(w)}), may start {w['earliest']}"


def _text(doc: Mapping[str, Any]) -> str:
    lines = [
        f"rollout of {printable(doc['dependency'])} to {printable(doc['to'] or '(no version)')}: "
        f"{len(doc['waves'])} waves"
    ]
    for w in doc["waves"]:
        dirs = ", ".join(printable(d) for d in w["directories"])
        lines.append(
            f"  wave {w['index']}  {_wave_label(w)}  earliest {w['earliest']}  "
            f"[{_wave_state(w)}]  {dirs}"
        )
    for s in doc.get("stages", []):
        soak = "soak met" if s["soak_met"] else f"soak until {s['soak_until'] or '-'}"
        lines.append(
            f"  stage {s['name']}: {s['done']}/{s['directories']} done"
            + (f", completed {s['completed']}, {soak}" if s["completed"] else "")
        )
    if "directories" in doc:
        lines.append("directories:")
        for d in doc["directories"]:
            since = f" since {d['since']}" if d["since"] else " (landing date unknown)"
            lines.append(
                f"  {printable(d['path'])} [{d['stage']}]: {printable(d['version'] or '-')}{since}"
            )
    nxt = doc["next_wave"]
    lines.append(f"next wave: {_next(doc)}" if nxt is not None else "rollout complete")
    lines += [f"note: {printable(n)}" for n in doc["notes"]]
    return guard_log_lines("\n".join(lines) + "\n")


def _markdown(doc: Mapping[str, Any]) -> str:
    from depguard.render.markdown import md_code, md_text

    out = [
        f"### Rollout of {md_code(doc['dependency'])} to {md_code(doc['to'] or '-')}",
        "",
        "| Wave | Stage | Earliest | State | Directories |",
        "| --- | --- | --- | --- | --- |",
    ]
    for w in doc["waves"]:
        dirs = "<br>".join(md_code(d) for d in w["directories"])
        out.append(
            f"| {w['index']} | {md_text(_wave_label(w))} | {w['earliest']} | "
            f"{md_text(_wave_state(w))} | {dirs} |"
        )
    if doc.get("stages"):
        out += ["", "| Stage | Done | Completed | Soak until |", "| --- | --- | --- | --- |"]
        for s in doc["stages"]:
            out.append(
                f"| {md_text(s['name'])} | {s['done']}/{s['directories']} | "
                f"{s['completed'] or '—'} | {s['soak_until'] or '—'}"
                f"{' ✓' if s['soak_met'] else ''} |"
            )
    nxt = doc["next_wave"]
    out += ["", f"Next wave: {md_text(_next(doc))}." if nxt is not None else "Rollout complete."]
    out += [f"- {md_text(n)}" for n in doc["notes"]]
    return guard_log_lines("\n".join(out) + "\n")


def render_document(doc: Mapping[str, Any], fmt: str) -> str:
    """``doc`` as ``json``, ``markdown`` or text (any other format name)."""
    if fmt == "json":
        return _json(doc)
    if fmt == "markdown":
        return _markdown(doc)
    return _text(doc)


def render_plan(plan: Plan, fmt: str, *, start: date) -> str:
    return render_document(plan_document(plan, start=start), fmt)


def render_status(
    plan: Plan,
    workspace: Workspace,
    landed: Mapping[str, Landed],
    stages: Sequence[StageState],
    fmt: str,
    *,
    start: date,
    now: datetime,
) -> str:
    return render_document(
        status_document(plan, workspace, landed, stages, start=start, now=now), fmt
    )


def matrix_json(plan: Plan, workspace: Workspace, wave: int) -> str:
    """The wave's directories as tfaction ``list-targets`` ``targets`` (one JSON line, for
    ``$GITHUB_OUTPUT``): ``target``, ``working_directory``, ``runs_on``, ``job_type``,
    ``skip_terraform``. Raises ``ValueError`` for a wave that does not exist."""
    chosen = next((w for w in plan.waves if w.index == wave), None)
    if chosen is None:
        raise ValueError(f"wave {wave} does not exist (the plan has {len(plan.waves)} waves)")
    by_path = {t.path: t for t in workspace.targets}
    targets = [
        {
            "target": by_path[d].target,
            "working_directory": d,
            "runs_on": "ubuntu-latest",
            "job_type": "terraform",
            "skip_terraform": False,
        }
        for d in chosen.directories
    ]
    return guard_json_text(json.dumps(targets, separators=(",", ":"), ensure_ascii=False)) + "\n"
