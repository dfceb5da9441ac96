"""``depguard check-pr``: read a PR as git objects, extract its dependency changes, judge them.

Flow (DESIGN.md §3): resolve base and head → the changed paths (git plumbing, nothing checked
out or run) → who opened it and whether it claims to be Renovate's (event JSON, branch, body
markers) → per changed dependency file, the old and new blobs → :class:`DependencyChange`s →
the structural PR rules. Upstream verification of the new hashes and checksums builds on this
(next step of issue #4).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from depguard.errors import InputError
from depguard.model import Checked, Finding, Report, Skip
from depguard.rules import (
    action_not_pinned,
    checksums_stale,
    invalid_manifest,
    pr_not_from_bot,
    pr_unexpected_change,
    pr_unexpected_file,
    source_not_allowed,
)

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.formats.renovate import PrBody, PrEvent
    from depguard.prcheck.changes import DependencyChange
    from depguard.prcheck.gitrepo import ChangedPath

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
MAX_FILE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class PrIdentity:
    """Who opened the PR and whether anything says it is Renovate's."""

    author: str | None
    branch: str | None
    is_bot: bool  # the author is in renovate.bot_logins
    claims_renovate: bool  # Renovate branch prefix or Renovate body markers
    body: PrBody | None


@dataclass(slots=True)
class PrChanges:
    """Everything extracted from the PR, before judging."""

    base: str
    head: str
    paths: list[ChangedPath]
    changes: list[DependencyChange] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    unexpected: list[tuple[ChangedPath, str]] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # companion files that exist at head


def identify(event: PrEvent | None, config: Config) -> PrIdentity:
    """Bot-ness comes from the PR author's login (never ``github.actor``)."""
    from depguard.formats.renovate import is_renovate_branch, parse_pr_body

    if event is None:
        return PrIdentity(author=None, branch=None, is_bot=False, claims_renovate=False, body=None)
    body = parse_pr_body(event.body) if event.body else None
    logins = {login.lower() for login in config.renovate.bot_logins}
    is_bot = event.author is not None and event.author.lower() in logins
    claims = is_renovate_branch(event.head_ref, config.renovate.branch_prefix) or bool(
        body is not None and body.is_renovate
    )
    return PrIdentity(
        author=event.author, branch=event.head_ref, is_bot=is_bot, claims_renovate=claims, body=body
    )


def extract(repo_dir: Path, base: str, head: str, *, config: Config, bot: bool) -> PrChanges:
    """Changed paths and dependency changes between ``base`` and ``head`` (git objects only)."""
    from depguard.prcheck.changes import classify, file_changes
    from depguard.prcheck.gitrepo import GitRepo

    with GitRepo(repo_dir) as repo:
        base_id, head_id = repo.resolve(base), repo.resolve(head)
        paths = repo.changed_paths(base_id, head_id)
        out = PrChanges(base=base_id, head=head_id, paths=paths)
        for cp in paths:
            path = cp.path
            if cp.is_submodule:
                out.unexpected.append((cp, "a submodule (gitlink) change"))
                continue
            if cp.is_symlink:
                out.unexpected.append((cp, "a symbolic link"))
                continue
            allowed = any(g.matches(path) for g in config.renovate.allowed_files)
            if cp.status in ("R", "C") and cp.old_path is not None:
                allowed = allowed and any(
                    g.matches(cp.old_path) for g in config.renovate.allowed_files
                )
            kind = classify(path)
            if bot and not allowed:
                out.unexpected.append((cp, "outside renovate.allowed_files"))
            if kind is None:
                continue
            try:
                old = (
                    repo.read_blob(cp.old_oid, max_bytes=MAX_FILE_BYTES)
                    if cp.old_path is not None and cp.status not in ("A", "C")
                    else None
                )
                new = (
                    repo.read_blob(cp.new_oid, max_bytes=MAX_FILE_BYTES)
                    if cp.new_path is not None
                    else None
                )
                out.changes.extend(file_changes(path, old, new))
            except InputError as e:
                out.errors.append(e)
        for candidate in sorted(_companions(out.changes)):
            try:
                if repo.read_path(head_id, candidate, max_bytes=MAX_FILE_BYTES) is not None:
                    out.present.add(candidate)
            except InputError:
                continue
    return out


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def _join(directory: str, name: str) -> str:
    return name if directory == "." else f"{directory}/{name}"


def _checksum_candidates(config_file: str) -> list[str]:
    """Where an aqua config's (or an imported file's) aqua-checksums.json can be."""
    here = _parent(config_file)
    dirs = [here, _parent(here)] if here != "." else [here]
    return [_join(d, n) for d in dirs for n in ("aqua-checksums.json", ".aqua-checksums.json")]


def _companions(changes: Sequence[DependencyChange]) -> set[str]:
    """Files whose presence at head decides whether a bump needs them updated."""
    out: set[str] = set()
    for c in changes:
        if c.kind == "aqua-package":
            out.update(_checksum_candidates(c.file))
        elif c.kind == "provider" and c.file.endswith(".tf"):
            out.add(_join(_parent(c.file), ".terraform.lock.hcl"))
    return out


def judge(
    pr: PrChanges, ident: PrIdentity, *, config: Config
) -> tuple[list[Finding], list[Skip], list[Checked]]:
    """The structural PR rules (pure)."""
    findings: list[Finding] = [invalid_manifest.from_error(e) for e in pr.errors]
    skipped: list[Skip] = []
    checked: list[Checked] = []
    if ident.claims_renovate and not ident.is_bot:
        who = ident.author or "an unknown author"
        findings.append(
            pr_not_from_bot.META.finding(
                message=f"the PR looks like Renovate's (branch {ident.branch!r} or its body) but "
                f"was opened by {who}, who is not in renovate.bot_logins",
                path=".",
                subject=f"author {who}",
            )
        )
    for cp, why in pr.unexpected:
        findings.append(
            pr_unexpected_file.META.finding(
                message=f"a bot PR changes {cp.path} ({why})",
                path=cp.path,
                subject=cp.path,
            )
        )
    for c in pr.changes:
        findings.extend(_change_findings(c, config))
    findings.extend(_stale(pr.changes, pr.present))
    for c in pr.changes:
        checked.append(
            Checked(
                subject=f"{c.kind} {c.name} {c.old_version or '-'} -> {c.new_version or '-'}",
                evidence=("extracted",),
                path=c.file,
            )
        )
    return findings, skipped, checked


def _change_findings(c: DependencyChange, config: Config) -> list[Finding]:
    out: list[Finding] = []
    subject = f"{c.name} {c.new_version or c.old_version or ''}".strip()
    # Content that changed for an unchanged version, a new or re-pointed source.
    if (
        c.kind in ("provider-hashes", "aqua-checksum")
        and c.action == "changed"
        and not (c.kind == "provider-hashes" and c.old_version != c.new_version)
    ):
        out.append(
            pr_unexpected_change.META.finding(
                message=f"{c.file}: {c.kind} of {c.name} changed without a version change "
                f"(removed {len(c.removed)}, added {len(c.added)})",
                path=c.file,
                line=c.line,
                subject=subject,
            )
        )
    if c.kind == "aqua-registry" and c.action == "added":
        out.append(
            pr_unexpected_change.META.finding(
                message=f"{c.file}: a new aqua registry {c.name!r} ({c.new_source})",
                path=c.file,
                line=c.line,
                subject=subject,
            )
        )
    if (
        c.action in ("updated", "changed")
        and c.old_source is not None
        and c.new_source is not None
        and c.old_source != c.new_source
    ):
        out.append(
            pr_unexpected_change.META.finding(
                message=f"{c.file}: the source of {c.name} changed from {c.old_source} to "
                f"{c.new_source}",
                path=c.file,
                line=c.line,
                subject=subject,
            )
        )
    if (
        c.kind == "action"
        and c.new_version is not None
        and config.trust.actions.require_sha
        and not _SHA.fullmatch(c.new_version)
    ):
        out.append(
            action_not_pinned.META.finding(
                message=f"{c.file}: uses {c.name}@{c.new_version}, not a full commit SHA",
                path=c.file,
                line=c.line,
                subject=f"{c.name}@{c.new_version}",
            )
        )
    reason = _source_reason(c, config)
    if reason is not None:
        out.append(
            source_not_allowed.META.finding(
                message=f"{c.file}: {reason}", path=c.file, line=c.line, subject=subject
            )
        )
    return out


def _source_reason(c: DependencyChange, config: Config) -> str | None:
    """Why a new or updated dependency's source is outside the allowlist, if it is."""
    if c.new_version is None and c.new_source is None:
        return None  # removed
    if c.kind == "provider":
        address = c.new_source or c.name
        try:
            if (
                not config.provider_allowed(address)
                and not config.trust.terraform.allow_hashicorp_signed
            ):
                return f"provider {address} is not in trust.terraform.providers"
        except ValueError:
            return None
        return None
    if c.kind == "aqua-package":
        owners = config.trust.aqua.github_owners
        owner = c.name.split("/", 1)[0].lower()
        if owners is not None and owner not in {o.lower() for o in owners}:
            return f"aqua package owner {owner!r} is not in trust.aqua.github_owners"
        return None
    if c.kind == "action":
        owners_a = config.trust.actions.owners
        owner = c.name.split("/", 1)[0].lower()
        if owners_a is not None and owner not in {o.lower() for o in owners_a}:
            return f"action owner {owner!r} is not in trust.actions.owners"
    return None


def _stale(changes: Sequence[DependencyChange], present: set[str]) -> list[Finding]:
    """A version bump without matching checksum / lock hashes (with the command that fixes it).

    Only where the repository keeps such a file at head: a template directory without a lock
    file, or an aqua config without aqua-checksums.json, has nothing to update.
    """
    out: list[Finding] = []
    added_ids: dict[str, list[str]] = {}
    locks_changed: set[str] = set()
    for c in changes:
        if c.kind == "aqua-checksum" and c.added:
            added_ids.setdefault(c.file, []).append(c.name)
        if c.file.endswith(".terraform.lock.hcl"):
            locks_changed.add(c.file)
    for c in changes:
        if c.kind == "aqua-package" and c.action == "updated" and c.new_version:
            sums = [f for f in _checksum_candidates(c.file) if f in present]
            if not sums:
                continue
            bare = c.new_version.removeprefix("v")
            ids = [i for f in sums for i in added_ids.get(f, [])]
            if not any(f"/{c.new_version}/" in i or f"/{bare}/" in i for i in ids):
                out.append(
                    checksums_stale.META.finding(
                        message=f"{c.file}: {c.name} is bumped to {c.new_version}, but the PR "
                        f"adds no entries for it to {sums[0]}; run `depguard checksums update "
                        f"{_parent(sums[0])}`",
                        path=c.file,
                        line=c.line,
                        subject=f"{c.name} {c.new_version}",
                    )
                )
        if c.kind == "provider" and c.file.endswith(".tf") and c.action == "updated":
            lock = _join(_parent(c.file), ".terraform.lock.hcl")
            if lock in present and lock not in locks_changed:
                out.append(
                    checksums_stale.META.finding(
                        message=f"{c.file}: {c.name} changed ({c.old_version} -> "
                        f"{c.new_version}), but the PR does not update {lock}; run "
                        f"`depguard lock {_parent(c.file)}`",
                        path=c.file,
                        line=c.line,
                        subject=f"{c.name} {c.new_version}",
                    )
                )
    return out


def run_check_pr(
    repo_dir: Path,
    base: str,
    head: str,
    *,
    event: PrEvent | None,
    config: Config,
) -> Report:
    """The whole ``check-pr`` command (structural part)."""
    from depguard.engine.verify import apply_policy

    ident = identify(event, config)
    pr = extract(repo_dir, base, head, config=config, bot=ident.is_bot or ident.claims_renovate)
    findings, skipped, checked = judge(pr, ident, config=config)
    notes = (
        f"{len(pr.paths)} changed paths, {len(pr.changes)} dependency changes; author "
        f"{ident.author or 'unknown'}{' (Renovate bot)' if ident.is_bot else ''}",
    )
    return Report(
        command="check-pr",
        findings=tuple(apply_policy(findings, config)),
        skipped=tuple(skipped),
        checked=tuple(checked),
        notes=notes,
    )
