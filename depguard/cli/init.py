"""``depguard init [--repo DIR] [--force] [--stdout]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command(
        "init",
        help="Write a commented depguard.yaml proposed from what the repository uses: provider "
        "namespaces of its lock files (non-HashiCorp ones flagged for signing_keys), aqua "
        "registries and package owners, GitHub Actions owners, and rollout stages guessed "
        "from directory names (dev, stg, prod, canary). Every guess is marked 'review'. "
        "Nothing is fetched. An existing depguard.yaml is kept unless --force.",
    )(init)


def init(
    repo: Annotated[
        Path,
        typer.Option(
            "--repo",
            metavar="DIR",
            envvar="DEPGUARD_REPO",
            help="The repository (default: the current directory).",
        ),
    ] = Path(),
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing depguard.yaml."),
    ] = False,
    stdout: Annotated[
        bool,
        typer.Option("--stdout", help="Print the policy instead of writing depguard.yaml."),
    ] = False,
) -> None:
    import sys

    from depguard.config import CONFIG_FILE_NAMES
    from depguard.errors import ConfigError, InputError
    from depguard.init import propose
    from depguard.util.atomic import write_atomic
    from depguard.util.redact import redact

    if not repo.is_dir():
        raise InputError(str(repo), "not a directory")
    existing = [repo / name for name in CONFIG_FILE_NAMES if (repo / name).exists()]
    target = existing[0] if existing else repo / CONFIG_FILE_NAMES[0]
    if existing and not stdout and not force:
        raise ConfigError(
            f"{target}: already exists; not overwriting it",
            hint="pass --force to replace it, or --stdout to print the proposed policy",
        )
    text, found = propose(repo)
    for problem in found.problems:
        sys.stderr.write(redact(f"depguard: warning: {problem}\n"))
    for note in found.notes:
        sys.stderr.write(redact(f"depguard: note: {note}\n"))
    if stdout:
        sys.stdout.write(redact(text))
        sys.stdout.flush()
        return
    try:
        write_atomic(target, redact(text))
    except OSError as e:
        raise InputError(str(target), f"cannot write: {e.strerror or e}") from e
    reviews = sum("review" in line for line in text.splitlines())
    sys.stderr.write(
        f"wrote {target}: check the {reviews} line(s) marked 'review', then run `depguard verify`\n"
    )
