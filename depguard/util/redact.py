"""Keep secrets out of everything depguard prints or writes."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

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
