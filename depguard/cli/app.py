"""The typer application: global options and command registration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depguard import __version__
from depguard.cli.options import GlobalOptions, OutputFormatName

HELP = """\
depguard keeps automated dependency updates in Terraform/IaC monorepos safe.

It verifies .terraform.lock.hcl files against the providers' signed upstream data and
aqua-checksums.json entries against the checksum files and signatures their aqua registry
declares, writes complete lock and checksum files for every platform, and reports what it
checked and how.

Exit codes: 0 nothing at or above --fail-on; 1 findings; 2 usage, config or unreadable
input; 3 a check could not be performed (network failure, unsupported signature kind,
or skipped checks without --allow-skips).
"""


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"depguard {__version__}")
        raise typer.Exit(0)


def _callback(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            envvar="DEPGUARD_CONFIG",
            help="Policy file (default: ./depguard.yaml when present).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormatName,
        typer.Option(
            "--format",
            metavar="text|json|markdown|sarif|github|html",
            envvar="DEPGUARD_FORMAT",
            help="Output format (html: `report` only).",
            case_sensitive=False,
        ),
    ] = OutputFormatName.text,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            metavar="FILE",
            envvar="DEPGUARD_OUTPUT",
            help="Write the report to FILE (atomically) instead of standard output.",
            show_default=False,
        ),
    ] = None,
    offline: Annotated[
        bool | None,
        typer.Option(
            "--offline/--online",
            help="Use only the cache and snapshot directories; never open a connection "
            "(default: DEPGUARD_OFFLINE, else `offline` in depguard.yaml, else online).",
            show_default=False,
        ),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            metavar="DIR",
            help="Cache directory (default: DEPGUARD_CACHE_DIR, else `cache_dir` in "
            "depguard.yaml, else the user cache dir).",
            show_default=False,
        ),
    ] = None,
    snapshot: Annotated[
        list[Path] | None,
        typer.Option(
            "--snapshot",
            metavar="DIR",
            help="Directory of stored upstream responses (<host>/<path>) to read like a "
            "cache when offline. Repeatable; adds to DEPGUARD_SNAPSHOT_DIRS and "
            "`snapshot_dirs` in depguard.yaml.",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            envvar="DEPGUARD_FAIL_ON",
            help="Lowest severity that makes the exit code 1: info, low, medium, high, critical.",
        ),
    ] = "medium",
    allow_skips: Annotated[
        bool,
        typer.Option(
            "--allow-skips",
            envvar="DEPGUARD_ALLOW_SKIPS",
            help="Do not exit 3 when some checks had to be skipped.",
        ),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            envvar="DEPGUARD_VERBOSE",
            help="More detail (repeatable).",
        ),
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", envvar="DEPGUARD_QUIET", help="Only findings.")
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="Never colour output (also when NO_COLOR is set).")
    ] = False,
    version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = None,
) -> None:
    ctx.obj = GlobalOptions.from_cli(
        config=config,
        output_format=output_format,
        output=output,
        offline=offline,
        cache_dir=cache_dir,
        snapshot_dirs=tuple(snapshot or ()),
        fail_on=fail_on,
        allow_skips=allow_skips,
        verbosity=-1 if quiet else verbose,
        no_color=no_color,
    )


def build_app() -> typer.Typer:
    """Return the configured typer application (commands imported here, bodies lazily)."""
    from depguard.cli import aqua as aqua_cmd
    from depguard.cli import check_pr as check_pr_cmd
    from depguard.cli import init as init_cmd
    from depguard.cli import lock as lock_cmd
    from depguard.cli import merge as merge_cmd
    from depguard.cli import report as report_cmd
    from depguard.cli import rollout as rollout_cmd
    from depguard.cli import verify as verify_cmd

    app = typer.Typer(
        name="depguard",
        help=HELP,
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_callback)
    verify_cmd.register(app)
    lock_cmd.register(app)
    aqua_cmd.register(app)
    check_pr_cmd.register(app)
    rollout_cmd.register(app)
    init_cmd.register(app)
    report_cmd.register(app)
    merge_cmd.register(app)
    return app
