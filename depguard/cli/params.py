"""Command parameters shared by several commands (one definition, one help text)."""

from __future__ import annotations

from typing import Annotated

import typer

Jobs = Annotated[
    int,
    typer.Option(
        "--jobs", "-j", min=1, metavar="N", envvar="DEPGUARD_JOBS", help="Parallel downloads."
    ),
]
