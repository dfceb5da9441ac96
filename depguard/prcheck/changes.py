"""The dependency changes between two versions of one file, for ``depguard check-pr``.

:func:`file_changes` takes a path and the file's bytes on the PR's base and head side (None
when the file is absent there) and returns one :class:`DependencyChange` per dependency that
was added, removed, or whose version or source changed. Only text is read: the blobs come
from git objects, nothing is checked out, and imports are not followed (each file of a PR
is compared on its own; an aqua import file is recognised by where it lives and by what it
holds). :func:`classify` says which extractor a path gets.

What is compared, per extractor (identity of a dependency → what makes it "changed"):

* ``terraform-lock`` (``.terraform.lock.hcl``, :func:`~depguard.formats.tf_lock.parse_lock`):
  a ``provider`` change per provider address added, removed or with another ``version``;
  plus a ``provider-hashes`` change per address whose hash set differs (the hashes listed in
  ``added``/``removed``), also when the version is the same. Addresses are the identity: a
  swapped namespace is one ``removed`` and one ``added`` provider. A change of only the
  recorded ``constraints`` is not reported (it follows the ``.tf`` change, reported there).
* ``terraform`` (``*.tf``, ``*.tf.json``, :mod:`~depguard.formats.tf_scan`):
  ``required_providers`` entries keyed by local name (``provider``: version = the constraint
  as written, source = the full address, so a swapped namespace is a *source change* of the
  same entry); ``required_version`` (``terraform``, name ``terraform``); ``module`` calls
  keyed by block label (``module``: name and source = the source without its ``ref`` query
  parameter; version = ``?ref=`` for git-like sources, else the ``version`` argument).
* ``terraform-version`` (``.terraform-version``): the first non-comment word, as tfenv and
  tenv read it (``terraform-version``, name ``terraform``).
* ``aqua-config`` (``aqua.yaml``, ``.aqua.yaml``, ``aqua.yml``…) and ``aqua-import`` (a
  YAML file under an ``aqua``/``.aqua`` directory whose top level holds ``packages``,
  ``registries`` or ``import_dir``): registries keyed by name after aqua's ``standard``
  normalisation (``aqua-registry``: version = ``ref``, source =
  ``github_content:OWNER/REPO/PATH`` or ``local:PATH``); packages keyed by the name before
  the first ``@`` (``aqua-package``: version = the part after ``@`` or ``version:``, source =
  the registry name, default ``standard``), so ``owner/tool`` → ``0wner/tool`` is a
  ``removed`` and an ``added`` package; ``import`` globs and the two globs ``import_dir``
  stands for (``aqua-import``: name = source = the glob, added or removed only). A file in
  an aqua directory that looks like a registry (``packages`` entries with a ``type``) or
  holds none of those keys gives no changes.
* ``aqua-checksums`` (``aqua-checksums.json``, ``.aqua-checksums.json``,
  :func:`~depguard.formats.aqua_checksums.parse_checksums`): an ``aqua-checksum`` change per
  id added, removed or whose value changed (compared as aqua does, ignoring case); the values
  are in ``added``/``removed`` as ``ALGORITHM:CHECKSUM``, the id is the name.
* ``workflow`` (``.github/workflows/*.y(a)ml``, ``action.y(a)ml``): ``uses:`` references
  through :mod:`depguard.formats.workflows` (``action``, also for reusable workflows and
  ``docker://`` images: name = source = ``owner/repo[/path]`` or ``docker://IMAGE``, version
  = the ref, digest or tag, ``old_comment``/``new_comment`` = the trailing version comment;
  an expression or unparsable reference has its text as name and source and no version;
  local ``./`` references are this repository's code and skipped), and the
  ``aqua_version:`` inputs aqua-installer takes (``aqua-version``, name ``aquaproj/aqua``),
  found by the line pattern aqua-renovate-config's regex manager uses.

Within a file, occurrences of the same identity (one action used three times) are paired
after setting aside the ones that did not change, so an inserted or deleted occurrence is
an ``added``/``removed`` change and does not shift the others. ``line`` is the line in the
*new* file (None for removed dependencies). Changes are sorted by line (removed ones
last), name and kind.
Malformed files raise :class:`~depguard.errors.InputError` naming the file and line; the
caller reports them (``invalid-manifest``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar
from urllib.parse import unquote

from depguard.errors import InputError

# The key sets the aqua.yaml loader accepts: PR files are held to the same strictness.
from depguard.formats.aqua_config import (
    _PACKAGE_KEYS,
    _REGISTRY_KEYS,
    _TOP_KEYS,
    STANDARD_OWNER,
    STANDARD_PATH,
    STANDARD_REPO,
)
from depguard.formats.yaml_lines import (
    LineDict,
    LineList,
    check_keys,
    describe,
    get_bool,
    get_list,
    get_str,
    load_yaml,
)
from depguard.util.text import decode_utf8

if TYPE_CHECKING:
    from depguard.formats.workflows import UsesRef

__all__ = [
    "KINDS",
    "DependencyChange",
    "classify",
    "file_changes",
]

KINDS: Final = frozenset(
    {
        "aqua-package",
        "aqua-registry",
        "aqua-import",
        "aqua-checksum",
        "aqua-version",
        "provider",
        "provider-hashes",
        "terraform",
        "module",
        "action",
        "terraform-version",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DependencyChange:
    """One dependency added, removed or changed in one file of a PR.

    ``old_*`` describe the base side, ``new_*`` the head side; both are None on the side
    where the dependency does not exist. ``added``/``removed`` hold lock hashes
    (``provider-hashes``) or ``ALGORITHM:CHECKSUM`` values (``aqua-checksum``), sorted.
    ``old_comment``/``new_comment`` are the version comments of pinned action refs
    (``@<sha> # v4.1.0``). ``line`` is where the dependency is in the new file.
    """

    kind: str
    name: str
    file: str
    line: int | None
    old_version: str | None
    new_version: str | None
    old_source: str | None = None
    new_source: str | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    old_comment: str | None = None
    new_comment: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown dependency change kind {self.kind!r}")

    @property
    def old_present(self) -> bool:
        """True when the dependency exists on the base side."""
        return self.old_version is not None or self.old_source is not None or bool(self.removed)

    @property
    def new_present(self) -> bool:
        """True when the dependency exists on the head side."""
        return self.new_version is not None or self.new_source is not None or bool(self.added)

    @property
    def action(self) -> str:
        """``added``, ``removed``, ``updated`` (other version) or ``changed`` (same version,
        other source, hashes, checksums or version comment)."""
        if not self.old_present:
            return "added"
        if not self.new_present:
            return "removed"
        if self.old_version != self.new_version:
            return "updated"
        return "changed"

    def sort_key(self) -> tuple[str, int, int, str, str, str, str]:
        """File, then line (removed dependencies last), name, kind and versions."""
        return (
            self.file,
            0 if self.line is not None else 1,
            self.line or 0,
            self.name,
            self.kind,
            self.old_version or "",
            self.new_version or "",
        )


# --- classification ---------------------------------------------------------------------

_AQUA_CONFIG_RE: Final = re.compile(r"\.?aqua\.ya?ml")
_AQUA_CHECKSUMS_RE: Final = re.compile(r"\.?aqua-checksums\.json")
_AQUA_POLICY_RE: Final = re.compile(r"\.?aqua-policy\.ya?ml")
_YAML_RE: Final = re.compile(r".+\.ya?ml")
_ACTION_RE: Final = re.compile(r"action\.ya?ml")


def _tf_ignored(name: str) -> bool:
    # configs.IsIgnoredFile: Terraform does not read hidden files, backups and autosaves.
    return (
        name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#"))
    )


def classify(path: str) -> str | None:
    """Return the extractor for a repository-relative path, or None (no dependency file).

    One of ``terraform-lock``, ``terraform``, ``terraform-version``, ``aqua-config``,
    ``aqua-import`` (content decides, see the module docstring), ``aqua-checksums``,
    ``workflow``. aqua policy files are not dependency files (None).
    """
    path = path.replace("\\", "/")
    directory, name = posixpath.split(path)
    parts = directory.split("/") if directory else []
    if name == ".terraform.lock.hcl":
        return "terraform-lock"
    if name == ".terraform-version":
        return "terraform-version"
    if name.endswith((".tf", ".tf.json")):
        return None if _tf_ignored(name) else "terraform"
    if _YAML_RE.fullmatch(name) and (
        # GitHub runs workflows only from the root .github/workflows, not from subfolders;
        # action.yml defines an action wherever it is.
        directory == ".github/workflows" or _ACTION_RE.fullmatch(name)
    ):
        return "workflow"
    if _AQUA_CHECKSUMS_RE.fullmatch(name):
        return "aqua-checksums"
    if _AQUA_POLICY_RE.fullmatch(name):
        return None
    if _AQUA_CONFIG_RE.fullmatch(name):
        return "aqua-config"
    if _YAML_RE.fullmatch(name) and ("aqua" in parts or ".aqua" in parts):
        return "aqua-import"
    return None


def file_changes(
    path: str, old: bytes | None, new: bytes | None, *, kind: str | None = None
) -> list[DependencyChange]:
    """Return the dependency changes between ``old`` and ``new`` contents of ``path``.

    ``old``/``new`` are None when the file does not exist on that side (so every dependency
    is added or removed). ``kind`` forces an extractor (for example ``aqua-import`` for a
    file an ``aqua.yaml`` imports from elsewhere); by default :func:`classify` picks it, and
    a path it does not recognise gives no changes. Returns the changes sorted by line
    (removed ones last), name and kind. Raises :class:`~depguard.errors.InputError` naming
    the file and line when either side is malformed.
    """
    extractor = kind if kind is not None else classify(path)
    if extractor is None:
        return []
    try:
        extract = _EXTRACTORS[extractor]
    except KeyError:
        raise ValueError(f"unknown extractor {extractor!r}") from None
    old_text = None if old is None else decode_utf8(old, path)
    new_text = None if new is None else decode_utf8(new, path)
    if old_text == new_text:
        return []  # a pure rename or mode change: nothing to compare
    changes = extract(path, old_text, new_text)
    return sorted(changes, key=DependencyChange.sort_key)


# --- pairing ------------------------------------------------------------------------------

_T = TypeVar("_T")


def _pair(
    old: Sequence[_T], new: Sequence[_T], same: Callable[[_T, _T], bool]
) -> list[tuple[_T | None, _T | None]]:
    """Pair the occurrences of one identity on both sides; unchanged ones are dropped.

    Occurrences equal on both sides (``same``) are set aside first, in order; the rest are
    paired by position, and what is left over is an addition or a removal.
    """
    rest_new = list(new)
    rest_old: list[_T] = []
    for item in old:
        for i, candidate in enumerate(rest_new):
            if same(item, candidate):
                del rest_new[i]
                break
        else:
            rest_old.append(item)
    pairs: list[tuple[_T | None, _T | None]] = []
    for i in range(max(len(rest_old), len(rest_new))):
        pairs.append(
            (
                rest_old[i] if i < len(rest_old) else None,
                rest_new[i] if i < len(rest_new) else None,
            )
        )
    return pairs


def _group(items: Iterable[_T], key: Callable[[_T], str]) -> dict[str, list[_T]]:
    groups: dict[str, list[_T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


@dataclass(frozen=True, slots=True, kw_only=True)
class _Dep:
    """A dependency as read from one side: identity, what is compared, where it is."""

    key: str
    name: str
    version: str | None
    source: str | None
    line: int | None
    comment: str | None = None


def _dep_changes(
    kind: str, path: str, old: Iterable[_Dep], new: Iterable[_Dep]
) -> list[DependencyChange]:
    """Compare two sides' dependencies of one kind by key (version, source, comment)."""
    old_groups = _group(old, lambda d: d.key)
    new_groups = _group(new, lambda d: d.key)

    def same(a: _Dep, b: _Dep) -> bool:
        return (a.version, a.source, a.comment) == (b.version, b.source, b.comment)

    changes: list[DependencyChange] = []
    for key in dict.fromkeys([*old_groups, *new_groups]):
        for a, b in _pair(old_groups.get(key, []), new_groups.get(key, []), same):
            shown = b if b is not None else a
            assert shown is not None
            changes.append(
                DependencyChange(
                    kind=kind,
                    name=shown.name,
                    file=path,
                    line=b.line if b is not None else None,
                    old_version=a.version if a is not None else None,
                    new_version=b.version if b is not None else None,
                    old_source=a.source if a is not None else None,
                    new_source=b.source if b is not None else None,
                    old_comment=a.comment if a is not None else None,
                    new_comment=b.comment if b is not None else None,
                )
            )
    return changes


# --- Terraform lock files -----------------------------------------------------------------


def _lock_changes(path: str, old: str | None, new: str | None) -> list[DependencyChange]:
    from depguard.formats.tf_address import format_provider_address
    from depguard.formats.tf_lock import parse_lock

    old_locks = {p.address: p for p in parse_lock(old, path).providers} if old is not None else {}
    new_locks = {p.address: p for p in parse_lock(new, path).providers} if new is not None else {}
    changes: list[DependencyChange] = []
    for address in dict.fromkeys([*old_locks, *new_locks]):
        a, b = old_locks.get(address), new_locks.get(address)
        name = format_provider_address(address)
        old_version = a.version if a is not None else None
        new_version = b.version if b is not None else None
        line = b.line if b is not None else None
        if old_version != new_version:
            changes.append(
                DependencyChange(
                    kind="provider",
                    name=name,
                    file=path,
                    line=line,
                    old_version=old_version,
                    new_version=new_version,
                )
            )
        old_hashes = set(a.hashes) if a is not None else set()
        new_hashes = set(b.hashes) if b is not None else set()
        if old_hashes != new_hashes:
            changes.append(
                DependencyChange(
                    kind="provider-hashes",
                    name=name,
                    file=path,
                    line=line,
                    old_version=old_version,
                    new_version=new_version,
                    added=tuple(sorted(new_hashes - old_hashes)),
                    removed=tuple(sorted(old_hashes - new_hashes)),
                )
            )
    return changes


# --- Terraform configuration --------------------------------------------------------------


def _tf_deps(path: str, text: str) -> tuple[list[_Dep], list[_Dep], list[_Dep]]:
    """Return (required_providers, required_version, module calls) of one file."""
    from depguard.formats.tf_address import (
        format_provider_address,
        implied_provider,
        parse_provider_source,
    )
    from depguard.formats.tf_scan import scan_tf, scan_tf_json
    from depguard.versions import parse_constraints

    scanned = scan_tf_json(text, path) if path.endswith(".tf.json") else scan_tf(text, path)

    def check_constraint(value: str, line: int | None) -> None:
        try:
            parse_constraints(value)
        except ValueError as e:
            msg = str(e)
            if not msg.startswith("This string"):
                msg = f"Incorrect version constraint syntax: {msg}."
            raise InputError(path, f"Invalid version constraint: {msg}", line=line) from None

    providers: list[_Dep] = []
    for block in scanned.required_providers:
        for entry in block:
            try:
                address = (
                    parse_provider_source(entry.source)
                    if entry.source is not None
                    else implied_provider(entry.name)
                )
            except ValueError as e:
                raise InputError(path, str(e), line=entry.line) from None
            if entry.version is not None:
                check_constraint(entry.version, entry.line)
            shown = format_provider_address(address)
            providers.append(
                _Dep(
                    key=entry.name,
                    name=shown,
                    version=entry.version,
                    source=shown,
                    line=entry.line,
                )
            )
    versions: list[_Dep] = []
    for attr in scanned.required_versions:
        check_constraint(attr.value, attr.line)
        versions.append(
            _Dep(key="terraform", name="terraform", version=attr.value, source=None, line=attr.line)
        )
    modules: list[_Dep] = []
    for call in scanned.module_calls:
        if call.source is None:
            raise InputError(
                path,
                f'Missing required argument: The argument "source" is required in module '
                f'"{call.name}", but no definition was found.',
                line=call.line,
            )
        source, ref = _split_module_ref(call.source)
        modules.append(
            _Dep(
                key=call.name,
                name=source,
                version=ref if ref is not None else call.version,
                source=source,
                line=call.line,
            )
        )
    return providers, versions, modules


def _split_module_ref(source: str) -> tuple[str, str | None]:
    """Split the ``ref`` query parameter off a go-getter module source.

    ``git::https://host/repo.git//sub?ref=v1.2.0&depth=1`` → (``git::https://host/repo.git//
    sub?depth=1``, ``v1.2.0``). Registry and local sources have no query: (source, None).
    """
    base, sep, query = source.partition("?")
    if not sep:
        return source, None
    # Textual, so the rest of the source keeps its exact spelling (no re-encoding).
    params = query.split("&")
    refs = [p.partition("=")[2] for p in params if p.partition("=")[0] == "ref"]
    if not refs:
        return source, None
    rest = "&".join(p for p in params if p.partition("=")[0] != "ref")
    return (f"{base}?{rest}" if rest else base), unquote(refs[-1])


def _tf_changes(path: str, old: str | None, new: str | None) -> list[DependencyChange]:
    empty: tuple[list[_Dep], list[_Dep], list[_Dep]] = ([], [], [])
    a = _tf_deps(path, old) if old is not None else empty
    b = _tf_deps(path, new) if new is not None else empty
    return [
        *_dep_changes("provider", path, a[0], b[0]),
        *_dep_changes("terraform", path, a[1], b[1]),
        *_dep_changes("module", path, a[2], b[2]),
    ]


def _terraform_version(path: str, text: str) -> list[_Dep]:
    # tfenv (lib/tfenv-version-file.sh) and tenv: the first word of the file, "#" comments
    # and blank lines ignored.
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip().lstrip("\ufeff")
        if not line:
            continue
        words = line.split()
        if len(words) != 1:
            raise InputError(
                path, f"expected one Terraform version, got {line[:60]!r}", line=number
            )
        return [_Dep(key="terraform", name="terraform", version=words[0], source=None, line=number)]
    raise InputError(path, "the file names no Terraform version", line=1)


def _terraform_version_changes(
    path: str, old: str | None, new: str | None
) -> list[DependencyChange]:
    a = _terraform_version(path, old) if old is not None else []
    b = _terraform_version(path, new) if new is not None else []
    return _dep_changes("terraform-version", path, a, b)


# --- aqua ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _AquaDeps:
    registries: tuple[_Dep, ...] = ()
    packages: tuple[_Dep, ...] = ()
    imports: tuple[_Dep, ...] = ()


def _looks_like_registry(data: LineDict) -> bool:
    # A registry file (aquaproj/aqua json-schema/registry.json) is {packages: [...]} whose
    # entries carry a `type`; an aqua.yaml package entry never has one.
    packages = data.get("packages")
    if set(data) != {"packages"} or not isinstance(packages, LineList) or not packages:
        return False
    return all(isinstance(p, LineDict) and "type" in p for p in packages if p is not None)


def _aqua_deps(path: str, text: str, *, content_check: bool) -> _AquaDeps:
    data = load_yaml(text, path)
    if content_check and (
        not isinstance(data, LineDict)
        or not ({"packages", "registries", "import_dir"} & set(data))
        or _looks_like_registry(data)
    ):
        return _AquaDeps()
    if data is None:
        raise InputError(path, "the file is empty (aqua fails on it)", line=1)
    if not isinstance(data, LineDict):
        raise InputError(path, f"the top level must be a mapping, got {describe(data)}", line=1)
    check_keys(data, _TOP_KEYS, path)
    return _AquaDeps(
        registries=tuple(_aqua_registries(path, data)),
        packages=tuple(_aqua_packages(path, data)),
        imports=tuple(_aqua_imports(path, data)),
    )


def _aqua_registries(path: str, data: LineDict) -> list[_Dep]:
    # aqua pkg/config/aqua/config.go + registry.go: registries keyed by name, a later entry
    # replacing an earlier one, null entries skipped; `type: standard` fills empty fields
    # with aquaproj/aqua-registry registry.yaml and the name "standard".
    items = get_list(data, "registries", path)
    by_name: dict[str, _Dep] = {}
    for index, item in enumerate(items or ()):
        if item is None:
            continue
        assert items is not None
        where = f"registries[{index}]"
        line = items.item_line(index)
        if not isinstance(item, LineDict):
            raise InputError(path, f"{where}: expected a mapping, got {describe(item)}", line=line)
        check_keys(item, _REGISTRY_KEYS, path, where)
        fields = {k: get_str(item, k, path, where) or "" for k in _REGISTRY_KEYS if k != "private"}
        get_bool(item, "private", path, where)
        declared = fields["type"]
        if declared == "standard":
            fields["name"] = fields["name"] or "standard"
            fields["repo_owner"] = fields["repo_owner"] or STANDARD_OWNER
            fields["repo_name"] = fields["repo_name"] or STANDARD_REPO
            fields["path"] = fields["path"] or STANDARD_PATH
        name = fields["name"]
        label = f"registry {name!r}" if name else "registry"
        if declared in ("standard", "github_content"):
            # A missing field is malformed; a branch ref is not refused here (rules report
            # it as a finding, aqua-registry-unpinned).
            for key in ("repo_owner", "repo_name", "ref", "path"):
                if not fields[key]:
                    raise InputError(path, f"{label}: {key} is required", line=item.line)
            source = f"github_content:{fields['repo_owner']}/{fields['repo_name']}/{fields['path']}"
        elif declared == "local":
            if not fields["path"]:
                raise InputError(path, f"{label}: path is required", line=item.line)
            source = f"local:{fields['path']}"
        else:
            what = (
                f"unknown registry type {declared!r}" if declared else "registry type is required"
            )
            raise InputError(
                path,
                f"{label}: {what} (expected standard, github_content or local)",
                line=item.line,
            )
        by_name[name] = _Dep(
            key=name,
            name=name,
            version=fields["ref"] or None,
            source=source,
            line=item.line,
        )
    return list(by_name.values())


def _aqua_packages(path: str, data: LineDict) -> list[_Dep]:
    # aqua pkg/config/aqua/config.go parseNameWithVersion (split at the first "@", the
    # name's version winning over `version:`), `registry` defaulting to "standard";
    # reader.go: go_version_file, then version_expr, then import.
    items = get_list(data, "packages", path)
    result: list[_Dep] = []
    for index, item in enumerate(items or ()):
        if item is None:
            continue
        assert items is not None
        where = f"packages[{index}]"
        if not isinstance(item, LineDict):
            raise InputError(
                path,
                f"{where}: expected a mapping, got {describe(item)}",
                line=items.item_line(index),
            )
        check_keys(item, _PACKAGE_KEYS, path, where)
        written_name = get_str(item, "name", path, where) or ""
        written_version = get_str(item, "version", path, where) or ""
        registry = get_str(item, "registry", path, where) or "standard"
        go_version_file = get_str(item, "go_version_file", path, where) or ""
        version_expr = get_str(item, "version_expr", path, where) or ""
        if get_str(item, "import", path, where) and not (go_version_file or version_expr):
            continue  # an import entry (see _aqua_imports)
        name, _, name_version = written_name.partition("@")
        if not name:
            raise InputError(path, "a package has no name", line=item.line)
        version = name_version or written_version
        if go_version_file:
            version = f"go_version_file:{go_version_file}"
        elif version_expr:
            version = f"version_expr:{version_expr}"
        elif not version:
            raise InputError(path, f"package {name!r} has no version", line=item.line)
        result.append(_Dep(key=name, name=name, version=version, source=registry, line=item.line))
    return result


def _aqua_imports(path: str, data: LineDict) -> list[_Dep]:
    result: list[_Dep] = []
    items = get_list(data, "packages", path)
    for index, item in enumerate(items or ()):
        if not isinstance(item, LineDict):
            continue
        where = f"packages[{index}]"
        glob = get_str(item, "import", path, where)
        if glob and not (item.get("go_version_file") or item.get("version_expr")):
            result.append(_Dep(key=glob, name=glob, version=None, source=glob, line=item.line))
    import_dir = get_str(data, "import_dir", path)
    if import_dir:
        # reader.go: import_dir X reads X/*.yml, then X/*.yaml.
        line = data.key_line("import_dir")
        for suffix in ("*.yml", "*.yaml"):
            glob = import_dir.rstrip("/") + "/" + suffix
            result.append(_Dep(key=glob, name=glob, version=None, source=glob, line=line))
    return result


def _aqua_changes(
    path: str, old: str | None, new: str | None, *, content_check: bool
) -> list[DependencyChange]:
    a = _aqua_deps(path, old, content_check=content_check) if old is not None else _AquaDeps()
    b = _aqua_deps(path, new, content_check=content_check) if new is not None else _AquaDeps()
    return [
        *_dep_changes("aqua-registry", path, a.registries, b.registries),
        *_dep_changes("aqua-package", path, a.packages, b.packages),
        *_dep_changes("aqua-import", path, a.imports, b.imports),
    ]


def _aqua_config_changes(path: str, old: str | None, new: str | None) -> list[DependencyChange]:
    return _aqua_changes(path, old, new, content_check=False)


def _aqua_import_changes(path: str, old: str | None, new: str | None) -> list[DependencyChange]:
    return _aqua_changes(path, old, new, content_check=True)


def _checksum_changes(path: str, old: str | None, new: str | None) -> list[DependencyChange]:
    from depguard.formats.aqua_checksums import ChecksumEntry, parse_checksums

    def entries(text: str | None) -> tuple[dict[str, ChecksumEntry], Callable[[str], int | None]]:
        if text is None:
            return {}, lambda _id: None
        parsed = parse_checksums(text, path)
        found = {i: e for i in parsed.ids() if (e := parsed.get(i)) is not None}
        return found, parsed.line_of

    old_entries, _ = entries(old)
    new_entries, new_line = entries(new)
    changes: list[DependencyChange] = []
    for id_ in sorted({*old_entries, *new_entries}):
        a, b = old_entries.get(id_), new_entries.get(id_)
        if (
            a is not None
            and b is not None
            and a.algorithm == b.algorithm
            and a.checksum.upper() == b.checksum.upper()  # aqua compares with EqualFold
        ):
            continue
        changes.append(
            DependencyChange(
                kind="aqua-checksum",
                name=id_,
                file=path,
                line=new_line(id_) if b is not None else None,
                old_version=None,
                new_version=None,
                added=(f"{b.algorithm}:{b.checksum}",) if b is not None else (),
                removed=(f"{a.algorithm}:{a.checksum}",) if a is not None else (),
            )
        )
    return changes


# --- workflows ----------------------------------------------------------------------------


def _uses_dep(ref: UsesRef) -> _Dep | None:
    if ref.kind == "local":
        return None  # ./path: this repository's own code, changed by the diff itself
    if ref.kind == "docker":
        image = f"docker://{ref.path or ref.uses.removeprefix('docker://')}"
        # ref: the digest, else the tag (None: the implicit "latest").
        return _Dep(key=image.lower(), name=image, version=ref.ref, source=image, line=ref.line)
    if ref.owner is None or ref.repo is None:
        # An expression or a reference that does not parse: its text is all there is.
        text = ref.uses.strip()
        return _Dep(key=text, name=text, version=None, source=text, line=ref.line)
    name = "/".join(p for p in (ref.owner, ref.repo, ref.path) if p)
    # GitHub owner and repository names are case-insensitive; paths inside are not.
    key = f"{ref.owner.lower()}/{ref.repo.lower()}/{ref.path or ''}"
    return _Dep(
        key=key, name=name, version=ref.ref, source=name, line=ref.line, comment=ref.comment
    )


# aqua-renovate-config's manager for aquaproj/aqua in action.ya?ml and .github/**.ya?ml
# (` +aqua_version *: +VALUE`, also quoted key or value), here on whole lines so that a
# commented-out line is not taken for a live one.
_AQUA_VERSION_RE: Final = re.compile(
    r"""^[ \t]*(?:-[ \t]+)?(?:aqua_version|'aqua_version'|"aqua_version")[ \t]*:[ \t]+"""
    r"""(?:'([^'"\s]+)'|"([^'"\s]+)"|([^'"\s#]+))[ \t]*(?:#.*)?$"""
)


def _aqua_versions(text: str) -> list[_Dep]:
    found: list[_Dep] = []
    for number, line in enumerate(text.splitlines(), start=1):
        m = _AQUA_VERSION_RE.match(line)
        if m is not None:
            value = m.group(1) or m.group(2) or m.group(3)
            found.append(
                _Dep(
                    key="aquaproj/aqua",
                    name="aquaproj/aqua",
                    version=value,
                    source=None,
                    line=number,
                )
            )
    return found


def _workflow_changes(path: str, old: str | None, new: str | None) -> list[DependencyChange]:
    def deps(text: str | None) -> tuple[list[_Dep], list[_Dep]]:
        if text is None:
            return [], []
        # Imported on use: only PRs that touch workflows need the workflow reader.
        from depguard.formats.workflows import parse_workflow

        uses = [d for r in parse_workflow(text, path) if (d := _uses_dep(r)) is not None]
        return uses, _aqua_versions(text)

    a_uses, a_aqua = deps(old)
    b_uses, b_aqua = deps(new)
    return [
        *_dep_changes("action", path, a_uses, b_uses),
        *_dep_changes("aqua-version", path, a_aqua, b_aqua),
    ]


_EXTRACTORS: Final[dict[str, Callable[[str, str | None, str | None], list[DependencyChange]]]] = {
    "terraform-lock": _lock_changes,
    "terraform": _tf_changes,
    "terraform-version": _terraform_version_changes,
    "aqua-config": _aqua_config_changes,
    "aqua-import": _aqua_import_changes,
    "aqua-checksums": _checksum_changes,
    "workflow": _workflow_changes,
}
