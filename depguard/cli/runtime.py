"""Wiring shared by commands: config, fetcher, cache, upstream, progress output."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from depguard.cli.options import GlobalOptions

if TYPE_CHECKING:
    from depguard.config import Config
    from depguard.engine.aqua_upstream import AquaUpstream
    from depguard.engine.upstream import Upstream
    from depguard.formats.tf_cli_config import CliConfig
    from depguard.net.cache import Cache
    from depguard.net.fetcher import Fetcher
    from depguard.sources.base import ProviderSource


@dataclass(slots=True)
class Progress:
    """A one-line progress display on a terminal; silent when stderr is not a TTY."""

    enabled: bool
    _last_len: int = field(default=0)

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        text = message[:120]
        sys.stderr.write("\r" + text + " " * max(0, self._last_len - len(text)))
        sys.stderr.flush()
        self._last_len = len(text)

    def done(self) -> None:
        if self.enabled and self._last_len:
            sys.stderr.write("\r" + " " * self._last_len + "\r")
            sys.stderr.flush()
            self._last_len = 0


@dataclass(slots=True)
class Runtime:
    """Everything a command needs besides its own options."""

    options: GlobalOptions
    config: Config
    fetcher: Fetcher
    cache: Cache
    cli_config: CliConfig
    jobs: int
    progress: Progress

    @classmethod
    def create(cls, options: GlobalOptions, *, start: Path | None, jobs: int) -> Runtime:
        """Load the policy and the Terraform CLI config and build the fetcher.

        Raises :class:`~depguard.errors.ConfigError` / ``InputError`` for bad configuration.
        """
        from depguard.formats.tf_cli_config import load_cli_config
        from depguard.net.cache import Cache, default_cache_dir
        from depguard.util.redact import register_secret

        config = options.load_config(start)
        cli_config = load_cli_config(os.environ)
        for cred in cli_config.credentials:
            register_secret(cred.token)
        cache_dir = config.cache_dir if config.cache_dir is not None else default_cache_dir()
        fetcher = options.fetcher(config)
        progress = Progress(enabled=options.verbosity >= 0 and sys.stderr.isatty())
        return cls(
            options=options,
            config=config,
            fetcher=fetcher,
            cache=Cache(cache_dir),
            cli_config=cli_config,
            jobs=jobs,
            progress=progress,
        )

    def upstream(self) -> Upstream:
        """The run's :class:`Upstream` over the origin registries."""
        from depguard.engine.upstream import Upstream
        from depguard.sources.tf_registry import RegistrySource

        return Upstream(
            fetcher=self.fetcher,
            cache=self.cache,
            config=self.config,
            registry=RegistrySource(self.fetcher, self.cli_config),
            jobs=self.jobs,
        )

    def aqua_upstream(self) -> AquaUpstream:
        """The run's :class:`AquaUpstream` (GitHub URLs and limits from depguard.yaml)."""
        from depguard.aqua.platform import GitHubUrls
        from depguard.engine.aqua_upstream import AquaUpstream

        gh = self.config.github
        return AquaUpstream(
            fetcher=self.fetcher,
            github=GitHubUrls(url=gh.url, api_url=gh.api_url, raw_url=gh.raw_url),
            jobs=self.jobs,
            max_download_bytes=self.config.limits.max_download_bytes,
            allow_legacy_minisign=self.config.trust.aqua.allow_legacy_minisign,
            rekor_url=os.environ.get("DEPGUARD_REKOR_URL") or "https://rekor.sigstore.dev",
        )

    def provider_source(
        self,
        upstream: Upstream,
        *,
        fs_mirror: Path | None = None,
        net_mirror: str | None = None,
        use_cli_config: bool = False,
    ) -> ProviderSource:
        """The source ``lock`` takes packages from: a mirror if given, the CLI config's
        ``provider_installation`` methods if asked, else the origin registry."""
        from depguard.errors import ConfigError
        from depguard.sources.tf_mirror import FilesystemMirrorSource, NetworkMirrorSource

        if fs_mirror is not None:
            if not fs_mirror.is_dir():
                raise ConfigError(f"--fs-mirror {fs_mirror}: not a directory")
            return FilesystemMirrorSource(fs_mirror)
        if net_mirror is not None:
            return NetworkMirrorSource(self.fetcher, net_mirror, cli_config=self.cli_config)
        if use_cli_config:
            from depguard.sources.tf_mirror import InstallationSource, SourceSelector

            return InstallationSource(
                SourceSelector(
                    self.cli_config,
                    self.fetcher,
                    registry=upstream.registry,
                    working_dir_mirror=False,
                )
            )
        return upstream.registry
