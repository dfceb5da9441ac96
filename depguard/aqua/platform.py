"""Small value types shared by the aqua resolver, the GitHub source and the engine."""

from __future__ import annotations

from dataclasses import dataclass

from depguard.errors import ConfigError

GOOS = ("darwin", "linux", "windows")
GOARCH = ("amd64", "arm64")


@dataclass(frozen=True, slots=True, order=True)
class AquaPlatform:
    """One aqua runtime: GOOS/GOARCH plus an optional libc variant (``musl``)."""

    goos: str
    goarch: str
    libc: str | None = None

    def __str__(self) -> str:
        base = f"{self.goos}/{self.goarch}"
        return f"{base} ({self.libc})" if self.libc else base

    @classmethod
    def parse(cls, text: str) -> AquaPlatform:
        """Parse ``linux/amd64`` or ``linux_amd64``; raise :class:`ConfigError` otherwise."""
        goos, sep, goarch = text.strip().replace("_", "/", 1).partition("/")
        if not sep or goos not in GOOS or goarch not in GOARCH:
            raise ConfigError(
                f"invalid platform {text!r}: expected OS/ARCH with OS in {', '.join(GOOS)} "
                f"and ARCH in {', '.join(GOARCH)}"
            )
        return cls(goos, goarch)


PLATFORMS: tuple[AquaPlatform, ...] = tuple(AquaPlatform(o, a) for o in GOOS for a in GOARCH)


@dataclass(frozen=True, slots=True, kw_only=True)
class GitHubUrls:
    """Base URLs of GitHub (or GitHub Enterprise Server / a test server), no trailing slash."""

    url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    raw_url: str = "https://raw.githubusercontent.com"


def host_platform() -> AquaPlatform:
    """This machine's platform in aqua's terms (``AQUA_GOOS``/``AQUA_GOARCH`` honoured)."""
    import os
    import platform
    import sys

    goos = os.environ.get("AQUA_GOOS") or {"darwin": "darwin", "win32": "windows"}.get(
        sys.platform, "linux"
    )
    machine = platform.machine().lower()
    goarch = os.environ.get("AQUA_GOARCH") or (
        "arm64" if machine in ("arm64", "aarch64") else "amd64"
    )
    return AquaPlatform.parse(f"{goos}/{goarch}")
