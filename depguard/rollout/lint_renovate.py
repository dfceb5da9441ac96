"""Lint a repository's Renovate ``packageRules`` against its state directories (pure).

The rules are evaluated the way Renovate 39 does (``lib/util/package-rules/*.ts``,
``lib/util/string-match.ts``) against the dependencies Renovate extracts from the workspace,
rebuilt from depguard's :class:`~depguard.rollout.model.Usage`\\ s (see :func:`renovate_view`):

* a pattern is a regular expression only when written ``/re/`` or ``/re/i`` (``!`` in front
  negates); anything else is a **minimatch glob** with ``{dot: true, nocase: true}``, and
  ``*`` alone matches everything. So ``'.*'`` is a glob that matches only names starting
  with ``.``: the slip of tfaction-example's ``matchPackageNames: ['.*']``.
* a list matches when one positive pattern matches and every negated one does too; every
  selector of a rule must match; the rules that match are merged in order, later ones win.
* before evaluating, the config migrations Renovate applies are applied
  (``matchPackagePatterns`` -> ``/re/`` in ``matchPackageNames``, ``excludeDepNames`` ->
  ``!name``, ``matchPaths`` -> ``matchFileNames``, ``matchManagers: regex`` ->
  ``custom.regex``, ...: ``lib/config/migrations/custom/package-rules-migration.ts``).

Only what local data decides is evaluated (managers, categories, file names, package and
dependency names, dependency types, most datasources); the rest (``matchUpdateTypes``,
``matchCurrentVersion``, ...) is *unknown*, and a rule that may match is never reported.
Presets in ``extends`` are not fetched, except that the two internal presets that group
everything (``group:all``, ``group:allNonMajor``) are known.

Findings (rule ``renovate-rule-ineffective``):

1. a packageRule that matches none of the workspace's dependencies, reported when that is
   evidently a mistake: a pattern that looks like a regular expression written as a glob;
   a ``matchFileNames`` that matches no file of the repository (when the file list is
   given); or a rule aimed at these dependencies (its managers/categories/datasources/
   dependency types or file names select some of them) whose names then exclude them all.
   A rule about other ecosystems (npm, GitHub Actions, Docker, ...) is not judged.
2. with two or more stages: Renovate would put directories of different stages into one
   branch and PR: a ``groupName`` over stages, an ``additionalBranchPrefix`` that does not
   tell stages apart (``{{parentDir}}-``), or no rule splitting them at all (the default
   branch is one per dependency and major version, across every directory).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from depguard.formats.renovate import load_renovate_config
from depguard.model import Finding
from depguard.rollout.model import Dependency, Workspace
from depguard.rollout.renovate_rules import (
    ConfigLayout,
    config_layout,
    renovate_dep_name,
    renovate_package_name,
)
from depguard.rules import renovate_rule_ineffective
from depguard.util.linear_re import LinearRegex, RegexError

__all__ = [
    "CONFIG_FILE_NAMES",
    "RenovateDep",
    "UnsupportedPatternError",
    "find_config",
    "is_regex_pattern",
    "lint",
    "looks_like_regex",
    "match_pattern",
    "match_patterns",
    "minimatch",
    "renovate_view",
]

META = renovate_rule_ineffective.META

#: Where Renovate 39 looks for a repository's config, in its order
#: (``lib/config/app-strings.ts`` ``configFileNames``); the ``renovate`` key of package.json,
#: last in Renovate's list, is not read by depguard.
CONFIG_FILE_NAMES: Final = (
    "renovate.json",
    "renovate.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
    ".gitlab/renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
)


def find_config(files: Collection[str]) -> str | None:
    """Return the repository-relative path of the config Renovate would read among
    ``files`` (the first of :data:`CONFIG_FILE_NAMES` present), or None."""
    present = set(files)
    return next((name for name in CONFIG_FILE_NAMES if name in present), None)


#: Three-valued logic: True, False, or None for "cannot tell from local data".
Tri = bool | None


class UnsupportedPatternError(ValueError):
    """A pattern uses syntax this evaluator does not reproduce exactly (POSIX classes,
    ``!(…)`` extglobs, regex syntax Python and RE2 read differently, patterns whose regex
    could backtrack exponentially): its result is unknown."""


# --- minimatch (the subset Renovate configs use), {dot: true, nocase: true} ------------------

_MAX_EXPANSIONS: Final = 256
_MAX_INPUT: Final = 1024


def _brace_expand(pattern: str) -> list[str]:
    """Brace expansion as minimatch 10 does it (npm ``brace-expansion`` 2, Bash's rules):
    ``a{b,c}`` -> ``ab``, ``ac``; ``{1..3}``, ``{01..03}``, ``{a..e..2}``; a group that is
    neither a list nor a sequence stays literal, and so does everything after it; empty
    results are dropped when the first group is a list. Shapes where Bash's rules get
    subtle (escapes, ``${``, unbalanced or literal-nested braces) are refused."""
    if not re.search(r"\{[^{\n]*\}", pattern):
        return [pattern]  # minimatch expands only when a "{…}" without "{" inside exists
    if "\\" in pattern or "${" in pattern or pattern.startswith("{}"):
        raise UnsupportedPatternError(f"brace pattern {pattern!r} is not evaluated")
    depth = 0
    for c in pattern:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            break
    if depth != 0:
        raise UnsupportedPatternError(f"unbalanced braces in {pattern!r}")
    out = _expand(pattern, top=True)
    if len(out) > _MAX_EXPANSIONS:
        raise UnsupportedPatternError(f"brace expansion of {pattern!r} is too large")
    return list(dict.fromkeys(out))


def _expand(text: str, *, top: bool) -> list[str]:
    acc, rest, drop, first = [""], text, False, True
    while True:
        start = rest.find("{")
        if start < 0:
            break
        end = _closing(rest, start)
        pre, body, post = rest[:start], rest[start + 1 : end], rest[end + 1 :]
        sequence = _sequence(body)
        if sequence is None and "," not in body:
            if re.search(r",(?!,).*\}", post):
                raise UnsupportedPatternError("a literal {…} followed by a list is not evaluated")
            break  # literal, and so is the rest
        if first:
            drop, first = top and sequence is None, False
        if sequence is not None:
            values = sequence
        else:
            parts = _split_top(body)
            if len(parts) == 1:
                raise UnsupportedPatternError("a list inside a literal {…} is not evaluated")
            values = [v for part in parts for v in _expand(part, top=False)]
        acc = [a + pre + v for a in acc for v in values]
        if len(acc) > _MAX_EXPANSIONS:
            raise UnsupportedPatternError("brace expansion is too large")
        rest = post
    acc = [a + rest for a in acc]
    return [a for a in acc if a] if drop else acc


def _closing(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i
    raise UnsupportedPatternError("unbalanced braces")  # pragma: no cover - checked before


def _split_top(body: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for c in body:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
    parts.append("".join(current))
    return parts


def _sequence(body: str) -> list[str] | None:
    numeric = re.fullmatch(r"-?\d+\.\.-?\d+(?:\.\.-?\d+)?", body)
    alpha = re.fullmatch(r"[a-zA-Z]\.\.[a-zA-Z](?:\.\.-?\d+)?", body)
    if not numeric and not alpha:
        return None
    n = body.split("..")
    x, y = (int(v) if numeric else ord(v) for v in n[:2])
    step = max(abs(int(n[2])), 1) if len(n) == 3 else 1
    if abs(y - x) // step > _MAX_EXPANSIONS:
        raise UnsupportedPatternError(f"brace sequence {{{body}}} is too large")
    values = range(x, y + 1, step) if x <= y else range(x, y - 1, -step)
    if alpha:
        return ["" if chr(v) == "\\" else chr(v) for v in values]
    width = max(len(n[0]), len(n[1]))
    padded = any(re.match(r"-?0\d", v) for v in n)
    out = []
    for v in values:
        c = str(v)
        if padded and width > len(c):
            zeros = "0" * (width - len(c))
            c = "-" + zeros + c[1:] if v < 0 else zeros + c
        out.append(c)
    return out


def _class(segment: str, i: int) -> tuple[str, int] | None:
    """Translate the bracket expression starting at ``segment[i] == '['``; None when it
    does not close (then ``[`` is a literal)."""
    j = i + 1
    negate = False
    if j < len(segment) and segment[j] in "!^":
        negate, j = True, j + 1
    items: list[str] = []
    first = True
    while j < len(segment):
        c = segment[j]
        if c == "]" and not first:
            if not items:
                return None
            return ("[^" if negate else "[") + "".join(items) + "]", j + 1
        if c == "[" and segment.startswith(":", j + 1):
            raise UnsupportedPatternError("POSIX character classes are not supported")
        if c == "\\" and j + 1 < len(segment):
            c = segment[j + 1]
            j += 1
        if j + 2 < len(segment) and segment[j + 1] == "-" and segment[j + 2] != "]":
            hi = segment[j + 2]
            if hi == "\\" and j + 3 < len(segment):
                hi, j = segment[j + 3], j + 1
            if ord(hi) >= ord(c):
                items.append(re.escape(c) + "-" + re.escape(hi))
            j += 3
        else:
            items.append(re.escape(c))
            j += 1
        first = False
    return None


def _segment_regex(segment: str) -> str:
    """Translate a path segment of a glob into a regex."""
    out: list[str] = []
    i = 0
    while i < len(segment):
        c = segment[i]
        if c == "\\":
            out.append(re.escape(segment[i + 1]) if i + 1 < len(segment) else re.escape("\\"))
            i += 2
        elif c in "+@*?!" and segment.startswith("(", i + 1) and _closes(segment, i + 1):
            # extglobs: minimatch's dot and empty-match handling inside them is subtle
            raise UnsupportedPatternError("extglobs such as +(a|b) are not evaluated")
        elif c == "*":
            out.append("[^/]*")
            i += 1
            while (
                i < len(segment)
                and segment[i] == "*"
                and not (segment.startswith("(", i + 1) and _closes(segment, i + 1))
            ):
                i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            translated = _class(segment, i)
            if translated is None:
                out.append(re.escape(c))
                i += 1
            else:
                out.append(translated[0])
                i = translated[1]
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _closes(segment: str, i: int) -> bool:
    depth = 0
    for j in range(i, len(segment)):
        if segment[j] == "\\":
            continue
        if segment[j] == "(":
            depth += 1
        elif segment[j] == ")":
            depth -= 1
            if depth == 0:
                return True
    return False


_Segment = Callable[[str], bool]

# minimatch's fast paths for common segment shapes (``parse``): they replace the regex test,
# quirks included (``*\\.tf`` compares the backslash literally), so they are mirrored.
_STAR: Final = re.compile(r"\*+")
_STAR_EXT: Final = re.compile(r"\*+([^+@!?*\[(]*)")
_QMARKS: Final = re.compile(r"\?+([^+@!?*\[(]*)?")
_STAR_DOT_STAR: Final = re.compile(r"\*+\.\*+")
_DOT_STAR: Final = re.compile(r"\.\*+")


def _segment(segment: str) -> _Segment:
    """The test of one path segment of a glob, as minimatch 10 builds it with
    ``{dot: true, nocase: true}``."""
    if _STAR.fullmatch(segment):
        return lambda f: f not in ("", ".", "..")
    m = _STAR_EXT.fullmatch(segment)
    if m:
        ext = m.group(1).lower()
        return lambda f: f.lower().endswith(ext)
    m = _QMARKS.fullmatch(segment)
    if m:
        size, ext = len(m.group(0)), (m.group(1) or "").lower()
        return lambda f: len(f) == size and f not in (".", "..") and f.lower().endswith(ext)
    if _STAR_DOT_STAR.fullmatch(segment):
        return lambda f: f not in (".", "..") and "." in f
    if _DOT_STAR.fullmatch(segment):
        return lambda f: f not in (".", "..") and f.startswith(".")
    source = _segment_regex(segment)
    if "\\" not in segment and source == re.escape(segment):
        literal = segment.lower()
        return lambda f: f.lower() == literal
    # A segment whose regex starts with a wildcard or class (maybe after one or two
    # literal dots) never matches "." or ".." (ast.ts startNoTraversal), unless it is
    # exactly that.
    try:
        regex = LinearRegex(source, ignore_case=True, dot_nl=True)  # linear time, as above
    except RegexError as e:
        raise UnsupportedPatternError(f"glob segment {segment!r}: {e}") from None
    if segment not in (".", "..") and re.match(r"(?:\\\.){0,2}\[", source):
        return lambda f: f not in (".", "..") and regex.fullmatch(f)
    return regex.fullmatch


@functools.lru_cache(maxsize=4096)
def _compile_glob(pattern: str) -> tuple[tuple[_Segment | None, ...], ...]:
    """The brace-expanded alternatives of ``pattern``, each a tuple of segment tests
    (None for a ``**`` globstar)."""
    sets = []
    for alternative in _brace_expand(pattern):
        parts: list[_Segment | None] = []
        for segment in re.split(r"/+", alternative):
            if segment == "**":
                if not parts or parts[-1] is not None:
                    parts.append(None)
                continue
            parts.append(_segment(segment))
        sets.append(tuple(parts))
    return tuple(sets)


def _match_parts(
    file: Sequence[str], parts: Sequence[_Segment | None], fi: int = 0, pi: int = 0
) -> bool:
    # minimatch's matchOne, without partial matching.
    while fi < len(file) and pi < len(parts):
        part = parts[pi]
        if part is None:
            if pi + 1 == len(parts):
                return all(f not in (".", "..") for f in file[fi:])
            for fr in range(fi, len(file) + 1):
                if _match_parts(file, parts, fr, pi + 1):
                    return True
                if fr < len(file) and file[fr] in (".", ".."):
                    return False
            return False
        if not part(file[fi]):
            return False
        fi += 1
        pi += 1
    if fi == len(file) and pi == len(parts):
        return True
    if fi == len(file):
        # only a trailing globstar is left (it may match zero segments at the end only when
        # the path had a trailing slash)
        return False
    return fi == len(file) - 1 and file[fi] == ""


def minimatch(name: str, pattern: str) -> bool:
    """Return ``minimatch(pattern, {dot: true, nocase: true}).match(name)`` (minimatch 10,
    as Renovate calls it): ``*``, ``?``, ``[...]``, ``**``, ``{a,b}``, ``{1..3}``, ``\\``
    escapes, leading ``!`` negation, ``#`` comments; extglobs are not evaluated.

    Raises :class:`UnsupportedPatternError` for syntax it does not reproduce exactly.
    """
    if len(name) > _MAX_INPUT:
        raise UnsupportedPatternError("name too long")
    if pattern.startswith("#"):
        return False  # a comment matches nothing
    if not pattern:
        return name == ""
    negate = False
    while pattern.startswith("!"):
        negate, pattern = not negate, pattern[1:]
    file = re.split(r"/+", name)
    hit = any(_match_parts(file, parts) for parts in _compile_glob(pattern))
    return hit != negate


# --- Renovate's string matching ---------------------------------------------------------------

_RE2_ONLY: Final = re.compile(r"\\[pPzCQEK]|\(\?<[A-Za-z]|\[:|\\Z")
_PY_ONLY: Final = re.compile(r"\(\?[=!<>#]|\(\?<[=!]|\\[1-9]|[*+?}]\+|\(\?[a-zA-Z]*:")


def is_regex_pattern(pattern: str) -> bool:
    """Whether Renovate reads ``pattern`` as a regex: ``/…/`` or ``/…/i``, maybe ``!``-led."""
    return bool(re.match(r"!?/", pattern)) and bool(re.search(r"/i?$", pattern))


@functools.lru_cache(maxsize=4096)
def _compile_regex(pattern: str) -> LinearRegex:
    # Renovate runs these in RE2 (linear time) and so does this linter: a pattern from a pull
    # request cannot make it backtrack for hours. Syntax JavaScript and RE2 read differently
    # stays unevaluated.
    source = re.sub(r"/i?$", "", re.sub(r"^!?/", "", pattern))
    if _RE2_ONLY.search(source) or _PY_ONLY.search(source):
        raise UnsupportedPatternError(f"regex {pattern!r} is not evaluated")
    try:
        return LinearRegex(source, ignore_case=pattern.endswith("i"))
    except RegexError as e:
        raise UnsupportedPatternError(f"regex {pattern!r}: {e}") from None


def match_pattern(name: str, pattern: str) -> bool:
    """Renovate's ``matchRegexOrGlob(name, pattern)``: ``*`` matches everything, ``/re/``
    (``/re/i``; ``!/re/`` negated) is a regex searched anywhere in ``name``, anything else
    a minimatch glob (:func:`minimatch`).

    Raises :class:`UnsupportedPatternError` when the answer cannot be computed exactly.
    """
    if pattern == "*":
        return True
    if is_regex_pattern(pattern):
        if len(name) > _MAX_INPUT:
            raise UnsupportedPatternError("name too long")
        found = _compile_regex(pattern).search(name)
        return found != pattern.startswith("!")
    return minimatch(name, pattern)


def _tri_match(name: str, pattern: str) -> Tri:
    try:
        return match_pattern(name, pattern)
    except UnsupportedPatternError:
        return None


def match_patterns(name: str, patterns: Sequence[str]) -> Tri:
    """Renovate's ``matchRegexOrGlobList``: False for an empty list; else one positive
    pattern must match (when there are any) and every ``!`` pattern must hold. None when a
    pattern that decides it cannot be evaluated."""
    if not patterns:
        return False
    positives = [p for p in patterns if not p.startswith("!")]
    negatives = [p for p in patterns if p.startswith("!")]
    pos: Tri = True
    if positives:
        results = [_tri_match(name, p) for p in positives]
        pos = True if True in results else (None if None in results else False)
    neg: Tri = True
    if negatives:
        results = [_tri_match(name, p) for p in negatives]
        neg = False if False in results else (None if None in results else True)
    if pos is False or neg is False:
        return False
    if pos is None or neg is None:
        return None
    return True


def _any(values: Iterable[Tri]) -> Tri:
    seen_none = False
    for v in values:
        if v is True:
            return True
        if v is None:
            seen_none = True
    return None if seen_none else False


# --- the dependencies as Renovate sees them ---------------------------------------------------

_UNKNOWN: Final = "\0unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class RenovateDep:
    """One dependency in one package file, with the fields Renovate's matchers read.
    ``datasource``/``dep_type`` None: Renovate sets none; :data:`_UNKNOWN`: cannot tell."""

    dependency: Dependency
    directory: str
    stage: str
    manager: str  # as matchManagers sees it (custom managers as custom.<type>)
    categories: tuple[str, ...]
    datasource: str | None
    dep_type: str | None
    dep_name: str
    package_name: str
    package_file: str


def renovate_view(workspace: Workspace) -> list[RenovateDep]:
    """Return the dependencies Renovate extracts from ``workspace``'s state directories, as
    the terraform, terraform-version and aqua-renovate-config regex managers report them
    (probe: renovate 39.264.1 extract report): a provider once per ``required_providers``
    file (depName = local name, taken to be the type; packageName ``ns/type``), the
    Terraform CLI per ``required_version`` / ``.terraform-version`` / aqua pin, each aqua
    package per aqua file. A provider known only from a lock file is kept with the lock file
    as its package file, so that a rule naming it is not taken as matching nothing."""
    seen: set[tuple[Dependency, str, str]] = set()
    out: list[RenovateDep] = []
    for target in workspace.targets:
        constrained = {u.dependency for u in target.usages if u.pin == "constraint"}
        for usage in target.usages:
            dep = usage.dependency
            manager = "custom.regex"
            categories: tuple[str, ...] = ("custom",)
            datasource: str | None = "github-releases"
            dep_type: str | None = None
            if dep.kind == "provider":
                if usage.pin == "lock" and dep in constrained:
                    continue
                manager, categories = "terraform", ("iac", "terraform")
                datasource = "terraform-provider"
                dep_type = "required_provider" if usage.pin == "constraint" else _UNKNOWN
            elif dep.kind == "terraform":
                if usage.pin == "constraint":
                    manager, categories, dep_type = (
                        "terraform",
                        ("iac", "terraform"),
                        "required_version",
                    )
                elif usage.pin == "terraform-version":
                    manager, categories = "terraform-version", ("terraform",)
                elif usage.pin != "aqua":
                    continue
            else:
                datasource = _UNKNOWN  # github-releases, or -tags, go, crate… per package
            key = (dep, usage.file, manager)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                RenovateDep(
                    dependency=dep,
                    directory=target.path,
                    stage=target.stage,
                    manager=manager,
                    categories=categories,
                    datasource=datasource,
                    dep_type=dep_type,
                    dep_name=renovate_dep_name(dep),
                    package_name=renovate_package_name(dep),
                    package_file=usage.file,
                )
            )
    return out


# --- packageRules, migrated as Renovate migrates them -----------------------------------------

_RENAMES: Final = {
    "matchFiles": "matchFileNames",
    "matchPaths": "matchFileNames",
    "paths": "matchFileNames",
    "languages": "matchCategories",
    "matchLanguages": "matchCategories",
    "baseBranchList": "matchBaseBranches",
    "managers": "matchManagers",
    "datasources": "matchDatasources",
    "depTypeList": "matchDepTypes",
    "packageNames": "matchPackageNames",
    "packagePatterns": "matchPackagePatterns",
    "sourceUrlPrefixes": "matchSourceUrlPrefixes",
    "updateTypes": "matchUpdateTypes",
}
# old key -> (new key, how a value becomes a pattern)
_MERGES: Final = {
    "matchDepPrefixes": ("matchDepNames", "{}{{/,}}**"),
    "matchDepPatterns": ("matchDepNames", "/{}/"),
    "excludeDepNames": ("matchDepNames", "!{}"),
    "excludeDepPrefixes": ("matchDepNames", "!{}{{/,}}**"),
    "excludeDepPatterns": ("matchDepNames", "!/{}/"),
    "matchPackagePrefixes": ("matchPackageNames", "{}{{/,}}**"),
    "matchPackagePatterns": ("matchPackageNames", "/{}/"),
    "excludePackageNames": ("matchPackageNames", "!{}"),
    "excludePackagePrefixes": ("matchPackageNames", "!{}{{/,}}**"),
    "excludePackagePatterns": ("matchPackageNames", "!/{}/"),
    "matchSourceUrlPrefixes": ("matchSourceUrls", "{}{{/,}}**"),
    "excludeRepositories": ("matchRepositories", "!{}"),
}

_NAME_SELECTORS: Final = ("matchPackageNames", "matchDepNames")
_SCOPE_SELECTORS: Final = ("matchManagers", "matchCategories", "matchDatasources", "matchDepTypes")
_EVALUATED: Final = (*_SCOPE_SELECTORS, "matchFileNames", *_NAME_SELECTORS)


@dataclass(frozen=True, slots=True)
class _Pattern:
    text: str  # as Renovate evaluates it, after migration
    written: str  # as written in the file
    key: str  # the key it was written under


@dataclass(frozen=True, slots=True)
class _Rule:
    index: int | None  # position in packageRules; None for a known preset's rule
    origin: str  # "packageRules[3]" or "preset group:all"
    selectors: Mapping[str, tuple[_Pattern, ...] | None]  # None: not a list of strings
    options: Mapping[str, Any]


def _migrate(index: int | None, origin: str, raw: Mapping[str, Any]) -> _Rule:
    selectors: dict[str, list[_Pattern] | None] = {}
    options: dict[str, Any] = {}
    for key, value in raw.items():
        new_key = _RENAMES.get(key, key)
        if not new_key.startswith(("match", "exclude")):
            options[key] = value
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            selectors[new_key] = None
            continue
        if new_key in _MERGES:
            target, template = _MERGES[new_key]
            patterns = [
                _Pattern("*" if v == "*" and template == "/{}/" else template.format(v), v, key)
                for v in values
            ]
            new_key = target
        else:
            patterns = [
                _Pattern(
                    "custom.regex" if new_key == "matchManagers" and v == "regex" else v, v, key
                )
                for v in values
            ]
        existing = selectors.get(new_key, [])
        selectors[new_key] = None if existing is None else [*existing, *patterns]
    return _Rule(
        index,
        origin,
        {k: None if v is None else tuple(v) for k, v in selectors.items()},
        options,
    )


_KNOWN_PRESETS: Final[Mapping[str, Mapping[str, Any]]] = {
    # renovate 39 lib/config/presets/internal/group.preset.ts
    "group:all": {"groupName": "all dependencies", "groupSlug": "all", "matchPackageNames": ["*"]},
    "group:allNonMajor": {
        "groupName": "all non-major dependencies",
        "groupSlug": "all-minor-patch",
        "matchPackageNames": ["*"],
        "matchUpdateTypes": ["minor", "patch"],
    },
}


def _rules(config: Mapping[str, Any]) -> list[_Rule]:
    rules: list[_Rule] = []
    extends = config.get("extends")
    for preset in extends if isinstance(extends, list) else []:
        name = preset.removeprefix(":") if isinstance(preset, str) else ""
        if name in _KNOWN_PRESETS:
            rules.append(_migrate(None, f"preset {name}", _KNOWN_PRESETS[name]))
    raw_rules = config.get("packageRules")
    for index, raw in enumerate(raw_rules if isinstance(raw_rules, list) else []):
        if isinstance(raw, Mapping):
            rules.append(_migrate(index, f"packageRules[{index}]", raw))
    return rules


def _selector(key: str, patterns: Sequence[str], dep: RenovateDep) -> Tri:
    """One selector of a rule against one dependency (Renovate's matcher for ``key``)."""
    if key == "matchManagers":
        return match_patterns(dep.manager, patterns)
    if key == "matchCategories":
        return _any(match_patterns(c, patterns) for c in dep.categories)
    if key == "matchDatasources":
        if dep.datasource == _UNKNOWN:
            return None
        return False if dep.datasource is None else match_patterns(dep.datasource, patterns)
    if key == "matchDepTypes":
        if dep.dep_type == _UNKNOWN:
            return None
        return False if dep.dep_type is None else match_patterns(dep.dep_type, patterns)
    if key == "matchFileNames":
        return match_patterns(dep.package_file, patterns)  # the terraform manager has no lockFiles
    if key == "matchPackageNames":
        return match_patterns(dep.package_name, patterns)
    if key == "matchDepNames":
        return match_patterns(dep.dep_name, patterns)
    return None


def _evaluate(rule: _Rule, dep: RenovateDep) -> Tri:
    unknown = False
    for key, patterns in rule.selectors.items():
        result = None if patterns is None else _selector(key, [p.text for p in patterns], dep)
        if result is False:
            return False
        unknown = unknown or result is None
    return None if unknown else True


# --- judging ----------------------------------------------------------------------------------

# What regexes have and globs do not: anchors, escapes like \. or \d, .+ / .?, (?…), a |
# outside an extglob. ".*" is weaker: it is also a glob for dot files (".*rc").
_REGEX_LOOK: Final = re.compile(r"\.[+?]|\\[.dDwWsS/]|^!?\^|\$$|\(\?|\|")
_EXTGLOB: Final = re.compile(r"[+@*?!]\(")


def looks_like_regex(pattern: str, *, strong: bool = False) -> bool:
    """Whether a glob pattern reads like a regular expression: ``^…``, ``…$``, ``\\.``,
    ``.+``, ``a|b``, or (unless ``strong``) ``.*``."""
    if is_regex_pattern(pattern) or _EXTGLOB.search(pattern):
        return False
    return bool(_REGEX_LOOK.search(pattern)) or (not strong and ".*" in pattern)


def _quote(patterns: Iterable[_Pattern]) -> str:
    return "[" + ", ".join(repr(p.written) for p in patterns) + "]"


def lint(
    config_text: str,
    path: str,
    workspace: Workspace,
    *,
    files: Collection[str] | None = None,
) -> list[Finding]:
    """Return the ``renovate-rule-ineffective`` findings of the Renovate config
    ``config_text`` (displayed as ``path``) against ``workspace`` (see the module docstring),
    sorted. ``files`` — every repository-relative file of the repository — lets a
    ``matchFileNames`` that matches no file at all be reported; without it only the
    workspace's files are known.

    Raises :class:`~depguard.errors.InputError` when the config is not a valid JSON5
    object.
    """
    config = load_renovate_config(config_text, path)
    layout = config_layout(config_text, path)
    deps = _visible(renovate_view(workspace), config)
    rules = _rules(config)
    results = {id(rule): [_evaluate(rule, dep) for dep in deps] for rule in rules}
    findings: list[Finding] = []
    for rule in rules:
        if rule.index is None or not rule.selectors:
            continue
        if any(r is not False for r in results[id(rule)]):
            continue
        finding = _ineffective(rule, deps, files, layout, path, workspace)
        if finding is not None:
            findings.append(finding)
    if len({t.stage for t in workspace.targets}) > 1 and config.get("enabled") is not False:
        rank = {s.name: i for i, s in enumerate(workspace.stages)}
        findings.extend(_merges(config, rules, results, deps, layout, path, rank))
    return sorted(findings, key=Finding.sort_key)


def _visible(deps: list[RenovateDep], config: Mapping[str, Any]) -> list[RenovateDep]:
    """The dependencies Renovate looks at under ``enabledManagers``."""
    enabled = config.get("enabledManagers")
    if not isinstance(enabled, list):
        return deps
    names = {"custom.regex" if m == "regex" else m for m in enabled if isinstance(m, str)}
    return [d for d in deps if d.manager in names]


def _line(layout: ConfigLayout, rule: _Rule, culprits: Sequence[_Pattern]) -> int | None:
    assert rule.index is not None
    for pattern in culprits:
        line = layout.string_line(rule.index, pattern.written)
        if line is not None:
            return line
    if rule.index < len(layout.rule_lines):
        return layout.rule_lines[rule.index]
    return layout.package_rules_line


def _ineffective(
    rule: _Rule,
    deps: list[RenovateDep],
    files: Collection[str] | None,
    layout: ConfigLayout,
    path: str,
    workspace: Workspace,
) -> Finding | None:
    """The finding for ``rule``, which matches none of ``deps``, when that is a mistake."""
    reasons: list[str] = []
    culprits: list[_Pattern] = []
    selector_results: dict[str, list[Tri]] = {}
    for key, patterns in rule.selectors.items():
        if patterns is None or key not in _EVALUATED:
            continue
        texts = [p.text for p in patterns]
        selector_results[key] = [_selector(key, texts, d) for d in deps]
        if any(r is not False for r in selector_results[key]) and deps:
            continue
        # This selector alone excludes every dependency. A regex written as a glob?
        for pattern in patterns:
            positive = pattern.text.lstrip("!")
            # in a file pattern ".*" may well be a glob for dot files
            strong = key == "matchFileNames"
            if pattern.text.startswith("!") or not looks_like_regex(positive, strong=strong):
                continue
            if files is not None and key == "matchFileNames" and _matches_any(files, [positive]):
                continue
            hint = (
                "as a glob it matches only names that start with '.'"
                if positive.startswith(".")
                else "as a glob it matches none of them"
            )
            reasons.append(
                f"{pattern.key} '{pattern.written}' is a glob, not a regular expression "
                f"(Renovate reads a pattern as a regex only when it is written /…/): {hint}; "
                f"write '/{positive}/' if a regex was meant"
            )
            culprits.append(pattern)
        if (
            key == "matchFileNames"
            and files is not None
            and not reasons
            and not _matches_any(files, texts)
        ):
            reasons.append(f"matchFileNames {_quote(patterns)} matches no file of the repository")
            culprits.extend(patterns)
    if not reasons:
        scoped = [k for k in (*_SCOPE_SELECTORS, "matchFileNames") if k in selector_results]
        aimed = bool(scoped) and all(
            any(r is not False for r in selector_results[k]) for k in scoped
        )
        names = [k for k in _NAME_SELECTORS if k in selector_results]
        if not (aimed and names and deps):
            return None
        selects = ", ".join(f"{k} {_quote(rule.selectors[k] or ())}" for k in scoped)
        named = " and ".join(f"{k} {_quote(rule.selectors[k] or ())}" for k in names)
        examples = sorted({d.package_name for d in deps if not _excluded_by_scope(rule, d)})
        if not examples:
            return None  # its selectors exclude each other: nothing says it is about these
        shown = ", ".join(examples[:5]) + (", …" if len(examples) > 5 else "")
        reasons.append(
            f"it selects these dependencies ({selects}) but {named} exclude all of them"
            + f" ({shown})"
        )
        culprits.extend(p for k in names for p in rule.selectors[k] or ())
    count = len({d.dependency for d in deps})
    message = (
        f"{rule.origin} matches none of the {count} dependencies depguard found in "
        f"{len(workspace.targets)} state directories: " + "; ".join(reasons)
    )
    return META.finding(
        message=message, path=path, line=_line(layout, rule, culprits), subject=rule.origin
    )


def _excluded_by_scope(rule: _Rule, dep: RenovateDep) -> bool:
    for key in (*_SCOPE_SELECTORS, "matchFileNames"):
        patterns = rule.selectors.get(key)
        if patterns is not None and _selector(key, [p.text for p in patterns], dep) is False:
            return True
    return False


def _matches_any(files: Collection[str], patterns: Sequence[str]) -> bool:
    return any(match_patterns(f, patterns) is not False for f in files)


# --- merges across stages ---------------------------------------------------------------------

_TEMPLATE_TAG: Final = re.compile(r"\{\{\{?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}?\}\}")


def _sanitize(dep_name: str) -> str:
    # lib/workers/repository/updates/flatten.ts sanitizeDepName
    name = dep_name.replace("@types/", "").replace("@", "")
    name = re.sub(r"[/\s:]", "-", name)
    return re.sub(r"-+", "-", name).lower()


def _slug(text: str) -> str:
    # slugify(groupName, {lower: true}), close enough to tell groups apart
    return "-".join(text.lower().split())


def _render(template: str, dep: RenovateDep) -> str | None:
    directory = dep.package_file.rpartition("/")[0]
    values = {
        "packageFileDir": directory,
        "parentDir": directory.rpartition("/")[2],
        "depName": dep.dep_name,
        "depNameSanitized": _sanitize(dep.dep_name),
        "packageName": dep.package_name,
        "manager": dep.manager.removeprefix("custom."),
        "depType": dep.dep_type or "",
    }
    unknown = False

    def substitute(m: re.Match[str]) -> str:
        nonlocal unknown
        value = values.get(m.group(1))
        if value is None or (m.group(1) == "depType" and dep.dep_type == _UNKNOWN):
            unknown = True
            return ""
        return value

    rendered = _TEMPLATE_TAG.sub(substitute, template)
    if unknown or "{{" in rendered:
        return None
    return rendered


_BRANCH_OPTIONS: Final = (
    "enabled",
    "groupName",
    "groupSlug",
    "additionalBranchPrefix",
    "branchTopic",
    "branchName",
)


@dataclass(frozen=True, slots=True)
class _Branch:
    key: tuple[str, str]  # (prefix, topic)
    cause: str | None  # the rule whose group or prefix put it there
    cause_index: int | None
    group: str | None


def _branch(
    config: Mapping[str, Any],
    rules: Sequence[_Rule],
    results: Mapping[int, list[Tri]],
    position: int,
    dep: RenovateDep,
) -> _Branch | None:
    """The branch Renovate would put ``dep``'s update in; None when disabled or unknown."""
    options: dict[str, Any] = {k: config[k] for k in _BRANCH_OPTIONS if k in config}
    cause: tuple[str | None, int | None] = (None, None)
    group_cause: tuple[str | None, int | None] = (None, None)
    for rule in rules:
        if results[id(rule)][position] is False:
            continue
        applied = rule.options
        if "groupName" in applied and "groupSlug" not in applied:
            options.pop("groupSlug", None)
        for key in _BRANCH_OPTIONS:
            if key in applied:
                options[key] = applied[key]
        if "groupName" in applied:
            group_cause = (rule.origin, rule.index)
        if "additionalBranchPrefix" in applied:
            cause = (rule.origin, rule.index)
    if options.get("enabled") is False or "branchName" in options:
        return None
    prefix_template = options.get("additionalBranchPrefix", "")
    prefix = _render(prefix_template, dep) if isinstance(prefix_template, str) else None
    if prefix is None:
        return None
    group = options.get("groupName")
    if isinstance(group, str) and group:
        slug = options.get("groupSlug")
        topic = "group:" + (slug if isinstance(slug, str) and slug else _slug(group))
        return _Branch((prefix, topic), *group_cause, group)
    topic_template = options.get("branchTopic")
    rendered = (
        _render(topic_template, dep)
        if isinstance(topic_template, str)
        else "dep:" + _sanitize(dep.dep_name)
    )
    if rendered is None:
        return None
    return _Branch((prefix, rendered), *cause, None)


def _merges(
    config: Mapping[str, Any],
    rules: Sequence[_Rule],
    results: Mapping[int, list[Tri]],
    deps: list[RenovateDep],
    layout: ConfigLayout,
    path: str,
    rank: Mapping[str, int],
) -> list[Finding]:
    branches: dict[tuple[str, str], list[tuple[_Branch, RenovateDep]]] = {}
    for position, dep in enumerate(deps):
        branch = _branch(config, rules, results, position, dep)
        if branch is not None:
            branches.setdefault(branch.key, []).append((branch, dep))
    # cause -> (stages, dependencies, directories)
    causes: dict[tuple[str | None, int | None, str | None], list[tuple[_Branch, RenovateDep]]] = {}
    for members in branches.values():
        if len({dep.stage for _, dep in members}) < 2:
            continue
        for branch, dep in members:
            causes.setdefault((branch.cause, branch.cause_index, branch.group), []).append(
                (branch, dep)
            )
    findings = []
    for (origin, index, group), members in sorted(causes.items(), key=lambda kv: repr(kv[0])):
        stages = sorted(
            {dep.stage for _, dep in members}, key=lambda s: (rank.get(s, len(rank)), s)
        )
        names = sorted({str(dep.dependency) for _, dep in members})
        shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        across = f"stages {', '.join(stages)}"
        if group is not None and origin is not None:
            message = (
                f"{origin} groups directories of {across} into one branch and PR "
                f"(groupName {group!r}: {shown}), so Renovate upgrades them together instead of "
                "stage by stage; limit it to one stage's files (matchFileNames) or use "
                "depguard's rules (`depguard rollout renovate-rules`)"
            )
        elif origin is not None:
            message = (
                f"{origin}: its additionalBranchPrefix does not tell {across} apart, so Renovate "
                f"updates {shown} in one PR across them; use depguard's rules "
                "(`depguard rollout renovate-rules`) or a prefix per directory "
                "('{{packageFileDir}}-')"
            )
        else:
            message = (
                f"no packageRule splits Renovate's branches by stage: it would update {shown} "
                f"in one PR across {across}, unlike rollout.stages; add depguard's rules "
                "(`depguard rollout renovate-rules`)"
            )
        if index is not None and index < len(layout.rule_lines):
            line: int | None = layout.rule_lines[index]
        elif origin is not None and origin.startswith("preset"):
            line = layout.extends_line
        else:
            line = layout.package_rules_line
        findings.append(
            META.finding(message=message, path=path, line=line, subject=origin or "packageRules")
        )
    return findings
