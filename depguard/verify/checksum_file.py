"""Checksum files as aqua reads them (``checksum.file_format`` / ``checksum.pattern``).

Semantics follow aqua's ``pkg/checksum/parser.go`` (``ParseChecksumFile``/``GetChecksum``):

1. CRLF line ends are read as LF (aqua normalises ``\\r\\n`` before parsing).
2. ``raw``: the whole file, whitespace-trimmed, is the checksum.
3. ``""`` (default): the file is trimmed and split into lines. A single line holding neither a
   space nor a tab is the checksum itself. Otherwise every line is ``<sum><sep><file>``, split
   at the first space (else the first tab); the key is ``path.Base`` of the trimmed file part
   with one leading ``*`` (``sha256sum``'s binary marker) removed. Lines without a separator
   are ignored; a later line for the same name wins. BSD-style ``SHA256 (f) = hex`` lines are
   *not* understood by aqua (registries use ``regexp`` for them), so not here either.
4. ``regexp``: ``pattern.checksum`` and ``pattern.file`` are applied to every line; the first
   capture group is the value. Without ``pattern.file`` the first line whose checksum group is
   non-empty is the checksum of every asset; with it, lines where both groups are non-empty
   form a ``file -> checksum`` map (a later line wins).
5. Nothing extracted is an error ("no checksum is extracted"). A single checksum answers for
   any asset; otherwise the asset is looked up by ``path.Base(asset)`` ("no checksum is
   found").

On top of aqua, depguard checks the extracted value is hex of the algorithm's length
(``InputError`` with the line) and returns it lower-cased, bounds the input size, refuses
binary input, and runs the patterns in RE2 (:mod:`depguard.util.linear_re`, Go's regexp
syntax, linear time) so a registry's pattern cannot hang it on a crafted line.

Pure: no I/O except :func:`file_digest`, which reads the file it is given.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from depguard.errors import InputError, IntegrityError, UnsupportedError
from depguard.util.linear_re import LinearRegex, RegexError

__all__ = [
    "ALGORITHMS",
    "FILE_FORMATS",
    "MAX_CHECKSUM_FILE_BYTES",
    "checksum_for",
    "file_digest",
    "hex_length",
    "parse_checksum_file",
]

#: Hex digest length per algorithm aqua supports (``checksum.algorithm``).
ALGORITHMS: dict[str, int] = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
FILE_FORMATS = ("", "raw", "regexp")
MAX_CHECKSUM_FILE_BYTES = 16 * 1024 * 1024
_READ_CHUNK = 1024 * 1024
_HEX = re.compile(r"[0-9A-Fa-f]+")
# ALG (file) = hex: what `sha256sum --tag`, rhash --bsd and BSD `sha256` write.
_BSD_LINE = re.compile(r"^[A-Za-z0-9-]+ ?\(.+\) ?= ?[0-9A-Fa-f]+$")


@dataclass(slots=True)
class _Parsed:
    single: tuple[str, int] | None = None  # value, 1-based line
    entries: dict[str, tuple[str, int]] = field(default_factory=dict)


def hex_length(algorithm: str, *, source: str) -> int:
    """Return the hex digest length of ``algorithm``.

    Raises :class:`UnsupportedError` for anything but md5, sha1, sha256 and sha512.
    """
    try:
        return ALGORITHMS[algorithm]
    except KeyError:
        raise UnsupportedError(
            f"{source}: checksum algorithm {algorithm!r} is not supported "
            f"(expected one of {', '.join(ALGORITHMS)})"
        ) from None


def _go_base(name: str) -> str:
    """Go's ``path.Base``: last slash-separated element, trailing slashes ignored."""
    if name == "":
        return "."
    stripped = name.rstrip("/")
    if stripped == "":
        return "/"
    return stripped.rsplit("/", 1)[-1]


def _compile(pattern: str, what: str, source: str) -> LinearRegex:
    """Compile a registry regexp. Go's ``regexp`` is RE2 syntax, so it runs in RE2: the same
    meaning, and linear time on a checksum file however the pattern is written."""
    if "\\C" in pattern:  # RE2 matches one byte there, Go refuses the escape
        raise InputError(source, f"{what} {pattern!r} is not a valid Go regexp: \\C")
    try:
        compiled = LinearRegex(pattern)
    except RegexError as e:
        raise InputError(
            source, f"{what} {pattern!r} is not a valid regular expression: {e}"
        ) from None
    if compiled.groups < 1:
        raise InputError(
            source,
            f"{what} {pattern!r} has no capture group (aqua takes the first group's match)",
        )
    return compiled


def _group1(pattern: LinearRegex, line: str) -> str:
    return pattern.search_group(line) or ""


def _prepare(text: str | bytes, source: str) -> str:
    if len(text) > MAX_CHECKSUM_FILE_BYTES:
        raise InputError(
            source, f"checksum file is larger than the limit of {MAX_CHECKSUM_FILE_BYTES} bytes"
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(source, f"checksum file is not UTF-8 text ({e.reason})") from None
    if "\x00" in text:
        raise InputError(source, "checksum file is binary (contains NUL bytes), not text")
    return text.replace("\r\n", "\n")


def _parse(
    text: str | bytes,
    *,
    file_format: str,
    pattern_checksum: str | None,
    pattern_file: str | None,
    source: str,
) -> _Parsed:
    content = _prepare(text, source)
    out = _Parsed()
    if file_format == "raw":
        stripped = content.strip()
        if stripped:
            offset = content[: content.find(stripped)].count("\n")
            out.single = (stripped, offset + 1)
    elif file_format == "":
        stripped = content.strip()
        # Line numbers count from the untrimmed file, so messages point at the real line.
        offset = content[: content.find(stripped)].count("\n") if stripped else 0
        lines = stripped.split("\n")
        if len(lines) == 1 and " " not in lines[0] and "\t" not in lines[0]:
            if lines[0]:
                out.single = (lines[0], offset + 1)
        else:
            for i, line in enumerate(lines):
                idx = line.find(" ")
                if idx == -1:
                    idx = line.find("\t")
                    if idx == -1:
                        continue
                name = _go_base(line[idx:].strip()).removeprefix("*")
                out.entries[name] = (line[:idx], offset + i + 1)
    elif file_format == "regexp":
        if not pattern_checksum:
            raise InputError(source, "file_format regexp needs pattern.checksum")
        checksum_re = _compile(pattern_checksum, "pattern.checksum", source)
        file_re = _compile(pattern_file, "pattern.file", source) if pattern_file else None
        for i, line in enumerate(content.split("\n")):
            value = _group1(checksum_re, line)
            if not value:
                continue
            if file_re is None:
                out.single = (value, i + 1)
                break
            name = _group1(file_re, line)
            if name:
                out.entries[name] = (value, i + 1)
    else:
        raise InputError(
            source,
            f"unknown checksum file_format {file_format!r} (expected '', 'raw' or 'regexp')",
        )
    if out.single is None and not out.entries:
        how = f"file_format {file_format!r}" if file_format else "the default file_format"
        raise InputError(source, f"no checksum could be extracted from the file ({how})")
    return out


def parse_checksum_file(
    text: str | bytes,
    *,
    file_format: str,
    pattern_checksum: str | None,
    pattern_file: str | None,
    source: str,
) -> dict[str, str] | str:
    """Parse a checksum file the way aqua does.

    Returns the single checksum (``raw``, a one-value default file, or ``regexp`` without
    ``pattern.file``) or a ``{file name: checksum}`` map, values as written (not validated or
    case-folded: use :func:`checksum_for` for that). Raises :class:`InputError` (naming
    ``source``) when the file is too big, binary, yields no checksum, or the format/patterns
    are invalid.
    """
    parsed = _parse(
        text,
        file_format=file_format,
        pattern_checksum=pattern_checksum,
        pattern_file=pattern_file,
        source=source,
    )
    if parsed.single is not None:
        return parsed.single[0]
    return {name: value for name, (value, _line) in parsed.entries.items()}


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def checksum_for(
    text: str | bytes,
    asset: str,
    *,
    algorithm: str,
    file_format: str = "",
    pattern_checksum: str | None = None,
    pattern_file: str | None = None,
    source: str,
) -> str:
    """Return the lower-case hex checksum the file gives for ``asset``.

    A single-checksum file answers for any asset; otherwise the asset is looked up by its
    base name (``path.Base``), as aqua does. Raises :class:`IntegrityError`
    ("no checksum for <asset> in <source>") when the file has no entry for it,
    :class:`InputError` with the line when the value is not hex of the algorithm's length
    (or the file cannot be parsed), :class:`UnsupportedError` for an unknown algorithm.
    """
    length = hex_length(algorithm, source=source)
    parsed = _parse(
        text,
        file_format=file_format,
        pattern_checksum=pattern_checksum,
        pattern_file=pattern_file,
        source=source,
    )
    if parsed.single is not None:
        value, line = parsed.single
    else:
        key = _go_base(asset)
        hit = parsed.entries.get(key)
        if hit is None:
            names = sorted(parsed.entries)
            listed = ", ".join(_shown(n) for n in names[:8])
            if len(names) > 8:
                listed += f", … ({len(names)} in all)"
            hint = f"the file lists: {listed}"
            content = _prepare(text, source)
            if file_format == "" and any(
                _BSD_LINE.match(line.strip()) for line in content.split("\n")
            ):
                hint = (
                    "the file has BSD-style 'ALG (file) = hex' lines, which aqua's default "
                    "format does not read; the registry entry needs file_format: regexp"
                )
            raise IntegrityError(f"no checksum for {asset} in {source}", hint=hint)
        value, line = hit
    if len(value) != length or not _HEX.fullmatch(value):
        what = "the checksum" if parsed.single is not None else f"the checksum of {asset}"
        raise InputError(
            source,
            f"{what} is not a {algorithm} digest ({length} hex digits): {_shown(value)}",
            line=line,
        )
    return value.lower()


def file_digest(path: Path, algorithm: str) -> str:
    """Return the lower-case hex ``algorithm`` digest of the file at ``path``, streaming.

    Raises :class:`UnsupportedError` for an unknown algorithm and :class:`InputError` when
    the file cannot be read.
    """
    hex_length(algorithm, source=str(path))
    h = hashlib.new(algorithm)
    try:
        with path.open("rb") as f:
            while chunk := f.read(_READ_CHUNK):
                h.update(chunk)
    except OSError as e:
        raise InputError(str(path), f"cannot read the file: {e.strerror or e}") from e
    return h.hexdigest()
