"""Rewrite version pins in place, like ``tfupdate`` but byte-preserving.

Pure functions over file text (CONVENTIONS §1): each takes the text and a display path and
returns ``(new_text, pins)`` where ``pins`` counts the pins of the requested dependency the
file holds. A pin already at the requested value counts but leaves its bytes alone, so
``new_text == text`` with ``pins > 0`` means "already there" and ``pins == 0`` means "no such
pin here" (the caller decides whether that is an error). Only the version string changes:
formatting, comments, quoting style and line endings around it are kept, so applying a
change and then the reverse change gives back the original bytes.

* :func:`set_provider_constraint`: the ``version`` of ``required_providers`` entries in
  ``terraform`` blocks (``.tf`` native syntax, ``.tf.json``), matched by normalised source
  address (Terraform v1.11 ``addrs.ParseProviderSourceString``; an entry without ``source``
  is the implied provider of its name). The legacy ``name = "constraint"`` form is rewritten
  too; an entry without ``version`` gets one inserted after ``source``. ``provider`` blocks'
  deprecated ``version`` and module versions are never touched.
* :func:`set_required_version`: ``required_version`` directly inside ``terraform`` blocks.
* :func:`set_aqua_package_version`: ``packages`` entries of an aqua config or import file,
  ``name: owner/repo@version`` or ``name`` + ``version`` (aqua ``pkg/config/aqua/config.go``
  ``parseNameWithVersion``: the name is cut at the first ``@``, and a version there wins
  over ``version:``).
* :func:`set_terraform_version_file`: ``.terraform-version``'s first word outside ``#``
  comments (tfenv ``lib/tfenv-version-file.sh``, tenv).

Every edit is checked by reading the result back with the same reader; a mismatch is a bug
(``RuntimeError``). Malformed input raises :class:`~depguard.errors.InputError` with the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from depguard.errors import InputError
from depguard.formats.hcl_scan import (
    IDENT_RE,
    ScanError,
    line_of,
    read_quoted,
    skip_body,
    skip_expression,
    skip_space,
    unclosed,
)
from depguard.formats.tf_address import implied_provider, parse_provider_source
from depguard.model import ProviderAddress
from depguard.util.text import parse_json

__all__ = [
    "set_aqua_package_version",
    "set_provider_constraint",
    "set_required_version",
    "set_terraform_version_file",
]


@dataclass(frozen=True, slots=True)
class _Edit:
    """Replace ``text[start:end]`` with ``new`` (an insertion when start == end)."""

    start: int
    end: int
    new: str


def _apply(text: str, edits: Sequence[_Edit]) -> str:
    out: list[str] = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            raise RuntimeError(f"overlapping edits at offset {edit.start}")
        out.append(text[pos : edit.start])
        out.append(edit.new)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def _eol_at(text: str, pos: int) -> str:
    """The line ending of the line holding ``pos`` (``\\n`` when it has none)."""
    nl = text.find("\n", pos)
    return "\r\n" if nl > 0 and text[nl - 1] == "\r" else "\n"


def _check_word(value: str, what: str) -> None:
    # A version written where a single word is expected (YAML plain scalar, tfenv file):
    # whitespace or "#" would change the file's structure, not just the value.
    if not value or any(c.isspace() or c == "#" for c in value):
        raise ValueError(f"{what} must be one word without '#', got {value!r}")


# --- Terraform native syntax ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Str:
    """A literal quoted string: decoded value, offset of the opening quote, offset after
    the closing quote."""

    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Requirement:
    """One ``required_providers`` entry and where its parts are."""

    name: str
    name_pos: int
    version: _Str | None
    source: _Str | None = None
    source_key: int = -1  # offset of the ``source`` key
    source_sep: int = -1  # offset of its "=" or ":"
    brace: int = -1  # object form: offset of "{" (-1: legacy string form)
    first_key: int = -1  # object form: offset of the first key, -1 when empty


def _hcl_quote(value: str) -> str:
    """Encode ``value`` as an HCL quoted template literal (hclsyntax escapes)."""
    body = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
        .replace("${", "$${")
        .replace("%{", "%%{")
    )
    return f'"{body}"'


class _TfReader:
    """Finds the ``terraform`` block facts to edit, with offsets.

    A recursive-descent walk over the file body built on :mod:`depguard.formats.hcl_scan`;
    every block other than ``terraform`` / ``required_providers`` and every other argument
    value is skipped whole (strings, comments, heredocs and brackets balanced).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.required_versions: list[_Str] = []
        self.requirements: list[_Requirement] = []

    def ident(self, pos: int) -> tuple[str, int]:
        m = IDENT_RE.match(self.text, pos)
        if m is None:
            if self.text.startswith("}", pos):
                raise ScanError('Unexpected "}": this "}" closes no block.', pos)
            raise ScanError(
                "Argument or block definition required: An argument or block definition is "
                "required here.",
                pos,
            )
        return m.group(), m.end()

    def is_assignment(self, pos: int) -> bool:
        return self.text.startswith("=", pos) and not self.text.startswith("==", pos)

    def open_brace(self, pos: int, name: str) -> tuple[int, int]:
        """Read block labels from ``pos``; return their number and the offset of ``{``."""
        text = self.text
        count = 0
        while True:
            pos = skip_space(text, pos, newlines=False)
            c = text[pos : pos + 1]
            if c == "{":
                return count, pos
            if c == '"':
                value, pos = read_quoted(text, pos)
                if value is None:
                    raise ScanError(
                        "Invalid block label: Template sequences are not allowed in block labels.",
                        pos,
                    )
            elif (m := IDENT_RE.match(text, pos)) is not None:
                pos = m.end()
            else:
                raise ScanError(
                    "Invalid block definition: Either a quoted string block label or an "
                    f'opening brace ("{{") is expected here after "{name}".',
                    pos,
                )
            count += 1

    def literal(self, pos: int, what: str) -> _Str:
        text = self.text
        if not text.startswith('"', pos):
            raise ScanError(f"Invalid value: {what} must be a literal string.", pos)
        value, end = read_quoted(text, pos)
        if value is None:
            raise ScanError(
                f"Variables not allowed: {what} must be a literal string; template sequences "
                "are not allowed here.",
                pos,
            )
        return _Str(value, pos, end)

    def file(self) -> None:
        text = self.text
        pos = 0
        while True:
            pos = skip_space(text, pos)
            if pos >= self.n:
                return
            name, pos = self.ident(pos)
            after = skip_space(text, pos, newlines=False)
            if self.is_assignment(after):
                pos = skip_expression(text, after + 1)
                continue
            labels, brace = self.open_brace(after, name)
            if name == "terraform" and labels == 0:
                pos = self.terraform(brace)
            else:
                pos = skip_body(text, brace + 1, brace)

    def terraform(self, brace: int) -> int:
        text = self.text
        pos = brace + 1
        while True:
            pos = skip_space(text, pos)
            if pos >= self.n:
                raise unclosed("{", brace)
            if text[pos] == "}":
                return pos + 1
            name, pos = self.ident(pos)
            after = skip_space(text, pos, newlines=False)
            if self.is_assignment(after):
                value_pos = skip_space(text, after + 1, newlines=False)
                if name == "required_version":
                    found = self.literal(value_pos, "required_version")
                    self.required_versions.append(found)
                    pos = found.end
                else:
                    pos = skip_expression(text, value_pos)
                continue
            labels, inner = self.open_brace(after, name)
            if name == "required_providers" and labels == 0:
                pos = self.required_providers(inner)
            else:
                pos = skip_body(text, inner + 1, inner)

    def required_providers(self, brace: int) -> int:
        text = self.text
        pos = brace + 1
        while True:
            pos = skip_space(text, pos)
            if pos >= self.n:
                raise unclosed("{", brace)
            if text[pos] == "}":
                return pos + 1
            name_pos = pos
            name, pos = self.ident(pos)
            after = skip_space(text, pos, newlines=False)
            if not self.is_assignment(after):
                raise ScanError(
                    "Unexpected block: Blocks are not allowed in required_providers; each "
                    "provider is an argument.",
                    after,
                )
            value_pos = skip_space(text, after + 1, newlines=False)
            c = text[value_pos : value_pos + 1]
            if c == '"':
                # Legacy shorthand: name = "constraint".
                found = self.literal(value_pos, "A required_providers version constraint")
                self.requirements.append(_Requirement(name=name, name_pos=name_pos, version=found))
                pos = found.end
            elif c == "{":
                pos = self.requirement_object(name, name_pos, value_pos)
            else:
                raise ScanError(
                    "Invalid required_providers object: required_providers entries must be "
                    "strings or objects.",
                    value_pos,
                )

    def requirement_object(self, name: str, name_pos: int, brace: int) -> int:
        text = self.text
        pos = brace + 1
        found: dict[str, tuple[_Str, int, int]] = {}  # key -> (value, key offset, separator)
        first_key = -1
        while True:
            pos = skip_space(text, pos)
            if pos >= self.n:
                raise unclosed("{", brace)
            c = text[pos]
            if c == "}":
                pos += 1
                break
            if c == ",":
                pos += 1
                continue
            key_pos = pos
            if first_key < 0:
                first_key = key_pos
            key: str | None
            if c == '"':
                key, pos = read_quoted(text, pos)
            else:
                m = IDENT_RE.match(text, pos)
                key, pos = (m.group(), m.end()) if m is not None else (None, pos)
            if key is None:
                raise ScanError("Invalid object key: An attribute name is required here.", pos)
            sep = skip_space(text, pos, newlines=False)
            if text[sep : sep + 1] not in ("=", ":"):
                raise ScanError(
                    'Missing key/value separator: Expected an equals sign ("=") to mark the '
                    "beginning of the attribute value.",
                    sep,
                )
            value_pos = skip_space(text, sep + 1, newlines=False)
            if key in ("source", "version"):
                if key in found:
                    raise ScanError(
                        f'Duplicate argument: The argument "{key}" was already set.', key_pos
                    )
                value = self.literal(value_pos, f"The provider {key}")
                found[key] = (value, key_pos, sep)
                pos = value.end
            else:
                pos = skip_expression(text, value_pos, in_object=True)
        source = found.get("source")
        version = found.get("version")
        self.requirements.append(
            _Requirement(
                name=name,
                name_pos=name_pos,
                version=version[0] if version else None,
                source=source[0] if source else None,
                source_key=source[1] if source else -1,
                source_sep=source[2] if source else -1,
                brace=brace,
                first_key=first_key,
            )
        )
        return pos


def _read_tf(text: str, path: str) -> _TfReader:
    reader = _TfReader(text)
    try:
        reader.file()
    except ScanError as e:
        raise InputError(path, e.message, line=line_of(text, e.pos)) from None
    return reader


def _requirement_address(text: str, path: str, req: _Requirement) -> ProviderAddress:
    # configs.decodeRequiredProvidersBlock: the source when given, else the implied provider
    # of the local name (addrs.ImpliedProviderForUnqualifiedType).
    try:
        if req.source is not None:
            return parse_provider_source(req.source.value)
        return implied_provider(req.name)
    except ValueError as e:
        pos = req.source.start if req.source is not None else req.name_pos
        line = line_of(text, pos) if pos >= 0 else None  # -1: JSON, no lines
        raise InputError(path, str(e), line=line) from None


def _insert_tf_version(text: str, req: _Requirement, quoted: str) -> _Edit:
    """Insert ``version = "…"`` into an object entry that has none."""
    if req.source is not None:
        # After the source argument: on its own line when source has one, else inline.
        line_start = text.rfind("\n", 0, req.source_key) + 1
        indent = text[line_start : req.source_key]
        after = skip_space(text, req.source.end, newlines=False)
        if text.startswith(",", after):
            after = skip_space(text, after + 1, newlines=False)
        ends_line = text.startswith(("\n", "\r\n", "#", "//"), after)
        if not indent.strip(" \t\ufeff") and ends_line:
            # Keep terraform fmt's alignment: "version" is one wider than "source".
            width = max(req.source_sep - req.source_key, len("version") + 1)
            sep = text[req.source_sep]
            spacing = text[req.source_sep + 1 : req.source.start]
            nl = text.index("\n", after)
            line = f"{indent}{'version'.ljust(width)}{sep}{spacing}{quoted}{_eol_at(text, after)}"
            return _Edit(nl + 1, nl + 1, line)
        return _Edit(req.source.end, req.source.end, f", version = {quoted}")
    # No source either: first thing in the object.
    after = skip_space(text, req.brace + 1, newlines=False)
    if text.startswith(("\n", "\r\n", "#", "//"), after):
        nl = text.index("\n", after)
        if req.first_key >= 0:
            line_start = text.rfind("\n", 0, req.first_key) + 1
            indent = text[line_start : req.first_key]
        else:
            line_start = text.rfind("\n", 0, req.brace) + 1
            m = re.match(r"[ \t]*", text[line_start:])
            indent = (m.group() if m else "") + "  "
        if indent.strip(" \t"):
            indent = ""  # the first key shares its line with something else
        line = f"{indent}version = {quoted}{_eol_at(text, after)}"
        return _Edit(nl + 1, nl + 1, line)
    if req.first_key >= 0:
        return _Edit(req.brace + 1, req.brace + 1, f" version = {quoted},")
    if not text[req.brace + 1 : after].strip(" \t"):
        return _Edit(req.brace + 1, after, f" version = {quoted} ")  # "{}" / "{ }"
    return _Edit(req.brace + 1, req.brace + 1, f" version = {quoted}")  # before a comment


# --- Terraform JSON syntax -----------------------------------------------------------------

_JSON_WS: Final = re.compile(r"[ \t\n\r]*")
_JSON_DECODER: Final = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class _JsonMember:
    key: str
    key_pos: int
    value_pos: int
    value_end: int
    value: Any


def _json_ws(text: str, pos: int) -> int:
    m = _JSON_WS.match(text, pos)
    return m.end() if m else pos


def _json_members(text: str, pos: int) -> list[_JsonMember]:
    """The members of the (valid) JSON object at ``text[pos] == "{"``, with offsets.

    Duplicate keys are all returned, in order.
    """
    members: list[_JsonMember] = []
    pos = _json_ws(text, pos + 1)
    if text.startswith("}", pos):
        return members
    while True:
        key, key_end = _JSON_DECODER.raw_decode(text, pos)  # the key is a JSON string
        colon = _json_ws(text, key_end)
        value_pos = _json_ws(text, colon + 1)
        value, value_end = _JSON_DECODER.raw_decode(text, value_pos)
        members.append(_JsonMember(str(key), pos, value_pos, value_end, value))
        pos = _json_ws(text, value_end)
        if text.startswith("}", pos):
            return members
        pos = _json_ws(text, pos + 1)  # the ","


def _json_bodies(text: str, member: _JsonMember) -> Iterator[int]:
    """Offsets of the block bodies a member holds: an object, or an array of objects."""
    if isinstance(member.value, dict):
        yield member.value_pos
    elif isinstance(member.value, list):
        pos = _json_ws(text, member.value_pos + 1)
        for item in member.value:
            _, end = _JSON_DECODER.raw_decode(text, pos)
            if isinstance(item, dict):
                yield pos
            pos = _json_ws(text, end)
            pos = _json_ws(text, pos + 1)  # the "," (or past the "]")


def _load_json(text: str, path: str) -> None:
    if not isinstance(parse_json(text, path), dict):
        raise InputError(path, "not a Terraform JSON configuration: the root must be an object")


def _json_terraform_bodies(text: str) -> Iterator[int]:
    for member in _json_members(text, _json_ws(text, 0)):
        if member.key == "terraform":
            yield from _json_bodies(text, member)


def _json_string(path: str, member: _JsonMember, what: str) -> _Str:
    if not isinstance(member.value, str):
        raise InputError(path, f"Invalid value: {what} must be a string.")
    return _Str(member.value, member.value_pos, member.value_end)


def _json_quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json_requirements(text: str, path: str) -> Iterator[tuple[_Requirement, int]]:
    """Each required_providers entry, with the offset of its object (-1: string form)."""
    for body in _json_terraform_bodies(text):
        for member in _json_members(text, body):
            if member.key != "required_providers":
                continue
            for block in _json_bodies(text, member):
                for entry in _json_members(text, block):
                    if entry.key == "//":
                        continue  # HCL JSON comment
                    if isinstance(entry.value, str):
                        version = _json_string(path, entry, "The provider version")
                        yield _Requirement(name=entry.key, name_pos=-1, version=version), -1
                        continue
                    if not isinstance(entry.value, dict):
                        raise InputError(
                            path,
                            "Invalid required_providers object: required_providers entries "
                            "must be strings or objects.",
                        )
                    source: _JsonMember | None = None
                    version_member: _JsonMember | None = None
                    for item in _json_members(text, entry.value_pos):
                        if item.key == "source":
                            source = item
                        elif item.key == "version":
                            version_member = item
                    yield (
                        _Requirement(
                            name=entry.key,
                            name_pos=-1,
                            version=(
                                _json_string(path, version_member, "The provider version")
                                if version_member
                                else None
                            ),
                            source=(
                                _json_string(path, source, "The provider source")
                                if source
                                else None
                            ),
                            source_key=source.key_pos if source else -1,
                            brace=entry.value_pos,
                        ),
                        entry.value_pos,
                    )


def _insert_json_version(text: str, req: _Requirement, quoted: str) -> _Edit:
    if req.source is not None:
        line_start = text.rfind("\n", 0, req.source_key) + 1
        indent = text[line_start : req.source_key]
        key_end = _JSON_DECODER.raw_decode(text, req.source_key)[1]
        spacing = text[key_end : req.source.start]  # ": "
        if not indent.strip(" \t"):
            eol = _eol_at(text, req.source.end)
            return _Edit(
                req.source.end, req.source.end, f',{eol}{indent}"version"{spacing}{quoted}'
            )
        return _Edit(req.source.end, req.source.end, f', "version"{spacing}{quoted}')
    inner = _json_ws(text, req.brace + 1)
    if text.startswith("}", inner):
        return _Edit(req.brace + 1, req.brace + 1, f'"version": {quoted}')
    return _Edit(req.brace + 1, req.brace + 1, f'"version": {quoted}, ')


# --- the Terraform functions -----------------------------------------------------------------


def _check_constraint(constraint: str, path: str) -> None:
    if not constraint:
        raise ValueError("the version constraint must not be empty")
    # HCL JSON strings are templates too, and depguard's JSON reader (like Terraform) refuses
    # a version holding a template sequence; native syntax gets "$${" escapes instead.
    if path.endswith(".json") and ("${" in constraint or "%{" in constraint):
        raise ValueError(f"a constraint with a template sequence cannot go in {path}")


def _provider_pins(text: str, path: str, target: ProviderAddress) -> list[_Requirement]:
    if path.endswith(".json"):
        _load_json(text, path)
        reqs = [req for req, _ in _json_requirements(text, path)]
    else:
        reqs = _read_tf(text, path).requirements
    return [r for r in reqs if _requirement_address(text, path, r) == target]


def set_provider_constraint(text: str, path: str, address: str, constraint: str) -> tuple[str, int]:
    """Set the ``required_providers`` version constraint of provider ``address``.

    ``address`` is a provider source (``registry.terraform.io/hashicorp/aws`` or any form
    Terraform normalises to it); entries match on the normalised address, so
    ``hashicorp/aws``, ``Registry.Terraform.io/HashiCorp/AWS`` and a source-less ``aws``
    entry are the same. ``path`` ending in ``.json`` selects the JSON syntax. Returns the
    new text and the number of entries of that provider (see the module docstring). Raises
    :class:`~depguard.errors.InputError` (with the line) for malformed input or an invalid
    ``source``; ``ValueError`` for an invalid ``address``, an empty ``constraint`` or one
    holding ``${``/``%{`` for a JSON file.
    """
    _check_constraint(constraint, path)
    target = parse_provider_source(address)
    is_json = path.endswith(".json")
    quote = _json_quote if is_json else _hcl_quote
    pins = _provider_pins(text, path, target)
    edits: list[_Edit] = []
    for req in pins:
        if req.version is not None:
            if req.version.value != constraint:
                edits.append(_Edit(req.version.start, req.version.end, quote(constraint)))
        elif is_json:
            edits.append(_insert_json_version(text, req, quote(constraint)))
        else:
            edits.append(_insert_tf_version(text, req, quote(constraint)))
    new = _apply(text, edits)
    if edits:
        after = _provider_pins(new, path, target)
        if len(after) != len(pins) or any(
            r.version is None or r.version.value != constraint for r in after
        ):
            raise RuntimeError(f"{path}: editing the constraint of {address} went wrong")
    return new, len(pins)


def _required_versions(text: str, path: str) -> list[_Str]:
    if not path.endswith(".json"):
        return _read_tf(text, path).required_versions
    _load_json(text, path)
    found: list[_Str] = []
    for body in _json_terraform_bodies(text):
        for member in _json_members(text, body):
            if member.key == "required_version":
                found.append(_json_string(path, member, "required_version"))
    return found


def set_required_version(text: str, path: str, constraint: str) -> tuple[str, int]:
    """Set ``required_version`` in every ``terraform`` block of a ``.tf`` / ``.tf.json`` file.

    A block without ``required_version`` is left alone. Returns the new text and the number
    of ``required_version`` arguments. Raises :class:`~depguard.errors.InputError` (with the
    line) for malformed input; ``ValueError`` for an empty ``constraint`` (or one holding
    ``${``/``%{`` for a JSON file).
    """
    _check_constraint(constraint, path)
    quote = _json_quote if path.endswith(".json") else _hcl_quote
    found = _required_versions(text, path)
    edits = [_Edit(s.start, s.end, quote(constraint)) for s in found if s.value != constraint]
    new = _apply(text, edits)
    if edits and [s.value for s in _required_versions(new, path)] != [constraint] * len(found):
        raise RuntimeError(f"{path}: editing required_version went wrong")
    return new, len(found)


# --- aqua ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _YScalar:
    value: str
    start: int
    end: int
    style: str | None  # None (plain), "'", '"', "|", ">"
    line: int


@dataclass(frozen=True, slots=True)
class _YOther:
    """A mapping (``items``: key/value pairs), a sequence (``items``: the items), an alias
    (``items``: the node it names, when known) or the end of a collection."""

    kind: str  # "map", "seq", "alias", "end"
    line: int
    items: tuple[Any, ...] = ()


_YNode = _YScalar | _YOther


def _compose(events: Iterator[Any], y: Any, anchors: dict[str, _YNode]) -> _YNode:
    # load_yaml has already refused nesting deeper than its MAX_DEPTH: plain recursion.
    event = next(events)
    line = event.start_mark.line + 1
    node: _YNode
    if isinstance(event, y.ScalarEvent):
        node = _YScalar(
            event.value, event.start_mark.index, event.end_mark.index, event.style, line
        )
    elif isinstance(event, y.AliasEvent):
        target = anchors.get(event.anchor)
        return _YOther("alias", line, (target,) if target is not None else ())
    elif isinstance(event, (y.MappingStartEvent, y.SequenceStartEvent)):
        mapping = isinstance(event, y.MappingStartEvent)
        items: list[Any] = []
        while True:
            item = _compose(events, y, anchors)
            if isinstance(item, _YOther) and item.kind == "end":
                break
            items.append((item, _compose(events, y, anchors)) if mapping else item)
        node = _YOther("map" if mapping else "seq", line, tuple(items))
    elif isinstance(event, (y.MappingEndEvent, y.SequenceEndEvent)):
        return _YOther("end", line)
    else:  # pragma: no cover - the parser yields nothing else inside a document
        raise RuntimeError(f"unexpected YAML event {event!r}")
    if event.anchor is not None:
        anchors[event.anchor] = node
    return node


def _yaml_root(text: str, path: str) -> _YNode | None:
    import yaml

    from depguard.formats.yaml_lines import load_yaml

    load_yaml(text, path)  # validation: syntax, duplicate keys, tags, depth, size
    # The pure-Python parser: its marks are character offsets into ``text``.
    try:
        events = iter(yaml.parse(text, Loader=yaml.SafeLoader))
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                return _compose(events, yaml, {})
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError(
            path, f"invalid YAML: {e}", line=mark.line + 1 if mark is not None else None
        ) from None
    return None


@dataclass(frozen=True, slots=True)
class _AquaPin:
    scalar: _YScalar
    offset: int  # where the version starts in the scalar's value
    version: str


def _pairs(node: _YNode) -> dict[str, _YNode]:
    assert isinstance(node, _YOther)
    return {k.value: v for k, v in node.items if isinstance(k, _YScalar)}


def _aqua_pins(text: str, path: str, package: str) -> list[_AquaPin]:
    root = _yaml_root(text, path)
    if not isinstance(root, _YOther) or root.kind != "map":
        return []
    packages = _pairs(root).get("packages")
    if not isinstance(packages, _YOther) or packages.kind != "seq":
        return []
    pins: list[_AquaPin] = []
    for item in packages.items:
        if not isinstance(item, _YOther) or item.kind != "map":
            continue  # null entries (skipped by aqua) and invalid ones
        fields = _pairs(item)
        name = fields.get("name")
        if isinstance(name, _YOther) and name.kind == "alias":
            target = name.items[0] if name.items else None
            if isinstance(target, _YScalar) and target.value.partition("@")[0] == package:
                raise InputError(
                    path,
                    f"package {package!r}: the name is a YAML alias; edit it by hand",
                    line=name.line,
                )
            continue
        if not isinstance(name, _YScalar):
            continue
        written, at, name_version = name.value.partition("@")
        if written != package:
            continue
        # reader.go readPackage: go_version_file, then version_expr, then import, decide
        # where the version comes from; none of them is a literal pin to rewrite here.
        if any(k in fields for k in ("go_version_file", "version_expr", "import")):
            continue
        if at and name_version:
            pins.append(_AquaPin(name, len(written) + 1, name_version))
            continue
        version = fields.get("version")
        if isinstance(version, _YScalar):
            pins.append(_AquaPin(version, 0, version.value))
        elif version is not None or "<<" in fields:
            raise InputError(
                path,
                f"package {package!r}: the version is not a plain value (alias or merge key); "
                "edit it by hand",
                line=item.line,
            )
    return pins


_PLAIN_SAFE: Final = re.compile(r"[0-9A-Za-z][0-9A-Za-z._+/-]*")
_PLAIN_SPECIAL: Final = frozenset(
    ("null", "~", "true", "false", "yes", "no", "on", "off", "y", "n")
)


def _yaml_edit(text: str, path: str, pin: _AquaPin, version: str) -> _Edit:
    s = pin.scalar
    if s.style in ("|", ">"):
        raise InputError(
            path, f"cannot rewrite version {pin.version!r} written as a block scalar", line=s.line
        )
    quoted = s.style in ("'", '"')
    raw = text[s.start + 1 : s.end - 1] if quoted else text[s.start : s.end]
    new_value = s.value[: pin.offset] + version + s.value[pin.offset + len(pin.version) :]
    if s.style == "'" and raw == s.value.replace("'", "''"):
        # Single-quoted on one line: "''" is the only escape, so offsets map directly.
        start = s.start + 1 + len(s.value[: pin.offset].replace("'", "''"))
        end = start + len(pin.version.replace("'", "''"))
        return _Edit(start, end, version.replace("'", "''"))
    if raw == s.value:  # no escapes, no line folding: edit inside the scalar
        start = s.start + (1 if quoted else 0) + pin.offset
        end = start + len(pin.version)
        if s.style == '"':
            return _Edit(start, end, json.dumps(version, ensure_ascii=False)[1:-1])
        if _PLAIN_SAFE.fullmatch(version) and new_value.lower() not in _PLAIN_SPECIAL:
            return _Edit(start, end, version)
    return _Edit(s.start, s.end, json.dumps(new_value, ensure_ascii=False))


def set_aqua_package_version(text: str, path: str, package: str, version: str) -> tuple[str, int]:
    """Set the version of aqua package ``package`` in an aqua config or import file.

    ``package`` is compared exactly with the part of ``name`` before the first ``@`` (as
    aqua does); ``version`` is written as given (with or without ``v`` as the registry
    uses). ``name: owner/repo@v1`` gets the part after ``@`` replaced, otherwise
    ``version:``; quoting style is kept (a plain scalar is quoted only when the new version
    would not read back as the same string). Entries whose version comes from
    ``version_expr`` or ``go_version_file``, and ``import`` entries, are not pins. Returns
    the new text and the number of pins. Raises :class:`~depguard.errors.InputError` for
    invalid YAML, or a matching version written as an alias, merge key or block scalar;
    ``ValueError`` for an empty version or one with whitespace or ``#``.
    """
    _check_word(version, "an aqua package version")
    pins = _aqua_pins(text, path, package)
    edits = [_yaml_edit(text, path, pin, version) for pin in pins if pin.version != version]
    new = _apply(text, edits)
    if edits and [p.version for p in _aqua_pins(new, path, package)] != [version] * len(pins):
        raise RuntimeError(f"{path}: editing the version of {package} went wrong")
    return new, len(pins)


# --- .terraform-version ------------------------------------------------------------------------

_LINE_RE: Final = re.compile(r"[^\n]*(?:\n|\Z)")
_WORD_RE: Final = re.compile(r"[\s\ufeff]*([^\s#]+)")


def set_terraform_version_file(text: str, path: str, version: str) -> tuple[str, int]:
    """Set the version in a ``.terraform-version`` file.

    The version is the first word outside ``#`` comments (tfenv's
    ``lib/tfenv-version-file.sh`` and tenv read it so); it is replaced and everything else
    (other lines, comments, line endings) kept. Returns the new text and 1, or the text and
    0 when the file names no version. Raises ``ValueError`` for an empty version or one with
    whitespace or ``#``; ``path`` is accepted for symmetry (nothing here is malformed input).
    """
    _check_word(version, "a Terraform version")
    for line in _LINE_RE.finditer(text):
        content = line.group().split("#", 1)[0]
        m = _WORD_RE.match(content)
        if m is None:
            continue
        start = line.start() + m.start(1)
        end = line.start() + m.end(1)
        return text[:start] + version + text[end:], 1
    return text, 0
