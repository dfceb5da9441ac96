"""What surrounds the policy file: finding it, and the ``DEPGUARD_*`` environment on top.

Precedence is CLI flag > ``DEPGUARD_*`` environment > file > defaults; :func:`apply_env` is
the environment layer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from depguard.config.model import Config
from depguard.config.values import check_platform, expand_path
from depguard.errors import ConfigError
from depguard.model import Platform

CONFIG_FILE_NAMES = ("depguard.yaml", ".depguard.yaml")


def find_config(start: Path) -> Path | None:
    """Return ``depguard.yaml`` or ``.depguard.yaml`` in the directory ``start``, or ``None``.

    There is no upward search on purpose: a trust policy must come from the checkout being
    judged, never from a parent directory that may belong to someone else (a shared runner's
    workspace, a home directory), and CI runs depguard from the repository root anyway.
    Raises :class:`ConfigError` when both files exist, since one would be silently ignored.
    """
    found = [start / name for name in CONFIG_FILE_NAMES if (start / name).is_file()]
    if len(found) > 1:
        raise ConfigError(
            f"{start}: both {CONFIG_FILE_NAMES[0]} and {CONFIG_FILE_NAMES[1]} exist",
            hint="keep one of them, or pass --config FILE",
        )
    return found[0] if found else None


def _env_path(name: str, text: str) -> Path:
    try:
        return expand_path(text.strip())
    except ValueError as e:
        raise ConfigError(f"{name}: {e}") from e


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def apply_env(config: Config, environ: Mapping[str, str]) -> Config:
    """Return ``config`` with the ``DEPGUARD_*`` environment applied on top of it.

    * ``DEPGUARD_PLATFORMS``: comma-separated platforms, replacing ``platforms``;
    * ``DEPGUARD_OFFLINE``: ``1/true/yes/on`` or ``0/false/no/off`` (any case);
    * ``DEPGUARD_CACHE_DIR``: the cache directory;
    * ``DEPGUARD_SNAPSHOT_DIRS``: directories separated by ``os.pathsep``, replacing
      ``snapshot_dirs``.

    A variable that is unset or empty changes nothing. Relative paths are left relative (to
    the working directory). Raises :class:`ConfigError` naming the variable for a bad value.
    """
    changes: dict[str, Any] = {}
    if value := environ.get("DEPGUARD_PLATFORMS", "").strip():
        platforms: list[Platform] = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            try:
                platform = check_platform(part)
            except ValueError as e:
                raise ConfigError(f"DEPGUARD_PLATFORMS: {e}") from e
            if platform in platforms:
                raise ConfigError(f"DEPGUARD_PLATFORMS: duplicate platform {part!r}")
            platforms.append(platform)
        if platforms:
            changes["platforms"] = tuple(platforms)
    if value := environ.get("DEPGUARD_OFFLINE", "").strip():
        if value.lower() in _TRUE:
            changes["offline"] = True
        elif value.lower() in _FALSE:
            changes["offline"] = False
        else:
            raise ConfigError(
                f"DEPGUARD_OFFLINE: expected true or false (or 1/0, yes/no, on/off), got {value!r}"
            )
    if value := environ.get("DEPGUARD_CACHE_DIR", "").strip():
        changes["cache_dir"] = _env_path("DEPGUARD_CACHE_DIR", value)
    if value := environ.get("DEPGUARD_SNAPSHOT_DIRS", "").strip():
        dirs = tuple(
            _env_path("DEPGUARD_SNAPSHOT_DIRS", p) for p in value.split(os.pathsep) if p.strip()
        )
        if dirs:
            changes["snapshot_dirs"] = dirs
    return replace(config, **changes) if changes else config
