"""The pattern types of ``depguard.yaml`` and how they match.

Their semantics are documented in ``manifests/schema/depguard.schema.json`` too:

* **Name globs** (``trust.terraform.providers``, ``signing_keys[].providers``,
  ``min_release_age_exempt``): ``/``-separated segments, ``*`` matches any run of characters
  *within one segment* (never a ``/``), matching is case-insensitive, and a pattern only matches
  names with the same number of segments. A two-part provider pattern ``namespace/type``
  means ``registry.terraform.io/namespace/type``, as in Terraform's ``source`` addresses.
* **Path globs** (``renovate.allowed_files``, ``rollout.stages[].match``, ``rules.*.ignore``):
  match the whole repository-relative POSIX path, case-sensitively. ``*`` and ``?`` stay within
  one segment (and match dot files); ``**`` as a whole segment matches zero or more segments,
  so ``**/aqua.yaml`` also matches ``aqua.yaml`` and ``envs/dev/**`` also matches ``envs/dev``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from depguard.config.values import NAME_PATTERN, PROVIDER_PATTERN
from depguard.model import DEFAULT_REGISTRY_HOST


@functools.lru_cache(maxsize=1024)
def _name_glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "/".join("[^/]*".join(map(re.escape, seg.split("*"))) for seg in pattern.split("/"))
    )


@dataclass(frozen=True, slots=True)
class NameGlob:
    """A case-insensitive glob over ``/``-separated names (see the module docstring).

    ``pattern`` is stored in lower case. Use :meth:`provider` for provider addresses.
    """

    pattern: str

    def __post_init__(self) -> None:
        if not re.fullmatch(NAME_PATTERN, self.pattern) or "**" in self.pattern:
            raise ValueError(
                f"invalid name pattern {self.pattern!r}: write owner/name segments separated "
                "by '/', where '*' matches within one segment (like 'hashicorp/*')"
            )
        object.__setattr__(self, "pattern", self.pattern.lower())

    @classmethod
    def provider(cls, text: str) -> NameGlob:
        """Return the glob for a provider pattern; ``namespace/type`` implies the public registry.

        Raises ``ValueError`` unless ``text`` has two or three segments.
        """
        if not re.fullmatch(PROVIDER_PATTERN, text) or "**" in text:
            raise ValueError(
                f"invalid provider pattern {text!r}: write hostname/namespace/type or "
                "namespace/type, where '*' matches within one segment "
                "(like 'registry.terraform.io/hashicorp/*')"
            )
        if text.count("/") == 1:
            text = f"{DEFAULT_REGISTRY_HOST}/{text}"
        return cls(text)

    def matches(self, name: str) -> bool:
        """Return whether ``name`` (same number of segments) matches, ignoring case."""
        return _name_glob_regex(self.pattern).fullmatch(name.lower()) is not None

    def __str__(self) -> str:
        return self.pattern


def _path_glob_error(pattern: str) -> str | None:
    if not pattern:
        return "a path pattern must not be empty"
    if pattern.startswith("/"):
        return "path patterns are relative to the repository root: remove the leading '/'"
    if "\\" in pattern:
        return "use '/' as the path separator"
    if any(c in pattern for c in "[]{}") or pattern.startswith("!"):
        return "only '*', '?' and '**' are supported (no [], {} or ! negation)"
    for seg in pattern.split("/"):
        if seg in ("", ".", ".."):
            return "empty, '.' and '..' path segments are not allowed"
        if "**" in seg and seg != "**":
            return "'**' must be a whole path segment, like '**/aqua.yaml'"
    return None


@functools.lru_cache(maxsize=1024)
def _path_glob_regex(pattern: str) -> re.Pattern[str]:
    segs = pattern.split("/")
    rx = ""
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        if seg == "**":
            if last:
                # 'a/**' matches 'a' and everything below it; a lone '**' matches everything.
                rx = rx[:-1] + "(?:/.*)?" if rx else ".*"
            else:
                rx += "(?:[^/]+/)*"
            continue
        for c in seg:
            rx += "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
        if not last:
            rx += "/"
    return re.compile(rx)


@dataclass(frozen=True, slots=True)
class PathGlob:
    """A glob over repository-relative POSIX paths (see the module docstring)."""

    pattern: str

    def __post_init__(self) -> None:
        problem = _path_glob_error(self.pattern)
        if problem:
            raise ValueError(f"invalid path pattern {self.pattern!r}: {problem}")

    def matches(self, path: str) -> bool:
        """Return whether the repository-relative ``path`` matches (case-sensitive)."""
        path = path.removeprefix("./")
        return _path_glob_regex(self.pattern).fullmatch(path) is not None

    def __str__(self) -> str:
        return self.pattern
