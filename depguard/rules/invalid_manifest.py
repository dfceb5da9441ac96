"""Rule ``invalid-manifest``."""

from __future__ import annotations

from depguard.errors import InputError
from depguard.model import Finding, RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("invalid-manifest"),
    severity=Severity.HIGH,
    summary="A lock file, configuration, checksum file, policy or workflow cannot be parsed.",
    help=(
        "depguard could not parse the file; the message names the file and line. The run "
        "continues with the other files. Fix the syntax (for lock files, `terraform providers "
        "lock` or `depguard lock` rewrites them canonically)."
    ),
)


def from_error(error: InputError) -> Finding:
    """Turn a parse error (which names file and line) into a finding."""
    return META.finding(
        message=error.reason,
        path=error.path,
        line=error.line,
        subject=error.path,
    )
