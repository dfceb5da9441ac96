"""``uses:`` references of GitHub Actions workflows and action metadata files.

Where GitHub reads them (docs "Workflow syntax for GitHub Actions" and "Metadata syntax for
GitHub Actions"):

* a workflow (``.github/workflows/*.yml``): ``jobs.<id>.uses`` calls a reusable workflow
  (``owner/repo/.github/workflows/x.yml@ref`` or ``./.github/workflows/x.yml``) and
  ``jobs.<id>.steps[*].uses`` runs an action;
* an action (``action.yml`` / ``action.yaml``): ``runs.steps[*].uses`` of a composite action,
  and ``runs.image`` of a Docker action when it is a ``docker://`` image.

Forms of a reference: ``owner/repo@ref``, ``owner/repo/path@ref``, ``./local/path``,
``docker://image[:tag][@sha256:digest]``. The runner splits a remote reference at its only
``@`` (actions/runner ``ActionManager``), the first two path segments being owner and repo.
A reference containing ``${{`` is an expression (kind ``"expression"``), resolved at run time
and never pinned. A reference that does not parse is kept with ``ref`` None (unpinned) rather
than failing the whole file: GitHub rejects it at run time, and the gate reports it.

YAML drops comments, so the trailing version comment that Renovate and pinact keep after a
pinned SHA (``uses: actions/checkout@<sha> # v4.1.0``) is read from the raw line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from depguard.errors import InputError
from depguard.formats.yaml_lines import LineDict, LineList, describe, get_str, load_yaml

__all__ = [
    "KINDS",
    "UsesParts",
    "UsesRef",
    "is_workflow_path",
    "parse_uses",
    "parse_workflow",
]

KINDS: Final = frozenset({"action", "reusable-workflow", "docker", "local", "expression"})

# Lower-case only: GitHub resolves a ref by name first, and a branch or tag may be named
# like an upper-case hex string, so only the canonical lower-case form counts as a commit.
_COMMIT_SHA: Final = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_DOCKER_DIGEST: Final = re.compile(r"sha256:[0-9a-f]{64}")
# The line breaks YAML counts (PyYAML and libyaml); str.splitlines() counts more.
_LINE_BREAK: Final = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")
_WORKFLOW_FILE: Final = re.compile(r"\.github/workflows/[^/]*\.ya?ml", re.IGNORECASE)
_ACTION_FILE: Final = re.compile(r"(?:.*/)?action\.ya?ml")
_MAX_COMMENT: Final = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class UsesRef:
    """One ``uses:`` (or Docker ``runs.image``) reference.

    ``kind`` is one of :data:`KINDS`. For ``action`` and ``reusable-workflow``: ``owner``,
    ``repo``, ``path`` (the sub-directory or workflow file inside the repository, else None)
    and ``ref``. For ``docker``: ``path`` is the image name without tag or digest and
    ``ref`` the digest (``sha256:...``) when there is one, else the tag (None: implicit
    ``latest``). For ``local``: ``path`` is the ``./...`` path, ``ref`` None. For
    ``expression``: only ``uses``. ``comment`` is the trailing YAML comment on the line
    (``v4.1.0`` for ``# v4.1.0``), None when there is none. ``line`` is 1-based.
    """

    file: str
    line: int
    uses: str
    kind: str
    owner: str | None
    repo: str | None
    path: str | None
    ref: str | None
    comment: str | None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown uses kind {self.kind!r}")

    @property
    def pinned(self) -> bool:
        """True when the reference cannot move: a full commit SHA (40 or 64 lower-case hex),
        or a ``sha256:`` digest for a Docker image. Local references and expressions are
        never pinned (rules that require pins skip ``kind == "local"``: it is this
        repository's own code at the checked-out commit)."""
        if self.ref is None:
            return False
        if self.kind in ("action", "reusable-workflow"):
            return _COMMIT_SHA.fullmatch(self.ref) is not None
        if self.kind == "docker":
            return _DOCKER_DIGEST.fullmatch(self.ref) is not None
        return False

    @property
    def name(self) -> str:
        """``owner/repo`` for actions and reusable workflows, the image for Docker, the
        path for local references, the raw text otherwise."""
        if self.owner is not None and self.repo is not None:
            return f"{self.owner}/{self.repo}"
        if self.path is not None:
            return self.path
        return self.uses


def is_workflow_path(path: str) -> bool:
    """Return whether ``path`` (repository-relative, ``/``-separated) is a file GitHub reads
    as a workflow (``.github/workflows/*.yml``/``.yaml``, directly in that directory at the
    repository root) or as action metadata (``action.yml``/``action.yaml`` anywhere)."""
    path = path.removeprefix("./")
    return bool(_WORKFLOW_FILE.fullmatch(path) or _ACTION_FILE.fullmatch(path))


UsesParts = tuple[str, str | None, str | None, str | None, str | None]


def parse_uses(uses: str, *, job_level: bool = False) -> UsesParts:
    """Split a ``uses`` value into (kind, owner, repo, path, ref).

    ``job_level`` says the value is a ``jobs.<id>.uses`` (a reusable workflow). Pure string
    work, never raises: what does not parse keeps None parts (and is therefore unpinned).
    """
    text = uses.strip()
    if "${{" in text:
        return "expression", None, None, None, None
    if text.startswith("docker://"):
        image, ref = _split_image(text[len("docker://") :])
        return "docker", None, None, image, ref
    if text.startswith("./"):  # the runner's only local form ("../x" is rejected)
        return "local", None, None, text, None
    kind = "reusable-workflow" if job_level else "action"
    if text.count("@") != 1:
        return kind, None, None, None, None
    name, ref = text.split("@")
    segments = name.split("/")
    if len(segments) < 2 or not all(segments[:2]):
        return kind, None, None, None, ref or None
    sub = "/".join(segments[2:]) or None
    return kind, segments[0], segments[1], sub, ref or None


def _split_image(image: str) -> tuple[str, str | None]:
    """Split ``name[:tag][@digest]`` into (name, digest or tag)."""
    name, at, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:  # a ":" after the last "/" is a tag, before it a registry port
        name, tag = name[:colon], name[colon + 1 :]
    if at:
        return name, digest or None
    return name, tag or None


def parse_workflow(text: str, path: str) -> list[UsesRef]:
    """Return every ``uses`` reference of a workflow or action metadata file, by line.

    ``path`` is the display path. Reads ``jobs.<id>.uses``, ``jobs.<id>.steps[*].uses``,
    ``runs.steps[*].uses`` and a ``docker://`` ``runs.image``; YAML anchors, aliases and
    merge keys are followed (an alias gives a reference at the alias's line). Raises
    :class:`InputError` with the line for invalid YAML (via
    :func:`~depguard.formats.yaml_lines.load_yaml`) and for a structure GitHub would reject:
    a top level, ``jobs``, job, ``runs`` or step that is not a mapping, ``steps`` that is not
    a list, a ``uses`` that is not a string or is empty.
    """
    data = load_yaml(text, path)
    if data is None:
        return []
    if not isinstance(data, LineDict):
        raise InputError(path, f"expected a mapping at the top level, got {describe(data)}", line=1)
    lines = _LINE_BREAK.split(text.removeprefix("\ufeff"))
    refs: list[UsesRef] = []
    jobs = data.get("jobs")
    if jobs is not None:
        if not isinstance(jobs, LineDict):
            raise InputError(
                path, f"jobs: expected a mapping, got {describe(jobs)}", line=data.key_line("jobs")
            )
        for job_id, job in jobs.items():
            where = f"jobs.{job_id}"
            if not isinstance(job, LineDict):
                raise InputError(
                    path,
                    f"{where}: expected a mapping, got {describe(job)}",
                    line=jobs.key_line(job_id),
                )
            ref = _uses_of(job, path, where, lines, job_level=True)
            if ref is not None:
                refs.append(ref)
            refs.extend(_steps(job, path, where, lines))
    runs = data.get("runs")
    if runs is not None:
        if not isinstance(runs, LineDict):
            raise InputError(
                path, f"runs: expected a mapping, got {describe(runs)}", line=data.key_line("runs")
            )
        refs.extend(_steps(runs, path, "runs", lines))
        image = get_str(runs, "image", path, "runs")
        if image is not None and image.strip().startswith("docker://"):
            refs.append(_make_ref(image, path, runs.key_line("image"), lines, job_level=False))
    refs.sort(key=lambda r: r.line)
    return refs


def _steps(owner: LineDict, path: str, where: str, lines: list[str]) -> list[UsesRef]:
    steps = owner.get("steps")
    if steps is None:
        return []
    if not isinstance(steps, LineList):
        raise InputError(
            path,
            f"{where}.steps: expected a list, got {describe(steps)}",
            line=owner.key_line("steps"),
        )
    refs: list[UsesRef] = []
    for index, step in enumerate(steps):
        step_where = f"{where}.steps[{index}]"
        if not isinstance(step, LineDict):
            raise InputError(
                path,
                f"{step_where}: expected a mapping, got {describe(step)}",
                line=steps.item_line(index),
            )
        ref = _uses_of(step, path, step_where, lines, job_level=False)
        if ref is not None:
            refs.append(ref)
    return refs


def _uses_of(
    mapping: LineDict, path: str, where: str, lines: list[str], *, job_level: bool
) -> UsesRef | None:
    if "uses" not in mapping:
        return None
    line = mapping.key_line("uses")
    value = get_str(mapping, "uses", path, where)
    if value is None or not value.strip():
        raise InputError(path, f"{where}.uses: empty reference", line=line)
    return _make_ref(value, path, line, lines, job_level=job_level)


def _make_ref(value: str, path: str, line: int, lines: list[str], *, job_level: bool) -> UsesRef:
    kind, owner, repo, sub, ref = parse_uses(value, job_level=job_level)
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    return UsesRef(
        file=path,
        line=line,
        uses=value,
        kind=kind,
        owner=owner,
        repo=repo,
        path=sub,
        ref=ref,
        comment=_trailing_comment(raw, value),
    )


def _trailing_comment(raw: str, value: str) -> str | None:
    """Return the YAML comment after ``value`` on the raw line ``raw``, without ``#``.

    The value must be written on this line as it was loaded (not for an alias, a folded or
    an escaped scalar). After it only closing quotes, flow punctuation (``}`` ``]`` ``,``)
    and blanks may come before the comment, whose ``#`` follows a blank, as YAML requires.
    """
    if not value:
        return None
    key = raw.find("uses")
    start = raw.find(value, key + 4 if key >= 0 else 0)
    if start < 0:
        return None
    rest = raw[start + len(value) :]
    for i, ch in enumerate(rest):
        if ch == "#":
            if i == 0 or rest[i - 1] not in " \t":
                return None
            comment = rest[i + 1 :].strip()
            return comment[:_MAX_COMMENT] or None
        if ch not in " \t\"'},]":
            return None
    return None
