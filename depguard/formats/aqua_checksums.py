"""``aqua-checksums.json``: a strict reader with line numbers and a byte-identical writer.

The format is aqua's ``pkg/checksum/type.go``: ``{"checksums": [{"id", "checksum",
"algorithm"}, ...]}``. aqua writes it with ``json.Encoder`` + ``SetIndent("", "  ")``: two-space
indentation, entries sorted by id, fields in the order id/checksum/algorithm, a trailing newline,
HTML-safe escaping of ``<``, ``>`` and ``&`` (``\\u003c``, ``\\u003e``, ``\\u0026``), ``\\u2028``
and ``\\u2029`` escaped, other non-ASCII characters kept as they are. New values are stored
upper-case (``Checksums.Set`` callers use ``strings.ToUpper``) and compared ignoring case
(``strings.EqualFold``).

Reading is stricter than aqua's ``json.Decoder`` on purpose: unknown or case-variant keys,
duplicate ids, unknown algorithms, checksums that are not hex of the algorithm's length, and
anything after the top-level value are :class:`InputError` with the line, where aqua would
silently take the last duplicate or ignore the field.
"""

from __future__ import annotations

import json.decoder
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from depguard.errors import InputError
from depguard.formats.yaml_lines import LineDict, LineList, describe

__all__ = [
    "ALGORITHMS",
    "ChecksumEntry",
    "ChecksumFile",
    "empty_checksums",
    "parse_checksums",
]

ALGORITHMS: Final = ("md5", "sha1", "sha256", "sha512")
_HEX_LENGTH: Final = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
_HEX_RE: Final = re.compile(r"[0-9A-Fa-f]+")
_MAX_BYTES: Final = 8 * 1024 * 1024
_MAX_DEPTH: Final = 64


@dataclass(frozen=True, slots=True)
class ChecksumEntry:
    """One entry of ``aqua-checksums.json``; ``checksum`` keeps the case it was stored in."""

    id: str
    checksum: str
    algorithm: str


def _check_value(checksum: str, algorithm: str) -> str | None:
    """Return why ``checksum``/``algorithm`` is invalid, or None."""
    length = _HEX_LENGTH.get(algorithm)
    if length is None:
        return (
            f"unknown checksum algorithm {algorithm!r} (expected one of: {', '.join(ALGORITHMS)})"
        )
    if len(checksum) != length or not _HEX_RE.fullmatch(checksum):
        return f"invalid {algorithm} checksum {checksum[:140]!r}: expected {length} hex digits"
    return None


class ChecksumFile:
    """The entries of one ``aqua-checksums.json``, keyed by id (mutable)."""

    __slots__ = ("_changed", "_entries", "_lines", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self._entries: dict[str, ChecksumEntry] = {}
        self._lines: dict[str, int] = {}
        self._changed = False

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, id: object) -> bool:
        return id in self._entries

    @property
    def changed(self) -> bool:
        """True once :meth:`set` or :meth:`prune` changed something (aqua writes only then)."""
        return self._changed

    def get(self, id: str) -> ChecksumEntry | None:
        """Return the entry for ``id``, or None."""
        return self._entries.get(id)

    def line_of(self, id: str) -> int | None:
        """Return the line where the entry for ``id`` starts in the parsed file, or None."""
        return self._lines.get(id)

    def ids(self) -> list[str]:
        """Return all ids, sorted as aqua writes them."""
        return sorted(self._entries)

    def set(self, id: str, checksum: str, algorithm: str) -> bool:
        """Record ``checksum`` (stored upper-case) for ``id``; return whether anything changed.

        An existing entry with the same algorithm and a checksum equal ignoring case is left
        as it is (old lower-case text included). Raises ValueError for an unknown algorithm or
        a checksum that is not hex of the algorithm's length.
        """
        problem = _check_value(checksum, algorithm)
        if problem is not None:
            raise ValueError(problem)
        old = self._entries.get(id)
        if (
            old is not None
            and old.algorithm == algorithm
            and old.checksum.upper() == checksum.upper()
        ):
            return False
        self._entries[id] = ChecksumEntry(id, checksum.upper(), algorithm)
        self._lines.pop(id, None)
        self._changed = True
        return True

    def prune(self, keep: Iterable[str]) -> list[str]:
        """Remove every entry whose id is not in ``keep``; return the removed ids, sorted."""
        wanted = set(keep)
        removed = sorted(i for i in self._entries if i not in wanted)
        for i in removed:
            del self._entries[i]
            self._lines.pop(i, None)
        if removed:
            self._changed = True
        return removed

    def dumps(self) -> str:
        """Return the file text exactly as aqua writes it (sorted, indented, trailing newline)."""
        if not self._entries:
            return '{\n  "checksums": []\n}\n'
        items = [
            '    {\n      "id": '
            + _go_string(e.id)
            + ',\n      "checksum": '
            + _go_string(e.checksum)
            + ',\n      "algorithm": '
            + _go_string(e.algorithm)
            + "\n    }"
            for e in (self._entries[i] for i in sorted(self._entries))
        ]
        return '{\n  "checksums": [\n' + ",\n".join(items) + "\n  ]\n}\n"


def empty_checksums(path: str) -> ChecksumFile:
    """Return an empty checksum file for ``path`` (aqua creates one on first write)."""
    return ChecksumFile(path)


def parse_checksums(text: str, path: str) -> ChecksumFile:
    """Parse ``aqua-checksums.json`` text; ``path`` is the display path used in errors.

    Returns a :class:`ChecksumFile`. Raises :class:`InputError` naming the line for invalid
    JSON, a wrong shape, unknown keys, duplicate ids, unknown algorithms and bad hex.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > _MAX_BYTES:
        raise InputError(path, f"checksum file is larger than {_MAX_BYTES} bytes")
    root = _JsonReader(text, path).document()
    result = ChecksumFile(path)
    if not isinstance(root, LineDict):
        raise InputError(path, f"expected a JSON object, got {describe(root)}", line=1)
    for key in root:
        if key != "checksums":
            raise InputError(
                path, f"unknown key {key!r} (expected 'checksums')", line=root.key_line(key)
            )
    items = root.get("checksums")
    if items is None:
        return result
    if not isinstance(items, LineList):
        raise InputError(
            path,
            f"checksums: expected a list, got {describe(items)}",
            line=root.key_line("checksums"),
        )
    for index, item in enumerate(items):
        line = items.item_line(index)
        if not isinstance(item, LineDict):
            raise InputError(
                path, f"checksums[{index}]: expected an object, got {describe(item)}", line=line
            )
        values: dict[str, str] = {}
        for key, value in item.items():
            if key not in ("id", "checksum", "algorithm"):
                raise InputError(
                    path,
                    f"checksums[{index}]: unknown key {key!r} "
                    "(expected 'id', 'checksum' and 'algorithm')",
                    line=item.key_line(key),
                )
            if not isinstance(value, str):
                raise InputError(
                    path,
                    f"checksums[{index}].{key}: expected a string, got {describe(value)}",
                    line=item.key_line(key),
                )
            values[key] = value
        for key in ("id", "checksum", "algorithm"):
            if not values.get(key):
                raise InputError(path, f"checksums[{index}]: missing {key!r}", line=line)
        entry = ChecksumEntry(values["id"], values["checksum"], values["algorithm"])
        problem = _check_value(entry.checksum, entry.algorithm)
        if problem is not None:
            raise InputError(path, f"{entry.id}: {problem}", line=line)
        first = result._lines.get(entry.id)
        if first is not None:
            raise InputError(
                path, f"duplicate checksum id {entry.id!r} (first on line {first})", line=line
            )
        result._entries[entry.id] = entry
        result._lines[entry.id] = line
    return result


# --- Go's encoding/json string encoder (escapeHTML = true, Go >= 1.22) ---------------------

_SAFE_RE: Final = re.compile(r'[^\x00-\x1f"\\<>&\u2028\u2029]*')
_SHORT_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _go_string(s: str) -> str:
    if _SAFE_RE.fullmatch(s):
        return f'"{s}"'
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif code < 0x20 or ch in "<>&" or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")  # Go writes invalid UTF-8 as U+FFFD
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# --- a small strict JSON reader that keeps line numbers -------------------------------------

# The C-accelerated string scanner behind json.loads (not in typeshed's stubs).
_scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]
_WS_RE: Final = re.compile(r"[ \t\n\r]*")
_NUMBER_RE: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


class _JsonReader:
    """RFC 8259 JSON to LineDict/LineList/str/int/float/bool/None, with line numbers."""

    __slots__ = ("_last_line", "_last_pos", "path", "text")

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self._last_pos = 0
        self._last_line = 1

    def line(self, pos: int) -> int:
        # Positions mostly grow: count only the newlines since the previous call.
        if pos < self._last_pos:
            self._last_pos, self._last_line = 0, 1
        self._last_line += self.text.count("\n", self._last_pos, pos)
        self._last_pos = pos
        return self._last_line

    def error(self, message: str, pos: int) -> InputError:
        return InputError(self.path, f"invalid JSON: {message}", line=self.line(pos))

    def skip(self, pos: int) -> int:
        m = _WS_RE.match(self.text, pos)
        return m.end() if m else pos

    def document(self) -> Any:
        pos = self.skip(0)
        if pos >= len(self.text):
            raise self.error("the file is empty", pos)
        value, pos = self.value(pos, 0)
        pos = self.skip(pos)
        if pos < len(self.text):
            raise self.error("unexpected data after the top-level value", pos)
        return value

    def value(self, pos: int, depth: int) -> tuple[Any, int]:
        text = self.text
        c = text[pos : pos + 1]
        if c == '"':
            return self.string(pos)
        if c in ("{", "["):
            if depth >= _MAX_DEPTH:
                raise self.error(f"nesting is deeper than {_MAX_DEPTH} levels", pos)
            return self.object(pos, depth) if c == "{" else self.array(pos, depth)
        for word, result in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, pos):
                return result, pos + len(word)
        m = _NUMBER_RE.match(text, pos)
        if m and m.end() > pos:
            number = m.group()
            is_float = any(ch in number for ch in ".eE")
            try:
                return (float(number) if is_float else int(number)), m.end()
            except ValueError:  # CPython's limit on integer digits
                raise self.error("a number is too long", pos) from None
        if not c:
            raise self.error("unexpected end of file", pos)
        raise self.error(f"unexpected character {c!r}", pos)

    def string(self, pos: int) -> tuple[str, int]:
        try:
            value, end = _scanstring(self.text, pos + 1, True)
        except json.JSONDecodeError as e:
            raise self.error(e.msg, e.pos) from None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self.error("a string holds an unpaired surrogate escape", pos) from None
        return value, end

    def object(self, pos: int, depth: int) -> tuple[LineDict, int]:
        result = LineDict(self.line(pos))
        pos = self.skip(pos + 1)
        if self.text.startswith("}", pos):
            return result, pos + 1
        while True:
            if not self.text.startswith('"', pos):
                raise self.error("expected a string key", pos)
            key_pos = pos
            key_line = self.line(key_pos)  # before the value: lines are counted forwards
            key, pos = self.string(pos)
            if key in result:
                raise self.error(
                    f"duplicate key {key!r} (first on line {result.key_line(key)})", key_pos
                )
            pos = self.skip(pos)
            if not self.text.startswith(":", pos):
                raise self.error("expected ':' after an object key", pos)
            value, pos = self.value(self.skip(pos + 1), depth + 1)
            result[key] = value
            result._key_lines[key] = key_line
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
                continue
            if self.text.startswith("}", pos):
                return result, pos + 1
            raise self.error("expected ',' or '}' in an object", pos)

    def array(self, pos: int, depth: int) -> tuple[LineList, int]:
        result = LineList(self.line(pos))
        pos = self.skip(pos + 1)
        if self.text.startswith("]", pos):
            return result, pos + 1
        while True:
            result._item_lines.append(self.line(pos))  # before the value (see object)
            value, pos = self.value(pos, depth + 1)
            result.append(value)
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
                continue
            if self.text.startswith("]", pos):
                return result, pos + 1
            raise self.error("expected ',' or ']' in an array", pos)
