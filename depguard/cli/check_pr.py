"""``depguard check-pr --base REV --head REV [--repo DIR] [--event FILE]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depguard.cli.options import GlobalOptions


def register(app: typer.Typer) -> None:
    app.command(
        "check-pr",
        help="Judge a pull request as data: read the changed files between --base and --head "
        "as git objects (nothing is checked out or run), extract every dependency change "
        "(aqua, lock files, .tf, .terraform-version, workflow uses:) and check it against the "
        "trust policy and the rules for Renovate PRs; then verify the head state of every "
        "touched directory against signed upstream data, like `verify`. Output lists every "
        "change (from -> to, evidence, release age) and the findings; with --format markdown "
        "it is a PR comment, and in GitHub Actions the same comment is added to "
        "$GITHUB_STEP_SUMMARY.",
    )(check_pr)


def check_pr(
    ctx: typer.Context,
    base: Annotated[
        str,
        typer.Option("--base", metavar="REV", envvar="DEPGUARD_BASE", help="The base revision."),
    ],
    head: Annotated[
        str,
        typer.Option("--head", metavar="REV", envvar="DEPGUARD_HEAD", help="The PR's head."),
    ],
    repo: Annotated[
        Path,
        typer.Option(
            "--repo",
            metavar="DIR",
            envvar="DEPGUARD_REPO",
            help="The git repository holding both revisions (default: the current directory).",
        ),
    ] = Path(),
    event: Annotated[
        Path | None,
        typer.Option(
            "--event",
            metavar="FILE",
            envvar="DEPGUARD_EVENT",
            help="The GitHub pull_request(_target) event JSON (author, branch, body); in a "
            'workflow: --event "$GITHUB_EVENT_PATH".',
            show_default=False,
        ),
    ] = None,
    no_verify: Annotated[
        bool,
        typer.Option(
            "--no-verify",
            envvar="DEPGUARD_NO_VERIFY",
            help="Only the PR rules; do not verify the PR's new hashes and checksums against "
            "upstream (when `depguard verify` runs on the head as a separate step).",
        ),
    ] = False,
    no_package_hashes: Annotated[
        bool,
        typer.Option(
            "--no-package-hashes",
            envvar="DEPGUARD_NO_PACKAGE_HASHES",
            help="Do not download the signed packages of lock entries the PR adds h1: hashes "
            "to (by default they are hashed, as `verify --deep` does, so that a forged h1: "
            "cannot pass); their zh: hashes are still checked.",
        ),
    ] = False,
) -> None:
    from depguard.cli.runtime import Runtime
    from depguard.errors import InputError
    from depguard.formats.renovate import parse_event
    from depguard.prcheck.engine import run_check_pr
    from depguard.util.text import decode_utf8

    opts: GlobalOptions = ctx.obj
    runtime = Runtime.create(opts, start=repo, jobs=8)
    pr_event = None
    if event is not None:
        try:
            raw = event.read_bytes()
        except OSError as e:
            raise InputError(str(event), f"cannot read: {e.strerror}") from e
        pr_event = parse_event(decode_utf8(raw, str(event)), str(event))
    report = run_check_pr(
        repo,
        base,
        head,
        event=pr_event,
        config=runtime.config,
        upstream=None if no_verify else runtime.upstream(),
        aqua=None if no_verify else runtime.aqua_upstream(),
        progress=runtime.progress,
        package_hashes=not no_package_hashes,
    )
    runtime.progress.done()
    opts.step_summary(report)
    raise typer.Exit(opts.emit(report))
