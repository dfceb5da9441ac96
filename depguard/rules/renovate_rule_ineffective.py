"""Rule ``renovate-rule-ineffective`` (judged by :mod:`depguard.rollout.lint_renovate`)."""

from __future__ import annotations

from depguard.model import RuleId, Severity
from depguard.rules.base import RuleMeta

META = RuleMeta(
    id=RuleId("renovate-rule-ineffective"),
    severity=Severity.MEDIUM,
    summary="A Renovate packageRule matches nothing, or Renovate merges stages into one PR.",
    help=(
        "Evaluated with Renovate's own matching semantics against the repository's state "
        "directories: a packageRule whose patterns match none of their dependencies (a glob "
        "such as '.*' where the regex '/.*/' was meant, a matchFileNames that matches no "
        "file), or a configuration under which Renovate would update directories of different "
        "rollout stages in one branch and PR (a groupName across stages, no rule splitting "
        "them). Fix the pattern, or use the rules `depguard rollout renovate-rules` writes."
    ),
)
