"""Terraform configuration: a module's provider requirements, module calls and backend.

Reads ``*.tf`` and ``*.tf.json`` with :mod:`depguard.formats.tf_scan`, then applies the rules
of Terraform v1.11's ``configs`` package:

* one ``required_providers`` block per module (``Duplicate required providers
  configuration``); a local name without a ``source`` is implied (``hashicorp/<name>``, or
  the built-in provider for ``terraform``);
* every ``resource``, ``data`` (also inside ``check``), ``ephemeral`` and ``import`` block
  needs the provider of its local name (``provider = aws.west`` or the type's first word),
  resolved against the module's own ``required_providers``; so does every ``provider`` block,
  whose deprecated ``version`` argument adds a constraint;
* :func:`provider_requirements` merges the root module with the local modules it calls
  (``./…``/``../…`` sources, recursively, each module read once) the way
  ``Config.ProviderRequirements`` does: constraint strings are appended per provider address.
  Built-in and legacy providers are reported apart because Terraform does not lock them.

Override files (``override.tf``, ``*_override.tf`` and their ``.tf.json`` forms) are applied
in a simplified way: their ``required_providers`` entries replace entries of the same name,
their ``required_version`` replaces the primary ones, a ``module`` block replaces the
``source``/``version`` it sets, a ``backend``/``cloud`` block replaces the primary one, and
provider uses in them are simply added (Terraform merges resource bodies attribute by
attribute). Remote modules (registry, git, …) are listed, not read.

Only :func:`load_module`, :func:`provider_requirements`, :func:`is_state_directory` and
:func:`remove_called_modules` touch the file system; :func:`build_module` is pure.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from depguard.errors import InputError
from depguard.formats.tf_address import implied_provider, parse_provider_part, parse_provider_source
from depguard.formats.tf_scan import RequiredProviderEntry, TfFile, scan_tf, scan_tf_json
from depguard.model import Location, ProviderAddress
from depguard.util.text import decode_utf8
from depguard.versions import Constraints, constraints_string, merge_constraints, parse_constraints

__all__ = [
    "ModuleCall",
    "ModuleConfig",
    "ProviderConfig",
    "ProviderRequirement",
    "ProviderUse",
    "RemoteModuleCall",
    "RequiredProvider",
    "Requirements",
    "VersionRequirement",
    "build_module",
    "is_local_module_source",
    "is_state_directory",
    "load_module",
    "local_module_dirs",
    "provider_requirements",
    "remove_called_modules",
]

LOCK_FILE_NAME = ".terraform.lock.hcl"
TFACTION_FILE_NAME = "tfaction.yaml"


# --- the model of one module ------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRequirement:
    """A ``required_version`` constraint string and where it is written."""

    value: str
    path: str
    line: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequiredProvider:
    """A ``required_providers`` entry, its local name resolved to an address."""

    name: str
    address: ProviderAddress
    source: str | None
    version: str | None
    path: str
    line: int | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleCall:
    """A ``module`` block."""

    name: str
    source: str
    version: str | None
    path: str
    line: int | None

    @property
    def is_local(self) -> bool:
        return is_local_module_source(self.source)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderConfig:
    """A ``provider`` configuration block (``version`` is the deprecated constraint)."""

    name: str
    alias: str | None
    version: str | None
    path: str
    line: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderUse:
    """A provider local name needed by a resource-like block."""

    local_name: str
    explicit: bool
    path: str
    line: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleConfig:
    """The parts of one module directory depguard needs."""

    path: str
    files: tuple[str, ...]
    required_version: tuple[VersionRequirement, ...]
    required_providers: tuple[RequiredProvider, ...]
    backend: str | None
    has_cloud: bool
    module_calls: tuple[ModuleCall, ...]
    provider_configs: tuple[ProviderConfig, ...]
    provider_uses: tuple[ProviderUse, ...]

    @property
    def has_backend(self) -> bool:
        return self.backend is not None

    def provider_for(self, local_name: str) -> ProviderAddress | None:
        """Resolve a local name like ``Module.ProviderForLocalConfig``.

        Returns the address from ``required_providers``, else the implied one; None when the
        name is not a valid provider type (Terraform reports that elsewhere).
        """
        for rp in self.required_providers:
            if rp.name == local_name:
                return rp.address
        try:
            return implied_provider(local_name)
        except ValueError:
            return None

    def local_requirements(self) -> Iterator[tuple[ProviderAddress, str | None, Location]]:
        """Yield (address, constraint string or None, location) for this module alone.

        Follows ``Config.addProviderRequirements``: ``required_providers`` entries, then
        provider uses, then provider blocks (with their deprecated ``version``).
        """
        for rp in self.required_providers:
            yield rp.address, rp.version, Location(path=rp.path, line=rp.line)
        for use in self.provider_uses:
            address = self.provider_for(use.local_name)
            if address is not None:
                yield address, None, Location(path=use.path, line=use.line)
        for pc in self.provider_configs:
            address = self.provider_for(pc.name)
            if address is not None:
                yield address, pc.version, Location(path=pc.path, line=pc.line)


# --- building a module from scanned files -----------------------------------------------


def _is_override(name: str) -> bool:
    stem = name[:-8] if name.endswith(".tf.json") else name[:-3]
    return stem == "override" or stem.endswith("_override")


def _constraint_error(path: str, line: int | None, err: ValueError) -> InputError:
    msg = str(err)
    if not msg.startswith("This string"):
        msg = f"Incorrect version constraint syntax: {msg}."
    return InputError(path, f"Invalid version constraint: {msg}", line=line)


def _resolve_entry(entry: RequiredProviderEntry, path: str) -> RequiredProvider:
    # configs.decodeRequiredProvidersBlock for one entry.
    try:
        if parse_provider_part(entry.name) != entry.name:
            raise ValueError("must be written in lower case")
    except ValueError as e:
        raise InputError(
            path,
            f"Invalid provider local name: {entry.name} is an invalid provider local name: {e}",
            line=entry.line,
        ) from None
    if entry.version is not None:
        try:
            parse_constraints(entry.version)
        except ValueError as e:
            raise _constraint_error(path, entry.line, e) from None
    if entry.source is not None:
        try:
            address = parse_provider_source(entry.source)
        except ValueError as e:
            raise InputError(path, str(e), line=entry.line) from None
    else:
        address = implied_provider(entry.name)
    return RequiredProvider(
        name=entry.name,
        address=address,
        source=entry.source,
        version=entry.version,
        path=path,
        line=entry.line,
        aliases=entry.aliases,
    )


def build_module(files: Iterable[TfFile], display_path: str) -> ModuleConfig:
    """Combine the scanned files of one module directory (``configs.NewModule``).

    Files whose names mark them as override files are applied after the others (see the
    module docstring). Returns the :class:`ModuleConfig`; raises
    :class:`~depguard.errors.InputError` for a duplicate ``required_providers`` block, an
    invalid provider source, local name or version constraint, or a module without source.
    """
    primary: list[TfFile] = []
    overrides: list[TfFile] = []
    for f in files:
        (overrides if _is_override(posixpath.basename(f.path)) else primary).append(f)

    required: dict[str, RequiredProvider] = {}
    first_block: tuple[str, int | None] | None = None
    for f in primary:
        for block in f.required_providers:
            line = block[0].line if block else None
            if first_block is not None:
                where = f"{first_block[0]}:{first_block[1]}" if first_block[1] else first_block[0]
                raise InputError(
                    f.path,
                    "Duplicate required providers configuration: A module may have only one "
                    f"required providers configuration. The required providers were previously "
                    f"configured at {where}.",
                    line=line,
                )
            first_block = (f.path, line)
            for entry in block:
                required[entry.name] = _resolve_entry(entry, f.path)
    for f in overrides:
        for block in f.required_providers:
            for entry in block:
                required[entry.name] = _resolve_entry(entry, f.path)

    versions = [
        VersionRequirement(value=a.value, path=f.path, line=a.line)
        for f in primary
        for a in f.required_versions
    ]
    for f in overrides:
        if f.required_versions:
            versions = [
                VersionRequirement(value=a.value, path=f.path, line=a.line)
                for a in f.required_versions
            ]

    backend: str | None = None
    has_cloud = False
    for f in primary:
        if f.backends:
            backend = f.backends[0].value
        has_cloud = has_cloud or bool(f.clouds)
    for f in overrides:
        if f.backends:
            backend, has_cloud = f.backends[0].value, False
        if f.clouds:
            backend, has_cloud = None, True

    calls: dict[str, ModuleCall] = {}
    for f in primary:
        for mc in f.module_calls:
            if mc.source is None:
                raise InputError(
                    f.path,
                    f'Missing required argument: The argument "source" is required in module '
                    f'"{mc.name}", but no definition was found.',
                    line=mc.line,
                )
            calls[mc.name] = ModuleCall(
                name=mc.name, source=mc.source, version=mc.version, path=f.path, line=mc.line
            )
    for f in overrides:
        for mc in f.module_calls:
            base = calls.get(mc.name)
            if base is not None:
                calls[mc.name] = ModuleCall(
                    name=mc.name,
                    source=mc.source if mc.source is not None else base.source,
                    version=mc.version if mc.version is not None else base.version,
                    path=base.path,
                    line=base.line,
                )

    configs = [
        ProviderConfig(name=p.name, alias=p.alias, version=p.version, path=f.path, line=p.line)
        for f in (*primary, *overrides)
        for p in f.provider_blocks
    ]
    for pc in configs:
        if pc.version is not None:
            try:
                parse_constraints(pc.version)
            except ValueError as e:
                raise _constraint_error(pc.path, pc.line, e) from None
    uses = [
        ProviderUse(local_name=r.local_name, explicit=r.explicit, path=f.path, line=r.line)
        for f in (*primary, *overrides)
        for r in f.provider_refs
    ]
    return ModuleConfig(
        path=display_path,
        files=tuple(f.path for f in (*primary, *overrides)),
        required_version=tuple(versions),
        required_providers=tuple(required.values()),
        backend=backend,
        has_cloud=has_cloud,
        module_calls=tuple(calls.values()),
        provider_configs=tuple(configs),
        provider_uses=tuple(uses),
    )


# --- reading directories ----------------------------------------------------------------


def _join(display_dir: str, name: str) -> str:
    return name if display_dir in ("", ".") else f"{display_dir}/{name}"


def _is_ignored(name: str) -> bool:
    # configs.IsIgnoredFile: hidden files, editor backups and Emacs autosaves.
    return (
        name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#"))
    )


def _config_files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if (p.name.endswith(".tf") or p.name.endswith(".tf.json"))
        and not _is_ignored(p.name)
        and p.is_file()
    )


def load_module(directory: Path, display_path: str) -> ModuleConfig:
    """Read every ``*.tf`` and ``*.tf.json`` file of one directory (not subdirectories).

    ``display_path`` is the directory as shown to users (relative to the repository root);
    file paths in the result and in errors are built from it. Returns the
    :class:`ModuleConfig`. Raises :class:`~depguard.errors.InputError` when the directory
    cannot be read or a file is malformed.
    """
    try:
        paths = _config_files(directory)
    except OSError as e:
        raise InputError(display_path, f"Unreadable module directory: {e.strerror}.") from None
    files: list[TfFile] = []
    for p in paths:
        shown = _join(display_path, p.name)
        try:
            raw = p.read_bytes()
        except OSError as e:
            raise InputError(shown, f"Failed to read file: {e.strerror}.") from None
        text = decode_utf8(raw, shown)
        if p.name.endswith(".tf.json"):
            files.append(scan_tf_json(text, shown))
        else:
            files.append(scan_tf(text, shown))
    return build_module(files, display_path)


def local_module_dirs(directory: Path) -> tuple[Path, ...]:
    """Return the directories ``directory``'s configuration calls as local modules.

    Only direct calls (``./…``, ``../…`` sources), in file order, not resolved. Raises
    :class:`~depguard.errors.InputError` when the configuration cannot be read.
    """
    config = load_module(directory, ".")
    return tuple(
        directory / mc.source.replace("\\", "/") for mc in config.module_calls if mc.is_local
    )


def is_local_module_source(source: str) -> bool:
    """True for a local path module source (``addrs.ParseModuleSource``: ``./`` or ``../``)."""
    return source.startswith(("./", "../", ".\\", "..\\"))


# --- requirements of a module tree ------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderRequirement:
    """All constraints on one provider across a module tree, and where they come from."""

    address: ProviderAddress
    constraints: tuple[str, ...]
    locations: tuple[Location, ...]

    def merged(self) -> Constraints:
        """Return the intersection of all constraints (raises ``ValueError`` if malformed)."""
        return merge_constraints(*self.constraints)

    @property
    def constraints_string(self) -> str:
        """The canonical string Terraform writes to the lock file's ``constraints``."""
        return constraints_string(self.merged())

    @property
    def where(self) -> str:
        """The first place the provider is required, as ``path:line`` (or ``path``)."""
        first = self.locations[0] if self.locations else None
        if first is None:
            return ""
        return f"{first.path}:{first.line}" if first.line is not None else first.path


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteModuleCall:
    """A call of a non-local module somewhere in the tree (not read by depguard)."""

    module: str
    name: str
    source: str
    version: str | None
    path: str
    line: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirements:
    """The merged provider requirements of a root module and its local modules."""

    root: str
    required_version: tuple[VersionRequirement, ...]
    providers: tuple[ProviderRequirement, ...]
    unlockable: tuple[ProviderRequirement, ...]
    module_calls: tuple[RemoteModuleCall, ...]
    modules: tuple[str, ...]

    def get(self, address: ProviderAddress) -> ProviderRequirement | None:
        """Return the requirement for ``address`` (lockable providers only), or None."""
        for p in self.providers:
            if p.address == address:
                return p
        return None


def provider_requirements(root: Path, display_root: str) -> Requirements:
    """Merge the provider requirements of ``root`` and the local modules it calls.

    Local calls (``./…``, ``../…``) are followed recursively; a directory is read once, so
    cycles end. Constraint strings are collected per provider address in discovery order;
    built-in (``terraform.io/builtin/…``) and legacy providers go to ``unlockable``. Returns
    :class:`Requirements` with providers sorted by address. Raises
    :class:`~depguard.errors.InputError` for unreadable or malformed configuration,
    including a local module directory that does not exist.
    """
    constraints: dict[ProviderAddress, list[str]] = {}
    locations: dict[ProviderAddress, list[Location]] = {}
    remote: list[RemoteModuleCall] = []
    modules: list[str] = []
    seen: set[Path] = set()
    root_config: ModuleConfig | None = None
    pending: list[tuple[Path, str, ModuleCall | None]] = [(root, display_root, None)]
    while pending:
        directory, shown, call = pending.pop(0)
        try:
            # The root is canonical already (discovery resolves it); modules may be reached
            # through symlinks, so resolve those for cycle detection.
            key = directory.absolute() if call is None else directory.resolve()
        except OSError:
            key = directory
        if key in seen:
            continue
        if call is not None and not directory.is_dir():
            raise InputError(
                call.path,
                f'Unreadable module directory: The directory "{shown}" called by module '
                f'"{call.name}" could not be read.',
                line=call.line,
            )
        seen.add(key)
        config = load_module(directory, shown)
        if root_config is None:
            root_config = config
        modules.append(shown)
        for address, constraint, location in config.local_requirements():
            constraints.setdefault(address, [])
            locations.setdefault(address, []).append(location)
            if constraint is not None:
                constraints[address].append(constraint)
        for mc in config.module_calls:
            if mc.is_local:
                source = mc.source.replace("\\", "/")
                pending.append(
                    (directory / source, posixpath.normpath(posixpath.join(shown, source)), mc)
                )
            else:
                remote.append(
                    RemoteModuleCall(
                        module=shown,
                        name=mc.name,
                        source=mc.source,
                        version=mc.version,
                        path=mc.path,
                        line=mc.line,
                    )
                )
    assert root_config is not None
    reqs = [
        ProviderRequirement(
            address=address,
            constraints=tuple(constraints[address]),
            locations=tuple(locations[address]),
        )
        for address in sorted(constraints)
    ]
    return Requirements(
        root=display_root,
        required_version=root_config.required_version,
        providers=tuple(r for r in reqs if r.address.is_lockable),
        unlockable=tuple(r for r in reqs if not r.address.is_lockable),
        module_calls=tuple(remote),
        modules=tuple(modules),
    )


# --- state directories ------------------------------------------------------------------


def is_state_directory(directory: Path) -> bool:
    """True when ``directory`` looks like a Terraform working directory (a state directory).

    That is: it has a ``.terraform.lock.hcl``, a ``tfaction.yaml``, or Terraform
    configuration files of its own. Directories that are only called as local modules must
    then be removed with :func:`remove_called_modules`.
    """
    if (directory / LOCK_FILE_NAME).is_file() or (directory / TFACTION_FILE_NAME).is_file():
        return True
    try:
        return bool(_config_files(directory))
    except OSError:
        return False


def remove_called_modules(candidates: Iterable[Path]) -> tuple[Path, ...]:
    """Drop the candidates that another candidate calls as a local module (transitively).

    A directory called through ``./…``/``../…`` module sources is a module, not a state
    directory, unless it has a ``tfaction.yaml`` (an explicit tfaction working directory).
    Candidates whose configuration cannot be read are kept and call nothing; the error
    surfaces when that directory is verified. Returns the remaining candidates in their
    given order.
    """
    given = list(candidates)
    called: set[Path] = set()
    for start in given:
        stack = [start]
        visited: set[Path] = set()
        while stack:
            directory = stack.pop()
            key = _resolved(directory)
            if key in visited:
                continue
            visited.add(key)
            try:
                config = load_module(directory, ".")
            except InputError:
                continue
            for mc in config.module_calls:
                if mc.is_local:
                    target = directory / mc.source.replace("\\", "/")
                    if _resolved(target) != _resolved(start):
                        called.add(_resolved(target))
                    stack.append(target)
    return tuple(
        c for c in given if _resolved(c) not in called or (c / TFACTION_FILE_NAME).is_file()
    )


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path
