"""``rollout apply``: move one wave's directories to a version, as a commit-ready tree.

Per directory of the wave (those not already at the version): the pins that say which
version is used are rewritten in place (:mod:`depguard.rollout.edit`, formatting and comments
kept) — a ``required_providers`` / ``required_version`` constraint only when it does not
already allow the version, an aqua package version, ``.terraform-version`` — and then the
files derived from them are refreshed by the verified writers: ``.terraform.lock.hcl`` by the
lock engine (the exact version, every configured platform, signed upstream data) and
``aqua-checksums.json`` by ``checksums update``. When a refresh fails (a finding, an
unreachable upstream), every edit is rolled back: nothing is left half-applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from depguard.errors import ConfigError, InputError
from depguard.model import Report

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.engine.aqua_upstream import AquaUpstream
    from depguard.engine.lock import Locker
    from depguard.rollout.model import Dependency, Target, Usage, Workspace
    from depguard.rollout.planner import Wave

__all__ = ["ApplyResult", "apply_wave", "bump_constraint"]

_SIMPLE = re.compile(r"^\s*+(~>|>=|=|)\s*+v?(\d+(?:\.\d+)*+)\s*+$")


def bump_constraint(constraint: str, version: str, *, terraform: bool = False) -> str:
    """The constraint to write so that ``version`` is allowed: ``constraint`` itself when it
    allows it; a one-clause constraint (``~> 5.0``, ``>= 1.6``, ``1.2.3``) keeps its operator
    and precision (``~> 6.2`` for 6.2.0); anything else, and any pre-release (which provider
    constraints only match exactly), becomes the exact version.

    ``terraform``: the constraint is ``required_version``, which Terraform checks against
    the release without its pre-release part (1.12.0-rc1 is allowed by ``>= 1.9``)."""
    from depguard.versions import parse_constraints, parse_version

    bare = version.removeprefix("v")
    release = bare.split("-", 1)[0].split("+", 1)[0]
    try:
        wanted = parse_version(release if terraform else bare)
        if parse_constraints(constraint).allows(wanted):
            return constraint
    except ValueError:
        pass
    m = _SIMPLE.match(constraint)
    if m is None or (release != bare and not terraform):
        return bare
    op, numbers = m.group(1), m.group(2)
    width = len(numbers.split("."))
    parts = [*bare.split("-", 1)[0].split("."), "0", "0", "0"][: max(width, 1)]
    if op == "~>" and width == 1:
        parts = parts[:1]
    prefix = f"{op} " if op else ""
    return prefix + ".".join(parts)


def _same_style(old: str | None, new: str) -> str:
    """``new`` with a ``v`` prefix exactly when the old pin had one."""
    bare = new.removeprefix("v")
    return f"v{bare}" if old is not None and old.startswith("v") else bare


@dataclass(slots=True)
class ApplyResult:
    """What ``apply_wave`` did: the files it edited (repository-relative), the report of the
    refresh (lock / checksums), and whether it rolled everything back."""

    wave: Wave
    edited: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    report: Report = field(default_factory=lambda: Report(command="rollout apply"))
    rolled_back: bool = False


def _edit_usage(root: Path, u: Usage, to: str, originals: dict[Path, bytes | None]) -> bool:
    """Rewrite one pin (atomically; the file's first bytes kept in ``originals`` for a
    rollback); return whether the file changed."""
    from depguard.rollout import edit
    from depguard.util.atomic import write_atomic

    path = root / u.file
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(u.file, f"cannot read: {e.strerror}") from e
    current = data.decode("utf-8")
    if u.pin == "constraint" and u.constraint is not None:
        wanted = bump_constraint(u.constraint, to, terraform=u.dependency.kind == "terraform")
        if wanted == u.constraint:
            return False
        if u.dependency.kind == "provider":
            text, pins = edit.set_provider_constraint(current, u.file, u.dependency.name, wanted)
        else:
            text, pins = edit.set_required_version(current, u.file, wanted)
    elif u.pin == "aqua":
        package = "hashicorp/terraform" if u.dependency.kind == "terraform" else u.dependency.name
        text, pins = edit.set_aqua_package_version(
            current, u.file, package, _same_style(u.version, to)
        )
    elif u.pin == "terraform-version":
        text, pins = edit.set_terraform_version_file(current, u.file, _same_style(u.version, to))
    else:
        return False  # lock entries are refreshed, not edited
    if pins == 0:
        raise InputError(u.file, f"{u.dependency} is no longer pinned here", line=u.line)
    if text == current:
        return False
    originals.setdefault(path, data)
    write_atomic(path, text)
    return True


def apply_wave(
    workspace: Workspace,
    dependency: Dependency,
    wave: Wave,
    *,
    to: str,
    config: Config,
    locker: Callable[[], Locker] | None = None,
    aqua: Callable[[], AquaUpstream] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ApplyResult:
    """Edit the pins of ``wave``'s pending directories and refresh their lock and checksum
    files (module docstring). ``locker`` / ``aqua`` build the upstream clients when needed."""
    from depguard.engine.aqua import merge_reports

    root = workspace.root
    by_path = {t.path: t for t in workspace.targets}
    pending: list[Target] = [by_path[d] for d in wave.directories if d not in wave.done]
    result = ApplyResult(wave=wave)
    originals: dict[Path, bytes | None] = {}  # None: the file did not exist
    reports: list[Report] = []
    try:
        for target in pending:
            for u in target.usages:
                if u.dependency == dependency and _edit_usage(root, u, to, originals):
                    result.edited.append(u.file)
        locks = [
            t for t in pending if any(u.dependency == dependency and u.pin == "lock"
                                      for u in t.usages)
        ]  # fmt: skip
        if dependency.kind == "provider" and locks:
            reports.append(
                _refresh_locks(root, locks, dependency, to, config, locker, result, originals)
            )
        aquas = [
            t for t in pending if any(u.dependency == dependency and u.pin == "aqua"
                                      for u in t.usages)
        ]  # fmt: skip
        if aquas:
            for t in aquas:  # checksums update writes them itself: keep them for a rollback
                for sub in ("", "aqua/", ".aqua/"):
                    for name in ("aqua-checksums.json", ".aqua-checksums.json"):
                        sums = root / t.path / f"{sub}{name}"
                        originals.setdefault(sums, sums.read_bytes() if sums.is_file() else None)
            reports.append(_refresh_checksums(root, aquas, config, aqua, progress, result))
    except BaseException:
        _restore(originals)
        raise
    report = merge_reports(*reports) if reports else Report(command="rollout apply")
    failed = bool(report.findings or report.skipped)
    if failed:
        _restore(originals)
        result.rolled_back = True
    result.report = Report(
        command="rollout apply",
        findings=report.findings,
        skipped=report.skipped,
        checked=report.checked,
        notes=tuple(
            [f"edited {f}" for f in sorted(set(result.edited))]
            + [f"refreshed {f}" for f in sorted(set(result.refreshed))]
            + (["every edit was rolled back: fix the findings and run it again"] if failed else [])
        ),
    )
    return result


def _restore(originals: dict[Path, bytes | None]) -> None:
    from depguard.util.atomic import write_atomic

    for path, data in originals.items():
        if data is not None:
            write_atomic(path, data)
        elif path.is_file():
            path.unlink()  # created by the run


def _refresh_locks(
    root: Path,
    targets: list[Target],
    dependency: Dependency,
    to: str,
    config: Config,
    locker: Callable[[], Locker] | None,
    result: ApplyResult,
    originals: dict[Path, bytes | None],
) -> Report:
    from depguard.engine.lock import LockOptions, run_lock
    from depguard.formats.tf_address import parse_provider_source
    from depguard.util.atomic import write_atomic

    if locker is None:
        raise ConfigError("rollout apply needs the provider registry to refresh lock files")
    address = parse_provider_source(dependency.name)
    options = LockOptions(
        paths=tuple(root / t.path for t in targets),
        platforms=config.platforms,
        providers=(address,),
        pins={address: to.removeprefix("v")},
        root=root,
    )
    lock_result, writes = run_lock(options, locker=locker(), config=config)
    report = lock_result.report
    if report.findings or report.skipped:
        return report
    for path, text in writes.items():
        originals.setdefault(path, path.read_bytes() if path.is_file() else None)
        write_atomic(path, text)
        result.refreshed.append(path.relative_to(root).as_posix())
    return report


def _refresh_checksums(
    root: Path,
    targets: list[Target],
    config: Config,
    aqua: Callable[[], AquaUpstream] | None,
    progress: Callable[[str], None] | None,
    result: ApplyResult,
) -> Report:
    from depguard.engine.aqua import run_checksums_update

    if aqua is None:
        raise ConfigError("rollout apply needs the aqua upstream to refresh checksum files")
    update = run_checksums_update(
        [root / t.path for t in targets],
        config=config,
        upstream=aqua(),
        root=root,
        progress=progress,
    )
    result.refreshed.extend(update.written)
    return update.report
