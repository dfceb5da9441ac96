"""Staged rollout plans (pure): which state directories take a new version in which wave.

A plan covers the directories that use the dependency, stage by stage in the order of
``rollout.stages``. Within a stage, directories go in path order; a stage with ``canary: N``
starts with a wave of its first N directories, the rest follow in waves of at most
``max_per_wave`` (one wave when unset). Directories already at or past the target version
(``done``) keep their place, so wave numbers do not shift while a rollout progresses.

Timing: each wave soaks for its stage's ``soak`` before the next wave may start::

    earliest(1)   = start
    completed(w)  = the day its last directory landed (history), else earliest(w)
    earliest(w+1) = completed(w) + soak(stage of w)

Dates are days (UTC). The same workspace, dependency, target version, start day and history
give the same plan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cmp_to_key
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from depguard.rollout.model import Dependency, Target, Workspace

__all__ = ["Landed", "Plan", "Wave", "compare_versions", "newest", "plan"]


@dataclass(frozen=True, slots=True)
class Landed:
    """The version a directory runs on the default branch and since when (from git history;
    ``since``/``commit`` None when the history does not say)."""

    version: str | None
    since: datetime | None = None
    commit: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Wave:
    """One wave: directories of one stage that take the version together."""

    index: int  # 1-based
    stage: str
    directories: tuple[str, ...]
    canary: bool
    approval: bool
    earliest: date
    done: tuple[str, ...] = ()  # directories already at or past the target version
    completed: date | None = None  # when the last of them landed (all done)

    @property
    def complete(self) -> bool:
        return len(self.done) == len(self.directories)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Waves in order; ``to`` is the target version (None: the dependency has no exact pins)."""

    dependency: Dependency
    to: str | None
    waves: tuple[Wave, ...]
    soak: Mapping[str, timedelta]  # per stage name
    notes: tuple[str, ...] = ()

    def next_wave(self) -> Wave | None:
        """The first wave not complete yet (None: the rollout is finished)."""
        return next((w for w in self.waves if not w.complete), None)


_NUM = re.compile(r"\d+|[^\d.+-]+")


def _key(text: str) -> tuple[int, tuple[object, ...]]:
    from depguard.versions import parse_version

    try:
        v = parse_version(text.strip().removeprefix("v"))
    except ValueError:
        parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in _NUM.findall(text))
        return (1, parts)
    pre = v.prerelease
    return (0, (v.major, v.minor, v.patch, 0 if pre else 1, pre))


def compare_versions(a: str, b: str) -> int:
    """Order two versions as written (``v1.2.3``, ``1.2``, ``v14``): semantic-version
    precedence where both parse, else numeric-aware text order. Returns -1, 0 or 1."""
    ka, kb = _key(a), _key(b)
    if ka[0] != kb[0]:  # a semantic version and free text: compare the digit runs
        ka = (1, tuple((0, int(p)) if p.isdigit() else (1, p) for p in _NUM.findall(a)))
        kb = (1, tuple((0, int(p)) if p.isdigit() else (1, p) for p in _NUM.findall(b)))
    return (ka > kb) - (ka < kb)


def newest(versions: Sequence[str]) -> str | None:
    """The newest of ``versions`` (None for none)."""
    if not versions:
        return None
    return max(versions, key=cmp_to_key(compare_versions))


def _days(soak: timedelta) -> timedelta:
    """A soak in whole days, rounded up (plans are in days)."""
    whole = timedelta(days=soak.days)
    return whole if whole == soak else whole + timedelta(days=1)


def _chunks(items: Sequence[str], size: int | None) -> list[tuple[str, ...]]:
    if not items:
        return []
    if size is None:
        return [tuple(items)]
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]


def plan(
    workspace: Workspace,
    dependency: Dependency,
    *,
    to: str | None,
    start: date,
    landed: Mapping[str, Landed] | None = None,
) -> Plan:
    """The waves that take ``dependency`` to ``to`` (see the module docstring).

    ``to`` None means the newest version any directory runs (finish what a canary started).
    ``landed`` maps a directory to what history says (``status``); without it, a directory
    is done when the workspace shows it at or past ``to`` and the date is unknown.
    """
    users = [t for t in workspace.targets if t.uses(dependency)]
    current = {t.path: t.version_of(dependency) for t in users}
    notes: list[str] = []
    if to is None:
        to = newest([v for v in current.values() if v is not None])
        if to is not None:
            notes.append(f"target version {to}: the newest one in use (pass --to to choose)")

    def is_done(target: Target) -> bool:
        version = current[target.path]
        return to is not None and version is not None and compare_versions(version, to) >= 0

    waves: list[Wave] = []
    soak = {s.name: s.soak for s in workspace.stages}
    by_path = {t.path: t for t in users}
    ready = start  # when the next wave may start
    for stage in workspace.stages:
        members = sorted(t.path for t in users if t.stage == stage.name)
        groups: list[tuple[tuple[str, ...], bool]] = []
        rest = members
        if stage.canary is not None and len(members) > stage.canary:
            groups.append((tuple(members[: stage.canary]), True))
            rest = members[stage.canary :]
        groups += [(chunk, False) for chunk in _chunks(rest, stage.max_per_wave)]
        for directories, canary in groups:
            done = tuple(d for d in directories if is_done(by_path[d]))
            completed = None
            if len(done) == len(directories):
                dates = [landed[d].since if landed and d in landed else None for d in done]
                if dates and all(x is not None for x in dates):
                    completed = max(x for x in dates if x is not None).date()
            # a pending wave starts no earlier than the plan's start; a finished one started
            # no later than it finished
            earliest = min(ready, completed) if completed is not None else max(ready, start)
            waves.append(
                Wave(
                    index=len(waves) + 1,
                    stage=stage.name,
                    directories=directories,
                    canary=canary,
                    approval=stage.approval,
                    earliest=earliest,
                    done=done,
                    completed=completed,
                )
            )
            ready = (completed if completed is not None else earliest) + _days(stage.soak)
    if not users:
        notes.append(f"no state directory uses {dependency}")
    return Plan(dependency=dependency, to=to, waves=tuple(waves), soak=soak, notes=tuple(notes))
