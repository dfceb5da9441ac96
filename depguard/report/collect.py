"""Build the weekly :class:`~depguard.report.model.UpgradeReport` of a repository.

1. **Inventory**: the state directories and what each pins (the rollout workspace: lock files,
   ``required_providers``, ``.terraform-version``, aqua configs), plus the ``uses:`` refs of
   the workflows and ``action.yml`` files (actions, by their version comment).
2. **Outdated**: per dependency, the newest upstream release and its date — the Terraform
   registry's version list and ``published_at`` for providers, GitHub releases for aqua
   packages, the Terraform CLI (``hashicorp/terraform``) and actions — through the fetcher
   (cached; ``--offline`` answers from the cache and snapshots). One lookup per dependency,
   in parallel; what cannot be asked is a note on the row, never a failure.
3. **Skew**: dependencies pinned at different versions in different directories.
4. **Integrity**: ``verify`` over the same paths (its findings and skips).
5. **Rollouts**: for each skewed dependency, the staged plan to its newest version in use
   (``rollout.stages``), dated from git history when the repository is a Git work tree.
6. **Trend**: the summaries of earlier runs (:mod:`depguard.report.history`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from depguard.errors import DepguardError
from depguard.report.model import (
    Outdated,
    PullRequest,
    RolloutProgress,
    Skew,
    TrendPoint,
    UpgradeReport,
)

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.engine.aqua_upstream import AquaUpstream
    from depguard.engine.upstream import Upstream
    from depguard.rollout.model import Dependency, Workspace
    from depguard.rollout.planner import Landed
    from depguard.sources.github import GitHubSource

__all__ = ["ReportOptions", "collect"]

_YEAR = timedelta(days=365.25)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportOptions:
    paths: tuple[Path, ...]
    now: datetime
    history: tuple[TrendPoint, ...] = ()
    github_repository: str | None = None  # owner/repo: list open Renovate PRs
    jobs: int = 8


@dataclass(frozen=True, slots=True)
class _Item:
    """One dependency of the inventory: kind, name, version per place (directory or file)."""

    kind: str
    name: str
    versions: dict[str, str]  # place -> version (exact pins only)


def _dir(path: Path) -> Path:
    resolved = path.resolve()
    return resolved if resolved.is_dir() else resolved.parent


def report_base(paths: Sequence[Path]) -> Path:
    """The directory the report covers: the one the PATHs share."""
    import os

    return Path(os.path.commonpath([_dir(p) for p in paths]))


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _stable(version: str) -> bool:
    return "-" not in version.removeprefix("v")


def _workspace(root: Path, config: Config) -> Workspace:
    """The rollout workspace; without configured stages, one stage holding everything."""
    from depguard.config.model import RolloutSettings, RolloutStage
    from depguard.config.patterns import PathGlob
    from depguard.rollout.model import FsSource
    from depguard.rollout.workspace import discover

    if not config.rollout.stages:
        everything = RolloutStage(name="all", match=(PathGlob("**"),))
        config = dataclasses.replace(config, rollout=RolloutSettings(stages=(everything,)))
    return discover(FsSource(root), config, root=root, constraints=False)


def _inside(path: str, scopes: Sequence[str]) -> bool:
    return any(s == "." or path == s or path.startswith(s + "/") for s in scopes)


def _inventory(workspace: Workspace, scopes: Sequence[str]) -> list[_Item]:
    items: dict[tuple[str, str], _Item] = {}
    for t in workspace.targets:
        if not _inside(t.path, scopes):
            continue
        for u in t.usages:
            if u.version is None:
                continue
            key = (u.dependency.kind, u.dependency.name)
            item = items.setdefault(key, _Item(key[0], key[1], {}))
            item.versions.setdefault(t.path, u.version)
    return sorted(items.values(), key=lambda i: (i.kind, i.name))


def _tools(root: Path, scopes: Sequence[str], workspace: Workspace) -> list[_Item]:
    """aqua packages of configs outside every state directory (a root ``aqua/aqua.yaml``
    with its imports): their place is the file (the state directories' own aqua pins are in
    the workspace)."""
    from depguard.prcheck.changes import classify, file_changes
    from depguard.rollout.model import FsSource

    owned = [t.path for t in workspace.targets if t.path != "."]
    items: dict[tuple[str, str], _Item] = {}
    for path in FsSource(root).list_files():
        if classify(path) not in ("aqua-config", "aqua-import") or not _inside(path, scopes):
            continue
        if _inside(path, owned):
            continue
        try:
            changes = file_changes(path, None, (root / path).read_bytes())
        except (DepguardError, OSError):
            continue
        for c in changes:
            if c.kind != "aqua-package" or not c.new_version:
                continue
            kind, name = ("terraform", "terraform") if c.name == "hashicorp/terraform" else (
                "aqua", c.name)  # fmt: skip
            item = items.setdefault((kind, name), _Item(kind, name, {}))
            item.versions.setdefault(path, c.new_version)
    return list(items.values())


def _merge_items(*groups: Sequence[_Item]) -> list[_Item]:
    merged: dict[tuple[str, str], _Item] = {}
    for group in groups:
        for item in group:
            into = merged.setdefault((item.kind, item.name), _Item(item.kind, item.name, {}))
            for place, version in item.versions.items():
                into.versions.setdefault(place, version)
    return sorted(merged.values(), key=lambda i: (i.kind, i.name))


def _actions(root: Path, scopes: Sequence[str]) -> list[_Item]:
    """Actions used by the workflows and action metadata files, by their version comment."""
    from depguard.formats.workflows import parse_workflow
    from depguard.rollout.model import FsSource

    items: dict[str, _Item] = {}
    for path in FsSource(root).list_files():
        name = path.rsplit("/", 1)[-1]
        workflow = path.startswith(".github/workflows/") and name.endswith((".yaml", ".yml"))
        if not (workflow or name in ("action.yaml", "action.yml")):
            continue
        if not (workflow or _inside(path, scopes)):
            continue
        try:
            refs = parse_workflow((root / path).read_text("utf-8"), path)
        except (DepguardError, OSError, UnicodeDecodeError):
            continue
        for ref in refs:
            if ref.kind not in ("action", "reusable-workflow") or not ref.owner or not ref.repo:
                continue
            version = (ref.comment or "").lstrip("# ").split(" ")[0] or (ref.ref or "")
            if not version:
                continue
            repo = f"{ref.owner}/{ref.repo}".lower()
            item = items.setdefault(repo, _Item("action", repo, {}))
            item.versions.setdefault(f"{path}:{ref.line}", version)
    return sorted(items.values(), key=lambda i: i.name)


def _github_outdated(
    item: _Item, github: GitHubSource, owner: str, repo: str, now: datetime
) -> Outdated:
    from depguard.rollout.planner import compare_versions

    in_use = sorted(set(item.versions.values()), key=_version_key)
    releases = [
        r for r in github.releases(owner, repo, max_pages=3) if not r.draft and not r.prerelease
    ]
    if not releases:
        return _row(item, in_use, note=f"{owner}/{repo} has no releases")
    tags = {r.tag.removeprefix("v"): r for r in releases}
    latest = max(releases, key=lambda r: _version_key(r.tag))
    oldest = in_use[0]
    behind = sum(
        1
        for t in tags
        if compare_versions(t, oldest.removeprefix("v")) > 0
        and compare_versions(t, latest.tag.removeprefix("v")) <= 0
    )
    published = _time(latest.published_at)
    old = tags.get(oldest.removeprefix("v"))
    old_time = _time(old.published_at) if old is not None else None
    note = "" if old is not None else f"{oldest} is not among the last {len(releases)} releases"
    return _row(
        item,
        in_use,
        latest=latest.tag,
        behind=behind if old is not None else None,
        age=(now - published) if published else None,
        libyears=((published - old_time) / _YEAR) if published and old_time else None,
        note=note,
    )


def _version_key(text: str) -> Any:
    """Sort key ordering versions as the planner does (:func:`compare_versions`)."""
    from functools import cmp_to_key

    from depguard.rollout.planner import compare_versions

    return cmp_to_key(compare_versions)(text)


def _row(
    item: _Item,
    in_use: list[str],
    *,
    latest: str | None = None,
    behind: int | None = None,
    age: timedelta | None = None,
    libyears: float | None = None,
    note: str = "",
) -> Outdated:
    return Outdated(
        kind=item.kind,
        name=item.name,
        in_use=tuple(in_use),
        directories=len(item.versions),
        latest=latest,
        behind=behind,
        latest_age_days=round(age.total_seconds() / 86400, 1) if age is not None else None,
        libyears=round(max(libyears, 0.0), 2) if libyears is not None else None,
        note=note,
    )


def _provider_outdated(item: _Item, upstream: Upstream, now: datetime) -> Outdated:
    from depguard.formats.tf_address import parse_provider_source
    from depguard.rollout.planner import compare_versions

    address = parse_provider_source(item.name)
    in_use = sorted(set(item.versions.values()), key=_version_key)
    versions = [v for v in upstream.registry.available_versions(address) if _stable(v)]
    if not versions:
        return _row(item, in_use, note="the registry lists no stable version")
    latest = max(versions, key=_version_key)
    oldest = in_use[0]
    behind = sum(
        1 for v in versions if compare_versions(v, oldest) > 0 and compare_versions(v, latest) <= 0
    )
    published = _time(upstream.registry.release_published(address, latest))
    old_time = _time(upstream.registry.release_published(address, oldest))
    return _row(
        item,
        in_use,
        latest=latest,
        behind=behind,
        age=(now - published) if published else None,
        libyears=((published - old_time) / _YEAR) if published and old_time else None,
    )


def _outdated(
    item: _Item, upstream: Upstream | None, aqua: AquaUpstream | None, now: datetime
) -> Outdated:
    in_use = sorted(set(item.versions.values()), key=_version_key)
    try:
        if item.kind == "provider":
            if upstream is None:
                return _row(item, in_use, note="not looked up")
            return _provider_outdated(item, upstream, now)
        if aqua is None:
            return _row(item, in_use, note="not looked up")
        if item.kind == "terraform":
            return _github_outdated(item, aqua.github, "hashicorp", "terraform", now)
        parts = item.name.split("/")
        if len(parts) < 2:
            return _row(item, in_use, note="not a GitHub repository")
        return _github_outdated(item, aqua.github, parts[0], parts[1], now)
    except (DepguardError, ValueError) as e:
        message = e.message if isinstance(e, DepguardError) else str(e)
        return _row(item, in_use, note=f"latest version unknown: {message}")


def _skew(items: Sequence[_Item], workspace: Workspace) -> list[Skew]:
    stage_of = {t.path: t.stage for t in workspace.targets}
    order = [s.name for s in workspace.stages]
    out = []
    for item in items:
        if item.kind == "action" or len(set(item.versions.values())) < 2:
            continue
        stages: dict[str, tuple[str, ...]] = {}
        for stage in order:
            found = sorted(
                {v for d, v in item.versions.items() if stage_of.get(d) == stage},
                key=_version_key,
            )
            if found:
                stages[stage] = tuple(found)
        staged = order != ["all"]
        out.append(
            Skew(
                kind=item.kind,
                name=item.name,
                versions=dict(sorted(item.versions.items())),
                stages=stages if staged else {},
                stage_of={d: stage_of[d] for d in sorted(item.versions) if d in stage_of}
                if staged
                else {},
            )
        )
    return out


def _rollouts(
    workspace: Workspace, skewed: Sequence[Skew], root: Path, now: datetime
) -> tuple[list[RolloutProgress], list[str]]:
    from depguard.engine.paths import repository_root
    from depguard.rollout.model import Dependency
    from depguard.rollout.planner import plan

    if [s.name for s in workspace.stages] == ["all"]:
        return [], []
    histories: dict[Dependency, dict[str, Landed]] = {}
    notes: list[str] = []
    deps = [Dependency(s.kind, s.name) for s in skewed]  # type: ignore[arg-type]
    if deps and (repository_root(root) / ".git").exists():
        try:
            histories = _histories(root, workspace, deps)
        except DepguardError as e:
            notes.append(f"rollout dates unknown: {e.message}")
    out = []
    for dep in deps:
        p = plan(workspace, dep, to=None, start=now.date(), landed=histories.get(dep))
        if p.to is None or not p.waves:
            continue
        nxt = p.next_wave()
        out.append(
            RolloutProgress(
                kind=dep.kind,
                name=dep.name,
                to=p.to,
                waves=len(p.waves),
                waves_done=sum(1 for w in p.waves if w.complete),
                directories=sum(len(w.directories) for w in p.waves),
                directories_done=sum(len(w.done) for w in p.waves),
                next_wave=nxt.index if nxt else None,
                next_stage=nxt.stage if nxt else None,
                may_start=nxt.earliest.isoformat() if nxt else None,
                approval=bool(nxt and nxt.approval),
            )
        )
    return out, notes


def _histories(
    root: Path, workspace: Workspace, deps: Sequence[Dependency]
) -> dict[Dependency, dict[str, Landed]]:
    """Landing dates per dependency from HEAD's history; the workspace is the working tree's,
    so a pin that differs from HEAD gets no date (``check_head``)."""
    from depguard.prcheck.gitrepo import GitRepo
    from depguard.rollout.status import landed, pin_file

    out: dict[Dependency, dict[str, Landed]] = {}
    with GitRepo(root) as repo:
        head = repo.resolve("HEAD")
        prefix = repo.prefix()
        log = repo.history(head, keep=pin_file)
        for dep in deps:
            out[dep] = landed(repo, head, workspace, dep, prefix=prefix, log=log, check_head=True)
    return out


def _pull_requests(
    aqua: AquaUpstream | None, repository: str, bots: Sequence[str]
) -> tuple[list[PullRequest], list[str]]:
    """The open PRs of ``repository`` (owner/repo) opened by the Renovate bot logins."""
    if aqua is None:
        return [], ["open pull requests: no GitHub access"]
    owner, _, repo = repository.partition("/")
    try:
        pulls = aqua.github.open_pulls(owner, repo)
    except (DepguardError, ValueError) as e:
        return [], [f"open pull requests: {getattr(e, 'message', str(e))}"]
    wanted = {b.lower() for b in bots}
    return [
        PullRequest(number=p.number, title=p.title, url=p.url, created=p.created,
                    labels=p.labels)
        for p in pulls
        if p.author.lower() in wanted
    ], []  # fmt: skip


def collect(
    options: ReportOptions,
    *,
    config: Config,
    upstream: Upstream | None,
    aqua: AquaUpstream | None,
    progress: Callable[[str], None] | None = None,
) -> UpgradeReport:
    """The whole report (see the module docstring). Upstream failures become notes."""
    from depguard.engine.verify import VerifyOptions, run_verify

    # The report's base is the directory the PATHs share (not the Git root): stage patterns
    # and display paths are relative to it, as for `rollout --repo`.
    root = report_base(options.paths)
    scopes = sorted({_dir(p).relative_to(root).as_posix() for p in options.paths}) or ["."]
    workspace = _workspace(root, config)
    items = _merge_items(
        _inventory(workspace, scopes), _tools(root, scopes, workspace), _actions(root, scopes)
    )
    if progress is not None:
        progress(f"{len(items)} dependencies in {len(workspace.targets)} state directories")
    from depguard.engine.shard import current

    shard = current()  # --shard: this shard's upstream lookups (verify shards by directory)
    mine = [i for i in items if shard is None or shard.owns(f"{i.kind}:{i.name}")]
    with ThreadPoolExecutor(max(1, options.jobs)) as pool:
        rows = list(pool.map(lambda i: _outdated(i, upstream, aqua, options.now), mine))
    skewed = _skew(items, workspace)
    rollouts, notes = _rollouts(workspace, skewed, root, options.now)
    verified = None
    if upstream is not None:
        verified = run_verify(
            VerifyOptions(paths=options.paths, platforms=config.platforms),
            config=config,
            upstream=upstream,
            aqua=aqua,
            progress=progress,
        )
    prs: list[PullRequest] | None = None
    if options.github_repository:
        prs, more = _pull_requests(aqua, options.github_repository, config.renovate.bot_logins)
        notes += more
    if shard is not None:
        notes.append(f"shard {shard}: combine the shards with `depguard merge`")
    report = UpgradeReport(
        generated=options.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        repository=root.name,
        directories=sum(1 for t in workspace.targets if _inside(t.path, scopes)),
        dependencies=len(items),
        outdated=tuple(rows),
        skew=tuple(skewed),
        findings=verified.sorted().findings if verified else (),
        skipped=verified.sorted().skipped if verified else (),
        checked=len(verified.checked) if verified else 0,
        rollouts=tuple(rollouts),
        prs=tuple(prs) if prs is not None else None,
        trend=(),
        notes=tuple(notes),
    )
    return dataclasses.replace(report, trend=(*options.history, report.point()))
