"""``depguard check-pr``: read a PR as git objects, extract its dependency changes, judge them.

Flow (DESIGN.md §3): resolve base and head → the changed paths (git plumbing, nothing checked
out or run) → who opened it and whether it claims to be Renovate's (event JSON, branch, body
markers) → per changed dependency file, the old and new blobs → :class:`DependencyChange`s →
the structural PR rules. Upstream verification of the new hashes and checksums builds on this
(next step of issue #4).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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
    provider_signer_changed,
    signature_downgrade,
    source_not_allowed,
)

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.engine.aqua_upstream import AquaUpstream
    from depguard.engine.context import TruthKey
    from depguard.engine.upstream import Upstream
    from depguard.formats.renovate import ClaimedUpdate, PrBody, PrEvent
    from depguard.prcheck.changes import DependencyChange
    from depguard.prcheck.gitrepo import ChangedPath
    from depguard.prcheck.release_age import ReleaseDate

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}|sha256:[0-9a-f]{64}")
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
    blobs: dict[str, bytes] = field(default_factory=dict)  # object id -> content already read
    weakened: list[tuple[str, int | None, str]] = field(default_factory=list)  # (file, line, what)
    scripts: list[tuple[str, int | None, str]] = field(default_factory=list)  # workflow edits


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
                # A rename from a file that was not a dependency file (docs/x.yaml →
                # aqua/imports/x.yaml) brings in new content: judge it as added.
                old = (
                    repo.read_blob(cp.old_oid, max_bytes=MAX_FILE_BYTES)
                    if cp.old_path is not None
                    and cp.status not in ("A", "C")
                    and classify(cp.old_path) is not None
                    else None
                )
                new = (
                    repo.read_blob(cp.new_oid, max_bytes=MAX_FILE_BYTES)
                    if cp.new_path is not None
                    else None
                )
                if new is not None:
                    out.blobs[cp.new_oid] = new
                out.changes.extend(file_changes(path, old, new))
                if kind == "aqua-config" and old is not None and new is not None:
                    out.weakened.extend(_checksum_weakened(path, old, new))
                if kind == "workflow" and bot and allowed:
                    edit = workflow_edit(old, new)
                    if edit is not None:
                        out.scripts.append((path, *edit))
            except InputError as e:
                out.errors.append(e)
        for candidate in sorted(_companions(out.changes)):
            try:
                if repo.read_path(head_id, candidate, max_bytes=MAX_FILE_BYTES) is not None:
                    out.present.add(candidate)
            except InputError:
                continue
    return out


# What Renovate changes in a workflow: `uses:` values (with their version comments; which
# action a step uses is a dependency change, judged as such) and version strings its regex
# managers find (aqua_version: v2.x, python-version: '3.12', image digests). With those
# masked out, the two sides must be the same lines.
_USES_REF = re.compile(r"(\buses:\s*).*$")
_VERSION_TOKEN = re.compile(
    r"[0-9a-f]{40}(?:[0-9a-f]{24})?|sha256:[0-9a-f]{64}"
    r"|(?<![\w.])v?\d+(?:\.\d+)*(?:-[0-9A-Za-z.-]+)?(?![\w.])"
)


def _mask(line: str) -> str:
    return _VERSION_TOKEN.sub("<v>", _USES_REF.sub(r"\1<uses>", line.rstrip()))


def workflow_edit(old: bytes | None, new: bytes | None) -> tuple[int | None, str] | None:
    """How a workflow or action file changed beyond what Renovate changes in one, if it did:
    ``(line in the new file, what)``; None when only ``uses:`` refs and version strings
    differ. A new or deleted workflow is such a change too."""
    import difflib

    if new is None:
        return None if old is None else (None, "a workflow file was deleted")
    if old is None:
        return 1, "a new workflow file"
    a = [_mask(x) for x in old.decode("utf-8", "replace").splitlines()]
    b = [_mask(x) for x in new.decode("utf-8", "replace").splitlines()]
    if a == b:
        return None
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        line = min(j1 + 1, len(b)) if b else None
        what = {"insert": "lines were added", "delete": "lines were removed"}.get(
            tag, "a line changed beyond its uses: reference or version"
        )
        return line, f"{what} ({max(j2 - j1, 1)} at line {line})" if line else what
    return None


def _checksum_weakened(path: str, old: bytes, new: bytes) -> list[tuple[str, int | None, str]]:
    """aqua ``checksum.enabled`` / ``require_checksum`` turned off by the change."""
    from depguard.formats.yaml_lines import LineDict, load_yaml

    def settings(data: bytes) -> tuple[dict[str, object], int | None]:
        try:
            doc = load_yaml(data.decode("utf-8"), path)
        except (InputError, UnicodeDecodeError):
            return {}, None
        block = doc.get("checksum") if isinstance(doc, LineDict) else None
        if not isinstance(block, LineDict):
            return {}, None
        return dict(block), block.line

    before, _ = settings(old)
    after, line = settings(new)
    out = []
    for key in ("enabled", "require_checksum"):
        if before.get(key) is True and after.get(key) is not True:
            out.append((path, line, f"checksum.{key} was turned off"))
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
    for file, line, what in pr.weakened:
        findings.append(
            pr_unexpected_change.META.finding(
                message=f"{file}: {what}: aqua would stop verifying what it downloads",
                path=file,
                line=line,
                subject=f"{file} {what}",
            )
        )
    for file, line, what in pr.scripts:
        findings.append(
            pr_unexpected_change.META.finding(
                message=f"{file}: {what}; a Renovate PR changes only uses: references and "
                "version strings in workflows, and a workflow runs with the repository's "
                "credentials",
                path=file,
                line=line,
                subject=f"{file} workflow content",
            )
        )
    for cp, why in pr.unexpected:
        findings.append(
            pr_unexpected_file.META.finding(
                message=f"the PR changes {cp.path} ({why})",
                path=cp.path,
                subject=cp.path,
            )
        )
    bot = ident.is_bot or ident.claims_renovate
    for c in pr.changes:
        findings.extend(_change_findings(c, config, bot=bot))
    findings.extend(_stale(pr.changes, pr.present))
    if ident.body is not None:
        findings.extend(_unclaimed(pr.changes, ident.body))
    return findings, skipped, checked


def _leaves(config_file: str, glob: str) -> bool:
    """Whether an aqua import glob reaches outside its config's directory (``..``, absolute)."""
    if glob.startswith("/"):
        return True
    joined = _normalise(_parent(config_file), glob)
    base = _owner_dir(config_file)
    return joined is None or not (base == "." or joined == base or joined.startswith(base + "/"))


def _change_findings(c: DependencyChange, config: Config, *, bot: bool) -> list[Finding]:
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
    if c.kind == "aqua-import" and c.action == "added" and bot:
        out.append(
            pr_unexpected_change.META.finding(
                message=f"{c.file}: a new aqua import {c.name!r}: Renovate never adds imports, "
                "and an import brings in packages from files the PR may not even touch",
                path=c.file,
                line=c.line,
                subject=f"import {c.name}",
            )
        )
    if c.kind == "aqua-import" and c.action == "added" and _leaves(c.file, c.name):
        out.append(
            pr_unexpected_change.META.finding(
                message=f"{c.file}: the aqua import {c.name!r} reads files outside the "
                "directory of the config that imports it",
                path=c.file,
                line=c.line,
                subject=f"import {c.name}",
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
    if c.kind == "action" and not c.name.startswith("docker:"):
        owners_a = config.trust.actions.owners
        owner = c.name.split("/", 1)[0].lower()
        if owners_a is not None and owner not in {o.lower() for o in owners_a}:
            return f"action owner {owner!r} is not in trust.actions.owners"
    return None


_VERSIONED = frozenset({"aqua-package", "provider", "action", "module", "terraform"})


def _short(name: str) -> str:
    """The last path segment of a dependency name, lower-case (``hashicorp/aws`` → ``aws``)."""
    return name.lower().rstrip("/").rsplit("/", 1)[-1].removeprefix("terraform-provider-")


_NUMBERS = re.compile(r"\d+(?:\.\d+)*")
_HEX = re.compile(r"[0-9a-f]{7,64}")


def _names(claim: ClaimedUpdate) -> set[str]:
    out: set[str] = set()
    for name in (claim.package, claim.new_package, claim.package_name):
        if name:
            out.update((name.lower(), _short(name)))
    return out


def _same_version(claimed: str, actual: str) -> bool:
    """A claimed version (as the body writes it) names ``actual``: the same version numbers
    (``5.32.0`` and ``v5.32``), a prefix of them when it has fewer (``v5`` of ``5.1.0``), or
    a digest prefix (``abc1234`` of a full SHA). A range (``~> 6.0``)
    or text without numbers is not evidence of a mismatch."""
    claimed, actual = claimed.strip().strip("`").lower(), actual.strip().lower()
    if _HEX.fullmatch(claimed) and _HEX.fullmatch(actual.removeprefix("sha256:")):
        return actual.removeprefix("sha256:").startswith(claimed)
    if any(op in claimed for op in ("~", ">", "<", "=", "^", ",", "*", " x")):
        return True
    a, b = _NUMBERS.search(claimed), _NUMBERS.search(actual)
    if a is None or b is None:
        return True

    x, y = [int(i) for i in a.group().split(".")], [int(i) for i in b.group().split(".")]
    if len(x) < len(y):  # a floating tag (v5) or a shortened version (5.32)
        return y[: len(x)] == x
    width = max(len(x), len(y))
    return x + [0] * (width - len(x)) == y + [0] * (width - len(y))


def _wrong_version(c: DependencyChange, claimed: Sequence[str]) -> str | None:
    """The claimed new version when none of the claims for ``c`` names its new version.

    Compared for aqua packages, actions (their SHA or version comment) and lock entries;
    ``.tf`` constraints and module refs are ranges or free text, not compared."""
    if not claimed or c.new_version is None:
        return None
    if c.kind == "provider" and not c.file.endswith(".terraform.lock.hcl"):
        return None
    if c.kind not in ("aqua-package", "action", "provider"):
        return None
    actual = [c.new_version] + ([c.new_comment.lstrip("# ").strip()] if c.new_comment else [])
    if any(_same_version(x, a) for x in claimed for a in actual if a):
        return None
    return claimed[0]


def _unclaimed(changes: Sequence[DependencyChange], body: PrBody) -> list[Finding]:
    """The body's updates table against the diff (the diff is the truth): a version change no
    claimed update accounts for is not what the PR says it is. Only when the body lists
    updates, and lock-file maintenance (which names no package) claims every lock change."""
    claims = [c for c in body.updates if c.package or c.update_type == "lockFileMaintenance"]
    if not claims:
        return []
    if any(c.update_type == "lockFileMaintenance" for c in claims):
        changes = [c for c in changes if not c.file.endswith(".terraform.lock.hcl")]
    names: set[str] = set()
    for claim in claims:
        for name in (claim.package, claim.new_package, claim.package_name):
            if name:
                names.add(name.lower())
                names.add(_short(name))
    out: list[Finding] = []
    for c in changes:
        if c.kind not in _VERSIONED or c.action != "updated":
            continue
        if (
            c.name.lower() in names
            or _short(c.name) in names
            or any(c.name.lower().endswith("/" + n) for n in names if "/" in n)
        ):
            claimed = [x.new for x in claims if _names(x) & {c.name.lower(), _short(c.name)}]
            wrong = _wrong_version(c, [x for x in claimed if x])
            if wrong is not None:
                out.append(
                    pr_unexpected_change.META.finding(
                        message=f"{c.file}: the PR body says {c.name} goes to {wrong}, but the "
                        f"diff moves it to {c.new_version}"
                        + (f" ({c.new_comment.lstrip('# ')})" if c.new_comment else ""),
                        path=c.file,
                        line=c.line,
                        subject=f"{c.name} {c.new_version}",
                    )
                )
            continue
        out.append(
            pr_unexpected_change.META.finding(
                message=f"{c.file}: {c.name} {c.old_version} -> {c.new_version} is not among "
                "the updates the PR body lists",
                path=c.file,
                line=c.line,
                subject=f"{c.name} {c.new_version}",
            )
        )
    return out


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


_AQUA_NAMES = frozenset({"aqua.yaml", "aqua.yml", ".aqua.yaml", ".aqua.yml"})
_POLICY_FILES = frozenset(
    {"aqua-policy.yaml", ".aqua-policy.yaml", "aqua/aqua-policy.yaml", ".aqua/aqua-policy.yaml"}
)


def _owner_dir(file: str) -> str:
    """The directory a dependency file belongs to: the one holding its ``aqua/`` directory
    for files under ``aqua/`` (or ``aqua/imports/``), else its own directory."""
    directory = _parent(file)
    if directory.rsplit("/", 1)[-1] == "imports":
        directory = _parent(directory)
    if directory.rsplit("/", 1)[-1] in ("aqua", ".aqua"):
        directory = _parent(directory)
    return directory


def _verify_dirs(pr: PrChanges) -> list[str]:
    """Directories whose dependency files the PR changed: their head state is verified."""
    return sorted(
        {
            _owner_dir(c.file)
            for c in pr.changes
            if c.new_version is not None or c.new_source is not None or c.added
        }
    )


_LOCAL_SOURCE = re.compile(r'source\s*=\s*"(\.{1,2}/[^"]*)"')
# Horizontal space only, and the optional "-" between two runs of it: `^\s*-?\s*` let a
# file of blank lines (from the pull request) backtrack cubically.
_IMPORT = re.compile(r"""^[ \t]*+(?:-[ \t]*+)?import:[ \t]*+['"]?([^'"\s#]+)""", re.MULTILINE)


def _glob_match(path: str, pattern: str) -> bool:
    """Go ``filepath.Match`` per segment (``*`` does not cross ``/``), as aqua's imports."""
    from fnmatch import fnmatchcase

    parts, wanted = path.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(
        fnmatchcase(p, w) for p, w in zip(parts, wanted, strict=True)
    )


def _in_scope(path: str, dirs: set[str]) -> bool:
    """Whether ``path`` lies in one of ``dirs`` (or, for ``.``, at the root or in its aqua
    directory); one set lookup per ancestor."""
    if "." in dirs and ("/" not in path or path.startswith(("aqua/", ".aqua/"))):
        return True
    here = _parent(path)
    while here != ".":
        if here in dirs:
            return True
        here = _parent(here)
    return False


def _normalise(directory: str, relative: str) -> str | None:
    """``relative`` (a local module source) joined to ``directory``; None if it leaves the
    repository."""
    parts = [] if directory == "." else directory.split("/")
    for part in relative.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts) or "."


def materialize(
    repo_dir: Path,
    head: str,
    dirs: Sequence[str],
    dest: Path,
    *,
    known: dict[str, bytes] | None = None,
) -> list[Path]:
    """Write the head version of the dependency files of ``dirs`` (lock file, ``.tf`` files and
    the local modules they call, aqua configs with their imports and checksum files, the Git
    root's aqua policy) under ``dest`` at their repository paths. Blobs are data: nothing from
    the PR is executed, and only regular files are written (no symlinks or submodules)."""
    from depguard.prcheck.changes import classify
    from depguard.prcheck.gitrepo import GitRepo

    (dest / ".git").mkdir(parents=True, exist_ok=True)  # marks the repository root
    scope = set(dirs)
    imported: set[str] = set()  # files aqua configs import from outside the scope
    written: dict[str, Path] = {}
    made: set[Path] = set()
    with GitRepo(repo_dir) as repo:
        files = [(p, o) for p, mode, o in repo.list_files(head) if mode in ("100644", "100755")]
        for _round in range(16):  # local modules of local modules, bounded
            added: set[str] = set()
            for path, oid in files:
                if path in written or not (
                    _in_scope(path, scope) or path in _POLICY_FILES or path in imported
                ):
                    continue
                name = path.rsplit("/", 1)[-1]
                if not (
                    classify(path) is not None
                    or name in _AQUA_NAMES
                    or name.endswith((".yaml", ".yml", ".json", ".tf", ".hcl"))
                ):
                    continue
                # git tree paths are relative and never hold "." or ".." segments (git
                # refuses them); checked lexically all the same, without touching the disk
                if path.startswith("/") or {"", ".", ".."} & set(path.split("/")):
                    continue
                target = dest / path
                data = (known or {}).get(oid)
                if data is None:
                    data = repo.read_blob(oid, max_bytes=MAX_FILE_BYTES)
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                with open(target, "xb") as f:  # a fresh tree: never follows or reuses a file
                    f.write(data)
                written[path] = target
                if name.endswith(".tf"):
                    text = data.decode("utf-8", "replace")
                    for rel in _LOCAL_SOURCE.findall(text):
                        module = _normalise(_parent(path), rel)
                        if module is not None and module not in scope:
                            added.add(module)
                elif name in _AQUA_NAMES or classify(path) == "aqua-import":
                    text = data.decode("utf-8", "replace")
                    for glob in _IMPORT.findall(text):
                        pattern = _normalise(_parent(path), glob)
                        if pattern is None:
                            continue
                        for other, _oid in files:
                            if other not in written and _glob_match(other, pattern):
                                imported.add(other)
                                added.add(other)
            if not added:
                break
            scope |= {a for a in added if a not in imported}
    return list(written.values())


def _declared(plan_: object) -> dict[str, tuple[set[str], str, int | None]]:
    """Signature kinds each aqua package declares (over all platforms), with where."""
    from depguard.engine.aqua import AquaPlan

    assert isinstance(plan_, AquaPlan)
    out: dict[str, tuple[set[str], str, int | None]] = {}
    for p in plan_.packages:
        if p.skip is not None or not p.artifacts:
            continue  # not resolved (registry unavailable or invalid): nothing to compare
        kinds = {k for a in p.artifacts for k in a.evidence if k != "checksum-file"}
        where = p.ref.file
        shown = where if not Path(where).is_absolute() else ""
        entry = out.setdefault(p.ref.name, (set(), shown, p.ref.line))
        entry[0].update(kinds)
    return out


def _downgrades(
    repo_dir: Path,
    pr: PrChanges,
    dirs: Sequence[str],
    base_root: Path,
    head_root: Path,
    config: Config,
    aqua: AquaUpstream,
) -> list[Finding]:
    """``signature-downgrade``: an aqua package whose registry entry (at the PR's new
    version or registry ref) declares fewer signature kinds than at the base."""
    from depguard.engine.aqua import plan
    from depguard.engine.paths import display_path

    materialize(repo_dir, pr.base, dirs, base_root)
    old_targets = [base_root / d for d in dirs if (base_root / d).is_dir()]
    new_targets = [head_root / d for d in dirs if (head_root / d).is_dir()]
    if not old_targets or not new_targets:
        return []
    before = _declared(plan(old_targets, config=config, upstream=aqua, root=base_root))
    after_plan = plan(new_targets, config=config, upstream=aqua, root=head_root)
    after = _declared(after_plan)
    out: list[Finding] = []
    for name, (kinds, _where, _line) in sorted(before.items()):
        if name not in after or not kinds:
            continue
        lost = kinds - after[name][0]
        if not lost:
            continue
        package = next(p for p in after_plan.packages if p.ref.name == name)
        file = package.ref.file
        path = display_path(Path(file), head_root) if Path(file).is_absolute() else file
        out.append(
            signature_downgrade.META.finding(
                message=f"{name}: the registry entry no longer declares "
                f"{', '.join(sorted(lost))} (it did before this PR); the new version would be "
                "installed without that check",
                path=path,
                line=package.ref.line,
                subject=f"{name} {package.ref.version}",
            )
        )
    return out


def _signer_changes(
    changes: Sequence[DependencyChange], config: Config, upstream: Upstream
) -> list[Finding]:
    """``provider-signer-changed``: a lock entry moved to a version whose SHA256SUMS is signed
    by another primary key than the version it replaces (both authenticated)."""
    from depguard.formats.tf_address import parse_lock_label

    bumps = []
    for c in changes:
        if not (
            c.kind == "provider"
            and c.file.endswith(".terraform.lock.hcl")
            and c.old_version
            and c.new_version
            and c.old_version != c.new_version
        ):
            continue
        try:
            address = parse_lock_label(c.name)
        except InputError:
            continue
        bumps.append((c, address))
    if not bumps:
        return []
    keys = {(a, v) for c, a in bumps for v in (c.old_version, c.new_version) if v}
    truths = upstream.truths(keys, config.platforms)
    out: list[Finding] = []
    for c, address in bumps:
        assert c.old_version is not None and c.new_version is not None
        old, new = truths.get((address, c.old_version)), truths.get((address, c.new_version))
        if old is None or new is None or old.signer is None or new.signer is None:
            continue
        if old.signer.primary_fingerprint == new.signer.primary_fingerprint:
            continue
        out.append(
            provider_signer_changed.META.finding(
                message=f"{c.name} {c.new_version} is signed by key "
                f"{new.signer.primary_fingerprint}, but {c.old_version} was signed by "
                f"{old.signer.primary_fingerprint}",
                path=c.file,
                line=c.line,
                subject=f"{c.name} {c.new_version}",
            )
        )
    return out


def _new_h1_keys(changes: Sequence[DependencyChange]) -> frozenset[TruthKey]:
    """The lock entries (provider, version) to which the PR adds ``h1:`` hashes."""
    from depguard.formats.tf_address import parse_lock_label

    keys: set[TruthKey] = set()
    for c in changes:
        if c.kind != "provider-hashes" or c.new_version is None:
            continue
        if not any(h.startswith("h1:") for h in c.added):
            continue
        try:
            keys.add((parse_lock_label(c.name), c.new_version))
        except InputError:
            continue
    return frozenset(keys)


def run_check_pr(
    repo_dir: Path,
    base: str,
    head: str,
    *,
    event: PrEvent | None,
    config: Config,
    upstream: Upstream | None = None,
    aqua: AquaUpstream | None = None,
    progress: Callable[[str], None] | None = None,
    package_hashes: bool = True,
) -> Report:
    """The whole ``check-pr`` command.

    With ``upstream`` (and ``aqua``), the head state of every directory whose dependency files
    the PR changed is verified like ``depguard verify`` does: a new lock hash or checksum that
    signed upstream data does not account for is a critical finding even if nothing else looks
    wrong. ``h1:`` hashes the PR adds can only be checked against the packages themselves:
    those entries' signed packages are downloaded and hashed (as ``verify --deep`` does for
    every entry) unless ``package_hashes`` is false.
    """
    import tempfile

    from depguard.engine.verify import VerifyOptions, apply_policy, run_verify

    ident = identify(event, config)
    pr = extract(repo_dir, base, head, config=config, bot=ident.is_bot or ident.claims_renovate)
    findings, skipped, checked = judge(pr, ident, config=config)
    notes = [
        f"{len(pr.paths)} changed paths, {len(pr.changes)} dependency changes; author "
        f"{ident.author or 'unknown'}{' (Renovate bot)' if ident.is_bot else ''}"
    ]
    if config.rollout.stages:
        from depguard.prcheck.rollout_order import check_rollout_order

        early, unread = check_rollout_order(repo_dir, pr.base, pr.changes, config=config)
        findings.extend(early)
        skipped.extend(unread)
    dates: dict[tuple[str, str], ReleaseDate] = {}
    if upstream is not None:
        from depguard.prcheck.release_age import check_release_age

        young, undated, dates = check_release_age(
            pr.changes, config=config, upstream=upstream, aqua=aqua
        )
        findings.extend(young)
        skipped.extend(undated)
    if upstream is not None:
        findings.extend(_signer_changes(pr.changes, config, upstream))
    deleted_locks = {
        _parent(cp.old_path)
        for cp in pr.paths
        if cp.status == "D" and cp.old_path and cp.old_path.endswith(".terraform.lock.hcl")
    }
    # a changed file inside an aqua directory (a local registry, an import) changes what its
    # config resolves to: verify the directory holding that aqua directory
    aqua_dirs = {_owner_dir(cp.path) for cp in pr.paths if "aqua" in cp.path.split("/")[:-1]}
    dirs = sorted(set(_verify_dirs(pr)) | deleted_locks | aqua_dirs)
    if upstream is not None and dirs:
        with tempfile.TemporaryDirectory(prefix="depguard-pr-") as tmp:
            root = Path(tmp) / "head"
            materialize(repo_dir, pr.head, dirs, root, known=pr.blobs)
            aqua_changed = sorted(
                {_owner_dir(c.file) for c in pr.changes if c.kind.startswith("aqua-")} & set(dirs)
                | aqua_dirs
            )
            if aqua is not None and aqua_changed:
                findings.extend(
                    _downgrades(repo_dir, pr, aqua_changed, Path(tmp) / "base", root, config, aqua)
                )
            # directories that keep a lock file or an aqua config (not templates, modules)
            targets = [
                root / d
                for d in dirs
                if d in deleted_locks
                or (root / d / ".terraform.lock.hcl").is_file()
                or any((root / d / n).is_file() for n in _AQUA_NAMES)
                or any((root / d / "aqua" / n).is_file() for n in _AQUA_NAMES)
            ]
            if targets:
                deep_keys = _new_h1_keys(pr.changes) if package_hashes else frozenset()
                verified = run_verify(
                    VerifyOptions(
                        paths=tuple(targets), platforms=config.platforms, deep_keys=deep_keys
                    ),
                    config=config,
                    upstream=upstream,
                    aqua=aqua,
                    progress=progress,
                )
                findings.extend(verified.findings)
                skipped.extend(
                    s for s in verified.skipped if "no state directories" not in s.reason
                )
                checked.extend(verified.checked)
                notes.extend(verified.notes)
    from depguard.prcheck.summary import change_rows

    findings = apply_policy(findings, config)
    rows = change_rows(
        pr.changes,
        findings=findings,
        skipped=skipped,
        checked=checked,
        dates=dates,
        verified=upstream is not None,
    )
    return Report(
        command="check-pr",
        findings=tuple(findings),
        skipped=tuple(skipped),
        checked=tuple(checked),
        notes=tuple(notes),
        changes=tuple(rows),
    )
