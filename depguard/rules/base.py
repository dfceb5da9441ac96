"""What every rule module provides: its metadata and a check over a typed context."""

from __future__ import annotations

from dataclasses import dataclass

from depguard.model import Finding, RuleId, Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleMeta:
    """Stable metadata of a rule; the id never changes once released."""

    id: RuleId
    severity: Severity
    summary: str  # one line, used in SARIF shortDescription and the README table
    help: str  # a paragraph: what it means and how to fix it

    def finding(
        self,
        *,
        message: str,
        path: str,
        line: int | None = None,
        subject: str = "",
        severity: Severity | None = None,
    ) -> Finding:
        """Return a :class:`Finding` of this rule (default severity unless overridden)."""
        return Finding(
            rule=self.id,
            severity=self.severity if severity is None else severity,
            message=message,
            path=path,
            line=line,
            subject=subject,
        )
