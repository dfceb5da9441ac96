"""Global options, shared command plumbing (config, fetcher, output, exit codes)."""

from __future__ import annotations

import dataclasses
import enum
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from depguard.errors import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    ConfigError,
    InputError,
)
from depguard.model import Platform, Report, Severity

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.net.fetcher import Fetcher


class OutputFormatName(enum.StrEnum):
    """Values of ``--format`` (the render module's enum is imported lazily)."""

    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    github = "github"
    html = "html"  # `depguard report` only


@dataclass(frozen=True, slots=True, kw_only=True)
class GlobalOptions:
    """Options every command accepts (DESIGN.md §1)."""

    config_path: Path | None
    output_format: OutputFormatName
    output: Path | None
    offline: bool | None  # None: as the policy says
    cache_dir: Path | None
    snapshot_dirs: tuple[Path, ...]
    fail_on: Severity
    allow_skips: bool
    verbosity: int
    color: bool

    @classmethod
    def from_cli(
        cls,
        *,
        config: Path | None,
        output_format: OutputFormatName,
        output: Path | None,
        offline: bool | None,
        cache_dir: Path | None,
        snapshot_dirs: tuple[Path, ...],
        fail_on: str,
        allow_skips: bool,
        verbosity: int,
        no_color: bool,
    ) -> GlobalOptions:
        """Validate raw option values; raise :class:`ConfigError` for bad ones."""
        try:
            severity = Severity.parse(fail_on)
        except ValueError as e:
            raise ConfigError(f"--fail-on: {e}") from None
        from depguard.util.logs import configure_logging

        configure_logging(-1 if verbosity < 0 else verbosity)
        # NO_COLOR convention (no-color.org): any non-empty value disables colour.
        no_color = no_color or bool(os.environ.get("NO_COLOR"))
        color = not no_color and output is None and sys.stdout.isatty()
        return cls(
            config_path=config,
            output_format=output_format,
            output=output,
            offline=offline,
            cache_dir=cache_dir,
            snapshot_dirs=snapshot_dirs,
            fail_on=severity,
            allow_skips=allow_skips,
            verbosity=verbosity,
            color=color,
        )

    def load_config(self, start: Path | None = None) -> Config:
        """Load the policy: ``--config`` if given, else ``depguard.yaml`` in ``start`` or cwd.

        Global options override the file. Raises :class:`ConfigError`.
        """
        from depguard.config import Config, apply_env, find_config, load_config

        path = self.config_path
        if path is None:
            path = find_config(Path.cwd())
            if path is None and start is not None:
                path = find_config(start if start.is_dir() else start.parent)
        elif not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        config = load_config(path) if path is not None else Config()
        config = apply_env(config, os.environ)
        return dataclasses.replace(
            config,
            offline=config.offline if self.offline is None else self.offline,
            cache_dir=self.cache_dir if self.cache_dir is not None else config.cache_dir,
            snapshot_dirs=tuple(config.snapshot_dirs) + self.snapshot_dirs,
        )

    def fetcher(self, config: Config) -> Fetcher:
        """Return the fetcher the config asks for (offline: cache + snapshots only)."""
        from depguard.net import make_fetcher

        token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or None
        return make_fetcher(
            offline=config.offline,
            cache_dir=config.cache_dir,
            snapshot_dirs=tuple(config.snapshot_dirs),
            github_token=token,
            github_api_host=urlsplit(config.github.api_url).hostname or "api.github.com",
            request_timeout=config.limits.timeout.total_seconds(),
            download_timeout=config.limits.download_timeout.total_seconds(),
            max_download_bytes=config.limits.max_download_bytes,
        )

    def emit(self, report: Report) -> int:
        """Render ``report`` to ``--output`` or stdout and return the exit code for it."""
        from depguard import __version__
        from depguard.render import OutputFormat, RenderContext, render
        from depguard.util.atomic import write_atomic
        from depguard.util.redact import redact

        if self.output_format is OutputFormatName.html:
            raise ConfigError("--format html is for `depguard report` only")
        report = report.sorted()
        ctx = RenderContext(
            tool_version=__version__,
            verbosity=self.verbosity,
            color=self.color and self.output_format is OutputFormatName.text,
            fail_on=self.fail_on,
        )
        text = redact(render(report, OutputFormat(self.output_format.value), ctx))
        if self.output is not None:
            try:
                write_atomic(self.output, text)
            except OSError as e:
                raise InputError(str(self.output), f"cannot write report: {e.strerror}") from e
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        return self.exit_code(report)

    def step_summary(self, report: Report) -> None:
        """Append ``report`` as Markdown to ``$GITHUB_STEP_SUMMARY`` when the variable is set.

        The runner shows that file on the workflow run's summary page. A file that cannot be
        written is a warning on stderr, never a failed check.
        """
        target = os.environ.get("GITHUB_STEP_SUMMARY")
        if not target:
            return
        from depguard import __version__
        from depguard.render import OutputFormat, RenderContext, render
        from depguard.util.redact import redact

        ctx = RenderContext(tool_version=__version__, fail_on=self.fail_on)
        text = redact(render(report.sorted(), OutputFormat.MARKDOWN, ctx))
        try:
            with open(target, "a", encoding="utf-8") as f:
                f.write(text + "\n")
        except OSError as e:
            sys.stderr.write(
                f"depguard: warning: cannot write $GITHUB_STEP_SUMMARY: {e.strerror}\n"
            )

    def emit_text(self, text: str) -> None:
        """Write already-rendered ``text`` to ``--output`` (atomically) or stdout, redacted."""
        from depguard.util.atomic import write_atomic
        from depguard.util.redact import redact

        text = redact(text)
        if self.output is not None:
            try:
                write_atomic(self.output, text)
            except OSError as e:
                raise InputError(str(self.output), f"cannot write output: {e.strerror}") from e
        else:
            sys.stdout.write(text)
            sys.stdout.flush()

    def exit_code(self, report: Report) -> int:
        """Exit code of DESIGN.md §1: findings ≥ --fail-on → 1; else skips → 3; else 0."""
        worst = report.max_severity()
        if worst is not None and worst >= self.fail_on:
            return EXIT_FINDINGS
        if report.skipped and not self.allow_skips:
            return EXIT_INCOMPLETE
        return EXIT_OK


def parse_platforms(
    values: Sequence[str] | None, default: Sequence[Platform]
) -> tuple[Platform, ...]:
    """Parse repeatable ``--platform`` values (comma lists allowed); fall back to ``default``."""
    if not values:
        return tuple(default)
    out: list[Platform] = []
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                platform = Platform.parse(part)
            except ValueError as e:
                raise ConfigError(f"--platform: {e}") from None
            if platform not in out:
                out.append(platform)
    return tuple(out)


def resolve_paths(paths: Sequence[Path] | None) -> tuple[Path, ...]:
    """Return the PATH arguments (default: the current directory); raise for missing ones."""
    result = tuple(paths) if paths else (Path(),)
    for p in result:
        if not p.exists():
            raise InputError(str(p), "no such file or directory")
    return result
