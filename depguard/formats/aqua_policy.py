"""``aqua-policy.yaml``: the model, a strict parser and aqua's exact matching rules.

Sources (aquaproj/aqua ``pkg/policy``): ``config.go`` ``Init`` (a ``standard`` registry becomes
github_content aquaproj/aqua-registry, ``path`` defaulting to ``registry.yaml`` and ``name`` to
``standard``; local paths are made absolute against the policy file's directory; registries
are keyed by name, later ones replacing earlier ones; a package rule's ``registry`` defaults to
``standard`` and naming an unknown registry is an error), ``package.go`` (a rule matches when
every field it sets matches: ``name`` exactly, ``version`` as an expression, and its registry
*by fields, not by name*: same type; local: same absolute path; github_content: same
repo_owner, repo_name and path, and the ``ref`` expression, when set, true for the config's
ref), ``default.go`` (with no policy at all only the standard registry is allowed, any ref,
any package) and ``config_finder.go`` (the first of four names in the Git root).

Expressions are compiled with :mod:`depguard.aqua.expr` (imported lazily); an evaluation
error counts as "no match", as in aqua. Stricter than aqua: unknown keys, wrong types, null
entries (aqua panics on them), unknown registry types and a local registry without a path are
:class:`InputError` naming ``file:line``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from depguard.errors import InputError
from depguard.formats.aqua_config import (
    STANDARD_OWNER,
    STANDARD_PATH,
    STANDARD_REPO,
    AquaRegistryRef,
    read_text,
)
from depguard.formats.yaml_lines import (
    LineDict,
    LineList,
    check_keys,
    describe,
    get_list,
    get_str,
    load_yaml,
)

__all__ = [
    "DEFAULT_POLICY",
    "POLICY_FILE_NAMES",
    "Policy",
    "PolicyPackage",
    "PolicyRegistry",
    "check_package",
    "find_policy_files",
    "load_policy",
    "parse_policy",
]

# config_finder.go configFileNames, in aqua's order (".yml" is not supported).
POLICY_FILE_NAMES: Final = (
    "aqua-policy.yaml",
    ".aqua-policy.yaml",
    "aqua/aqua-policy.yaml",
    ".aqua/aqua-policy.yaml",
)
_TYPES: Final = ("standard", "github_content", "local")


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyRegistry:
    """A registry of a policy file, normalised as aqua's ``Config.Init`` does."""

    name: str
    type: str  # github_content | local
    declared_type: str
    repo_owner: str
    repo_name: str
    ref: str  # an expression; "" = any ref
    path: str  # github_content: path in the repository; local: absolute, lexically cleaned
    line: int
    ref_expr: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyPackage:
    """A package rule: every field that is set must match."""

    name: str  # "" = any package
    version: str  # an expression; "" = any version
    registry: PolicyRegistry
    line: int
    version_expr: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """One policy file: a package is allowed when any of its rules matches."""

    path: str
    registries: Mapping[str, PolicyRegistry]
    packages: tuple[PolicyPackage, ...]
    is_default: bool = False

    def match(
        self, *, name: str, version: str, registry: AquaRegistryRef, version_prefix: str = ""
    ) -> PolicyPackage | None:
        """Return the first rule that allows the package, or None."""
        for rule in self.packages:
            if _match_package(rule, name, version, registry, version_prefix, self.path):
                return rule
        return None


def _expr(source: str, where: str) -> Any:
    from depguard.aqua.expr import compile_expr

    return compile_expr(source, where=where)


def _try_compile(source: str, where: str) -> Any:
    """Compile now when the expression module is available; None defers to check time."""
    if not source:
        return None
    try:
        from depguard.aqua.expr import compile_expr
    except ImportError:  # pragma: no cover - only while the module is being written
        return None
    return compile_expr(source, where=where)


def _test(compiled: Any, source: str, where: str, version: str, prefix: str) -> bool:
    from depguard.aqua.expr import version_env

    expression = compiled if compiled is not None else _expr(source, where)
    return bool(expression.test(version_env(version, prefix=prefix)))


def _match_registry(registry: AquaRegistryRef, rule: PolicyRegistry, path: str) -> bool:
    # package.go matchRegistry.
    if registry.type != rule.type:
        return False
    if registry.type == "local":
        return registry.path == rule.path
    if (registry.repo_owner or "") != rule.repo_owner:
        return False
    if (registry.repo_name or "") != rule.repo_name:
        return False
    if registry.path != rule.path:
        return False
    if rule.ref:
        ref = registry.ref or ""
        return _test(rule.ref_expr, rule.ref, f"{path}:{rule.line}", ref, "")
    return True


def _match_package(
    rule: PolicyPackage,
    name: str,
    version: str,
    registry: AquaRegistryRef,
    prefix: str,
    path: str,
) -> bool:
    # package.go matchPkg.
    if rule.name and rule.name != name:
        return False
    if rule.version and not _test(
        rule.version_expr, rule.version, f"{path}:{rule.line}", version, prefix
    ):
        return False
    return _match_registry(registry, rule.registry, path)


def _registry(item: LineDict, path: str, where: str, base_dir: str) -> PolicyRegistry:
    check_keys(item, ("name", "type", "repo_owner", "repo_name", "ref", "path"), path, where)
    name = get_str(item, "name", path, where) or ""
    declared = get_str(item, "type", path, where) or ""
    owner = get_str(item, "repo_owner", path, where) or ""
    repo = get_str(item, "repo_name", path, where) or ""
    ref = get_str(item, "ref", path, where) or ""
    location = get_str(item, "path", path, where) or ""
    line = item.line
    if declared not in _TYPES:
        what = f"unknown registry type {declared!r}" if declared else "registry type is required"
        raise InputError(
            path, f"{where}: {what} (expected standard, github_content or local)", line=line
        )
    kind = declared
    if declared == "standard":
        # Init: owner and repo are forced, path and name only defaulted.
        kind = "github_content"
        owner, repo = STANDARD_OWNER, STANDARD_REPO
        location = location or STANDARD_PATH
        name = name or "standard"
    if kind == "local":
        if not location:
            raise InputError(path, f"{where}: a local registry requires path", line=line)
        joined = location if Path(location).is_absolute() else base_dir + os.sep + location
        location = os.path.normpath(joined)
    return PolicyRegistry(
        name=name,
        type=kind,
        declared_type=declared,
        repo_owner=owner,
        repo_name=repo,
        ref=ref,
        path=location,
        line=line,
        ref_expr=_try_compile(ref, f"{path}:{item.key_line('ref')}") if kind != "local" else None,
    )


def _items(data: LineDict, key: str, path: str) -> list[tuple[int, LineDict]]:
    items: LineList | None = get_list(data, key, path)
    result: list[tuple[int, LineDict]] = []
    for index, item in enumerate(items or ()):
        assert items is not None
        if not isinstance(item, LineDict):
            raise InputError(
                path,
                f"{key}[{index}]: expected a mapping, got {describe(item)}",
                line=items.item_line(index),
            )
        result.append((index, item))
    return result


def parse_policy(text: str, path: str, *, base_dir: Path | None = None) -> Policy:
    """Parse ``aqua-policy.yaml`` text; ``path`` is the display path used in errors.

    Local registry paths are resolved against ``base_dir`` (default: the directory of
    ``path``). Returns a :class:`Policy`; raises :class:`InputError` naming ``file:line`` for
    malformed input, an unknown registry in a package rule, or an expression outside the
    supported syntax.
    """
    data = load_yaml(text, path)
    if not isinstance(data, LineDict):
        raise InputError(path, f"the top level must be a mapping, got {describe(data)}", line=1)
    check_keys(data, ("registries", "packages"), path)
    directory = str((base_dir if base_dir is not None else Path(path).parent).absolute())
    registries: dict[str, PolicyRegistry] = {}
    for index, item in _items(data, "registries", path):
        registry = _registry(item, path, f"registries[{index}]", directory)
        registries[registry.name] = registry  # a later registry with the same name wins
    rules: list[PolicyPackage] = []
    for index, item in _items(data, "packages", path):
        where = f"packages[{index}]"
        check_keys(item, ("name", "version", "registry"), path, where)
        registry_name = get_str(item, "registry", path, where) or "standard"
        found = registries.get(registry_name)
        if found is None:
            known = ", ".join(repr(n) for n in registries) or "none"
            raise InputError(
                path,
                f"{where}: unknown registry {registry_name!r} (declared: {known})",
                line=item.key_line("registry"),
            )
        version = get_str(item, "version", path, where) or ""
        rules.append(
            PolicyPackage(
                name=get_str(item, "name", path, where) or "",
                version=version,
                registry=found,
                line=item.line,
                version_expr=_try_compile(version, f"{path}:{item.key_line('version')}"),
            )
        )
    return Policy(path=path, registries=MappingProxyType(registries), packages=tuple(rules))


def _default_policy() -> Policy:
    standard = PolicyRegistry(
        name="standard",
        type="github_content",
        declared_type="standard",
        repo_owner=STANDARD_OWNER,
        repo_name=STANDARD_REPO,
        ref="",
        path=STANDARD_PATH,
        line=0,
    )
    rule = PolicyPackage(name="", version="", registry=standard, line=0)
    return Policy(
        path="<aqua default policy>",
        registries=MappingProxyType({"standard": standard}),
        packages=(rule,),
        is_default=True,
    )


DEFAULT_POLICY: Final = _default_policy()


def load_policy(path: Path, display: str | None = None) -> Policy:
    """Read and parse the policy file at ``path`` (``display`` names it in errors).

    Returns a :class:`Policy`; raises :class:`InputError` when it cannot be read or is invalid.
    """
    shown = display if display is not None else str(path)
    return parse_policy(read_text(path, shown), shown, base_dir=path.parent)


def find_policy_files(git_root: Path) -> list[Path]:
    """Return the Git-root policy file aqua reads, as a list of zero or one path.

    aqua takes only the first existing of ``aqua-policy.yaml``, ``.aqua-policy.yaml``,
    ``aqua/aqua-policy.yaml`` and ``.aqua/aqua-policy.yaml`` (``config_finder.go``).
    """
    for name in POLICY_FILE_NAMES:
        candidate = git_root / name
        if candidate.is_file():
            return [candidate]
    return []


def _describe_registry(registry: AquaRegistryRef) -> str:
    if registry.type == "local":
        return f"local {registry.path}"
    return (
        f"github_content {registry.repo_owner}/{registry.repo_name}@{registry.ref} {registry.path}"
    )


def check_package(
    policies: Sequence[Policy],
    *,
    name: str,
    version: str,
    registry: AquaRegistryRef,
    version_prefix: str = "",
) -> str | None:
    """Apply aqua's policy check to one package; return None when allowed, else the reason.

    ``version_prefix`` is the registry package's ``version_prefix`` (trimmed for ``SemVer``).
    With no policies, aqua's default applies: only the standard registry, any ref, any
    package. Raises :class:`InputError` only for an expression that cannot be compiled.
    """
    effective = list(policies) or [DEFAULT_POLICY]
    for policy in effective:
        if policy.match(
            name=name, version=version, registry=registry, version_prefix=version_prefix
        ):
            return None
    shown = f"{name}@{version}" if version else name
    where = f"registry {registry.name!r} ({_describe_registry(registry)})"
    if not policies:
        return (
            f"{shown} from {where} is not allowed: with no aqua policy file only the standard "
            f"registry ({STANDARD_OWNER}/{STANDARD_REPO} {STANDARD_PATH}) is allowed"
        )
    files = ", ".join(p.path for p in policies)
    return f"{shown} from {where} is not allowed by the aqua policy ({files})"
