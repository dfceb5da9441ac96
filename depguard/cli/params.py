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

ShardOption = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="I/N",
        envvar="DEPGUARD_SHARD",
        help="Only the state directories of shard I of N (stable by path: a GitHub Actions "
        "matrix job each); combine the JSON reports with `depguard merge`.",
        show_default=False,
    ),
]
