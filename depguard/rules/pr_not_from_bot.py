"""Rule ``pr-not-from-bot`` (judged by :mod:`depguard.prcheck.engine`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("pr-not-from-bot"),
    severity=Severity.HIGH,
    summary="A Renovate-looking PR is authored by a login outside renovate.bot_logins.",
    help=(
        "The branch name or the body says Renovate, but the PR author (never `github.actor`) is "
        "someone else: anyone who can push a `renovate/` branch would otherwise get bot "
        "treatment."
    ),
)
