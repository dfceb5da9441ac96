"""aqua's package resolution, pure: registry entry + version + platform → concrete artifact.

The steps follow aqua (``aquaproj/aqua`` at the commit in the research notes) in its order:

1. version selection -- ``version_constraint`` / ``version_overrides`` / ``version_prefix``
   (``pkg/config/registry/version_override.go`` ``SetVersion``); an override's fields replace
   the base fields whole and a new ``type`` resets the fields that do not apply to it
   (``package_info.go`` ``overrideVersion``, ``resetByPkgType``);
2. platform overrides -- first matching ``format_overrides`` entry, then the first matching
   ``overrides`` entry (goos, goarch, envs, libc variants); override ``replacements`` are merged,
   every other field replaces (``package_info.go`` ``OverrideByRuntime``, ``override.go``);
3. support check -- ``supported_envs`` with ``rosetta2`` / ``windows_arm_emulation`` and the
   ``build`` fallback (``supported_envs.go`` ``CheckSupported``); ``no_asset`` /
   ``error_message`` (``installpackage/validate.go``);
4. templates (``pkg/config/package.go``, ``pkg/template``) rendered by the safe interpreter in
   :mod:`depguard.aqua.template`;
5. asset finishing -- ``append_ext``, ``windows_ext``, ``complete_windows_ext``
   (``package.go`` ``RenderAsset``/``appendExt``, ``windows_ext.go``);
6. checksum id (``pkg/config/checksum.go`` ``ChecksumID``), the checksum file and the signature
   files the registry declares (``registry/{checksum,cosign,slsa_provenance,minisign,
   github_cli}.go``).

Nothing here does I/O: the result names URLs; :mod:`depguard.sources.github` fetches them.
"""

from __future__ import annotations

import copy
import dataclasses
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from depguard.aqua.expr import constraint_true
from depguard.aqua.platform import PLATFORMS, AquaPlatform, GitHubUrls
from depguard.aqua.template import render
from depguard.errors import InputError
from depguard.net.urls import split_url

__all__ = [
    "NEVER_CHECKSUMMED",
    "PLATFORMS",
    "AquaPlatform",
    "Artifact",
    "AttestationSpec",
    "ChecksumFileSpec",
    "CosignSpec",
    "FileRef",
    "GitHubUrls",
    "MinisignSpec",
    "SlsaSpec",
    "checksum_platforms",
    "resolve",
]

NEVER_CHECKSUMMED = "never checksummed by aqua"

TYPES = frozenset(
    {"github_release", "github_content", "github_archive", "http", "go_install", "go_build"}
    | {"cargo"}
)
_NO_DOWNLOAD = frozenset({"go_install", "cargo"})
_REPO_TYPES = frozenset({"github_release", "github_content", "github_archive", "go_build"})
_ALGORITHMS = frozenset({"md5", "sha1", "sha256", "sha512"})
_GOOS = frozenset(p.goos for p in PLATFORMS)
_GOARCH = frozenset(p.goarch for p in PLATFORMS)

# pkg/asset RemoveExtFromAsset: archive extensions, checked in this order.
# fmt: off
_ARCHIVE_EXTS = (
    "tar.br", "tar.bz2", "tar.gz", "tar.lz4", "tar.sz", "tar.xz", "tbr", "tbz", "tbz2", "tgz",
    "tlz4", "tsz", "txz", "tar.zst", "zip", "gz", "bz2", "lz4", "sz", "xz", "zst", "dmg", "pkg",
    "rar", "tar",
)
# fmt: on


# --- result model -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FileRef:
    """A downloadable file (asset, checksum file, signature …) rendered from the registry."""

    url: str
    kind: str  # github_release | http | github_content | github_archive
    repo_owner: str | None = None
    repo_name: str | None = None
    tag: str | None = None
    asset: str | None = None  # release asset name (github_release) or path (github_content)


@dataclass(frozen=True, slots=True, kw_only=True)
class CosignSpec:
    """A cosign check as the registry declares it (opts rendered)."""

    opts: tuple[str, ...]
    signature: FileRef | None
    certificate: FileRef | None
    key: FileRef | None
    bundle: FileRef | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SlsaSpec:
    """An SLSA provenance check (``slsa-verifier verify-artifact``)."""

    provenance: FileRef
    source_uri: str
    source_tag: str | None  # None when the registry says "-"


@dataclass(frozen=True, slots=True, kw_only=True)
class MinisignSpec:
    """A minisign check: the signature file and the public key it must verify with."""

    signature: FileRef
    public_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AttestationSpec:
    """A GitHub artifact attestation check (``gh attestation verify -R owner/repo``)."""

    repo_owner: str
    repo_name: str
    signer_workflow: str | None
    predicate_type: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksumFileSpec:
    """The upstream checksum file of a package and the signatures that cover it."""

    file: FileRef
    algorithm: str
    file_format: str  # "" | "raw" | "regexp"
    pattern_checksum: str | None
    pattern_file: str | None
    cosign: CosignSpec | None
    minisign: MinisignSpec | None
    attestations: AttestationSpec | None

    @property
    def id(self) -> str:
        """Deduplication key: one download per rendered checksum-file URL."""
        return self.file.url


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifact:
    """What aqua would download for one package, version and platform."""

    package: str
    version: str
    platform: AquaPlatform
    type: str
    supported: bool
    reason: str | None
    url: str | None
    asset: str | None
    checksum_id: str | None
    checksum_file: ChecksumFileSpec | None
    cosign: CosignSpec | None
    slsa: SlsaSpec | None
    minisign: MinisignSpec | None
    attestations: AttestationSpec | None
    file: FileRef | None = None  # the artifact download itself (None when nothing is fetched)

    @property
    def evidence(self) -> tuple[str, ...]:
        """Evidence kinds the registry declares (DESIGN §1 names), checksum-level included."""
        chk = self.checksum_file
        kinds: list[str] = []
        if chk is not None:
            kinds.append("checksum-file")
        if self.cosign is not None or (chk is not None and chk.cosign is not None):
            kinds.append("cosign")
        if self.slsa is not None:
            kinds.append("slsa")
        if self.attestations is not None or (chk is not None and chk.attestations is not None):
            kinds.append("github-attestation")
        if self.minisign is not None or (chk is not None and chk.minisign is not None):
            kinds.append("minisign")
        return tuple(kinds)


# --- input access ---------------------------------------------------------------------------


def _line(node: object, key: str | None = None) -> int | None:
    if key is not None:
        key_line = getattr(node, "key_line", None)
        if callable(key_line):
            try:
                value = key_line(key)
            except (KeyError, TypeError, ValueError):
                value = None
            if isinstance(value, int):
                return value
    value = getattr(node, "line", None)
    return value if isinstance(value, int) else None


class _Ctx:
    """Error context: the registry file and the package being resolved."""

    def __init__(self, where: str, name: str, node: object) -> None:
        self.where = where
        self.name = name
        self.node = node

    def error(self, message: str, node: object = None, key: str | None = None) -> InputError:
        line = _line(node, key) if node is not None else None
        if line is None:
            line = _line(self.node)
        return InputError(self.where, f"package {self.name}: {message}", line=line)

    def render(self, template: str, data: Mapping[str, object], what: str) -> str:
        try:
            return render(template, data, where=self.where)
        except InputError as e:
            raise self.error(f"{what}: {e.reason}") from e


def _str(m: Mapping[str, Any], key: str, ctx: _Ctx) -> str | None:
    v = m.get(key)
    if v is None or isinstance(v, str):
        return v
    # yaml.v3 decodes any scalar into a string field using its text as written (1.10 stays
    # "1.10"); a LineDict keeps that text, plain mappings only give Python's value back.
    source_text = getattr(m, "source_text", None)
    text = source_text(key) if callable(source_text) else None
    if isinstance(text, str):
        return text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    raise ctx.error(f"{key} must be a string, not {type(v).__name__}", m, key)


def _bool(m: Mapping[str, Any], key: str, ctx: _Ctx) -> bool | None:
    v = m.get(key)
    if v is None or isinstance(v, bool):
        return v
    raise ctx.error(f"{key} must be a boolean, not {type(v).__name__}", m, key)


def _map(m: Mapping[str, Any], key: str, ctx: _Ctx) -> Mapping[str, Any] | None:
    v = m.get(key)
    if v is None or isinstance(v, Mapping):
        return v
    raise ctx.error(f"{key} must be a mapping", m, key)


def _maps(m: Mapping[str, Any], key: str, ctx: _Ctx) -> list[Mapping[str, Any]] | None:
    v = m.get(key)
    if v is None:
        return None
    if isinstance(v, list | tuple) and all(isinstance(x, Mapping) or x is None for x in v):
        return [x for x in v if x is not None]
    raise ctx.error(f"{key} must be a list of mappings", m, key)


def _strs(m: Mapping[str, Any], key: str, ctx: _Ctx) -> list[str] | None:
    v = m.get(key)
    if v is None:
        return None
    if isinstance(v, list | tuple) and all(isinstance(x, str) for x in v):
        return list(v)
    raise ctx.error(f"{key} must be a list of strings", m, key)


def _str_map(m: Mapping[str, Any], key: str, ctx: _Ctx) -> dict[str, str] | None:
    v = m.get(key)
    if v is None:
        return None
    if isinstance(v, Mapping):
        out: dict[str, str] = {}
        for k, val in v.items():
            if val is None:
                val = ""
            if isinstance(val, bool) or not isinstance(val, str | int):
                raise ctx.error(f"{key}.{k} must be a string", v, str(k))
            out[str(k)] = str(val)
        return out
    raise ctx.error(f"{key} must be a mapping of strings", m, key)


# --- aqua's PackageInfo, as a mutable working copy -------------------------------------------


@dataclass(slots=True)
class _Info:
    name: str = ""
    type: str = ""
    repo_owner: str = ""
    repo_name: str = ""
    asset: str = ""
    crate: str = ""
    url: str = ""
    path: str = ""
    format: str = ""
    version_prefix: str = ""
    rosetta2: bool = False
    windows_arm_emulation: bool = False
    no_asset: bool = False
    complete_windows_ext: bool | None = None
    windows_ext: str = ""
    error_message: str = ""
    append_ext: bool | None = None
    cargo: Mapping[str, Any] | None = None
    build: Mapping[str, Any] | None = None
    overrides: list[Mapping[str, Any]] | None = None
    format_overrides: list[Mapping[str, Any]] | None = None
    files: list[Mapping[str, Any]] | None = None
    replacements: dict[str, str] | None = None
    supported_envs: list[str] | None = None
    checksum: Mapping[str, Any] | None = None
    cosign: Mapping[str, Any] | None = None
    slsa_provenance: Mapping[str, Any] | None = None
    minisign: Mapping[str, Any] | None = None
    github_artifact_attestations: Mapping[str, Any] | None = None
    vars: list[Mapping[str, Any]] | None = None
    version_constraint: str = ""
    version_overrides: list[Mapping[str, Any]] | None = field(default=None)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], ctx: _Ctx) -> _Info:
        info = cls()
        for key in ("name", "type", "repo_owner", "repo_name", "asset", "crate", "url", "path"):
            setattr(info, key, _str(raw, key, ctx) or "")
        info.format = _str(raw, "format", ctx) or ""
        info.version_prefix = _str(raw, "version_prefix", ctx) or ""
        info.windows_ext = _str(raw, "windows_ext", ctx) or ""
        info.version_constraint = _str(raw, "version_constraint", ctx) or ""
        info.rosetta2 = bool(_bool(raw, "rosetta2", ctx))
        info.windows_arm_emulation = bool(_bool(raw, "windows_arm_emulation", ctx))
        info.no_asset = bool(_bool(raw, "no_asset", ctx))
        info.complete_windows_ext = _bool(raw, "complete_windows_ext", ctx)
        info.append_ext = _bool(raw, "append_ext", ctx)
        # error_message is `yaml:"-"` on PackageInfo: only version overrides can set it.
        info.cargo = _map(raw, "cargo", ctx)
        info.build = _map(raw, "build", ctx)
        info.overrides = _maps(raw, "overrides", ctx)
        info.format_overrides = _maps(raw, "format_overrides", ctx)
        info.files = _maps(raw, "files", ctx)
        info.replacements = _str_map(raw, "replacements", ctx)
        info.supported_envs = _strs(raw, "supported_envs", ctx)
        info.vars = _maps(raw, "vars", ctx)
        info.version_overrides = _maps(raw, "version_overrides", ctx)
        _take_blocks(info, raw, ctx)
        return info

    def reset_by_type(self, typ: str) -> None:
        """``resetByPkgType``: clear the fields that do not apply to ``typ``."""
        if typ not in TYPES:
            return
        if typ != "http":
            self.url = ""
        if typ in ("github_release", "github_archive", "http", "cargo"):
            self.path = ""
        if typ != "github_release":
            self.asset = ""
        if typ not in ("http", "cargo"):
            self.crate = ""
            self.cargo = None
        if typ in ("github_archive", "go_install", "go_build", "cargo"):
            self.format = ""
        if typ in ("go_install", "go_build", "cargo"):
            self.windows_ext = ""
            self.complete_windows_ext = None
            self.cosign = None
            self.slsa_provenance = None
            self.minisign = None
            self.github_artifact_attestations = None
            self.rosetta2 = False
            self.windows_arm_emulation = False
            self.append_ext = None


_BLOCKS = ("checksum", "cosign", "slsa_provenance", "minisign", "github_artifact_attestations")


def _take_blocks(info: _Info, m: Mapping[str, Any], ctx: _Ctx) -> None:
    for key in _BLOCKS:
        block = _map(m, key, ctx)
        if block is not None:
            setattr(info, key, block)


def _package_name(raw: Mapping[str, Any]) -> str:
    name = raw.get("name")
    if isinstance(name, str) and name:
        return name
    owner, repo = raw.get("repo_owner"), raw.get("repo_name")
    if isinstance(owner, str) and isinstance(repo, str) and owner and repo:
        return f"{owner}/{repo}"
    path = raw.get("path")
    return path if isinstance(path, str) else ""


# --- step 1: version selection ---------------------------------------------------------------


def _constraint(source: str, version: str, prefix: str, ctx: _Ctx, node: object) -> bool:
    # aqua compiles the constraint with expr-lang and treats any error as false; an empty
    # constraint does not compile. Syntax outside our subset is an input error instead, so a
    # constraint we cannot read never silently selects the wrong override.
    if not source.strip():
        return False
    if prefix and not version.startswith(prefix):
        return False
    try:
        return constraint_true(source, version, prefix=prefix, where=ctx.where)
    except InputError as e:
        raise ctx.error(f"version_constraint: {e.reason}", node, "version_constraint") from e


def _override_version(base: _Info, vo: Mapping[str, Any], ctx: _Ctx) -> _Info:
    """``overrideVersion``: every field the override sets replaces the base field whole."""
    info = copy.copy(base)
    typ = _str(vo, "type", ctx)
    if typ:
        info.reset_by_type(typ)
        info.type = typ
    for key in ("repo_owner", "repo_name", "asset", "crate", "path", "format", "url"):
        value = _str(vo, key, ctx)
        if value:
            setattr(info, key, value)
    for key, getter in (
        ("cargo", _map),
        ("files", _maps),
        ("replacements", _str_map),
        ("overrides", _maps),
        ("format_overrides", _maps),
        ("supported_envs", _strs),
        ("build", _map),
        ("vars", _maps),
    ):
        block = getter(vo, key, ctx)
        if block is not None:
            setattr(info, key, block)
    prefix = _str(vo, "version_prefix", ctx)
    if prefix is not None:
        info.version_prefix = prefix
    for key in ("rosetta2", "windows_arm_emulation", "no_asset"):
        flag = _bool(vo, key, ctx)
        if flag is not None:
            setattr(info, key, flag)
    for key in ("complete_windows_ext", "append_ext"):
        flag = _bool(vo, key, ctx)
        if flag is not None:
            setattr(info, key, flag)
    windows_ext = _str(vo, "windows_ext", ctx)
    if windows_ext:
        info.windows_ext = windows_ext
    message = _str(vo, "error_message", ctx)
    if message is not None:
        info.error_message = message
    _take_blocks(info, vo, ctx)
    return info


def _set_version(info: _Info, version: str, ctx: _Ctx) -> _Info:
    """``SetVersion``: the top-level config, or the first matching version override."""
    if not info.version_constraint:
        return info
    if _constraint(info.version_constraint, version, info.version_prefix, ctx, ctx.node):
        return copy.copy(info)
    for vo in info.version_overrides or ():
        prefix = info.version_prefix
        own = _str(vo, "version_prefix", ctx)
        if own is not None:
            prefix = own
        source = _str(vo, "version_constraint", ctx) or ""
        if _constraint(source, version, prefix, ctx, vo):
            return _override_version(info, vo, ctx)
    return copy.copy(info)


# --- step 2: platform overrides ------------------------------------------------------------------


def _match_envs(
    envs: Iterable[str], goos: str, goarch: str, *, rosetta2: bool, emulation: bool
) -> bool:
    """``matchEnvs`` (supported_envs.go)."""
    envs = list(envs)
    env = f"{goos}/{goarch}"
    if any(e in (goos, goarch, env, "all") for e in envs):
        return True
    if (
        rosetta2
        and goos == "darwin"
        and goarch == "arm64"
        and any(e in ("amd64", "darwin/amd64") for e in envs)
    ):
        return True
    if emulation and goos == "windows" and goarch == "arm64":
        return any(e in ("amd64", "windows/amd64") for e in envs)
    return False


def _match_platform(ov: Mapping[str, Any], platform: AquaPlatform, ctx: _Ctx) -> bool:
    goos = _str(ov, "goos", ctx)
    goarch = _str(ov, "goarch", ctx)
    if goos and goos != platform.goos:
        return False
    if goarch and goarch != platform.goarch:
        return False
    envs = _strs(ov, "envs", ctx)
    return envs is None or _match_envs(
        envs, platform.goos, platform.goarch, rosetta2=False, emulation=False
    )


def _variants(ov: Mapping[str, Any], ctx: _Ctx) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for v in _maps(ov, "variants", ctx) or ():
        out.append((_str(v, "key", ctx) or "", _str(v, "value", ctx) or ""))
    return out


def _match_override(ov: Mapping[str, Any], platform: AquaPlatform, ctx: _Ctx) -> bool:
    """``Override.Match``: platform fields, then every variant (only ``libc`` is known)."""
    if not _match_platform(ov, platform, ctx):
        return False
    for key, value in _variants(ov, ctx):
        if key != "libc" or (platform.libc or "") != value:
            return False
    return True


def _override_by_runtime(base: _Info, platform: AquaPlatform, ctx: _Ctx) -> _Info:
    """``OverrideByRuntime``: format_overrides, then the first matching override."""
    info = copy.copy(base)
    for fo in info.format_overrides or ():
        if _str(fo, "goos", ctx) == platform.goos:
            info.format = _str(fo, "format", ctx) or ""
            break
    ov = next((o for o in info.overrides or () if _match_override(o, platform, ctx)), None)
    if ov is None:
        return info
    typ = _str(ov, "type", ctx)
    if typ:
        info.reset_by_type(typ)
        info.type = typ
    for key in ("asset", "crate", "url", "path", "format", "windows_ext"):
        value = _str(ov, key, ctx)
        if value:
            setattr(info, key, value)
    cargo = _map(ov, "cargo", ctx)
    if cargo is not None:
        info.cargo = cargo
    files = _maps(ov, "files", ctx)
    if files is not None:
        info.files = files
    # Override replacements are merged over the package's (unlike version overrides).
    replacements = _str_map(ov, "replacements", ctx)
    if info.replacements is None:
        info.replacements = replacements
    else:
        info.replacements = {**info.replacements, **(replacements or {})}
    for key in ("complete_windows_ext", "append_ext"):
        flag = _bool(ov, key, ctx)
        if flag is not None:
            setattr(info, key, flag)
    _take_blocks(info, ov, ctx)
    ov_vars = _maps(ov, "vars", ctx)
    if ov_vars is not None:
        info.vars = ov_vars
    return info


# --- step 3: support ------------------------------------------------------------------------


def _check_supported(info: _Info, platform: AquaPlatform, ctx: _Ctx) -> bool:
    """``CheckSupported``: supported_envs, else the ``build`` fallback when it applies."""
    if info.supported_envs is None or _match_envs(
        info.supported_envs,
        platform.goos,
        platform.goarch,
        rosetta2=info.rosetta2,
        emulation=info.windows_arm_emulation,
    ):
        return True
    build = info.build
    if build is None:
        return False
    enabled = _bool(build, "enabled", ctx)
    if enabled is False:
        return False
    excluded = _strs(build, "excluded_envs", ctx)
    if excluded is not None and _match_envs(
        excluded,
        platform.goos,
        platform.goarch,
        rosetta2=info.rosetta2,
        emulation=info.windows_arm_emulation,
    ):
        return False
    # OverrideByBuild
    typ = _str(build, "type", ctx) or ""
    if info.type != typ:
        info.reset_by_type(typ)
        info.type = typ
    path = _str(build, "path", ctx)
    if path:
        info.path = path
    files = _maps(build, "files", ctx)
    if files is not None:
        info.files = files
    return True


# --- steps 4-6: templates, asset, ids ----------------------------------------------------------


def _remove_ext(asset: str) -> tuple[str, str]:
    """``asset.RemoveExtFromAsset``: (name without archive extension, format or "raw")."""
    for ext in _ARCHIVE_EXTS:
        if asset.endswith("." + ext):
            return asset[: -len(ext) - 1], ext
    return asset, "raw"


def _append_ext(s: str, fmt: str) -> str:
    if _remove_ext(s)[1] != "raw" or fmt in ("raw", "") or s.endswith("." + fmt):
        return s
    return f"{s}.{fmt}"


def _go_ext(s: str) -> str:
    """filepath.Ext on a Unix host."""
    for i in range(len(s) - 1, -1, -1):
        if s[i] == "/":
            break
        if s[i] == ".":
            return s[i:]
    return ""


def _go_path_base(p: str) -> str:
    if p == "":
        return "."
    p = p.rstrip("/")
    if p == "":
        return "/"
    return p.rsplit("/", 1)[-1]


def _go_path_join(*elems: str) -> str:
    parts = [e for e in elems if e]
    if not parts:
        return ""
    # The first element is never empty or absolute here, so normpath equals Go's path.Clean.
    return posixpath.normpath("/".join(parts))


class _Renderer:
    """Template data and asset rendering for one resolved package on one platform."""

    def __init__(
        self,
        info: _Info,
        version: str,
        platform: AquaPlatform,
        pkg_vars: Mapping[str, object],
        ctx: _Ctx,
    ) -> None:
        self.info = info
        self.version = version
        self.platform = platform
        self.vars = pkg_vars
        self.ctx = ctx
        prefix = info.version_prefix
        self.semver = version.removeprefix(prefix) if prefix else version

    def fmt(self) -> str:
        """``GetFormat``."""
        return "tar.gz" if self.info.type in ("github_archive", "go_build") else self.info.format

    def os_arch(self, replacements: Mapping[str, str] | None) -> tuple[str, str]:
        repl = replacements or {}
        p = self.platform
        os_name = repl.get(p.goos) or p.goos
        arch = p.goarch
        if (self.info.rosetta2 and p.goos == "darwin" and p.goarch == "arm64") or (
            self.info.windows_arm_emulation and p.goos == "windows" and p.goarch == "arm64"
        ):
            arch = "amd64"
        return os_name, repl.get(arch) or arch

    def data(
        self, replacements: Mapping[str, str] | None = None, **extra: object
    ) -> dict[str, object]:
        os_name, arch = self.os_arch(
            self.info.replacements if replacements is None else replacements
        )
        data: dict[str, object] = {
            "Version": self.version,
            "SemVer": self.semver,
            "GOOS": self.platform.goos,
            "GOARCH": self.platform.goarch,
            "OS": os_name,
            "Arch": arch,
            "Format": self.fmt(),
            "Vars": self.vars,
        }
        data.update(extra)
        return data

    def render(self, template: str, what: str, data: Mapping[str, object] | None = None) -> str:
        return self.ctx.render(template, self.data() if data is None else data, what)

    def windows_ext(self) -> str:
        if self.info.windows_ext:
            return self.info.windows_ext
        return ".sh" if self.info.type in ("github_content", "github_archive") else ".exe"

    def complete_windows_ext(self, s: str) -> str:
        if self.info.complete_windows_ext is not None:
            return s + self.windows_ext() if self.info.complete_windows_ext else s
        if self.info.type in ("github_content", "github_archive"):
            return s
        return s + self.windows_ext()

    def finish(self, s: str) -> str:
        """append_ext, then on windows the ``.exe`` completion (``completeWindowsExtToAsset``)."""
        if self.info.append_ext is not False:
            s = _append_ext(s, self.info.format)
        # aqua (PR #4719) treats a .jar like an .exe: already complete.
        if self.platform.goos != "windows" or s.endswith((".exe", ".jar")):
            return s
        if self.info.format == "raw":
            return self.complete_windows_ext(s)
        if self.info.format:
            return s
        if _go_ext(s.replace(self.version.removeprefix("v"), "")) == "":
            return self.complete_windows_ext(s)
        return s

    def url(self) -> str:
        """``RenderURL`` (http packages)."""
        url = self.finish(self.render(self.info.url, "url"))
        if split_url(url) is None:  # Go's url.Parse refuses it too
            raise self.ctx.error(f"url: {url!r} is not a valid URL")
        return url

    def asset(self) -> str:
        """``RenderAsset``."""
        info = self.info
        if info.type in ("github_archive", "go_build", "cargo"):
            return ""
        if info.type == "go_install":
            files = info.files or []
            name = _str(files[0], "name", self.ctx) if files else None
            return _go_path_base(name or _default_cmd_name(info))
        if info.type == "github_content":
            raw = self.render(info.path, "path")
        elif info.type == "github_release":
            raw = self.render(info.asset, "asset")
        else:  # http
            raw = _go_path_base(unquote(urlsplit(self.url()).path))
        if raw == "":
            return ""
        return self.finish(raw)


def _default_cmd_name(info: _Info) -> str:
    if info.repo_owner and info.repo_name:
        if not info.name:
            return info.repo_name
        return info.name.rsplit("/", 1)[-1]
    return _go_path_base(info.name or info.path)


def _http_id(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return _go_path_join("http", host, unquote(parts.path))


def _release_url(github: GitHubUrls, owner: str, repo: str, tag: str, asset: str) -> str:
    return f"{github.url}/{owner}/{repo}/releases/download/{tag}/{asset}"


def _downloaded_file(
    block: Mapping[str, Any],
    r: _Renderer,
    data: Mapping[str, object],
    github: GitHubUrls,
    what: str,
) -> FileRef:
    """``ConvertDownloadedFileToFile``: a signature/provenance file declared by the registry."""
    ctx = r.ctx
    typ = _str(block, "type", ctx) or ""
    if typ == "github_release":
        owner = _str(block, "repo_owner", ctx) or r.info.repo_owner
        repo = _str(block, "repo_name", ctx) or r.info.repo_name
        template = _str(block, "asset", ctx)
        if template is None:
            raise ctx.error(f"{what}: asset is required", block, "type")
        asset = r.render(template, f"{what}.asset", data)
        return FileRef(
            url=_release_url(github, owner, repo, r.version, asset),
            kind="github_release",
            repo_owner=owner,
            repo_name=repo,
            tag=r.version,
            asset=asset,
        )
    if typ == "http":
        template = _str(block, "url", ctx)
        if template is None:
            raise ctx.error(f"{what}: url is required", block, "type")
        return FileRef(url=r.render(template, f"{what}.url", data), kind="http")
    raise ctx.error(f"{what}: invalid file type {typ!r}", block, "type")


def _cosign(
    block: Mapping[str, Any] | None,
    r: _Renderer,
    data: Mapping[str, object],
    github: GitHubUrls,
    what: str,
) -> CosignSpec | None:
    if block is None:
        return None
    ctx = r.ctx
    files = {k: _map(block, k, ctx) for k in ("signature", "certificate", "key", "bundle")}
    opts = _strs(block, "opts", ctx) or []
    enabled = _bool(block, "enabled", ctx)
    if enabled is None:
        enabled = bool(opts) or any(f is not None for f in files.values())
    if not enabled:
        return None
    refs = {
        k: None if f is None else _downloaded_file(f, r, data, github, f"{what}.{k}")
        for k, f in files.items()
    }
    return CosignSpec(
        opts=tuple(r.render(o, f"{what}.opts", data) for o in opts),
        signature=refs["signature"],
        certificate=refs["certificate"],
        key=refs["key"],
        bundle=refs["bundle"],
    )


def _minisign(
    block: Mapping[str, Any] | None,
    r: _Renderer,
    data: Mapping[str, object],
    github: GitHubUrls,
    what: str,
) -> MinisignSpec | None:
    if block is None or _bool(block, "enabled", r.ctx) is False:
        return None
    key = _str(block, "public_key", r.ctx)
    if not key:
        raise r.ctx.error(f"{what}: public_key is required", block, "type")
    return MinisignSpec(signature=_downloaded_file(block, r, data, github, what), public_key=key)


def _attestations(block: Mapping[str, Any] | None, r: _Renderer) -> AttestationSpec | None:
    if block is None or _bool(block, "enabled", r.ctx) is False:
        return None
    workflow = _str(block, "signer_workflow", r.ctx) or _str(block, "signer-workflow", r.ctx)
    return AttestationSpec(
        repo_owner=r.info.repo_owner,
        repo_name=r.info.repo_name,
        signer_workflow=workflow or None,
        predicate_type=_str(block, "predicate_type", r.ctx) or None,
    )


def _slsa(
    block: Mapping[str, Any] | None,
    r: _Renderer,
    data: Mapping[str, object],
    github: GitHubUrls,
) -> SlsaSpec | None:
    if block is None:
        return None
    ctx = r.ctx
    enabled = _bool(block, "enabled", ctx)
    if enabled is None:
        enabled = bool(_str(block, "type", ctx))
    if not enabled:
        return None
    source_uri = _str(block, "source_uri", ctx)
    if source_uri is None:
        owner = _str(block, "repo_owner", ctx) or r.info.repo_owner
        repo = _str(block, "repo_name", ctx) or r.info.repo_name
        source_uri = f"github.com/{owner}/{repo}"
    tag = _str(block, "source_tag", ctx)
    if tag is None:
        tag = r.version
    return SlsaSpec(
        provenance=_downloaded_file(block, r, data, github, "slsa_provenance"),
        source_uri=source_uri,
        source_tag=None if tag == "-" else tag,
    )


def _checksum_file(
    r: _Renderer, asset: str, url: str | None, github: GitHubUrls, art_data: Mapping[str, object]
) -> ChecksumFileSpec | None:
    block = r.info.checksum
    ctx = r.ctx
    if block is None or _bool(block, "enabled", ctx) is False:
        return None
    # GetChecksumReplacements: nil → package replacements; {} → none; else merged.
    own = _str_map(block, "replacements", ctx)
    if own is None:
        replacements = r.info.replacements
    elif not own:
        replacements = {}
    else:
        replacements = {**(r.info.replacements or {}), **own}
    typ = _str(block, "type", ctx) or ""
    if typ == "github_release":
        template = _str(block, "asset", ctx) or ""
        name = r.render(template, "checksum.asset", r.data(replacements, Asset=asset))
        ref = FileRef(
            url=_release_url(github, r.info.repo_owner, r.info.repo_name, r.version, name),
            kind="github_release",
            repo_owner=r.info.repo_owner,
            repo_name=r.info.repo_name,
            tag=r.version,
            asset=name,
        )
    elif typ == "http":
        data = r.data(replacements)
        del data["Vars"]  # RenderChecksumURL passes no Vars
        if r.info.type == "http" and url is not None:
            data["AssetURL"] = url
        template = _str(block, "url", ctx) or ""
        ref = FileRef(url=r.render(template, "checksum.url", data), kind="http")
    else:
        raise ctx.error(f"unknown checksum type {typ!r}", block, "type")
    algorithm = _str(block, "algorithm", ctx) or ""
    if algorithm not in _ALGORITHMS:
        raise ctx.error(f"unknown checksum algorithm {algorithm!r}", block, "algorithm")
    file_format = _str(block, "file_format", ctx) or ""
    if file_format not in ("", "raw", "regexp"):
        raise ctx.error(f"unknown checksum file_format {file_format!r}", block, "file_format")
    pattern = _map(block, "pattern", ctx) or {}
    return ChecksumFileSpec(
        file=ref,
        algorithm=algorithm,
        file_format=file_format,
        pattern_checksum=_str(pattern, "checksum", ctx) or None,
        pattern_file=_str(pattern, "file", ctx) or None,
        cosign=_cosign(_map(block, "cosign", ctx), r, art_data, github, "checksum.cosign"),
        minisign=_minisign(_map(block, "minisign", ctx), r, art_data, github, "checksum.minisign"),
        attestations=_attestations(_map(block, "github_artifact_attestations", ctx), r),
    )


def _apply_vars(info: _Info, given: Mapping[str, object] | None, ctx: _Ctx) -> dict[str, object]:
    """``ApplyVars``: aqua.yaml values, else registry defaults; a required var must be set."""
    values: dict[str, object] = dict(given or {})
    for var in info.vars or ():
        name = _str(var, "name", ctx) or ""
        if not name:
            raise ctx.error("a variable name is empty", var)
        if name in values:
            continue
        default = var.get("default")
        if default is not None:
            values[name] = default
        elif _bool(var, "required", ctx):
            raise ctx.error(f"variable {name!r} is required: set it in aqua.yaml `vars`", var)
    return values


def _unsupported(
    name: str, version: str, platform: AquaPlatform, typ: str, reason: str
) -> Artifact:
    return Artifact(
        package=name,
        version=version,
        platform=platform,
        type=typ,
        supported=False,
        reason=reason,
        url=None,
        asset=None,
        checksum_id=None,
        checksum_file=None,
        cosign=None,
        slsa=None,
        minisign=None,
        attestations=None,
    )


def _validate(info: _Info, ctx: _Ctx) -> None:
    """``PackageInfo.Validate``: the fields each type needs."""
    if info.type == "go":
        raise ctx.error("type go was removed in aqua v2", ctx.node, "type")
    if info.type not in TYPES:
        raise ctx.error(f"invalid package type {info.type!r}", ctx.node, "type")
    has_repo = bool(info.repo_owner and info.repo_name)
    if info.type in _REPO_TYPES and not has_repo:
        raise ctx.error(f"{info.type} needs repo_owner and repo_name")
    if info.type == "github_release" and not info.asset:
        raise ctx.error("github_release needs asset")
    if info.type == "github_content" and not info.path:
        raise ctx.error("github_content needs path")
    if info.type == "http" and not info.url:
        raise ctx.error("http needs url")
    if info.type == "cargo" and not info.crate:
        raise ctx.error("cargo needs crate")
    if info.type == "go_install" and not (info.path or has_repo):
        raise ctx.error("go_install needs path")


def _where(pkg: object, where: str) -> str:
    file = getattr(pkg, "file", None)
    return file if where == "registry" and isinstance(file, str) and file else where


def _raw_of(pkg: object) -> Mapping[str, Any]:
    raw = getattr(pkg, "raw", pkg)
    if not isinstance(raw, Mapping):
        raise TypeError(f"expected a PackageDef or a mapping, got {type(pkg).__name__}")
    return raw


def resolve(
    pkg: Any,
    version: str,
    platform: AquaPlatform,
    *,
    github: GitHubUrls = GitHubUrls(),  # noqa: B008 - frozen value object
    where: str = "registry",
    vars: Mapping[str, object] | None = None,
) -> Artifact:
    """Resolve one registry package (a ``PackageDef`` or its raw mapping) like aqua does.

    Returns an :class:`Artifact`; an unsupported platform, ``no_asset`` or ``error_message``
    give ``supported=False`` with a reason and no URL, and go_install/cargo give no checksum id.
    Raises :class:`InputError` (naming ``where``, or the ``PackageDef``'s own file when
    ``where`` is left at its default, with the YAML line when known) for a malformed entry:
    wrong field types, missing required fields, templates or constraints outside the subset.
    """
    where = _where(pkg, where)
    raw = _raw_of(pkg)
    name = getattr(pkg, "name", None) or _package_name(raw)
    ctx = _Ctx(where, name or "<unnamed>", raw)
    base = _Info.from_raw(raw, ctx)
    info = _override_by_runtime(_set_version(base, version, ctx), platform, ctx)
    if not _check_supported(info, platform, ctx):
        envs = ", ".join(info.supported_envs or []) or "none"
        return _unsupported(
            name,
            version,
            platform,
            info.type,
            f"not supported on {platform} (supported_envs: {envs})",
        )
    # Validate() accepts anything once no_asset/error_message is set; install then fails.
    if info.no_asset:
        return _unsupported(
            name,
            version,
            platform,
            info.type,
            f"the registry declares no asset for {version} (no_asset)",
        )
    if info.error_message:
        return _unsupported(
            name, version, platform, info.type, f"the registry says: {info.error_message.strip()}"
        )
    _validate(info, ctx)
    r = _Renderer(info, version, platform, _apply_vars(info, vars, ctx), ctx)
    if info.type in _NO_DOWNLOAD:
        nothing = _unsupported(name, version, platform, info.type, NEVER_CHECKSUMMED)
        return dataclasses.replace(nothing, supported=True)
    owner, repo = info.repo_owner, info.repo_name
    asset = r.asset()
    url: str
    ref: FileRef
    if info.type == "github_release":
        url = _release_url(github, owner, repo, version, asset)
        ref = FileRef(
            url=url,
            kind="github_release",
            repo_owner=owner,
            repo_name=repo,
            tag=version,
            asset=asset,
        )
        checksum_id = _go_path_join(info.type, "github.com", owner, repo, version, asset)
    elif info.type == "github_content":
        url = f"{github.raw_url}/{owner}/{repo}/{version}/{asset}"
        ref = FileRef(
            url=url,
            kind="github_content",
            repo_owner=owner,
            repo_name=repo,
            tag=version,
            asset=asset,
        )
        checksum_id = _go_path_join(info.type, "github.com", owner, repo, version, asset)
    elif info.type == "http":
        url = r.url()
        ref = FileRef(url=url, kind="http")
        checksum_id = _http_id(url)
    else:  # github_archive, go_build
        url = f"{github.url}/{owner}/{repo}/archive/refs/tags/{version}.tar.gz"
        ref = FileRef(url=url, kind="github_archive", repo_owner=owner, repo_name=repo, tag=version)
        checksum_id = _go_path_join("github_archive", "github.com", owner, repo, version)
    art_data = r.data(Asset=asset, AssetWithoutExt=_remove_ext(asset)[0])
    return Artifact(
        package=name,
        version=version,
        platform=platform,
        type=info.type,
        supported=True,
        reason=None,
        url=url,
        asset=asset or None,
        checksum_id=checksum_id,
        checksum_file=_checksum_file(r, asset, url, github, art_data),
        cosign=_cosign(info.cosign, r, art_data, github, "cosign"),
        slsa=_slsa(info.slsa_provenance, r, art_data, github),
        minisign=_minisign(info.minisign, r, art_data, github, "minisign"),
        attestations=_attestations(info.github_artifact_attestations, r),
        file=ref,
    )


# --- aqua update-checksum's platform selection ------------------------------------------------


def _runtimes(envs: Sequence[str] | None, ctx: _Ctx, what: str) -> set[tuple[str, str]]:
    """``runtime.GetRuntimesFromEnvs`` restricted to the six platforms aqua supports."""
    every = {(p.goos, p.goarch) for p in PLATFORMS}
    if envs is None:
        return every
    out: set[tuple[str, str]] = set()
    for env in envs:
        if env == "all":
            return every
        goos, sep, goarch = env.partition("/")
        if sep:
            if (goos, goarch) in every:
                out.add((goos, goarch))
        elif env in _GOOS:
            out |= {(env, a) for a in _GOARCH}
        elif env in _GOARCH:
            out |= {(o, env) for o in _GOOS}
        else:
            raise ctx.error(f"{what}: unsupported runtime {env!r}")
    return out


def checksum_platforms(
    pkg: Any,
    version: str,
    supported_envs: Sequence[str] | None,
    *,
    where: str = "registry",
) -> list[AquaPlatform]:
    """The platforms ``aqua update-checksum`` records checksums for.

    ``supported_envs`` is aqua.yaml's ``checksum.supported_envs`` (None or empty = all). The
    result is that set intersected with the package's ``supported_envs`` after version
    selection (platform overrides do not apply), expanded by the libc variants its overrides
    name (``updatechecksum/variants.go``). Raises :class:`InputError` for unknown env names.
    """
    where = _where(pkg, where)
    raw = _raw_of(pkg)
    name = getattr(pkg, "name", None) or _package_name(raw)
    ctx = _Ctx(where, name or "<unnamed>", raw)
    info = _set_version(_Info.from_raw(raw, ctx), version, ctx)
    chosen = _runtimes(info.supported_envs, ctx, "supported_envs")
    if supported_envs:
        chosen &= _runtimes(list(supported_envs), ctx, "checksum.supported_envs")
    result: list[AquaPlatform] = []
    for p in PLATFORMS:
        if (p.goos, p.goarch) not in chosen:
            continue
        matching = [
            ov
            for ov in info.overrides or ()
            if _match_platform(ov, p, ctx) and all(k == "libc" for k, _ in _variants(ov, ctx))
        ]
        if not any(_variants(ov, ctx) for ov in matching):
            result.append(p)
            continue
        values: set[str] = set()
        for ov in matching:
            named = dict(_variants(ov, ctx))
            values.add(named.get("libc", ""))
        for value in sorted(values):
            result.append(AquaPlatform(p.goos, p.goarch, value or None))
    return result
