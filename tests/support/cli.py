"""Run the depguard CLI in-process and capture what it prints."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from typing import Any

from depguard.cli import main


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def rules(self) -> list[str]:
        """The rule ids of a ``--format json`` report's findings."""
        return [f["rule"] for f in self.json()["findings"]]


def run_cli(*args: str) -> CliResult:
    """Run ``depguard ARGS`` in this process; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return CliResult(code=code, out=out.getvalue(), err=err.getvalue())
