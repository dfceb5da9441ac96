"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run. ``tool.driver.rules`` holds one ``reportingDescriptor`` per rule of the registry
(:data:`depguard.rules.ALL`, in registry order), so rule metadata has one source. Each
result carries ``ruleId``/``ruleIndex``, a level from the finding's (possibly configured)
severity, a repository-relative location and ``partialFingerprints`` so code scanning
tracks an alert across runs. Skipped items and notes become ``toolExecutionNotifications``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from depguard import rules
from depguard.model import Finding, Report, RuleId, Severity
from depguard.render import PROJECT_URL, RenderContext, guard_json_text, rule_help_uri
from depguard.rules.base import RuleMeta

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "depguard/v1"
SRCROOT = "%SRCROOT%"

#: SARIF ``level`` per severity (SARIF §3.27.10 has only error/warning/note/none).
LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

#: GitHub code scanning's ``security-severity`` score (0.0-10.0) per severity. GitHub maps
#: >= 9.0 to critical, >= 7.0 high, >= 4.0 medium, else low. Written as a numeric string, as
#: CodeQL does.
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _pascal(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("-"))


def _descriptor(meta: RuleMeta) -> dict[str, Any]:
    return {
        "id": meta.id,
        "name": _pascal(meta.id),
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": meta.help},
        "help": {"text": meta.help, "markdown": meta.help},
        "helpUri": rule_help_uri(meta.id),
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "tags": ["security", "supply-chain"],
        },
    }


def _uri(path: str) -> str:
    # A SARIF artifact URI is a URI reference: percent-encode spaces, '%', '#', '?', non-ASCII.
    return quote(path, safe="/")


def _location(f: Finding) -> dict[str, Any]:
    # GitHub rejects a result without a location ("expected at least one location"), so a
    # finding without a path points at the repository root.
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": _uri(f.path) if f.path else ".", "uriBaseId": SRCROOT}
    }
    if f.path and f.line:
        physical["region"] = {"startLine": f.line}
    return {"physicalLocation": physical}


def _result(f: Finding, index: Mapping[RuleId, int]) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": f.rule}
    if f.rule in index:  # a rule unknown to this build (e.g. a merged newer report) has none
        result["ruleIndex"] = index[f.rule]
    result |= {
        "level": LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [_location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"severity": f.severity.label}
        | ({"subject": f.subject} if f.subject else {}),
    }
    return result


def _notifications(report: Report) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in report.skipped:
        note: dict[str, Any] = {
            "level": "warning",
            "message": {"text": f"skipped {s.subject}: {s.reason}"},
        }
        if s.path:
            note["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(s.path), "uriBaseId": SRCROOT}
                    }
                }
            ]
        out.append(note)
    out += [{"level": "note", "message": {"text": n}} for n in report.notes]
    return out


def sarif_document(report: Report, ctx: RenderContext) -> dict[str, Any]:
    """Return the SARIF 2.1.0 log of ``report`` as a JSON-ready mapping (sorted results)."""
    report = report.sorted()
    index = {meta.id: i for i, meta in enumerate(rules.ALL)}
    invocation: dict[str, Any] = {"executionSuccessful": True}
    notifications = _notifications(report)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "depguard",
                        "version": ctx.tool_version,
                        "informationUri": PROJECT_URL,
                        "rules": [_descriptor(meta) for meta in rules.ALL],
                    }
                },
                "invocations": [invocation],
                "results": [_result(f, index) for f in report.findings],
            }
        ],
    }


def render_sarif(report: Report, ctx: RenderContext) -> str:
    """Return ``report`` as SARIF 2.1.0 JSON text with a trailing newline."""
    text = json.dumps(sarif_document(report, ctx), indent=2, ensure_ascii=False)
    return guard_json_text(text) + "\n"
