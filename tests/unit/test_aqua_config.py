"""aqua.yaml loading (depguard.formats.aqua_config) against aqua's reader semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from depguard.errors import InputError
from depguard.formats.aqua_config import (
    AquaRegistryRef,
    ChecksumSettings,
    find_configs,
    load_config,
)

STANDARD = "registries:\n  - type: standard\n    ref: v4.300.0\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as e:
        load_config(path, **kwargs)  # type: ignore[arg-type]
    return e.value


# --- the corpus ---------------------------------------------------------------------------


def test_every_corpus_config_loads(corpus: Path) -> None:
    examples = corpus / "aqua" / "examples"
    configs = find_configs(examples)
    assert len(configs) >= 20
    extra = sorted(examples.rglob("aqua-global*.yaml"))
    assert extra
    for path in [*configs, *extra]:
        repo = examples / path.relative_to(examples).parts[0]
        config = load_config(path, repo_root=repo)
        assert config.registries, path
        for pkg in config.packages:
            assert pkg.name, pkg
            assert pkg.version or pkg.version_expr or pkg.go_version_file, pkg
            assert pkg.registry in config.registries, pkg


def test_find_configs_names_and_skipped_dirs(corpus: Path, tmp_path: Path) -> None:
    for name in [
        "aqua.yaml",
        "a/.aqua.yml",
        "b/aqua/aqua.yaml",
        "c/.aqua/aqua.yml",
        "d/aqua-policy.yaml",
        "d/imports/x.yaml",
        ".git/aqua.yaml",
        "e/node_modules/aqua.yaml",
        "f/.terraform/aqua.yaml",
    ]:
        _write(tmp_path / name, "")
    found = [p.relative_to(tmp_path).as_posix() for p in find_configs(tmp_path)]
    assert found == ["a/.aqua.yml", "aqua.yaml", "b/aqua/aqua.yaml", "c/.aqua/aqua.yml"]


def test_corpus_name_with_version_splits_at_the_first_at(corpus: Path) -> None:
    path = corpus / "aqua/examples/cybozu-go-accurate/aqua.yaml"
    config = load_config(path)
    kustomize = next(p for p in config.packages if p.name == "kubernetes-sigs/kustomize")
    assert kustomize.version == "kustomize/v5.8.0"
    assert not kustomize.pinned
    assert kustomize.registry == "standard"
    assert kustomize.line == 19
    assert config.checksum == ChecksumSettings(
        enabled=True, require_checksum=True, supported_envs=("darwin", "linux"), line=3
    )
    local = config.registries["local"]
    assert local.type == "local"
    assert local.path == str(path.parent.absolute() / "registry.yaml")
    assert local.checksum_id is None
    assert not local.is_standard


def test_corpus_three_standard_registries_pinned_by_commit(corpus: Path) -> None:
    config = load_config(corpus / "aqua/examples/aquaproj-aqua-tests/tests/cosign/aqua.yaml")
    assert sorted(config.registries) == ["soulshack", "standard", "tfcmt"]
    for registry in config.registries.values():
        assert registry.is_standard
        assert registry.declared_type == "standard"
        assert registry.ref is not None and len(registry.ref) == 40
    tfcmt = config.registries["tfcmt"]
    assert tfcmt.checksum_id == (
        "registries/github_content/github.com/aquaproj/aqua-registry/"
        "501377ba89acc447dce6b7ad69f51f705d00bff0/registry.yaml"
    )
    assert [p.registry for p in config.packages] == ["standard", "tfcmt", "soulshack"]


def test_corpus_local_registry_named_standard_is_not_standard(corpus: Path) -> None:
    config = load_config(corpus / "aqua/examples/aquaproj-aqua-registry/aqua.yaml")
    registry = config.registries["standard"]
    assert registry.type == "local"
    assert not registry.is_standard
    assert {p.registry for p in config.packages} == {"standard"}


def test_corpus_null_entries_and_go_version_file(corpus: Path) -> None:
    path = corpus / "aqua/examples/aquaproj-aqua-tests/tests/main/aqua.yaml"
    config = load_config(path)
    assert list(config.registries) == ["standard"]
    names = [p.name for p in config.packages]
    assert names == [
        "kubernetes-sigs/kind",
        "cycloidio/terracognita",
        "dlvhdr/gh-dash",
        "golang/go",
    ]
    kind = config.packages[0]
    assert kind.pinned and kind.version == "v0.32.0"
    go = config.packages[3]
    assert go.go_version_file is not None and go.go_version_file.endswith("go.mod")
    assert go.version == ""  # the corpus has no go.mod there


def test_corpus_imports_and_import_dir(corpus: Path) -> None:
    examples = corpus / "aqua/examples"
    config = load_config(examples / "aquaproj-example-update-checksum/aqua.yaml")
    assert [p.name for p in config.packages] == [
        "rhysd/actionlint",
        "int128/ghcp",
        "reviewdog/reviewdog",
    ]
    assert [p.name for p in config.imported_files] == [
        "actionlint.yaml",
        "ghcp.yaml",
        "reviewdog.yaml",
    ]
    assert config.packages[0].file.endswith("aqua/actionlint.yaml")
    assert config.packages[0].line == 2
    tfaction = load_config(examples / "suzuki-shunsuke-tfaction/aqua/aqua.yaml")
    assert len(tfaction.packages) == len(tfaction.imported_files) == 14
    node = next(p for p in tfaction.packages if p.name == "nodejs/node")
    assert node.version == ""
    assert node.version_expr == 'readFile("../../.node-version")'
    assert node.version_expr_prefix == "v"


def test_checksums_path(corpus: Path, tmp_path: Path) -> None:
    config = load_config(corpus / "aqua/examples/cybozu-go-accurate/aqua.yaml")
    assert config.checksums_path().name == "aqua-checksums.json"
    assert config.checksums_path().exists()
    path = _write(tmp_path / "aqua.yaml", STANDARD)
    assert load_config(path).checksums_path() == tmp_path / "aqua-checksums.json"
    _write(tmp_path / ".aqua-checksums.json", "{}")
    assert load_config(path).checksums_path() == tmp_path / ".aqua-checksums.json"
    _write(tmp_path / "aqua-checksums.json", "{}")
    assert load_config(path).checksums_path() == tmp_path / "aqua-checksums.json"


# --- packages -------------------------------------------------------------------------------


def test_package_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "aqua.yaml",
        STANDARD
        + "  - name: other\n    type: standard\n    ref: v4.1.0\n"
        + "packages:\n"
        + "  - name: a/b@v1.0.0@x\n"
        + "  - name: c/d\n    version: 1.10\n    registry: other\n"
        + "  - name: e/f@v2\n    version: v3\n"
        + "  - name: g/h@v1\n    tags: [x]\n    description: d\n    link: l\n"
        + "    update: {enabled: false}\n    vars: {go_version: '1.22'}\n"
        + "    command_aliases: [{command: h, alias: hh}]\n",
    )
    packages = load_config(path).packages
    assert [(p.name, p.version, p.registry, p.pinned, p.line) for p in packages] == [
        ("a/b", "v1.0.0@x", "standard", False, 8),
        ("c/d", "1.10", "other", True, 9),  # go-yaml keeps the text of a number
        ("e/f", "v2", "standard", True, 12),  # the name's version wins
        ("g/h", "v1", "standard", False, 14),
    ]
    assert packages[3].vars == {"go_version": "1.22"}
    assert packages[0].file == str(path)


def test_package_errors(tmp_path: Path) -> None:
    path = _write(tmp_path / "aqua.yaml", STANDARD + "packages:\n  - name: a/b\n")
    e = _error(path)
    assert e.line == 5 and "package 'a/b' has no version" in str(e)
    path = _write(tmp_path / "aqua.yaml", STANDARD + "packages:\n  - version: v1\n")
    assert "a package has no name" in str(_error(path))
    path = _write(
        tmp_path / "aqua.yaml", STANDARD + "packages:\n  - name: a/b@v1\n    verison: x\n"
    )
    e = _error(path)
    assert (e.path, e.line) == (str(path), 6)
    assert "unknown key 'verison' in packages[0]" in str(e)
    assert e.hint == "did you mean 'version'?"
    path = _write(tmp_path / "aqua.yaml", STANDARD + "packages:\n  - name: [a]\n")
    e = _error(path)
    assert e.line == 5 and "packages[0].name: expected a string, got a list" in str(e)
    path = _write(tmp_path / "aqua.yaml", STANDARD + "packages: a/b@v1\n")
    e = _error(path)
    assert e.line == 4 and "packages: expected a list" in str(e)
    path = _write(tmp_path / "aqua.yaml", STANDARD + "packages:\n  - a/b@v1\n")
    e = _error(path)
    assert e.line == 5 and "packages[0]: expected a mapping" in str(e)


def test_go_version_file(tmp_path: Path) -> None:
    _write(tmp_path / "go.mod", "module x\n\ngo 1.22.3\n\ntoolchain go1.23.0\n")
    path = _write(
        tmp_path / "aqua/aqua.yaml",
        STANDARD + "packages:\n  - name: golang/go\n    go_version_file: ../go.mod\n",
    )
    (pkg,) = load_config(path, repo_root=tmp_path).packages
    assert pkg.version == "1.22.3"
    assert pkg.go_version_file == str(tmp_path / "go.mod")
    outside = _write(
        tmp_path / "repo/aqua.yaml",
        STANDARD + "packages:\n  - name: golang/go\n    go_version_file: ../go.mod\n",
    )
    e = _error(outside, repo_root=tmp_path / "repo")
    assert e.line == 6 and "outside the repository" in str(e)


# --- top level and checksum -------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = _write(tmp_path / "aqua.yaml", STANDARD + "checksums:\n  enabled: true\n")
    e = _error(path)
    assert (e.path, e.line) == (str(path), 4)
    assert e.hint == "did you mean 'checksum'?"


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "aqua.yaml", STANDARD + "packages:\n  - name: [oops\n")
    e = _error(path)
    assert e.path == str(path)
    assert e.line is not None and e.line >= 5
    path = _write(tmp_path / "aqua.yaml", "registries: []\nregistries: []\n")
    assert _error(path).line == 2
    path = _write(tmp_path / "aqua.yaml", "")
    assert "empty" in str(_error(path))
    path = _write(tmp_path / "aqua.yaml", "- a\n")
    assert "must be a mapping" in str(_error(path))


@pytest.mark.parametrize(
    ("block", "line", "fragment"),
    [
        ("checksum:\n  enabled: 'true'\n", 5, "checksum.enabled: expected a boolean"),
        ("checksum:\n  require: true\n", 5, "unknown key 'require' in checksum"),
        ("checksum:\n  supported_envs:\n  - linux\n  - freebsd\n", 7, "'freebsd'"),
        ("checksum:\n  supported_envs:\n  - linux/386\n", 6, "'linux/386'"),
        ("checksum:\n  supported_envs: linux\n", 5, "expected a list"),
        ("checksum: true\n", 4, "checksum: expected a mapping"),
    ],
)
def test_checksum_block_errors(tmp_path: Path, block: str, line: int, fragment: str) -> None:
    path = _write(tmp_path / "aqua.yaml", STANDARD + block)
    e = _error(path)
    assert e.line == line
    assert fragment in str(e)


def test_checksum_block(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "aqua.yaml",
        STANDARD + "checksum:\n  enabled: true\n  supported_envs: [all, darwin/arm64, amd64]\n",
    )
    assert load_config(path).checksum == ChecksumSettings(
        enabled=True, supported_envs=("all", "darwin/arm64", "amd64"), line=4
    )
    path = _write(tmp_path / "aqua.yaml", STANDARD + "checksum:\n  supported_envs: []\n")
    assert load_config(path).checksum == ChecksumSettings(line=4)
    path = _write(tmp_path / "aqua.yaml", STANDARD)
    assert load_config(path).checksum == ChecksumSettings()


# --- registries -------------------------------------------------------------------------------


def _registries(tmp_path: Path, text: str, **kwargs: object) -> dict[str, AquaRegistryRef]:
    path = _write(tmp_path / "aqua.yaml", "registries:\n" + text)
    return dict(load_config(path, **kwargs).registries)  # type: ignore[arg-type]


def test_standard_registry_normalisation(tmp_path: Path) -> None:
    regs = _registries(
        tmp_path,
        "- type: standard\n  ref: v4.1.0\n"
        "- name: pinned\n  type: standard\n  ref: 0123456789abcdef0123456789abcdef01234567\n"
        "- name: gc\n  type: github_content\n  repo_owner: aquaproj\n  repo_name: aqua-registry\n"
        "  ref: v4.2.0\n  path: registry.yaml\n"
        "- name: fork\n  type: standard\n  repo_owner: evil\n  ref: v1.0.0\n"
        "- name: private\n  type: github_content\n  repo_owner: me\n  repo_name: reg\n"
        "  ref: v1\n  path: pkgs/registry.yaml\n  private: true\n",
    )
    standard = regs["standard"]
    assert (standard.type, standard.declared_type, standard.line) == (
        "github_content",
        "standard",
        2,
    )
    assert (standard.repo_owner, standard.repo_name, standard.path) == (
        "aquaproj",
        "aqua-registry",
        "registry.yaml",
    )
    assert standard.is_standard and regs["pinned"].is_standard and regs["gc"].is_standard
    assert not regs["fork"].is_standard  # defaults only fill empty fields
    assert regs["fork"].repo_owner == "evil"
    assert regs["private"].private
    assert regs["private"].checksum_id == (
        "registries/github_content/github.com/me/reg/v1/pkgs/registry.yaml"
    )


def test_registries_later_name_wins_and_null_is_skipped(tmp_path: Path) -> None:
    regs = _registries(
        tmp_path,
        "- type: standard\n  ref: v1.0.0\n- null\n- type: standard\n  ref: v2.0.0\n",
    )
    assert list(regs) == ["standard"]
    assert regs["standard"].ref == "v2.0.0"
    assert regs["standard"].line == 5


@pytest.mark.parametrize("ref", ["main", "master"])
def test_main_or_master_ref_is_refused(tmp_path: Path, ref: str) -> None:
    path = _write(
        tmp_path / "aqua.yaml", f"registries:\n- name: x\n  type: standard\n  ref: {ref}\n"
    )
    e = _error(path)
    assert (e.path, e.line) == (str(path), 2)
    assert f"ref must not be '{ref}'" in str(e)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("- type: standard\n", 2, "ref is required"),
        ("- type: github_content\n  repo_owner: a\n  ref: v1\n  path: r.yaml\n", 2, "repo_name"),
        ("- type: github_content\n  repo_owner: a\n  repo_name: b\n  ref: v1\n", 2, "path is"),
        ("- name: l\n  type: local\n", 2, "path is required"),
        ("- name: h\n  type: http\n  url: x\n", 4, "unknown key 'url'"),
        ("- name: h\n  type: http\n", 2, "unknown registry type 'http'"),
        ("- name: n\n  ref: v1\n", 2, "registry type is required"),
        ("- type: standard\n  ref: v1\n  private: 'yes'\n", 4, "expected a boolean"),
        ("- type: standard\n  ref: [v1]\n", 3, "expected a string"),
        ("- standard\n", 2, "registries[0]: expected a mapping"),
    ],
)
def test_registry_errors(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = _write(tmp_path / "aqua.yaml", "registries:\n" + text)
    e = _error(path)
    assert (e.path, e.line) == (str(path), line), str(e)
    assert fragment in str(e)


def test_local_registry_paths(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    regs = _registries(
        repo / "aqua",
        "- name: a\n  type: local\n  path: ../registry.yaml\n"
        "- name: b\n  type: local\n  path: sub/./r.yaml\n",
        repo_root=repo,
    )
    # The config is repo/aqua/aqua.yaml: paths are relative to its directory, cleaned.
    assert regs["a"].path == str(repo / "registry.yaml")
    assert regs["b"].path == str(repo / "aqua" / "sub" / "r.yaml")


def test_local_registry_escaping_the_repo_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for target in ["../../outside.yaml", "/etc/registry.yaml", "$HOME/registry.yaml"]:
        path = _write(
            repo / "aqua.yaml",
            "registries:\n- type: standard\n  ref: v1\n"
            f"- name: l\n  type: local\n  path: {target}\n",
        )
        e = _error(path, repo_root=repo, home_dir=tmp_path / "home")
        assert (e.path, e.line) == (str(path), 4)
        assert "outside the repository" in str(e)
    # Without a repository root aqua's semantics apply unchanged.
    regs = _registries(
        tmp_path / "x", "- name: l\n  type: local\n  path: $HOME/r.yaml\n", home_dir=tmp_path / "h"
    )
    assert regs["l"].path == str(tmp_path / "h" / "r.yaml")


def test_symlink_escaping_the_repo_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "outside.yaml").write_text("packages: []\n")
    (repo / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    path = _write(repo / "aqua.yaml", "registries:\n- name: l\n  type: local\n  path: link.yaml\n")
    assert "outside the repository" in str(_error(path, repo_root=repo))


# --- imports ----------------------------------------------------------------------------------


def test_imports_are_relative_recursive_and_sorted(tmp_path: Path) -> None:
    _write(tmp_path / "aqua/imports/b.yaml", "packages:\n- name: b/b@v1\n- import: nested/*.yaml\n")
    _write(tmp_path / "aqua/imports/a.yaml", "packages:\n- name: a/a@v1\n")
    _write(tmp_path / "aqua/imports/nested/c.yaml", "packages:\n- name: c/c@v1\n")
    _write(tmp_path / "aqua/imports/.hidden.yaml", "packages:\n- name: h/h@v1\n")
    _write(tmp_path / "aqua/dir/x.yml", "packages:\n- name: x/yml@v1\n")
    _write(tmp_path / "aqua/dir/x.yaml", "packages:\n- name: x/yaml@v1\n")
    _write(tmp_path / "aqua/dir/ignored.txt", "")
    path = _write(
        tmp_path / "aqua/aqua.yaml",
        STANDARD + "import_dir: dir\npackages:\n- import: imports/*.yaml\n- name: own/own@v1\n",
    )
    config = load_config(path, repo_root=tmp_path)
    assert [p.name for p in config.packages] == [
        "h/h",  # Go's glob matches dot files
        "a/a",
        "b/b",
        "c/c",
        "own/own",
        "x/yml",  # import_dir: *.yml first, then *.yaml, after the packages
        "x/yaml",
    ]
    c = config.packages[3]
    assert c.file == str(tmp_path / "aqua/imports/nested/c.yaml")
    assert c.line == 2
    assert [p.name for p in config.imported_files] == [
        ".hidden.yaml",
        "a.yaml",
        "b.yaml",
        "c.yaml",
        "x.yml",
        "x.yaml",
    ]


def test_import_takes_precedence_over_the_name(tmp_path: Path) -> None:
    _write(tmp_path / "i.yaml", "packages:\n- name: i/i@v1\n")
    path = _write(
        tmp_path / "aqua.yaml", STANDARD + "packages:\n- name: n/n@v1\n  import: i.yaml\n"
    )
    assert [p.name for p in load_config(path).packages] == ["i/i"]


def test_import_cycle_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "packages:\n- import: b.yaml\n")
    _write(tmp_path / "b.yaml", "packages:\n- name: x/x@v1\n- import: a.yaml\n")
    path = _write(tmp_path / "aqua.yaml", STANDARD + "packages:\n- import: a.yaml\n")
    e = _error(path)
    assert e.path == str(tmp_path / "b.yaml")
    assert e.line == 3
    assert "import cycle" in str(e)
    self_import = _write(tmp_path / "self/aqua.yaml", STANDARD + "packages:\n- import: '*.yaml'\n")
    assert "import cycle" in str(_error(self_import))


def test_import_outside_the_repo_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "shared/x.yaml", "packages:\n- name: x/x@v1\n")
    path = _write(tmp_path / "repo/aqua.yaml", STANDARD + "packages:\n- import: ../shared/*.yaml\n")
    e = _error(path, repo_root=tmp_path / "repo")
    assert (e.path, e.line) == (str(path), 5)
    assert "outside the repository" in str(e)
    # An absolute-looking glob is still relative to the file (Go's filepath.Join).
    path = _write(tmp_path / "repo/aqua.yaml", STANDARD + "packages:\n- import: /shared/*.yaml\n")
    assert load_config(path, repo_root=tmp_path / "repo").packages == ()


def test_errors_in_imported_files_name_that_file(tmp_path: Path) -> None:
    bad = _write(tmp_path / "imports/bad.yaml", "packages:\n- name: a/a@v1\n  regsitry: x\n")
    path = _write(tmp_path / "aqua.yaml", STANDARD + "import_dir: imports\n")
    e = _error(path)
    assert (e.path, e.line) == (str(bad), 3)
