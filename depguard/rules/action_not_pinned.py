"""Rule ``action-not-pinned`` (judged by :mod:`depguard.prcheck.engine`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("action-not-pinned"),
    severity=Severity.MEDIUM,
    summary="A workflow `uses:` is not a full commit SHA.",
    help=(
        "Tags and branches can be moved; pin actions by full commit SHA with a version comment "
        "(`uses: actions/checkout@<sha> # v4.1.0`) when `trust.actions.require_sha` is on."
    ),
)
