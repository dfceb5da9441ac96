"""Rule ``pr-unexpected-file`` (judged by :mod:`depguard.prcheck.engine`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("pr-unexpected-file"),
    severity=Severity.HIGH,
    summary="A bot PR changes a file outside the allowed dependency files.",
    help=(
        "Renovate updates dependency files; a bot PR that also touches a workflow, a script or "
        "any other file (or adds a symlink or submodule) may smuggle code into a pipeline that "
        "holds credentials. Review it as a human change, or widen `renovate.allowed_files` "
        "deliberately."
    ),
)
