"""The versioned JSON report (DESIGN.md §1, schema ``depguard.report/v1``) and its inverse.

Key order is fixed and documented; fields are only ever added, never renamed. ``path`` on
skipped and checked entries, the top-level ``notes`` and ``changes`` (``check-pr``: one object
per dependency change, keys as :class:`~depguard.model.Change`) appear only when non-empty.
:func:`load_report` reads the document back (``depguard merge`` combines shard reports).
"""

from __future__ import annotations

import json
from typing import Any

from depguard.errors import InputError
from depguard.model import Change, Checked, Finding, Report, RuleId, Severity, Skip
from depguard.render import RenderContext, guard_json_text
from depguard.util.text import parse_json

SCHEMA = "depguard.report/v1"


def report_to_dict(report: Report, ctx: RenderContext) -> dict[str, Any]:
    """Return the JSON-ready mapping of ``report`` (sorted), keys in their documented order."""
    report = report.sorted()
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "command": report.command,
        "tool_version": ctx.tool_version,
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity.label,
                "message": f.message,
                "path": f.path,
                "line": f.line,
                "subject": f.subject,
                "fingerprint": f.fingerprint,
            }
            for f in report.findings
        ],
        "skipped": [
            {"subject": s.subject, "reason": s.reason} | ({"path": s.path} if s.path else {})
            for s in report.skipped
        ],
        "checked": [
            {"subject": c.subject, "evidence": list(c.evidence)}
            | ({"path": c.path} if c.path else {})
            for c in report.checked
        ],
        "summary": {
            "checked": len(report.checked),
            "findings": len(report.findings),
            "skipped": len(report.skipped),
        },
    }
    if report.notes:
        doc["notes"] = list(report.notes)
    if report.changes:
        doc["changes"] = [
            {
                "kind": c.kind,
                "name": c.name,
                "path": c.path,
                "line": c.line,
                "old": c.old,
                "new": c.new,
                "old_source": c.old_source,
                "new_source": c.new_source,
                "hashes": c.hashes,
                "status": c.status,
                "evidence": list(c.evidence),
                "released": c.released,
                "age": c.age,
            }
            for c in report.changes
        ]
    return doc


def render_json(report: Report, ctx: RenderContext) -> str:
    """Return ``report`` as indented JSON text with a trailing newline.

    Non-ASCII characters are written as themselves; ``##[`` inside strings is written as
    ``##\\u005b`` so that printing the document in a GitHub Actions log runs no command.
    """
    text = json.dumps(report_to_dict(report, ctx), indent=2, sort_keys=False, ensure_ascii=False)
    return guard_json_text(text) + "\n"


# --- reading ------------------------------------------------------------------------------


class _Invalid(Exception):
    """Internal: a shape error, turned into :class:`InputError` with the display path."""


def _obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"{where} must be an object")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Invalid(f"{where} must be an array")
    return value


def _str(doc: dict[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    if key not in doc and default is not None:
        return default
    value = doc.get(key)
    if not isinstance(value, str):
        raise _Invalid(f"{where}.{key} must be a string")
    return value


def _line(doc: dict[str, Any], where: str) -> int | None:
    value = doc.get("line")
    if value is None:
        return None
    # bool is an int subclass; true/false is not a line number.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid(f"{where}.line must be a positive integer or null")
    return value


def _finding(raw: object, where: str) -> Finding:
    doc = _obj(raw, where)
    try:
        severity = Severity.parse(_str(doc, "severity", where))
    except ValueError as e:
        raise _Invalid(f"{where}.severity: {e}") from None
    return Finding(
        rule=RuleId(_str(doc, "rule", where)),
        severity=severity,
        message=_str(doc, "message", where),
        path=_str(doc, "path", where),
        line=_line(doc, where),
        subject=_str(doc, "subject", where, default=""),
        fingerprint=_str(doc, "fingerprint", where, default=""),
    )


def _skip(raw: object, where: str) -> Skip:
    doc = _obj(raw, where)
    return Skip(
        subject=_str(doc, "subject", where),
        reason=_str(doc, "reason", where),
        path=_str(doc, "path", where, default=""),
    )


def _checked(raw: object, where: str) -> Checked:
    doc = _obj(raw, where)
    evidence = _list(doc.get("evidence"), f"{where}.evidence")
    if not all(isinstance(e, str) for e in evidence):
        raise _Invalid(f"{where}.evidence must be an array of strings")
    return Checked(
        subject=_str(doc, "subject", where),
        evidence=tuple(evidence),
        path=_str(doc, "path", where, default=""),
    )


def _opt_str(doc: dict[str, Any], key: str, where: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise _Invalid(f"{where}.{key} must be a string or null")
    return value


def _change(raw: object, where: str) -> Change:
    doc = _obj(raw, where)
    evidence = _list(doc.get("evidence", []), f"{where}.evidence")
    if not all(isinstance(e, str) for e in evidence):
        raise _Invalid(f"{where}.evidence must be an array of strings")
    return Change(
        kind=_str(doc, "kind", where),
        name=_str(doc, "name", where),
        path=_str(doc, "path", where),
        line=_line(doc, where),
        old=_opt_str(doc, "old", where),
        new=_opt_str(doc, "new", where),
        old_source=_opt_str(doc, "old_source", where),
        new_source=_opt_str(doc, "new_source", where),
        hashes=_str(doc, "hashes", where, default=""),
        status=_str(doc, "status", where, default="n/a"),
        evidence=tuple(evidence),
        released=_opt_str(doc, "released", where),
        age=_opt_str(doc, "age", where),
    )


def _report(doc: dict[str, Any]) -> Report:
    schema = doc.get("schema")
    if schema != SCHEMA:
        raise _Invalid(f"schema is {schema!r}, expected {SCHEMA!r}")
    findings = tuple(
        _finding(f, f"findings[{i}]") for i, f in enumerate(_list(doc.get("findings"), "findings"))
    )
    skipped = tuple(
        _skip(s, f"skipped[{i}]") for i, s in enumerate(_list(doc.get("skipped"), "skipped"))
    )
    checked = tuple(
        _checked(c, f"checked[{i}]") for i, c in enumerate(_list(doc.get("checked"), "checked"))
    )
    notes = _list(doc.get("notes", []), "notes")
    if not all(isinstance(n, str) for n in notes):
        raise _Invalid("notes must be an array of strings")
    summary = _obj(doc.get("summary"), "summary")
    # The counts are redundant; a mismatch means the document was cut or edited.
    for key, items in (("checked", checked), ("findings", findings), ("skipped", skipped)):
        if summary.get(key) != len(items):
            raise _Invalid(
                f"summary.{key} is {summary.get(key)!r} but the report lists {len(items)}"
            )
    changes = tuple(
        _change(c, f"changes[{i}]") for i, c in enumerate(_list(doc.get("changes", []), "changes"))
    )
    return Report(
        command=_str(doc, "command", "report"),
        findings=findings,
        skipped=skipped,
        checked=checked,
        notes=tuple(notes),
        changes=changes,
    )


def load_report(text: str, *, path: str = "<report>") -> Report:
    """Parse a ``depguard.report/v1`` JSON document back into a :class:`Report`.

    ``path`` names the document in error messages. Unknown keys are ignored (v1 only grows);
    fingerprints are kept as written. Returns the report sorted as renderers sort it.
    Raises :class:`~depguard.errors.InputError` when the text is not JSON, the schema string
    is not ``depguard.report/v1``, or a field has the wrong type or value.
    """
    raw = parse_json(text, path)
    try:
        return _report(_obj(raw, "report")).sorted()
    except _Invalid as e:
        raise InputError(path, f"not a {SCHEMA} document: {e}") from None
