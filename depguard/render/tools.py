"""Output of ``depguard tools resolve`` (schema ``depguard.tools/v1``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from depguard.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, ConfigError

if TYPE_CHECKING:
    from depguard.engine.aqua import AquaPlan

SCHEMA = "depguard.tools/v1"


def tools_document(plan: AquaPlan) -> tuple[dict[str, Any], int]:
    """The JSON document and the exit code (2 when a package could not be resolved from the
    repository's files, 3 when its registry could not be fetched, else 0)."""
    packages: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    code = EXIT_OK
    for p in plan.packages:
        base = {"name": p.ref.name, "version": p.ref.version, "registry": p.ref.registry}
        if p.skip is not None:
            errors.append({**base, "error": p.skip})
            code = max(code, EXIT_INCOMPLETE)
            continue
        if not p.artifacts:
            problems = [f.message for f in p.findings if f.rule == "invalid-manifest"]
            if problems:
                errors.append({**base, "error": "; ".join(problems)})
                code = max(code, EXIT_USAGE)
            continue
        for a in p.artifacts:
            item: dict[str, Any] = {
                **base,
                "config": p.state.display,
                "platform": str(a.platform),
                "supported": a.supported,
            }
            if a.supported:
                item["type"] = a.type
                item["url"] = a.url
                item["checksum_id"] = a.checksum_id
                item["evidence"] = list(a.evidence)
            if a.reason:
                item["reason"] = a.reason
            packages.append(item)
    for f in plan.findings:
        if f.rule == "invalid-manifest" and not any(f.message in e["error"] for e in errors):
            errors.append({"path": f.path, "line": f.line, "error": f.message})
            code = max(code, EXIT_USAGE)
    doc: dict[str, Any] = {"schema": SCHEMA, "packages": packages}
    if errors:
        doc["errors"] = errors
    return doc, code


def render_tools(plan: AquaPlan, fmt: str) -> tuple[str, int]:
    """Render ``tools resolve`` output as ``text``, ``markdown`` or ``json``."""
    doc, code = tools_document(plan)
    if fmt == "json":
        return json.dumps(doc, indent=2, sort_keys=False) + "\n", code
    if fmt not in ("text", "markdown"):
        raise ConfigError(
            f"--format {fmt} is not available for `tools resolve` (use text, markdown or json)"
        )
    lines: list[str] = []
    if fmt == "markdown":
        lines += [
            "| package | version | platform | url | checksum id | evidence |",
            "|---|---|---|---|---|---|",
        ]
    for item in doc["packages"]:
        ev = ", ".join(item.get("evidence", ())) or "none"
        if fmt == "markdown":
            url = item.get("url") or f"unsupported: {item.get('reason', '')}"
            lines.append(
                f"| {item['name']} | {item['version']} | {item['platform']} | {url} | "
                f"{item.get('checksum_id') or '-'} | {ev} |"
            )
            continue
        head = f"{item['name']} {item['version']} {item['platform']}"
        if not item["supported"]:
            lines.append(f"{head}: unsupported ({item.get('reason', '')})")
            continue
        lines.append(head)
        lines.append(f"  url:         {item['url']}")
        lines.append(
            f"  checksum id: {item.get('checksum_id') or '- (' + item.get('reason', '') + ')'}"
        )
        lines.append(f"  evidence:    {ev}")
    for err in doc.get("errors", ()):
        where = err.get("name") or err.get("path")
        lines.append(f"error: {where}: {err['error']}")
    return "\n".join(lines) + ("\n" if lines else ""), code
