"""aqua commands: ``tools resolve``, ``tools verify``, ``checksums update``, ``trust update``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from depguard.cli.options import GlobalOptions
from depguard.cli.params import Jobs, ShardOption

if TYPE_CHECKING:
    from depguard.aqua.platform import AquaPlatform

_PATHS_HELP = "Directories or aqua configs (default: the current directory)."


def register(app: typer.Typer) -> None:
    tools = typer.Typer(
        name="tools",
        help="aqua-pinned CLI tools: what each package resolves to, and verifying a download.",
        no_args_is_help=True,
    )
    tools.command(
        "resolve",
        help="Print, per aqua package and platform, the download URL, the aqua checksum id "
        "and the evidence its registry entry declares (checksum file, cosign, SLSA, GitHub "
        "attestation, minisign). Platforms are the ones `aqua update-checksum` covers "
        "(`checksum.supported_envs`), or --platform.",
    )(tools_resolve)
    tools.command(
        "verify",
        help="Verify a downloaded FILE of an aqua package: its aqua-checksums.json entry, the "
        "upstream checksum file and every signature the registry entry declares, in-process "
        "(no cosign, slsa-verifier, minisign or gh binaries). For install steps.",
    )(tools_verify)
    app.add_typer(tools)

    checksums = typer.Typer(
        name="checksums",
        help="aqua-checksums.json maintenance.",
        no_args_is_help=True,
    )
    checksums.command(
        "update",
        help="Add the aqua-checksums.json entries `aqua update-checksum` would add, for every "
        "platform in `checksum.supported_envs`, byte-identical to aqua's file, but only "
        "checksums upstream vouches for: a checksum file whose declared signatures verify, or "
        "an asset whose declared signatures verify. Anything else needs --allow-tofu. A file "
        "is written only when all its entries could be established.",
    )(checksums_update)
    app.add_typer(checksums)

    trust = typer.Typer(name="trust", help="The pinned Sigstore trust root.", no_args_is_help=True)
    trust.command(
        "update",
        help="Refresh the pinned Sigstore trusted_root.json online through Sigstore's TUF "
        "repository (verified with TUF), write it atomically and print what changed.",
    )(trust_update)
    trust.command("show", help="Print what the pinned Sigstore trusted root contains.")(trust_show)
    app.add_typer(trust)


def _platforms(values: list[str] | None) -> list[AquaPlatform] | None:
    if not values:
        return None
    from depguard.aqua.platform import AquaPlatform

    out: list[AquaPlatform] = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                out.append(AquaPlatform.parse(part))
    return out


def tools_resolve(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(metavar="[PATH]...", help=_PATHS_HELP)
    ] = None,
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform",
            metavar="OS/ARCH",
            envvar="DEPGUARD_AQUA_PLATFORM",
            help="Resolve for this platform (repeatable; default: the platforms aqua "
            "update-checksum covers for each config).",
            show_default=False,
        ),
    ] = None,
    jobs: Jobs = 8,
) -> None:
    from depguard.cli.options import resolve_paths
    from depguard.cli.runtime import Runtime
    from depguard.engine.aqua import plan
    from depguard.render.tools import render_tools

    opts: GlobalOptions = ctx.obj
    targets = resolve_paths(paths)
    runtime = Runtime.create(opts, start=targets[0], jobs=jobs)
    result = plan(
        targets,
        config=runtime.config,
        upstream=runtime.aqua_upstream(),
        platforms_override=_platforms(platform),
    )
    runtime.progress.done()
    text, code = render_tools(result, opts.output_format.value)
    opts.emit_text(text)
    raise typer.Exit(code)


def tools_verify(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="The downloaded artifact.", exists=True, dir_okay=False
        ),
    ],
    package: Annotated[
        str,
        typer.Option(
            "--package",
            metavar="OWNER/REPO@VERSION",
            envvar="DEPGUARD_PACKAGE",
            help="The aqua package and version FILE is an artifact of.",
        ),
    ],
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform",
            metavar="OS/ARCH",
            envvar="DEPGUARD_AQUA_PLATFORM",
            help="Platform FILE is for (default: this machine's).",
            show_default=False,
        ),
    ] = None,
    aqua_config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="AQUA_YAML",
            envvar="DEPGUARD_AQUA_CONFIG",
            help="The aqua config that pins the package (default: the nearest aqua.yaml "
            "from the current directory up, as aqua finds it). Global options go before "
            "`tools` here, so `--config` after this command is the aqua config.",
            show_default=False,
        ),
    ] = None,
) -> None:
    from depguard.aqua.platform import AquaPlatform, host_platform
    from depguard.cli.runtime import Runtime
    from depguard.engine.aqua import verify_tool_file

    opts: GlobalOptions = ctx.obj
    runtime = Runtime.create(opts, start=Path.cwd(), jobs=4)
    report = verify_tool_file(
        file,
        package=package,
        platform=AquaPlatform.parse(platform) if platform else host_platform(),
        aqua_config=aqua_config,
        config=runtime.config,
        upstream=runtime.aqua_upstream(),
    )
    raise typer.Exit(opts.emit(report))


def checksums_update(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(metavar="[PATH]...", help=_PATHS_HELP)
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            envvar="DEPGUARD_CHECK",
            help="Write nothing; exit 1 if any checksum file would change.",
        ),
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            envvar="DEPGUARD_PRUNE",
            help="Also remove entries no package or registry of the config uses (aqua -prune).",
        ),
    ] = False,
    allow_tofu: Annotated[
        bool,
        typer.Option(
            "--allow-tofu",
            envvar="DEPGUARD_ALLOW_TOFU",
            help="Record checksums nothing upstream vouches for (an asset with no checksum "
            "file and no signature, a registry's content): trust on first use, marked as such.",
        ),
    ] = False,
    corroborate: Annotated[
        bool,
        typer.Option(
            "--corroborate",
            envvar="DEPGUARD_CORROBORATE",
            help="Also compare every new sha256 entry with the digest GitHub records for the "
            "release asset (one API request per release); a disagreement is a finding.",
        ),
    ] = False,
    shard: ShardOption = None,
    jobs: Jobs = 32,
) -> None:
    import sys

    from depguard.cli.options import resolve_paths
    from depguard.cli.runtime import Runtime
    from depguard.engine.aqua import run_checksums_update
    from depguard.engine.shard import parse_shard, sharding
    from depguard.errors import EXIT_FINDINGS

    opts: GlobalOptions = ctx.obj
    targets = resolve_paths(paths)
    runtime = Runtime.create(opts, start=targets[0], jobs=jobs)
    with sharding(parse_shard(shard) if shard else None):
        result = run_checksums_update(
            targets,
            config=runtime.config,
            upstream=runtime.aqua_upstream(),
            check=check,
            prune=prune,
            allow_tofu=allow_tofu,
            corroborate=corroborate,
            progress=runtime.progress,
        )
    runtime.progress.done()
    if opts.verbosity >= 0:
        for c in result.changes:
            if c.new is None:
                line = f"{c.path}: - {c.id} (pruned)"
            else:
                how = f" [{c.trust}: {', '.join(c.evidence)}]" if c.evidence else ""
                line = f"{c.path}: + {c.id}{how}"
            print(line, file=sys.stderr)
        for shown in result.written:
            print(f"wrote {shown}", file=sys.stderr)
    code = opts.emit(result.report)
    if check and result.changes and code == 0:
        code = EXIT_FINDINGS
    raise typer.Exit(code)


def trust_update(
    ctx: typer.Context,
    output: Annotated[
        list[Path] | None,
        typer.Option(
            "--write",
            metavar="FILE",
            envvar="DEPGUARD_TRUST_WRITE",
            help="Where to write the refreshed trusted_root.json (repeatable; default: the "
            "pinned copy depguard uses, DEPGUARD_SIGSTORE_TRUSTED_ROOT or the shipped file, "
            "and the TUF root beside it).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", envvar="DEPGUARD_DRY_RUN", help="Print what would change; write nothing."
        ),
    ] = False,
    tuf_url: Annotated[
        str,
        typer.Option(
            "--tuf-url",
            metavar="URL",
            envvar="DEPGUARD_TUF_URL",
            help="The Sigstore TUF repository (a mirror, or a private Sigstore instance).",
        ),
    ] = "https://tuf-repo-cdn.sigstore.dev",
    tuf_root: Annotated[
        Path | None,
        typer.Option(
            "--tuf-root",
            metavar="FILE",
            envvar="DEPGUARD_TUF_ROOT",
            help="TUF root.json to start the update from (default: the pinned tuf-root.json).",
            show_default=False,
        ),
    ] = None,
) -> None:
    from depguard.cli.runtime import Runtime
    from depguard.verify.trust_root import pinned_root_paths, update_trusted_root

    opts: GlobalOptions = ctx.obj
    runtime = Runtime.create(opts, start=Path.cwd(), jobs=1)
    targets = list(output) if output else pinned_root_paths()
    tuf_targets = (
        [] if output else [p.with_name("tuf-root.json") for p in targets if p.parent.is_dir()]
    )
    changes = update_trusted_root(
        runtime.fetcher,
        [] if dry_run else targets,
        metadata_url=tuf_url,
        tuf_root=tuf_root,
        tuf_root_dest_paths=[] if dry_run else tuf_targets,
    )
    if not changes:
        opts.emit_text("The Sigstore trusted root is up to date.\n")
    else:
        verb = "would change" if dry_run else "changed"
        lines = [f"The Sigstore trusted root {verb}:"] + [f"  - {c}" for c in changes]
        if not dry_run:
            lines += [f"wrote {t}" for t in targets]
        opts.emit_text("\n".join(lines) + "\n")
    raise typer.Exit(0)


def trust_show(ctx: typer.Context) -> None:
    from depguard.verify.trust_root import describe_trusted_root, load_trusted_root

    opts: GlobalOptions = ctx.obj
    opts.emit_text("\n".join(describe_trusted_root(load_trusted_root())) + "\n")
    raise typer.Exit(0)
