"""Rollout discovery: state directories, tfaction targets, usages and stages (issue #5, item 1)."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from depguard.config.loader import load_config, parse_config
from depguard.config.model import Config
from depguard.errors import EXIT_USAGE, ConfigError, InputError
from depguard.rollout.model import Dependency, FsSource, GitSource, Target, Usage, Workspace
from depguard.rollout.workspace import (
    TERRAFORM,
    discover,
    parse_tfaction_root,
    resolve_dependency,
)

ROOT = Path(__file__).resolve().parents[2]
ACME = ROOT / "manifests" / "examples" / "acme-infra"
NULL = Dependency("provider", "registry.terraform.io/hashicorp/null")
GITHUB = Dependency("provider", "registry.terraform.io/integrations/github")
INVENTORY = Dependency("provider", "tf.acme.example/platform/inventory")

ALL_STAGE = 'rollout:\n  stages:\n    - {name: all, match: ["**"]}\n'


def _lock(*providers: tuple[str, str]) -> str:
    out = [
        '# This file is maintained automatically by "terraform init".\n'
        "# Manual edits may be lost in future updates.\n"
    ]
    for address, version in providers:
        out.append(
            f'\nprovider "{address}" {{\n'
            f'  version = "{version}"\n'
            "  hashes = [\n"
            '    "h1:vpC6bgUQoJ0znqIKVFevOdq+YQw42bRq0u+H3nto8nA=",\n'
            "  ]\n"
            "}\n"
        )
    return "".join(out)


NULL_LOCK = _lock(("registry.terraform.io/hashicorp/null", "3.2.1"))


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


def _config(text: str = ALL_STAGE) -> Config:
    return parse_config(textwrap.dedent(text), "depguard.yaml")


def _discover(root: Path, config: Config | None = None) -> Workspace:
    return discover(FsSource(root), config or _config(), root=root)


def _targets(ws: Workspace) -> dict[str, str]:
    return {t.path: t.target for t in ws.targets}


def _by_path(ws: Workspace) -> dict[str, Target]:
    return {t.path: t for t in ws.targets}


def _pins(target: Target) -> list[tuple[str, str, str, int | None, str | None, str | None]]:
    return [
        (str(u.dependency), u.pin, u.file, u.line, u.version, u.constraint) for u in target.usages
    ]


_GIT_ENV = {
    "GIT_AUTHOR_NAME": "depguard tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "depguard tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_AUTHOR_DATE": "2026-11-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def _git_commit(repo: Path) -> str:
    env = {**os.environ, **_GIT_ENV}

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", "-A", "--force")  # .terraform/ too: GitSource must skip it itself
    git("commit", "-q", "-m", "tree")
    return git("rev-parse", "HEAD")


# --- the ACME example -----------------------------------------------------------------------


def test_acme_example_targets_stages_and_usages() -> None:
    config = load_config(ACME / "depguard.yaml")
    ws = discover(FsSource(ACME), config, root=ACME)

    assert ws.root == ACME
    assert ws.stages == config.rollout.stages
    assert ws.notes == ()
    # modules/inventory-host has .tf files but no tfaction.yaml: not a state directory.
    assert [(t.path, t.stage, t.target) for t in ws.targets] == [
        ("envs/dev/network", "dev", "dev/network"),
        ("envs/prod/dns", "prod", "prod/dns"),
        ("envs/prod/network", "prod", "prod/network"),
        ("envs/stg/network", "stg", "stg/network"),
    ]
    dev = _by_path(ws)["envs/dev/network"]
    assert _pins(dev) == [
        (str(NULL), "lock", "envs/dev/network/.terraform.lock.hcl", 4, "3.1.0", None),
        (str(INVENTORY), "lock", "envs/dev/network/.terraform.lock.hcl", 23, "1.3.0", None),
        ("terraform", "constraint", "envs/dev/network/main.tf", 2, None, ">= 1.6.0"),
        (str(NULL), "constraint", "envs/dev/network/main.tf", 5, None, "~> 3.0"),
        (str(INVENTORY), "constraint", "envs/dev/network/main.tf", 9, None, ">= 1.2.0, < 2.0.0"),
    ]
    assert dev.version_of(INVENTORY) == "1.3.0"
    assert _by_path(ws)["envs/stg/network"].version_of(INVENTORY) == "1.2.0"
    assert not _by_path(ws)["envs/prod/dns"].uses(INVENTORY)
    assert [t.path for t in ws.in_stage("prod")] == ["envs/prod/dns", "envs/prod/network"]
    assert ws.dependencies() == {NULL, INVENTORY, TERRAFORM}


def test_acme_example_from_git_objects_matches_the_working_tree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ACME, repo)
    # Provider caches and nested repositories are never state directories, even committed.
    _tree(
        repo,
        {
            "envs/dev/network/.terraform/modules/x/tfaction.yaml": "{}\n",
            "envs/dev/network/.terraform/modules/x/.terraform.lock.hcl": "not HCL {",
            "vendor/.git/x/.terraform.lock.hcl": "not HCL {",
        },
    )
    head = _git_commit(repo)
    config = load_config(ACME / "depguard.yaml")
    with GitSource(repo, head) as source:
        from_git = discover(source, config, root=repo)
    from_fs = discover(FsSource(ACME), config, root=ACME)
    assert from_git.targets == from_fs.targets
    assert from_git.root == repo


def test_git_source_reads_a_revision_not_the_working_tree(tmp_path: Path) -> None:
    repo = _tree(tmp_path / "repo", {"envs/dev/a/.terraform.lock.hcl": NULL_LOCK})
    head = _git_commit(repo)
    (repo / "envs/dev/a/.terraform.lock.hcl").write_text("garbage {")
    _tree(repo, {"envs/dev/b/.terraform.lock.hcl": NULL_LOCK})
    with GitSource(repo, head) as source:
        ws = discover(source, _config(), root=repo)
    assert [t.path for t in ws.targets] == ["envs/dev/a"]
    assert ws.targets[0].version_of(NULL) == "3.2.1"


# --- tfaction target groups -----------------------------------------------------------------


def test_v1_first_prefix_group_wins_and_names_the_target(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "tfaction-root.yaml": """\
                plan_workflow_name: test.yaml
                target_groups:
                  - working_directory: aws/
                    target: amazon/
                  - working_directory: aws/foo/  # never used: aws/ comes first
                    target: foo/
                  - working_directory: github/services/
                    target: github/
                """,
            "aws/foo/bar/tfaction.yaml": "{}\n",
            "aws/vpc/tfaction.yaml": "{}\n",
            "github/services/api/tfaction.yaml": "{}\n",
            "github/services-legacy/tfaction.yaml": "{}\n",
            "gcp/vm/tfaction.yaml": "{}\n",
        },
    )
    ws = _discover(root)
    assert _targets(ws) == {
        "aws/foo/bar": "amazon/foo/bar",
        "aws/vpc": "amazon/vpc",
        "gcp/vm": "gcp/vm",  # no group: the path
        "github/services-legacy": "github/services-legacy",
        "github/services/api": "github/api",
    }
    assert len(ws.notes) == 1
    assert "2 working directories match no target_groups entry" in ws.notes[0]
    assert "gcp/vm, github/services-legacy" in ws.notes[0]


def test_v1_prefix_is_a_string_prefix_like_tfaction(tmp_path: Path) -> None:
    # tfaction v1 uses wd.startsWith(group.working_directory): "env" also prefixes "envs/...".
    root = _tree(
        tmp_path,
        {
            "tfaction-root.yaml": "target_groups:\n  - {working_directory: env, target: e}\n",
            "envs/dev/tfaction.yaml": "{}\n",
        },
    )
    assert _targets(_discover(root)) == {"envs/dev": "es/dev"}


def test_v2_glob_groups_and_replace_target(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "tfaction-root.yaml": r"""
                target_groups:
                  - working_directory: github/services/**
                  - working_directory: "{aws,gcp}/*/production"
                  - working_directory: test/?ase
                replace_target:
                  patterns:
                    - regexp: /services/
                      replace: /
                    - regexp: ^(aws|gcp)/(\w+)/production$
                      replace: $1-$2/prod
                    - regexp: a
                      replace: A
                      flags: g
                """,
            "github/services/foo/tfaction.yaml": "{}\n",
            "github/services/team/bar/tfaction.yaml": "{}\n",
            "github/services/.hidden/tfaction.yaml": "{}\n",  # ** skips hidden names
            "github/services/tfaction.yaml": "{}\n",  # github/services/** needs a segment
            "aws/vpc/production/tfaction.yaml": "{}\n",
            "gcp/dns/production/tfaction.yaml": "{}\n",
            "azure/dns/production/tfaction.yaml": "{}\n",
            "test/case/tfaction.yaml": "{}\n",
        },
    )
    ws = _discover(root)
    assert _targets(ws) == {
        "aws/vpc/production": "Aws-vpc/prod",
        "azure/dns/production": "azure/dns/production",
        "gcp/dns/production": "gcp-dns/prod",
        "github/services": "github/services",
        "github/services/.hidden": "github/services/.hidden",
        "github/services/foo": "github/foo",
        "github/services/team/bar": "github/teAm/bAr",
        "test/case": "test/cAse",
    }
    assert "3 working directories match no target_groups entry" in ws.notes[0]


def test_v2_without_matching_group_keeps_path_unreplaced(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "tfaction-root.yaml": """\
                target_groups: [{working_directory: "a/**"}]
                replace: {patterns: [{regexp: x, replace: y}]}
                """,
            "a/x/tfaction.yaml": "{}\n",
            "b/x/tfaction.yaml": "{}\n",
        },
    )
    # The pre-v2 key "replace" is read when replace_target is absent.
    assert _targets(_discover(root)) == {"a/x": "a/y", "b/x": "b/x"}


def test_module_directories_are_excluded(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "tfaction-root.yaml": "target_groups: []\n",
            "envs/dev/tfaction.yaml": "{}\n",
            "envs/dev/.terraform.lock.hcl": NULL_LOCK,
            "modules/net/tfaction.yaml": "{}\n",
            "modules/net/tfaction_module.yaml": "{}\n",
            "modules/net/.terraform.lock.hcl": NULL_LOCK,
            "legacy/.terraform.lock.hcl": NULL_LOCK,
        },
    )
    ws = _discover(root)
    assert [t.path for t in ws.targets] == ["envs/dev"]
    # A lock file outside tfaction's working directories is reported, not planned.
    assert ws.notes[-1] == (
        "left out 2 directories with a .terraform.lock.hcl that tfaction does not run "
        "(no tfaction.yaml, or a tfaction module): legacy, modules/net"
    )


def test_custom_working_directory_and_module_file_names(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "tfaction-root.yaml": """\
                working_directory_file: wd.yaml
                module_file: mod.yaml
                target_groups: [{working_directory: "**"}]
                """,
            "a/wd.yaml": "{}\n",
            "b/wd.yaml": "{}\n",
            "b/mod.yaml": "{}\n",
            "c/tfaction.yaml": "{}\n",
        },
    )
    assert _targets(_discover(root)) == {"a": "a"}


def test_tfaction_root_without_working_directories_falls_back_to_lock_files(
    tmp_path: Path,
) -> None:
    root = _tree(
        tmp_path,
        {
            "tfaction-root.yaml": "plan_workflow_name: test.yaml\ntarget_groups: []\n",
            "envs/dev/.terraform.lock.hcl": NULL_LOCK,
        },
    )
    ws = _discover(root)
    assert _targets(ws) == {"envs/dev": "envs/dev"}
    assert "no directory holds tfaction.yaml" in ws.notes[0]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("target_groups: [{target: x/}]\n", "target_groups[0]: working_directory is required", 1),
        ("- a\n", "the top level must be a mapping", 1),
        (
            "target_groups: []\nreplace_target:\n  patterns:\n    - {regexp: '(', replace: x}\n",
            "replace_target.patterns[0]: invalid regular expression '('",
            4,
        ),
        (
            "replace_target:\n  patterns:\n    - {regexp: a, replace: b, flags: y}\n",
            "unsupported regular expression flag 'y'",
            3,
        ),
        ("target_groups: {a: b}\n", "target_groups: expected a list", 1),
    ],
)
def test_malformed_tfaction_root(text: str, message: str, line: int) -> None:
    with pytest.raises(InputError) as e:
        parse_tfaction_root(text, "tfaction-root.yaml")
    assert message in str(e.value)
    assert e.value.path == "tfaction-root.yaml"
    assert e.value.line == line


def test_v2_glob_that_expands_too_far_is_an_input_error() -> None:
    text = "target_groups:\n  - working_directory: '" + "{a,b}" * 9 + "'\n"
    with pytest.raises(InputError, match=r"target_groups\[0\]\.working_directory: .* expands"):
        parse_tfaction_root(text, "tfaction-root.yaml")


def test_base_working_directory_is_noted(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "tfaction-root.yaml": """\
                base_working_directory: infra
                target_groups: [{working_directory: infra/, target: i/}]
                """,
            "infra/a/tfaction.yaml": "{}\n",
        },
    )
    ws = _discover(root)
    assert _targets(ws) == {"infra/a": "i/a"}
    assert ws.notes == (
        "tfaction-root.yaml: base_working_directory is not supported; working directories "
        "are taken relative to the repository root",
    )


def test_replace_target_javascript_replacement_patterns() -> None:
    root = parse_tfaction_root(
        textwrap.dedent(
            r"""
            target_groups: [{working_directory: "**"}]
            replace_target:
              patterns:
                - {regexp: '(?<env>dev|prd)/(\w+)', replace: '$2.$<env>.$$.$&'}
            """
        ),
        "tfaction-root.yaml",
    )
    assert root.target_of("x/dev/api") == "x/api.dev.$.dev/api"
    assert root.target_of(".hidden") is None


# --- without tfaction -----------------------------------------------------------------------


def test_lock_only_repository_and_new_tfaction_directories(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "envs/dev/a/.terraform.lock.hcl": NULL_LOCK,
            "envs/dev/b/tfaction.yaml": "{}\n",  # not initialised yet: still a state directory
            "envs/dev/b/main.tf": "terraform {\n  required_providers {\n    null = {}\n  }\n}\n",
            "modules/net/main.tf": 'resource "null_resource" "x" {}\n',
            ".terraform.lock.hcl": NULL_LOCK,
        },
    )
    (root / "envs/dev/a/.terraform/providers").mkdir(parents=True)
    (root / "envs/dev/a/.terraform/providers/.terraform.lock.hcl").write_text("bad {")
    ws = _discover(root)
    assert _targets(ws) == {".": ".", "envs/dev/a": "envs/dev/a", "envs/dev/b": "envs/dev/b"}
    assert ws.notes == ()
    b = _by_path(ws)["envs/dev/b"]
    # A required_providers entry without source is hashicorp/<local name>.
    assert _pins(b) == [(str(NULL), "constraint", "envs/dev/b/main.tf", 3, None, None)]
    assert _by_path(ws)["."].usages[0].file == ".terraform.lock.hcl"


def test_terraform_files_of_the_directory_only(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "d/.terraform.lock.hcl": NULL_LOCK,
            "d/versions.tf": """\
                terraform {
                  required_version = "~> 1.9"
                  required_providers {
                    aws = {
                      source  = "HashiCorp/AWS"
                      version = ">= 5.0"
                    }
                    tf = { source = "terraform.io/builtin/terraform" }
                  }
                }
                """,
            "d/providers.tf.json": (
                '{"terraform": {"required_providers": '
                '{"github": {"source": "integrations/github", "version": "~> 6.0"}}}}'
            ),
            "d/.hidden.tf": "this is not read {",
            "d/main.tf~": "this is not read {",
            "d/sub/x.tf": "this is not read either {",
        },
    )
    (root / "d/sub/.git").mkdir()  # a nested repository marker, irrelevant
    target = _by_path(_discover(root))["d"]
    assert _pins(target) == [
        (str(NULL), "lock", "d/.terraform.lock.hcl", 4, "3.2.1", None),
        (str(GITHUB), "constraint", "d/providers.tf.json", None, None, "~> 6.0"),
        ("terraform", "constraint", "d/versions.tf", 2, None, "~> 1.9"),
        ("registry.terraform.io/hashicorp/aws", "constraint", "d/versions.tf", 4, None, ">= 5.0"),
    ]


def test_terraform_version_file_is_kept_as_written(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "a/.terraform.lock.hcl": NULL_LOCK,
            "a/.terraform-version": "# pinned for the migration\n\nv1.9.5\n",
            "b/tfaction.yaml": "{}\n",
            "b/.terraform-version": "1.10.0\n",
        },
    )
    ws = _discover(root)
    a = _by_path(ws)["a"]
    assert _pins(a)[0] == (
        "terraform",
        "terraform-version",
        "a/.terraform-version",
        3,
        "v1.9.5",
        None,
    )
    assert a.version_of(TERRAFORM) == "v1.9.5"
    assert _by_path(ws)["b"].version_of(TERRAFORM) == "1.10.0"


# --- aqua -----------------------------------------------------------------------------------

AQUA_ROOT = """\
    registries:
      - type: standard
        ref: v4.300.0 # renovate: depName=aquaproj/aqua-registry
    packages:
      - import: imports/*.yaml
    """


def test_aqua_per_directory_layout_with_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "tfaction-root.yaml": "target_groups: [{working_directory: 'github/services/**'}]\n",
            "github/services/foo/tfaction.yaml": "{}\n",
            "github/services/foo/aqua/aqua.yaml": AQUA_ROOT,
            "github/services/foo/aqua/imports/terraform.yaml": (
                "packages:\n  - name: hashicorp/terraform@v1.15.8\n"
            ),
            "github/services/foo/aqua/imports/tools.yaml": """\
                packages:
                  - name: suzuki-shunsuke/tfcmt
                    version: v4.14.0
                  - name: golang/go
                    version_expr: readFile "go.mod"
                  - import: ../../../../../shared/aqua/*.yaml
                """,
            "shared/aqua/lint.yaml": "packages:\n  - name: rhysd/actionlint@v1.7.7\n",
            # The repository-wide aqua config is not a per-directory config.
            "aqua/aqua.yaml": "registries: [{type: standard, ref: v4.1.0}]\npackages: []\n",
            "github/services/bar/tfaction.yaml": "{}\n",
            "github/services/bar/aqua.yaml": """\
                registries: [{type: standard, ref: v4.300.0}]
                import_dir: imports
                packages:
                  - name: cli/cli@v2.60.0
                """,
            "github/services/bar/imports/a.yml": "packages: [{name: hashicorp/terraform@v1.14}]\n",
            "github/services/bar/imports/b.yaml": "packages: [{name: cli/cli@v2.60.0}]\n",
        },
    )
    ws = _discover(root)
    foo = _by_path(ws)["github/services/foo"]
    assert _pins(foo) == [
        (
            "terraform",
            "aqua",
            "github/services/foo/aqua/imports/terraform.yaml",
            2,
            "v1.15.8",
            None,
        ),
        (
            "aqua:suzuki-shunsuke/tfcmt",
            "aqua",
            "github/services/foo/aqua/imports/tools.yaml",
            2,
            "v4.14.0",
            None,
        ),
        (
            "aqua:golang/go",
            "aqua",
            "github/services/foo/aqua/imports/tools.yaml",
            4,
            None,
            'version_expr:readFile "go.mod"',
        ),
        ("aqua:rhysd/actionlint", "aqua", "shared/aqua/lint.yaml", 2, "v1.7.7", None),
    ]
    assert foo.version_of(TERRAFORM) == "v1.15.8"
    bar = _by_path(ws)["github/services/bar"]
    assert _pins(bar) == [
        ("aqua:cli/cli", "aqua", "github/services/bar/aqua.yaml", 4, "v2.60.0", None),
        ("terraform", "aqua", "github/services/bar/imports/a.yml", 1, "v1.14", None),
        ("aqua:cli/cli", "aqua", "github/services/bar/imports/b.yaml", 1, "v2.60.0", None),
    ]


def test_aqua_imports_read_once_per_directory_and_unimported_tfaction_layout(
    tmp_path: Path,
) -> None:
    root = _tree(
        tmp_path,
        {
            "d/.terraform.lock.hcl": NULL_LOCK,
            "d/aqua/aqua.yaml": """\
                packages:
                  - import: imports/t*.yaml
                  - import: imports/terraform.yaml
                """,
            "d/aqua/imports/terraform.yaml": "packages: [{name: hashicorp/terraform@v1.9.0}]\n",
            # tfaction-example keeps per-directory imports under aqua/imports/; one the config
            # does not import is still read, a registry file there is not an aqua config.
            "d/aqua/imports/tflint.yaml": "packages: [{name: terraform-linters/tflint@v0.53.0}]\n",
            "d/aqua/imports/zz-reg.yaml": "packages: [{type: github_release, repo_owner: a}]\n",
            "d/aqua/imports/notes.txt": "not yaml",
        },
    )
    d = _by_path(_discover(root))["d"]
    assert [(str(u.dependency), u.file) for u in d.usages if u.pin == "aqua"] == [
        ("terraform", "d/aqua/imports/terraform.yaml"),
        ("aqua:terraform-linters/tflint", "d/aqua/imports/tflint.yaml"),
    ]


def test_aqua_import_globs_follow_go_filepath_match(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "d/.terraform.lock.hcl": NULL_LOCK,
            "d/aqua.yaml": """\
                packages:
                  - import: tools/[ab]?.yaml
                  - import: /more/*/pkg.yaml
                """,
            "d/tools/a1.yaml": "packages: [{name: o/a1@v1}]\n",
            "d/tools/b2.yaml": "packages: [{name: o/b2@v1}]\n",
            "d/tools/c3.yaml": "packages: [{name: o/c3@v1}]\n",
            "d/tools/a10.yaml": "packages: [{name: o/a10@v1}]\n",
            "d/more/x/pkg.yaml": "packages: [{name: o/x@v1}]\n",
            "d/more/x/y/pkg.yaml": "packages: [{name: o/y@v1}]\n",
        },
    )
    d = _by_path(_discover(root))["d"]
    assert sorted(u.dependency.name for u in d.usages if u.pin == "aqua") == [
        "o/a1",
        "o/b2",
        "o/x",
    ]


@pytest.mark.parametrize(
    ("files", "path", "message", "line"),
    [
        (
            {"d/aqua.yaml": "packages:\n  - import: ../../x/*.yaml\n"},
            "d/aqua.yaml",
            "import '../../x/*.yaml' points outside the repository",
            2,
        ),
        (
            {"d/aqua.yaml": "packages:\n  - import: '[x'\n"},
            "d/aqua.yaml",
            "bad glob pattern",
            2,
        ),
        (
            {
                "d/aqua.yaml": "packages:\n  - import: a.yaml\n",
                "d/a.yaml": "packages:\n  - import: aqua.yaml\n",
            },
            "d/a.yaml",
            "import cycle: d/aqua.yaml -> d/a.yaml -> d/aqua.yaml",
            None,
        ),
        (
            {"d/aqua.yaml": "packages:\n  - name: cli/cli\n"},
            "d/aqua.yaml",
            "package 'cli/cli' has no version",
            2,
        ),
        ({"d/aqua.yaml": "packages: [\n"}, "d/aqua.yaml", "invalid YAML", 2),
    ],
)
def test_malformed_aqua_configs_fail_closed(
    tmp_path: Path, files: dict[str, str], path: str, message: str, line: int | None
) -> None:
    root = _tree(tmp_path, {"d/.terraform.lock.hcl": NULL_LOCK, **files})
    with pytest.raises(InputError) as e:
        _discover(root)
    assert e.value.path == path
    assert message in e.value.message
    assert e.value.line == line


# --- malformed Terraform files --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "message", "line"),
    [
        (
            ".terraform.lock.hcl",
            NULL_LOCK.replace('version = "3.2.1"', 'version = "banana"'),
            "Invalid provider version number",
            5,
        ),
        (".terraform.lock.hcl", 'provider "x" {\n  version =\n', "", 2),
        ("main.tf", 'terraform {\n  required_version = "=> 1.0"\n}\n', "constraint", 2),
        ("main.tf", "terraform {\n", "", 1),
        (".terraform-version", "1.9.0 1.10.0\n", "expected one Terraform version", 1),
        (".terraform.lock.hcl", "\xff", "", 1),
    ],
)
def test_malformed_terraform_files_raise_input_error_with_line(
    tmp_path: Path, name: str, text: str, message: str, line: int
) -> None:
    root = _tree(tmp_path, {"d/tfaction.yaml": "{}\n"})
    (root / "d" / name).write_bytes(text.encode("latin-1") if text == "\xff" else text.encode())
    with pytest.raises(InputError) as e:
        _discover(root)
    assert e.value.path == f"d/{name}"
    assert message in e.value.message
    assert e.value.line == line
    assert e.value.exit_code == EXIT_USAGE


# --- stages ---------------------------------------------------------------------------------

STAGES = """\
    rollout:
      stages:
        - {name: dev, match: ["envs/dev/**"]}
        - {name: prod, match: ["envs/prod/**", "envs/dr/**"]}
    """


def test_first_matching_stage_wins(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "envs/dev/.terraform.lock.hcl": NULL_LOCK,  # envs/dev/** also matches envs/dev
            "envs/dev/a/.terraform.lock.hcl": NULL_LOCK,
            "envs/dr/a/.terraform.lock.hcl": NULL_LOCK,
        },
    )
    config = _config(
        """\
        rollout:
          stages:
            - {name: dev, match: ["envs/dev/**"]}
            - {name: all, match: ["**"]}
        """
    )
    ws = _discover(root, config)
    assert [(t.path, t.stage) for t in ws.targets] == [
        ("envs/dev", "dev"),
        ("envs/dev/a", "dev"),
        ("envs/dr/a", "all"),
    ]


def test_unmatched_directory_is_a_config_error_naming_it_and_the_stages(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "envs/dev/a/.terraform.lock.hcl": NULL_LOCK,
            "envs/sandbox/a/.terraform.lock.hcl": NULL_LOCK,
            "envs/sandbox/b/.terraform.lock.hcl": NULL_LOCK,
        },
    )
    with pytest.raises(ConfigError) as e:
        _discover(root, _config(STAGES))
    text = e.value.diagnostics()
    assert text.startswith(
        "depguard.yaml: 2 state directories envs/sandbox/a, envs/sandbox/b match no rollout "
        "stage (dev: envs/dev/**; prod: envs/prod/**, envs/dr/**)"
    )
    assert "rollout.unmatched: last" in text
    assert e.value.exit_code == EXIT_USAGE


def test_unmatched_last_puts_directories_in_the_last_stage(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "envs/dev/a/.terraform.lock.hcl": NULL_LOCK,
            "envs/sandbox/a/.terraform.lock.hcl": NULL_LOCK,
        },
    )
    ws = _discover(root, _config(STAGES + "  unmatched: last\n"))
    assert [(t.path, t.stage) for t in ws.targets] == [
        ("envs/dev/a", "dev"),
        ("envs/sandbox/a", "prod"),
    ]


@pytest.mark.parametrize(
    ("config", "where"),
    [
        (Config(), "the built-in default policy"),
        (
            parse_config("platforms: [linux_amd64]\n", "policy/depguard.yaml"),
            "policy/depguard.yaml",
        ),
    ],
)
def test_no_stages_is_a_clear_config_error(tmp_path: Path, config: Config, where: str) -> None:
    root = _tree(tmp_path, {"envs/dev/.terraform.lock.hcl": NULL_LOCK})
    with pytest.raises(ConfigError, match=r"rollout\.stages is empty in ") as e:
        _discover(root, config)
    assert e.value.message == f"rollout.stages is empty in {where}: nothing to plan"


# --- resolve_dependency ---------------------------------------------------------------------


def _workspace(*deps: Dependency) -> Workspace:
    usages = tuple(Usage(dependency=d, pin="lock", file="x", version="1.0.0") for d in deps)
    target = Target(path="envs/dev", stage="dev", target="envs/dev", usages=usages)
    return Workspace(root=Path(), targets=(target,), stages=())


AWS = Dependency("provider", "registry.terraform.io/hashicorp/aws")
WS = _workspace(
    AWS,
    Dependency("provider", "registry.terraform.io/cloudflare/cloudflare"),
    Dependency("provider", "registry.opentofu.org/cloudflare/cloudflare"),
    Dependency("provider", "registry.terraform.io/suzuki-shunsuke/tfcmt"),
    Dependency("aqua", "suzuki-shunsuke/tfcmt"),
    Dependency("aqua", "cli/cli"),
    Dependency("aqua", "gitlab.com/gitlab-org/cli"),
    Dependency("aqua", "kubernetes-sigs/kustomize/kustomize"),
    TERRAFORM,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("terraform", TERRAFORM),
        (" Terraform ", TERRAFORM),
        ("hashicorp/terraform", TERRAFORM),
        ("aqua:hashicorp/terraform", TERRAFORM),
        ("aqua:cli/cli", Dependency("aqua", "cli/cli")),
        ("aqua:not/used", Dependency("aqua", "not/used")),  # explicit: no lookup
        ("provider:HashiCorp/AWS", AWS),
        ("provider:aws", AWS),
        ("registry.terraform.io/hashicorp/aws", AWS),
        ("Registry.Terraform.IO/hashicorp/aws", AWS),
        ("example.com/acme/thing", Dependency("provider", "example.com/acme/thing")),
        ("hashicorp/aws", AWS),
        ("HashiCorp/AWS", AWS),
        ("cli/cli", Dependency("aqua", "cli/cli")),
        ("Cli/CLI", Dependency("aqua", "cli/cli")),
        ("gitlab.com/gitlab-org/cli", Dependency("aqua", "gitlab.com/gitlab-org/cli")),
        (
            "kubernetes-sigs/kustomize/kustomize",
            Dependency("aqua", "kubernetes-sigs/kustomize/kustomize"),
        ),
    ],
)
def test_resolve_dependency(text: str, expected: Dependency) -> None:
    assert resolve_dependency(text, WS) == expected


def test_resolve_ambiguous_provider_and_aqua_package() -> None:
    with pytest.raises(ConfigError) as e:
        resolve_dependency("suzuki-shunsuke/tfcmt", WS)
    assert e.value.message == (
        "suzuki-shunsuke/tfcmt is ambiguous: it names aqua:suzuki-shunsuke/tfcmt, "
        "provider:registry.terraform.io/suzuki-shunsuke/tfcmt"
    )
    assert e.value.hint is not None
    assert "provider: or aqua:" in e.value.hint
    assert e.value.exit_code == EXIT_USAGE
    assert resolve_dependency("aqua:suzuki-shunsuke/tfcmt", WS) == Dependency(
        "aqua", "suzuki-shunsuke/tfcmt"
    )


def test_resolve_ambiguous_between_registries() -> None:
    with pytest.raises(ConfigError, match="cloudflare/cloudflare is ambiguous") as e:
        resolve_dependency("cloudflare/cloudflare", WS)
    assert "provider:registry.opentofu.org/cloudflare/cloudflare" in e.value.message
    assert "provider:registry.terraform.io/cloudflare/cloudflare" in e.value.message


def test_resolve_unknown_lists_dependencies_in_use() -> None:
    with pytest.raises(ConfigError) as e:
        resolve_dependency("hashicorp/google", WS)
    assert e.value.message.startswith(
        "hashicorp/google: no state directory uses a provider or aqua package of that name "
        "(dependencies in use: aqua:cli/cli, aqua:gitlab.com/gitlab-org/cli, "
    )
    assert e.value.hint is None
    with pytest.raises(ConfigError) as e:
        resolve_dependency("aws", WS)
    assert e.value.hint == "did you mean registry.terraform.io/hashicorp/aws?"
    with pytest.raises(ConfigError, match="no state directory pins any dependency"):
        resolve_dependency("cli/cli", _workspace())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the dependency is empty"),
        ("  ", "the dependency is empty"),
        ("hashicorp/aws@5.0.0", "give the version with --to"),
        ("aqua:cli/cli@v2.0.0", "give the version with --to"),
        ("aqua:", "give a name after aqua:"),
        ("aqua:cli", "an aqua package is OWNER/REPO[/PATH]"),
        ("provider:a/b/c/d", "not a provider address: Invalid provider source string"),
        ("provider:hashicorp/terraform-provider-aws", "Did you mean"),
        ("bad..host/ns/type", "not a provider address"),
    ],
)
def test_resolve_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        resolve_dependency(text, WS)
    assert message in e.value.message


# --- the corpus: tfaction-example -----------------------------------------------------------


def _overlay(dest: Path, trees: Iterable[Path]) -> Path:
    for tree in trees:
        shutil.copytree(tree, dest, dirs_exist_ok=True)
    return dest


def test_corpus_tfaction_example_root_config(corpus: Path) -> None:
    text = (
        corpus / "renovate" / "configs" / "suzuki-shunsuke_tfaction-example.tfaction-root.yaml"
    ).read_text()
    root = parse_tfaction_root(text, "tfaction-root.yaml")
    assert not root.v1
    assert root.working_directory_file == "tfaction.yaml"
    assert [g.working_directory for g in root.target_groups] == ["github/services/**", "test/**"]
    assert root.target_of("github/services/foo") == "github/foo"
    assert root.target_of("test/only_plan") == "test/only_plan"
    assert root.target_of("templates/github") is None


def test_corpus_tfaction_example_pr_trees(corpus: Path, tmp_path: Path) -> None:
    commits = corpus / "renovate" / "commits"
    # PR 4625 (lock file maintenance: locks and .tf of both services) overlaid with PR 4752
    # (the Terraform CLI pinned per directory by aqua): the files a plan reads, at head.
    repo = _overlay(
        tmp_path / "repo",
        [
            commits / "09-tfaction-example-pr4625" / "head",
            commits / "10-tfaction-example-pr4752" / "head",
        ],
    )
    config = _config(
        """\
        rollout:
          stages:
            - {name: canary, match: ["github/services/bar"]}
            - {name: rest, match: ["github/**"]}
        """
    )
    ws = discover(FsSource(repo), config, root=repo)
    assert [(t.path, t.target, t.stage) for t in ws.targets] == [
        ("github/services/bar", "github/bar", "canary"),
        ("github/services/foo", "github/foo", "rest"),
    ]
    assert ws.notes == ()
    for t in ws.targets:
        assert t.version_of(TERRAFORM) == "v1.15.8"
        assert t.version_of(GITHUB) is not None
        assert {u.pin for u in t.usages if u.dependency == GITHUB} == {"lock", "constraint"}
        assert any(
            u.file == f"{t.path}/aqua/imports/terraform.yaml" and u.line == 2 for u in t.usages
        )
    assert resolve_dependency("integrations/github", ws) == GITHUB
    assert resolve_dependency("hashicorp/terraform", ws) == TERRAFORM
    # The same trees read from git objects give the same workspace.
    head = _git_commit(repo)
    with GitSource(repo, head) as source:
        assert discover(source, config, root=repo).targets == ws.targets


@pytest.mark.parametrize(
    "pr",
    [
        "01-tfaction-example-pr928",
        "02-tfaction-example-pr929",
        "07-tfaction-example-pr4265",
        "08-tfaction-example-pr4743",
    ],
)
def test_corpus_pr_heads_with_working_directories(corpus: Path, pr: str) -> None:
    head = corpus / "renovate" / "commits" / pr / "head"
    ws = discover(FsSource(head), _config(), root=head)
    assert ws.targets
    for t in ws.targets:
        assert t.path.startswith("github/services/")
        assert t.target == t.path.replace("/services/", "/")
        assert t.version_of(GITHUB) is not None


# --- scale ----------------------------------------------------------------------------------


class _MemorySource:
    """An in-memory FileSource that counts reads."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.reads: dict[str, int] = {}

    def list_files(self) -> Iterable[str]:
        return iter(self.files)

    def read(self, path: str) -> bytes | None:
        self.reads[path] = self.reads.get(path, 0) + 1
        return self.files.get(path)


def test_a_thousand_directories_each_file_read_once() -> None:
    files: dict[str, bytes] = {
        "tfaction-root.yaml": b"target_groups: [{working_directory: 'envs/**'}]\n",
        "shared/aqua/terraform.yaml": b"packages: [{name: hashicorp/terraform@v1.9.0}]\n",
    }
    tf = b'terraform {\n  required_providers {\n    null = { source = "hashicorp/null" }\n  }\n}\n'
    for i in range(1000):
        d = f"envs/{'dev' if i < 100 else 'prod'}/d{i:04}"
        files[f"{d}/tfaction.yaml"] = b"{}\n"
        files[f"{d}/main.tf"] = tf
        # Distinct versions: no two lock files share their content.
        lock = _lock(("registry.terraform.io/hashicorp/null", f"3.{i}.0"))
        files[f"{d}/.terraform.lock.hcl"] = lock.encode()
        files[f"{d}/aqua/aqua.yaml"] = (
            f"packages:\n  - import: ../../../../shared/aqua/*.yaml\n  - name: cli/cli@v2.{i}.0\n"
        ).encode()
    source = _MemorySource(files)
    config = _config(
        """\
        rollout:
          stages:
            - {name: dev, match: ["envs/dev/**"]}
            - {name: prod, match: ["envs/prod/**"]}
        """
    )
    start = time.perf_counter()
    ws = discover(source, config, root=Path("/repo"))
    elapsed = time.perf_counter() - start
    assert len(ws.targets) == 1000
    assert len(ws.in_stage("dev")) == 100
    assert ws.targets[-1].version_of(NULL) == "3.999.0"
    assert ws.targets[-1].version_of(TERRAFORM) == "v1.9.0"
    assert set(source.reads.values()) == {1}  # the shared import too
    assert "envs/dev/d0000/tfaction.yaml" not in source.reads  # only listed, never read
    # About 0.3 s on a laptop; the bound only catches accidental quadratic work.
    assert elapsed < 5.0
