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

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

__all__ = ["PackageDef", "Registry", "load_registry_tree", "parse_registry"]


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
