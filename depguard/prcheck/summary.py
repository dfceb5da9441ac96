"""What a PR changes, one row per dependency, with how each row was judged (the PR comment).

:func:`change_rows` folds the extracted :class:`~depguard.prcheck.changes.DependencyChange`s
and the outcome of judging them (findings, skips, the evidence verification recorded) into
:class:`~depguard.model.Change` rows. It is pure and matches by what both sides name: a lock
entry by ``address version`` and lock file, an aqua package by ``name version``, anything
else by file and line.

Folding: a lock entry's hash change is shown on its version change when both exist, and the
changed entries of an ``aqua-checksums.json`` are one row per file (the packages they belong
to have their own rows).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from depguard.errors import InputError
from depguard.model import Change, Checked, Finding, Skip

if TYPE_CHECKING:
    from depguard.prcheck.changes import DependencyChange
    from depguard.prcheck.release_age import ReleaseDate

__all__ = ["change_rows", "evidence_words"]

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}|sha256:[0-9a-f]{64}")
_SIGNERS = {"official": "HashiCorp", "partner": "a partner key", "community": "a trusted key"}
_WORDS = {
    "checksum-file": "the release's checksum file",
    "cosign": "a cosign signature",
    "minisign": "a minisign signature",
    "github-attestation": "a GitHub artifact attestation",
    "slsa": "SLSA provenance",
    "release-digest": "GitHub's release asset digest",
    "tofu": "trust on first use (no upstream checksum)",
}


def evidence_words(tokens: Sequence[str]) -> str:
    """Say in words what the evidence tokens of a check mean.

    ``("openpgp:34365D9472D7468F:official", "zh")`` → ``"zh checked against SHA256SUMS signed
    by HashiCorp 34365D9472D7468F"``; aqua kinds → ``"checked against the release's checksum
    file and a cosign signature"``. Unknown tokens are kept as written.
    """
    hashes = [t for t in tokens if t in ("zh", "h1")]
    parts: list[str] = []
    for token in tokens:
        if token in ("zh", "h1"):
            continue
        if token.startswith("openpgp:"):
            _, key, kind = [*token.split(":"), "", ""][:3]
            who = _SIGNERS.get(kind, kind)
            what = " and ".join(hashes) or "entry"
            parts.append(f"{what} checked against SHA256SUMS signed by {who} {key}".strip())
        elif token.startswith("aqua-checksums:"):
            parts.append(f"{token.split(':', 1)[1]} checksum in aqua-checksums.json")
        else:
            parts.append(_WORDS.get(token, token))
    if not parts:
        return ""
    if tokens and not tokens[0].startswith(("openpgp:", "aqua-checksums:")):
        return "checked against " + " and ".join(parts)
    return "; ".join(parts)


def _lock_subject(c: DependencyChange) -> str | None:
    from depguard.formats.tf_address import parse_lock_label

    version = c.new_version or c.old_version
    try:
        return f"{parse_lock_label(c.name)} {version}"
    except InputError:
        return None


def _hash_text(added: int, removed: int, word: str) -> str:
    if not added and not removed:
        return ""
    return f"+{added} −{removed} {word}"


def change_rows(
    changes: Sequence[DependencyChange],
    *,
    findings: Sequence[Finding],
    skipped: Sequence[Skip],
    checked: Sequence[Checked],
    dates: Mapping[tuple[str, str], ReleaseDate],
    verified: bool,
) -> list[Change]:
    """One :class:`Change` per dependency the PR changes (see the module docstring).

    ``verified`` says whether upstream verification ran (``--no-verify`` otherwise): a row
    that could have been verified but was not says so instead of claiming ``n/a``.
    """
    index = _Index(findings, skipped, checked)
    rows: list[Change] = []
    lock_versions = {(c.file, c.name) for c in changes if c.kind == "provider"}
    hash_changes = {(c.file, c.name): c for c in changes if c.kind == "provider-hashes"}
    sums: dict[str, list[DependencyChange]] = {}
    for c in changes:
        if c.kind == "aqua-checksum":
            sums.setdefault(c.file, []).append(c)
            continue
        if c.kind == "provider-hashes" and (c.file, c.name) in lock_versions:
            continue  # shown on the version change's row
        is_lock = c.file.endswith(".terraform.lock.hcl")
        hashes = ""
        if is_lock:
            h = hash_changes.get((c.file, c.name))
            if h is not None:
                hashes = _hash_text(len(h.added), len(h.removed), "hashes")
        status, evidence = _judged(c, is_lock, index, verified)
        date = dates.get((c.kind, f"{c.name}@{c.new_version}")) if c.new_version else None
        rows.append(
            Change(
                kind=c.kind,
                name=c.name,
                path=c.file,
                line=c.line,
                old=c.old_version,
                new=c.new_version,
                old_source=c.old_source,
                new_source=c.new_source,
                hashes=hashes,
                status=status,
                evidence=evidence,
                released=date.published if date else None,
                age=date.age if date else None,
            )
        )
    for file, entries in sums.items():
        added = sum(1 for e in entries if e.added)
        removed = sum(1 for e in entries if e.removed)
        failed = any(f.path == file and f.rule.startswith("aqua-") for f in findings)
        seen = [c for c in checked if c.path == file]
        if failed:
            status = "failed"
        elif not verified:
            status = "not verified"
        else:
            status = "verified" if seen else "skipped"
        evidence = tuple(sorted({evidence_words(c.evidence) for c in seen} - {""}))
        rows.append(
            Change(
                kind="aqua-checksums",
                name=file.rsplit("/", 1)[-1],
                path=file,
                hashes=_hash_text(added, removed, "checksums"),
                status=status,
                evidence=evidence,
            )
        )
    return rows


class _Index:
    """Findings, skips and checks by what rows look them up with (one pass each)."""

    def __init__(
        self, findings: Sequence[Finding], skipped: Sequence[Skip], checked: Sequence[Checked]
    ) -> None:
        self.findings = findings
        self.checked = checked
        self.at_line = {(f.path, f.line) for f in findings if f.line is not None}
        self.finding_subjects = {(f.path, f.subject) for f in findings}
        self.skips: dict[tuple[str, str], list[str]] = {}
        for x in skipped:
            self.skips.setdefault((x.path, x.subject), []).append(x.reason)
        self.checks: dict[tuple[str, str], list[Checked]] = {}
        for y in checked:
            self.checks.setdefault((y.path, y.subject), []).append(y)


def _judged(
    c: DependencyChange, is_lock: bool, index: _Index, verified: bool
) -> tuple[str, tuple[str, ...]]:
    """(status, evidence in words) of one change."""
    findings, checked = index.findings, index.checked
    at_line = c.line is not None and (c.file, c.line) in index.at_line
    if c.new_version is None and c.new_source is None:
        return ("failed" if at_line else "n/a"), ("removed",)
    if is_lock:
        subject = _lock_subject(c) or ""
        mine = index.checks.get((c.file, subject), [])
        failed = at_line or (c.file, subject) in index.finding_subjects
        skip = index.skips.get((c.file, subject), [])
        evidence = tuple(evidence_words(x.evidence) for x in mine if evidence_words(x.evidence))
        if failed:
            return "failed", evidence
        if skip:
            return "skipped", (*evidence, *skip)
        if not verified:
            return "not verified", ()
        return ("verified" if mine else "skipped"), evidence
    if c.kind == "aqua-package":
        prefix = f"{c.name} {c.new_version} "
        mine = [x for x in checked if x.subject.startswith(prefix)]
        failed = at_line or any(
            f.subject.startswith(prefix) or f.subject == prefix.strip() for f in findings
        )
        platforms = sorted(x.subject[len(prefix) :] for x in mine)
        words = sorted({evidence_words(x.evidence) for x in mine} - {""})
        evidence = tuple(words) + ((f"platforms {', '.join(platforms)}",) if platforms else ())
        if failed:
            return "failed", evidence
        if not verified:
            return "not verified", ()
        return ("verified" if mine else "skipped"), evidence
    if c.kind == "aqua-registry":
        prefix = f"registry {c.name} ("
        mine = [x for x in checked if x.subject.startswith(prefix)]
        registry_words = tuple(sorted({evidence_words(x.evidence) for x in mine} - {""}))
        if at_line or any(f.subject.startswith(prefix) for f in findings):
            return "failed", registry_words
        if not verified:
            return "not verified", ()
        return ("verified" if mine else "skipped"), registry_words
    if c.kind == "action" and c.new_version is not None:
        pinned = bool(_SHA.fullmatch(c.new_version))
        comment = f" ({c.new_comment.lstrip('# ').strip()})" if c.new_comment else ""
        said = f"pinned to commit {c.new_version[:12]}{comment}" if pinned else "not pinned"
        return ("failed" if at_line else "n/a"), (said,)
    return ("failed" if at_line else "n/a"), ()
