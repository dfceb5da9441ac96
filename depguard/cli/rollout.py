"""``depguard rollout plan|status|matrix|renovate-rules|lint-renovate|apply``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from depguard.cli.options import GlobalOptions

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.rollout.model import Dependency, Workspace
    from depguard.rollout.planner import Plan, Wave

Repo = Annotated[
    Path,
    typer.Option(
        "--repo",
        metavar="DIR",
        envvar="DEPGUARD_REPO",
        help="The repository (default: the current directory).",
    ),
]
Dep = Annotated[
    str,
    typer.Argument(
        metavar="DEP",
        help="What to roll out: a provider (hashicorp/aws, registry.terraform.io/hashicorp/aws, "
        "provider:NS/TYPE), an aqua package (aqua:OWNER/REPO, or OWNER/REPO when unambiguous) "
        "or `terraform` (the CLI: required_version, .terraform-version, aqua "
        "hashicorp/terraform).",
    ),
]
To = Annotated[
    str | None,
    typer.Option(
        "--to",
        metavar="VERSION",
        help="The target version (default: the newest version a directory already runs).",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    rollout = typer.Typer(
        name="rollout",
        help="Staged rollouts of an upgrade across state directories (rollout.stages in "
        "depguard.yaml): plan the waves, track them from git history, make Renovate follow "
        "them, and apply one wave.",
        no_args_is_help=True,
    )
    rollout.command(
        "plan",
        help="Print the waves that take DEP to --to across the state directories that use it: "
        "stages in order, a canary wave first where configured, at most max_per_wave "
        "directories per wave, each wave's earliest start (the previous wave's completion + "
        "its stage's soak), approval stages marked. Deterministic (--start fixes day one).",
    )(plan_cmd)
    rollout.command(
        "status",
        help="Where the rollout of DEP stands on --rev (default HEAD): per directory the "
        "version and the day it landed (git history, first-parent), per stage completion and "
        "soak, and the next wave that may start.",
    )(status_cmd)
    rollout.command(
        "matrix",
        help="Print wave N's directories as a GitHub Actions matrix in tfaction's targets "
        "shape (one JSON line for $GITHUB_OUTPUT).",
    )(matrix_cmd)
    rollout.command(
        "renovate-rules",
        help="Print Renovate packageRules that make Renovate follow the stages: one rule per "
        "stage (matchFileNames of its directories), cumulative minimumReleaseAge from the "
        "soaks, groupName and additionalBranchPrefix per stage, dependencyDashboardApproval "
        "for approval stages, internalChecksFilter strict. --write merges them into the "
        "repository's Renovate config (comments and other rules kept; depguard's earlier "
        "rules replaced).",
    )(renovate_rules_cmd)
    rollout.command(
        "lint-renovate",
        help="Evaluate the repository's Renovate packageRules with Renovate's matching "
        "(minimatch globs, case-insensitive, unless /regex/) against the dependencies and "
        "files depguard finds, and report rules that match nothing or group the stages "
        "differently than rollout.stages (renovate-rule-ineffective).",
    )(lint_renovate_cmd)
    rollout.command(
        "apply",
        help="Move wave N's directories to --to: rewrite their version pins in place "
        "(required_providers / required_version only when they do not allow the version, "
        "aqua package versions, .terraform-version; formatting and comments kept), then "
        "refresh their .terraform.lock.hcl and aqua-checksums.json with the verified writers "
        "(signed upstream data, every configured platform). On any finding every edit is "
        "rolled back. The result is a commit-ready tree.",
    )(apply_cmd)
    app.add_typer(rollout)


def _today(now: datetime) -> date:
    return now.astimezone(UTC).date()


def _now() -> datetime:
    from depguard.prcheck.release_age import now

    return now()


def _parse_day(text: str) -> date:
    from depguard.errors import ConfigError

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--start: {text!r} is not a date (YYYY-MM-DD)") from None


def _workspace(opts: GlobalOptions, repo: Path) -> tuple[Config, Workspace]:
    from depguard.errors import ConfigError
    from depguard.rollout.model import FsSource
    from depguard.rollout.workspace import discover

    if not repo.is_dir():
        raise ConfigError(f"--repo: {repo} is not a directory")
    config = _load_config(opts, repo)
    return config, discover(FsSource(repo), config, root=repo.resolve())


def _for_repo(opts: GlobalOptions, repo: Path) -> GlobalOptions:
    """The options with the repository's policy: --config, else the depguard.yaml in --repo
    (not the current directory's), else the usual search."""
    import dataclasses

    from depguard.config import find_config

    if opts.config_path is None:
        found = find_config(repo)
        if found is not None:
            return dataclasses.replace(opts, config_path=found)
    return opts


def _load_config(opts: GlobalOptions, repo: Path) -> Config:
    return _for_repo(opts, repo).load_config(repo)


def _dependency(text: str, workspace: Workspace) -> Dependency:
    from depguard.rollout.workspace import resolve_dependency

    return resolve_dependency(text, workspace)


def plan_cmd(
    ctx: typer.Context,
    dep: Dep,
    to: To = None,
    repo: Repo = Path(),
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            metavar="YYYY-MM-DD",
            help="Day one of the plan (default: today, or DEPGUARD_NOW).",
            show_default=False,
        ),
    ] = None,
) -> None:
    from depguard.render.rollout import render_plan
    from depguard.rollout.planner import plan

    opts: GlobalOptions = ctx.obj
    _config, workspace = _workspace(opts, repo)
    dependency = _dependency(dep, workspace)
    day = _parse_day(start) if start else _today(_now())
    result = plan(workspace, dependency, to=to, start=day)
    opts.emit_text(render_plan(result, opts.output_format.value, start=day))


def status_cmd(
    ctx: typer.Context,
    dep: Dep,
    to: To = None,
    repo: Repo = Path(),
    rev: Annotated[
        str,
        typer.Option(
            "--rev", metavar="REV", help="The default branch's revision to read (git objects)."
        ),
    ] = "HEAD",
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from depguard.errors import ConfigError
    from depguard.render.rollout import render_status
    from depguard.rollout.model import GitSource
    from depguard.rollout.planner import plan
    from depguard.rollout.status import landed, pin_file, stage_states
    from depguard.rollout.workspace import discover

    opts: GlobalOptions = ctx.obj
    if not repo.is_dir():
        raise ConfigError(f"--repo: {repo} is not a directory")
    config = _load_config(opts, repo)
    now = _now()
    with GitSource(repo, rev) as source, ThreadPoolExecutor(1) as pool:
        # the one git log pass runs while the workspace is read
        log = pool.submit(source.repo.history, source.commit, keep=pin_file)
        workspace = discover(source, config, root=repo.resolve())
        dependency = _dependency(dep, workspace)
        history = landed(
            source.repo,
            source.commit,
            workspace,
            dependency,
            prefix=source.prefix,
            log=log.result(),
        )
    day = _today(now)
    result = plan(workspace, dependency, to=to, start=day, landed=history)
    stages = stage_states(result, history, now=now)
    opts.emit_text(
        render_status(
            result, workspace, history, stages, opts.output_format.value, start=day, now=now
        )
    )


def _wave(
    opts: GlobalOptions, repo: Path, dep: str, to: str | None, wave: int
) -> tuple[Config, Workspace, Dependency, Plan, Wave]:
    """The plan of ``dep`` in ``repo`` and its wave ``wave``; usage errors for a dependency
    no directory uses or a wave the plan does not have."""
    from depguard.errors import ConfigError
    from depguard.rollout.planner import plan

    config, workspace = _workspace(opts, repo)
    dependency = _dependency(dep, workspace)
    result = plan(workspace, dependency, to=to, start=_today(_now()))
    if not result.waves:
        raise ConfigError(f"no state directory uses {dependency}: the plan has no waves")
    chosen = next((w for w in result.waves if w.index == wave), None)
    if chosen is None:
        raise ConfigError(f"--wave: wave {wave} does not exist (the plan has {len(result.waves)})")
    return config, workspace, dependency, result, chosen


def matrix_cmd(
    ctx: typer.Context,
    dep: Dep,
    wave: Annotated[int, typer.Option("--wave", metavar="N", help="The wave (1-based).")],
    to: To = None,
    repo: Repo = Path(),
) -> None:
    from depguard.render.rollout import matrix_json

    opts: GlobalOptions = ctx.obj
    _config, workspace, _dep, result, _chosen = _wave(opts, repo, dep, to, wave)
    opts.emit_text(matrix_json(result, workspace, wave))


def apply_cmd(
    ctx: typer.Context,
    dep: Dep,
    to: Annotated[str, typer.Option("--to", metavar="VERSION", help="The target version.")],
    wave: Annotated[int, typer.Option("--wave", metavar="N", help="The wave (1-based).")],
    repo: Repo = Path(),
) -> None:
    from depguard.cli.runtime import Runtime
    from depguard.engine.lock import Locker
    from depguard.errors import EXIT_FINDINGS, EXIT_INCOMPLETE
    from depguard.rollout.apply import apply_wave

    opts: GlobalOptions = ctx.obj
    config, workspace, dependency, _result, chosen = _wave(opts, repo, dep, to, wave)
    runtime = Runtime.create(_for_repo(opts, repo), start=repo, jobs=8)

    def locker() -> Locker:
        upstream = runtime.upstream()
        return Locker(
            source=runtime.provider_source(upstream),
            upstream=upstream,
            config=config,
            progress=runtime.progress,
        )

    applied = apply_wave(
        workspace,
        dependency,
        chosen,
        to=to,
        config=config,
        locker=locker,
        aqua=runtime.aqua_upstream,
        progress=runtime.progress,
    )
    runtime.progress.done()
    code = opts.emit(applied.report)
    if applied.rolled_back and code == 0:
        # nothing was applied: never a success, even under --allow-skips or --fail-on
        code = EXIT_INCOMPLETE if applied.report.skipped else EXIT_FINDINGS
    raise typer.Exit(code)


def _read_renovate_config(repo: Path, given: Path | None) -> tuple[Path, str]:
    """The Renovate config (``given``, else the one Renovate reads in ``repo``) and its
    text; a usage error when there is none."""
    from depguard.errors import ConfigError, InputError
    from depguard.rollout.lint_renovate import find_config
    from depguard.rollout.model import FsSource
    from depguard.util.text import decode_utf8

    target = given
    if target is None:
        found = find_config(set(FsSource(repo).list_files()))
        if found is None:
            raise ConfigError(
                "the repository has no Renovate config (renovate.json, renovate.json5, "
                ".github/renovate.json5, ...); pass --renovate-config FILE"
            )
        target = repo / found
    try:
        return target, decode_utf8(target.read_bytes(), str(target))
    except OSError as e:
        raise InputError(str(target), f"cannot read: {e.strerror}") from e


RenovateConfig = Annotated[
    Path | None,
    typer.Option(
        "--renovate-config",
        metavar="FILE",
        help="The Renovate config (default: the one Renovate reads in the repository: "
        "renovate.json, renovate.json5, .github/renovate.json5, ...).",
        show_default=False,
    ),
]


def renovate_rules_cmd(
    ctx: typer.Context,
    repo: Repo = Path(),
    dependency: Annotated[
        list[str] | None,
        typer.Option(
            "--dependency",
            metavar="DEP",
            help="Restrict the rules to this dependency (repeatable; default: all).",
            show_default=False,
        ),
    ] = None,
    write: Annotated[
        bool,
        typer.Option("--write", help="Merge the rules into the Renovate config file."),
    ] = False,
    renovate_config: RenovateConfig = None,
) -> None:
    from depguard.rollout.renovate_rules import merge_into, package_rules, render_json5
    from depguard.util.atomic import write_atomic

    opts: GlobalOptions = ctx.obj
    config, workspace = _workspace(opts, repo)
    deps = [_dependency(d, workspace) for d in dependency or ()]
    rules = package_rules(
        workspace, dependencies=deps or None, base_age=config.trust.min_release_age
    )
    if not write:
        opts.emit_text(render_json5(rules))
        return
    target, text = _read_renovate_config(repo, renovate_config)
    merged = merge_into(text, rules, path=str(target))
    if merged != text:
        write_atomic(target, merged)
    import sys

    sys.stderr.write(f"{'updated' if merged != text else 'unchanged'}: {target}\n")


def lint_renovate_cmd(
    ctx: typer.Context,
    repo: Repo = Path(),
    renovate_config: RenovateConfig = None,
) -> None:
    from depguard.engine.verify import apply_policy
    from depguard.model import Checked, Report
    from depguard.rollout.lint_renovate import lint
    from depguard.rollout.model import FsSource

    opts: GlobalOptions = ctx.obj
    config, workspace = _workspace(opts, repo)
    target, text = _read_renovate_config(repo, renovate_config)
    try:
        shown = target.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        shown = str(target)
    findings = lint(text, shown, workspace, files=set(FsSource(repo).list_files()))
    report = Report(
        command="rollout lint-renovate",
        findings=tuple(apply_policy(findings, config)),
        checked=(Checked(subject=f"Renovate config {shown}", evidence=("packageRules",)),),
    )
    raise typer.Exit(opts.emit(report))
