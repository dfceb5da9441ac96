"""``depguard merge REPORT.json...``: one report from the shards of a ``--shard I/N`` run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depguard.cli.options import GlobalOptions


def register(app: typer.Typer) -> None:
    app.command(
        "merge",
        help="Combine the JSON reports of `--shard I/N` runs (matrix jobs of `verify`, `lock`, "
        "`checksums update`, `check-pr` or `report`) into one report, in any --format, with "
        "the exit code the whole run would have had. All inputs must come from the same "
        "command.",
    )(merge)


def merge(
    ctx: typer.Context,
    reports: Annotated[
        list[Path],
        typer.Argument(metavar="REPORT.json...", help="JSON reports (--format json) of shards."),
    ],
) -> None:
    from depguard import __version__
    from depguard.cli.options import OutputFormatName
    from depguard.errors import ConfigError, InputError
    from depguard.model import Report
    from depguard.render.json import SCHEMA as REPORT_SCHEMA
    from depguard.render.json import load_report
    from depguard.report import model as upgrade
    from depguard.util.text import decode_utf8, parse_json

    opts: GlobalOptions = ctx.obj
    texts: list[tuple[str, str]] = []
    for path in reports:
        try:
            texts.append((str(path), decode_utf8(path.read_bytes(), str(path))))
        except OSError as e:
            raise InputError(str(path), f"cannot read: {e.strerror}") from e
    schemas = set()
    docs = []
    for where, text in texts:
        doc = parse_json(text, where)
        schemas.add(doc.get("schema") if isinstance(doc, dict) else None)
        docs.append((where, doc))
    if len(schemas) != 1:
        raise ConfigError("merge: the reports have different schemas (from different commands)")
    (schema,) = schemas
    if schema == upgrade.SCHEMA:
        merged = upgrade.merge(
            tuple(upgrade.from_document(doc, where) for where, doc in docs), "merge"
        )
        fmt = opts.output_format
        if fmt is OutputFormatName.json:
            from depguard.report.render import render_json

            opts.emit_text(render_json(merged))
        elif fmt is OutputFormatName.html:
            from depguard.report.html import render_html

            opts.emit_text(render_html(merged, tool_version=__version__))
        else:
            from depguard.report.render import render_markdown

            opts.emit_text(render_markdown(merged, tool_version=__version__))
        return
    if schema != REPORT_SCHEMA:
        raise ConfigError(f"merge: unknown report schema {schema!r}")
    loaded = [load_report(text, path=where) for where, text in texts]
    commands = {r.command for r in loaded}
    if len(commands) != 1:
        raise ConfigError(f"merge: reports of different commands ({', '.join(sorted(commands))})")
    notes: dict[str, None] = {}
    for r in loaded:
        notes.update(dict.fromkeys(r.notes))
    report = Report(
        command=loaded[0].command,
        findings=tuple(f for r in loaded for f in r.findings),
        skipped=tuple(s for r in loaded for s in r.skipped),
        checked=tuple(c for r in loaded for c in r.checked),
        notes=tuple(notes),
        changes=tuple(c for r in loaded for c in r.changes),
    )
    raise typer.Exit(opts.emit(report))
