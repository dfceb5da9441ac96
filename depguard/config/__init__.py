"""The trust policy ``depguard.yaml`` (DESIGN.md §4): one strict loader, one frozen ``Config``.

Precedence is CLI flag > ``DEPGUARD_*`` environment > file > defaults: :func:`load_config`
reads the file, :func:`apply_env` layers the environment on top, and the CLI applies its flags
with :func:`dataclasses.replace`.

One purpose per module; import from this package, which re-exports the public API:

* :mod:`~depguard.config.model`: the frozen ``Config`` tree and its defaults;
* :mod:`~depguard.config.patterns`: ``NameGlob`` and ``PathGlob`` and how they match;
* :mod:`~depguard.config.values`: the syntax of scalar values (durations, sizes,
  fingerprints, platforms, URLs), which the JSON schema repeats;
* :mod:`~depguard.config.spec`: which keys the file may hold and how each value converts;
* :mod:`~depguard.config.loader`: YAML text or file to ``Config``, errors at ``file:line``;
* :mod:`~depguard.config.env`: finding the file, and the ``DEPGUARD_*`` environment.

Importing this package stays cheap: ``yaml`` and ``depguard.rules`` are imported lazily.
"""

from __future__ import annotations

from depguard.config.env import CONFIG_FILE_NAMES, apply_env, find_config
from depguard.config.loader import load_config, parse_config
from depguard.config.model import (
    DEFAULT_ALLOWED_FILES,
    DEFAULT_PLATFORMS,
    DEFAULT_PROVIDER_PATTERNS,
    ActionsTrust,
    AquaRegistry,
    AquaTrust,
    Config,
    GitHubSettings,
    Limits,
    RenovateSettings,
    RolloutSettings,
    RolloutStage,
    RuleSettings,
    SigningKey,
    TerraformTrust,
    Trust,
)
from depguard.config.patterns import NameGlob, PathGlob
from depguard.config.spec import KNOWN_RULE_IDS, is_known_rule_id, key_paths
from depguard.config.values import (
    BOT_LOGIN_PATTERN,
    DURATION_PATTERN,
    FINGERPRINT_PATTERN,
    GITHUB_OWNER_PATTERN,
    GO_ARCH,
    GO_OS,
    NAME_PATTERN,
    PLATFORM_PATTERN,
    PROVIDER_PATTERN,
    REF_CONSTRAINT_PATTERN,
    SIZE_PATTERN,
    STAGE_NAME_PATTERN,
    format_duration,
    normalise_fingerprint,
    parse_duration,
    parse_size,
)

__all__ = [
    "BOT_LOGIN_PATTERN",
    "CONFIG_FILE_NAMES",
    "DEFAULT_ALLOWED_FILES",
    "DEFAULT_PLATFORMS",
    "DEFAULT_PROVIDER_PATTERNS",
    "DURATION_PATTERN",
    "FINGERPRINT_PATTERN",
    "GITHUB_OWNER_PATTERN",
    "GO_ARCH",
    "GO_OS",
    "KNOWN_RULE_IDS",
    "NAME_PATTERN",
    "PLATFORM_PATTERN",
    "PROVIDER_PATTERN",
    "REF_CONSTRAINT_PATTERN",
    "SIZE_PATTERN",
    "STAGE_NAME_PATTERN",
    "ActionsTrust",
    "AquaRegistry",
    "AquaTrust",
    "Config",
    "GitHubSettings",
    "Limits",
    "NameGlob",
    "PathGlob",
    "RenovateSettings",
    "RolloutSettings",
    "RolloutStage",
    "RuleSettings",
    "SigningKey",
    "TerraformTrust",
    "Trust",
    "apply_env",
    "find_config",
    "format_duration",
    "is_known_rule_id",
    "key_paths",
    "load_config",
    "normalise_fingerprint",
    "parse_config",
    "parse_duration",
    "parse_size",
]
