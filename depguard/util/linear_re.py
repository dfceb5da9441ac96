"""Linear-time regular expressions for patterns that come from third parties.

Python's ``re`` backtracks: ``(a+)+$`` or even ``.*.*.*x`` against a long line runs for
minutes or hours. The patterns depguard evaluates on someone else's behalf are written for
RE2-family engines that never do: an aqua registry's ``checksum.pattern`` is a Go
``regexp`` (RE2 syntax), a Renovate ``/regex/`` runs in RE2 when Renovate has it. So they
run here in RE2 too (Google's ``google-re2`` binding): the same syntax and the same
linear-time guarantee, instead of a translation to ``re`` plus guesses about which
patterns are dangerous.

RE2 semantics to remember: ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII-only, ``.``
does not match a newline, ``^``/``$`` anchor the whole text; lookarounds and
backreferences do not exist (compiling them is an error).
"""

from __future__ import annotations

from typing import Any, Final

import re2

# RE2's own default; a pattern needing more memory to compile is refused rather than grown.
_MAX_MEM: Final = 8 << 20


class RegexError(ValueError):
    """A pattern RE2 does not accept; the message says why."""


class LinearRegex:
    """A compiled RE2 pattern. Text is matched as UTF-8; lone surrogates cannot match."""

    __slots__ = ("_re", "groups", "pattern")

    def __init__(self, pattern: str, *, ignore_case: bool = False, dot_nl: bool = False) -> None:
        options: Any = re2.Options()
        options.log_errors = False  # errors go to the exception, not to stderr
        options.max_mem = _MAX_MEM
        options.case_sensitive = not ignore_case
        options.dot_nl = dot_nl
        try:
            self._re: Any = re2.compile(pattern.encode("utf-8", "surrogatepass"), options)
        except re2.error as e:
            raise RegexError(_reason(e)) from None
        self.pattern = pattern
        self.groups: int = self._re.groups

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in ``text``."""
        return self._re.search(_encode(text)) is not None

    def fullmatch(self, text: str) -> bool:
        """Whether the pattern matches all of ``text``."""
        return self._re.fullmatch(_encode(text)) is not None

    def search_group(self, text: str, group: int = 1) -> str | None:
        """The text ``group`` captured at the first match in ``text``; None when there is no
        match or the group took no part in it."""
        m = self._re.search(_encode(text))
        if m is None:
            return None
        value = m.group(group)
        return None if value is None else value.decode("utf-8", "surrogatepass")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _reason(error: Exception) -> str:
    arg = error.args[0] if error.args else error
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
