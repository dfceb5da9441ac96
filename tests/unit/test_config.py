"""The trust policy loader: defaults, strictness, error locations, env, matching, schema."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from depguard import config as cfg
from depguard.config import (
    KNOWN_RULE_IDS,
    AquaRegistry,
    Config,
    GitHubSettings,
    Limits,
    NameGlob,
    PathGlob,
    RolloutSettings,
    RolloutStage,
    RuleSettings,
    SigningKey,
    apply_env,
    find_config,
    load_config,
    parse_config,
    parse_duration,
    parse_size,
)
from depguard.errors import ConfigError
from depguard.model import Platform, ProviderAddress, RuleId, Severity

ROOT = Path(__file__).resolve().parents[2]
POLICY_DIR = ROOT / "manifests" / "policy"
SCHEMA_PATH = ROOT / "manifests" / "schema" / "depguard.schema.json"
DESIGN = ROOT.parent / "shared" / "DESIGN.md"
FPR = "D1C35F4A7C2B9E0861F43A2D5B7E0C9184A62F3E"
FPR2 = "0123456789ABCDEF0123456789ABCDEF01234567"


def load(text: str) -> Config:
    return parse_config(textwrap.dedent(text), "depguard.yaml")


def error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(text)
    return info.value


# --- defaults -------------------------------------------------------------------------------


def test_defaults_are_those_of_design() -> None:
    c = Config()
    assert [str(p) for p in c.platforms] == [
        "linux_amd64",
        "linux_arm64",
        "darwin_amd64",
        "darwin_arm64",
    ]
    assert [str(p) for p in c.trust.terraform.providers] == ["registry.terraform.io/hashicorp/*"]
    assert c.trust.terraform.allow_hashicorp_signed is True
    assert c.trust.terraform.signing_keys == ()
    assert c.trust.aqua.registries == (AquaRegistry(type="standard"),)
    assert c.trust.aqua.github_owners is None
    assert c.trust.actions.owners is None
    assert c.trust.actions.require_sha is True
    assert c.trust.min_release_age == timedelta(0)
    assert c.trust.min_release_age_exempt == ()
    assert c.renovate.bot_logins == ("renovate[bot]",)
    assert c.renovate.branch_prefix == "renovate/"
    assert "**/.terraform.lock.hcl" in [str(g) for g in c.renovate.allowed_files]
    assert c.github == GitHubSettings(
        url="https://github.com",
        api_url="https://api.github.com",
        raw_url="https://raw.githubusercontent.com",
    )
    assert c.rollout == RolloutSettings(stages=(), unmatched="error")
    assert c.rules == ()
    assert c.limits.max_download_bytes == 1024**3
    assert c.limits.max_zip_uncompressed_bytes == 4 * 1024**3
    assert c.limits.timeout == timedelta(seconds=30)
    assert c.limits.download_timeout == timedelta(minutes=30)
    assert c.cache_dir is None
    assert c.snapshot_dirs == ()
    assert c.offline is False
    assert c.source is None


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n", "~\n", "null\n"])
def test_empty_document_gives_defaults(text: str) -> None:
    c = parse_config(text, "depguard.yaml")
    assert c == Config()
    assert c.source == "depguard.yaml"


def test_load_none_gives_defaults() -> None:
    assert load_config(None) == Config()


def test_default_policy_file_equals_builtin_defaults() -> None:
    assert load_config(POLICY_DIR / "default.yaml") == Config()


def test_default_policy_file_spells_out_every_section() -> None:
    data = yaml.safe_load((POLICY_DIR / "default.yaml").read_text())
    assert set(data) == {
        "platforms",
        "trust",
        "renovate",
        "github",
        "rollout",
        "rules",
        "limits",
        "snapshot_dirs",
        "offline",
    }  # cache_dir has no literal default (it is commented there)


def test_null_sections_are_empty_mappings() -> None:
    assert load("trust:\nrenovate:\nrules:\n") == Config()
    c = load("rules:\n  release-too-new:\n")
    assert c.rules == (RuleSettings(id=RuleId("release-too-new")),)


# --- the full example -----------------------------------------------------------------------


def test_example_policy_loads() -> None:
    c = load_config(POLICY_DIR / "example.yaml")
    assert c.source == str(POLICY_DIR / "example.yaml")
    assert c.platforms == Config().platforms
    assert [str(p) for p in c.trust.terraform.providers] == [
        "registry.terraform.io/hashicorp/*",
        "registry.terraform.io/integrations/*",
    ]
    (key,) = c.trust.terraform.signing_keys
    assert key.fingerprint == FPR
    assert [str(p) for p in key.providers] == ["registry.example.com/acme/*"]
    assert c.trust.aqua.registries == (AquaRegistry(type="standard", ref=">= v4.0.0"),)
    assert c.trust.aqua.github_owners == ("aquaproj", "hashicorp", "suzuki-shunsuke")
    assert c.trust.actions.owners == ("actions", "aws-actions")
    assert c.trust.actions.require_sha is True
    assert c.trust.min_release_age == timedelta(days=3)
    assert [str(p) for p in c.trust.min_release_age_exempt] == ["hashicorp/*"]
    assert c.renovate.bot_logins == ("renovate[bot]",)
    assert len(c.renovate.allowed_files) == 6
    dev, stg, prod = c.rollout.stages
    assert dev == RolloutStage(
        name="dev", match=(PathGlob("envs/dev/**"),), soak=timedelta(days=2), canary=1
    )
    assert stg.soak == timedelta(days=3) and stg.canary is None and stg.max_per_wave is None
    assert prod.max_per_wave == 5 and prod.approval is True and prod.soak == timedelta(days=7)
    assert c.rule_severity("release-too-new", Severity.MEDIUM) is Severity.HIGH
    assert c.is_ignored("action-not-pinned", ".github/workflows/legacy.yaml")
    assert not c.is_ignored("action-not-pinned", ".github/workflows/ci.yaml")
    assert c.limits == Limits()


def test_every_key_at_once() -> None:
    c = load(
        f"""\
        platforms: [linux_amd64, windows_amd64]
        trust:
          terraform:
            providers: ["hashicorp/*"]
            signing_keys:
              - fingerprint: "{FPR.lower()}"
                providers: ["acme/*", "registry.example.com/acme/*"]
          aqua:
            registries:
              - {{type: standard, ref: ">= v4.0.0, < v5"}}
              - type: github_content
                repo_owner: acme
                repo_name: aqua-registry
                path: registry.yaml
                ref: "~> v1.2"
              - {{type: local, path: aqua/registry.yaml}}
            github_owners: [AquaProj]
          actions: {{owners: [actions], require_sha: false}}
          min_release_age: 1d12h
          min_release_age_exempt: ["hashicorp/*", "registry.terraform.io/acme/*"]
        renovate:
          bot_logins: ["renovate[bot]", "acme-renovate[bot]"]
          branch_prefix: deps/
          allowed_files: ["**/*.tf"]
        github:
          url: https://ghe.example.com/
          api_url: https://ghe.example.com/api/v3
          raw_url: https://ghe.example.com/raw
        rollout:
          stages:
            - {{name: only, match: ["**"]}}
          unmatched: last
        rules:
          lock-hash-mismatch: {{severity: info, ignore: ["legacy/**"]}}
        limits:
          max_download_bytes: 512MiB
          max_zip_uncompressed_bytes: 1000000
          timeout: 10s
          download_timeout: 1h
        cache_dir: /var/cache/depguard
        snapshot_dirs: [snapshots, /abs/snap]
        offline: true
        """
    )
    assert c.platforms == (Platform("linux", "amd64"), Platform("windows", "amd64"))
    assert [str(p) for p in c.trust.terraform.providers] == ["registry.terraform.io/hashicorp/*"]
    assert c.trust.terraform.signing_keys[0].fingerprint == FPR
    assert c.trust.aqua.registries[1] == AquaRegistry(
        type="github_content",
        repo_owner="acme",
        repo_name="aqua-registry",
        path="registry.yaml",
        ref="~> v1.2",
    )
    assert c.trust.aqua.registries[2].path == "aqua/registry.yaml"
    assert c.trust.aqua.github_owners == ("aquaproj",)  # compared case-insensitively
    assert c.trust.actions == cfg.ActionsTrust(owners=("actions",), require_sha=False)
    assert c.trust.min_release_age == timedelta(days=1, hours=12)
    assert c.renovate.branch_prefix == "deps/"
    assert c.github.url == "https://ghe.example.com"
    assert c.github.api_url == "https://ghe.example.com/api/v3"
    assert c.rollout.unmatched == "last"
    assert c.rule_severity("lock-hash-mismatch", Severity.CRITICAL) is Severity.INFO
    assert c.limits == Limits(
        max_download_bytes=512 * 2**20,
        max_zip_uncompressed_bytes=1_000_000,
        timeout=timedelta(seconds=10),
        download_timeout=timedelta(hours=1),
    )
    assert c.cache_dir == Path("/var/cache/depguard")
    assert c.snapshot_dirs == (Path("snapshots"), Path("/abs/snap"))
    assert c.offline is True


# --- unknown keys name the key and the line -------------------------------------------------

BRIEF_EXAMPLE = """\
platforms: [linux_amd64]
trust:
  min_release_age: 3d
  terraform:
    providers:
      - "hashicorp/*"
    provders: ["acme/*"]
"""


def test_unknown_nested_key_message_is_exact() -> None:
    e = error(BRIEF_EXAMPLE)
    assert e.message == (
        "depguard.yaml:7: unknown key 'provders' in trust.terraform "
        "(expected one of: providers, signing_keys)"
    )
    assert e.hint == "did you mean the key 'providers'?"
    assert e.diagnostics().endswith("hint: did you mean the key 'providers'?")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "offline: false\nplatfroms: [linux_amd64]\n",
            "depguard.yaml:2: unknown key 'platfroms' at the top level (expected one of: "
            "cache_dir, github, limits, offline, platforms, renovate, rollout, rules, "
            "snapshot_dirs, trust)",
        ),
        (
            "trust:\n  terraform: {}\n  aquaa: {}\n",
            "depguard.yaml:3: unknown key 'aquaa' in trust (expected one of: actions, aqua, "
            "min_release_age, min_release_age_exempt, terraform)",
        ),
        (
            f"trust:\n  terraform:\n    signing_keys:\n      - fingerprint: '{FPR}'\n"
            "        providers: ['acme/*']\n        comment: x\n",
            "depguard.yaml:6: unknown key 'comment' in trust.terraform.signing_keys[0] "
            "(expected one of: fingerprint, providers)",
        ),
        (
            "trust:\n  aqua:\n    registries:\n      - {type: standard}\n"
            "      - {type: standard, name: x}\n",
            "depguard.yaml:5: unknown key 'name' in trust.aqua.registries[1] (expected one of: "
            "path, ref, repo_name, repo_owner, type)",
        ),
        (
            "rollout:\n  stages:\n    - name: dev\n      match: [envs/dev/**]\n      wait: 2d\n",
            "depguard.yaml:5: unknown key 'wait' in rollout.stages[0] (expected one of: "
            "approval, canary, match, max_per_wave, name, soak)",
        ),
        (
            "rules:\n  release-too-new:\n    severty: high\n",
            "depguard.yaml:3: unknown key 'severty' in rules.release-too-new (expected one of: "
            "ignore, severity)",
        ),
        (
            "limits: {timeout: 1m, retries: 3}\n",
            "depguard.yaml:1: unknown key 'retries' in limits (expected one of: "
            "download_timeout, max_download_bytes, max_zip_uncompressed_bytes, timeout)",
        ),
        (
            "github:\n  url: https://github.com\n  upload_url: https://uploads.github.com\n",
            "depguard.yaml:3: unknown key 'upload_url' in github (expected one of: api_url, "
            "raw_url, url)",
        ),
        (
            "renovate: {bot_login: [x]}\n",
            "depguard.yaml:1: unknown key 'bot_login' in renovate (expected one of: "
            "allowed_files, bot_logins, branch_prefix)",
        ),
        (
            "trust:\n  actions:\n    pinned: true\n",
            "depguard.yaml:3: unknown key 'pinned' in trust.actions (expected one of: owners, "
            "require_sha)",
        ),
    ],
)
def test_unknown_keys(text: str, message: str) -> None:
    assert error(text).message == message


def test_unknown_key_without_close_match_has_no_hint() -> None:
    assert error("zzz: 1\n").hint is None


def test_unknown_rule_id() -> None:
    e = error("rules:\n  release-too-new: {}\n  release-to-new: {severity: high}\n")
    assert e.message == "depguard.yaml:3: unknown rule id 'release-to-new' in rules"
    assert e.hint == "did you mean the rule id 'release-too-new'?"
    assert error("rules: {zzz: {}}\n").hint == "the README lists every rule id"


@pytest.mark.parametrize("rule_id", KNOWN_RULE_IDS)
def test_every_design_rule_id_is_accepted(rule_id: str) -> None:
    c = load(f"rules:\n  {rule_id}: {{severity: low}}\n")
    assert c.rule_severity(rule_id, Severity.CRITICAL) is Severity.LOW


def test_registered_rule_ids_are_accepted() -> None:
    from depguard import rules

    for rule_id in rules.BY_ID:
        assert cfg.is_known_rule_id(rule_id)
    assert not cfg.is_known_rule_id("no-such-rule")


def test_known_rule_ids_are_unique_and_cover_the_registry() -> None:
    from depguard import rules
    from depguard.config.spec import EXTENSION_RULE_IDS

    assert len(KNOWN_RULE_IDS) == len(set(KNOWN_RULE_IDS)) == 23
    assert not set(EXTENSION_RULE_IDS) & set(KNOWN_RULE_IDS)
    assert set(rules.BY_ID) <= set(KNOWN_RULE_IDS) | set(EXTENSION_RULE_IDS)


def test_known_rule_ids_match_design() -> None:
    if not DESIGN.is_file():
        pytest.skip(f"{DESIGN} not present")
    section = DESIGN.read_text().split("## 2.")[1].split("## 3.")[0]
    ids = re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE)
    assert tuple(ids) == KNOWN_RULE_IDS


# --- wrong types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        (
            "platforms: linux_amd64\n",
            "depguard.yaml:1: platforms: expected a list, got a string ('linux_amd64')",
            "write a list, like [linux_amd64]",
        ),
        (
            "offline: 'true'\n",
            "depguard.yaml:1: offline: expected a boolean (true or false), got a string ('true')",
            None,
        ),
        (
            "trust:\n  actions:\n    require_sha: 1\n",
            "depguard.yaml:3: trust.actions.require_sha: expected a boolean (true or false), "
            "got an integer (1)",
            None,
        ),
        (
            "renovate:\n  branch_prefix: no\n",
            "depguard.yaml:2: renovate.branch_prefix: expected a string, got a boolean (no)",
            "write it in quotes ('no') if you meant the string",
        ),
        (
            "trust: [terraform]\n",
            "depguard.yaml:1: trust: expected a mapping of keys to values, got a list",
            None,
        ),
        (
            "rollout:\n  stages:\n    - {name: dev, match: [a], canary: '1'}\n",
            "depguard.yaml:3: rollout.stages[0].canary: expected an integer, got a string ('1')",
            None,
        ),
        (
            "rollout:\n  stages:\n    - {name: dev, match: [a], max_per_wave: 1.5}\n",
            "depguard.yaml:3: rollout.stages[0].max_per_wave: expected an integer, got a "
            "number (1.5)",
            None,
        ),
        (
            "rules:\n  lock-hash-mismatch: {severity: 3}\n",
            "depguard.yaml:2: rules.lock-hash-mismatch.severity: expected a string, got an "
            "integer (3)",
            "write it in quotes ('3') if you meant the string",
        ),
        (
            "renovate:\n  allowed_files: [{path: x}]\n",
            "depguard.yaml:2: renovate.allowed_files[0]: expected a string, got a mapping",
            None,
        ),
        (
            "cache_dir: [a, b]\n",
            "depguard.yaml:1: cache_dir: expected a string, got a list",
            None,
        ),
        (
            "platforms:\n",
            "depguard.yaml:1: platforms: expected a list, got null (an empty value)",
            None,
        ),
        (
            "trust:\n  min_release_age: 2024-01-01\n",
            "depguard.yaml:2: trust.min_release_age: expected a duration such as 3d, 12h, 90m "
            "or 1w, got a date (2024-01-01)",
            "write it in quotes ('2024-01-01') if you meant the string",
        ),
        (
            "limits: {max_download_bytes: true}\n",
            "depguard.yaml:1: limits.max_download_bytes: expected a size such as 512MiB or a "
            "byte count, got a boolean (true)",
            "write it in quotes ('true') if you meant the string",
        ),
        (
            "renovate:\n  branch_prefix: ''\n",
            "depguard.yaml:2: renovate.branch_prefix: must not be empty",
            None,
        ),
    ],
)
def test_wrong_types(text: str, message: str, hint: str | None) -> None:
    e = error(text)
    assert e.message == message
    assert e.hint == hint


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- linux_amd64\n", "a list"),
        ("linux_amd64\n", "a string ('linux_amd64')"),
        ("42\n", "an integer (42)"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, message: str) -> None:
    assert error(text).message == (
        f"depguard.yaml:1: the top level must be a mapping of keys to values, got {message}"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("on: true\n", "depguard.yaml:1: keys must be strings, got a boolean (on)"),
        ("rules:\n  1: {}\n", "depguard.yaml:2: keys must be strings, got an integer (1)"),
        ("? [a]\n: 1\n", "depguard.yaml:1: keys must be strings, got a list"),
    ],
)
def test_keys_must_be_strings(text: str, message: str) -> None:
    assert error(text).message == message


# --- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("1w", timedelta(weeks=1)),
        ("30s", timedelta(seconds=30)),
        ("0s", timedelta(0)),
        ("0d", timedelta(0)),
        ("1w2d3h4m5s", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("1d12h", timedelta(days=1, hours=12)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert load(f"trust: {{min_release_age: {text}}}\n").trust.min_release_age == expected
    assert parse_duration(cfg.format_duration(expected)) == expected


@pytest.mark.parametrize(
    "text", ["", "3", "d", "3 d", "3D", "3days", "-3d", "1.5d", "12h1d", "1d1d", "3y", " 3d"]
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)
    e = error(f"trust:\n  min_release_age: '{text}'\n")
    assert e.message.startswith("depguard.yaml:2: trust.min_release_age: ")


def test_integer_duration_suggests_units() -> None:
    e = error("rollout:\n  stages:\n    - name: dev\n      match: [a]\n      soak: 2\n")
    assert e.message == (
        "depguard.yaml:5: rollout.stages[0].soak: expected a duration such as 3d, 12h, 90m or "
        "1w, got an integer (2)"
    )
    assert e.hint == "add a unit: 2d (days), 2h (hours) or 2m (minutes)"


def test_huge_duration_is_an_error_not_a_crash() -> None:
    e = error("trust: {min_release_age: 99999999999999w}\n")
    assert "too large" in e.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), (4096, 4096), ("1024", 1024), ("2KB", 2000), ("512MiB", 512 * 2**20),
     ("1 GiB", 2**30)],
)  # fmt: skip
def test_sizes(value: int | str, expected: int) -> None:
    assert parse_size(value) == expected


@pytest.mark.parametrize("value", [0, -1, "0", "1.5GiB", "1gib", "GiB", "1 2", "1  GiB"])
def test_bad_sizes(value: int | str) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FPR, FPR),
        (FPR.lower(), FPR),
        ("D1C3 5F4A 7C2B 9E08 61F4  3A2D 5B7E 0C91 84A6 2F3E", FPR),
        (" d1c35f4a7c2b9e0861f43a2d5b7e0c9184a62f3e ", FPR),
    ],
)
def test_fingerprints_are_normalised(text: str, expected: str) -> None:
    c = load(
        f"trust:\n  terraform:\n    signing_keys:\n"
        f"      - {{fingerprint: '{text}', providers: ['acme/*']}}\n"
    )
    assert c.trust.terraform.signing_keys[0].fingerprint == expected
    assert SigningKey(fingerprint=text, providers=(NameGlob("a/b/c"),)).fingerprint == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (FPR[:-1], "got 39 characters"),
        (FPR + "0", "got 41 characters"),
        (FPR[:-1] + "G", "with non-hex characters"),
        ("0x" + FPR[2:], "with non-hex characters"),
        ("34365D9472D7468F", "got 16 characters"),  # a key id, not a fingerprint
        ("D1C3:5F4A:7C2B:9E08:61F4:3A2D:5B7E:0C91:84A6:2F3E", "non-hex"),
    ],
)
def test_bad_fingerprints(text: str, problem: str) -> None:
    e = error(
        "trust:\n  terraform:\n    signing_keys:\n"
        f"      - fingerprint: '{text}'\n        providers: ['acme/*']\n"
    )
    assert e.message.startswith(
        f"depguard.yaml:4: trust.terraform.signing_keys[0].fingerprint: invalid fingerprint "
        f"'{text}': an OpenPGP fingerprint is 40 hexadecimal digits (spaces allowed)"
    )
    assert problem in e.message


def test_all_digit_fingerprint_must_be_quoted() -> None:
    digits = "1" * 40
    e = error(
        f"trust:\n  terraform:\n    signing_keys:\n      - {{fingerprint: {digits}, "
        "providers: [a/b]}\n"
    )
    assert "expected a string, got an integer" in e.message
    assert e.hint is not None and "quotes" in e.hint


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{providers: [acme/*]}", ": missing required key 'fingerprint'"),
        (f"{{fingerprint: '{FPR}'}}", ": missing required key 'providers'"),
        (f"{{fingerprint: '{FPR}', providers: []}}", ".providers: must not be empty"),
    ],
)
def test_signing_key_needs_providers(entry: str, message: str) -> None:
    e = error(f"trust:\n  terraform:\n    signing_keys:\n      - {entry}\n")
    assert e.message == f"depguard.yaml:4: trust.terraform.signing_keys[0]{message}"


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ("linux-amd64", "write os_arch in lower case, like linux_amd64"),
        ("linux/amd64", "write os_arch in lower case"),
        ("Linux_amd64", "write os_arch in lower case"),
        ("linux", "write os_arch in lower case"),
        ("linux_amd64_v2", "write os_arch in lower case"),
        ("linux_amd46", "unknown architecture 'amd46'"),
        ("linus_amd64", "unknown OS 'linus'"),
    ],
)
def test_bad_platforms(item: str, problem: str) -> None:
    e = error(f"platforms:\n  - darwin_arm64\n  - {item}\n")
    assert e.message.startswith(f"depguard.yaml:3: platforms[1]: invalid platform '{item}': ")
    assert problem in e.message


def test_platforms_must_not_repeat_or_be_empty() -> None:
    assert error("platforms: [linux_amd64, darwin_arm64, linux_amd64]\n").message == (
        "depguard.yaml:1: platforms[2]: duplicate entry 'linux_amd64' (first on line 1)"
    )
    assert error("platforms: []\n").message == "depguard.yaml:1: platforms: must not be empty"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://github.example.com", "must use https"),
        ("HTTP://github.example.com", "must use https"),
        ("ftp://github.example.com", "must use https"),
        ("github.example.com", "must use https"),
        ("https://", "has no host"),
        ("https:///path", "has no host"),
        ("https://user:secret@github.example.com", "must not contain credentials"),
        ("https://github.example.com/?x=1", "must not have a query"),
        ("https://github.example.com/#top", "must not have a query"),
        ("https://github.example.com:port", "invalid URL"),
    ],
)
def test_bad_urls(url: str, problem: str) -> None:
    e = error(f"github:\n  url: https://github.com\n  api_url: '{url}'\n")
    assert e.message.startswith("depguard.yaml:3: github.api_url: ")
    assert problem in e.message
    with pytest.raises(ValueError, match=problem):
        GitHubSettings(api_url=url)


def test_urls_lose_trailing_slash_and_keep_ports_and_paths() -> None:
    c = load(
        "github:\n  url: https://ghe.example.com:8443/\n  api_url: https://ghe.example.com/api/v3/\n"
    )
    assert c.github.url == "https://ghe.example.com:8443"
    assert c.github.api_url == "https://ghe.example.com/api/v3"
    assert c.github.raw_url == "https://raw.githubusercontent.com"


@pytest.mark.parametrize(
    ("registry", "message"),
    [
        ("{type: standard, repo_owner: acme}", "a standard registry is aquaproj/aqua-registry"),
        ("{type: standard, path: x.yaml}", "a standard registry is aquaproj/aqua-registry"),
        ("{type: github_content, repo_owner: acme, path: r.yaml}", "needs repo_owner, repo_"),
        ("{type: github_content, repo_owner: acme, repo_name: r}", "needs repo_owner, repo_"),
        ("{type: local}", "a local registry needs path"),
        ("{type: local, path: r.yaml, ref: '>= v1'}", "a local registry needs path and takes no"),
        ("{ref: '>= v1'}", "missing required key 'type'"),
    ],
)  # fmt: skip
def test_aqua_registry_fields_depend_on_type(registry: str, message: str) -> None:
    e = error(f"trust:\n  aqua:\n    registries:\n      - {registry}\n")
    assert e.message.startswith("depguard.yaml:4: trust.aqua.registries[0]: ")
    assert message in e.message


def test_aqua_registry_type_is_an_enum() -> None:
    e = error("trust:\n  aqua:\n    registries:\n      - type: git\n")
    assert e.message == (
        "depguard.yaml:4: trust.aqua.registries[0].type: unknown value 'git' "
        "(expected one of: standard, github_content, local)"
    )


@pytest.mark.parametrize(
    "ref", [">= v4.0.0", ">=4", "v4.1.0", "= v4.1.0", "~> 4.1", "^4.1", "~4.1.2", "!= v4.2.0-rc.1",
            ">= v4.0.0, < v5.0.0", ">=4.0.0,<5.0.0", "4.1.0+meta"],
)  # fmt: skip
def test_ref_constraints(ref: str) -> None:
    c = load(f"trust:\n  aqua:\n    registries: [{{type: standard, ref: '{ref}'}}]\n")
    assert c.trust.aqua.registries[0].ref == ref


@pytest.mark.parametrize("ref", ["main", "latest", ">= main", "v4.0.0.0", ">= v4,", "a1b2c3d"])
def test_bad_ref_constraints(ref: str) -> None:
    e = error(f"trust:\n  aqua:\n    registries: [{{type: standard, ref: '{ref}'}}]\n")
    assert e.message.startswith(
        f"depguard.yaml:3: trust.aqua.registries[0].ref: invalid ref constraint '{ref}'"
    )


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ("{match: [a]}", ": missing required key 'name'"),
        ("{name: dev}", ": missing required key 'match'"),
        ("{name: dev, match: []}", ".match: must not be empty"),
        ("{name: 'd v', match: [a]}", ".name: invalid stage name 'd v' (example: prod)"),
        ("{name: dev, match: [a], canary: 0}", ".canary: must be at least 1, got 0"),
        ("{name: dev, match: [a], max_per_wave: -1}", ".max_per_wave: must be at least 1, got -1"),
        (
            "{name: dev, match: [a], approval: 'yes'}",
            ".approval: expected a boolean (true or false), got a string ('yes')",
        ),
        (
            "{name: dev, match: ['/envs/dev']}",
            ".match[0]: invalid path pattern '/envs/dev': path patterns are relative to the "
            "repository root: remove the leading '/'",
        ),
    ],
)
def test_bad_rollout_stages(stage: str, message: str) -> None:
    e = error(f"rollout:\n  stages:\n    - {stage}\n")
    assert e.message == f"depguard.yaml:3: rollout.stages[0]{message}"


def test_stage_names_are_unique() -> None:
    e = error("rollout:\n  stages:\n    - {name: dev, match: [a]}\n    - {name: dev, match: [b]}\n")
    assert e.message == (
        "depguard.yaml:4: rollout.stages[1]: duplicate entry 'dev' (first on line 3)"
    )


def test_bad_unmatched_and_severity() -> None:
    assert error("rollout: {unmatched: first}\n").message == (
        "depguard.yaml:1: rollout.unmatched: unknown value 'first' (expected one of: error, last)"
    )
    assert error("rules: {invalid-manifest: {severity: High}}\n").message == (
        "depguard.yaml:1: rules.invalid-manifest.severity: unknown severity 'High' "
        "(expected one of: info, low, medium, high, critical)"
    )


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("", "must not be empty"),
        ("/abs/**", "remove the leading '/'"),
        ("a\\b", "use '/' as the path separator"),
        ("a/[ab].tf", "only '*', '?' and '**' are supported"),
        ("a/{b,c}.tf", "only '*', '?' and '**' are supported"),
        ("!a.tf", "only '*', '?' and '**' are supported"),
        ("a//b", "empty, '.' and '..' path segments"),
        ("a/", "empty, '.' and '..' path segments"),
        ("./a", "empty, '.' and '..' path segments"),
        ("a/../b", "empty, '.' and '..' path segments"),
        ("a**/b", "'**' must be a whole path segment"),
        ("a/***", "'**' must be a whole path segment"),
    ],
)
def test_bad_path_patterns(pattern: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        PathGlob(pattern)
    e = error(f"rules:\n  action-not-pinned:\n    ignore: ['{pattern}']\n")
    assert e.message.startswith("depguard.yaml:3: rules.action-not-pinned.ignore[0]: ")


@pytest.mark.parametrize(
    "pattern", ["hashicorp", "a/b/c/d", "a//b", "hashicorp/**", "registry.terraform.io/**/aws",
                "registry.terraform.io/*",  # a host alone: write registry.terraform.io/*/*
                "hashi corp/aws", "/hashicorp/aws", "hashicorp/aws/"],
)  # fmt: skip
def test_bad_provider_patterns(pattern: str) -> None:
    with pytest.raises(ValueError, match="invalid provider pattern"):
        NameGlob.provider(pattern)
    e = error(f"trust:\n  terraform:\n    providers: ['{pattern}']\n")
    assert e.message.startswith(
        f"depguard.yaml:3: trust.terraform.providers[0]: invalid provider pattern '{pattern}'"
    )


@pytest.mark.parametrize("pattern", ["hashicorp", "a/**", "a//b", "a b/c", ""])
def test_bad_name_patterns(pattern: str) -> None:
    with pytest.raises(ValueError):
        NameGlob(pattern)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("trust: {github_owners: x}\n", "unknown key 'github_owners' in trust"),
        ("trust: {aqua: {github_owners: ['-x']}}\n", "invalid GitHub owner '-x'"),
        ("trust: {aqua: {github_owners: [a_b]}}\n", "invalid GitHub owner 'a_b'"),
        ("trust: {aqua: {github_owners: [Acme, acme]}}\n", "duplicate entry 'acme'"),
        ("trust: {actions: {owners: ['actions/checkout']}}\n", "invalid GitHub owner"),
        ("renovate: {bot_logins: []}\n", "renovate.bot_logins: must not be empty"),
        ("renovate: {bot_logins: ['renovate bot']}\n", "invalid bot login 'renovate bot'"),
        ("renovate: {branch_prefix: 'renovate /'}\n", "invalid branch prefix (no spaces)"),
        ("limits: {max_download_bytes: 0}\n", "size must be positive"),
        ("limits: {max_download_bytes: 1gb}\n", "invalid size '1gb'"),
        ("limits: {timeout: 0s}\n", "limits: timeout must be longer than zero"),
        ("trust: {min_release_age_exempt: ['terraform']}\n", "invalid name pattern 'terraform'"),
    ],
)
def test_other_bad_values(text: str, fragment: str) -> None:
    assert fragment in error(text).message


# --- duplicates, YAML features and unsafe YAML ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "offline: true\nplatforms: [linux_amd64]\noffline: false\n",
            "depguard.yaml:3: duplicate key 'offline' at the top level (first on line 1)",
        ),
        (
            "trust:\n  terraform:\n    providers: []\n    providers: ['a/b']\n",
            "depguard.yaml:4: duplicate key 'providers' in trust.terraform (first on line 3)",
        ),
        (
            "rollout:\n  stages:\n    - name: dev\n      match: [a]\n      name: stg\n",
            "depguard.yaml:5: duplicate key 'name' in rollout.stages[0] (first on line 3)",
        ),
        (
            "rules:\n  release-too-new: {}\n  release-too-new: {}\n",
            "depguard.yaml:3: duplicate key 'release-too-new' in rules (first on line 2)",
        ),
        (
            "github: {url: 'https://a.example', url: 'https://b.example'}\n",
            "depguard.yaml:1: duplicate key 'url' in github (first on line 1)",
        ),
    ],
)
def test_duplicate_keys(text: str, message: str) -> None:
    assert error(text).message == message


def test_yaml_syntax_error_names_the_line() -> None:
    e = error("platforms: [linux_amd64]\ntrust:\n  terraform: {providers: [a/b]\n")
    assert re.match(r"depguard\.yaml:\d+: invalid YAML: ", e.message)
    e = error("offline: true\n  platforms: [x]\n")
    assert e.message.startswith("depguard.yaml:2: invalid YAML: mapping values are not allowed")


def test_more_than_one_document_is_an_error() -> None:
    e = error("offline: true\n---\noffline: false\n")
    assert e.message == (
        "depguard.yaml:2: invalid YAML: expected a single document in the stream, "
        "but found another document"
    )


def test_control_characters_are_an_error() -> None:
    e = error("offline: true\x07\n")
    assert e.message.startswith("depguard.yaml: invalid YAML: ")


def test_anchors_aliases_and_merge_keys() -> None:
    c = load(
        """\
        renovate:
          allowed_files: &files ["**/*.tf", "**/.terraform.lock.hcl"]
        rules:
          pr-unexpected-file: {ignore: *files}
        rollout:
          stages:
            - &base {name: dev, match: ["envs/dev/**"], soak: 2d, canary: 1}
            - <<: *base
              name: stg
              match: ["envs/stg/**"]
            - <<: [{approval: true, soak: 7d}, *base]
              name: prod
              match: ["envs/prod/**"]
        """
    )
    assert c.renovate.allowed_files == (PathGlob("**/*.tf"), PathGlob("**/.terraform.lock.hcl"))
    assert c.is_ignored("pr-unexpected-file", "main.tf")
    dev, stg, prod = c.rollout.stages
    assert stg == dataclasses.replace(dev, name="stg", match=(PathGlob("envs/stg/**"),))
    # earlier merged mappings win over later ones; the mapping's own keys win over both
    assert prod.soak == timedelta(days=7) and prod.approval and prod.canary == 1


def test_unknown_key_inside_a_merged_mapping_names_its_line() -> None:
    e = error(
        "rollout:\n  stages:\n    - &base {name: dev, match: [a]}\n"
        "    - {<<: [*base, {wait: 1d}], name: stg}\n"
    )
    assert e.message.startswith("depguard.yaml:4: unknown key 'wait' in rollout.stages[1]")


def test_merge_of_a_list_or_scalar_is_an_error() -> None:
    e = error("trust:\n  <<: [a, b]\n")
    assert e.message == "depguard.yaml:2: trust: '<<' merges only mappings"


def test_recursive_merge_is_an_error() -> None:
    e = error("trust: &t\n  <<: *t\n")
    assert "merges itself" in e.message


def test_merge_bomb_is_stopped() -> None:
    ids = KNOWN_RULE_IDS[:12]
    lines = ["rules:", f"  {ids[0]}: &l0 {{severity: low}}"]
    for i, rule_id in enumerate(ids[1:], start=1):
        refs = ", ".join([f"*l{i - 1}"] * 10)
        lines.append(f"  {rule_id}: &l{i} {{<<: [{refs}]}}")
    started = time.monotonic()
    e = error("\n".join(lines) + "\n")
    assert "too many values" in e.message
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "value",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!!python/object:collections.OrderedDict {{}}",
        "!!python/tuple [a, b]",
        "!custom linux_amd64",
        "!!binary aGVsbG8=",
        "!!set {{a, b}}",
        "!!omap [{{a: 1}}]",
    ],
)
def test_unsafe_and_unknown_tags_are_rejected(value: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = "platforms: " + value.format(marker=marker) + "\n"
    e = error(text)
    assert e.message.startswith("depguard.yaml:1: unsupported YAML tag '!")
    assert e.hint == "the policy is plain data: strings, numbers, booleans, lists and mappings"
    assert not marker.exists()


def test_unsafe_tag_in_a_list_item_or_key_is_rejected(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    e = error(
        f"platforms:\n  - linux_amd64\n  - !!python/object/apply:os.system ['touch {marker}']\n"
    )
    assert e.message.startswith("depguard.yaml:3: unsupported YAML tag '!!python/object/apply")
    e = error("!!python/name:os.system x: 1\n")
    assert "unsupported YAML tag" in e.message
    assert not marker.exists()


def test_explicit_plain_tags_are_fine() -> None:
    c = load("offline: !!bool true\nrenovate: !!map {branch_prefix: !!str deps/}\n")
    assert c.offline is True and c.renovate.branch_prefix == "deps/"


# --- files ----------------------------------------------------------------------------------


def test_load_config_resolves_paths_against_the_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    f = repo / "depguard.yaml"
    f.write_text("cache_dir: .cache/depguard\nsnapshot_dirs: [snap, /abs/snap, '~/snap']\n")
    c = load_config(f)
    assert c.cache_dir == repo / ".cache/depguard"
    assert c.snapshot_dirs == (repo / "snap", Path("/abs/snap"), Path("~/snap").expanduser())
    assert c.source == str(f)


def test_parse_config_keeps_paths_relative_without_base_dir() -> None:
    c = parse_config("snapshot_dirs: [snap]\n", "x.yaml")
    assert c.snapshot_dirs == (Path("snap"),)


def test_load_config_uses_display_path(tmp_path: Path) -> None:
    f = tmp_path / "depguard.yaml"
    f.write_text("offline: maybe\n")
    with pytest.raises(ConfigError, match=r"^depguard\.yaml:1: offline: expected a boolean"):
        load_config(f, display_path="depguard.yaml")
    with pytest.raises(ConfigError, match=re.escape(f"{f}:1: offline:")):
        load_config(f)


def test_load_config_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read config file: "):
        load_config(tmp_path / "missing.yaml", display_path="missing.yaml")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path)  # a directory


def test_load_config_rejects_non_utf8_and_huge_files(tmp_path: Path) -> None:
    f = tmp_path / "depguard.yaml"
    f.write_bytes(b"offline: \xff\n")
    with pytest.raises(ConfigError, match="is not UTF-8"):
        load_config(f)
    f.write_bytes(b"#" * (1024 * 1024 + 1))
    with pytest.raises(ConfigError, match="larger than"):
        load_config(f)


def test_load_config_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    f = tmp_path / "depguard.yaml"
    f.write_bytes(b"\xef\xbb\xbfoffline: true\n")
    assert load_config(f).offline is True


def test_find_config(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    (tmp_path / ".depguard.yaml").write_text("")
    assert find_config(tmp_path) == tmp_path / ".depguard.yaml"
    (tmp_path / "depguard.yaml").write_text("")
    with pytest.raises(ConfigError, match=r"both depguard\.yaml and \.depguard\.yaml exist"):
        find_config(tmp_path)
    (tmp_path / ".depguard.yaml").unlink()
    assert find_config(tmp_path) == tmp_path / "depguard.yaml"


def test_find_config_does_not_search_upwards(tmp_path: Path) -> None:
    (tmp_path / "depguard.yaml").write_text("")
    sub = tmp_path / "envs" / "dev"
    sub.mkdir(parents=True)
    assert find_config(sub) is None


def test_find_config_ignores_directories(tmp_path: Path) -> None:
    (tmp_path / "depguard.yaml").mkdir()
    assert find_config(tmp_path) is None


# --- environment and precedence -------------------------------------------------------------


def test_apply_env_without_variables_changes_nothing() -> None:
    c = Config()
    assert apply_env(c, {}) is c
    assert apply_env(c, {"DEPGUARD_PLATFORMS": " ", "DEPGUARD_OFFLINE": ""}) is c


def test_apply_env_platforms() -> None:
    c = apply_env(Config(), {"DEPGUARD_PLATFORMS": "linux_amd64, windows_amd64,"})
    assert c.platforms == (Platform("linux", "amd64"), Platform("windows", "amd64"))


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("linux-amd64", "DEPGUARD_PLATFORMS: invalid platform 'linux-amd64'"),
        ("linux_amd64,linux_amd64", "DEPGUARD_PLATFORMS: duplicate platform 'linux_amd64'"),
    ],
)
def test_apply_env_bad_platforms(value: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        apply_env(Config(), {"DEPGUARD_PLATFORMS": value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("YES", True), ("On", True),
     ("0", False), ("false", False), ("no", False), ("OFF", False)],
)  # fmt: skip
def test_apply_env_offline(value: str, expected: bool) -> None:
    assert apply_env(Config(offline=not expected), {"DEPGUARD_OFFLINE": value}).offline is expected


def test_apply_env_bad_offline() -> None:
    with pytest.raises(ConfigError, match=r"^DEPGUARD_OFFLINE: expected true or false"):
        apply_env(Config(), {"DEPGUARD_OFFLINE": "sometimes"})


def test_apply_env_paths(tmp_path: Path) -> None:
    env = {
        "DEPGUARD_CACHE_DIR": str(tmp_path / "cache"),
        "DEPGUARD_SNAPSHOT_DIRS": os.pathsep.join([str(tmp_path / "a"), "", "rel/b"]),
    }
    c = apply_env(Config(snapshot_dirs=(Path("old"),)), env)
    assert c.cache_dir == tmp_path / "cache"
    assert c.snapshot_dirs == (tmp_path / "a", Path("rel/b"))


def test_precedence_flag_over_env_over_file_over_defaults(tmp_path: Path) -> None:
    f = tmp_path / "depguard.yaml"
    f.write_text("offline: true\nplatforms: [linux_amd64]\ncache_dir: file-cache\n")
    from_file = load_config(f)
    assert from_file.offline is True  # file over defaults
    assert from_file.platforms == (Platform("linux", "amd64"),)
    assert from_file.trust == Config().trust  # absent keys: defaults

    env = {"DEPGUARD_OFFLINE": "0", "DEPGUARD_CACHE_DIR": "/env/cache"}
    from_env = apply_env(from_file, env)
    assert from_env.offline is False  # env over file
    assert from_env.cache_dir == Path("/env/cache")
    assert from_env.platforms == (Platform("linux", "amd64"),)  # untouched by env

    from_flag = dataclasses.replace(from_env, offline=True, cache_dir=Path("/flag/cache"))
    assert from_flag.offline is True  # flag over env
    assert from_flag.cache_dir == Path("/flag/cache")
    assert from_flag.source == str(f)


def test_the_conftest_cache_dir_variable_is_honoured() -> None:
    c = apply_env(Config(), os.environ)
    assert c.cache_dir == Path(os.environ["DEPGUARD_CACHE_DIR"])


# --- matching -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patterns", "address", "allowed"),
    [
        (None, "registry.terraform.io/hashicorp/aws", True),
        (None, "hashicorp/aws", True),  # a two-part address means the public registry
        (None, "REGISTRY.Terraform.IO/HashiCorp/AWS", True),  # case-insensitive
        (None, "registry.terraform.io/integrations/github", False),
        (None, "registry.opentofu.org/hashicorp/aws", False),  # another host
        (None, "registry.terraform.io/hashicorp-evil/aws", False),  # '*' is a whole segment
        (["hashicorp/*"], "registry.terraform.io/hashicorp/aws", True),  # two-part pattern
        (["hashicorp/*"], "registry.example.com/hashicorp/aws", False),
        (["HashiCorp/AWS"], "registry.terraform.io/hashicorp/aws", True),
        (["*/*/*"], "registry.example.com/acme/thing", True),
        (["*/aws"], "registry.terraform.io/hashicorp/aws", True),
        (["*/aws"], "registry.terraform.io/hashicorp/awsx", False),
        (["acme/terraform-*"], "acme/terraform-foo", True),
        (["acme/terraform-*"], "acme/foo", False),
        (["*.example.com/acme/*"], "registry.example.com/acme/x", True),
        (["*.example.com/acme/*"], "example.com/acme/x", False),
        (["registry.example.com:8443/acme/*"], "registry.example.com:8443/acme/x", True),
        ([], "registry.terraform.io/hashicorp/aws", False),
    ],
)
def test_provider_allowed(patterns: list[str] | None, address: str, allowed: bool) -> None:
    config = Config()
    if patterns is not None:
        config = load(f"trust:\n  terraform:\n    providers: {json.dumps(patterns)}\n")
    assert config.provider_allowed(address) is allowed


def test_provider_allowed_takes_a_provider_address() -> None:
    assert Config().provider_allowed(ProviderAddress("registry.terraform.io", "hashicorp", "aws"))


@pytest.mark.parametrize("address", ["aws", "a/b/c/d", "", "a//b"])
def test_provider_allowed_rejects_malformed_addresses(address: str) -> None:
    with pytest.raises(ValueError, match="not a provider address"):
        Config().provider_allowed(address)


def test_pinned_fingerprints_for() -> None:
    c = load(
        f"""\
        trust:
          terraform:
            signing_keys:
              - {{fingerprint: "{FPR}", providers: ["registry.example.com/acme/*", "acme/*"]}}
              - {{fingerprint: "{FPR2.lower()}", providers: ["registry.example.com/*/special"]}}
        """
    )
    assert c.pinned_fingerprints_for("registry.example.com/acme/thing") == {FPR}
    assert c.pinned_fingerprints_for("Registry.Example.com/ACME/special") == {FPR, FPR2}
    assert c.pinned_fingerprints_for("acme/thing") == {FPR}  # two-part: public registry
    assert c.pinned_fingerprints_for("registry.terraform.io/acme/thing") == {FPR}
    assert c.pinned_fingerprints_for("registry.example.com/other/thing") == frozenset()
    assert Config().pinned_fingerprints_for("hashicorp/aws") == frozenset()


@pytest.mark.parametrize(
    ("name", "exempt"),
    [
        ("hashicorp/terraform", True),  # an aqua package
        ("HashiCorp/Terraform", True),
        ("registry.terraform.io/hashicorp/aws", True),  # a provider, by namespace/type
        ("registry.example.com/hashicorp/aws", False),
        ("hashicorp/terraform/extra", False),
        ("actions/checkout", True),
        ("actions/checkout/sub", False),
        ("suzuki-shunsuke/tfcmt", False),
        ("grpc/grpc-go/protoc-gen-go-grpc", True),
    ],
)
def test_release_age_exemptions(name: str, exempt: bool) -> None:
    c = load("trust:\n  min_release_age_exempt: ['hashicorp/*', 'actions/*', 'grpc/*/protoc-*']\n")
    assert c.is_release_age_exempt(name) is exempt


def test_rule_severity_and_ignores() -> None:
    c = load(
        """\
        rules:
          release-too-new: {severity: critical}
          action-not-pinned: {ignore: [".github/workflows/legacy.yaml", "legacy/**"]}
        """
    )
    assert c.rule_severity("release-too-new", Severity.MEDIUM) is Severity.CRITICAL
    assert c.rule_severity("action-not-pinned", Severity.MEDIUM) is Severity.MEDIUM
    assert c.rule_severity("lock-hash-mismatch", Severity.CRITICAL) is Severity.CRITICAL
    assert c.is_ignored("action-not-pinned", ".github/workflows/legacy.yaml")
    assert c.is_ignored("action-not-pinned", "./.github/workflows/legacy.yaml")
    assert c.is_ignored("action-not-pinned", "legacy/a/b.yaml")
    assert not c.is_ignored("action-not-pinned", ".github/workflows/ci.yaml")
    assert not c.is_ignored("release-too-new", ".github/workflows/legacy.yaml")
    assert not c.is_ignored("lock-hash-mismatch", "anything")
    assert c.rule("release-too-new") == RuleSettings(
        id=RuleId("release-too-new"), severity=Severity.CRITICAL
    )
    assert c.rule("lock-hash-mismatch") is None


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("**/aqua.yaml", "aqua.yaml", True),
        ("**/aqua.yaml", "a/b/aqua.yaml", True),
        ("**/aqua.yaml", "a/b/aqua.yml", False),
        ("**/aqua.yaml", "xaqua.yaml", False),
        ("**/*.tf", "main.tf", True),
        ("**/*.tf", "envs/dev/.hidden.tf", True),
        ("**/*.tf", "envs/dev/main.tf.json", False),
        ("**/aqua/imports/*.yaml", "aqua/imports/tf.yaml", True),
        ("**/aqua/imports/*.yaml", "x/aqua/imports/sub/tf.yaml", False),
        ("envs/dev/**", "envs/dev", True),
        ("envs/dev/**", "envs/dev/vpc", True),
        ("envs/dev/**", "envs/dev/vpc/a/b", True),
        ("envs/dev/**", "envs/development/vpc", False),
        ("envs/*/vpc", "envs/dev/vpc", True),
        ("envs/*/vpc", "envs/dev/x/vpc", False),
        ("envs/**/vpc", "envs/vpc", True),
        ("envs/**/vpc", "envs/a/b/vpc", True),
        ("envs/d?v/**", "envs/dev/x", True),
        ("envs/d?v/**", "envs/d/v/x", False),
        ("**", "anything/at/all", True),
        (".github/workflows/*.yaml", ".github/workflows/ci.yaml", True),
        (".github/workflows/*.yaml", ".github/workflows/sub/ci.yaml", False),
        (".github/workflows/*.yaml", ".GITHUB/workflows/ci.yaml", False),  # case-sensitive
        ("a+b(c).tf", "a+b(c).tf", True),  # regex metacharacters are literal
        ("a.tf", "axtf", False),
    ],
)
def test_path_globs(pattern: str, path: str, matches: bool) -> None:
    assert PathGlob(pattern).matches(path) is matches


def test_name_glob_regex_metacharacters_are_literal() -> None:
    assert NameGlob("a.b/c").matches("a.b/c")
    assert not NameGlob("a.b/c").matches("axb/c")


# --- the dataclasses ------------------------------------------------------------------------


def test_config_is_frozen_and_hashable() -> None:
    c = load_config(POLICY_DIR / "example.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.offline = True  # type: ignore[misc]
    assert hash(c) == hash(load_config(POLICY_DIR / "example.yaml"))
    assert not hasattr(c, "__dict__")  # slotted


def test_replace_revalidates() -> None:
    with pytest.raises(ValueError, match="platforms must not be empty"):
        dataclasses.replace(Config(), platforms=())
    with pytest.raises(ValueError, match="platforms must not repeat"):
        dataclasses.replace(Config(), platforms=(Platform("linux", "amd64"),) * 2)
    with pytest.raises(ValueError, match="duplicate stage name 'a'"):
        stage = RolloutStage(name="a", match=(PathGlob("x"),))
        RolloutSettings(stages=(stage, stage))
    with pytest.raises(ValueError, match="must be positive"):
        Limits(max_download_bytes=0)
    with pytest.raises(ValueError, match="must list the providers"):
        SigningKey(fingerprint=FPR, providers=())
    with pytest.raises(ValueError, match="must not repeat a rule id"):
        rule = RuleSettings(id=RuleId("invalid-manifest"))
        Config(rules=(rule, rule))


def test_source_does_not_take_part_in_equality() -> None:
    assert Config(source="a.yaml") == Config(source="b.yaml") == Config()


def test_importing_config_is_cheap() -> None:
    code = (
        "import sys, depguard.config\n"
        "heavy = [m for m in ('yaml', 'depguard.rules', 'sigstore', 'pysequoia', 'hcl2', "
        "'requests') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- the JSON schema ------------------------------------------------------------------------


def _schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return data


def _schema_key_paths(schema: dict[str, Any]) -> set[str]:
    defs = schema["$defs"]
    out: set[str] = set()

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = {**defs[node["$ref"].removeprefix("#/$defs/")], **node}
            del node["$ref"]
        return node

    def walk(node: dict[str, Any], prefix: str) -> None:
        node = resolve(node)
        for key, sub in node.get("properties", {}).items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            walk(sub, path)
        if "items" in node:
            walk(node["items"], prefix + "[]")

    walk(schema, "")
    return out


def test_schema_and_loader_accept_the_same_keys() -> None:
    loader_keys = cfg.key_paths()
    schema_keys = _schema_key_paths(_schema())
    assert sorted(loader_keys - schema_keys) == []
    assert sorted(schema_keys - loader_keys) == []
    assert "trust.terraform.signing_keys[].fingerprint" in loader_keys
    assert "rules.release-too-new.ignore" in loader_keys


def test_schema_rule_ids_are_the_known_rule_ids() -> None:
    from depguard.config.spec import EXTENSION_RULE_IDS

    assert list(_schema()["properties"]["rules"]["properties"]) == [
        *KNOWN_RULE_IDS,
        *EXTENSION_RULE_IDS,
    ]


def test_schema_closes_every_object() -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "properties" in node:
                assert node.get("additionalProperties") is False, where
            for key, sub in node.items():
                if key != "if":  # conditions test properties, they do not define objects
                    walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}/{i}")

    walk(_schema(), "#")


@pytest.mark.parametrize(
    ("definition", "pattern"),
    [
        ("duration", cfg.DURATION_PATTERN),
        ("platform", cfg.PLATFORM_PATTERN),
        ("providerPattern", cfg.PROVIDER_PATTERN),
        ("namePattern", cfg.NAME_PATTERN),
        ("githubOwner", cfg.GITHUB_OWNER_PATTERN),
    ],
)
def test_schema_patterns_are_the_loader_patterns(definition: str, pattern: str) -> None:
    assert _schema()["$defs"][definition]["pattern"] == pattern


def test_schema_value_patterns_are_the_loader_patterns() -> None:
    defs = _schema()["$defs"]
    assert defs["signingKey"]["properties"]["fingerprint"]["pattern"] == cfg.FINGERPRINT_PATTERN
    assert defs["aquaRegistry"]["properties"]["ref"]["pattern"] == cfg.REF_CONSTRAINT_PATTERN
    assert defs["size"]["oneOf"][1]["pattern"] == cfg.SIZE_PATTERN
    assert defs["rolloutStage"]["properties"]["name"]["pattern"] == cfg.STAGE_NAME_PATTERN


def _validator() -> Any:
    jsonschema = pytest.importorskip(
        "jsonschema", reason="jsonschema is not installed in this environment"
    )
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("name", ["default.yaml", "example.yaml"])
def test_policy_files_validate_against_the_schema(name: str) -> None:
    validator = _validator()
    document = yaml.safe_load((POLICY_DIR / name).read_text())
    errors = [e.message for e in validator.iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize(
    "text",
    [
        "platforms: [linux_amd46]\n",
        "platforms: []\n",
        "trust: {min_release_age: 3}\n",
        "trust: {min_release_age: 3days}\n",
        "trust: {terraform: {provders: []}}\n",
        "trust: {terraform: {providers: ['hashicorp/**']}}\n",
        "trust: {terraform: {signing_keys: [{fingerprint: 'ABC', providers: [a/b]}]}}\n",
        "trust: {aqua: {registries: [{type: github_content, repo_owner: a}]}}\n",
        "trust: {aqua: {registries: [{type: standard, ref: main}]}}\n",
        "github: {url: 'http://github.com'}\n",
        "rollout: {stages: [{name: dev, match: [a], canary: 0}]}\n",
        "rollout: {unmatched: first}\n",
        "rules: {no-such-rule: {}}\n",
        "rules: {release-too-new: {severity: High}}\n",
        "rules: {release-too-new: {ignore: ['/abs']}}\n",
        "limits: {max_download_bytes: 0}\n",
        "offline: 'yes'\n",
    ],
)
def test_schema_and_loader_both_reject(text: str) -> None:
    validator = _validator()
    assert not validator.is_valid(yaml.safe_load(text)), text
    with pytest.raises(ConfigError):
        parse_config(text, "depguard.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "trust:\nrules:\n",
        "rules: {release-too-new: }\n",
        "limits: {max_download_bytes: 1048576, max_zip_uncompressed_bytes: 2GiB}\n",
        "github: {url: 'https://ghe.example.com:8443/', api_url: 'https://ghe.example.com/api/v3'}\n",
        "trust: {aqua: {registries: [{type: local, path: registry.yaml}]}}\n",
        "trust: {terraform: {signing_keys: [{fingerprint: '"
        + FPR.lower()
        + "', providers: [a/b]}]}}\n",
    ],
)  # fmt: skip
def test_schema_and_loader_both_accept(text: str) -> None:
    validator = _validator()
    document = yaml.safe_load(text)
    assert [e.message for e in validator.iter_errors(document)] == []
    parse_config(text, "depguard.yaml")
