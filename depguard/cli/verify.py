"""``depguard verify [PATH...]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depguard.cli.options import GlobalOptions
from depguard.cli.params import Jobs, ShardOption


def register(app: typer.Typer) -> None:
    app.command(
        "verify",
        help="Check every .terraform.lock.hcl and aqua config under PATH against signed "
        "upstream data and the trust policy. Default mode checks every zh: hash against the "
        "signed SHA256SUMS and every aqua-checksums.json entry against the upstream checksum "
        "file (after its declared signatures verify) without downloading packages; --deep "
        "also downloads and hashes every package (h1: hashes, asset-level signatures).",
    )(verify)


def verify(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH]...",
            help="Directories or lock files (default: the current directory).",
        ),
    ] = None,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            envvar="DEPGUARD_DEEP",
            help="Download every signed package and check h1: hashes too.",
        ),
    ] = False,
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform",
            metavar="OS_ARCH",
            envvar="DEPGUARD_PLATFORM",
            help="Platform that must be covered (os_arch; repeatable; default: "
            "`platforms` from depguard.yaml).",
            show_default=False,
        ),
    ] = None,
    shard: ShardOption = None,
    jobs: Jobs = 8,
) -> None:
    from depguard.cli.options import parse_platforms, resolve_paths
    from depguard.cli.runtime import Runtime
    from depguard.engine.shard import parse_shard, sharding
    from depguard.engine.verify import VerifyOptions, run_verify

    opts: GlobalOptions = ctx.obj
    targets = resolve_paths(paths)
    runtime = Runtime.create(opts, start=targets[0], jobs=jobs)
    options = VerifyOptions(
        paths=targets,
        platforms=parse_platforms(platform, runtime.config.platforms),
        deep=deep,
    )
    with sharding(parse_shard(shard) if shard else None):
        report = run_verify(
            options,
            config=runtime.config,
            upstream=runtime.upstream(),
            aqua=runtime.aqua_upstream(),
            progress=runtime.progress,
        )
    runtime.progress.done()
    raise typer.Exit(opts.emit(report))
