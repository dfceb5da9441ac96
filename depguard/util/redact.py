"""Keep secrets out of everything depguard prints or writes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

_SECRET_ENV = re.compile(r"^(GITHUB_TOKEN|GH_TOKEN|GH_ENTERPRISE_TOKEN|TF_TOKEN_.+|.*_TOKEN)$")
_extra: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember ``value`` (e.g. a credentials token from the Terraform CLI config) for redaction."""
    if value and len(value) >= 6:
        _extra.add(value)


def secrets(environ: Mapping[str, str] | None = None) -> Iterable[str]:
    """Yield every secret value currently known (environment tokens and registered values)."""
    env = os.environ if environ is None else environ
    for key, value in env.items():
        if value and len(value) >= 6 and _SECRET_ENV.match(key):
            yield value
    yield from _extra


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Return ``text`` with every known secret replaced by ``***``."""
    for value in sorted(set(secrets(environ)), key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    return text


class RedactingStream:
    """A text stream that redacts every write before passing it on (for output depguard does
    not produce itself: click's usage errors, which echo option values)."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
