"""``release-too-new``: how old each release a PR moves to is, from upstream's own dates.

Providers: the Terraform registry's ``published_at`` for the version. aqua packages from GitHub
releases and actions pinned with a version comment: the GitHub release's ``published_at``.
The clock is the current time, or ``DEPGUARD_NOW`` (RFC 3339) for reproducible runs. A date
that cannot be fetched is a skip, never a pass.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from depguard.errors import DepguardError
from depguard.model import Finding, Skip
from depguard.rules import release_too_new

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.engine.aqua_upstream import AquaUpstream
    from depguard.engine.upstream import Upstream
    from depguard.prcheck.changes import DependencyChange


def now() -> datetime:
    """The clock of the rule: ``DEPGUARD_NOW`` when set, else the current UTC time."""
    fixed = os.environ.get("DEPGUARD_NOW")
    return _parse_time(fixed) if fixed else datetime.now(UTC)


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _age_text(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.1f} days"


@dataclass(frozen=True, slots=True)
class ReleaseDate:
    """When a change's new version was released, and its age at the run's clock."""

    published: str
    age: str


def check_release_age(
    changes: Sequence[DependencyChange],
    *,
    config: Config,
    upstream: Upstream | None,
    aqua: AquaUpstream | None,
) -> tuple[list[Finding], list[Skip], dict[tuple[str, str], ReleaseDate]]:
    """Findings for releases younger than ``trust.min_release_age``, and the dates found.

    The dates (keyed by ``(kind, name@version)``) are for the PR comment. With the age check
    off (``min_release_age`` zero) they are looked up too, but best effort: a date that
    cannot be fetched is then simply not shown, never a skip.
    """
    minimum = config.trust.min_release_age
    enforced = minimum > timedelta(0)
    clock = now()
    findings: list[Finding] = []
    skipped: list[Skip] = []
    dates: dict[tuple[str, str], ReleaseDate] = {}
    seen: set[tuple[str, str]] = set()
    for c in changes:
        if c.new_version is None or c.action not in ("added", "updated"):
            continue
        key = (c.kind, f"{c.name}@{c.new_version}")
        if key in seen:
            continue
        seen.add(key)
        exempt = config.is_release_age_exempt(c.name)
        try:
            published = _published(c, upstream, aqua)
        except DepguardError as e:
            if enforced and not exempt:
                skipped.append(
                    Skip(subject=f"{c.name} {c.new_version}",
                         reason=f"release date: {e.message}", path=c.file)
                )  # fmt: skip
            continue
        if published is None:
            continue
        try:
            age = clock - _parse_time(published)
        except ValueError:
            continue
        dates[key] = ReleaseDate(published=published, age=_age_text(age))
        if enforced and not exempt and age < minimum:
            findings.append(
                release_too_new.META.finding(
                    message=f"{c.name} {c.new_version} was published {published} "
                    f"({_age_text(age)} ago); the policy asks for "
                    f"{_age_text(minimum)} (trust.min_release_age)",
                    path=c.file,
                    line=c.line,
                    subject=f"{c.name} {c.new_version}",
                )
            )
    return findings, skipped, dates


def _published(
    c: DependencyChange, upstream: Upstream | None, aqua: AquaUpstream | None
) -> str | None:
    """The release date of the change's new version, or None when it has none to ask."""
    assert c.new_version is not None
    if c.kind == "provider" and c.file.endswith(".terraform.lock.hcl") and upstream is not None:
        from depguard.formats.tf_address import parse_lock_label

        address = parse_lock_label(c.name)
        return upstream.registry.release_published(address, c.new_version)
    if aqua is None:
        return None
    if c.kind == "aqua-package" and c.name.count("/") == 1:
        owner, repo = c.name.split("/")
        return aqua.github.release(owner, repo, c.new_version).published_at
    if c.kind == "action" and c.new_comment and c.name.count("/") >= 1:
        owner, repo = c.name.split("/")[:2]
        tag = c.new_comment.lstrip("# ").split()[0]
        return aqua.github.release(owner, repo, tag).published_at
    return None
