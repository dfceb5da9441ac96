"""Discover the state directories of a repository and what each one pins (issue #5, item 1).

:func:`discover` reads a :class:`~depguard.rollout.model.FileSource` (a working tree or one git
revision) and returns the :class:`~depguard.rollout.model.Workspace` the rollout commands plan
over; :func:`resolve_dependency` turns the ``DEP`` argument of ``depguard rollout`` into a
:class:`~depguard.rollout.model.Dependency`.

Which directories are state directories:

* With a ``tfaction-root.yaml`` at the repository root, tfaction decides: every directory that
  holds the working-directory file (``working_directory_file``, default ``tfaction.yaml``),
  except those holding the module file (``module_file``, default ``tfaction_module.yaml``).
  A directory with a lock file but no ``tfaction.yaml`` is not run by tfaction and is left
  out (a note says so). When no directory holds the working-directory file, the lock-file
  rule below applies instead.
* Without it: every directory holding a ``.terraform.lock.hcl`` or a ``tfaction.yaml`` (a
  directory not initialised yet is still a state directory).
* Directories under ``.git``, ``.terraform`` and ``node_modules`` are never state directories
  and their files are never read.

The tfaction ``target`` of each directory follows tfaction's own rules
(suzuki-shunsuke/tfaction ``src/lib/index.ts``; ``website/docs/v2-upgrade-guide.md``):

* **v1** (some ``target_groups`` entry has a ``target``): the first group whose
  ``working_directory`` is a string prefix of the directory path wins, and the target is the
  group's ``target`` followed by the rest of the path (``wd.replace(group.working_directory,
  group.target)``);
* **v2** (no group has a ``target``): ``working_directory`` is a minimatch glob that must match
  the whole path (``*``, ``?``, ``[...]``, ``{a,b}``, ``**``; wildcards do not match names that
  start with ``.``; ``a/**`` does not match ``a`` itself). When a group matches, the
  ``replace_target.patterns`` (or the older key ``replace``) are applied in order, each like
  JavaScript's ``String.prototype.replace`` with ``new RegExp(regexp, flags)``.
* A directory no group matches keeps its path as target (tfaction would not list it; a note
  says so). ``base_working_directory`` (v1) is not supported and only noted.

What each directory pins (one :class:`~depguard.rollout.model.Usage` per pin, paths
repository-relative POSIX, lines 1-based):

* ``.terraform.lock.hcl``: a ``lock`` usage per provider (``version`` = the locked version);
* its own ``*.tf`` / ``*.tf.json`` files (not subdirectories; hidden and backup files are
  skipped as Terraform skips them): a ``constraint`` usage per ``required_providers`` entry
  (the full address; no ``source`` means ``hashicorp/<local name>``; the built-in
  ``terraform`` provider is skipped) and per ``required_version`` (dependency ``terraform``);
* ``.terraform-version``: a ``terraform-version`` usage whose version is the first word as
  written (``1.9.5``, ``v1.9.5``, ``latest:^1.9`` are kept as they are: tfenv and tenv accept
  them and the planner compares versions itself);
* aqua configs of the directory, in aqua's search order (``aqua.yaml``, ``aqua.yml``,
  ``.aqua.yaml``, ``.aqua.yml``, ``aqua/aqua.yaml``, ``aqua/aqua.yml``, ``.aqua/aqua.yaml``,
  ``.aqua/aqua.yml``), the files they import (``import:`` globs and ``import_dir``, resolved
  like aqua: relative to the importing file, Go ``filepath.Glob`` syntax, recursively), and any
  ``aqua/imports/*.y(a)ml`` of the directory no config imports (tfaction-example's layout):
  an ``aqua`` usage per package (name without ``@version``, version as written, e.g.
  ``v1.15.8``). The package ``hashicorp/terraform`` is the Terraform CLI: dependency
  ``terraform``. A ``version_expr``/``go_version_file`` package has no exact version; its
  usage carries the expression in ``constraint``.

Each file is read and parsed once, however many directories share it. Malformed files raise
:class:`~depguard.errors.InputError` naming file and line (the plan fails closed); an
unusable ``rollout`` configuration raises :class:`~depguard.errors.ConfigError`.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from depguard.errors import ConfigError, InputError
from depguard.formats.yaml_lines import LineDict, describe, get_list, get_map, get_str, load_yaml
from depguard.rollout.model import Dependency, FileSource, PinKind, Target, Usage, Workspace
from depguard.util.text import decode_utf8

if TYPE_CHECKING:
    from depguard.config.model import Config, RolloutStage

__all__ = [
    "DEFAULT_MODULE_FILE",
    "DEFAULT_WORKING_DIRECTORY_FILE",
    "LOCK_FILE",
    "TERRAFORM",
    "TFACTION_ROOT",
    "TfactionRoot",
    "discover",
    "parse_tfaction_root",
    "resolve_dependency",
]

LOCK_FILE: Final = ".terraform.lock.hcl"
TERRAFORM_VERSION_FILE: Final = ".terraform-version"
TFACTION_ROOT: Final = "tfaction-root.yaml"
DEFAULT_WORKING_DIRECTORY_FILE: Final = "tfaction.yaml"
DEFAULT_MODULE_FILE: Final = "tfaction_module.yaml"
#: The Terraform CLI, however it is pinned.
TERRAFORM: Final = Dependency("terraform", "terraform")
#: The aqua package that installs the Terraform CLI.
AQUA_TERRAFORM: Final = "hashicorp/terraform"

_SKIP_DIRS: Final = frozenset({".git", ".terraform", "node_modules"})
# aqua pkg/config/finder.go: the names looked for in each directory, in this order.
_AQUA_CONFIG_NAMES: Final = (
    "aqua.yaml",
    "aqua.yml",
    ".aqua.yaml",
    ".aqua.yml",
    "aqua/aqua.yaml",
    "aqua/aqua.yml",
    ".aqua/aqua.yaml",
    ".aqua/aqua.yml",
)
_TFACTION_IMPORTS_DIR: Final = "aqua/imports"
_YAML_NAME_RE: Final = re.compile(r".+\.ya?ml")
_MAX_IMPORT_DEPTH: Final = 16
_MAX_BRACE_EXPANSIONS: Final = 256
_SHOWN: Final = 10  # names listed in notes and errors before "and N more"


# --- tfaction-root.yaml ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _TargetGroup:
    working_directory: str
    target: str | None
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Replacement:
    regexp: re.Pattern[str]
    replace: str
    count: int  # 1: first match (JavaScript default); 0: every match (flag "g")


@dataclass(frozen=True, slots=True, kw_only=True)
class TfactionRoot:
    """What depguard reads from ``tfaction-root.yaml``: file names and target naming.

    ``v1`` is true when some target group has a ``target`` (tfaction v1 semantics, see the
    module docstring). Build with :func:`parse_tfaction_root`.
    """

    working_directory_file: str = DEFAULT_WORKING_DIRECTORY_FILE
    module_file: str = DEFAULT_MODULE_FILE
    target_groups: tuple[_TargetGroup, ...] = ()
    replacements: tuple[_Replacement, ...] = ()
    base_working_directory: str = ""

    @property
    def v1(self) -> bool:
        return any(g.target is not None for g in self.target_groups)

    def target_of(self, path: str) -> str | None:
        """Return tfaction's target for the working directory ``path`` (repository-relative
        POSIX), or None when no target group matches it."""
        if self.v1:
            # tfaction v1 getTargetFromTargetGroupsByWorkingDir: wd.startsWith(group wd).
            for group in self.target_groups:
                if path.startswith(group.working_directory):
                    if group.target is None:
                        return path
                    return group.target + path[len(group.working_directory) :]
            return None
        segments = path.split("/")
        for group in self.target_groups:
            if _minimatch(group.working_directory, segments):
                target = path
                for r in self.replacements:
                    target = r.regexp.sub(functools.partial(_js_expand, r), target, count=r.count)
                return target
        return None


def parse_tfaction_root(text: str, path: str) -> TfactionRoot:
    """Parse the parts of ``tfaction-root.yaml`` that name working directories and targets.

    Other keys are tfaction's business and are not checked. Returns a :class:`TfactionRoot`;
    raises :class:`InputError` naming ``path`` and the line for invalid YAML, a target group
    without ``working_directory``, or a ``replace_target`` pattern that is not a valid
    regular expression (or uses a flag other than ``g``, ``i``, ``m``, ``s``, ``u``, ``d``).
    """
    data = load_yaml(text, path)
    if data is None:
        return TfactionRoot()
    if not isinstance(data, LineDict):
        raise InputError(path, f"the top level must be a mapping, got {describe(data)}", line=1)
    groups: list[_TargetGroup] = []
    items = get_list(data, "target_groups", path)
    for index, item in enumerate(items or ()):
        assert items is not None
        where = f"target_groups[{index}]"
        if not isinstance(item, LineDict):
            raise InputError(
                path,
                f"{where}: expected a mapping, got {describe(item)}",
                line=items.item_line(index),
            )
        wd = get_str(item, "working_directory", path, where)
        if wd is None:
            raise InputError(path, f"{where}: working_directory is required", line=item.line)
        groups.append(
            _TargetGroup(
                working_directory=wd,
                target=get_str(item, "target", path, where),
                line=item.line,
            )
        )
    key = "replace_target" if "replace_target" in data else "replace"
    replacements: list[_Replacement] = []
    block = get_map(data, key, path)
    patterns = get_list(block, "patterns", path, key) if block is not None else None
    for index, item in enumerate(patterns or ()):
        assert patterns is not None
        where = f"{key}.patterns[{index}]"
        if not isinstance(item, LineDict):
            raise InputError(
                path,
                f"{where}: expected a mapping, got {describe(item)}",
                line=patterns.item_line(index),
            )
        regexp = get_str(item, "regexp", path, where)
        if regexp is None:
            raise InputError(path, f"{where}: regexp is required", line=item.line)
        replacements.append(
            _js_regexp(
                regexp,
                get_str(item, "replace", path, where) or "",
                get_str(item, "flags", path, where) or "",
                path=path,
                where=where,
                line=item.key_line("regexp"),
            )
        )
    if not any(g.target is not None for g in groups):
        for index, group in enumerate(groups):
            try:
                _compiled_minimatch(group.working_directory)
            except ValueError as e:
                raise InputError(
                    path, f"target_groups[{index}].working_directory: {e}", line=group.line
                ) from None
    return TfactionRoot(
        working_directory_file=(
            get_str(data, "working_directory_file", path) or DEFAULT_WORKING_DIRECTORY_FILE
        ),
        module_file=get_str(data, "module_file", path) or DEFAULT_MODULE_FILE,
        target_groups=tuple(groups),
        replacements=tuple(replacements),
        base_working_directory=get_str(data, "base_working_directory", path) or "",
    )


_JS_FLAGS: Final = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "u": 0, "d": 0, "g": 0}
# Without the "u" flag JavaScript's \w, \d and \b are ASCII-only.
_JS_BASE_FLAGS: Final = re.ASCII


def _js_regexp(
    source: str, replace: str, flags: str, *, path: str, where: str, line: int
) -> _Replacement:
    """Compile a JavaScript ``RegExp`` (the subset Python's ``re`` shares with it)."""
    value = _JS_BASE_FLAGS
    for flag in flags:
        if flag not in _JS_FLAGS:
            raise InputError(
                path, f"{where}: unsupported regular expression flag {flag!r}", line=line
            )
        value |= _JS_FLAGS[flag]
    # JavaScript's named group (?<name>...) is (?P<name>...) in Python.
    translated = re.sub(r"\(\?<(?![=!])", "(?P<", source)
    try:
        compiled = re.compile(translated, value)
    except re.error as e:
        raise InputError(
            path, f"{where}: invalid regular expression {source!r}: {e}", line=line
        ) from None
    return _Replacement(regexp=compiled, replace=replace, count=0 if "g" in flags else 1)


def _js_expand(r: _Replacement, m: re.Match[str]) -> str:
    """Expand a JavaScript replacement string (``$$ $& $` $' $n $nn $<name>``) for ``m``."""
    template = r.replace
    if "$" not in template:
        return template
    groups = r.regexp.groups
    out: list[str] = []
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        nxt = template[i + 1] if i + 1 < n else ""
        if c != "$" or not nxt:
            out.append(c)
            i += 1
        elif nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "&":
            out.append(m.group(0))
            i += 2
        elif nxt == "`":
            out.append(m.string[: m.start()])
            i += 2
        elif nxt == "'":
            out.append(m.string[m.end() :])
            i += 2
        elif nxt.isdigit() and nxt.isascii():
            two = template[i + 1 : i + 3]
            if len(two) == 2 and two.isdigit() and two.isascii() and 1 <= int(two) <= groups:
                out.append(m.group(int(two)) or "")
                i += 3
            elif 1 <= int(nxt) <= groups:
                out.append(m.group(int(nxt)) or "")
                i += 2
            else:
                out.append(c)
                i += 1
        elif nxt == "<" and r.regexp.groupindex and (end := template.find(">", i + 2)) != -1:
            name = template[i + 2 : end]
            out.append((m.group(name) or "") if name in r.regexp.groupindex else "")
            i = end + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


# --- minimatch (tfaction v2 target_groups[].working_directory) -------------------------------


def _expand_braces(pattern: str) -> list[str]:
    """Expand ``{a,b}`` alternatives like minimatch's brace expansion (no numeric ranges)."""
    depth, start = 0, -1
    for i, c in enumerate(pattern):
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}" and depth:
            depth -= 1
            if depth:
                continue
            options, level, last = [], 0, start + 1
            for j in range(start + 1, i):
                ch = pattern[j]
                level += (ch == "{") - (ch == "}")
                if ch == "," and level == 0:
                    options.append(pattern[last:j])
                    last = j + 1
            options.append(pattern[last:i])
            if len(options) < 2:
                continue  # "{x}" is literal
            head, tails = pattern[:start], _expand_braces(pattern[i + 1 :])
            result = [
                head + expanded + tail
                for option in options
                for expanded in _expand_braces(option)
                for tail in tails
            ]
            if len(result) > _MAX_BRACE_EXPANSIONS:
                raise ValueError(f"{pattern!r} expands to more than {_MAX_BRACE_EXPANSIONS} globs")
            return result
    return [pattern]


@functools.lru_cache(maxsize=1024)
def _segment_regex(segment: str) -> re.Pattern[str]:
    """One path segment of a glob: ``*``, ``?``, ``[...]`` (``!``/``^`` negate), ``\\`` escapes."""
    out: list[str] = []
    i, n = 0, len(segment)
    while i < n:
        c = segment[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(segment[i]))
        elif c == "[" and (end := segment.find("]", i + 2)) != -1:
            body = segment[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            escaped = "".join("\\" + ch if ch in "\\[]^" else ch for ch in body)
            out.append(f"[{'^/' if negate else ''}{escaped}]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


@functools.lru_cache(maxsize=256)
def _compiled_minimatch(pattern: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(p.removeprefix("./").split("/")) for p in _expand_braces(pattern))


def _minimatch(pattern: str, path: Sequence[str]) -> bool:
    """Return whether the path segments match ``pattern`` as ``minimatch(path, pattern)``."""
    return any(_match_segments(p, tuple(path)) for p in _compiled_minimatch(pattern))


def _match_segments(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        # Globstar: zero or more segments, none of them hidden (minimatch without `dot`). A
        # trailing ** needs at least one segment: minimatch("a", "a/**") is false.
        for k in range(0 if rest else 1, len(path) + 1):
            if k and path[k - 1].startswith("."):
                break
            if _match_segments(rest, path[k:]):
                return True
        return False
    if not path:
        return False
    segment = path[0]
    if segment.startswith(".") and not head.startswith("."):
        return False
    return _segment_regex(head).fullmatch(segment) is not None and _match_segments(rest, path[1:])


# --- aqua import globs (Go filepath.Glob) ---------------------------------------------------


def _has_go_meta(text: str) -> bool:
    return any(c in text for c in "*?[\\")


@functools.lru_cache(maxsize=1024)
def _go_glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a Go ``filepath.Match`` pattern; raise ValueError for a malformed one."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            i += 1
            if i >= n:
                raise ValueError("trailing backslash")
            out.append(re.escape(pattern[i]))
        elif c == "[":
            i += 1
            negate = i < n and pattern[i] == "^"
            i += negate
            items: list[str] = []
            while True:
                if i >= n:
                    raise ValueError("unclosed character class")
                ch = pattern[i]
                if ch == "]" and items:
                    break
                if ch in "-]":
                    raise ValueError("empty character class or range")
                if ch == "\\":
                    i += 1
                    if i >= n:
                        raise ValueError("trailing backslash")
                    ch = pattern[i]
                item = re.escape(ch)
                if i + 1 < n and pattern[i + 1] == "-":
                    i += 2
                    if i >= n or pattern[i] in "-]":
                        raise ValueError("bad character range")
                    hi = pattern[i]
                    if hi == "\\":
                        i += 1
                        if i >= n:
                            raise ValueError("trailing backslash")
                        hi = pattern[i]
                    if hi < ch:
                        raise ValueError("character range out of order")
                    item = f"{item}-{re.escape(hi)}"
                items.append(item)
                i += 1
            out.append(f"[{'^/' if negate else ''}{''.join(items)}]")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


# --- reading --------------------------------------------------------------------------------


# What one file pins, independent of where the file is: (dependency, pin, line, version,
# constraint). Parsing is a pure function of the text, so files with the same content (a
# scaffolded monorepo has hundreds of identical aqua.yaml and lock files) are parsed once.
_Pin = tuple[Dependency, PinKind, int | None, str | None, str | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class _AquaFile:
    pins: tuple[_Pin, ...]
    imports: tuple[tuple[str, int | None], ...]  # (glob relative to the file, line)


def _lock_pins(path: str, text: str) -> tuple[_Pin, ...]:
    from depguard.formats.tf_lock import parse_lock

    return tuple(
        (Dependency("provider", str(p.address)), "lock", p.line, p.version, None)
        for p in parse_lock(text, path).providers
    )


def _tf_pins(path: str, text: str) -> tuple[_Pin, ...]:
    from depguard.formats.tf_address import parse_provider_source
    from depguard.prcheck.changes import _tf_deps

    # The same reading (and validation) as check-pr; names there are Terraform's display
    # form (Unicode hostname), here the comparison form lock files use (str(address)).
    providers, versions, _modules = _tf_deps(path, text)
    pins: list[_Pin] = []
    for d in providers:
        address = parse_provider_source(d.name)
        if address.is_builtin:
            continue  # terraform.io/builtin/terraform ships with Terraform itself
        pins.append((Dependency("provider", str(address)), "constraint", d.line, None, d.version))
    pins.extend((TERRAFORM, "constraint", d.line, None, d.version) for d in versions)
    return tuple(pins)


def _terraform_version_pins(path: str, text: str) -> tuple[_Pin, ...]:
    from depguard.prcheck.changes import _terraform_version

    return tuple(
        (TERRAFORM, "terraform-version", d.line, d.version, None)
        for d in _terraform_version(path, text)
    )


def _aqua_file(path: str, text: str, content_check: bool) -> _AquaFile:
    from depguard.prcheck.changes import _aqua_deps

    deps = _aqua_deps(path, text, content_check=content_check)
    pins: list[_Pin] = []
    for d in deps.packages:
        dependency = TERRAFORM if d.name == AQUA_TERRAFORM else Dependency("aqua", d.name)
        if d.version is not None and d.version.startswith(("go_version_file:", "version_expr:")):
            pins.append((dependency, "aqua", d.line, None, d.version))  # no exact version
        else:
            pins.append((dependency, "aqua", d.line, d.version, None))
    return _AquaFile(pins=tuple(pins), imports=tuple((d.name, d.line) for d in deps.imports))


_PARSERS: Final[dict[str, Callable[[str, str], tuple[_Pin, ...]]]] = {
    "lock": _lock_pins,
    "tf": _tf_pins,
    "terraform-version": _terraform_version_pins,
}


def _usages(path: str, pins: Iterable[_Pin]) -> tuple[Usage, ...]:
    return tuple(
        Usage(dependency=d, pin=pin, file=path, line=line, version=version, constraint=c)
        for d, pin, line, version, c in pins
    )


class _Repo:
    """The repository's file list, indexed by directory; every file read at most once and
    every distinct content parsed at most once."""

    def __init__(self, source: FileSource) -> None:
        self.source = source
        self.dirs: dict[str, set[str]] = {}
        for path in source.list_files():
            directory, _, name = path.rpartition("/")
            if directory and not _SKIP_DIRS.isdisjoint(directory.split("/")):
                continue
            self.dirs.setdefault(directory or ".", set()).add(name)
        self._usages: dict[str, tuple[Usage, ...]] = {}
        self._pins: dict[tuple[str, str], tuple[_Pin, ...]] = {}
        self._aqua: dict[tuple[str, bool], _AquaFile] = {}
        self._aqua_by_text: dict[tuple[str, bool], _AquaFile] = {}
        self._globs: dict[tuple[str, str], list[str]] = {}

    def has(self, directory: str, name: str) -> bool:
        return name in self.dirs.get(directory, ())

    def text(self, path: str) -> str | None:
        raw = self.source.read(path)
        return None if raw is None else decode_utf8(raw, path)

    def usages(self, path: str, kind: str) -> tuple[Usage, ...]:
        """The usages of the ``lock``, ``tf`` or ``terraform-version`` file ``path``."""
        cached = self._usages.get(path)
        if cached is None:
            text = self.text(path)
            pins: tuple[_Pin, ...] = ()
            if text is not None:
                # .tf and .tf.json files with the same text are read differently.
                key = (kind + ".json" if path.endswith(".json") else kind, text)
                if key not in self._pins:
                    self._pins[key] = _PARSERS[kind](path, text)
                pins = self._pins[key]
            cached = self._usages[path] = _usages(path, pins)
        return cached

    def aqua(self, path: str, *, content_check: bool) -> _AquaFile:
        key = (path, content_check)
        if key not in self._aqua:
            text = self.text(path)
            if text is None:
                self._aqua[key] = _AquaFile(pins=(), imports=())
            else:
                by_text = (text, content_check)
                if by_text not in self._aqua_by_text:
                    self._aqua_by_text[by_text] = _aqua_file(path, text, content_check)
                self._aqua[key] = self._aqua_by_text[by_text]
        return self._aqua[key]

    def glob(self, importer: str, pattern: str, line: int | None) -> list[str]:
        """Return the files an ``import`` glob of ``importer`` matches, sorted (aqua's
        ``filepath.Glob(filepath.Join(dir, pattern))``)."""
        directory = posixpath.dirname(importer) or "."
        key = (directory, pattern)
        if key in self._globs:
            return self._globs[key]
        # filepath.Join never yields an absolute path from a relative directory: a leading
        # "/" in the pattern is just a separator.
        joined = posixpath.normpath(f"{directory}/{pattern}")
        if joined == ".." or joined.startswith(("../", "/")):
            raise InputError(
                importer, f"import {pattern!r} points outside the repository", line=line
            )
        parent, _, name = joined.rpartition("/")
        parent = parent or "."
        try:
            name_rx = _go_glob_regex(name)
            if _has_go_meta(parent):
                parent_rx = _go_glob_regex(parent)
                candidates = [d for d in self.dirs if parent_rx.fullmatch(d)]
            else:
                candidates = [parent] if parent in self.dirs else []
        except ValueError as e:
            raise InputError(
                importer, f"import {pattern!r}: bad glob pattern ({e})", line=line
            ) from None
        found = sorted(
            f"{d}/{n}" if d != "." else n
            for d in candidates
            for n in self.dirs[d]
            if name_rx.fullmatch(n)
        )
        self._globs[key] = found
        return found


def _join(directory: str, name: str) -> str:
    return name if directory == "." else f"{directory}/{name}"


def _aqua_usages(repo: _Repo, directory: str) -> list[Usage]:
    """Every aqua package pinned for ``directory``: its configs and what they import."""
    usages: list[Usage] = []
    seen: set[str] = set()

    def walk(path: str, chain: tuple[str, ...], *, content_check: bool) -> None:
        if path in chain:
            cycle = " -> ".join((*chain, path))
            raise InputError(chain[-1], f"import cycle: {cycle}")
        if path in seen:
            return  # imported twice (a diamond): its packages are counted once
        if len(chain) > _MAX_IMPORT_DEPTH:
            raise InputError(chain[-1], f"imports are nested deeper than {_MAX_IMPORT_DEPTH}")
        seen.add(path)
        parsed = repo.aqua(path, content_check=content_check)
        usages.extend(_usages(path, parsed.pins))
        for pattern, line in parsed.imports:
            for match in repo.glob(path, pattern, line):
                walk(match, (*chain, path), content_check=False)

    for rel in _AQUA_CONFIG_NAMES:
        sub, _, name = rel.rpartition("/")
        if repo.has(_join(directory, sub) if sub else directory, name):
            walk(_join(directory, rel), (), content_check=False)
    imports_dir = _join(directory, _TFACTION_IMPORTS_DIR)
    for name in sorted(repo.dirs.get(imports_dir, ())):
        if _YAML_NAME_RE.fullmatch(name):
            # Not imported by any config: read it only if it looks like an aqua config.
            walk(f"{imports_dir}/{name}", (), content_check=True)
    return usages


def _directory_usages(
    repo: _Repo, directory: str, *, constraints: bool = True
) -> tuple[Usage, ...]:
    from depguard.prcheck.changes import _tf_ignored

    names = repo.dirs.get(directory, set())
    usages: list[Usage] = []
    if LOCK_FILE in names:
        usages.extend(repo.usages(_join(directory, LOCK_FILE), "lock"))
    for name in sorted(names) if constraints else ():
        if name.endswith((".tf", ".tf.json")) and not _tf_ignored(name):
            usages.extend(repo.usages(_join(directory, name), "tf"))
    if TERRAFORM_VERSION_FILE in names:
        usages.extend(repo.usages(_join(directory, TERRAFORM_VERSION_FILE), "terraform-version"))
    usages.extend(_aqua_usages(repo, directory))
    return tuple(sorted(usages, key=lambda u: (u.file, u.line or 0, u.dependency, u.pin)))


# --- discovery ------------------------------------------------------------------------------


def _listing(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:_SHOWN])
    return shown if len(paths) <= _SHOWN else f"{shown} and {len(paths) - _SHOWN} more"


def _state_directories(repo: _Repo, notes: list[str]) -> dict[str, str]:
    """Return {directory: tfaction target} for every state directory (module docstring)."""
    lock_dirs = sorted(d for d, names in repo.dirs.items() if LOCK_FILE in names)
    text = repo.text(TFACTION_ROOT) if repo.has(".", TFACTION_ROOT) else None
    if text is not None:
        root = parse_tfaction_root(text, TFACTION_ROOT)
        working = sorted(
            d
            for d, names in repo.dirs.items()
            if root.working_directory_file in names and root.module_file not in names
        )
        if working:
            if root.base_working_directory:
                notes.append(
                    f"{TFACTION_ROOT}: base_working_directory is not supported; working "
                    "directories are taken relative to the repository root"
                )
            result: dict[str, str] = {}
            ungrouped: list[str] = []
            for d in working:
                target = root.target_of(d)
                if target is None:
                    ungrouped.append(d)
                result[d] = target if target is not None else d
            if ungrouped:
                notes.append(
                    f"{len(ungrouped)} working "
                    f"director{'y matches' if len(ungrouped) == 1 else 'ies match'} no "
                    f"target_groups entry of {TFACTION_ROOT} (tfaction does not list them; "
                    f"their path is used as target): {_listing(ungrouped)}"
                )
            outside = [d for d in lock_dirs if d not in result]
            if outside:
                notes.append(
                    f"left out {len(outside)} director{'y' if len(outside) == 1 else 'ies'} "
                    f"with a {LOCK_FILE} that tfaction does not run (no "
                    f"{root.working_directory_file}, or a tfaction module): {_listing(outside)}"
                )
            return result
        notes.append(
            f"{TFACTION_ROOT} is present but no directory holds "
            f"{root.working_directory_file}: state directories are those with a {LOCK_FILE}"
        )
    found = set(lock_dirs)
    found.update(d for d, names in repo.dirs.items() if DEFAULT_WORKING_DIRECTORY_FILE in names)
    return {d: d for d in sorted(found)}


def _stage_of(path: str, stages: Sequence[RolloutStage]) -> str | None:
    for stage in stages:
        if any(glob.matches(path) for glob in stage.match):
            return stage.name
    return None


_PIN_SUFFIXES = (".tf", ".tf.json", ".hcl", ".yaml", ".yml")


def _prefetch(
    source: FileSource, repo: _Repo, directories: Iterable[str], *, constraints: bool
) -> None:
    """Let a source that can (a git revision) read the files discovery will read in one
    batch: the pin files of each state directory and of its aqua directories."""
    prefetch = getattr(source, "prefetch", None)
    if prefetch is None:
        return
    paths: list[str] = []
    for directory in directories:
        for sub in ("", "/aqua", "/.aqua", "/aqua/imports", "/.aqua/imports"):
            here = directory + sub if directory != "." else sub.lstrip("/") or "."
            for name in repo.dirs.get(here, ()):
                if not constraints and name.endswith((".tf", ".tf.json")):
                    continue
                if name.endswith(_PIN_SUFFIXES) or name == ".terraform-version":
                    paths.append(name if here == "." else f"{here}/{name}")
    prefetch(paths)


def _policy_name(config: Config) -> str:
    return config.source or "the built-in default policy"


def discover(
    source: FileSource, config: Config, *, root: Path, constraints: bool = True
) -> Workspace:
    """Find the state directories of ``source`` and what each one pins (module docstring).

    ``root`` is where the repository lives (stored in the workspace for callers; nothing is
    read from it). Returns a :class:`Workspace` with targets sorted by path, the configured
    stages, and notes about directories left out or named by fallback. Raises
    :class:`ConfigError` when ``rollout.stages`` is empty, or when a state directory matches
    no stage and ``rollout.unmatched`` is ``error``; :class:`InputError` naming file and line
    for a malformed lock file, Terraform file, ``.terraform-version``, aqua config or
    ``tfaction-root.yaml``.

    ``constraints=False`` leaves out the ``.tf`` files (``required_providers`` /
    ``required_version`` ranges): callers that only look at exact pins (the weekly report,
    the PR gate's rollout order) skip parsing them.
    """
    stages = config.rollout.stages
    if not stages:
        raise ConfigError(
            f"rollout.stages is empty in {_policy_name(config)}: nothing to plan",
            hint="add rollout.stages to depguard.yaml, e.g. "
            '{name: dev, match: ["envs/dev/**"], soak: 2d}',
        )
    repo = _Repo(source)
    notes: list[str] = []
    directories = _state_directories(repo, notes)
    staged: list[tuple[str, str, str]] = []
    unmatched: list[str] = []
    for path, target in sorted(directories.items()):
        stage = _stage_of(path, stages)
        if stage is None:
            if config.rollout.unmatched != "last":
                unmatched.append(path)
                continue
            stage = stages[-1].name
        staged.append((path, target, stage))
    if unmatched:
        listed = "; ".join(f"{s.name}: {', '.join(map(str, s.match))}" for s in stages)
        what = "state directory" if len(unmatched) == 1 else f"{len(unmatched)} state directories"
        raise ConfigError(
            f"{_policy_name(config)}: {what} {_listing(unmatched)} "
            f"{'matches' if len(unmatched) == 1 else 'match'} no rollout stage ({listed})",
            hint="add a pattern to rollout.stages[].match, or set rollout.unmatched: last "
            "to put such directories in the last stage",
        )
    _prefetch(source, repo, [path for path, _, _ in staged], constraints=constraints)
    targets = tuple(
        Target(
            path=path,
            stage=stage,
            target=target,
            usages=_directory_usages(repo, path, constraints=constraints),
        )
        for path, target, stage in staged
    )
    return Workspace(root=root, targets=targets, stages=stages, notes=tuple(notes))


# --- the DEP argument -----------------------------------------------------------------------


def _some(deps: Iterable[Dependency]) -> str:
    names = sorted(str(d) for d in deps)
    if not names:
        return "no state directory pins any dependency"
    return f"dependencies in use: {_listing(names)}"


def _provider(text: str, given: str) -> Dependency:
    from depguard.formats.tf_address import parse_provider_source

    try:
        return Dependency("provider", str(parse_provider_source(text)))
    except ValueError as e:
        raise ConfigError(f"{given}: not a provider address: {e}") from None


def resolve_dependency(text: str, workspace: Workspace) -> Dependency:
    """Turn the ``DEP`` argument of ``depguard rollout`` into a :class:`Dependency`.

    ``terraform`` is the Terraform CLI; ``aqua:OWNER/REPO[/PATH]`` an aqua package
    (``aqua:hashicorp/terraform`` is the Terraform CLI too); ``provider:ADDRESS`` or an
    address with a hostname (``registry.terraform.io/hashicorp/aws``) a provider, normalised
    like Terraform does. A bare ``NAMESPACE/TYPE`` or ``OWNER/REPO`` is looked up in
    ``workspace``: a provider of that namespace and type on any registry host, or an aqua
    package of that name. Prefixed and hostname forms are not required to be in use.

    Raises :class:`ConfigError` (a usage error) for an empty or malformed argument, a
    version in it (``@v1.2.3``: give the version with ``--to``), a bare name that matches
    both a provider and an aqua package or several providers (ambiguous), or one nothing in
    the workspace uses (the message lists some dependencies that are in use).
    """
    given = text.strip()
    if not given:
        raise ConfigError(
            "the dependency is empty: give terraform, a provider address or aqua:OWNER/REPO"
        )
    if given.lower() == "terraform":
        return TERRAFORM
    prefix, sep, rest = given.partition(":")
    if sep and prefix in ("aqua", "provider"):
        rest = rest.strip()
        if not rest:
            raise ConfigError(f"{given}: give a name after {prefix}:")
        if "@" in rest:
            raise ConfigError(
                f"{given}: the dependency names no version; give the version with --to"
            )
        if prefix == "provider":
            return _provider(rest, given)
        if any(c.isspace() for c in rest) or "/" not in rest:
            raise ConfigError(f"{given}: an aqua package is OWNER/REPO[/PATH]")
        return TERRAFORM if rest == AQUA_TERRAFORM else Dependency("aqua", rest)
    if "@" in given:
        raise ConfigError(f"{given}: the dependency names no version; give the version with --to")

    used = workspace.dependencies()
    parts = given.split("/")
    aqua = [d for d in used if d.kind == "aqua" and d.name.lower() == given.lower()]
    if len(parts) == 3 and ("." in parts[0] or ":" in parts[0]):
        # A hostname: a provider address, unless only an aqua package of that name is in use
        # (aqua names like gitlab.com/OWNER/REPO look the same).
        provider = _provider(given, given)
        if aqua and provider not in used:
            if len(aqua) == 1:
                return aqua[0]
            raise _ambiguous(given, aqua)
        if aqua:
            raise _ambiguous(given, [provider, *aqua])
        return provider
    providers: list[Dependency] = []
    if len(parts) == 2:
        try:
            from depguard.formats.tf_address import parse_provider_source

            wanted = parse_provider_source(given)
        except ValueError:
            pass
        else:
            suffix = f"/{wanted.namespace}/{wanted.type}"
            providers = [d for d in used if d.kind == "provider" and d.name.endswith(suffix)]
    candidates = sorted({*providers, *aqua})
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise _ambiguous(given, candidates)
    if given == AQUA_TERRAFORM:
        return TERRAFORM
    last = parts[-1].lower()
    close = sorted(str(d) for d in used if d.name.lower().rsplit("/", 1)[-1] == last)
    raise ConfigError(
        f"{given}: no state directory uses a provider or aqua package of that name ({_some(used)})",
        hint=f"did you mean {' or '.join(close[:3])}?" if close else None,
    )


def _ambiguous(given: str, candidates: Sequence[Dependency]) -> ConfigError:
    names = ", ".join(
        f"aqua:{d.name}" if d.kind == "aqua" else f"provider:{d.name}" for d in sorted(candidates)
    )
    return ConfigError(
        f"{given} is ambiguous: it names {names}",
        hint="prefix the dependency with provider: or aqua: and give the full name",
    )
