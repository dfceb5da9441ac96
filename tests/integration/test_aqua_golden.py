"""``depguard checksums update`` writes ``aqua-checksums.json`` byte for byte like aqua.

The oracle is the real ``aqua-checksums.json`` of corpus examples (written by
``aqua update-checksum``). For each example:

1. the corpus registry (``corpus/aqua/registry/registry.yaml``) is served by the local HTTPS
   "GitHub" as the standard registry at the example's ref. Signatures declared over checksum
   files (``cosign``, ``minisign``, ``github_artifact_attestations`` inside ``checksum:``)
   cannot be reproduced without upstream's keys and Fulcio certificates, so those blocks are
   cut out of the served text; that does not change any checksum id or checksum-file URL.
2. each release's checksum file is served under its real name, with one line per asset whose
   value is the corpus entry (lower-case, as upstream publishes them);
3. some entries are deleted from a copy of the corpus file and ``checksums update
   --allow-tofu`` is run. The result must be the corpus file again, byte for byte: the entries
   kept keep their case (aqua keeps old entries as they are; this is why the corpus file mixes
   lower- and upper-case values), and the re-added ones are upper-case in aqua's order and
   layout.

The registry's own entry is kept in the copies, re-pinned (same algorithm and letter case) to
the content served, since the corpus pins the real registry content (sha512 in the older
example) and depguard refuses to write a file whose registry contradicts its pin; the expected
file carries the same value. One case deletes the entry as well and expects the sha256 of what
was served (aqua records new registry entries with sha256 too).
"""
# ruff: noqa: F811  (pytest fixtures are imported by name and then used as parameters)

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import CliResult, run_cli

# Fixtures from the plugins; imported so this module also runs before they are registered.
from tests.support.fixtures import tls_material, trust_test_ca  # noqa: F401
from tests.support.github_server import GitHubBuilder, github_server  # noqa: F401

pytestmark = pytest.mark.usefixtures("trust_test_ca")

_SIGNATURE_KEYS = ("cosign", "minisign", "github_artifact_attestations")
_KEY_RE = re.compile(r"^(?P<indent>[ ]*)(?:- )?(?P<key>[A-Za-z_]+):")


def strip_checksum_signatures(text: str) -> str:
    """Cut ``cosign``/``minisign``/``github_artifact_attestations`` blocks that sit directly
    inside a ``checksum:`` mapping; every other line stays byte-identical."""
    out: list[str] = []
    checksum_indent: int | None = None  # indentation of the keys inside the checksum block
    cutting: int | None = None  # indentation of the key being cut
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if cutting is not None:
            if not stripped or indent > cutting:
                continue
            cutting = None
        m = _KEY_RE.match(line)
        if checksum_indent is not None and stripped and indent < checksum_indent:
            checksum_indent = None
        if m is not None:
            key_col = len(m.group("indent")) + (2 if line.lstrip(" ").startswith("- ") else 0)
            if key_col == checksum_indent and m.group("key") in _SIGNATURE_KEYS:
                cutting = key_col
                continue
            if m.group("key") == "checksum" and stripped.endswith("checksum:"):
                checksum_indent = key_col + 2
                out.append(line)
                continue
        out.append(line)
    return "".join(out)


def test_strip_checksum_signatures() -> None:
    text = (
        "packages:\n"
        "  - repo_name: x\n"
        "    cosign:\n"
        "      bundle: {type: github_release}\n"
        "    checksum:\n"
        "      type: github_release\n"
        "      cosign:\n"
        "        opts:\n"
        "          - --key\n"
        "      minisign:\n"
        "        public_key: K\n"
        "      algorithm: sha256\n"
        "    version_overrides:\n"
        "      - checksum:\n"
        "          asset: a\n"
        "          github_artifact_attestations:\n"
        "            signer_workflow: w\n"
        "        asset: b\n"
    )
    assert strip_checksum_signatures(text) == (
        "packages:\n"
        "  - repo_name: x\n"
        "    cosign:\n"
        "      bundle: {type: github_release}\n"
        "    checksum:\n"
        "      type: github_release\n"
        "      algorithm: sha256\n"
        "    version_overrides:\n"
        "      - checksum:\n"
        "          asset: a\n"
        "        asset: b\n"
    )


@dataclass(frozen=True)
class Example:
    name: str  # folder under corpus/aqua/examples
    copy: str  # the part of it copied into the repository
    checksums: str  # the aqua-checksums.json, relative to the repository
    ref: str  # the standard registry's ref
    #: owner/repo -> checksum file name for an asset (the real upstream release layout)
    checksum_files: Mapping[str, Callable[[str, str], str]]
    #: corpus registry edits (old, new) that reproduce the registry at the example's ref
    registry_edits: tuple[tuple[str, str, str], ...] = ()
    #: imported files left out of the copy (their entries stay in the file, untouched)
    drop: tuple[str, ...] = ()


def _fixed(name: str) -> Callable[[str, str], str]:
    return lambda _version, _asset: name


def _versioned(pattern: str) -> Callable[[str, str], str]:
    return lambda version, _asset: pattern.format(v=version.removeprefix("v"))


UPDATE_CHECKSUM = Example(
    name="aquaproj-example-update-checksum",
    copy="",
    checksums="aqua-checksums.json",
    ref="v3.136.1",
    checksum_files={
        "rhysd/actionlint": _versioned("actionlint_{v}_checksums.txt"),
        "reviewdog/reviewdog": _fixed("checksums.txt"),
        "int128/ghcp": lambda _v, asset: asset + ".sha256",
    },
    # Registry v3.136.1 had no arm64 build of int128/ghcp v1.13.2 (rosetta2, no linux/arm64);
    # the corpus registry is newer and has. Let the old override cover v1.13.2 again.
    registry_edits=(("    repo_name: ghcp\n", 'semver("<= 1.13.0")', 'semver("<= 1.13.2")'),),
)

TFACTION = Example(
    name="suzuki-shunsuke-tfaction",
    copy="aqua",
    checksums="aqua/aqua-checksums.json",
    ref="v4.550.0",
    checksum_files={
        "rhysd/actionlint": _versioned("actionlint_{v}_checksums.txt"),
        "suzuki-shunsuke/cmdx": _versioned("cmdx_{v}_checksums.txt"),
        "suzuki-shunsuke/ghalint": _versioned("ghalint_{v}_checksums.txt"),
        "suzuki-shunsuke/github-comment": _versioned("github-comment_{v}_checksums.txt"),
        "suzuki-shunsuke/pinact": _versioned("pinact_{v}_checksums.txt"),
        "opentofu/opentofu": _versioned("tofu_{v}_SHA256SUMS"),
        "reviewdog/reviewdog": _fixed("checksums.txt"),
        "gruntwork-io/terragrunt": _fixed("SHA256SUMS"),
        "terraform-linters/tflint": _fixed("checksums.txt"),
        "aquasecurity/trivy": _versioned("trivy_{v}_checksums.txt"),
    },
    # nodejs/node takes its version from version_expr (a file read at install time), which
    # depguard does not evaluate: such a package is a skip and the file would not be written.
    drop=("aqua/imports/node.yaml",),
)


@dataclass
class Prepared:
    root: Path
    original: bytes  # the corpus file
    sums: Path
    registry: bytes  # what the server serves as the standard registry
    deleted: list[str]
    requests: dict[str, list[str]]  # checksum-file server path -> ids it serves

    def run(self, *args: str) -> CliResult:
        result = run_cli("--config", str(self.root / "depguard.yaml"), *args)
        assert "Traceback" not in result.err, result.err
        return result


def _entry_split(entry_id: str) -> tuple[str, str, str]:
    """(owner/repo, tag, asset) of a ``github_release/github.com/o/r/tag/asset`` id."""
    parts = entry_id.split("/")
    return f"{parts[2]}/{parts[3]}", "/".join(parts[4:-1]), parts[-1]


def prepare(
    corpus: Path,
    gh: GitHubBuilder,
    tmp_path: Path,
    example: Example,
    delete: Callable[[dict[str, str]], bool],
) -> Prepared:
    src = corpus / "aqua" / "examples" / example.name
    root = tmp_path / "repo"
    shutil.copytree(src / example.copy, root / example.copy, dirs_exist_ok=True)
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)  # the corpus is read-only
    (root / ".git").mkdir()
    for rel in example.drop:
        (root / rel).unlink()
    urls = gh.urls
    (root / "depguard.yaml").write_text(
        f"github:\n  url: {urls.url}\n  api_url: {urls.api_url}\n  raw_url: {urls.raw_url}\n"
    )

    text = (corpus / "aqua" / "registry" / "registry.yaml").read_text()
    for anchor, old, new in example.registry_edits:
        start = text.index(anchor)
        at = text.index(old, start)
        text = text[:at] + new + text[at + len(old) :]
    registry = strip_checksum_signatures(text).encode()
    gh.add_raw("aquaproj", "aqua-registry", example.ref, "registry.yaml", registry)

    sums = root / example.checksums
    original = sums.read_bytes()
    # The corpus pins the real registry content; the served one differs. depguard refuses to
    # update a file whose registry contradicts its pin, so re-pin it (same algorithm, same
    # letter case) to what is served, in the copy and in the expected bytes alike.
    for e in json.loads(original)["checksums"]:
        if e["id"].startswith("registries/"):
            served = hashlib.new(e["algorithm"], registry).hexdigest()
            served = served.upper() if e["checksum"].isupper() else served
            original = original.replace(e["checksum"].encode(), served.encode())
    sums.write_bytes(original)
    entries = json.loads(original)["checksums"]
    # checksum files: every corpus entry of the package, as upstream lists them
    releases: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for e in entries:
        if not e["id"].startswith("github_release/"):
            continue
        repo, tag, asset = _entry_split(e["id"])
        name_of = example.checksum_files.get(repo)
        if name_of is None:
            continue
        assert e["algorithm"] == "sha256", e
        files = releases.setdefault((repo, tag), {})
        files.setdefault(name_of(tag, asset), {})[asset] = e["checksum"].lower()
    requests: dict[str, list[str]] = {}
    for (repo, tag), files in releases.items():
        owner, name = repo.split("/")
        published = {
            fname: "".join(f"{v}  {a}\n" for a, v in sorted(lines.items())).encode()
            for fname, lines in files.items()
        }
        gh.add_release(owner, name, tag, published)
        for fname, lines in files.items():
            requests[f"/gh/{owner}/{name}/releases/download/{tag}/{fname}"] = [
                f"github_release/github.com/{repo}/{tag}/{a}" for a in lines
            ]

    kept = [e for e in entries if not delete(e)]
    deleted = [e["id"] for e in entries if delete(e)]
    assert deleted and len(kept) + len(deleted) == len(entries)
    sums.write_text(json.dumps({"checksums": kept}, indent=2) + "\n")
    return Prepared(
        root=root,
        original=original,
        sums=sums,
        registry=registry,
        deleted=deleted,
        requests=requests,
    )


def _is_registry(e: Mapping[str, str]) -> bool:
    return e["id"].startswith("registries/")


def _upper(e: Mapping[str, str]) -> bool:
    return e["checksum"] == e["checksum"].upper() and not e["checksum"].isdigit()


def _check_requests(prep: Prepared, gh: GitHubBuilder) -> None:
    """Each needed checksum file was fetched once; the others, not at all; no asset."""
    deleted = set(prep.deleted)
    for path, ids in prep.requests.items():
        want = 1 if deleted & set(ids) else 0
        assert gh.count(path) == want, (path, dict(gh.counts))
    assert not any("/releases/download/" in p and p not in prep.requests for p in gh.counts), dict(
        gh.counts
    )


def test_example_update_checksum_is_rewritten_byte_identical(
    corpus: Path, github_server: GitHubBuilder, tmp_path: Path
) -> None:
    """aquaproj/example-update-checksum: its upper-case entries (actionlint ×6, ghcp
    linux/amd64) were added by a later ``aqua update-checksum`` than the lower-case ones."""
    prep = prepare(
        corpus,
        github_server,
        tmp_path,
        UPDATE_CHECKSUM,
        lambda e: _upper(e) and not _is_registry(e),
    )
    assert len(prep.deleted) == 7
    result = prep.run("checksums", "update", str(prep.root), "--allow-tofu")
    assert result.code == 0, result.out + result.err
    assert prep.sums.read_bytes() == prep.original
    for entry_id in prep.deleted:
        assert f"+ {entry_id} [published: checksum-file]" in result.err
    _check_requests(prep, github_server)
    # the checksum file is per asset for ghcp: only the deleted one was fetched
    assert (
        github_server.count("/gh/int128/ghcp/releases/download/v1.13.2/ghcp_linux_amd64.zip.sha256")
        == 1
    )


def test_example_update_checksum_check_mode_agrees(
    corpus: Path, github_server: GitHubBuilder, tmp_path: Path
) -> None:
    prep = prepare(
        corpus,
        github_server,
        tmp_path,
        UPDATE_CHECKSUM,
        lambda e: _upper(e) and not _is_registry(e),
    )
    before = prep.sums.read_bytes()
    result = prep.run("--format", "json", "checksums", "update", str(prep.root), "--check")
    assert result.code == 1, result.out + result.err
    assert prep.sums.read_bytes() == before
    assert sorted(f["subject"] for f in result.json()["findings"]) == sorted(prep.deleted)
    # the complete corpus file needs nothing
    prep.sums.write_bytes(prep.original)
    assert prep.run("checksums", "update", str(prep.root), "--check").code == 0


def test_tfaction_is_rewritten_byte_identical(
    corpus: Path, github_server: GitHubBuilder, tmp_path: Path
) -> None:
    """suzuki-shunsuke/tfaction: every entry of the ten packages with a checksum file is
    deleted and re-added; the entries of packages served from elsewhere (nodejs.org,
    releases.hashicorp.com, a github_content file, assets without checksum file) stay."""
    prep = prepare(
        corpus,
        github_server,
        tmp_path,
        TFACTION,
        lambda e: (
            e["id"].startswith("github_release/")
            and _entry_split(e["id"])[0] in TFACTION.checksum_files
        ),
    )
    assert len(prep.deleted) == 56
    result = prep.run("checksums", "update", str(prep.root), "--allow-tofu")
    assert result.code == 0, result.out + result.err
    assert prep.sums.read_bytes() == prep.original
    _check_requests(prep, github_server)
    assert len(prep.requests) == 10


def test_tfaction_registry_entry_is_recorded_with_sha256(
    corpus: Path, github_server: GitHubBuilder, tmp_path: Path
) -> None:
    """The registry entry deleted too: ``--allow-tofu`` records the served content's sha256,
    in the same place and layout as aqua's entry."""
    prep = prepare(
        corpus,
        github_server,
        tmp_path,
        TFACTION,
        lambda e: (
            _is_registry(e)
            or (
                e["id"].startswith("github_release/")
                and _entry_split(e["id"])[0] in TFACTION.checksum_files
            )
        ),
    )
    registry_id = (
        "registries/github_content/github.com/aquaproj/aqua-registry/v4.550.0/registry.yaml"
    )
    assert registry_id in prep.deleted
    without = prep.run("--format", "json", "checksums", "update", str(prep.root))
    assert without.code == 3, without.out + without.err
    assert [s["subject"] for s in without.json()["skipped"]] == [registry_id]
    result = prep.run("checksums", "update", str(prep.root), "--allow-tofu")
    assert result.code == 0, result.out + result.err
    (old,) = (
        e["checksum"] for e in json.loads(prep.original)["checksums"] if e["id"] == registry_id
    )
    new = hashlib.sha256(prep.registry).hexdigest().upper()
    assert prep.original.count(old.encode()) == 1
    assert prep.sums.read_bytes() == prep.original.replace(old.encode(), new.encode())
    assert f"+ {registry_id} [tofu: tofu]" in result.err


def test_tfaction_with_a_version_expr_package_is_not_written(
    corpus: Path, github_server: GitHubBuilder, tmp_path: Path
) -> None:
    """With the nodejs/node import (version_expr) present, depguard cannot know the version,
    says so, and writes nothing rather than a file aqua would disagree with."""
    prep = prepare(
        corpus,
        github_server,
        tmp_path,
        TFACTION,
        lambda e: (
            e["id"].startswith("github_release/")
            and _entry_split(e["id"])[0] in TFACTION.checksum_files
        ),
    )
    shutil.copy(
        corpus / "aqua" / "examples" / TFACTION.name / "aqua" / "imports" / "node.yaml",
        prep.root / "aqua" / "imports" / "node.yaml",
    )
    before = prep.sums.read_bytes()
    result = prep.run("--format", "json", "checksums", "update", str(prep.root), "--allow-tofu")
    assert result.code == 3, result.out + result.err
    (skip,) = result.json()["skipped"]
    assert skip["subject"].startswith("nodejs/node")
    assert "version_expr" in skip["reason"]
    assert prep.sums.read_bytes() == before
