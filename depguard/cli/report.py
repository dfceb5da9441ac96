"""``depguard report [PATH...]``: the weekly upgrade report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depguard.cli.options import GlobalOptions
from depguard.cli.params import Jobs, ShardOption


def register(app: typer.Typer) -> None:
    app.command(
        "report",
        help="The weekly upgrade report: what is outdated and by how much (releases behind, "
        "age of the newest release, libyears), version skew between state directories and "
        "stages, verify's findings and skips, rollouts in progress, open Renovate PRs "
        "(--github-repository) and the trend against earlier runs. --format markdown (a "
        "GitHub issue body, the default for text), html (one self-contained page with "
        "charts) or json. Exits 0 unless it cannot run: it informs, `verify` gates.",
    )(report)


def report(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="[PATH]...", help="Directories (default: the current one)."),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            metavar="FILE",
            envvar="DEPGUARD_REPORT_HISTORY",
            help="Keep the trend in this JSON file (commit it or cache it in CI) instead of "
            "the SQLite history in the cache directory.",
            show_default=False,
        ),
    ] = None,
    no_history: Annotated[
        bool,
        typer.Option("--no-history", help="Neither read nor record earlier runs."),
    ] = False,
    github_repository: Annotated[
        str | None,
        typer.Option(
            "--github-repository",
            metavar="OWNER/REPO",
            envvar="DEPGUARD_GITHUB_REPOSITORY",
            help="List this repository's open Renovate PRs (GitHub API; a token in "
            "GITHUB_TOKEN avoids the rate limit).",
            show_default=False,
        ),
    ] = None,
    shard: ShardOption = None,
    jobs: Jobs = 8,
) -> None:
    from depguard import __version__
    from depguard.cli.options import OutputFormatName, resolve_paths
    from depguard.cli.runtime import Runtime
    from depguard.errors import ConfigError
    from depguard.prcheck.release_age import now
    from depguard.report import history as store
    from depguard.report.collect import ReportOptions, collect
    from depguard.report.render import render_json, render_markdown

    opts: GlobalOptions = ctx.obj
    fmt = opts.output_format
    if fmt in (OutputFormatName.sarif, OutputFormatName.github):
        raise ConfigError(f"--format {fmt.value}: the report is markdown, html or json")
    if github_repository is not None and github_repository.count("/") != 1:
        raise ConfigError(f"--github-repository {github_repository!r}: expected OWNER/REPO")
    targets = resolve_paths(paths)
    runtime = Runtime.create(opts, start=targets[0], jobs=jobs)
    from depguard.report.collect import report_base

    key = str(report_base(targets))
    cache_dir = runtime.cache.root
    earlier = (
        () if no_history or shard else store.load(file=history, cache_dir=cache_dir, repository=key)
    )
    from depguard.engine.shard import parse_shard, sharding

    part = parse_shard(shard) if shard else None
    if part is not None:
        no_history = True  # a shard is not a run: `depguard merge` combines them
    with sharding(part):
        result = collect(
            ReportOptions(
                paths=tuple(targets),
                now=now(),
                history=earlier,
                github_repository=github_repository,
                jobs=jobs,
            ),
            config=runtime.config,
            upstream=runtime.upstream(),
            aqua=runtime.aqua_upstream(),
            progress=runtime.progress,
        )
    runtime.progress.done()
    if not no_history:
        store.save(result.point(), file=history, cache_dir=cache_dir, repository=key)
    if fmt is OutputFormatName.json:
        text = render_json(result)
    elif fmt is OutputFormatName.html:
        from depguard.report.html import render_html

        text = render_html(result, tool_version=__version__)
    else:
        text = render_markdown(result, tool_version=__version__)
    opts.emit_text(text)
