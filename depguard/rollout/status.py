"""Where a rollout stands, from git history: the version each state directory runs on the
default branch and the day it landed there (never the wall clock).

One ``git log --first-parent --raw`` pass over the branch gives, per file, the commits that
changed it and the blob each left behind; walking a directory's pin files from the newest of
those commits backwards, the version landed with the oldest commit of the run that still
shows it. Blobs are read by id through one ``git cat-file --batch`` process: a directory costs
a couple of reads, not a process per file.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from depguard.errors import InputError
from depguard.rollout.planner import Landed, Plan

if TYPE_CHECKING:
    from depguard.prcheck.gitrepo import GitRepo
    from depguard.rollout.model import Dependency, Usage, Workspace

__all__ = ["StageState", "landed", "order_violations", "stage_states", "version_in"]

_ZERO = "0" * 40


def version_in(dependency: Dependency, path: str, data: bytes) -> str | None:
    """The exact version of ``dependency`` a pin file holds (lock entry, aqua package,
    ``.terraform-version``), or None. Malformed content counts as no version."""
    from depguard.prcheck.changes import classify

    for kind, name, version in _pins_of(classify(path), data):
        if _pins_dependency(dependency, path, kind, name):
            return version
    return None


# Stand-in paths per file kind: what a pin file holds does not depend on where it is, so the
# parse of one content serves every directory (lock files of many directories are identical).
_CANONICAL = {
    "terraform-lock": ".terraform.lock.hcl",
    "terraform-version": ".terraform-version",
    "aqua-config": "aqua.yaml",
    "aqua-import": "aqua/imports/pins.yaml",
}


@functools.lru_cache(maxsize=4096)
def _pins_of(kind: str | None, data: bytes) -> tuple[tuple[str, str, str], ...]:
    """``(kind, name, version)`` of every exact pin in a file's content (cached by content)."""
    from depguard.prcheck.changes import file_changes

    path = _CANONICAL.get(kind or "")
    if path is None:
        return ()
    try:
        changes = file_changes(path, None, data)
    except InputError:
        return ()
    return tuple((c.kind, c.name, c.new_version) for c in changes if c.new_version is not None)


def _pins_dependency(dependency: Dependency, path: str, kind: str, name: str) -> bool:
    if dependency.kind == "provider":
        return (
            kind == "provider"
            and path.endswith(".terraform.lock.hcl")
            and _lock_address(name) == dependency.name
        )
    if dependency.kind == "aqua":
        return kind == "aqua-package" and name == dependency.name
    return kind == "terraform-version" or (kind == "aqua-package" and name == "hashicorp/terraform")


def _lock_address(label: str) -> str | None:
    from depguard.formats.tf_address import parse_lock_label

    try:
        return str(parse_lock_label(label))
    except InputError:
        return None


def _pins(workspace: Workspace, dependency: Dependency) -> dict[str, list[Usage]]:
    """Per directory, the usages that pin an exact version."""
    out: dict[str, list[Usage]] = {}
    for t in workspace.targets:
        pins = [u for u in t.usages if u.dependency == dependency and u.version is not None]
        if pins:
            out[t.path] = pins
    return out


def pin_file(path: str) -> bool:
    """Whether a path can hold an exact version pin (the files :func:`landed` follows)."""
    name = path.rpartition("/")[2]
    return name in (".terraform.lock.hcl", ".terraform-version") or name.endswith((".yaml", ".yml"))


History = list[tuple[str, int, list[tuple[str, str]]]]


def landed(
    repo: GitRepo,
    rev: str,
    workspace: Workspace,
    dependency: Dependency,
    *,
    prefix: str = "",
    log: History | None = None,
    check_head: bool = False,
) -> dict[str, Landed]:
    """For each directory pinning ``dependency``: its version at ``rev`` and since when.

    ``workspace`` must describe ``rev`` (discovered from a :class:`GitSource` of it, or from a
    clean checkout of it); ``prefix`` is :attr:`GitSource.prefix` when the workspace is a
    subdirectory of the work tree; ``log`` is ``repo.history(rev, keep=pin_file)`` when the
    caller already started it (it runs while the workspace is discovered). With
    ``check_head`` the workspace may come from a working tree instead: the newest commit's
    blob is read and compared too, and a pin the working tree changed gets no date. A
    directory with several pins (a lock file and an aqua import)
    landed when the last of them did. A file whose history does not show its current
    content (a shallow clone) gives no date.
    """
    pins = _pins(workspace, dependency)
    wanted = {prefix + u.file for usages in pins.values() for u in usages}
    if log is None:
        log = repo.history(rev, keep=wanted.__contains__)
    touches: dict[str, list[tuple[str, int, str]]] = {}
    for commit, when, files in log:
        for path, oid in files:
            if path in wanted:
                touches.setdefault(path[len(prefix) :], []).append((commit, when, oid))
    shallow = repo.shallow_commits()
    usages = [u for us in pins.values() for u in us]
    # Walk every pin file's commits from the newest, all files one step at a time, reading
    # each step's blobs in one batch. The newest commit's blob is the file at ``rev`` (the
    # workspace read it): its version is the usage's. A run ends at a commit showing
    # another version, a deletion, or the start of the (possibly shallow) history.
    found: dict[Usage, tuple[datetime, str] | None] = {}
    step = 0
    active = []
    heads: dict[str, bytes] = {}
    if check_head:
        heads = repo.read_blobs(
            {touches[u.file][0][2] for u in usages if touches.get(u.file)} - {_ZERO}
        )
    for u in usages:
        history = touches.get(u.file, [])
        if not history or history[0][0] in shallow:
            found[u] = None
            continue
        if check_head and (
            history[0][2] == _ZERO
            or version_in(dependency, u.file, heads[history[0][2]]) != u.version
        ):
            found[u] = None  # the working tree differs from the last commit
            continue
        found[u] = (datetime.fromtimestamp(history[0][1], UTC), history[0][0])
        active.append(u)
    while active:
        step += 1
        need = {
            touches[u.file][step][2]
            for u in active
            if step < len(touches[u.file]) and touches[u.file][step][2] != _ZERO
        }
        blobs = repo.read_blobs(need)
        still = []
        for u in active:
            history = touches[u.file]
            if step >= len(history):
                continue  # the file's first commit: it landed then
            commit, when, oid = history[step]
            if oid == _ZERO or version_in(dependency, u.file, blobs[oid]) != u.version:
                continue
            if commit in shallow:
                found[u] = None  # the history before it was cut off: the date is unknown
                continue
            found[u] = (datetime.fromtimestamp(when, UTC), commit)
            still.append(u)
        active = still

    def since(usage: Usage) -> tuple[datetime, str] | None:
        return found.get(usage)

    out: dict[str, Landed] = {}
    for directory, usages in sorted(pins.items()):
        dates = [since(u) for u in usages]
        version = usages[0].version
        if all(d is not None for d in dates):
            last = max((d for d in dates if d is not None), key=lambda d: d[0])
            out[directory] = Landed(version=version, since=last[0], commit=last[1])
        else:
            out[directory] = Landed(version=version)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class StageState:
    """One stage of a rollout: done when every directory of it runs the target version;
    ``completed`` is when the last one landed, ``soak_until`` when the next stage may start."""

    name: str
    directories: int
    done: int
    completed: datetime | None
    soak: timedelta
    soak_until: datetime | None
    soak_met: bool

    @property
    def complete(self) -> bool:
        return self.done == self.directories


def stage_states(plan: Plan, landed: Mapping[str, Landed], *, now: datetime) -> list[StageState]:
    """Per stage of ``plan`` (stages without directories left out): progress and soak."""
    out: list[StageState] = []
    order: list[str] = []
    for w in plan.waves:
        if w.stage not in order:
            order.append(w.stage)
    for name in order:
        waves = [w for w in plan.waves if w.stage == name]
        dirs = [d for w in waves for d in w.directories]
        done = [d for w in waves for d in w.done]
        completed = None
        if dirs and len(done) == len(dirs):
            dates = [landed[d].since if d in landed else None for d in done]
            if all(x is not None for x in dates):
                completed = max(x for x in dates if x is not None)
        soak = plan.soak.get(name, timedelta(0))
        until = completed + soak if completed is not None else None
        out.append(
            StageState(
                name=name,
                directories=len(dirs),
                done=len(done),
                completed=completed,
                soak=soak,
                soak_until=until,
                soak_met=until is not None and now >= until,
            )
        )
    return out


def order_violations(
    plan: Plan,
    landed: Mapping[str, Landed],
    *,
    stage: str,
    now: datetime,
) -> list[str]:
    """Why ``stage`` may not take ``plan.to`` yet: for each earlier stage, its directories not
    at the version, or a soak not over (empty: in order)."""
    reasons: list[str] = []
    for state in stage_states(plan, landed, now=now):
        if state.name == stage:
            break
        if not state.complete:
            reasons.append(
                f"stage {state.name}: {state.directories - state.done} of {state.directories} "
                f"directories do not run {plan.to} yet"
            )
        elif state.completed is None:
            reasons.append(f"stage {state.name}: the history does not say when {plan.to} landed")
        elif not state.soak_met:
            assert state.soak_until is not None
            reasons.append(
                f"stage {state.name} runs {plan.to} since {state.completed:%Y-%m-%d %H:%M} UTC; "
                f"its soak ({_duration(state.soak)}) ends {state.soak_until:%Y-%m-%d %H:%M} UTC"
            )
    return reasons


def _duration(d: timedelta) -> str:
    hours = d.total_seconds() / 3600
    return f"{hours:g}h" if hours < 48 and hours != int(hours // 24) * 24 else f"{hours / 24:g}d"
