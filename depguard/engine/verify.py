"""``depguard verify``: judge every lock file under the given paths against signed upstream data.

Flow (DESIGN.md §3): discover state directories → parse lock files and configuration →
authenticate each distinct (provider, version) once → (``--deep``) hash every signed package →
run the lock rules per directory → one :class:`~depguard.model.Report`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from depguard.engine.context import LockContext, ProviderTruth, TruthKey
from depguard.engine.workspace import StateDir, read_states
from depguard.model import Checked, Finding, Platform, ProviderLock, Report, Skip
from depguard.rules import LOCK_CHECKS, invalid_manifest

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.engine.aqua_upstream import AquaUpstream
    from depguard.engine.upstream import Upstream


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyOptions:
    paths: tuple[Path, ...]
    platforms: tuple[Platform, ...]
    deep: bool = False
    # Without ``deep``: the (provider, version)s whose packages are hashed all the same
    # (check-pr: the entries a PR adds h1: hashes to).
    deep_keys: frozenset[TruthKey] = frozenset()


def locked_keys(states: Iterable[StateDir]) -> set[TruthKey]:
    """Every lockable (provider, version) pinned by the given lock files."""
    return {
        (entry.address, entry.version)
        for state in states
        if state.lock is not None
        for entry in state.lock.providers
        if entry.address.is_lockable
    }


def apply_policy(findings: Iterable[Finding], config: Config) -> list[Finding]:
    """Apply ``rules.<id>.severity`` overrides and ``rules.<id>.ignore`` path globs."""
    out = []
    for f in findings:
        if config.is_ignored(f.rule, f.path):
            continue
        severity = config.rule_severity(f.rule, f.severity)
        out.append(f if severity == f.severity else replace(f, severity=severity))
    return out


def _evidence(
    truth: ProviderTruth, entry: ProviderLock, deep: bool
) -> tuple[tuple[str, ...], str | None]:
    """Return (evidence, skip reason) for one lock entry whose release authenticated."""
    assert truth.signer is not None
    evidence = [truth.signer.evidence()]
    has_zh = bool(entry.zh)
    has_h1 = bool(entry.h1)
    if has_zh:
        evidence.append("zh")
    skip: str | None = None
    deep = deep or truth.deepened
    if deep and truth.deep_unavailable is not None:
        # --deep asked for every package: one that could not be fetched is a skipped check.
        skip = f"packages not checked: {truth.deep_unavailable}"
    elif has_h1:
        if deep:
            evidence.append("h1")
        elif not has_zh:
            skip = "the entry has only h1: hashes, which can be checked only by downloading the "
            skip += "packages: run with --deep"
    return tuple(evidence), skip


def judge(
    states: Sequence[StateDir],
    truths: dict[TruthKey, ProviderTruth],
    *,
    config: Config,
    platforms: tuple[Platform, ...],
    deep: bool,
) -> Report:
    """Run the lock rules over read state directories and known truths (pure)."""
    findings: list[Finding] = []
    skipped: list[Skip] = []
    checked: list[Checked] = []
    h1_unchecked = 0
    for state in states:
        findings.extend(invalid_manifest.from_error(e) for e in state.errors)
        required = (
            {r.address: r for r in state.requirements.providers} if state.requirements else {}
        )
        ctx = LockContext(
            state=state,
            truths=truths,
            config=config,
            platforms=platforms,
            deep=deep,
            required=required,
        )
        for check in LOCK_CHECKS:
            findings.extend(check(ctx))
        if state.lock is None:
            continue
        for entry in state.lock.providers:
            truth = truths.get((entry.address, entry.version))
            subject = f"{entry.address} {entry.version}"
            if truth is None:
                continue
            if truth.unavailable is not None:
                skipped.append(
                    Skip(subject=subject, reason=truth.unavailable, path=state.lock_display)
                )
                continue
            if not truth.authenticated:
                continue
            evidence, skip = _evidence(truth, entry, deep)
            if not (deep or truth.deepened) and entry.zh and entry.h1:
                h1_unchecked += 1
            checked.append(Checked(subject=subject, evidence=evidence, path=state.lock_display))
            if skip is not None:
                skipped.append(Skip(subject=subject, reason=skip, path=state.lock_display))
    notes: tuple[str, ...] = ()
    if h1_unchecked:
        # Default mode proves the zh: hashes; h1: values (what Terraform checks when it
        # installs from a mirror or cache) need the packages themselves.
        notes = (
            f"h1: hashes of {h1_unchecked} "
            f"{'entry' if h1_unchecked == 1 else 'entries'} were not checked "
            "(only their zh: hashes); run with --deep to download and hash every signed "
            "package",
        )
    return Report(
        command="verify",
        findings=tuple(apply_policy(findings, config)),
        skipped=tuple(skipped),
        checked=tuple(checked),
        notes=notes,
    )


def run_verify(
    options: VerifyOptions,
    *,
    config: Config,
    upstream: Upstream,
    aqua: AquaUpstream | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Verify every state directory and aqua config under ``options.paths``; the whole
    ``verify`` command.

    Returns the :class:`Report`. Problems in the repository's files are findings, upstream
    data that cannot be fetched is a skip. Raises :class:`~depguard.errors.InputError` only for
    a PATH that is neither a directory nor a lock file. ``aqua`` (the aqua upstream) turns on
    the aqua half.
    """
    root, states = read_states(options.paths)
    keys = locked_keys(states)
    if progress is not None:
        progress(f"{len(states)} state directories, {len(keys)} provider versions")
    truths = upstream.truths(keys, options.platforms, progress)
    if options.deep:
        truths = upstream.deepen(truths, first=options.platforms, progress=progress)
    elif options.deep_keys:
        chosen = {k: t for k, t in truths.items() if k in options.deep_keys}
        truths = {**truths, **upstream.deepen(chosen, first=options.platforms, progress=progress)}
    report = judge(states, truths, config=config, platforms=options.platforms, deep=options.deep)
    found = bool(states)
    if aqua is not None:
        from depguard.engine.aqua import find_aqua_configs, merge_reports, run_aqua_verify

        if find_aqua_configs(options.paths):
            found = True
            report = merge_reports(
                report,
                run_aqua_verify(
                    options.paths,
                    config=config,
                    upstream=aqua,
                    deep=options.deep,
                    root=root,
                    progress=progress,
                ),
            )
    if not found:
        # Nothing verified is not "verified": a wrong PATH must not pass a CI gate.
        paths = ", ".join(str(p) for p in options.paths)
        report = replace(
            report,
            skipped=(Skip(subject=paths, reason="no state directories or aqua configs found"),),
        )
    return report
