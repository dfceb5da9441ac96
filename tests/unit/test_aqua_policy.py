"""aqua-policy.yaml (depguard.formats.aqua_policy): parsing and aqua's matching rules."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from depguard.errors import InputError
from depguard.formats.aqua_config import AquaRegistryRef, load_config
from depguard.formats.aqua_policy import (
    DEFAULT_POLICY,
    Policy,
    check_package,
    find_policy_files,
    load_policy,
    parse_policy,
)

HAS_EXPR = importlib.util.find_spec("depguard.aqua.expr") is not None
needs_expr = pytest.mark.skipif(not HAS_EXPR, reason="depguard.aqua.expr is not written yet")
SHA = "0123456789abcdef0123456789abcdef01234567"


def _github(
    name: str = "standard",
    *,
    owner: str = "aquaproj",
    repo: str = "aqua-registry",
    ref: str = "v4.300.0",
    path: str = "registry.yaml",
    declared: str = "standard",
) -> AquaRegistryRef:
    return AquaRegistryRef(
        name=name,
        type="github_content",
        declared_type=declared,
        repo_owner=owner,
        repo_name=repo,
        ref=ref,
        path=path,
        file="aqua.yaml",
        line=1,
    )


def _local(path: str, name: str = "local") -> AquaRegistryRef:
    return AquaRegistryRef(
        name=name,
        type="local",
        declared_type="local",
        repo_owner=None,
        repo_name=None,
        ref=None,
        path=path,
        file="aqua.yaml",
        line=1,
    )


def _policy(text: str, tmp_path: Path) -> Policy:
    return parse_policy(text, str(tmp_path / "aqua-policy.yaml"))


def _allowed(
    policies: list[Policy],
    registry: AquaRegistryRef,
    name: str = "a/b",
    version: str = "v1.0.0",
    prefix: str = "",
) -> bool:
    reason = check_package(
        policies, name=name, version=version, registry=registry, version_prefix=prefix
    )
    return reason is None


# --- the default policy (no policy file) --------------------------------------------------------


@pytest.mark.parametrize(
    ("registry", "allowed"),
    [
        (_github(), True),
        (_github("custom-name"), True),  # a standard registry under any name
        (_github(ref=SHA), True),  # any ref
        (_github("gc", declared="github_content"), True),  # written out as github_content
        (_github(owner="someone"), False),
        (_github(repo="registry"), False),
        (_github(path="other.yaml"), False),
        (_local("/repo/registry.yaml"), False),
        (_local("/repo/registry.yaml", name="standard"), False),  # the name does not matter
    ],
)
def test_default_policy(registry: AquaRegistryRef, allowed: bool) -> None:
    assert _allowed([], registry) is allowed
    assert DEFAULT_POLICY.is_default


def test_default_policy_reason() -> None:
    reason = check_package([], name="a/b", version="v1", registry=_local("/r/registry.yaml"))
    assert reason is not None
    assert "a/b@v1" in reason and "'local'" in reason
    assert "only the standard registry" in reason


# --- policy files -------------------------------------------------------------------------------


def test_standard_rule_allows_a_custom_named_standard_registry(tmp_path: Path) -> None:
    policy = _policy("registries:\n- type: standard\npackages:\n- registry: standard\n", tmp_path)
    assert _allowed([policy], _github("my-pin", ref=SHA))
    assert _allowed([policy], _github("gc", declared="github_content"))
    assert not _allowed([policy], _github(path="pkgs/registry.yaml"))
    assert not _allowed([policy], _local(str(tmp_path / "registry.yaml")))


def test_github_content_rule_matches_by_fields(tmp_path: Path) -> None:
    policy = _policy(
        "registries:\n"
        "- name: mine\n  type: github_content\n  repo_owner: me\n  repo_name: reg\n"
        "  path: registry.yaml\n"
        "packages:\n- registry: mine\n",
        tmp_path,
    )
    registry = _github("anything", owner="me", repo="reg", declared="github_content")
    assert _allowed([policy], registry)
    assert not _allowed([policy], _github("mine", owner="me", repo="reg", path="other.yaml"))
    assert not _allowed([policy], _github("mine", owner="me", repo="other"))
    assert not _allowed([policy], _github("mine", owner="you", repo="reg"))
    assert not _allowed([policy], _github())  # the standard registry is not listed


@needs_expr
@pytest.mark.parametrize(
    ("ref", "allowed"),
    [("v4.300.0", True), ("v3.0.0", True), ("v2.9.0", False), (SHA, False), ("other", False)],
)
def test_ref_expression(tmp_path: Path, ref: str, allowed: bool) -> None:
    policy = _policy(
        'registries:\n- type: standard\n  ref: semver(">= 3.0.0")\n'
        "packages:\n- registry: standard\n",
        tmp_path,
    )
    assert _allowed([policy], _github(ref=ref)) is allowed


@needs_expr
def test_ref_expression_with_a_list_of_commits(corpus: Path) -> None:
    policy = load_policy(corpus / "aqua/examples/aquaproj-aqua/aqua/aqua-policy.yaml")
    assert _allowed([policy], _github(ref="f9cce37273a70e2f5664fb4c3708169ffe7e320c"))
    assert _allowed([policy], _github(ref="v4.546.0"))
    assert not _allowed([policy], _github(ref=SHA))
    assert not _allowed([policy], _github(ref="v2.0.0"))


@needs_expr
def test_package_name_and_version_rules(tmp_path: Path) -> None:
    policy = _policy(
        "registries:\n- type: standard\n"
        "packages:\n"
        "- name: cli/cli\n"
        '- name: hashicorp/terraform\n  version: semver(">= 1.5.0")\n'
        '- name: tool/prefixed\n  version: semver("< 2.0.0")\n'
        '- name: exact/version\n  version: Version == "v1.0.0"\n',
        tmp_path,
    )
    standard = _github()
    assert _allowed([policy], standard, "cli/cli", "v2.0.0")
    assert not _allowed([policy], standard, "cli/other", "v2.0.0")
    assert _allowed([policy], standard, "hashicorp/terraform", "v1.9.0")
    assert not _allowed([policy], standard, "hashicorp/terraform", "v1.4.0")
    # SemVer has the registry package's version_prefix trimmed.
    assert _allowed([policy], standard, "tool/prefixed", "tool/v1.2.0", prefix="tool/")
    assert not _allowed([policy], standard, "tool/prefixed", "tool/v2.2.0", prefix="tool/")
    assert _allowed([policy], standard, "exact/version", "v1.0.0")
    assert not _allowed([policy], standard, "exact/version", "v1.0.1")


def test_local_rule_paths_are_relative_to_the_policy_file(tmp_path: Path) -> None:
    policy_path = tmp_path / "aqua" / "aqua-policy.yaml"
    policy_path.parent.mkdir()
    policy_path.write_text(
        "registries:\n- name: local\n  type: local\n  path: ../registry.yaml\n"
        "packages:\n- registry: local\n  name: a/b\n"
    )
    policy = load_policy(policy_path)
    assert policy.registries["local"].path == str(tmp_path / "registry.yaml")
    assert _allowed([policy], _local(str(tmp_path / "registry.yaml"), name="any-name"))
    assert not _allowed([policy], _local(str(tmp_path / "aqua" / "registry.yaml")))
    assert not _allowed([policy], _local(str(tmp_path / "registry.yaml")), name="c/d")
    assert not _allowed([policy], _github())


def test_any_policy_file_may_allow(tmp_path: Path) -> None:
    only_local = _policy(
        "registries:\n- name: l\n  type: local\n  path: r.yaml\npackages:\n- registry: l\n",
        tmp_path,
    )
    only_standard = _policy("registries:\n- type: standard\npackages:\n- {}\n", tmp_path)
    local = _local(str(tmp_path / "r.yaml"))
    assert not _allowed([only_local], _github())  # a policy file replaces the default
    assert _allowed([only_local, only_standard], _github())
    assert _allowed([only_local, only_standard], local)
    reason = check_package([only_local], name="a/b", version="v1", registry=_github())
    assert reason is not None
    assert "not allowed by the aqua policy" in reason
    assert only_local.path in reason


def test_policy_without_package_rules_allows_nothing(tmp_path: Path) -> None:
    policy = _policy("registries:\n- type: standard\n", tmp_path)
    assert not _allowed([policy], _github())


def test_later_registry_with_the_same_name_wins(tmp_path: Path) -> None:
    policy = _policy(
        "registries:\n- type: standard\n"
        "- name: standard\n  type: local\n  path: r.yaml\n"
        "packages:\n- registry: standard\n",
        tmp_path,
    )
    assert not _allowed([policy], _github())
    assert _allowed([policy], _local(str(tmp_path / "r.yaml")))


def test_standard_type_forces_owner_and_repo(tmp_path: Path) -> None:
    policy = _policy(
        "registries:\n- type: standard\n  repo_owner: evil\n  path: other.yaml\n"
        "packages:\n- registry: standard\n",
        tmp_path,
    )
    registry = policy.registries["standard"]
    assert (registry.repo_owner, registry.repo_name, registry.path) == (
        "aquaproj",
        "aqua-registry",
        "other.yaml",
    )
    assert _allowed([policy], _github(path="other.yaml"))


# --- the corpus -----------------------------------------------------------------------------------


def test_every_corpus_policy_parses(corpus: Path) -> None:
    files = sorted((corpus / "aqua" / "examples").rglob("aqua-policy.yaml"))
    assert len(files) >= 3
    for file in files:
        policy = load_policy(file)
        assert policy.packages
        assert "standard" in policy.registries


@needs_expr
@pytest.mark.parametrize("example", ["cybozu-go-accurate", "aquaproj-aqua-registry"])
def test_corpus_configs_are_allowed_by_their_policies(corpus: Path, example: str) -> None:
    root = corpus / "aqua" / "examples" / example
    config = load_config(root / "aqua.yaml", repo_root=root)
    policy = load_policy(root / "aqua-policy.yaml")
    assert config.packages
    for pkg in config.packages:
        registry = config.registries[pkg.registry]
        reason = check_package([policy], name=pkg.name, version=pkg.version, registry=registry)
        assert reason is None, reason
    if example == "aquaproj-aqua-registry":
        # A local registry *named* standard is not allowed by the default policy ...
        pkg = config.packages[0]
        assert not _allowed([], config.registries[pkg.registry], pkg.name, pkg.version)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (
            "registries:\n- type: standard\npackages:\n- registry: nope\n",
            4,
            "unknown registry 'nope'",
        ),
        ("registries:\n- name: x\n  type: local\npackages: []\n", 2, "requires path"),
        ("registries:\n- name: x\n  type: http\n", 2, "unknown registry type 'http'"),
        ("registries:\n- name: x\n", 2, "registry type is required"),
        ("registries:\n- null\n", 2, "registries[0]: expected a mapping"),
        ("registries:\n- type: standard\npackages:\n- null\n", 4, "packages[0]: expected a map"),
        ("registries:\n- type: standard\n  private: true\n", 3, "unknown key 'private'"),
        ("registries: []\npackages:\n- name: a\n  tags: [x]\n", 4, "unknown key 'tags'"),
        ("registries: []\nallow: []\n", 2, "unknown key 'allow'"),
        ("registries:\n- type: [standard]\n", 2, "expected a string"),
        ("- a\n", 1, "the top level must be a mapping"),
        ("", 1, "the top level must be a mapping"),
        ("registries:\n- type: standard\n  ref: '>= 1'\n  ref: x\n", 4, "duplicate key 'ref'"),
    ],
)
def test_invalid_policies(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = str(tmp_path / "aqua-policy.yaml")
    with pytest.raises(InputError) as e:
        parse_policy(text, path)
    assert (e.value.path, e.value.line) == (path, line), str(e.value)
    assert fragment in str(e.value)


@needs_expr
def test_invalid_expression_is_an_input_error(tmp_path: Path) -> None:
    path = str(tmp_path / "aqua-policy.yaml")
    with pytest.raises(InputError) as e:
        parse_policy("registries:\n- type: standard\n  ref: semver(\n", path)
    assert str(e.value).startswith(f"{path}:3: ")


def test_find_policy_files_takes_the_first_like_aqua(tmp_path: Path) -> None:
    assert find_policy_files(tmp_path) == []
    (tmp_path / ".aqua").mkdir()
    (tmp_path / ".aqua" / "aqua-policy.yaml").write_text("registries: []\n")
    assert find_policy_files(tmp_path) == [tmp_path / ".aqua" / "aqua-policy.yaml"]
    (tmp_path / "aqua").mkdir()
    (tmp_path / "aqua" / "aqua-policy.yaml").write_text("registries: []\n")
    assert find_policy_files(tmp_path) == [tmp_path / "aqua" / "aqua-policy.yaml"]
    (tmp_path / "aqua-policy.yml").write_text("registries: []\n")  # .yml is not read
    (tmp_path / ".aqua-policy.yaml").write_text("registries: []\n")
    assert find_policy_files(tmp_path) == [tmp_path / ".aqua-policy.yaml"]
    (tmp_path / "aqua-policy.yaml").write_text("registries: []\n")
    assert find_policy_files(tmp_path) == [tmp_path / "aqua-policy.yaml"]
