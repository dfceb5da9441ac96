"""depguard.prcheck.changes: dependency changes between two versions of a file.

The corpus part replays the 13 real Renovate PRs of ``corpus/renovate/commits``: for each
changed path, the base and head contents come straight from the ``base/`` and ``head/``
trees (no git), and the expected changes below were written by reading each PR's
``.patch``. Lock hashes and aqua checksums are also cross-checked against the ``-``/``+``
lines of the patch, an independent reading of the same PR.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from depguard.errors import InputError
from depguard.prcheck.changes import DependencyChange, classify, file_changes

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "renovate" / "commits"
if not CORPUS.is_dir():  # the repository may live elsewhere than /work/main
    CORPUS = Path("/work/shared/corpus/renovate/commits")

HAS_WORKFLOWS = importlib.util.find_spec("depguard.formats.workflows") is not None
needs_workflows = pytest.mark.skipif(
    not HAS_WORKFLOWS,
    reason="TODO: depguard.formats.workflows (parse_workflow) is not there yet; "
    "workflow `uses:` extraction is tested once it lands",
)
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


# --- the corpus -------------------------------------------------------------------------


def _entry(prefix: str) -> Path:
    (found,) = [p for p in CORPUS.iterdir() if p.is_dir() and p.name.startswith(prefix + "-")]
    return found


def _read(side: Path, path: str) -> bytes | None:
    f = side / path
    return f.read_bytes() if f.is_file() else None


def _pr_changes(prefix: str) -> list[DependencyChange]:
    d = _entry(prefix)
    meta = json.loads((d / "meta.json").read_text())
    result: list[DependencyChange] = []
    for changed in meta["changed"]:
        path = changed["path"]
        result.extend(file_changes(path, _read(d / "base", path), _read(d / "head", path)))
    return result


Row = tuple[str, str, str, str, str | None, str | None, int | None]


def _rows(changes: list[DependencyChange]) -> list[Row]:
    return [
        (c.file, c.kind, c.action, c.name, c.old_version, c.new_version, c.line) for c in changes
    ]


def _patch_pluses_minuses(prefix: str) -> dict[str, tuple[list[str], list[str]]]:
    """Per file of the PR's patch: (removed lines, added lines), without the +/- sign."""
    (patch,) = CORPUS.glob(f"{prefix}-*.patch")
    result: dict[str, tuple[list[str], list[str]]] = {}
    current: str | None = None
    for line in patch.read_text().splitlines():
        m = re.match(r"diff --git a/(\S+) b/", line)
        if m:
            current = m.group(1)
            result.setdefault(current, ([], []))
            continue
        if current is None or line.startswith(("---", "+++")):
            continue
        if line.startswith("-"):
            result[current][0].append(line[1:])
        elif line.startswith("+"):
            result[current][1].append(line[1:])
    return result


def _patch_lock_hashes(prefix: str, path: str) -> tuple[set[str], set[str]]:
    minus, plus = _patch_pluses_minuses(prefix)[path]
    quoted = re.compile(r'^ +"([a-z0-9]+:[^"]+)",$')
    removed = {m.group(1) for x in minus if (m := quoted.match(x))}
    added = {m.group(1) for x in plus if (m := quoted.match(x))}
    return removed - added, added - removed


def _patch_checksums(prefix: str, path: str) -> tuple[dict[str, str], dict[str, str]]:
    """(removed id → checksum, added id → checksum) from a checksum file's patch lines."""

    def pairs(lines: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        current: str | None = None
        for x in lines:
            m = re.match(r'^ +"(id|checksum)": "([^"]+)",?$', x)
            if m and m.group(1) == "id":
                current = m.group(2)
            elif m and current is not None:
                found[current] = m.group(2)
                current = None
        return found

    minus, plus = _patch_pluses_minuses(prefix)[path]
    return pairs(minus), pairs(plus)


def _assert_hashes_match_patch(prefix: str, changes: list[DependencyChange]) -> None:
    hash_changes = [c for c in changes if c.kind == "provider-hashes"]
    assert hash_changes
    for c in hash_changes:
        removed, added = _patch_lock_hashes(prefix, c.file)
        assert set(c.removed) == removed
        assert set(c.added) == added
        assert list(c.added) == sorted(c.added) and list(c.removed) == sorted(c.removed)


def _assert_checksums_match_patch(prefix: str, changes: list[DependencyChange]) -> None:
    by_file: dict[str, list[DependencyChange]] = {}
    for c in changes:
        if c.kind == "aqua-checksum":
            by_file.setdefault(c.file, []).append(c)
    assert by_file
    for file, items in by_file.items():
        removed, added = _patch_checksums(prefix, file)
        assert {c.name: c.removed for c in items if c.removed} == {
            i: (f"sha256:{v}",) if len(v) == 64 else (f"sha512:{v}",) for i, v in removed.items()
        }
        assert {c.name: c.added for c in items if c.added} == {
            i: (f"sha256:{v}",) if len(v) == 64 else (f"sha512:{v}",) for i, v in added.items()
        }


def _assert_lines_point_at_new_file(prefix: str, changes: list[DependencyChange]) -> None:
    """Each change's line holds (or starts the block holding) what changed in head."""
    head = _entry(prefix) / "head"
    for c in changes:
        if c.line is None:
            assert c.action == "removed"
            continue
        lines = (head / c.file).read_text().splitlines()
        window = "\n".join(lines[c.line - 1 : c.line + 3])
        if c.kind == "aqua-checksum":
            assert c.name in window
        elif c.new_version is not None:
            assert c.new_version in window, (c, window)


LOCK_01 = "github/services/bar/.terraform.lock.hcl"
GH = "registry.terraform.io/integrations/github"


@needs_corpus
def test_pr01_provider_major_with_lock() -> None:
    changes = _pr_changes("01")
    assert _rows(changes) == [
        (LOCK_01, "provider", "updated", GH, "4.19.1", "5.0.0", 4),
        (LOCK_01, "provider-hashes", "updated", GH, "4.19.1", "5.0.0", 4),
        ("github/services/bar/terraform.tf", "provider", "updated", GH, "~> 4.0", "~> 5.0", 4),
    ]
    tf = changes[2]
    assert (tf.old_source, tf.new_source) == (GH, GH)
    hashes = changes[1]
    # Renovate wrote only h1: hashes for 5.0.0 (14 of them), dropping 3 h1 + 13 zh.
    assert len(hashes.added) == 14 and all(h.startswith("h1:") for h in hashes.added)
    assert len(hashes.removed) == 16
    assert sum(h.startswith("zh:") for h in hashes.removed) == 13
    _assert_hashes_match_patch("01", changes)
    _assert_lines_point_at_new_file("01", changes)


@needs_corpus
def test_pr02_provider_major_with_lock() -> None:
    lock = "github/services/foo/.terraform.lock.hcl"
    changes = _pr_changes("02")
    # The github block is second in this lock file (hashicorp/null comes first, unchanged).
    assert _rows(changes) == [
        (lock, "provider", "updated", GH, "4.16.0", "5.0.0", 24),
        (lock, "provider-hashes", "updated", GH, "4.16.0", "5.0.0", 24),
        ("github/services/foo/terraform.tf", "provider", "updated", GH, "~> 4.0", "~> 5.0", 4),
    ]
    assert (len(changes[1].added), len(changes[1].removed)) == (14, 16)
    _assert_hashes_match_patch("02", changes)
    _assert_lines_point_at_new_file("02", changes)


@needs_corpus
def test_pr03_required_providers_without_lock() -> None:
    changes = _pr_changes("03")
    assert _rows(changes) == [
        ("templates/github/terraform.tf", "provider", "updated", GH, "~> 4.0", "~> 5.0", 12),
    ]
    _assert_lines_point_at_new_file("03", changes)


@needs_corpus
def test_pr04_aqua_registry_ref() -> None:
    changes = _pr_changes("04")
    assert _rows(changes) == [
        ("github/services/bar/aqua.yaml", "aqua-registry", "updated", "standard", "v3.21.0",
         "v3.22.0", 2),
    ]  # fmt: skip
    std = "github_content:aquaproj/aqua-registry/registry.yaml"
    assert (changes[0].old_source, changes[0].new_source) == (std, std)
    _assert_lines_point_at_new_file("04", changes)


@needs_corpus
def test_pr05_aqua_registry_major_and_bot_checksum_commit() -> None:
    changes = _pr_changes("05")
    reg = "registries/github_content/github.com/aquaproj/aqua-registry/{}/registry.yaml"
    assert _rows(changes) == [
        ("aqua-checksums.json", "aqua-checksum", "added", reg.format("v4.0.0"), None, None, 318),
        ("aqua-checksums.json", "aqua-checksum", "removed", reg.format("v3.159.0"), None, None,
         None),
        ("aqua.yaml", "aqua-registry", "updated", "standard", "v3.159.0", "v4.0.0", 2),
    ]  # fmt: skip
    assert changes[0].added == (
        "sha512:B5D195956180117C75B4B416A8509F9DC3A619B3D4F4CD350445ABF209B44F3BD198A06E9C2A772B"
        "265D76735FF1E11D28426BCE9405D2043FC0950380D4419B",
    )
    _assert_checksums_match_patch("05", changes)
    _assert_lines_point_at_new_file("05", changes)


PR06_AQUA_LINES = {
    ".github/workflows/actionlint.yaml": [19],
    ".github/workflows/apply.yaml": [25, 54, 103],
    ".github/workflows/release-module.yaml": [24],
    ".github/workflows/scaffold-module.yaml": [19],
    ".github/workflows/scaffold-tfmigrate.yaml": [35],
    ".github/workflows/scaffold-working-directory.yaml": [23],
    ".github/workflows/wc-conftest-verify.yaml": [29],
    ".github/workflows/wc-hide-comment.yaml": [29],
    ".github/workflows/wc-opa-fmt.yaml": [29],
    ".github/workflows/wc-test.yaml": [44, 74, 108, 159],
    ".github/workflows/wc-update-aqua-checksums.yaml": [19],
}


@needs_corpus
@needs_workflows
def test_pr06_aqua_version_in_workflows() -> None:
    changes = _pr_changes("06")
    # 16 `aqua_version:` inputs of aquaproj/aqua-installer; the `uses:` refs are unchanged.
    assert _rows(changes) == [
        (file, "aqua-version", "updated", "aquaproj/aqua", "v2.3.6", "v2.5.2", line)
        for file, lines in PR06_AQUA_LINES.items()
        for line in lines
    ]
    _assert_lines_point_at_new_file("06", changes)


PR_LOCK_BUMPS = {
    # PR: ({lock file: (old, new)}, hashes added/removed per file)
    "07": ({"github/services/bar/.terraform.lock.hcl": ("6.5.0", "6.6.0")}, 28),
    "08": (
        {
            "github/services/bar/.terraform.lock.hcl": ("6.12.1", "6.13.0"),
            "github/services/foo/.terraform.lock.hcl": ("6.12.1", "6.13.0"),
        },
        26,
    ),
    # Lock file maintenance: no .tf change, the lock moves within the constraint.
    "09": (
        {
            "github/services/bar/.terraform.lock.hcl": ("6.7.0", "6.7.5"),
            "github/services/foo/.terraform.lock.hcl": ("6.7.0", "6.7.5"),
        },
        28,
    ),
}


@needs_corpus
@pytest.mark.parametrize("prefix", sorted(PR_LOCK_BUMPS))
def test_lock_only_prs(prefix: str) -> None:
    files, count = PR_LOCK_BUMPS[prefix]
    changes = _pr_changes(prefix)
    assert _rows(changes) == [
        row
        for file, (old, new) in files.items()
        for row in (
            (file, "provider", "updated", GH, old, new, 4),
            (file, "provider-hashes", "updated", GH, old, new, 4),
        )
    ]
    for c in changes[1::2]:
        assert (len(c.added), len(c.removed)) == (count, count)
        assert {h.split(":", 1)[0] for h in c.added} == {"h1", "zh"}
    _assert_hashes_match_patch(prefix, changes)
    _assert_lines_point_at_new_file(prefix, changes)


TF_PLATFORMS = ("darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64", "windows_amd64")


@needs_corpus
def test_pr10_terraform_cli_via_aqua_in_three_dirs() -> None:
    changes = _pr_changes("10")
    tf = "http/releases.hashicorp.com/terraform/{v}/terraform_{v}_{p}.zip"
    expected: list[Row] = []
    for svc in ("bar", "foo"):
        checksums = f"github/services/{svc}/aqua/aqua-checksums.json"
        expected += [
            (checksums, "aqua-checksum", "added", tf.format(v="1.15.8", p=p), None, None, line)
            for p, line in zip(TF_PLATFORMS, (3, 8, 13, 18, 23), strict=True)
        ]
        expected += [
            (checksums, "aqua-checksum", "removed", tf.format(v="1.15.4", p=p), None, None, None)
            for p in TF_PLATFORMS
        ]
        expected.append(
            (f"github/services/{svc}/aqua/imports/terraform.yaml", "aqua-package", "updated",
             "hashicorp/terraform", "v1.15.4", "v1.15.8", 2)
        )  # fmt: skip
    # templates/github has no checksum file and was behind (1.13.5).
    expected.append(
        ("templates/github/aqua/imports/terraform.yaml", "aqua-package", "updated",
         "hashicorp/terraform", "v1.13.5", "v1.15.8", 2)
    )  # fmt: skip
    assert _rows(changes) == expected
    pkg = [c for c in changes if c.kind == "aqua-package"]
    assert {(c.old_source, c.new_source) for c in pkg} == {("standard", "standard")}
    _assert_checksums_match_patch("10", changes)
    _assert_lines_point_at_new_file("10", changes)


PR11_FILES = {
    "apply.yaml": [18, 53],
    "generate_config_out.yaml": [32],
    "release_module.yaml": [25],
    "scaffold_tfmigrate.yaml": [27],
    "scaffold_working_directory.yaml": [20],
    "schedule_create_drift_issues.yaml": [18],
    "schedule_detect_drifts.yaml": [21, 53],
    "workflow_call_conftest_verify.yaml": [12],
    "workflow_call_list.yaml": [32],
    "workflow_call_opa_fmt.yaml": [16],
    "workflow_call_plan.yaml": [31],
}


@needs_corpus
@needs_workflows
def test_pr11_actions_checkout_pinned_major() -> None:
    changes = _pr_changes("11")
    old, new = (
        "df4cb1c069e1874edd31b4311f1884172cec0e10",
        "9c091bb21b7c1c1d1991bb908d89e4e9dddfe3e0",
    )
    assert _rows(changes) == [
        (f".github/workflows/{f}", "action", "updated", "actions/checkout", old, new, line)
        for f, lines in PR11_FILES.items()
        for line in lines
    ]
    assert {(c.old_comment, c.new_comment) for c in changes} == {("v6.0.3", "v7.0.0")}
    _assert_lines_point_at_new_file("11", changes)


@needs_corpus
def test_pr12_tfcmt_with_autofix_checksums() -> None:
    changes = _pr_changes("12")
    checksums = "install/aqua/aqua-checksums.json"
    asset = "github_release/github.com/suzuki-shunsuke/tfcmt/{v}/tfcmt_{p}.tar.gz"
    platforms = (*TF_PLATFORMS, "windows_arm64")
    assert _rows(changes) == [
        *[
            (checksums, "aqua-checksum", "added", asset.format(v="v4.14.18", p=p), None, None, line)
            for p, line in zip(platforms, (143, 148, 153, 158, 163, 168), strict=True)
        ],
        *[
            (checksums, "aqua-checksum", "removed", asset.format(v="v4.14.17", p=p), None, None,
             None)
            for p in platforms
        ],
        ("install/aqua/imports/tfcmt.yaml", "aqua-package", "updated", "suzuki-shunsuke/tfcmt",
         "v4.14.17", "v4.14.18", 2),
    ]  # fmt: skip
    _assert_checksums_match_patch("12", changes)
    _assert_lines_point_at_new_file("12", changes)


@needs_corpus
def test_pr13_registry_with_autofix_checksum() -> None:
    changes = _pr_changes("13")
    reg = "registries/github_content/github.com/aquaproj/aqua-registry/{}/registry.yaml"
    assert _rows(changes) == [
        ("aqua/aqua-checksums.json", "aqua-checksum", "added", reg.format("v4.554.0"), None, None,
         93),
        ("aqua/aqua-checksums.json", "aqua-checksum", "removed", reg.format("v4.553.0"), None,
         None, None),
        ("aqua/aqua.yaml", "aqua-registry", "updated", "standard", "v4.553.0", "v4.554.0", 8),
    ]  # fmt: skip
    _assert_checksums_match_patch("13", changes)
    _assert_lines_point_at_new_file("13", changes)


@needs_corpus
def test_every_corpus_entry_is_covered() -> None:
    tested = {"01", "02", "03", "04", "05", "06", "10", "11", "12", "13", *PR_LOCK_BUMPS}
    assert {p.name[:2] for p in CORPUS.iterdir() if p.is_dir()} == tested


@needs_corpus
def test_every_changed_corpus_file_is_a_dependency_file() -> None:
    for d in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        meta = json.loads((d / "meta.json").read_text())
        for changed in meta["changed"]:
            assert classify(changed["path"]) is not None, changed["path"]


# --- synthetic cases: Terraform lock files --------------------------------------------------

ZH_A = "zh:" + "a" * 64
ZH_B = "zh:" + "b" * 64
ZH_EVIL = "zh:" + "e" * 64
H1_A = "h1:" + "A" * 43 + "="


def lock(*blocks: tuple[str, str, list[str]]) -> bytes:
    out = [
        '# This file is maintained automatically by "terraform init".\n',
        "# Manual edits may be lost in future updates.\n",
    ]
    for address, version, hashes in blocks:
        out.append(f'\nprovider "{address}" {{\n  version = "{version}"\n  hashes = [\n')
        out.extend(f'    "{h}",\n' for h in hashes)
        out.append("  ]\n}\n")
    return "".join(out).encode()


AWS = "registry.terraform.io/hashicorp/aws"
LOCK = "infra/dev/.terraform.lock.hcl"


def test_lock_zh_replaced_for_unchanged_version() -> None:
    old = lock((AWS, "5.1.0", [H1_A, ZH_A, ZH_B]))
    new = lock((AWS, "5.1.0", [H1_A, ZH_A, ZH_EVIL]))
    (c,) = file_changes(LOCK, old, new)
    assert (c.kind, c.action, c.name, c.line) == ("provider-hashes", "changed", AWS, 4)
    assert (c.old_version, c.new_version) == ("5.1.0", "5.1.0")
    assert (c.added, c.removed) == ((ZH_EVIL,), (ZH_B,))


def test_lock_extra_hash() -> None:
    old = lock((AWS, "5.1.0", [H1_A, ZH_A]))
    new = lock((AWS, "5.1.0", [H1_A, ZH_A, ZH_EVIL]))
    (c,) = file_changes(LOCK, old, new)
    assert (c.kind, c.action, c.added, c.removed) == ("provider-hashes", "changed", (ZH_EVIL,), ())


def test_lock_hash_order_and_constraints_only_are_not_changes() -> None:
    old = lock((AWS, "5.1.0", [H1_A, ZH_A]))
    new = lock((AWS, "5.1.0", [ZH_A, H1_A])).replace(
        b'  version = "5.1.0"\n', b'  version     = "5.1.0"\n  constraints = "~> 5.0"\n'
    )
    assert file_changes(LOCK, old, new) == []


def test_lock_provider_namespace_swapped_is_removed_plus_added() -> None:
    # In a lock file the address is the identity: a swapped namespace is another provider.
    evil = "registry.terraform.io/hashlcorp/aws"
    old = lock((AWS, "5.1.0", [ZH_A]))
    new = lock((evil, "5.1.0", [ZH_EVIL]))
    assert [(c.kind, c.action, c.name, c.line) for c in file_changes(LOCK, old, new)] == [
        ("provider", "added", evil, 4),
        ("provider-hashes", "added", evil, 4),
        ("provider", "removed", AWS, None),
        ("provider-hashes", "removed", AWS, None),
    ]


def test_lock_file_added_and_deleted() -> None:
    content = lock(
        ("registry.terraform.io/hashicorp/null", "3.2.0", [ZH_B]), (AWS, "5.1.0", [ZH_A])
    )
    added = file_changes(LOCK, None, content)
    assert [(c.kind, c.action, c.name, c.new_version, c.line, c.added) for c in added] == [
        ("provider", "added", "registry.terraform.io/hashicorp/null", "3.2.0", 4, ()),
        ("provider-hashes", "added", "registry.terraform.io/hashicorp/null", "3.2.0", 4, (ZH_B,)),
        ("provider", "added", AWS, "5.1.0", 11, ()),
        ("provider-hashes", "added", AWS, "5.1.0", 11, (ZH_A,)),
    ]
    removed = file_changes(LOCK, content, None)
    assert [(c.kind, c.action, c.old_version, c.line, c.removed) for c in removed] == [
        ("provider", "removed", "5.1.0", None, ()),
        ("provider-hashes", "removed", "5.1.0", None, (ZH_A,)),
        ("provider", "removed", "3.2.0", None, ()),
        ("provider-hashes", "removed", "3.2.0", None, (ZH_B,)),
    ]


def test_malformed_lock_names_file_and_line() -> None:
    bad = lock((AWS, "5.1.0", [ZH_A])).replace(b'version = "5.1.0"', b'version = "v5.1"')
    with pytest.raises(InputError) as e:
        file_changes(LOCK, lock((AWS, "5.1.0", [ZH_A])), bad)
    assert e.value.path == LOCK and e.value.line == 5


# --- synthetic cases: Terraform configuration -----------------------------------------------

TF = """terraform {
  required_version = "%(tfv)s"
  required_providers {
    aws = {
      source  = "%(src)s"
      version = "%(ver)s"
    }
  }
}

module "vpc" {
  source  = "%(mod)s"
  version = "%(modv)s"
}

module "net" {
  source = "%(git)s"
}
"""
TF_BASE = {
    "tfv": ">= 1.5",
    "src": "hashicorp/aws",
    "ver": "~> 5.0",
    "mod": "terraform-aws-modules/vpc/aws",
    "modv": "5.1.0",
    "git": "git::https://github.com/acme/net.git//modules/net?ref=v1.2.0",
}


def tf(**kw: str) -> bytes:
    return (TF % {**TF_BASE, **kw}).encode()


def tf_rows(old: bytes | None, new: bytes | None) -> list[tuple[object, ...]]:
    return [
        (c.kind, c.action, c.name, c.old_version, c.new_version, c.old_source, c.new_source, c.line)
        for c in file_changes("infra/main.tf", old, new)
    ]


def test_tf_provider_source_namespace_swapped_is_a_source_change() -> None:
    # In .tf files the local name is the identity: same entry, other source.
    assert tf_rows(tf(), tf(src="hashlcorp/aws")) == [
        ("provider", "changed", "registry.terraform.io/hashlcorp/aws", "~> 5.0", "~> 5.0",
         "registry.terraform.io/hashicorp/aws", "registry.terraform.io/hashlcorp/aws", 4),
    ]  # fmt: skip


def test_tf_required_version_and_provider_constraint() -> None:
    assert tf_rows(tf(), tf(tfv=">= 1.9", ver="~> 6.0")) == [
        ("terraform", "updated", "terraform", ">= 1.5", ">= 1.9", None, None, 2),
        ("provider", "updated", "registry.terraform.io/hashicorp/aws", "~> 5.0", "~> 6.0",
         "registry.terraform.io/hashicorp/aws", "registry.terraform.io/hashicorp/aws", 4),
    ]  # fmt: skip


def test_tf_module_source_changed() -> None:
    assert tf_rows(tf(), tf(mod="terraform-aws-m0dules/vpc/aws")) == [
        ("module", "changed", "terraform-aws-m0dules/vpc/aws", "5.1.0", "5.1.0",
         "terraform-aws-modules/vpc/aws", "terraform-aws-m0dules/vpc/aws", 11),
    ]  # fmt: skip


def test_tf_module_registry_version_and_git_ref() -> None:
    git = "git::https://github.com/acme/net.git//modules/net"
    rows = tf_rows(tf(), tf(modv="5.2.0", git=git + "?depth=1&ref=v1.3.0"))
    assert rows == [
        ("module", "updated", "terraform-aws-modules/vpc/aws", "5.1.0", "5.2.0",
         "terraform-aws-modules/vpc/aws", "terraform-aws-modules/vpc/aws", 11),
        ("module", "updated", git + "?depth=1", "v1.2.0", "v1.3.0", git, git + "?depth=1", 16),
    ]  # fmt: skip


def test_tf_file_added_deleted_and_unchanged() -> None:
    added = tf_rows(None, tf())
    assert [(r[0], r[1], r[4]) for r in added] == [
        ("terraform", "added", ">= 1.5"),
        ("provider", "added", "~> 5.0"),
        ("module", "added", "5.1.0"),
        ("module", "added", "v1.2.0"),
    ]
    assert [(r[0], r[1], r[3], r[7]) for r in tf_rows(tf(), None)] == [
        # Removed ones come last, by name: the git module, aws, terraform, the vpc module.
        ("module", "removed", "v1.2.0", None),
        ("provider", "removed", "~> 5.0", None),
        ("terraform", "removed", ">= 1.5", None),
        ("module", "removed", "5.1.0", None),
    ]
    assert file_changes("infra/main.tf", tf(), tf()) == []


def test_tf_json() -> None:
    old = json.dumps(
        {
            "terraform": {
                "required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.0"}}
            }
        }
    ).encode()
    new = old.replace(b'"5.0"', b'"6.0"')
    (c,) = file_changes("infra/main.tf.json", old, new)
    assert (c.kind, c.action, c.old_version, c.new_version, c.line) == (
        "provider",
        "updated",
        "5.0",
        "6.0",
        None,
    )


@pytest.mark.parametrize(
    ("new", "line", "message"),
    [
        (tf(ver="~> five"), 4, "Invalid version constraint"),
        (tf(src="a/b/c/d"), 4, "Invalid provider source string"),
        (b'terraform {\n  required_version = "1.0"\n\n  x = "\n}\n', 4, ""),
    ],
)
def test_tf_malformed(new: bytes, line: int, message: str) -> None:
    with pytest.raises(InputError) as e:
        file_changes("infra/main.tf", tf(), new)
    assert e.value.path == "infra/main.tf"
    assert e.value.line == line
    assert message in e.value.reason


def test_terraform_version_file() -> None:
    (c,) = file_changes("infra/.terraform-version", b"1.9.8\n", b"# pinned\n1.10.0\n")
    assert (c.kind, c.action, c.name, c.old_version, c.new_version, c.line) == (
        "terraform-version",
        "updated",
        "terraform",
        "1.9.8",
        "1.10.0",
        2,
    )
    (c,) = file_changes(".terraform-version", None, b"latest:^1\\.9\n")
    assert (c.action, c.new_version) == ("added", "latest:^1\\.9")
    with pytest.raises(InputError, match="names no Terraform version"):
        file_changes(".terraform-version", b"1.9.8\n", b"\n# nothing\n")
    with pytest.raises(InputError) as e:
        file_changes(".terraform-version", b"1.9.8\n", b"1.9.8 1.10.0\n")
    assert e.value.line == 1


# --- synthetic cases: aqua ----------------------------------------------------------------

AQUA = """registries:
  - type: standard
    ref: v4.300.0 # renovate: depName=aquaproj/aqua-registry
packages:
  - name: owner/tool@v1.2.3
  - name: cli/cli
    version: v2.60.0
  - import: imports/*.yaml
"""


def aqua_rows(
    old: str | None, new: str | None, path: str = "aqua/aqua.yaml"
) -> list[tuple[object, ...]]:
    return [
        (c.kind, c.action, c.name, c.old_version, c.new_version, c.old_source, c.new_source, c.line)
        for c in file_changes(
            path, None if old is None else old.encode(), None if new is None else new.encode()
        )
    ]


def test_aqua_package_owner_swapped_is_removed_plus_added() -> None:
    # aqua packages have no identity but their name: another owner is another package.
    new = AQUA.replace("owner/tool@", "0wner/tool@")
    assert aqua_rows(AQUA, new) == [
        ("aqua-package", "added", "0wner/tool", None, "v1.2.3", None, "standard", 5),
        ("aqua-package", "removed", "owner/tool", "v1.2.3", None, "standard", None, None),
    ]


def test_aqua_package_version_bump_both_spellings() -> None:
    new = AQUA.replace("@v1.2.3", "@v1.3.0").replace("v2.60.0", "v2.61.0")
    assert aqua_rows(AQUA, new) == [
        ("aqua-package", "updated", "owner/tool", "v1.2.3", "v1.3.0", "standard", "standard", 5),
        ("aqua-package", "updated", "cli/cli", "v2.60.0", "v2.61.0", "standard", "standard", 6),
    ]


def test_aqua_package_moved_to_another_registry_is_a_source_change() -> None:
    new = AQUA.replace(
        "registries:\n",
        "registries:\n  - name: mine\n    type: local\n    path: registry.yaml\n",
    ).replace("  - name: owner/tool@v1.2.3\n", "  - name: owner/tool@v1.2.3\n    registry: mine\n")
    assert aqua_rows(AQUA, new) == [
        ("aqua-registry", "added", "mine", None, None, None, "local:registry.yaml", 2),
        ("aqua-package", "changed", "owner/tool", "v1.2.3", "v1.2.3", "standard", "mine", 8),
    ]


def test_aqua_new_registry() -> None:
    new = AQUA.replace(
        "packages:\n",
        "  - name: evil\n    type: github_content\n    repo_owner: ev1l\n"
        "    repo_name: registry\n    ref: v1.0.0\n    path: registry.yaml\npackages:\n",
    )
    assert aqua_rows(AQUA, new) == [
        ("aqua-registry", "added", "evil", None, "v1.0.0", None,
         "github_content:ev1l/registry/registry.yaml", 4),
    ]  # fmt: skip


def test_aqua_registry_ref_moved_to_a_branch() -> None:
    # Not refused here (the file is well-formed): rules report the branch ref.
    new = AQUA.replace("ref: v4.300.0", "ref: main")
    std = "github_content:aquaproj/aqua-registry/registry.yaml"
    assert aqua_rows(AQUA, new) == [
        ("aqua-registry", "updated", "standard", "v4.300.0", "main", std, std, 2),
    ]


def test_aqua_registry_owner_swapped_is_a_source_change() -> None:
    new = AQUA.replace("    ref:", "    repo_owner: aquapr0j\n    ref:")
    assert aqua_rows(AQUA, new) == [
        ("aqua-registry", "changed", "standard", "v4.300.0", "v4.300.0",
         "github_content:aquaproj/aqua-registry/registry.yaml",
         "github_content:aquapr0j/aqua-registry/registry.yaml", 2),
    ]  # fmt: skip


def test_aqua_standard_type_spelled_out_is_the_same_registry() -> None:
    new = AQUA.replace(
        "  - type: standard\n",
        "  - type: github_content\n    name: standard\n    repo_owner: aquaproj\n"
        "    repo_name: aqua-registry\n    path: registry.yaml\n",
    )
    assert aqua_rows(AQUA, new) == []


def test_aqua_imports_and_import_dir() -> None:
    new = AQUA.replace("  - import: imports/*.yaml\n", "import_dir: imports\n")
    assert aqua_rows(AQUA, new) == [
        ("aqua-import", "added", "imports/*.yml", None, None, None, "imports/*.yml", 8),
    ]
    new = AQUA.replace("imports/*.yaml", "../../elsewhere/*.yaml")
    assert aqua_rows(AQUA, new) == [
        ("aqua-import", "added", "../../elsewhere/*.yaml", None, None, None,
         "../../elsewhere/*.yaml", 8),
        ("aqua-import", "removed", "imports/*.yaml", None, None, "imports/*.yaml", None, None),
    ]  # fmt: skip


def test_aqua_config_added_and_deleted() -> None:
    assert [r[:3] for r in aqua_rows(None, AQUA)] == [
        ("aqua-registry", "added", "standard"),
        ("aqua-package", "added", "owner/tool"),
        ("aqua-package", "added", "cli/cli"),
        ("aqua-import", "added", "imports/*.yaml"),
    ]
    assert {r[1] for r in aqua_rows(AQUA, None)} == {"removed"}


def test_aqua_import_file_content_decides() -> None:
    path = "tools/aqua/imports/tool.yaml"
    assert aqua_rows(
        "packages:\n  - name: a/b@v1\n", "packages:\n  - name: a/b@v2\n", path=path
    ) == [("aqua-package", "updated", "a/b", "v1", "v2", "standard", "standard", 2)]
    # A registry file (entries with `type`) or unrelated YAML in an aqua folder: no changes.
    registry = "packages:\n  - type: github_release\n    repo_owner: a\n    repo_name: {}\n"
    assert aqua_rows(registry.format("b"), registry.format("c"), path="aqua/registry.yaml") == []
    assert aqua_rows("foo: 1\n", "foo: 2\n", path=path) == []
    # The same file passed explicitly as an import of an aqua.yaml elsewhere.
    changes = file_changes(
        "imports/tool.yaml", b"packages: [{name: a/b@v1}]", b"packages: [{name: a/b@v2}]",
        kind="aqua-import",
    )  # fmt: skip
    assert [(c.kind, c.old_version, c.new_version) for c in changes] == [
        ("aqua-package", "v1", "v2")
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("packages:\n  - name: a/b@v1\n    typo: 1\n", 3, "unknown key 'typo'"),
        ("packages:\n  - name: a/b\n", 2, "has no version"),
        ("registries:\n  - type: github_content\n    name: x\n", 2, "repo_owner is required"),
        ("registries:\n  - type: gitlab\n", 2, "unknown registry type"),
        ("packages: [\n", 2, "invalid YAML"),
        ("", 1, "empty"),
        ("packages:\n  - 1\n", 2, "expected a mapping"),
    ],
)
def test_aqua_malformed(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as e:
        file_changes("aqua.yaml", AQUA.encode(), text.encode())
    assert e.value.path == "aqua.yaml"
    assert e.value.line == line
    assert message in e.value.reason


CHECKSUMS = """{
  "checksums": [
    {
      "id": "github_release/github.com/owner/tool/v1.2.3/tool_linux_amd64.tar.gz",
      "checksum": "%s",
      "algorithm": "sha256"
    }
  ]
}
"""
SUM_A = "A" * 64
SUM_B = "B" * 64
TOOL_ID = "github_release/github.com/owner/tool/v1.2.3/tool_linux_amd64.tar.gz"


def test_aqua_checksum_changed_for_unchanged_version() -> None:
    (c,) = file_changes(
        "aqua/aqua-checksums.json", (CHECKSUMS % SUM_A).encode(), (CHECKSUMS % SUM_B).encode()
    )
    assert (c.kind, c.action, c.name, c.line) == ("aqua-checksum", "changed", TOOL_ID, 3)
    assert (c.removed, c.added) == ((f"sha256:{SUM_A}",), (f"sha256:{SUM_B}",))


def test_aqua_checksum_case_only_is_not_a_change() -> None:
    old = (CHECKSUMS % SUM_A.lower()).encode()
    assert file_changes("aqua-checksums.json", old, (CHECKSUMS % SUM_A).encode()) == []


def test_aqua_checksums_added_deleted_malformed() -> None:
    (c,) = file_changes("aqua-checksums.json", None, (CHECKSUMS % SUM_A).encode())
    assert (c.action, c.added, c.line) == ("added", (f"sha256:{SUM_A}",), 3)
    (c,) = file_changes("aqua-checksums.json", (CHECKSUMS % SUM_A).encode(), None)
    assert (c.action, c.removed, c.line) == ("removed", (f"sha256:{SUM_A}",), None)
    with pytest.raises(InputError) as e:
        file_changes("aqua-checksums.json", None, (CHECKSUMS % "XYZ").encode())
    assert (e.value.path, e.value.line) == ("aqua-checksums.json", 3)


# --- synthetic cases: workflows -------------------------------------------------------------

WORKFLOW = """on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@%s
      - uses: aquaproj/aqua-installer@d1fe50798dbadd4eb5b98957290ca175f6b4870f # v4.0.2
        with:
          aqua_version: v2.53.3
      - uses: ./.github/actions/local
"""
SHA_OLD = "11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"


def wf_rows(old: str | None, new: str | None) -> list[tuple[object, ...]]:
    return [
        (c.kind, c.action, c.name, c.old_version, c.new_version, c.old_comment, c.new_comment,
         c.line)
        for c in file_changes(
            ".github/workflows/ci.yaml",
            None if old is None else old.encode(),
            None if new is None else new.encode(),
        )
    ]  # fmt: skip


@needs_workflows
def test_action_ref_changed_from_sha_to_tag() -> None:
    assert wf_rows(WORKFLOW % SHA_OLD, WORKFLOW % "v4") == [
        ("action", "updated", "actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683",
         "v4", "v4.2.2", None, 6),
    ]  # fmt: skip


@needs_workflows
def test_action_version_comment_changed_without_ref() -> None:
    new = WORKFLOW % SHA_OLD.replace("v4.2.2", "v4.3.0")
    ((kind, action, *_rest, old_c, new_c, _line),) = wf_rows(WORKFLOW % SHA_OLD, new)
    assert (kind, action, old_c, new_c) == ("action", "changed", "v4.2.2", "v4.3.0")


@needs_workflows
def test_workflow_inserted_step_does_not_shift_pairs() -> None:
    old = WORKFLOW % SHA_OLD
    new = old.replace(
        "      - uses: ./.github",
        "      - uses: actions/checkout@v5\n      - uses: ./.github",
    )
    assert wf_rows(old, new) == [
        ("action", "added", "actions/checkout", None, "v5", None, None, 10)
    ]


@needs_workflows
def test_workflow_aqua_version_and_file_lifecycle() -> None:
    old = WORKFLOW % SHA_OLD
    assert wf_rows(old, old.replace("v2.53.3", "'v2.55.0'")) == [
        ("aqua-version", "updated", "aquaproj/aqua", "v2.53.3", "v2.55.0", None, None, 9),
    ]
    assert [r[:3] for r in wf_rows(None, old)] == [
        ("action", "added", "actions/checkout"),
        ("action", "added", "aquaproj/aqua-installer"),
        ("aqua-version", "added", "aquaproj/aqua"),
    ]
    assert {r[1] for r in wf_rows(old, None)} == {"removed"}


@needs_workflows
def test_reusable_workflow_and_docker_refs() -> None:
    old = """on: push
jobs:
  call:
    uses: acme/ci/.github/workflows/build.yml@v1
  run:
    runs-on: ubuntu-latest
    steps:
      - uses: docker://alpine:3.19
"""
    new = old.replace("build.yml@v1", "build.yml@v2").replace(
        "alpine:3.19", "alpine@sha256:" + "a" * 64
    )
    assert wf_rows(old, new) == [
        ("action", "updated", "acme/ci/.github/workflows/build.yml", "v1", "v2", None, None, 4),
        ("action", "updated", "docker://alpine", "3.19", "sha256:" + "a" * 64, None, None, 8),
    ]


@needs_workflows
def test_composite_action_owner_swapped() -> None:
    old = "runs:\n  using: composite\n  steps:\n    - uses: actions/cache@v4\n"
    new = old.replace("actions/cache", "actlons/cache")
    changes = file_changes("actions/setup/action.yml", old.encode(), new.encode())
    assert [(c.action, c.name, c.old_version, c.new_version, c.line) for c in changes] == [
        ("added", "actlons/cache", None, "v4", 4),
        ("removed", "actions/cache", "v4", None, None),
    ]
    # The same repository in other letter case is the same action (GitHub ignores case).
    (c,) = file_changes(
        "action.yml", old.encode(), old.replace("actions/cache@v4", "Actions/cache@v5").encode()
    )
    assert (c.action, c.old_source, c.new_source) == ("updated", "actions/cache", "Actions/cache")


@needs_workflows
def test_workflow_commented_aqua_version_is_ignored() -> None:
    old = WORKFLOW % SHA_OLD
    new = old.replace(
        "aqua_version: v2.53.3", "aqua_version: v2.53.3\n          # aqua_version: v9"
    )
    assert wf_rows(old, new) == []


# --- classification, model, ordering --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("infra/dev/.terraform.lock.hcl", "terraform-lock"),
        ("infra/dev/main.tf", "terraform"),
        ("infra/dev/main.tf.json", "terraform"),
        ("infra/dev/.hidden.tf", None),
        ("infra/dev/main.tf~", None),
        (".terraform-version", "terraform-version"),
        ("aqua.yaml", "aqua-config"),
        ("aqua/aqua.yaml", "aqua-config"),
        (".aqua.yml", "aqua-config"),
        ("aqua-checksums.json", "aqua-checksums"),
        ("aqua/.aqua-checksums.json", "aqua-checksums"),
        ("aqua/imports/tf.yaml", "aqua-import"),
        ("install/.aqua/gh.yml", "aqua-import"),
        ("aqua-policy.yaml", None),
        ("aqua/aqua-policy.yaml", None),
        (".github/workflows/ci.yml", "workflow"),
        (".github/workflows/aqua.yaml", "workflow"),
        (".github/workflows/sub/ci.yml", None),
        ("actions/setup/action.yaml", "workflow"),
        ("action.yml", "workflow"),
        ("renovate.json5", None),
        ("README.md", None),
        ("imports/tool.yaml", None),
    ],
)
def test_classify(path: str, expected: str | None) -> None:
    assert classify(path) == expected


def test_unknown_files_and_identical_content() -> None:
    assert file_changes("README.md", b"a", b"b") == []
    assert file_changes("aqua.yaml", AQUA.encode(), AQUA.encode()) == []
    assert file_changes("aqua.yaml", None, None) == []
    with pytest.raises(ValueError, match="unknown extractor"):
        file_changes("x", b"", b"", kind="nope")


def test_not_utf8_names_the_line() -> None:
    with pytest.raises(InputError) as e:
        file_changes("aqua.yaml", None, b"packages:\n  - name: \xff\n")
    assert (e.value.path, e.value.line) == ("aqua.yaml", 2)


def test_model() -> None:
    c = DependencyChange(
        kind="provider", name="x", file="f", line=1, old_version="1", new_version="2"
    )
    assert c.action == "updated"
    with pytest.raises(FrozenInstanceError):
        c.name = "y"  # type: ignore[misc]
    with pytest.raises(ValueError, match="unknown dependency change kind"):
        DependencyChange(kind="nope", name="x", file="f", line=1, old_version=None, new_version="1")


def test_ordering_is_deterministic() -> None:
    old = lock(*[(f"registry.terraform.io/hashicorp/p{i}", "1.0.0", [ZH_A]) for i in range(5)])
    new = lock(*[(f"registry.terraform.io/hashicorp/p{i}", "2.0.0", [ZH_B]) for i in (3, 1, 4)])
    first = file_changes(LOCK, old, new)
    assert first == file_changes(LOCK, old, new)
    assert [(c.name[-2:], c.kind, c.line) for c in first] == [
        ("p3", "provider", 4),
        ("p3", "provider-hashes", 4),
        ("p1", "provider", 11),
        ("p1", "provider-hashes", 11),
        ("p4", "provider", 18),
        ("p4", "provider-hashes", 18),
        ("p0", "provider", None),
        ("p0", "provider-hashes", None),
        ("p2", "provider", None),
        ("p2", "provider-hashes", None),
    ]
