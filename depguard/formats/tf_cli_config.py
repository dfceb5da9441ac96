"""The Terraform CLI configuration (``.terraformrc`` / ``terraform.rc`` / ``*.tfrc``).

What depguard honours, as Terraform does (``internal/command/cliconfig``):

* ``host "NAME" { services = { "providers.v1" = "URL" } }`` — replaces service discovery;
* ``credentials "NAME" { token = "…" }`` and ``TF_TOKEN_<host>`` environment variables (the
  environment wins, as in ``CredentialsSource.ForHost``); tokens are never printed: they are
  kept out of ``repr`` and every message;
* ``provider_installation { filesystem_mirror | network_mirror | direct | dev_overrides }`` in
  file order, with ``include`` / ``exclude`` patterns;
* ``plugin_cache_dir`` (``$VAR`` expanded like Go's ``os.ExpandEnv``; ``TF_PLUGIN_CACHE_DIR``
  overrides it).

Terraform reads ``TF_CLI_CONFIG_FILE`` (or the legacy ``TERRAFORM_CONFIG``) when set, else
``~/.terraformrc`` (``%APPDATA%/terraform.rc`` on Windows) plus every ``*.tfrc`` /
``*.tfrc.json`` in ``~/.terraform.d`` (``%APPDATA%/terraform.d``), which is where
``terraform login`` writes ``credentials.tfrc.json``. Terraform parses these files as HCL 1;
depguard uses python-hcl2, which reads every construct the CLI config uses in practice.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from depguard.errors import InputError

log = logging.getLogger(__name__)

DEFAULT_REGISTRY_HOST = "registry.terraform.io"


def normalize_hostname(text: str) -> str:
    """Return ``text`` in Terraform's comparison form (``svchost.ForComparison``, simplified).

    Lower-cases, converts Unicode labels to punycode, drops a trailing dot and the default
    port ``:443``, and normalises a numeric port. Raises ``ValueError`` when it is not a
    hostname.
    """
    host, sep, port = text.strip().partition(":")
    if sep:
        if not port.isdigit() or not 0 < int(port) <= 65535:
            raise ValueError(f"invalid port in hostname {text!r}")
        port = str(int(port))
    host = host.rstrip(".")
    if not host:
        raise ValueError(f"empty hostname in {text!r}")
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as e:
        raise ValueError(f"invalid hostname {text!r}: {e}") from None
    labels = ascii_host.split(".")
    for label in labels:
        if not label or not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", label):
            raise ValueError(f"invalid hostname {text!r}")
    if sep and port != "443":
        return f"{ascii_host}:{port}"
    return ascii_host


class MethodKind(enum.Enum):
    """A ``provider_installation`` method block type."""

    DIRECT = "direct"
    FILESYSTEM_MIRROR = "filesystem_mirror"
    NETWORK_MIRROR = "network_mirror"


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallationMethod:
    """One method block: where to look (``location`` = path or URL) and for which providers."""

    kind: MethodKind
    location: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderInstallation:
    """The ``provider_installation`` block: methods in priority (file) order."""

    methods: tuple[InstallationMethod, ...]
    dev_overrides: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HostServices:
    """A ``host`` block: forced service discovery results for ``hostname`` (normalised)."""

    hostname: str
    services: tuple[tuple[str, str], ...]

    def get(self, service_id: str) -> str | None:
        """Return the URL configured for ``service_id`` (e.g. ``providers.v1``), if any."""
        for k, v in self.services:
            if k == service_id:
                return v
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class HostCredentials:
    """A token for ``hostname``; the token is excluded from ``repr`` and comparisons."""

    hostname: str
    token: str = field(repr=False, compare=False)
    origin: str = ""  # file path or "env:TF_TOKEN_…" (never the value)


@dataclass(frozen=True, slots=True, kw_only=True)
class CliConfig:
    """The merged CLI configuration (:func:`load_cli_config`, :func:`parse_cli_config`)."""

    paths: tuple[str, ...] = ()
    hosts: tuple[HostServices, ...] = ()
    credentials: tuple[HostCredentials, ...] = ()
    provider_installation: ProviderInstallation | None = None
    plugin_cache_dir: str | None = None

    def services_for(self, hostname: str) -> HostServices | None:
        """Return the ``host`` block for ``hostname`` (any spelling Terraform accepts)."""
        try:
            want = normalize_hostname(hostname)
        except ValueError:
            return None
        for h in self.hosts:
            if h.hostname == want:
                return h
        return None

    def token_for(self, hostname: str) -> str | None:
        """Return the bearer token configured for ``hostname``, or ``None``. Never log it."""
        try:
            want = normalize_hostname(hostname)
        except ValueError:
            return None
        for c in self.credentials:
            if c.hostname == want:
                return c.token
        return None


# --- locating the files ------------------------------------------------------------------


def _home(env: Mapping[str, str]) -> Path:
    h = env.get("HOME") or (env.get("USERPROFILE") if sys.platform == "win32" else None)
    return Path(h) if h else Path.home()


def default_config_paths(env: Mapping[str, str] | None = None) -> tuple[Path | None, Path | None]:
    """Return ``(main file, config dir)`` Terraform would read when no override is set."""
    env = os.environ if env is None else env
    if sys.platform == "win32":
        appdata = env.get("APPDATA")
        if not appdata:
            return None, None
        return Path(appdata) / "terraform.rc", Path(appdata) / "terraform.d"
    home = _home(env)
    return home / ".terraformrc", home / ".terraform.d"


def load_cli_config(env: Mapping[str, str] | None = None) -> CliConfig:
    """Read and merge the CLI configuration the way Terraform locates it.

    ``TF_CLI_CONFIG_FILE`` (or ``TERRAFORM_CONFIG``) must name a readable file; otherwise the
    default file is optional and the config directory's ``*.tfrc``/``*.tfrc.json`` are merged.
    ``TF_TOKEN_*`` and ``TF_PLUGIN_CACHE_DIR`` are applied last. Raises :class:`InputError`
    naming the file (and line) that cannot be read or parsed.
    """
    env = os.environ if env is None else env
    files: list[Path] = []
    override = env.get("TF_CLI_CONFIG_FILE") or env.get("TERRAFORM_CONFIG")
    if override:
        # Terraform only warns ("Unable to open CLI configuration file") when it is missing.
        if Path(override).is_file():
            files.append(Path(override))
        else:
            log.info("%s: Terraform CLI configuration file not found; ignoring it", override)
    else:
        main, cfg_dir = default_config_paths(env)
        if main is not None and main.is_file():
            files.append(main)
        if cfg_dir is not None and cfg_dir.is_dir():
            files += sorted(
                p
                for p in cfg_dir.iterdir()
                if (p.name.endswith(".tfrc") or p.name.endswith(".tfrc.json")) and p.is_file()
            )
    config = CliConfig()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(str(path), f"cannot read the Terraform CLI config: {e}") from e
        config = merge_cli_configs(config, parse_cli_config(text, str(path)))
    return _apply_env(config, env)


def _apply_env(config: CliConfig, env: Mapping[str, str]) -> CliConfig:
    env_creds = credentials_from_env(env)
    kept = tuple(c for c in config.credentials if c.hostname not in {e.hostname for e in env_creds})
    cache_dir = env.get("TF_PLUGIN_CACHE_DIR") or config.plugin_cache_dir
    return CliConfig(
        paths=config.paths,
        hosts=config.hosts,
        credentials=env_creds + kept,  # environment first: it takes precedence
        provider_installation=config.provider_installation,
        plugin_cache_dir=cache_dir,
    )


def credentials_from_env(env: Mapping[str, str]) -> tuple[HostCredentials, ...]:
    """Return the ``TF_TOKEN_<host>`` tokens (``__`` → ``-``, ``_`` → ``.``); skip invalid."""
    out: dict[str, HostCredentials] = {}
    for name, value in env.items():
        if not name.startswith("TF_TOKEN_") or not value:
            continue
        raw = name[len("TF_TOKEN_") :].replace("__", "-").replace("_", ".")
        try:
            host = normalize_hostname(raw)
        except ValueError:
            log.debug("ignoring %s: not a valid hostname", name)
            continue
        out[host] = HostCredentials(hostname=host, token=value, origin=f"env:{name}")
    return tuple(out[h] for h in sorted(out))


def merge_cli_configs(a: CliConfig, b: CliConfig) -> CliConfig:
    """Merge two configs like Terraform's ``Config.Merge``: ``b``'s hosts/credentials win,
    the first ``plugin_cache_dir`` wins, ``provider_installation`` blocks accumulate (more
    than one is an error, reported by :func:`parse_cli_config`'s caller as Terraform does)."""
    hosts = {h.hostname: h for h in a.hosts}
    hosts.update({h.hostname: h for h in b.hosts})
    creds = {c.hostname: c for c in a.credentials}
    creds.update({c.hostname: c for c in b.credentials})
    if a.provider_installation is not None and b.provider_installation is not None:
        raise InputError(
            b.paths[0] if b.paths else "CLI config",
            "no more than one provider_installation block may be specified "
            f"(another is in {', '.join(a.paths) or 'an earlier file'})",
        )
    return CliConfig(
        paths=a.paths + b.paths,
        hosts=tuple(hosts[k] for k in sorted(hosts)),
        credentials=tuple(creds[k] for k in sorted(creds)),
        provider_installation=a.provider_installation or b.provider_installation,
        plugin_cache_dir=a.plugin_cache_dir or b.plugin_cache_dir,
    )


# --- parsing -----------------------------------------------------------------------------

_ENV_REF = re.compile(r"\$(\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand_env(text: str, env: Mapping[str, str] | None = None) -> str:
    """Expand ``$VAR`` and ``${VAR}`` like Go's ``os.ExpandEnv`` (unset → empty string)."""
    env = os.environ if env is None else env
    return _ENV_REF.sub(lambda m: env.get(m.group(2) or m.group(3) or "", ""), text)


@dataclass(slots=True)
class _Node:
    """A format-neutral view of one block or attribute, with its line when known."""

    name: str
    labels: tuple[str, ...]
    value: Any  # attribute value, or list[_Node] for a block body
    line: int | None
    is_block: bool


def parse_cli_config(text: str, path: str, *, env: Mapping[str, str] | None = None) -> CliConfig:
    """Parse one CLI config file (HCL, or JSON when ``path`` ends in ``.json``).

    Pure apart from ``$VAR`` expansion in ``plugin_cache_dir``. Raises :class:`InputError`
    naming ``path`` and the line for syntax errors and for blocks of the wrong shape.
    """
    nodes = _json_nodes(text, path) if path.endswith(".json") else _hcl_nodes(text, path)
    return _decode(nodes, path, os.environ if env is None else env)


# Atomic and possessive: the alternatives never give back what they matched, so a long run of
# spaces before a stray character fails in linear time (`(?:\s+|…)*` backtracked
# exponentially: 30 spaces and a NUL took 50 s; found by the atheris cli-config target).
_BLANK_OR_COMMENTS = re.compile(r"\A(?>\s+|#[^\n]*|//[^\n]*|/\*.*?\*/)*+\Z", re.S)


def _hcl_nodes(text: str, path: str) -> list[_Node]:
    if _BLANK_OR_COMMENTS.match(text):
        return []  # an empty config must not cost python-hcl2's import and parser build
    try:
        import hcl2  # heavy: imported only when a CLI config is read (CONVENTIONS §15)
        from hcl2.rules.base import AttributeRule, BlockRule
        from hcl2.utils import SerializationOptions
    except ImportError as e:  # pragma: no cover - dependency missing
        raise InputError(path, f"python-hcl2 is required to read the CLI config ({e})") from e
    text, quoted = _protect_quoted_keys(text)
    try:
        tree = hcl2.parses(text, discard_comments=True)
    except Exception as e:  # lark raises many types; all mean "not valid HCL"
        # Lark's message quotes the offending token, which in this file may be a credential
        # (`token = <garbage>`): say where, never what.
        line, column = getattr(e, "line", None), getattr(e, "column", None)
        where = f" at column {column}" if isinstance(column, int) and column > 0 else ""
        raise InputError(
            path,
            f"invalid Terraform CLI config syntax{where} (the text is not quoted here: this "
            "file holds credentials)",
            line=line if isinstance(line, int) and line > 0 else None,
        ) from None
    opts = SerializationOptions(
        with_comments=False, strip_string_quotes=True, explicit_blocks=False
    )

    def walk(body: Any) -> list[_Node]:
        out: list[_Node] = []
        for child in body.children:
            meta = getattr(child, "_meta", None)
            line = getattr(meta, "line", None) if meta is not None else None
            if isinstance(child, BlockRule):
                names = [_unquote(str(lbl.serialize(opts))) for lbl in child.labels]
                names[0] = quoted.get(names[0], names[0])
                out.append(_Node(names[0], tuple(names[1:]), walk(child.body), line, True))
            elif isinstance(child, AttributeRule):
                try:
                    value = child.expression.serialize(opts)
                except Exception:  # an expression python-hcl2 cannot render
                    # (its message may quote the value: a credential, so not repeated)
                    raise InputError(path, "unsupported expression", line=line) from None
                name = _unquote(str(child.identifier.serialize(opts)))
                name = quoted.get(name, name)
                out.append(_Node(name, (), _clean(value, quoted), line, False))
        return out

    return walk(tree.body)


def _unquote(s: str) -> str:
    if len(s) >= 2 and s[0] == s[-1] == '"':
        return s[1:-1]
    return s


def _clean(value: Any, quoted: Mapping[str, str]) -> Any:
    """Strip python-hcl2's quoting from object keys and strings; restore protected keys."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "__is_block__":
                continue
            key = _unquote(str(k))
            out[quoted.get(key, key)] = _clean(v, quoted)
        return out
    if isinstance(value, list):
        return [_clean(v, quoted) for v in value]
    if isinstance(value, str):
        return _unquote(value)
    return value


# HCL 1 (what Terraform parses the CLI config with) allows a quoted name on the left of `=`
# in a block body — dev_overrides entries are written that way — HCL 2 does not. Quoted
# names at the start of a line are swapped for placeholders before parsing and restored after.
_QUOTED_KEY = re.compile(r'^([ \t]*)"((?:[^"\\\n]|\\.)*)"([ \t]*=)', re.MULTILINE)


def _protect_quoted_keys(text: str) -> tuple[str, dict[str, str]]:
    quoted: dict[str, str] = {}

    def swap(m: re.Match[str]) -> str:
        placeholder = f"__depguard_key_{len(quoted)}__"
        quoted[placeholder] = m.group(2).replace('\\"', '"').replace("\\\\", "\\")
        return f"{m.group(1)}{placeholder}{m.group(3)}"

    return _QUOTED_KEY.sub(swap, text), quoted


def _json_nodes(text: str, path: str) -> list[_Node]:
    try:
        obj = json.loads(text)
    except ValueError as e:
        line = getattr(e, "lineno", None)
        raise InputError(path, f"invalid JSON: {e}", line=line) from None
    except RecursionError:
        raise InputError(path, "invalid JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise InputError(path, "the CLI config must be a JSON object")

    def block_nodes(name: str, value: Any, nlabels: int) -> list[_Node]:
        # HCL's JSON form: labels are nested object keys; a list means repeated blocks.
        if nlabels == 0:
            items = value if isinstance(value, list) else [value]
            out = []
            for item in items:
                if not isinstance(item, dict):
                    raise InputError(path, f"{name} must be a JSON object")
                out.append(_Node(name, (), body_nodes(item), None, True))
            return out
        if not isinstance(value, dict):
            raise InputError(path, f"{name} must be a JSON object keyed by its label")
        out = []
        for label, inner in value.items():
            for n in block_nodes(name, inner, nlabels - 1):
                out.append(_Node(n.name, (str(label), *n.labels), n.value, None, True))
        return out

    def body_nodes(obj: dict[str, Any]) -> list[_Node]:
        out: list[_Node] = []
        for k, v in obj.items():
            if k in ("host", "credentials", "credentials_helper"):
                out += block_nodes(k, v, 1)
            elif k in _METHOD_BLOCKS or k in ("provider_installation", "dev_overrides"):
                out += block_nodes(k, v, 0)
            else:
                out.append(_Node(k, (), v, None, False))
        return out

    return body_nodes(obj)


_METHOD_BLOCKS = {m.value: m for m in MethodKind}


def _str(value: Any, path: str, what: str, line: int | None) -> str:
    if not isinstance(value, str):
        raise InputError(path, f"{what} must be a string", line=line)
    return value


def _str_list(value: Any, path: str, what: str, line: int | None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(path, f"{what} must be a list of strings", line=line)
    return tuple(value)


def _attrs(nodes: list[_Node]) -> dict[str, _Node]:
    return {n.name: n for n in nodes if not n.is_block}


def _decode(nodes: list[_Node], path: str, env: Mapping[str, str]) -> CliConfig:
    hosts: dict[str, HostServices] = {}
    creds: dict[str, HostCredentials] = {}
    installation: ProviderInstallation | None = None
    cache_dir: str | None = None
    for node in nodes:
        if not node.is_block:
            if node.name == "plugin_cache_dir":
                raw = _str(node.value, path, "plugin_cache_dir", node.line)
                cache_dir = expand_env(raw, env) or None
            continue  # other settings (disable_checkpoint, …) do not concern depguard
        if node.name == "host":
            hosts.update(_decode_host(node, path))
        elif node.name == "credentials":
            creds.update(_decode_credentials(node, path))
        elif node.name == "credentials_helper":
            log.warning(
                "%s: credentials_helper is not supported by depguard; use a credentials block "
                "or TF_TOKEN_* for private registries",
                path,
            )
        elif node.name == "provider_installation":
            if installation is not None:
                raise InputError(
                    path,
                    "no more than one provider_installation block may be specified",
                    line=node.line,
                )
            installation = _decode_installation(node, path)
    return CliConfig(
        paths=(path,),
        hosts=tuple(hosts[k] for k in sorted(hosts)),
        credentials=tuple(creds[k] for k in sorted(creds)),
        provider_installation=installation,
        plugin_cache_dir=cache_dir,
    )


def _block_host(node: _Node, path: str) -> str:
    if len(node.labels) != 1:
        raise InputError(path, f"a {node.name} block needs exactly one label", line=node.line)
    try:
        return normalize_hostname(node.labels[0])
    except ValueError as e:
        raise InputError(
            path,
            f"the {node.name} {node.labels[0]!r} block has an invalid hostname: {e}",
            line=node.line,
        ) from None


def _decode_host(node: _Node, path: str) -> dict[str, HostServices]:
    host = _block_host(node, path)
    services: dict[str, str] = {}
    attrs = _attrs(node.value)
    svc = attrs.get("services")
    if svc is not None:
        value = svc.value
        if isinstance(value, list) and len(value) == 1:  # HCL 1's list-of-objects ambiguity
            value = value[0]
        if not isinstance(value, dict):
            raise InputError(path, f"host {host!r}: services must be an object", line=svc.line)
        for k, v in value.items():
            if isinstance(v, str):
                services[str(k)] = v
            # Non-string services (OAuth client objects for login.v1) are not ours to read.
    return {host: HostServices(hostname=host, services=tuple(sorted(services.items())))}


def _decode_credentials(node: _Node, path: str) -> dict[str, HostCredentials]:
    host = _block_host(node, path)
    attrs = _attrs(node.value)
    tok = attrs.get("token")
    if tok is None:
        return {}
    if not isinstance(tok.value, str):
        # Never echo the value: it may be a secret of the wrong type.
        raise InputError(path, f"credentials {host!r}: token must be a string", line=tok.line)
    return {host: HostCredentials(hostname=host, token=tok.value, origin=path)}


def _decode_installation(node: _Node, path: str) -> ProviderInstallation:
    methods: list[InstallationMethod] = []
    overrides: list[tuple[str, str]] = []
    for child in node.value:
        if not child.is_block:
            raise InputError(
                path,
                "the items inside the provider_installation block must all be blocks",
                line=child.line,
            )
        if child.labels:
            raise InputError(path, f"the {child.name} block may not have labels", line=child.line)
        if child.name == "dev_overrides":
            if methods:
                raise InputError(
                    path,
                    "the dev_overrides block must appear before all other installation methods",
                    line=child.line,
                )
            for attr in child.value:
                if not attr.is_block:
                    overrides.append(
                        (attr.name, _str(attr.value, path, f"dev_overrides {attr.name}", attr.line))
                    )
            continue
        kind = _METHOD_BLOCKS.get(child.name)
        if kind is None:
            raise InputError(
                path, f"unknown provider installation method {child.name!r}", line=child.line
            )
        attrs = _attrs(child.value)
        allowed = (
            {"include", "exclude"}
            | ({"path"} if kind is MethodKind.FILESYSTEM_MIRROR else set())
            | ({"url"} if kind is MethodKind.NETWORK_MIRROR else set())
        )
        for name, attr in attrs.items():
            if name not in allowed:
                raise InputError(
                    path,
                    f"invalid {child.name} block: unexpected argument {name!r}",
                    line=attr.line,
                )
        include: tuple[str, ...] = ()
        exclude: tuple[str, ...] = ()
        if "include" in attrs:
            include = _str_list(attrs["include"].value, path, "include", attrs["include"].line)
        if "exclude" in attrs:
            exclude = _str_list(attrs["exclude"].value, path, "exclude", attrs["exclude"].line)
        location = ""
        key = {"filesystem_mirror": "path", "network_mirror": "url"}.get(child.name)
        if key is not None:
            if key not in attrs:
                raise InputError(
                    path,
                    f"invalid {child.name} block: {key!r} argument is required",
                    line=child.line,
                )
            location = _str(attrs[key].value, path, key, attrs[key].line)
            if not location:
                raise InputError(
                    path,
                    f"invalid {child.name} block: {key!r} must not be empty",
                    line=attrs[key].line,
                )
        methods.append(
            InstallationMethod(
                kind=kind, location=location, include=include, exclude=exclude, line=child.line
            )
        )
    return ProviderInstallation(methods=tuple(methods), dev_overrides=tuple(overrides))


# --- implied local mirrors ---------------------------------------------------------------


def implied_mirror_dirs(
    *, cwd: Path | None = None, env: Mapping[str, str] | None = None, existing_only: bool = True
) -> tuple[Path, ...]:
    """Return the directories Terraform searches when there is no ``provider_installation``.

    In order (``implicitProviderSource``): ``terraform.d/plugins`` in the working directory,
    ``plugins`` in the CLI config directory (``~/.terraform.d``), then the per-user and
    system data directories' ``terraform/plugins`` (XDG on Unix, ``io.terraform`` under
    Application Support on macOS, ``HashiCorp/Terraform`` under ``%APPDATA%`` on Windows).
    Providers found in any of them are excluded from direct installation.
    """
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    dirs: list[Path] = [cwd / "terraform.d" / "plugins"]
    _, cfg_dir = default_config_paths(env)
    if cfg_dir is not None:
        dirs.append(cfg_dir / "plugins")
    home = _home(env)
    if sys.platform == "win32":
        appdata = env.get("APPDATA")
        if appdata:
            dirs.append(Path(appdata) / "HashiCorp" / "Terraform" / "plugins")
    elif sys.platform == "darwin":
        dirs.append(home / "Library" / "Application Support" / "io.terraform" / "plugins")
        dirs.append(Path("/Library/Application Support/io.terraform/plugins"))
    else:
        data_home = env.get("XDG_DATA_HOME") or str(home / ".local" / "share")
        dirs.append(Path(data_home) / "terraform" / "plugins")
        data_dirs = env.get("XDG_DATA_DIRS") or "/usr/local/share/:/usr/share/"
        dirs += [Path(d) / "terraform" / "plugins" for d in data_dirs.split(":") if d]
    seen: set[Path] = set()
    out: list[Path] = []
    for d in dirs:
        if d in seen:
            continue
        seen.add(d)
        if not existing_only or d.is_dir():
            out.append(d)
    return tuple(out)
