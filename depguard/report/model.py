"""The weekly upgrade report (``depguard report``): plain frozen data, built by
:mod:`depguard.report.collect`, rendered by :mod:`depguard.report.render` (Markdown, JSON) and
:mod:`depguard.report.html` (one self-contained HTML page with inline SVG charts).

Everything a renderer shows is here, so the JSON document (:func:`to_document`, schema
``depguard.upgrade-report/v1``) carries everything the other formats show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from depguard.model import Finding, Skip

__all__ = [
    "SCHEMA",
    "Outdated",
    "PullRequest",
    "RolloutProgress",
    "Skew",
    "TrendPoint",
    "UpgradeReport",
    "to_document",
]

SCHEMA = "depguard.upgrade-report/v1"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outdated:
    """One dependency across the repository against its newest upstream release.

    ``kind``: ``provider``, ``aqua``, ``terraform`` or ``action``. ``in_use``: the distinct
    versions pinned, oldest first; ``directories``: how many state directories (or workflow
    files, for actions) pin it. ``latest`` is None when upstream could not be asked (then
    ``note`` says why). ``behind``: releases between the oldest version in use and
    ``latest`` (None when the release list is unknown). ``latest_age_days``: age of the newest
    release at the report's clock. ``libyears``: the time between the release of the oldest
    version in use and the newest release, in years (libyear.com's measure).
    """

    kind: str
    name: str
    in_use: tuple[str, ...]
    directories: int
    latest: str | None = None
    behind: int | None = None
    latest_age_days: float | None = None
    libyears: float | None = None
    note: str = ""

    @property
    def outdated(self) -> bool:
        return self.behind is not None and self.behind > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Skew:
    """A dependency whose pinned version differs between state directories.

    ``versions``: directory → version; ``stages``: stage → the distinct versions in it, in
    stage order, and ``stage_of``: directory → stage (both empty when no rollout stages are
    configured)."""

    kind: str
    name: str
    versions: Mapping[str, str]
    stages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    stage_of: Mapping[str, str] = field(default_factory=dict)  # directory -> stage


@dataclass(frozen=True, slots=True, kw_only=True)
class RolloutProgress:
    """A rollout in progress: some directories run ``to``, others not yet."""

    kind: str
    name: str
    to: str
    waves: int
    waves_done: int
    directories: int
    directories_done: int
    next_wave: int | None
    next_stage: str | None
    may_start: str | None  # YYYY-MM-DD
    approval: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PullRequest:
    """An open Renovate PR (only when a GitHub token and repository are given)."""

    number: int
    title: str
    url: str
    created: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendPoint:
    """The summary of one report run, for the trend (oldest first, this run last)."""

    generated: str  # RFC 3339
    outdated: int
    skewed: int
    findings: int
    skipped: int
    libyears: float


@dataclass(frozen=True, slots=True, kw_only=True)
class UpgradeReport:
    """Everything the weekly report shows.

    ``generated`` is the report's clock (``DEPGUARD_NOW`` or now, RFC 3339); ``repository``
    a display name. ``findings``/``skipped`` are ``verify``'s. ``prs`` is None when the
    optional GitHub section was not asked for. ``trend`` ends with this run.
    """

    generated: str
    repository: str
    directories: int
    dependencies: int
    outdated: tuple[Outdated, ...]
    skew: tuple[Skew, ...]
    findings: tuple[Finding, ...]
    skipped: tuple[Skip, ...]
    checked: int
    rollouts: tuple[RolloutProgress, ...]
    prs: tuple[PullRequest, ...] | None
    trend: tuple[TrendPoint, ...]
    notes: tuple[str, ...] = ()

    @property
    def libyears(self) -> float:
        return round(sum(o.libyears or 0.0 for o in self.outdated), 2)

    def point(self) -> TrendPoint:
        """This run's :class:`TrendPoint`."""
        return TrendPoint(
            generated=self.generated,
            outdated=sum(1 for o in self.outdated if o.outdated),
            skewed=len(self.skew),
            findings=len(self.findings),
            skipped=len(self.skipped),
            libyears=self.libyears,
        )


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity.label,
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "subject": f.subject,
        "fingerprint": f.fingerprint,
    }


def to_document(report: UpgradeReport) -> dict[str, Any]:
    """The JSON document (keys in a fixed, documented order; only ever added to)."""
    point = report.point()
    return {
        "schema": SCHEMA,
        "generated": report.generated,
        "repository": report.repository,
        "summary": {
            "directories": report.directories,
            "dependencies": report.dependencies,
            "outdated": point.outdated,
            "skewed": point.skewed,
            "findings": point.findings,
            "skipped": point.skipped,
            "checked": report.checked,
            "libyears": point.libyears,
            "rollouts": len(report.rollouts),
        },
        "outdated": [
            {
                "kind": o.kind,
                "name": o.name,
                "in_use": list(o.in_use),
                "directories": o.directories,
                "latest": o.latest,
                "behind": o.behind,
                "latest_age_days": o.latest_age_days,
                "libyears": o.libyears,
                "note": o.note,
            }
            for o in report.outdated
        ],
        "skew": [
            {
                "kind": s.kind,
                "name": s.name,
                "versions": dict(s.versions),
                "stages": {k: list(v) for k, v in s.stages.items()},
                "stage_of": dict(s.stage_of),
            }
            for s in report.skew
        ],
        "integrity": {
            "findings": [_finding(f) for f in report.findings],
            "skipped": [
                {"subject": s.subject, "reason": s.reason, "path": s.path} for s in report.skipped
            ],
            "checked": report.checked,
        },
        "rollouts": [
            {
                "kind": r.kind,
                "name": r.name,
                "to": r.to,
                "waves": r.waves,
                "waves_done": r.waves_done,
                "directories": r.directories,
                "directories_done": r.directories_done,
                "next_wave": r.next_wave,
                "next_stage": r.next_stage,
                "may_start": r.may_start,
                "approval": r.approval,
            }
            for r in report.rollouts
        ],
        "pull_requests": None
        if report.prs is None
        else [
            {
                "number": p.number,
                "title": p.title,
                "url": p.url,
                "created": p.created,
                "labels": list(p.labels),
            }
            for p in report.prs
        ],
        "trend": [
            {
                "generated": t.generated,
                "outdated": t.outdated,
                "skewed": t.skewed,
                "findings": t.findings,
                "skipped": t.skipped,
                "libyears": t.libyears,
            }
            for t in report.trend
        ],
        "notes": list(report.notes),
    }


# --- reading back (depguard merge) -----------------------------------------------------------


def _req(doc: dict[str, Any], key: str, kind: type, where: str) -> Any:
    from depguard.errors import InputError

    value = doc.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InputError(where, f"{key}: expected {kind.__name__}")
    return value


def from_document(doc: object, where: str) -> UpgradeReport:
    """The :class:`UpgradeReport` a ``depguard.upgrade-report/v1`` document describes (the
    inverse of :func:`to_document`). Raises :class:`~depguard.errors.InputError` naming
    ``where`` for anything else."""
    from depguard.errors import InputError
    from depguard.model import RuleId, Severity

    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise InputError(where, f"not a {SCHEMA} document")
    try:
        summary = _req(doc, "summary", dict, where)
        integrity = _req(doc, "integrity", dict, where)
        prs = doc.get("pull_requests")
        return UpgradeReport(
            generated=_req(doc, "generated", str, where),
            repository=_req(doc, "repository", str, where),
            directories=int(summary["directories"]),
            dependencies=int(summary["dependencies"]),
            outdated=tuple(
                Outdated(
                    kind=o["kind"], name=o["name"], in_use=tuple(o["in_use"]),
                    directories=int(o["directories"]), latest=o.get("latest"),
                    behind=o.get("behind"), latest_age_days=o.get("latest_age_days"),
                    libyears=o.get("libyears"), note=o.get("note", ""),
                )
                for o in _req(doc, "outdated", list, where)
            ),
            skew=tuple(
                Skew(
                    kind=k["kind"], name=k["name"], versions=dict(k["versions"]),
                    stages={st: tuple(v) for st, v in k.get("stages", {}).items()},
                    stage_of=dict(k.get("stage_of", {})),
                )
                for k in _req(doc, "skew", list, where)
            ),
            findings=tuple(
                Finding(
                    rule=RuleId(f["rule"]), severity=Severity.parse(f["severity"]),
                    message=f["message"], path=f["path"], line=f.get("line"),
                    subject=f.get("subject", ""), fingerprint=f.get("fingerprint", ""),
                )
                for f in integrity["findings"]
            ),
            skipped=tuple(
                Skip(subject=x["subject"], reason=x["reason"], path=x.get("path", ""))
                for x in integrity["skipped"]
            ),
            checked=int(integrity["checked"]),
            rollouts=tuple(RolloutProgress(**r) for r in _req(doc, "rollouts", list, where)),
            prs=None if prs is None else tuple(
                PullRequest(number=p["number"], title=p["title"], url=p["url"],
                            created=p["created"], labels=tuple(p.get("labels", ())))
                for p in prs
            ),
            trend=tuple(TrendPoint(**t) for t in _req(doc, "trend", list, where)),
            notes=tuple(_req(doc, "notes", list, where)),
        )  # fmt: skip
    except InputError:
        raise
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(where, f"not a valid {SCHEMA} document: {e!r}") from None


def merge(reports: tuple[UpgradeReport, ...], where: str) -> UpgradeReport:
    """One report from the shards of ``depguard report --shard I/N``: each shard has the whole
    inventory (skew, rollouts, counts) and its share of the upstream lookups and of
    ``verify``; the outdated rows and the integrity results are put together."""
    import dataclasses

    from depguard.errors import InputError

    first = reports[0]
    for other in reports[1:]:
        same = (other.repository, other.directories, other.dependencies, other.skew)
        if same != (first.repository, first.directories, first.dependencies, first.skew):
            raise InputError(where, "the reports are not shards of one repository state")
    rows = {(o.kind, o.name): o for r in reports for o in r.outdated}
    merged = dataclasses.replace(
        first,
        outdated=tuple(rows[k] for k in sorted(rows)),
        findings=tuple(sorted({f for r in reports for f in r.findings}, key=Finding.sort_key)),
        skipped=tuple(dict.fromkeys(s for r in reports for s in r.skipped)),
        checked=sum(r.checked for r in reports),
        notes=tuple(dict.fromkeys(n for r in reports for n in r.notes if "shard" not in n)),
    )
    trend = first.trend[:-1] if first.trend else ()
    return dataclasses.replace(merged, trend=(*trend, merged.point()))
