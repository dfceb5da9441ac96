"""aqua registries: ``registry.yaml`` or an aqua-registry checkout's ``pkgs/**/registry.yaml``.

The file is ``{packages: [...]}`` (aquaproj/aqua ``json-schema/registry.json``). Package entries
are kept exactly as loaded (:class:`~depguard.formats.yaml_lines.LineDict`, with lines) for the
resolver; this module only works out how aqua finds them (``pkg/config/registry/config.go``
``toMap`` and ``package_info.go`` ``GetName``):

* the lookup key is ``name``, else ``repo_owner/repo_name``, else ``path`` for ``go_install``;
  entries without any key, and null entries, are ignored as aqua ignores them;
* ``aliases`` (``[{name: ...}]``) are extra keys;
* the first definition of a key wins; a package whose key is taken is ignored with its aliases.

A directory is read like the concatenated ``registry.yaml`` is built: every
``pkgs/**/registry.yaml``, sorted by path string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from depguard.errors import InputError
from depguard.formats.aqua_config import read_text
from depguard.formats.yaml_lines import (
    LineDict,
    check_keys,
    describe,
    get_list,
    get_str,
    load_yaml,
)

__all__ = [
    "LazyRegistry",
    "PackageDef",
    "Registry",
    "load_registry_tree",
    "parse_registry",
    "parse_registry_lazily",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageDef:
    """One package of a registry, as written."""

    name: str  # lookup key (name, else repo_owner/repo_name, else path for go_install)
    raw: Mapping[str, Any]  # the package mapping as loaded (a LineDict)
    file: str
    line: int
    aliases: tuple[str, ...] = ()  # extra lookup keys (non-empty alias names, in file order)


@dataclass(frozen=True, slots=True)
class Registry:
    """The packages of one registry file or tree, with aqua's lookup."""

    path: str
    packages: tuple[PackageDef, ...]
    _index: dict[str, PackageDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, PackageDef] = {}
        for pkg in self.packages:
            if pkg.name in index:
                continue  # toMap: a duplicate name is ignored, aliases included
            index[pkg.name] = pkg
            for alias in pkg.aliases:
                index.setdefault(alias, pkg)
        object.__setattr__(self, "_index", index)

    def lookup(self, name: str) -> PackageDef | None:
        """Return the package aqua selects for ``name`` (a name or an alias), or None."""
        return self._index.get(name)

    def names(self) -> list[str]:
        """Return every key :meth:`lookup` answers (names and aliases), sorted."""
        return sorted(self._index)


def _package_key(item: LineDict, path: str, where: str) -> str:
    name = get_str(item, "name", path, where)
    if name:
        return name
    owner = get_str(item, "repo_owner", path, where)
    repo = get_str(item, "repo_name", path, where)
    if owner and repo:
        return f"{owner}/{repo}"
    if get_str(item, "type", path, where) == "go_install":
        return get_str(item, "path", path, where) or ""
    return ""


def _packages(text: str, path: str) -> list[PackageDef]:
    data = load_yaml(text, path)
    if not isinstance(data, LineDict):
        raise InputError(path, f"a registry must be a mapping, got {describe(data)}", line=1)
    check_keys(data, ("packages",), path)
    items = get_list(data, "packages", path)
    result: list[PackageDef] = []
    for index, item in enumerate(items or ()):
        assert items is not None
        if item is None:
            continue  # toMap: "ignore an empty package"
        where = f"packages[{index}]"
        if not isinstance(item, LineDict):
            raise InputError(
                path,
                f"{where}: expected a mapping, got {describe(item)}",
                line=items.item_line(index),
            )
        aliases = get_list(item, "aliases", path, where)
        alias_names: list[str] = []
        for i, alias in enumerate(aliases or ()):
            assert aliases is not None
            if not isinstance(alias, LineDict):
                raise InputError(
                    path,
                    f"{where}.aliases[{i}]: expected a mapping with a name, got {describe(alias)}",
                    line=aliases.item_line(i),
                )
            check_keys(alias, ("name",), path, f"{where}.aliases[{i}]")
            alias_name = get_str(alias, "name", path, f"{where}.aliases[{i}]")
            if alias_name:
                alias_names.append(alias_name)
        key = _package_key(item, path, where)
        if key:
            result.append(
                PackageDef(
                    name=key, raw=item, file=path, line=item.line, aliases=tuple(alias_names)
                )
            )
    return result


def parse_registry(text: str, path: str) -> Registry:
    """Parse one ``registry.yaml``; ``path`` is the display path used in errors.

    Returns a :class:`Registry`. Raises :class:`InputError` naming the line for invalid YAML,
    an unknown top-level key, a ``packages`` that is not a list of mappings, or a malformed
    ``aliases`` list. Package fields are not validated here (the resolver does that).
    """
    return Registry(path, tuple(_packages(text, path)))


def load_registry_tree(root: Path) -> Registry:
    """Load a registry file, or a directory holding ``pkgs/**/registry.yaml`` (else a
    ``registry.yaml``).

    Returns one :class:`Registry` over all files, in path order. Raises :class:`InputError`
    when nothing can be found or a file is invalid.
    """
    if not root.exists():
        raise InputError(str(root), "no such file or directory")
    if root.is_file():
        return parse_registry(read_text(root), str(root))
    pkgs = root / "pkgs"
    if pkgs.is_dir():
        # Sorted as path strings ("golang-migrate/" before "golang/"), the order of the
        # concatenated registry.yaml.
        files = sorted((p for p in pkgs.rglob("registry.yaml") if p.is_file()), key=str)
        packages: list[PackageDef] = []
        for file in files:
            packages.extend(_packages(read_text(file), str(file)))
        return Registry(str(root), tuple(packages))
    single = root / "registry.yaml"
    if single.is_file():
        return parse_registry(read_text(single), str(single))
    raise InputError(str(root), "no registry.yaml and no pkgs/**/registry.yaml found")


# -- large registries: index by a line scan, parse entries on first use ---------------------------

LAZY_THRESHOLD = 512 * 1024  # bytes; the standard registry.yaml is ~5 MB
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*))?$")
_ALIAS_NAME = re.compile(r"- name:[ \t]+(.+)$")
_ANCHOR = re.compile(r"&([^\s,\[\]{}]+)")
_ALIAS_USE = re.compile(r"(?:^|[\s\[{,:-])\*([^\s,\[\]{}]+)")
_INDEX_KEYS = frozenset({"name", "repo_owner", "repo_name", "type", "path"})


def _simple_scalar(value: str) -> str | None:
    """The value of a one-line plain or simply quoted scalar, or None when it is anything
    else (anchors, aliases, tags, block or flow scalars, escapes)."""
    text = value.split(" #", 1)[0].strip()
    if not text or text[0] in "&*!|>{[%@`":
        return None
    if text[0] in "\"'":
        quote = text[0]
        if len(text) < 2 or text[-1] != quote or "\\" in text or text.count(quote) != 2:
            return None
        return text[1:-1]
    return text


class LazyRegistry:
    """A big registry file, indexed by a line scan and parsed one entry (group) at a time.

    :func:`parse_registry_lazily` builds it only when the layout is the plain one the
    generated ``registry.yaml`` has (``packages:`` then ``- `` items whose key fields are
    one-line scalars); anything else parses the whole file. An entry is parsed with exactly
    its own lines (line numbers kept); an entry that uses an anchor from an earlier one is
    parsed together with the entries back to that anchor, and any surprise (an unresolved
    alias, an item count that does not match the scan) falls back to parsing the whole file,
    so a lookup always answers what :func:`parse_registry` would.
    """

    def __init__(
        self,
        text: str,
        path: str,
        lines: list[str],
        starts: list[int],
        keys: dict[str, int],
    ) -> None:
        self.path = path
        self._text = text
        self._lines = lines
        self._starts = starts  # 0-based line index of each item's "- " line
        self._keys = keys  # lookup key -> item index (first definition wins)
        self._parsed: dict[int, PackageDef | None] = {}
        self._full: Registry | None = None

    @property
    def packages(self) -> tuple[PackageDef, ...]:
        return self._whole().packages

    def names(self) -> list[str]:
        return sorted(self._keys)

    def lookup(self, name: str) -> PackageDef | None:
        """Return the package aqua selects for ``name``, parsing only what it needs."""
        if self._full is not None:
            return self._full.lookup(name)
        index = self._keys.get(name)
        if index is None:
            return None
        if index not in self._parsed:
            self._parsed[index] = self._parse_item(index)
        found = self._parsed[index]
        return found if found is not None else self._whole().lookup(name)

    def _whole(self) -> Registry:
        if self._full is None:
            self._full = parse_registry(self._text, self.path)
        return self._full

    def _chunk(self, first: int, last: int) -> str:
        end = self._starts[last + 1] if last + 1 < len(self._starts) else len(self._lines)
        return "\n".join(self._lines[self._starts[first] : end])

    def _parse_item(self, index: int) -> PackageDef | None:
        first = index
        for _attempt in range(8):
            start_line = self._starts[first]
            padded = "\n" * (start_line - 1) + "packages:\n" + self._chunk(first, index)
            try:
                items = _packages(padded, self.path)
            except InputError:
                earlier = self._anchor_source(first, index)
                if earlier is None:
                    return None
                first = earlier
                continue
            want = self._starts[index] + 1
            for pkg in items:
                if pkg.line == want:
                    return pkg
            return None
        return None

    def _anchor_source(self, first: int, index: int) -> int | None:
        """The latest item before ``first`` that defines an anchor the group uses."""
        used = set(_ALIAS_USE.findall(self._chunk(first, index)))
        best: int | None = None
        for name in used:
            for i in range(first - 1, -1, -1):
                if f"&{name}" in self._chunk(i, i):
                    best = i if best is None else min(best, i)
                    break
        return best


def parse_registry_lazily(text: str, path: str) -> Registry | LazyRegistry:
    """Like :func:`parse_registry`, but a big file in the generated layout is only indexed
    (entries are parsed on lookup). Raises :class:`InputError` like it for small files."""
    if len(text) < LAZY_THRESHOLD:
        return parse_registry(text, path)
    scanned = _scan(text)
    if scanned is None:
        return parse_registry(text, path)
    lines, starts, keys = scanned
    return LazyRegistry(text, path, lines, starts, keys)


_OTHER_BREAKS: Final = ("\x85", "\u2028", "\u2029")


def _scan(text: str) -> tuple[list[str], list[int], dict[str, int]] | None:
    """Item starts and lookup keys of a plain-layout registry, or None to parse it all."""
    if any(c in text for c in _OTHER_BREAKS) or "\r" in text.replace("\r\n", ""):
        # YAML also breaks lines at a lone CR, NEL, LS and PS; the scan counts "\n" only, so
        # its line numbers would drift from the full parse's (found by the long fuzz run).
        return None
    lines = text.split("\n")
    n = 0
    while n < len(lines) and (not lines[n].strip() or lines[n].lstrip().startswith("#")):
        n += 1
    if n >= len(lines) or lines[n].split("#", 1)[0].rstrip() != "packages:":
        return None
    item_indent: int | None = None
    starts: list[int] = []
    for i in range(n + 1, len(lines)):
        line = lines[i]
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if stripped[0] == "\t":
            return None
        indent = len(line) - len(stripped)
        if item_indent is None:
            if not stripped.startswith("- "):
                return None
            item_indent = indent
        if indent < item_indent:
            return None
        if indent == item_indent:
            if not stripped.startswith("- "):
                return None
            starts.append(i)
    if item_indent is None or not starts:
        return None
    keys: dict[str, int] = {}
    key_indent = item_indent + 2
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        fields: dict[str, str] = {}
        aliases: list[str] = []
        in_aliases = False
        for i in range(start, end):
            line = lines[i]
            body = line[key_indent:] if i > start else line[item_indent + 2 :]
            indent = len(line) - len(line.lstrip(" "))
            if i > start and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if i == start or indent == key_indent:
                in_aliases = False
                m = _KEY_LINE.match(body)
                if m is None:
                    return None  # a top-level line that is not a simple `key: value`
                key, value = m.group(1), m.group(2) or ""
                if key in fields or (key == "aliases" and aliases):
                    return None  # duplicate keys: let the full parser say so
                if key == "aliases":
                    if value.split(" #", 1)[0].strip():
                        return None
                    in_aliases = True
                elif key in _INDEX_KEYS:
                    scalar = _simple_scalar(value)
                    if scalar is None:
                        return None
                    fields[key] = scalar
                else:
                    fields[key] = ""
            elif in_aliases:
                m = _ALIAS_NAME.match(line.strip())
                if m is None or indent != key_indent + 2:
                    return None
                alias = _simple_scalar(m.group(1))
                if alias is None:
                    return None
                aliases.append(alias)
        if fields.get("name"):
            key = fields["name"]
        elif fields.get("repo_owner") and fields.get("repo_name"):
            key = f"{fields['repo_owner']}/{fields['repo_name']}"
        elif fields.get("type") == "go_install" and fields.get("path"):
            key = fields["path"]
        else:
            continue
        if key in keys:
            continue
        keys[key] = index
        for alias in aliases:
            keys.setdefault(alias, index)
    return lines, starts, keys
