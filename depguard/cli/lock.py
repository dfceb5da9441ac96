"""``depguard lock [PATH...]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depguard.cli.options import GlobalOptions
from depguard.cli.params import Jobs, ShardOption


def register(app: typer.Typer) -> None:
    app.command(
        "lock",
        help="Write complete, verified .terraform.lock.hcl files for every state directory "
        "under PATH and every configured platform, byte-identical to `terraform providers "
        "lock`. Packages come from the origin registry (signed SHA256SUMS, trusted signer "
        "required) unless --fs-mirror or --net-mirror is given. --check writes nothing and "
        "exits 1 when a file would change.",
    )(lock)


def lock(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH]...",
            help="Directories or lock files (default: the current directory).",
        ),
    ] = None,
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform",
            metavar="OS_ARCH",
            envvar="DEPGUARD_PLATFORM",
            help="Target platform (os_arch; repeatable; default: `platforms` from depguard.yaml).",
            show_default=False,
        ),
    ] = None,
    upgrade: Annotated[
        bool,
        typer.Option(
            "--upgrade",
            envvar="DEPGUARD_UPGRADE",
            help="Select the newest allowed version even if one is locked.",
        ),
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            envvar="DEPGUARD_CHECK",
            help="Write nothing; exit 1 if any lock file would change.",
        ),
    ] = False,
    fs_mirror: Annotated[
        Path | None,
        typer.Option(
            "--fs-mirror",
            envvar="DEPGUARD_FS_MIRROR",
            metavar="DIR",
            help="Take packages from this filesystem mirror (packed or unpacked layout).",
            show_default=False,
        ),
    ] = None,
    net_mirror: Annotated[
        str | None,
        typer.Option(
            "--net-mirror",
            envvar="DEPGUARD_NET_MIRROR",
            metavar="URL",
            help="Take packages from this network mirror (https base URL).",
            show_default=False,
        ),
    ] = None,
    use_cli_config: Annotated[
        bool,
        typer.Option(
            "--use-cli-config",
            envvar="DEPGUARD_USE_CLI_CONFIG",
            help="Take packages the way `terraform init` does: through the Terraform CLI "
            "config's provider_installation methods (mirrors, direct) instead of the origin "
            "registry, as `terraform providers lock` does.",
        ),
    ] = False,
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider",
            metavar="ADDRESS",
            help="Only lock this provider (source address; repeatable).",
            show_default=False,
        ),
    ] = None,
    shard: ShardOption = None,
    jobs: Jobs = 8,
) -> None:
    from depguard.cli.options import parse_platforms, resolve_paths
    from depguard.cli.runtime import Runtime
    from depguard.engine.lock import Locker, LockOptions, run_lock
    from depguard.engine.shard import parse_shard, sharding
    from depguard.errors import EXIT_FINDINGS, ConfigError, InputError
    from depguard.formats.tf_address import parse_provider_source
    from depguard.util.atomic import write_atomic

    opts: GlobalOptions = ctx.obj
    if sum((fs_mirror is not None, net_mirror is not None, use_cli_config)) > 1:
        raise ConfigError("use only one of --fs-mirror, --net-mirror and --use-cli-config")
    targets = resolve_paths(paths)
    runtime = Runtime.create(opts, start=targets[0], jobs=jobs)
    upstream = runtime.upstream()
    source = runtime.provider_source(
        upstream, fs_mirror=fs_mirror, net_mirror=net_mirror, use_cli_config=use_cli_config
    )
    restrict = []
    for text in provider or ():
        try:
            restrict.append(parse_provider_source(text))
        except ValueError as e:
            raise ConfigError(f"--provider {text!r}: {e}") from None
    options = LockOptions(
        paths=targets,
        platforms=parse_platforms(platform, runtime.config.platforms),
        upgrade=upgrade,
        check=check,
        providers=tuple(restrict),
    )
    locker = Locker(
        source=source, upstream=upstream, config=runtime.config, progress=runtime.progress
    )
    with sharding(parse_shard(shard) if shard else None):
        result, writes = run_lock(options, locker=locker, config=runtime.config)
    runtime.progress.done()
    if not check:
        for path, text in writes.items():
            try:
                write_atomic(path, text)
            except OSError as e:
                raise InputError(str(path), f"cannot write the lock file: {e.strerror}") from e
    code = opts.emit(result.report)
    if check and result.would_change and code == 0:
        code = EXIT_FINDINGS
    raise typer.Exit(code)
