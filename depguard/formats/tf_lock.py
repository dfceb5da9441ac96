"""``.terraform.lock.hcl``: a dedicated fast parser and a byte-identical writer.

Reading follows Terraform's ``depsfile.decodeLocksFromHCL`` (v1.11): top-level ``provider``
blocks (one label, ``source_addr``) and ``module`` blocks (ignored, Terraform only warns);
arguments ``version`` (required), ``constraints`` and ``hashes``; everything else is an error
with Terraform's wording. Labels, versions and constraints must already be in the normalised
form Terraform writes. Lock files laid out the way Terraform and OpenTofu write them take a
fast path (one regex match per block); anything else (comments, other spacing, CRLF,
attributes in another order, one-line blocks) goes through a small recursive-descent parser
built on the lexer of :mod:`depguard.formats.hcl_scan`.

Writing follows ``depsfile.SaveLocksToBytes``: two header comment lines, blocks sorted by
address, ``version``/``constraints`` aligned as hclwrite aligns them, a hand-formatted
``hashes`` list with a trailing comma on every element.

Differences from Terraform, all for input Terraform itself never writes: a string template
with an interpolation (``"${"1.0.0"}"``) and any expression other than a literal string,
number, bool, null or list are rejected instead of being evaluated; only the first error is
reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from depguard.errors import InputError
from depguard.formats import hcl_scan
from depguard.formats.hcl_scan import ScanError, line_of, read_quoted, skip_body, skip_space
from depguard.formats.tf_address import format_provider_address, parse_lock_label
from depguard.model import LockFile, ProviderAddress, ProviderLock
from depguard.versions import constraints_string, parse_lock_constraints, parse_version

__all__ = ["detect_header", "parse_lock", "render_lock"]

_HEADER_LINE_1 = '# This file is maintained automatically by "{tool} init".\n'
_HEADER_LINE_2 = "# Manual edits may be lost in future updates.\n"
_HEADER_RE = re.compile(r'# This file is maintained automatically by "(terraform|tofu) init"\.')

# --- fast path: the exact layout Terraform and OpenTofu write ----------------------------
# "[^\"]*" is much faster for the regex engine than a class excluding several characters;
# the strings it captures are checked for escapes, newlines and template introducers below.
_FAST_HEADER_RE = re.compile(r"(?:#[^\n]*\n)*")
_FAST_BLOCK_RE = re.compile(
    r'\nprovider "([^"]*)" \{\n'
    r'  version +?= "([^"]*)"\n'
    r'(?:  constraints = "([^"]*)"\n)?'
    r'(?:  hashes = \[\n((?:    "[^"]*",\n)*)  \]\n)?'
    r"\}\n"
)


def _plain(s: str) -> bool:
    """True when ``s`` needs no unescaping (so its raw text is its value)."""
    return "\\" not in s and "\n" not in s and "$" not in s and "%" not in s


@dataclass(frozen=True, slots=True, kw_only=True)
class _Value:
    """A decoded argument value: str, or a list of values, or None for ``null``."""

    value: str | list[_Value] | None
    pos: int


def detect_header(text: str) -> str | None:
    """Return ``"terraform"`` or ``"tofu"`` from a lock file's first header line, else None.

    Use it to keep OpenTofu's header when rewriting a lock file (``render_lock(header=…)``).
    """
    m = _HEADER_RE.match(text)
    return m.group(1) if m else None


def parse_lock(text: str, path: str) -> LockFile:
    """Parse ``.terraform.lock.hcl`` text; ``path`` is the display path used in errors.

    Returns a :class:`~depguard.model.LockFile` with providers in file order and each block's
    hashes in file order (unknown hash schemes are kept). Raises
    :class:`~depguard.errors.InputError` with Terraform's message and the line for anything
    Terraform rejects.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    providers = _parse_fast(text, path)
    if providers is None:
        providers = _parse_general(text, path)
    return LockFile(path=path, providers=tuple(providers))


def _parse_fast(text: str, path: str) -> list[ProviderLock] | None:
    """Parse the exact layout Terraform writes; return None when the text differs from it."""
    header = _FAST_HEADER_RE.match(text)
    pos = header.end() if header else 0
    n = len(text)
    blocks: list[tuple[int, str, str, str | None, list[str] | None]] = []
    match = _FAST_BLOCK_RE.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            return None
        label, version, constraints, hash_text = m.groups()
        if not (_plain(label) and _plain(version) and (constraints is None or _plain(constraints))):
            return None
        hashes: list[str] | None = None
        if hash_text is not None:
            hashes = hash_text[5:-3].split('",\n    "') if hash_text else []
            if hash_text.count("\n") != len(hashes) or not _plain(hash_text.replace("\n", "")):
                return None
        blocks.append((pos + 1, label, version, constraints, hashes))
        pos = m.end()
    providers: list[ProviderLock] = []
    seen: dict[ProviderAddress, int] = {}
    line, last = 1, 0
    for start, label, version, constraints, hashes in blocks:
        line += text.count("\n", last, start)
        last = start
        lock = _build_lock(
            path,
            label=label,
            block_line=line,
            version=version,
            version_line=line + 1,
            constraints=constraints,
            constraints_line=line + 2,
            hashes=hashes,
            hashes_line=line + (3 if constraints is not None else 2),
        )
        _check_duplicate(path, lock, seen)
        providers.append(lock)
    return providers


def _check_duplicate(path: str, lock: ProviderLock, seen: dict[ProviderAddress, int]) -> None:
    previous = seen.get(lock.address)
    if previous is not None:
        raise InputError(
            path,
            "Duplicate provider lock: This lockfile already declared a lock for provider "
            f"{format_provider_address(lock.address)} at line {previous}.",
            line=lock.line,
        )
    seen[lock.address] = lock.line or 0


def _build_lock(
    path: str,
    *,
    label: str,
    block_line: int,
    version: str | None,
    version_line: int,
    constraints: str | None,
    constraints_line: int,
    hashes: list[str] | None,
    hashes_line: int,
) -> ProviderLock:
    # depsfile.decodeProviderLockFromHCL, step by step.
    try:
        address = parse_lock_label(label)
    except ValueError as e:
        raise InputError(path, str(e), line=block_line) from None
    if version is None:
        raise InputError(
            path,
            'Missing required argument: A provider lock block must contain a "version" argument.',
            line=version_line,
        )
    if not _is_canonical_version(version):
        _raise_version(path, format_provider_address(address), version, version_line)
    if constraints is not None and not _is_canonical_constraints(constraints):
        _raise_constraints(path, format_provider_address(address), constraints, constraints_line)
    if hashes is not None:
        if not hashes:
            raise InputError(
                path,
                'Invalid provider hash set: The "hashes" argument must either be omitted or '
                "contain at least one hash value.",
                line=hashes_line,
            )
        for h in hashes:
            # getproviders.ParseHash: a non-empty scheme followed by a colon; any scheme is
            # accepted here (unknown ones are kept, and ignored for verification).
            if h.find(":") < 1:
                raise InputError(
                    path,
                    f'Invalid provider hash string: Cannot interpret "{h}" as a provider '
                    "hash: hash string must start with a scheme keyword followed by a colon.",
                    line=hashes_line,
                )
    return ProviderLock(
        address=address,
        version=version,
        constraints=constraints or None,  # "" means no constraints, as for Terraform
        hashes=tuple(hashes or ()),
        line=block_line,
    )


@lru_cache(maxsize=4096)
def _is_canonical_version(version: str) -> bool:
    try:
        return str(parse_version(version)) == version
    except ValueError:
        return False


@lru_cache(maxsize=4096)
def _is_canonical_constraints(constraints: str) -> bool:
    try:
        return constraints_string(parse_lock_constraints(constraints)) == constraints
    except ValueError:
        return False


def _raise_version(path: str, shown: str, version: str, line: int) -> None:
    try:
        parsed = parse_version(version)
    except ValueError as e:
        raise InputError(
            path,
            "Invalid provider version number: The selected version number for provider "
            f"{shown} is invalid: {e}.",
            line=line,
        ) from None
    raise InputError(
        path,
        "Invalid provider version number: The selected version number for provider "
        f'{shown} must be written in normalized form: "{parsed}".',
        line=line,
    )


def _raise_constraints(path: str, shown: str, constraints: str, line: int) -> None:
    try:
        canonical = constraints_string(parse_lock_constraints(constraints))
    except ValueError as e:
        raise InputError(
            path,
            "Invalid provider version constraints: The recorded version constraints for "
            f"provider {shown} are invalid: {e}.",
            line=line,
        ) from None
    raise InputError(
        path,
        "Invalid provider version constraints: The recorded version constraints for "
        f'provider {shown} must be written in normalized form: "{canonical}".',
        line=line,
    )


# --- general path: any valid HCL layout ------------------------------------------------

_NUMBER_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_ARGS = ("version", "constraints", "hashes")


class _Parser:
    """A recursive-descent reader of the lock-file subset of HCL."""

    __slots__ = ("n", "path", "text")

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.n = len(text)

    def error(self, message: str, pos: int) -> InputError:
        return InputError(self.path, message, line=line_of(self.text, pos))

    def item(self, pos: int) -> tuple[str | None, int, int]:
        """Skip to the next item; return (name or None at "}"/EOF, name offset, offset after)."""
        text = self.text
        pos = skip_space(text, pos)
        if pos >= self.n or text[pos] == "}":
            return None, pos, pos
        m = hcl_scan.IDENT_RE.match(text, pos)
        if m is None:
            raise ScanError(
                "Argument or block definition required: An argument or block definition is "
                "required here.",
                pos,
            )
        return m.group(), pos, m.end()

    def file(self) -> list[ProviderLock]:
        text = self.text
        pos = 0
        providers: list[ProviderLock] = []
        seen: dict[ProviderAddress, int] = {}
        while True:
            name, name_pos, pos = self.item(pos)
            if name is None:
                if pos < self.n:
                    raise ScanError(
                        "Argument or block definition required: An argument or block "
                        'definition is required here; this "}" closes no block.',
                        pos,
                    )
                return providers
            pos = skip_space(text, pos, newlines=False)
            if text.startswith("=", pos):
                raise self.error(
                    f'Unsupported argument: An argument named "{name}" is not expected here.',
                    name_pos,
                )
            labels, brace = self.labels(pos, name)
            if name == "provider":
                if not labels:
                    raise self.error(
                        "Missing source_addr for provider: All provider blocks must have 1 "
                        "labels (source_addr).",
                        name_pos,
                    )
                if len(labels) > 1:
                    raise self.error(
                        "Extraneous label for provider: Only 1 labels (source_addr) are "
                        "expected for provider blocks.",
                        name_pos,
                    )
                lock, pos = self.provider(labels[0], name_pos, brace)
                _check_duplicate(self.path, lock, seen)
                providers.append(lock)
            elif name == "module":
                # A placeholder for future module locks: Terraform only warns about it.
                pos = skip_body(text, brace + 1, brace)
            else:
                raise self.error(
                    f'Unsupported block type: Blocks of type "{name}" are not expected here.',
                    name_pos,
                )

    def labels(self, pos: int, name: str) -> tuple[list[str], int]:
        text = self.text
        labels: list[str] = []
        while True:
            pos = skip_space(text, pos, newlines=False)
            c = text[pos : pos + 1]
            if c == "{":
                return labels, pos
            if c == '"':
                value, pos = read_quoted(text, pos)
                if value is None:
                    raise ScanError(
                        "Invalid block label: Template sequences are not allowed here.", pos
                    )
                labels.append(value)
                continue
            m = hcl_scan.IDENT_RE.match(text, pos)
            if m is None:
                raise ScanError(
                    "Invalid block definition: Either a quoted string block label or an opening "
                    f'brace ("{{") is expected here after "{name}".',
                    pos,
                )
            labels.append(m.group())
            pos = m.end()

    def provider(self, label: str, block_pos: int, brace: int) -> tuple[ProviderLock, int]:
        text = self.text
        values: dict[str, tuple[_Value, int]] = {}
        pos = brace + 1
        while True:
            name, name_pos, pos = self.item(pos)
            if name is None:
                if pos >= self.n:
                    raise ScanError(
                        "Unclosed configuration block: There is no closing brace for this "
                        "block before the end of the file. This may be caused by incorrect "
                        "brace nesting elsewhere in this file.",
                        brace,
                    )
                pos += 1
                break
            pos = skip_space(text, pos, newlines=False)
            if not text.startswith("=", pos) or text.startswith("==", pos):
                raise self.error(
                    f'Unsupported block type: Blocks of type "{name}" are not expected here.',
                    name_pos,
                )
            if name not in _ARGS:
                raise self.error(
                    f'Unsupported argument: An argument named "{name}" is not expected here.',
                    name_pos,
                )
            if name in values:
                raise self.error(
                    f'Attribute redefined: The argument "{name}" was already set at line '
                    f"{line_of(text, values[name][1])}. Each argument may be set only once.",
                    name_pos,
                )
            value, pos = self.value(skip_space(text, pos + 1, newlines=False))
            values[name] = (value, name_pos)
            pos = skip_space(text, pos, newlines=False)
            if pos < self.n and text[pos] not in "\n}#" and not text.startswith("//", pos):
                raise ScanError(
                    "Missing newline after argument: An argument definition must end with a "
                    "newline.",
                    pos,
                )
        block_line = line_of(text, block_pos)
        if "version" not in values:
            raise self.error(
                'Missing required argument: The argument "version" is required, but no '
                "definition was found.",
                block_pos,
            )
        version_value, version_pos = values["version"]
        constraints: str | None = None
        constraints_line = 0
        if "constraints" in values:
            c_value, c_pos = values["constraints"]
            constraints = self.string(c_value, "constraints")
            constraints_line = line_of(text, c_pos)
        hashes: list[str] | None = None
        hashes_line = 0
        if "hashes" in values:
            h_value, h_pos = values["hashes"]
            hashes_line = line_of(text, h_pos)
            if not isinstance(h_value.value, list):
                raise self.error("Invalid expression: A static list expression is required.", h_pos)
            hashes = [self.string(v, "hashes") for v in h_value.value]
        version = None if version_value.value is None else self.string(version_value, "version")
        lock = _build_lock(
            self.path,
            label=label,
            block_line=block_line,
            version=version,
            version_line=line_of(text, version_pos),
            constraints=constraints,
            constraints_line=constraints_line,
            hashes=hashes,
            hashes_line=hashes_line,
        )
        return lock, pos

    def string(self, value: _Value, what: str) -> str:
        # gohcl.DecodeExpression into a string: strings as-is, numbers and bools converted.
        if isinstance(value.value, str):
            return value.value
        kind = "null" if value.value is None else "list"
        raise self.error(
            f'Incorrect attribute value type: Inappropriate value for attribute "{what}": '
            f"string required, got {kind}.",
            value.pos,
        )

    def value(self, pos: int) -> tuple[_Value, int]:
        text = self.text
        c = text[pos : pos + 1]
        if c == '"':
            s, end = read_quoted(text, pos)
            if s is None:
                raise self.error(
                    "Unsupported expression: depguard reads lock files without evaluating "
                    "templates; write the value as a plain string.",
                    pos,
                )
            return _Value(value=s, pos=pos), end
        if c == "[":
            items: list[_Value] = []
            pos += 1
            while True:
                pos = skip_space(text, pos)
                if pos >= self.n:
                    raise ScanError(
                        "Missing expression: Expected the start of an expression, but found "
                        "the end of the file.",
                        pos,
                    )
                if text[pos] == "]":
                    return _Value(value=items, pos=pos), pos + 1
                item, pos = self.value(pos)
                items.append(item)
                pos = skip_space(text, pos)
                if text.startswith(",", pos):
                    pos += 1
                elif not text.startswith("]", pos):
                    raise ScanError(
                        "Missing item separator: Expected a comma to mark the beginning of "
                        "the next item.",
                        pos,
                    )
        m = hcl_scan.IDENT_RE.match(text, pos)
        if m is not None and m.group() in ("true", "false", "null"):
            word = m.group()
            return _Value(value=None if word == "null" else word, pos=pos), m.end()
        m = _NUMBER_RE.match(text, pos)
        if m is not None:
            # cty's number-to-string conversion drops a trailing ".0"; plenty for lock files.
            num = m.group()
            if "." in num and "e" not in num.lower():
                num = num.rstrip("0").rstrip(".")
            return _Value(value=num, pos=pos), m.end()
        if pos >= self.n or c in "\n":
            raise self.error(
                "Missing expression: Expected the start of an expression, but found the end "
                "of the line."
                if c
                else "Missing expression: Expected the start of an expression, but found the end "
                "of the file.",
                pos,
            )
        raise self.error(
            "Unsupported expression: a lock file may contain only literal strings, numbers, "
            "bools, null and lists.",
            pos,
        )


def _parse_general(text: str, path: str) -> list[ProviderLock]:
    parser = _Parser(text, path)
    try:
        return parser.file()
    except ScanError as e:
        raise InputError(path, e.message, line=line_of(text, e.pos)) from None
    except RecursionError:
        raise InputError(path, "expressions are nested too deeply") from None


# --- writer -----------------------------------------------------------------------------


def _quote(s: str) -> str:
    """Quote a string exactly as hclwrite's ``escapeQuotedStringLit`` does."""
    out: list[str] = []
    n = len(s)
    for i, ch in enumerate(s):
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "$%":
            out.append(ch)
            if i + 1 < n and s[i + 1] == "{":
                out.append(ch)  # double the template introducer to escape it
        elif not ch.isprintable():  # Go unicode.IsPrint: letters, marks, numbers, P, S, " "
            code = ord(ch)
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def render_lock(providers: Iterable[ProviderLock], *, header: str | None = None) -> str:
    """Return lock-file text byte-identical to Terraform's ``SaveLocksToBytes``.

    ``header`` selects the first comment line: None or ``"terraform"`` writes
    ``"terraform init"``, ``"tofu"`` writes OpenTofu's ``"tofu init"``. Blocks are sorted by
    address (hostname, namespace, type); versions and constraints are written in canonical
    form; hashes are sorted and de-duplicated; ``constraints`` is omitted when empty.
    Raises ``ValueError`` for an unknown header, a duplicate address or an invalid version or
    constraint.
    """
    tool = header or "terraform"
    if tool not in ("terraform", "tofu"):
        raise ValueError(f"unknown lock-file header {header!r} (expected 'terraform' or 'tofu')")
    out = [_HEADER_LINE_1.format(tool=tool), _HEADER_LINE_2]
    by_address: dict[ProviderAddress, ProviderLock] = {}
    for p in providers:
        if p.address in by_address:
            raise ValueError(f"duplicate provider lock for {p.address}")
        by_address[p.address] = p
    # tfaddr.Provider.LessThan: hostname (comparison form), then namespace, then type.
    for address in sorted(by_address):
        p = by_address[address]
        version = str(parse_version(p.version))
        constraints = constraints_string(parse_lock_constraints(p.constraints or ""))
        out.append(f"\nprovider {_quote(format_provider_address(address))} {{\n")
        if constraints:
            # hclwrite aligns the "=" of consecutive single-line attributes.
            out.append(f"  version     = {_quote(version)}\n")
            out.append(f"  constraints = {_quote(constraints)}\n")
        else:
            out.append(f"  version = {_quote(version)}\n")
        if p.hashes:
            out.append("  hashes = [\n")
            out.extend(f"    {_quote(h)},\n" for h in sorted(set(p.hashes)))
            out.append("  ]\n")
        out.append("}\n")
    return "".join(out)
