"""Read the facts depguard needs from one Terraform configuration file.

``.tf`` files go through a recursive-descent reader built on the lexer of
:mod:`depguard.formats.hcl_scan`; ``.tf.json`` files through :mod:`json`. Both return a
:class:`TfFile`:

* ``terraform`` blocks: ``required_version``, ``required_providers`` entries (object form and
  the legacy ``name = "constraint"`` shorthand; ``configuration_aliases`` tolerated), whether a
  ``backend`` or ``cloud`` block is present;
* ``module`` calls (``source``, ``version``);
* ``provider`` blocks (name, ``alias``, deprecated ``version``);
* the provider local names used by ``resource``, ``data`` (also inside ``check``),
  ``ephemeral`` and ``import`` blocks, explicit (``provider = aws.west``) or implied (the
  resource type up to the first ``_``, ``configs.Resource.ImpliedProvider``).

Bodies that hold nothing of interest are skipped wholesale; arguments Terraform requires to be
literal strings (``source``, ``version``, ``required_version``) must be literal here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from depguard.errors import InputError
from depguard.formats.hcl_scan import (
    EXPR_FILLER_RE,
    IDENT_RE,
    STR_BODY,
    ScanError,
    line_of,
    read_quoted,
    skip_body,
    skip_expression,
    skip_space,
    unclosed,
)
from depguard.util.text import parse_json

__all__ = [
    "ModuleCallEntry",
    "ProviderBlockEntry",
    "ProviderRef",
    "RequiredProviderEntry",
    "StringAttr",
    "TfFile",
    "scan_tf",
    "scan_tf_json",
]


# --- the facts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StringAttr:
    """A literal string attribute value and the line of its argument."""

    value: str
    line: int | None  # None for .tf.json files


@dataclass(frozen=True, slots=True, kw_only=True)
class RequiredProviderEntry:
    """One entry of a ``required_providers`` block."""

    name: str
    source: str | None
    version: str | None
    line: int | None  # None for .tf.json files
    aliases: tuple[str, ...] = ()
    shorthand: bool = False  # legacy ``name = "constraint"`` form


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleCallEntry:
    """A ``module`` block."""

    name: str
    source: str | None
    version: str | None
    line: int | None  # None for .tf.json files


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderBlockEntry:
    """A ``provider`` configuration block."""

    name: str
    alias: str | None
    version: str | None
    line: int | None  # None for .tf.json files


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderRef:
    """A provider local name used by a resource-like block (explicitly or implied)."""

    local_name: str
    line: int | None  # None for .tf.json files
    explicit: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TfFile:
    """What depguard reads from one ``.tf`` (or ``.tf.json``) file."""

    path: str
    required_versions: tuple[StringAttr, ...] = ()
    required_providers: tuple[tuple[RequiredProviderEntry, ...], ...] = ()  # one per block
    backends: tuple[StringAttr, ...] = ()  # value = backend type
    clouds: tuple[int | None, ...] = ()  # lines of ``cloud`` blocks
    module_calls: tuple[ModuleCallEntry, ...] = ()
    provider_blocks: tuple[ProviderBlockEntry, ...] = ()
    provider_refs: tuple[ProviderRef, ...] = ()


_RESOURCE_KINDS = frozenset({"resource", "data", "ephemeral"})
_TRAVERSAL_RE = re.compile(r"([^\W\d][\w-]*)(?:[ \t]*\.[ \t]*([^\W\d][\w-]*))?")
_LABEL_START = frozenset('"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_')
# Blanks and comments, then an item header: an identifier followed by "=" (an argument) or
# by up to two plain quoted labels and "{" (a block). Anything rarer takes the slow path.
_ITEM_RE = re.compile(
    r"(?:[ \t\r\n\f\ufeff]++|#[^\n]*+|//[^\n]*+|/\*[\s\S]*?\*/)*+"
    r"(?:([^\W\d][\w-]*+)[ \t]*+"
    r'(?:(=)(?!=)[ \t]*|(?:"([^"\\\n$%]*)"[ \t]*)?(?:"([^"\\\n$%]*)"[ \t]*)?(\{))?)?'
)
_BLANKS_RE = re.compile(r"[ \t\r\f]*")
# A whole one-line argument whose value opens nothing (the common case), for fast skipping.
_SIMPLE_ARG_RE = re.compile(
    r"(?:[ \t\r\n\f]++|#[^\n]*+|//[^\n]*+)*+([^\W\d][\w-]*+)[ \t]*+=(?!=)"
    r'[^\n"{}\[\]()#/<,]*+(?:"' + STR_BODY + r'"[^\n"{}\[\]()#/<,]*+)*+'
    r"(?=\n|\}|#|//|\Z)"
)
# One ``key = "plain string"`` item of an object constructor.
_OBJ_ITEM_RE = re.compile(
    r"(?:[ \t\r\n\f]++|#[^\n]*+|//[^\n]*+)*+"
    r'(?:([^\W\d][\w-]*+)|"([^"\\\n$%]*+)")[ \t]*+[=:][ \t]*+"([^"\\\n$%]*+)"[ \t]*+,?'
)
_KEEP = {
    "terraform": frozenset({"required_version"}),
    "resource": frozenset({"provider"}),
}
_ARGUMENT_REQUIRED = (
    "Argument or block definition required: An argument or block definition is required here."
)


class _Scanner:
    """Recursive-descent reader over one file; every method returns a new offset."""

    __slots__ = (
        "_line",
        "_line_pos",
        "backends",
        "clouds",
        "module_calls",
        "n",
        "provider_blocks",
        "provider_refs",
        "required_providers",
        "required_versions",
        "text",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self._line = 1
        self._line_pos = 0
        self.required_versions: list[StringAttr] = []
        self.required_providers: list[tuple[RequiredProviderEntry, ...]] = []
        self.backends: list[StringAttr] = []
        self.clouds: list[int | None] = []
        self.module_calls: list[ModuleCallEntry] = []
        self.provider_blocks: list[ProviderBlockEntry] = []
        self.provider_refs: list[ProviderRef] = []

    def line(self, pos: int) -> int:
        # Offsets are mostly requested in increasing order: count incrementally.
        if pos < self._line_pos:
            self._line, self._line_pos = 1, 0
        self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    # -- generic structure --

    def next_item(
        self, pos: int, brace: int | None
    ) -> tuple[str | None, int, int, bool, tuple[str, ...] | None]:
        """Find the next item of a body (the file when ``brace`` is None).

        Returns ``(name, name_pos, pos, is_attribute, labels)``. For an argument ``pos`` is
        where its value starts. For a block whose header the fast pattern read, ``labels`` is
        set and ``pos`` is the offset of its ``{``; otherwise ``labels`` is None and ``pos``
        is where the labels start (see :meth:`labels`). ``name`` is None at the end of the
        body, with ``pos`` after the closing brace (or at the end of the file).
        """
        text = self.text
        m = _ITEM_RE.match(text, pos)
        assert m is not None  # every part is optional
        end = m.end()
        name = m.group(1)
        if name is None:
            if text.startswith("/*", end):
                skip_space(text, end)  # raises "Unterminated comment"
            if end >= self.n:
                if brace is not None:
                    raise unclosed("{", brace)
                return None, end, end, False, None
            if text[end] == "}":
                if brace is None:
                    raise ScanError(_ARGUMENT_REQUIRED[:-1] + '; this "}" closes no block.', end)
                return None, end, end + 1, False, None
            raise ScanError(_ARGUMENT_REQUIRED, end)
        name_pos = m.start(1)
        if m.group(5) is not None:
            labels = tuple(x for x in (m.group(3), m.group(4)) if x is not None)
            return name, name_pos, end - 1, False, labels
        if m.group(2) is not None:
            if text.startswith("/*", end):
                end = skip_space(text, end, newlines=False)
            return name, name_pos, end, True, None
        if text.startswith("/*", end) and m.group(3) is None:
            # An inline comment between the name and "=": take the slow path.
            end = skip_space(text, end, newlines=False)
            if text.startswith("=", end) and not text.startswith("==", end):
                return name, name_pos, skip_space(text, end + 1, newlines=False), True, None
        return name, name_pos, m.end(1), False, None

    def labels(self, pos: int, name: str) -> tuple[tuple[str, ...], int]:
        """Read block labels; return them and the offset of the opening brace."""
        text = self.text
        labels: list[str] = []
        pos = skip_space(text, pos, newlines=False)
        c = text[pos : pos + 1]
        while c in _LABEL_START and c:
            if c == '"':
                value, pos = read_quoted(text, pos)
                if value is None:
                    raise ScanError(
                        "Invalid block label: Template sequences are not allowed in block labels.",
                        pos,
                    )
                labels.append(value)
            else:
                lm = IDENT_RE.match(text, pos)
                assert lm is not None
                labels.append(lm.group())
                pos = lm.end()
            pos = skip_space(text, pos, newlines=False)
            c = text[pos : pos + 1]
        if c != "{":
            raise ScanError(
                "Invalid block definition: Either a quoted string block label or an opening "
                f'brace ("{{") is expected here after "{name}".',
                pos,
            )
        return tuple(labels), pos

    def end_of_item(self, pos: int) -> int:
        """Check an argument ends here (newline, comment, "}" or end of file)."""
        text = self.text
        m = _BLANKS_RE.match(text, pos)
        pos = m.end() if m else pos
        c = text[pos : pos + 1]
        if c in ("", "\n", "}", "#"):
            return pos
        if c == "/":
            if text.startswith("//", pos):
                return pos
            return self.end_of_item(skip_space(text, pos, newlines=False))
        raise ScanError(
            "Missing newline after argument: An argument definition must end with a newline.",
            pos,
        )

    def skip_value(self, pos: int) -> int:
        text = self.text
        m = EXPR_FILLER_RE.match(text, pos)
        end = m.end() if m else pos
        if end >= self.n or text[end] in "\n}":
            return end
        return skip_expression(text, end)

    def literal(self, pos: int, what: str) -> tuple[str, int]:
        """Read a literal quoted string (the only form Terraform allows for ``what``)."""
        text = self.text
        if text.startswith('"', pos):
            value, end = read_quoted(text, pos)
            if value is not None:
                return value, end
            raise ScanError(
                f"Variables not allowed: {what} must be a literal string; template "
                "sequences are not allowed here.",
                pos,
            )
        raise ScanError(f"Invalid value: {what} must be a literal string.", pos)

    def skip_simple_args(self, pos: int, keep: frozenset[str]) -> int:
        """Skip one-line arguments whose names are not in ``keep``; return the new offset."""
        match = _SIMPLE_ARG_RE.match
        text = self.text
        while True:
            m = match(text, pos)
            if m is None or m.group(1) in keep:
                return pos
            pos = m.end()

    def body(self, pos: int, brace: int | None, kind: str) -> int:
        """Read the items of a body of ``kind`` up to and including its ``}``."""
        keep = _KEEP.get(kind, frozenset())
        while True:
            pos = self.skip_simple_args(pos, keep)
            name, name_pos, pos, is_attr, labels = self.next_item(pos, brace)
            if name is None:
                return pos
            if is_attr:
                pos = self.end_of_item(self.attribute(kind, name, name_pos, pos))
            else:
                if labels is None:
                    labels, pos = self.labels(pos, name)
                pos = self.block(kind, name, labels, name_pos, pos)

    def attribute(self, kind: str, name: str, name_pos: int, pos: int) -> int:
        """Handle ``name = …`` inside a body of ``kind``; return the offset after the value."""
        if kind == "terraform" and name == "required_version":
            value, end = self.literal(pos, "required_version")
            self.required_versions.append(StringAttr(value=value, line=self.line(name_pos)))
            return end
        if kind in ("resource", "import") and name == "provider":
            return self.provider_ref(pos, name_pos)
        return self.skip_value(pos)

    def block(
        self, kind: str, type_: str, labels: tuple[str, ...], type_pos: int, brace: int
    ) -> int:
        """Handle a block whose ``{`` is at ``brace``; return the offset after its ``}``."""
        body_pos = brace + 1
        if kind == "file":
            if type_ == "terraform":
                return self.body(body_pos, brace, "terraform")
            if type_ == "module" and labels:
                return self.module(labels[0], type_pos, body_pos, brace)
            if type_ in _RESOURCE_KINDS and labels:
                return self.resource(labels[0], type_pos, body_pos, brace)
            if type_ == "provider" and labels:
                return self.provider(labels[0], type_pos, body_pos, brace)
            if type_ == "check":
                return self.body(body_pos, brace, "check")
            if type_ == "import":
                return self.import_block(type_pos, body_pos, brace)
        elif kind == "terraform":
            if type_ == "required_providers":
                return self.required_providers_block(body_pos, brace)
            if type_ == "backend":
                self.backends.append(
                    StringAttr(value=labels[0] if labels else "", line=self.line(type_pos))
                )
            elif type_ == "cloud":
                self.clouds.append(self.line(type_pos))
        elif kind == "check" and type_ == "data" and labels:
            return self.resource(labels[0], type_pos, body_pos, brace)
        return skip_body(self.text, body_pos, brace)

    # -- the blocks depguard reads --

    def simple_attrs(
        self, pos: int, brace: int, wanted: frozenset[str], what: str
    ) -> tuple[dict[str, tuple[str, int]], int]:
        """Read the literal values of ``wanted`` arguments in a body; skip everything else."""
        found: dict[str, tuple[str, int]] = {}
        while True:
            pos = self.skip_simple_args(pos, wanted)
            name, name_pos, pos, is_attr, labels = self.next_item(pos, brace)
            if name is None:
                return found, pos
            if not is_attr:
                if labels is None:
                    _, pos = self.labels(pos, name)
                pos = skip_body(self.text, pos + 1, pos)
                continue
            if name in wanted:
                value, pos = self.literal(pos, f'The "{name}" argument of {what}')
                found[name] = (value, self.line(name_pos))
            else:
                pos = self.skip_value(pos)
            pos = self.end_of_item(pos)

    def module(self, name: str, type_pos: int, pos: int, brace: int) -> int:
        found, end = self.simple_attrs(pos, brace, frozenset({"source", "version"}), "a module")
        self.module_calls.append(
            ModuleCallEntry(
                name=name,
                source=found["source"][0] if "source" in found else None,
                version=found["version"][0] if "version" in found else None,
                line=self.line(type_pos),
            )
        )
        return end

    def provider(self, name: str, type_pos: int, pos: int, brace: int) -> int:
        text = self.text
        end = skip_body(text, pos, brace)
        found: dict[str, tuple[str, int]] = {}
        if text.find("alias", pos, end) != -1 or text.find("version", pos, end) != -1:
            found, end = self.simple_attrs(
                pos, brace, frozenset({"alias", "version"}), "a provider block"
            )
        self.provider_blocks.append(
            ProviderBlockEntry(
                name=name,
                alias=found["alias"][0] if "alias" in found else None,
                version=found["version"][0] if "version" in found else None,
                line=self.line(type_pos),
            )
        )
        return end

    def resource(self, type_name: str, type_pos: int, pos: int, brace: int) -> int:
        text = self.text
        end = skip_body(text, pos, brace)
        before = len(self.provider_refs)
        if text.find("provider", pos, end) != -1:
            end = self.body(pos, brace, "resource")
        if len(self.provider_refs) == before:
            # configs.Resource.ImpliedProvider: the type name up to the first underscore.
            self.provider_refs.append(
                ProviderRef(
                    local_name=type_name.split("_", 1)[0],
                    line=self.line(type_pos),
                    explicit=False,
                )
            )
        return end

    def import_block(self, type_pos: int, pos: int, brace: int) -> int:
        # The resource an import block's "to" names needs its provider even when config is
        # generated; "provider" overrides it like in a resource block.
        text = self.text
        before = len(self.provider_refs)
        to_type: str | None = None
        while True:
            name, name_pos, pos, is_attr, labels = self.next_item(pos, brace)
            if name is None:
                break
            if not is_attr:
                if labels is None:
                    _, pos = self.labels(pos, name)
                pos = skip_body(text, pos + 1, pos)
                continue
            if name == "provider":
                pos = self.provider_ref(pos, name_pos)
            else:
                if name == "to":
                    tm = IDENT_RE.match(text, pos)
                    if tm is not None and tm.group() not in ("module", "data"):
                        to_type = tm.group()
                pos = self.skip_value(pos)
            pos = self.end_of_item(pos)
        if len(self.provider_refs) == before and to_type is not None:
            self.provider_refs.append(
                ProviderRef(
                    local_name=to_type.split("_", 1)[0], line=self.line(type_pos), explicit=False
                )
            )
        return pos

    def provider_ref(self, pos: int, name_pos: int) -> int:
        # provider = aws | aws.alias (a bare traversal; the quoted form is deprecated).
        text = self.text
        if text.startswith('"', pos):
            value, end = self.literal(pos, "The provider argument")
            local = value.split(".", 1)[0]
        else:
            m = _TRAVERSAL_RE.match(text, pos)
            if m is None:
                raise ScanError(
                    "Invalid provider reference: A provider configuration reference must be a "
                    "provider local name, optionally followed by a dot and an alias.",
                    pos,
                )
            local, end = m.group(1), m.end()
        self.provider_refs.append(
            ProviderRef(local_name=local, line=self.line(name_pos), explicit=True)
        )
        return end

    def required_providers_block(self, pos: int, brace: int) -> int:
        text = self.text
        entries: list[RequiredProviderEntry] = []
        while True:
            name, name_pos, pos, is_attr, _ = self.next_item(pos, brace)
            if name is None:
                self.required_providers.append(tuple(entries))
                return pos
            if not is_attr:
                raise ScanError(
                    "Unexpected block: Blocks are not allowed in required_providers; each "
                    "provider is an argument.",
                    pos,
                )
            line = self.line(name_pos)
            c = text[pos : pos + 1]
            if c == '"':
                value, pos = self.literal(pos, "A required_providers version constraint")
                entries.append(
                    RequiredProviderEntry(
                        name=name, source=None, version=value, line=line, shorthand=True
                    )
                )
            elif c == "{":
                entry, pos = self.requirement_object(name, line, pos)
                entries.append(entry)
            else:
                raise ScanError(
                    "Invalid required_providers object: required_providers entries must be "
                    "strings or objects.",
                    pos,
                )
            pos = self.end_of_item(pos)

    def requirement_object(
        self, name: str, line: int, brace: int
    ) -> tuple[RequiredProviderEntry, int]:
        """Read ``{ source = …, version = …, configuration_aliases = […] }``."""
        text = self.text
        pos = brace + 1
        source: str | None = None
        version: str | None = None
        aliases: list[str] = []
        fast = _OBJ_ITEM_RE.match
        while True:
            m = fast(text, pos)
            if m is not None:
                key = m.group(1) or m.group(2)
                if key == "source":
                    source, pos = m.group(3), m.end()
                    continue
                if key == "version":
                    version, pos = m.group(3), m.end()
                    continue
            pos = skip_space(text, pos)
            if pos >= self.n:
                raise unclosed("{", brace)
            if text[pos] == "}":
                pos += 1
                break
            if text[pos] == '"':
                key, pos = read_quoted(text, pos)
            else:
                km = IDENT_RE.match(text, pos)
                key, pos = (km.group(), km.end()) if km else (None, pos)
            if key is None:
                raise ScanError("Invalid object key: An attribute name is required here.", pos)
            pos = skip_space(text, pos, newlines=False)
            if text[pos : pos + 1] not in ("=", ":"):
                raise ScanError(
                    'Missing key/value separator: Expected an equals sign ("=") to mark the '
                    "beginning of the attribute value.",
                    pos,
                )
            pos = skip_space(text, pos + 1, newlines=False)
            if key == "source":
                source, pos = self.literal(pos, "The provider source")
            elif key == "version":
                version, pos = self.literal(pos, "The provider version constraint")
            elif key == "configuration_aliases":
                end = skip_expression(text, pos, in_object=True)
                aliases.extend(
                    f"{a}.{b}" if b else a for a, b in _TRAVERSAL_RE.findall(text, pos + 1, end)
                )
                pos = end
            else:
                raise ScanError(
                    "Invalid required_providers object: required_providers objects can only "
                    'contain "version", "source" and "configuration_aliases" attributes. To '
                    'configure a provider, use a "provider" block.',
                    pos,
                )
            pos = skip_space(text, pos, newlines=False)
            if text.startswith(",", pos):
                pos += 1
        entry = RequiredProviderEntry(
            name=name, source=source, version=version, line=line, aliases=tuple(aliases)
        )
        return entry, pos


def scan_tf(text: str, path: str) -> TfFile:
    """Scan one ``.tf`` file's text; ``path`` is used in errors and the result.

    Returns the :class:`TfFile` facts. Raises :class:`~depguard.errors.InputError` (with the
    line) when the file is not syntactically valid HCL as far as the scanner can tell, or when
    an argument Terraform requires to be a literal string is not one.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    s = _Scanner(text)
    try:
        s.body(0, None, "file")
    except ScanError as e:
        raise InputError(path, e.message, line=line_of(text, e.pos)) from None
    except RecursionError:  # pragma: no cover - pathological nesting of bodies
        raise InputError(path, "configuration is nested too deeply") from None
    return TfFile(
        path=path,
        required_versions=tuple(s.required_versions),
        required_providers=tuple(s.required_providers),
        backends=tuple(s.backends),
        clouds=tuple(s.clouds),
        module_calls=tuple(s.module_calls),
        provider_blocks=tuple(s.provider_blocks),
        provider_refs=tuple(s.provider_refs),
    )


# --- .tf.json ---------------------------------------------------------------------------


def _bodies(value: Any) -> Iterator[dict[str, Any]]:
    # HCL JSON: a block body is an object, or an array of objects for repeated blocks.
    if isinstance(value, dict):
        yield value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield item


def _labeled(value: Any, labels: int) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    # Blocks with labels nest one object level per label ("//" keys are comments).
    if labels == 0:
        for body in _bodies(value):
            yield (), body
        return
    for obj in _bodies(value):
        for key, inner in obj.items():
            if key == "//":
                continue
            for rest, body in _labeled(inner, labels - 1):
                yield (key, *rest), body


def _str(body: dict[str, Any], key: str, path: str, what: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        if isinstance(value, str) and (
            "${" in value.replace("$${", "") or "%{" in value.replace("%%{", "")
        ):
            raise InputError(path, f"Variables not allowed: {what} must be a literal string.")
        return value
    raise InputError(path, f"Invalid value: {what} must be a string.")


def scan_tf_json(text: str, path: str) -> TfFile:
    """Read the same facts as :func:`scan_tf` from a ``.tf.json`` file's text.

    Lines are not tracked (None). Raises :class:`~depguard.errors.InputError` for invalid
    JSON or a value of the wrong type.
    """
    doc = parse_json(text, path)
    if not isinstance(doc, dict):
        raise InputError(path, "not a Terraform JSON configuration: the root must be an object")
    versions: list[StringAttr] = []
    required: list[tuple[RequiredProviderEntry, ...]] = []
    backends: list[StringAttr] = []
    clouds: list[int | None] = []
    for _, body in _labeled(doc.get("terraform"), 0):
        rv = _str(body, "required_version", path, "required_version")
        if rv is not None:
            versions.append(StringAttr(value=rv, line=None))
        for _, rp_body in _labeled(body.get("required_providers"), 0):
            entries: list[RequiredProviderEntry] = []
            for name, spec in rp_body.items():
                if name == "//":
                    continue
                if isinstance(spec, str):
                    entries.append(
                        RequiredProviderEntry(
                            name=name, source=None, version=spec, line=None, shorthand=True
                        )
                    )
                elif isinstance(spec, dict):
                    aliases = spec.get("configuration_aliases") or []
                    if not isinstance(aliases, list):
                        aliases = []
                    entries.append(
                        RequiredProviderEntry(
                            name=name,
                            source=_str(spec, "source", path, "The provider source"),
                            version=_str(spec, "version", path, "The provider version"),
                            line=None,
                            aliases=tuple(a for a in aliases if isinstance(a, str)),
                        )
                    )
                else:
                    raise InputError(
                        path,
                        "Invalid required_providers object: required_providers entries must "
                        "be strings or objects.",
                    )
            required.append(tuple(entries))
        for labels, _ in _labeled(body.get("backend"), 1):
            backends.append(StringAttr(value=labels[0], line=None))
        if body.get("cloud") is not None:
            clouds.append(None)
    calls = [
        ModuleCallEntry(
            name=labels[0],
            source=_str(body, "source", path, "A module source"),
            version=_str(body, "version", path, "A module version"),
            line=None,
        )
        for labels, body in _labeled(doc.get("module"), 1)
    ]
    blocks = [
        ProviderBlockEntry(
            name=labels[0],
            alias=_str(body, "alias", path, "A provider alias"),
            version=_str(body, "version", path, "A provider version"),
            line=None,
        )
        for labels, body in _labeled(doc.get("provider"), 1)
    ]
    refs: list[ProviderRef] = []
    resources = [
        (labels[0], body)
        for kind in ("resource", "data", "ephemeral")
        for labels, body in _labeled(doc.get(kind), 2)
    ]
    for _, check in _labeled(doc.get("check"), 1):
        resources.extend((labels[0], body) for labels, body in _labeled(check.get("data"), 2))
    for type_name, body in resources:
        explicit = _str(body, "provider", path, "The provider argument")
        local = (explicit or type_name).split("." if explicit else "_", 1)[0]
        refs.append(ProviderRef(local_name=local, line=None, explicit=explicit is not None))
    for _, body in _labeled(doc.get("import"), 0):
        explicit = _str(body, "provider", path, "The provider argument")
        to = body.get("to")
        if explicit is not None:
            refs.append(ProviderRef(local_name=explicit.split(".", 1)[0], line=None, explicit=True))
        elif isinstance(to, str) and not to.startswith(("module.", "data.")):
            refs.append(ProviderRef(local_name=to.split("_", 1)[0], line=None, explicit=False))
    return TfFile(
        path=path,
        required_versions=tuple(versions),
        required_providers=tuple(required),
        backends=tuple(backends),
        clouds=tuple(clouds),
        module_calls=tuple(calls),
        provider_blocks=tuple(blocks),
        provider_refs=tuple(refs),
    )
