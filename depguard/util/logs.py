"""Logging setup for the CLI: short ``depguard: warning: …`` lines on stderr, secrets redacted."""

from __future__ import annotations

import logging
import sys


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from depguard.util.redact import redact

        return redact(super().format(record))


def configure_logging(verbosity: int) -> None:
    """Route depguard's log records to stderr: -q errors only, default warnings, -v info,
    -vv debug."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        verbosity, logging.DEBUG if verbosity > 1 else logging.ERROR
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("depguard: %(levelname)s: %(message)s"))
    root = logging.getLogger("depguard")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    logging.addLevelName(logging.WARNING, "warning")
    logging.addLevelName(logging.ERROR, "error")
    logging.addLevelName(logging.INFO, "info")
    logging.addLevelName(logging.DEBUG, "debug")
