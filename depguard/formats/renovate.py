"""Renovate as data: the GitHub pull-request event, the PR body, branch names and the config.

Everything here reads text that an attacker may have shaped (a PR body, release notes pasted
into it by Renovate, an event file), so every reader is linear in its input, bounded in size,
and never trusts what it reads: the claims of a PR body are cross-checked against the diff
elsewhere (the diff is the truth), these readers only extract them.

* :func:`parse_event` reads the ``pull_request`` / ``pull_request_target`` event JSON
  (``$GITHUB_EVENT_PATH``): PR number, author login (``pull_request.user.login``, never
  ``github.actor``, which any later pusher becomes), head/base refs, SHAs and repositories,
  labels and body.
* :func:`parse_pr_body` finds what Renovate writes into a PR body
  (renovatebot/renovate ``lib/workers/repository/update/pr/body/``): the line
  ``This PR contains the following updates:``, the updates table(s) whose columns come from
  ``prBodyColumns`` (default ``Package | Type | Update | Change | Pending``, empty columns
  dropped, extra ones such as ``Age``/``Confidence`` badges, ``Current value``/``New value``,
  ``Package file``), and the hidden ``<!--renovate-debug:BASE64-->`` marker
  (``lib/modules/platform/pr-body.ts``: base64 of JSON ``{createdInVer, updatedInVer,
  targetBranch, labels?}``). Tables are found by their header *names*, never by position.
  Text inside ``<details>`` blocks (where Renovate puts upstream release notes, i.e. text an
  upstream author controls), fenced code and HTML comments is not searched for tables.
* :func:`is_renovate_branch` and :func:`load_renovate_config` (json5, as Renovate reads
  ``renovate.json5``).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import unquote

from depguard.errors import InputError

__all__ = [
    "BODY_MARKER",
    "DEBUG_MARKER",
    "MAX_BODY_CHARS",
    "MAX_CONFIG_CHARS",
    "MAX_DEBUG_CHARS",
    "MAX_EVENT_CHARS",
    "ClaimedUpdate",
    "PrBody",
    "PrEvent",
    "is_renovate_branch",
    "load_renovate_config",
    "parse_event",
    "parse_pr_body",
]

BODY_MARKER: Final = "This PR contains the following updates:"
DEBUG_MARKER: Final = "<!--renovate-debug:"

# GitHub caps a PR body at 65,536 characters; anything far beyond that is not a GitHub body.
MAX_BODY_CHARS: Final = 1024 * 1024
# The debug payload Renovate writes is ~150 base64 characters.
MAX_DEBUG_CHARS: Final = 64 * 1024
_MAX_DEBUG_MARKERS: Final = 16
# GitHub's webhook payloads are capped at 25 MB; event files are the same payload.
MAX_EVENT_CHARS: Final = 32 * 1024 * 1024
# json5 is a pure-Python parser (~0.1 MB/s); real Renovate configs are a few KiB.
MAX_CONFIG_CHARS: Final = 512 * 1024
# Cells longer than this are not Renovate's; their row is skipped (and noted) rather than
# parsed, which keeps the bracket/backtick scanners below cheap on hostile input.
_MAX_CELL_CHARS: Final = 4096

_HEX_SHA: Final = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_BASE64: Final = re.compile(r"[A-Za-z0-9+/]*={0,2}")
# YAML/Markdown line breaks; str.splitlines would also split on \x0b, \x0c, \x1c-\x1e.
_LINE_BREAK: Final = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")
_DETAILS_TAG: Final = re.compile(r"<(/?)details(?=[\s>/])", re.IGNORECASE)
_INLINE_CODE: Final = re.compile(r"`[^`]*`")
_DELIMITER_CELL: Final = re.compile(r":?-+:?")
_DELIMITER_CHARS: Final = frozenset("|:- \t")
_BRACKET_OR_ESCAPE: Final = re.compile(r"\\.|[\[\]()]", re.DOTALL)
_MD_ESCAPE: Final = re.compile(r"\\([!-/:-@\[-`{-~])")
_ARROWS: Final = ("→", "->")
# Merge-confidence badges name the datasource and the (URL-encoded) package name:
# https://developer.mend.io/api/mc/badges/age/<datasource>/<packageName>/<newVersion>?slim=true
_MEND_BADGE: Final = re.compile(
    r"/api/mc/badges/(?:age|adoption|compatibility|confidence)/([A-Za-z0-9._-]+)/([^/\s)?]+)/"
)
# Older hosted badges: https://badges.renovateapi.com/packages/<datasource>/<name>/<ver>/age-slim
_OLD_BADGE: Final = re.compile(r"badges\.renovateapi\.com/packages/([A-Za-z0-9._-]+)/")

# Header names (normalised: lower case, no emphasis) -> ClaimedUpdate field.
_COLUMNS: Final = {
    "package": "package",
    "package name": "package",
    "dependency": "package",
    "dependency name": "package",
    "depname": "package",
    "resource": "package",
    "type": "dep_type",
    "dep type": "dep_type",
    "deptype": "dep_type",
    "dependency type": "dep_type",
    "update": "update_type",
    "update type": "update_type",
    "updatetype": "update_type",
    "change": "change",
    "current value": "current",
    "current version": "current",
    "from": "current",
    "new value": "new",
    "new version": "new",
    "to": "new",
    "datasource": "datasource",
    "data source": "datasource",
    "package file": "package_file",
    "file": "package_file",
    "age": "badge",
    "adoption": "badge",
    "passing": "badge",
    "compatibility": "badge",
    "confidence": "badge",
}


# --- the event ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PrEvent:
    """What depguard needs from a ``pull_request`` / ``pull_request_target`` event.

    ``author`` is ``pull_request.user.login`` (who opened the PR), never ``github.actor``.
    SHAs are lower-case 40 (SHA-1) or 64 (SHA-256) hex digits; ``body`` is ``""`` when the
    PR has none; ``head_repo``/``base_repo`` are ``owner/name`` (``head_repo`` is None when
    the fork was deleted).
    """

    number: int | None
    author: str | None
    head_ref: str | None
    base_ref: str | None
    head_sha: str | None
    base_sha: str | None
    body: str
    labels: tuple[str, ...]
    head_repo: str | None
    base_repo: str | None
    title: str | None = None

    def __post_init__(self) -> None:
        for name in ("head_sha", "base_sha"):
            value = getattr(self, name)
            if value is not None and not _HEX_SHA.fullmatch(value):
                raise ValueError(f"{name} must be 40 or 64 lower-case hex digits: {value!r}")

    @property
    def is_fork(self) -> bool:
        """True when head and base are different repositories (or the head fork is gone)."""
        return self.head_repo is None or (
            self.base_repo is not None and self.head_repo.lower() != self.base_repo.lower()
        )


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _get_obj(obj: Mapping[str, Any], key: str, path: str, where: str) -> Mapping[str, Any] | None:
    value = obj.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise InputError(path, f"{where}.{key}: expected an object, got {_describe(value)}")


def _get_str(obj: Mapping[str, Any] | None, key: str, path: str, where: str) -> str | None:
    if obj is None:
        return None
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputError(path, f"{where}.{key}: expected a string, got {_describe(value)}")


def _get_sha(obj: Mapping[str, Any] | None, path: str, where: str) -> str | None:
    value = _get_str(obj, "sha", path, where)
    if value is None:
        return None
    sha = value.lower()
    if not _HEX_SHA.fullmatch(sha):
        raise InputError(
            path, f"{where}.sha: not a commit id (40 or 64 hex digits): {value[:80]!r}"
        )
    return sha


def parse_event(text: str, path: str) -> PrEvent:
    """Parse a GitHub ``pull_request`` or ``pull_request_target`` event payload.

    ``path`` is the display path used in errors. Returns a :class:`PrEvent`. Raises
    :class:`InputError` (with the line for JSON syntax errors) when the file is not JSON, is
    larger than :data:`MAX_EVENT_CHARS`, repeats a key, has no ``pull_request`` object, or a
    field has the wrong type (a SHA that is not hex, a label without a name, a body larger
    than :data:`MAX_BODY_CHARS`).
    """
    if len(text) > MAX_EVENT_CHARS:
        raise InputError(path, f"event file is larger than {MAX_EVENT_CHARS} characters")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as e:
        raise InputError(path, f"invalid JSON: {e.msg}", line=e.lineno) from None
    except _DuplicateKeyError as e:
        raise InputError(path, f"duplicate key {e.key[:80]!r} in the event JSON") from None
    except ValueError as e:  # CPython's limit on integer digits
        raise InputError(path, f"invalid JSON: {e}") from None
    except RecursionError:
        raise InputError(path, "JSON nesting is too deep") from None
    if not isinstance(data, dict):
        raise InputError(path, f"expected a JSON object, got {_describe(data)}", line=1)
    pr = _get_obj(data, "pull_request", path, "event")
    if pr is None:
        raise InputError(
            path,
            "not a pull_request event: there is no 'pull_request' object",
            hint="pass $GITHUB_EVENT_PATH of a pull_request or pull_request_target run",
        )
    where = "pull_request"
    number = pr.get("number", data.get("number"))
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        raise InputError(path, f"{where}.number: expected an integer, got {_describe(number)}")
    if isinstance(number, int) and number < 0:
        raise InputError(path, f"{where}.number: negative PR number {number}")
    user = _get_obj(pr, "user", path, where)
    head = _get_obj(pr, "head", path, where)
    base = _get_obj(pr, "base", path, where)
    head_repo = _get_obj(head, "repo", path, f"{where}.head") if head is not None else None
    base_repo = _get_obj(base, "repo", path, f"{where}.base") if base is not None else None
    body = _get_str(pr, "body", path, where) or ""
    if len(body) > MAX_BODY_CHARS:
        raise InputError(path, f"{where}.body is larger than {MAX_BODY_CHARS} characters")
    labels_value = pr.get("labels")
    labels: list[str] = []
    if labels_value is not None:
        if not isinstance(labels_value, list):
            raise InputError(
                path, f"{where}.labels: expected a list, got {_describe(labels_value)}"
            )
        for index, label in enumerate(labels_value):
            name = label.get("name") if isinstance(label, dict) else None
            if not isinstance(name, str):
                raise InputError(path, f"{where}.labels[{index}]: expected an object with a name")
            labels.append(name)
    return PrEvent(
        number=number,
        author=_get_str(user, "login", path, f"{where}.user"),
        head_ref=_get_str(head, "ref", path, f"{where}.head"),
        base_ref=_get_str(base, "ref", path, f"{where}.base"),
        head_sha=_get_sha(head, path, f"{where}.head"),
        base_sha=_get_sha(base, path, f"{where}.base"),
        body=body,
        labels=tuple(labels),
        head_repo=_get_str(head_repo, "full_name", path, f"{where}.head.repo"),
        base_repo=_get_str(base_repo, "full_name", path, f"{where}.base.repo"),
        title=_get_str(pr, "title", path, where),
    )


# --- the PR body ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedUpdate:
    """One row of a Renovate updates table: what the body *claims*, not what the diff does.

    ``package`` is the dependency name as shown (the link text of ``[name](url)``; ``""`` for
    a lock-file-maintenance row, which has no package). ``current``/``new`` are the two sides
    of the ``Change`` cell as written (``v1.2.3``, ``~> 5.0``, a short digest), or the
    ``Current value``/``New value`` columns. ``update_type`` is Renovate's ``updateType``
    (``major``, ``minor``, ``patch``, ``digest``, ``pin``, ``lockFileMaintenance``, ...).
    ``datasource`` comes from a ``Datasource`` column or the merge-confidence badges, which
    also give ``package_name`` (e.g. ``hashicorp/google`` for the provider named ``google``).
    ``new_package`` is set for a replacement (``old → new`` in the Package cell);
    ``package_url`` is the link target of the package name; ``package_file`` comes from a
    ``Package file`` column.
    """

    package: str
    update_type: str | None
    current: str | None
    new: str | None
    datasource: str | None = None
    dep_type: str | None = None
    new_package: str | None = None
    package_name: str | None = None
    package_url: str | None = None
    package_file: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PrBody:
    """What a PR body says about itself.

    ``is_renovate`` is true when the body has Renovate's ``This PR contains the following
    updates:`` line (outside details/code/comments) or a ``renovate-debug`` marker (even an
    undecodable one). ``updates`` are the rows of every updates table, in order. ``debug`` is
    the decoded marker (a read-only mapping) or None; when a marker is present but unusable,
    ``debug`` is None and ``debug_error`` says why. ``tables`` counts the updates tables
    found; ``notes`` lists rows that were skipped and why.
    """

    is_renovate: bool
    updates: tuple[ClaimedUpdate, ...]
    debug: Mapping[str, Any] | None
    debug_error: str | None = None
    tables: int = 0
    notes: tuple[str, ...] = ()


def parse_pr_body(text: str) -> PrBody:
    """Extract Renovate's claims from a PR body (see the module docstring).

    Never fails on content: a body without a table gives no updates, a bad debug marker gives
    ``debug=None`` and a ``debug_error``. Raises :class:`InputError` only for a body larger
    than :data:`MAX_BODY_CHARS` (GitHub's own limit is 65,536 characters).
    """
    if len(text) > MAX_BODY_CHARS:
        raise InputError("pull request body", f"larger than {MAX_BODY_CHARS} characters")
    debug, debug_error, has_marker = _decode_debug(text)
    lines = _markdown_lines(text)
    is_renovate = has_marker or any(BODY_MARKER in line for line in lines)
    updates: list[ClaimedUpdate] = []
    notes: list[str] = []
    tables = 0
    for header, rows in _tables(lines):
        fields = _header_fields(header)
        if not _is_updates_table(fields):
            continue
        tables += 1
        for number, row in enumerate(rows, start=1):
            if any(len(cell) > _MAX_CELL_CHARS for cell in row):
                notes.append(f"updates table {tables}, row {number}: a cell is too long; skipped")
                continue
            update = _row_update(fields, row)
            if update is not None:
                updates.append(update)
    return PrBody(
        is_renovate=is_renovate,
        updates=tuple(updates),
        debug=debug,
        debug_error=debug_error,
        tables=tables,
        notes=tuple(notes),
    )


def _decode_debug(text: str) -> tuple[Mapping[str, Any] | None, str | None, bool]:
    """Return (decoded marker, why it is unusable, whether a marker is present)."""
    payloads: list[str] = []
    pos = 0
    while True:
        start = text.find(DEBUG_MARKER, pos)
        if start < 0:
            break
        start += len(DEBUG_MARKER)
        end = text.find("-->", start)
        if end < 0:
            return None, "renovate-debug marker is not closed with '-->'", True
        payloads.append(text[start:end].strip())
        pos = end + 3
        if len(payloads) > _MAX_DEBUG_MARKERS:
            break
    if not payloads:
        return None, None, False
    if len(set(payloads)) > 1:
        return None, f"{len(payloads)} renovate-debug markers that disagree", True
    payload = payloads[0]
    if len(payload) > MAX_DEBUG_CHARS:
        return None, f"renovate-debug payload is larger than {MAX_DEBUG_CHARS} characters", True
    if not payload or not _BASE64.fullmatch(payload):
        return None, "renovate-debug payload is not base64", True
    try:
        raw = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None, "renovate-debug payload is not valid base64", True
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "renovate-debug payload is not UTF-8", True
    except (ValueError, RecursionError):
        return None, "renovate-debug payload is not JSON", True
    if not isinstance(data, dict):
        return None, f"renovate-debug payload is {_describe(data)}, not a JSON object", True
    return MappingProxyType(data), None, True


# --- Markdown, just enough of it ----------------------------------------------------------------


def _markdown_lines(text: str) -> list[str]:
    """Return the lines GitHub renders as Markdown outside fences, comments and ``<details>``.

    One pass, constant work per character: fenced code (a run of >= 3 backticks or tildes,
    closed by a run of the same character at least as long, CommonMark) is dropped first, so a
    ``</details>`` or ``<!--`` inside code changes nothing; then HTML comments; then lines
    inside ``<details>`` (nesting counted; a stray closing tag is ignored). An unclosed block
    hides the rest of the body, which can only remove claims, never add them.
    """
    out: list[str] = []
    fence_char = ""
    fence_len = 0
    in_comment = False
    depth = 0
    for line in _LINE_BREAK.split(text):
        if fence_len:
            fence = _fence(line)
            if fence and fence[0] == fence_char and fence[1] >= fence_len and not fence[2].strip():
                fence_len = 0
            continue
        visible, in_comment = _strip_comments(line, in_comment)
        fence = _fence(visible)
        if fence and not (fence[0] == "`" and "`" in fence[2]):
            fence_char, fence_len = fence[0], fence[1]
            continue
        tags = list(_DETAILS_TAG.finditer(_INLINE_CODE.sub("", visible)))
        if not tags:
            if depth == 0:
                out.append(visible)
            continue
        for tag in tags:
            depth = max(0, depth - 1) if tag.group(1) else depth + 1
    return out


def _fence(line: str) -> tuple[str, int, str] | None:
    """Return (character, length, rest) when ``line`` is a code fence line.

    Any indentation and blockquote markers are accepted: inside list items and quotes a
    fence may be indented by more than CommonMark's three spaces at the top level, and
    taking a line for a fence can only hide text, never reveal it.
    """
    s = line.lstrip(" \t>")
    if not s.startswith(("```", "~~~")):
        return None
    ch = s[0]
    rest = s.lstrip(ch)
    return ch, len(s) - len(rest), rest


def _strip_comments(line: str, in_comment: bool) -> tuple[str, bool]:
    """Remove ``<!-- ... -->`` from ``line``; return (visible text, still inside a comment)."""
    if not in_comment and "<!--" not in line:
        return line, False
    parts: list[str] = []
    pos = 0
    while pos <= len(line):
        if in_comment:
            end = line.find("-->", pos)
            if end < 0:
                return "".join(parts), True
            pos = end + 3
            in_comment = False
        else:
            start = line.find("<!--", pos)
            if start < 0:
                parts.append(line[pos:])
                break
            parts.append(line[pos:start])
            pos = start + 4
            in_comment = True
    return "".join(parts), False


def _count_pipes(line: str) -> int:
    return line.count("|") - line.count("\\|")


def _split_row(line: str) -> list[str]:
    """Split a GFM table row on unescaped pipes; ``\\|`` becomes ``|`` in the cell."""
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    if "\\|" not in s:
        return [cell.strip() for cell in s.split("|")]
    cells: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s) and s[i + 1] == "|":
            current.append("|")
            i += 2
            continue
        if ch == "|":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    cells.append("".join(current).strip())
    return cells


def _tables(lines: list[str]) -> Iterator[tuple[list[str], list[list[str]]]]:
    """Yield (header cells, rows) of every GFM table in ``lines``.

    A table is a header row followed by a delimiter row with as many cells; rows run to the
    next blank line. A row with fewer pipes than the header is continued on the next lines
    until it has as many: that restores rows that a commit-message wrapper (GitHub's squash
    merge) broke over several lines; Renovate itself always writes complete rows.
    """
    i = 0
    while i + 1 < len(lines):
        header = lines[i]
        if "|" not in header or not _is_delimiter_row(lines[i + 1]):
            i += 1
            continue
        header_cells = _split_row(header)
        if len(header_cells) != len(_split_row(lines[i + 1])):
            i += 1
            continue
        expected = max(1, _count_pipes(header))
        rows: list[list[str]] = []
        pending: list[str] = []
        pipes = 0
        j = i + 2
        while j < len(lines):
            line = lines[j]
            if not line.strip():
                break
            if not pending and "|" not in line:
                break
            pending.append(line.strip())
            pipes += _count_pipes(line)
            if pipes >= expected:
                rows.append(_split_row(" ".join(pending)))
                pending, pipes = [], 0
            j += 1
        if pending:
            rows.append(_split_row(" ".join(pending)))
        yield header_cells, rows
        i = j


def _is_delimiter_row(line: str) -> bool:
    # No regex over the whole line: a backtracking pattern is quadratic in its spaces.
    if "-" not in line or not _DELIMITER_CHARS.issuperset(line):
        return False
    return all(_DELIMITER_CELL.fullmatch(cell) for cell in _split_row(line))


def _normalise_header(cell: str) -> str:
    text = _plain(cell).replace("*", "").replace("_", " ")
    return " ".join(text.lower().split())


def _header_fields(header: list[str]) -> dict[str, list[int]]:
    fields: dict[str, list[int]] = {}
    for index, cell in enumerate(header):
        field = _COLUMNS.get(_normalise_header(cell))
        if field is not None:
            fields.setdefault(field, []).append(index)
    return fields


def _is_updates_table(fields: Mapping[str, list[int]]) -> bool:
    if "change" in fields:
        return True
    return "package" in fields and ("new" in fields or "update_type" in fields)


def _row_update(fields: Mapping[str, list[int]], row: list[str]) -> ClaimedUpdate | None:
    def cell(field: str) -> str:
        indexes = fields.get(field)
        if not indexes or indexes[0] >= len(row):
            return ""
        return row[indexes[0]]

    package, new_package, package_url = _parse_package(cell("package"))
    current, new = _parse_change(cell("change")) if "change" in fields else (None, None)
    if current is None:
        current = _plain(cell("current")) or None
    if new is None:
        new = _plain(cell("new")) or None
    update_type = _plain(cell("update_type")) or None
    if not (package or update_type or current or new):
        return None
    datasource = _plain(cell("datasource")) or None
    package_name = None
    for index in fields.get("badge", ()):
        if index >= len(row):
            continue
        m = _MEND_BADGE.search(row[index])
        if m:
            datasource = datasource or m.group(1)
            package_name = package_name or unquote(m.group(2))
        else:
            old = _OLD_BADGE.search(row[index])
            if old:
                datasource = datasource or old.group(1)
    return ClaimedUpdate(
        package=package,
        update_type=update_type,
        current=current,
        new=new,
        datasource=datasource,
        dep_type=_plain(cell("dep_type")) or None,
        new_package=new_package,
        package_name=package_name,
        package_url=package_url,
        package_file=_plain(cell("package_file")) or None,
    )


def _unescape(text: str) -> str:
    # Renovate writes a leading "@" as "@&#8203;" (zero-width space) so GitHub does not
    # mention anyone; drop it with the other entities.
    if "&" in text:
        text = html.unescape(text)
    return text.replace("\u200b", "").replace("\ufeff", "")


def _bracket_pairs(text: str) -> dict[int, int]:
    """Map each ``[`` / ``(`` of ``text`` to its closing bracket (one pass, escapes honoured)."""
    pairs: dict[int, int] = {}
    stacks: dict[str, list[int]] = {"[": [], "(": []}
    for m in _BRACKET_OR_ESCAPE.finditer(text):
        ch = m.group()
        if ch in stacks:
            stacks[ch].append(m.start())
        elif ch == "]" and stacks["["]:
            pairs[stacks["["].pop()] = m.start()
        elif ch == ")" and stacks["("]:
            pairs[stacks["("].pop()] = m.start()
    return pairs


def _link(text: str, start: int, pairs: Mapping[int, int]) -> tuple[str, str, int] | None:
    """Parse ``[label](url)`` at ``text[start]``; return (label, url, end index) or None."""
    close = pairs.get(start)
    if close is None or close + 1 >= len(text) or text[close + 1] != "(":
        return None
    end = pairs.get(close + 1)
    if end is None:
        return None
    url = text[close + 2 : end].strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    return text[start + 1 : close], url.split()[0] if url else "", end + 1


def _strip_links(text: str) -> str:
    """Replace every ``[label](url)`` by its label and drop images ``![alt](src)``.

    Linear: brackets are matched once, then one pass copies labels and jumps over targets.
    """
    if "[" not in text:
        return text
    pairs = _bracket_pairs(text)
    jumps: dict[int, int] = {}  # index of a link's "]" -> index after its ")"
    out: list[str] = []
    i = 0
    while i < len(text):
        target = jumps.get(i)
        if target is not None:
            i = target
            continue
        ch = text[i]
        if ch == "[":
            link = _link(text, i, pairs)
            if link is not None:
                end = link[2]
                if out and out[-1] == "!":
                    out.pop()
                    i = end
                else:
                    jumps[pairs[i]] = end
                    i += 1
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _plain(cell: str) -> str:
    """Return the text of a cell: links replaced by their labels, code marks and escapes gone."""
    text = _strip_links(_unescape(cell))
    text = _MD_ESCAPE.sub(r"\1", text.replace("`", ""))
    return " ".join(text.split())


def _split_arrow(text: str) -> tuple[str, str] | None:
    """Split ``text`` at the first top-level arrow outside brackets and code."""
    if not any(arrow in text for arrow in _ARROWS):
        return None
    depth = 0
    code = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "`":
            code = not code
        elif not code and ch in "[(":
            depth += 1
        elif not code and ch in "])":
            depth = max(0, depth - 1)
        elif not code and depth == 0:
            for arrow in _ARROWS:
                if text.startswith(arrow, i):
                    return text[:i], text[i + len(arrow) :]
        i += 1
    return None


def _parse_package(cell: str) -> tuple[str, str | None, str | None]:
    """Return (name, replacement name, link of the name) from a Package cell.

    Renovate writes ``{{depNameLinked}}`` — ``name``, ``[name](url)`` or ``[name](homepage)
    ([source](url))`` — followed by `` → {{newNameLinked}}`` for a replacement.
    """
    text = _unescape(cell).strip()
    parts = _split_arrow(text)
    old, new = (parts[0], parts[1]) if parts else (text, None)
    name, url = _package_part(old)
    new_name = _package_part(new)[0] if new is not None else None
    return name, new_name or None, url


def _package_part(text: str) -> tuple[str, str | None]:
    text = text.strip()
    if text.startswith("["):
        link = _link(text, 0, _bracket_pairs(text))
        if link is not None:
            label, url, _end = link
            return _plain(label), url or None
    # A plain name, maybe followed by " ([source](...))": names have no " (".
    return _plain(text.split(" (", 1)[0]), None


def _code_tokens(text: str) -> list[tuple[bool, str]]:
    """Split ``text`` into (is code, content) tokens by CommonMark's code-span rule.

    A run of n backticks opens a span closed by the next run of exactly n backticks; runs
    are indexed by length first, so finding each closer is a binary search.
    """
    runs: list[tuple[int, int]] = []  # (start, length)
    i = 0
    while True:
        i = text.find("`", i)
        if i < 0:
            break
        j = i
        while j < len(text) and text[j] == "`":
            j += 1
        runs.append((i, j - i))
        i = j
    by_length: dict[int, list[int]] = {}
    for start, length in runs:
        by_length.setdefault(length, []).append(start)
    tokens: list[tuple[bool, str]] = []
    pos = 0
    plain_from = 0
    for start, length in runs:
        if start < pos:
            continue
        starts = by_length[length]
        k = bisect.bisect_right(starts, start)
        if k >= len(starts):
            continue
        close = starts[k]
        if plain_from < start:
            tokens.append((False, text[plain_from:start]))
        tokens.append((True, text[start + length : close].strip()))
        pos = plain_from = close + length
    if plain_from < len(text):
        tokens.append((False, text[plain_from:]))
    return tokens


def _parse_change(cell: str) -> tuple[str | None, str | None]:
    """Return (from, to) of a Change cell such as ``[`1.2.3` → `1.2.4`](url)``.

    Accepts ``→`` (Renovate >= 41) and ``->`` (older), code spans or plain text, an empty
    side (Renovate drops an empty ````), and a link around the whole. No arrow (``All locks
    refreshed``) gives (None, None).
    """
    text = _strip_links(_unescape(cell)).strip()
    if not any(arrow in text for arrow in _ARROWS):
        return None, None
    tokens = _code_tokens(text)
    for k, (is_code, content) in enumerate(tokens):
        if is_code:
            continue
        for arrow in _ARROWS:
            at = content.find(arrow)
            if at < 0:
                continue
            left = [*tokens[:k], (False, content[:at])]
            right = [(False, content[at + len(arrow) :]), *tokens[k + 1 :]]
            return _join_tokens(left), _join_tokens(right)
    return None, None


def _join_tokens(tokens: Iterable[tuple[bool, str]]) -> str | None:
    text = "".join(
        content if is_code else _MD_ESCAPE.sub(r"\1", content.replace("`", ""))
        for is_code, content in tokens
    )
    text = " ".join(text.split())
    return text or None


# --- branches and config ------------------------------------------------------------------------


def is_renovate_branch(ref: str | None, prefix: str = "renovate/") -> bool:
    """Return whether ``ref`` (a branch name or ``refs/heads/...``) is under ``prefix``.

    The prefix is Renovate's ``branchPrefix`` (default ``renovate/``; no templates allowed
    there). The comparison is exact and case-sensitive, as git's. An empty prefix is a
    programming error (``ValueError``): it would make every branch a Renovate branch.
    """
    if not prefix:
        raise ValueError("the Renovate branch prefix must not be empty")
    if not ref:
        return False
    name = ref.removeprefix("refs/heads/")
    return name.startswith(prefix) and len(name) > len(prefix)


_JSON5_LINE: Final = re.compile(r"^<string>:(\d+) (.*)$", re.DOTALL)


def load_renovate_config(text: str, path: str) -> dict[str, Any]:
    """Load a Renovate config (``renovate.json``, ``renovate.json5``, ``.renovaterc``).

    Returns the top-level object. Plain JSON is read by the standard library (fast); anything
    else by the ``json5`` package, as Renovate reads JSON5. Raises :class:`InputError` with
    the line where the parser gives one for a syntax error, a duplicate key (Renovate would
    silently keep the last one, which can hide a setting), a top level that is not an
    object, nesting too deep, or a file larger than :data:`MAX_CONFIG_CHARS`.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MAX_CONFIG_CHARS:
        raise InputError(path, f"Renovate config is larger than {MAX_CONFIG_CHARS} characters")
    if not text.strip():
        raise InputError(path, "Renovate config is empty")
    data: Any
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKeyError as e:
        raise InputError(path, f"duplicate key {e.key[:80]!r}") from None
    except RecursionError:
        raise InputError(path, "nesting is too deep") from None
    except ValueError:
        data = _load_json5(text, path)
    if not isinstance(data, dict):
        raise InputError(path, f"expected an object at the top level, got {_describe(data)}")
    return data


def _load_json5(text: str, path: str) -> Any:
    import json5

    try:
        return json5.loads(text, allow_duplicate_keys=False)
    except RecursionError:
        raise InputError(path, "nesting is too deep") from None
    except ValueError as e:
        message = str(e)
        m = _JSON5_LINE.match(message)
        if m:
            raise InputError(path, f"invalid JSON5: {m.group(2)}", line=int(m.group(1))) from None
        raise InputError(path, f"invalid JSON5: {message}") from None
