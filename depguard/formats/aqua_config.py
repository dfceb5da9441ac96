"""``aqua.yaml``: the model and a strict loader that follows aqua's own reader.

Sources (aquaproj/aqua): ``pkg/config/aqua/config.go`` (package ``name@version`` split at the
first ``@``, ``registry`` defaulting to ``standard``, registries keyed by name with later
entries replacing earlier ones and null entries skipped), ``pkg/config/aqua/registry.go``
(``type: standard`` becomes ``github_content`` aquaproj/aqua-registry ``registry.yaml`` named
``standard`` unless named; ``ref`` ``main``/``master`` refused), ``pkg/config-reader/reader.go``
(local registry paths relative to the config's directory with ``$HOME/`` expanded;
``go_version_file``, then ``version_expr``, then ``import`` globs relative to the declaring
file, read recursively, sorted; ``import_dir: X`` = ``X/*.yml`` then ``X/*.yaml``), and
``pkg/checksum/type.go`` (where ``aqua-checksums.json`` lives).

Differences from aqua, all refusals of input aqua would mishandle or silently ignore: unknown
keys and wrong types are :class:`InputError` naming ``file:line``; an import cycle is an
error (aqua recurses forever); a package without a name or version is an error (aqua logs it
and skips the package); with ``repo_root`` given, local registries, imported files and
``go_version_file`` outside the repository are refused. ``version_expr`` is not evaluated here:
such packages keep ``version == ""`` and carry the expression.
"""

from __future__ import annotations

import glob
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

from depguard.errors import InputError
from depguard.formats.yaml_lines import (
    MAX_BYTES,
    LineDict,
    check_keys,
    describe,
    get_bool,
    get_list,
    get_map,
    get_str,
    load_yaml,
)

__all__ = [
    "STANDARD_OWNER",
    "STANDARD_PATH",
    "STANDARD_REPO",
    "SUPPORTED_ENVS",
    "AquaConfig",
    "AquaPackageRef",
    "AquaRegistryRef",
    "ChecksumSettings",
    "find_configs",
    "load_config",
    "read_text",
]

STANDARD_OWNER: Final = "aquaproj"
STANDARD_REPO: Final = "aqua-registry"
STANDARD_PATH: Final = "registry.yaml"

# checksum.supported_envs: "all", a GOOS, a GOARCH or GOOS/GOARCH (aqua's pkg/runtime).
_GOOS: Final = ("darwin", "linux", "windows")
_GOARCH: Final = ("amd64", "arm64")
SUPPORTED_ENVS: Final = frozenset(
    ("all", *_GOOS, *_GOARCH, *(f"{o}/{a}" for o in _GOOS for a in _GOARCH))
)

_TOP_KEYS: Final = ("registries", "packages", "checksum", "import_dir")
_REGISTRY_KEYS: Final = ("name", "type", "repo_owner", "repo_name", "ref", "path", "private")
_PACKAGE_KEYS: Final = (
    "name",
    "registry",
    "version",
    "import",
    "tags",
    "description",
    "link",
    "update",
    "go_version_file",
    "version_expr",
    "version_expr_prefix",
    "vars",
    "command_aliases",
)
_CHECKSUM_KEYS: Final = ("enabled", "require_checksum", "supported_envs")
_CONFIG_NAME_RE: Final = re.compile(r"\.?aqua\.ya?ml")
_SKIP_DIRS: Final = frozenset((".git", ".terraform", "node_modules"))
# aqua's pkg/config-reader/go_version_file.go, with ASCII digits as in Go's \d.
_GO_VERSION_RE: Final = re.compile(r"^go ([0-9]+\.[0-9]+.[0-9]+)$", re.MULTILINE)
_MAX_IMPORT_DEPTH: Final = 16
_MAX_IMPORT_READS: Final = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class AquaRegistryRef:
    """A registry declared in ``aqua.yaml`` (after aqua's ``standard`` normalisation)."""

    name: str
    type: Literal["github_content", "local"]
    declared_type: str
    repo_owner: str | None
    repo_name: str | None
    ref: str | None
    path: str  # github_content: path in the repository; local: absolute, lexically cleaned
    private: bool = False
    file: str
    line: int

    @property
    def checksum_id(self) -> str | None:
        """Return the id aqua uses for this registry in ``aqua-checksums.json`` (None: local)."""
        if self.type != "github_content":
            return None
        # aqua pkg/checksum/registry.go RegistryID: path.Join (which also cleans the path).
        return posixpath.normpath(
            posixpath.join(
                "registries",
                "github_content",
                "github.com",
                self.repo_owner or "",
                self.repo_name or "",
                self.ref or "",
                self.path,
            )
        )

    @property
    def is_standard(self) -> bool:
        """True for github_content aquaproj/aqua-registry ``registry.yaml`` (any name, any ref)."""
        return (
            self.type == "github_content"
            and self.repo_owner == STANDARD_OWNER
            and self.repo_name == STANDARD_REPO
            and self.path == STANDARD_PATH
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AquaPackageRef:
    """A package entry of ``aqua.yaml`` or of a file it imports."""

    name: str  # the part before the first "@"
    version: str  # "" when it comes from version_expr or an unreadable go_version_file
    registry: str  # registry name, default "standard"
    pinned: bool  # the version was given with `version:`
    file: str  # the file that declares it
    line: int
    vars: Mapping[str, Any] = field(default_factory=dict)  # values for the registry's `vars`
    version_expr: str | None = None  # not evaluated here (it reads files)
    version_expr_prefix: str = ""
    go_version_file: str | None = None  # the resolved path, when the version comes from it


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksumSettings:
    """The ``checksum:`` block of ``aqua.yaml``."""

    enabled: bool = False
    require_checksum: bool = False
    supported_envs: tuple[str, ...] | None = None  # None = all
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AquaConfig:
    """One ``aqua.yaml`` with its imports resolved."""

    path: Path
    registries: Mapping[str, AquaRegistryRef]
    packages: tuple[AquaPackageRef, ...]
    checksum: ChecksumSettings
    imported_files: tuple[Path, ...]

    def checksums_path(self) -> Path:
        """Return aqua's checksum file for this config (aqua's ``pkg/checksum/type.go``).

        ``aqua-checksums.json`` if it exists, else ``.aqua-checksums.json`` if it exists,
        else ``aqua-checksums.json``, all next to the config file.
        """
        directory = self.path.parent
        for name in ("aqua-checksums.json", ".aqua-checksums.json"):
            candidate = directory / name
            if candidate.exists():
                return candidate
        return directory / "aqua-checksums.json"


def find_configs(root: Path) -> list[Path]:
    """Return every aqua config file under ``root``, sorted.

    Matches aqua's names ``\\.?aqua\\.ya?ml`` (which covers ``\\.?aqua/aqua\\.ya?ml``); skips
    ``.git``, ``.terraform`` and ``node_modules`` and does not follow directory symlinks.
    """
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in filenames:
            if _CONFIG_NAME_RE.fullmatch(name):
                found.append(Path(dirpath) / name)
    return sorted(found)


def read_text(path: Path, display: str | None = None, *, max_bytes: int = MAX_BYTES) -> str:
    """Read a UTF-8 text file of at most ``max_bytes``; raise InputError when it cannot be."""
    shown = display if display is not None else str(path)
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise InputError(shown, f"cannot read file: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise InputError(shown, f"file is larger than {max_bytes} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(shown, f"file is not UTF-8 ({e.reason})") from None


def load_config(
    path: Path, *, repo_root: Path | None = None, home_dir: Path | None = None
) -> AquaConfig:
    """Load ``aqua.yaml`` at ``path`` with its imports.

    ``repo_root``, when given, confines local registries, imported files and
    ``go_version_file`` to the repository. ``home_dir`` (default: the user's home) expands
    ``$HOME/`` in local registry paths. Returns an :class:`AquaConfig`; raises
    :class:`InputError` naming ``file:line`` for anything malformed or refused.
    """
    return _Loader(path, repo_root, home_dir).load()


@dataclass(slots=True)
class _RawRegistry:
    name: str
    declared_type: str
    repo_owner: str
    repo_name: str
    ref: str
    path: str
    private: bool
    line: int


class _Loader:
    """Reads one config and everything it imports."""

    def __init__(self, path: Path, repo_root: Path | None, home_dir: Path | None) -> None:
        self.path = path
        self.repo_root = repo_root.resolve() if repo_root is not None else None
        self.home_dir = home_dir
        self.chain: list[Path] = []
        self.reads = 0
        self.imported: list[Path] = []

    def load(self) -> AquaConfig:
        display = str(self.path)
        data = self.read(self.path)
        registries = self.registries(data, display, validate=True)
        checksum = self.checksum(data, display)
        self.chain.append(self.path.resolve())
        packages = self.packages(data, self.path)
        return AquaConfig(
            path=self.path,
            registries=MappingProxyType(registries),
            packages=tuple(packages),
            checksum=checksum,
            imported_files=tuple(dict.fromkeys(self.imported)),
        )

    # -- files ----------------------------------------------------------------------------

    def read(self, path: Path) -> LineDict:
        self.reads += 1
        display = str(path)
        data = load_yaml(read_text(path, display), display)
        if data is None:
            raise InputError(display, "the file is empty (aqua fails on it)", line=1)
        if not isinstance(data, LineDict):
            raise InputError(
                display, f"the top level must be a mapping, got {describe(data)}", line=1
            )
        check_keys(data, _TOP_KEYS, display)
        return data

    def shown(self, path: Path) -> str:
        """``path`` relative to the repository root when it is inside (stable messages)."""
        if self.repo_root is not None and path.is_relative_to(self.repo_root):
            return path.relative_to(self.repo_root).as_posix()
        return str(path)

    def inside_repo(self, path: str | Path) -> bool:
        if self.repo_root is None:
            return True
        return Path(path).resolve().is_relative_to(self.repo_root)

    # -- registries -----------------------------------------------------------------------

    def registries(
        self, data: LineDict, file: str, *, validate: bool
    ) -> dict[str, AquaRegistryRef]:
        items = get_list(data, "registries", file)
        raw: dict[str, _RawRegistry] = {}
        for index, item in enumerate(items or ()):
            if item is None:
                continue  # aqua skips null entries
            where = f"registries[{index}]"
            line = items.item_line(index) if items is not None else 0
            if not isinstance(item, LineDict):
                raise InputError(
                    file, f"{where}: expected a mapping, got {describe(item)}", line=line
                )
            check_keys(item, _REGISTRY_KEYS, file, where)
            entry = _RawRegistry(
                name=get_str(item, "name", file, where) or "",
                declared_type=get_str(item, "type", file, where) or "",
                repo_owner=get_str(item, "repo_owner", file, where) or "",
                repo_name=get_str(item, "repo_name", file, where) or "",
                ref=get_str(item, "ref", file, where) or "",
                path=get_str(item, "path", file, where) or "",
                private=bool(get_bool(item, "private", file, where)),
                line=item.line,
            )
            if entry.declared_type == "standard":
                # registry.go UnmarshalYAML: defaults only fill empty fields.
                entry.name = entry.name or "standard"
                entry.repo_owner = entry.repo_owner or STANDARD_OWNER
                entry.repo_name = entry.repo_name or STANDARD_REPO
                entry.path = entry.path or STANDARD_PATH
            raw[entry.name] = entry  # a later entry with the same name replaces an earlier one
        if not validate:
            return {}
        return {name: self.registry(entry, file) for name, entry in raw.items()}

    def registry(self, entry: _RawRegistry, file: str) -> AquaRegistryRef:
        line = entry.line
        label = f"registry {entry.name!r}" if entry.name else "registry"
        declared = entry.declared_type
        if declared in ("standard", "github_content"):
            for key in ("repo_owner", "repo_name", "ref", "path"):
                if not getattr(entry, key):
                    raise InputError(file, f"{label}: {key} is required", line=line)
            if entry.ref in ("main", "master"):
                raise InputError(
                    file,
                    f"{label}: ref must not be {entry.ref!r}; pin a tag or a commit SHA",
                    line=line,
                )
            return AquaRegistryRef(
                name=entry.name,
                type="github_content",
                declared_type=declared,
                repo_owner=entry.repo_owner,
                repo_name=entry.repo_name,
                ref=entry.ref,
                path=entry.path,
                private=entry.private,
                file=file,
                line=line,
            )
        if declared == "local":
            if not entry.path:
                raise InputError(file, f"{label}: path is required", line=line)
            resolved = self.local_path(entry.path, file, label, line)
            return AquaRegistryRef(
                name=entry.name,
                type="local",
                declared_type=declared,
                repo_owner=entry.repo_owner or None,
                repo_name=entry.repo_name or None,
                ref=entry.ref or None,
                path=resolved,
                private=entry.private,
                file=file,
                line=line,
            )
        what = f"unknown registry type {declared!r}" if declared else "registry type is required"
        raise InputError(
            file, f"{label}: {what} (expected standard, github_content or local)", line=line
        )

    def local_path(self, value: str, file: str, label: str, line: int) -> str:
        # reader.go readRegistries: "$HOME/" expanded, then osfile.Abs(config dir, path).
        if value.startswith("$HOME" + os.sep):
            home = self.home_dir if self.home_dir is not None else Path.home()
            value = str(home) + os.sep + value[len("$HOME") + 1 :]
        base = str(Path(file).parent.absolute())
        joined = value if Path(value).is_absolute() else base + os.sep + value
        resolved = os.path.normpath(joined)
        if not self.inside_repo(resolved):
            raise InputError(
                file,
                f"{label}: local registry path {value!r} is outside the repository",
                line=line,
            )
        return resolved

    # -- checksum -------------------------------------------------------------------------

    def checksum(self, data: LineDict, file: str) -> ChecksumSettings:
        block = get_map(data, "checksum", file)
        if block is None:
            return ChecksumSettings(line=data.key_line("checksum") if "checksum" in data else None)
        check_keys(block, _CHECKSUM_KEYS, file, "checksum")
        envs = get_list(block, "supported_envs", file, "checksum")
        supported: list[str] = []
        for index, env in enumerate(envs or ()):
            assert envs is not None
            if not isinstance(env, str) or env not in SUPPORTED_ENVS:
                raise InputError(
                    file,
                    f"checksum.supported_envs[{index}]: invalid environment {describe(env)} "
                    "(expected all, a GOOS, a GOARCH or GOOS/GOARCH of darwin, linux, "
                    "windows and amd64, arm64)",
                    line=envs.item_line(index),
                )
            supported.append(env)
        return ChecksumSettings(
            enabled=bool(get_bool(block, "enabled", file, "checksum")),
            require_checksum=bool(get_bool(block, "require_checksum", file, "checksum")),
            supported_envs=tuple(supported) or None,
            line=data.key_line("checksum"),
        )

    # -- packages -------------------------------------------------------------------------

    def packages(self, data: LineDict, path: Path) -> list[AquaPackageRef]:
        file = str(path)
        items = get_list(data, "packages", file)
        result: list[AquaPackageRef] = []
        for index, item in enumerate(items or ()):
            assert items is not None
            if item is None:
                continue  # reader.go readPackages skips null entries
            where = f"packages[{index}]"
            if not isinstance(item, LineDict):
                raise InputError(
                    file,
                    f"{where}: expected a mapping, got {describe(item)}",
                    line=items.item_line(index),
                )
            result.extend(self.package(item, path, where))
        import_dir = get_str(data, "import_dir", file)
        if import_dir:
            line = data.key_line("import_dir")
            for suffix in ("*.yml", "*.yaml"):
                pattern = import_dir.rstrip("/") + "/" + suffix
                result.extend(self.import_files(pattern, path, line))
        return result

    def package(self, item: LineDict, path: Path, where: str) -> list[AquaPackageRef]:
        file = str(path)
        check_keys(item, _PACKAGE_KEYS, file, where)
        for key in ("description", "link"):
            get_str(item, key, file, where)
        get_list(item, "tags", file, where)
        get_list(item, "command_aliases", file, where)
        get_map(item, "update", file, where)
        variables = get_map(item, "vars", file, where)
        written_name = get_str(item, "name", file, where) or ""
        written_version = get_str(item, "version", file, where) or ""
        registry = get_str(item, "registry", file, where) or "standard"
        import_glob = get_str(item, "import", file, where) or ""
        go_version_file = get_str(item, "go_version_file", file, where) or ""
        version_expr = get_str(item, "version_expr", file, where) or ""
        version_expr_prefix = get_str(item, "version_expr_prefix", file, where) or ""
        # config.go parseNameWithVersion: strings.Cut(name, "@").
        name, _, name_version = written_name.partition("@")
        name = name or written_name
        version = name_version or written_version
        line = item.line
        common: dict[str, Any] = {
            "registry": registry,
            "pinned": bool(written_version),
            "file": file,
            "line": line,
            "vars": variables if variables is not None else {},
        }
        # reader.go readPackage: go_version_file, then version_expr, then import.
        if go_version_file:
            resolved = os.path.normpath(str(path.parent) + os.sep + go_version_file)
            version = self.go_version(resolved, file, item.key_line("go_version_file"))
            self.require_name(name, file, line)
            return [AquaPackageRef(name=name, version=version, go_version_file=resolved, **common)]
        if version_expr:
            self.require_name(name, file, line)
            return [
                AquaPackageRef(
                    name=name,
                    version="",
                    version_expr=version_expr,
                    version_expr_prefix=version_expr_prefix,
                    **common,
                )
            ]
        if import_glob:
            return self.import_files(import_glob, path, item.key_line("import"))
        self.require_name(name, file, line)
        if not version:
            raise InputError(file, f"package {name!r} has no version", line=line)
        return [AquaPackageRef(name=name, version=version, **common)]

    @staticmethod
    def require_name(name: str, file: str, line: int) -> None:
        if not name:
            raise InputError(file, "a package has no name", line=line)

    def go_version(self, resolved: str, file: str, line: int) -> str:
        if not self.inside_repo(resolved):
            raise InputError(
                file, f"go_version_file {resolved!r} is outside the repository", line=line
            )
        try:
            text = read_text(Path(resolved), max_bytes=1024 * 1024)
        except InputError:
            return ""  # aqua logs the error and skips the package; the caller sees version ""
        m = _GO_VERSION_RE.search(text)
        return m.group(1) if m else ""

    def import_files(self, pattern: str, path: Path, line: int) -> list[AquaPackageRef]:
        file = str(path)
        # filepath.Join(dir, pattern): never absolute, cleaned.
        joined = os.path.normpath(str(path.parent) + os.sep + pattern)
        matches = sorted(glob.glob(joined, include_hidden=True))  # noqa: PTH207
        result: list[AquaPackageRef] = []
        for match in matches:
            child = Path(match)
            if not child.is_file():
                continue
            resolved = child.resolve()
            if not self.inside_repo(resolved):
                raise InputError(
                    file, f"import {pattern!r} matches {match}, outside the repository", line=line
                )
            if resolved in self.chain:
                cycle = " -> ".join(self.shown(p) for p in [*self.chain, resolved])
                raise InputError(file, f"import cycle: {cycle}", line=line)
            if len(self.chain) > _MAX_IMPORT_DEPTH:
                raise InputError(
                    file, f"imports are nested deeper than {_MAX_IMPORT_DEPTH} levels", line=line
                )
            if self.reads >= _MAX_IMPORT_READS:
                raise InputError(
                    file, f"imports read more than {_MAX_IMPORT_READS} files", line=line
                )
            data = self.read(child)
            self.registries(data, match, validate=False)  # type-checked, unused (as in aqua)
            self.checksum(data, match)
            self.imported.append(child)
            self.chain.append(resolved)
            try:
                result.extend(self.packages(data, child))
            finally:
                self.chain.pop()
        return result
