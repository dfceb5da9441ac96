"""aqua registries (depguard.formats.aqua_registry): lookup keys, aliases, trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from depguard.errors import InputError
from depguard.formats.aqua_registry import load_registry_tree, parse_registry
from depguard.formats.yaml_lines import LineDict


def test_corpus_tree_loads_every_package(corpus: Path) -> None:
    root = corpus / "aqua" / "registry"
    files = sorted((root / "pkgs").rglob("registry.yaml"))
    assert len(files) == 168
    tree = load_registry_tree(root)
    assert len(tree.packages) >= 168
    assert {p.file for p in tree.packages} == {str(f) for f in files}
    for pkg in tree.packages:
        assert pkg.name
        assert isinstance(pkg.raw, LineDict)
        assert tree.lookup(pkg.name) is pkg
        assert pkg.line == pkg.raw.line
        for alias in pkg.aliases:
            assert tree.lookup(alias) is pkg
    # Each file also parses on its own.
    for file in files:
        assert parse_registry(file.read_text(encoding="utf-8"), str(file)).packages


def test_corpus_tree_matches_the_concatenated_registry(corpus: Path) -> None:
    root = corpus / "aqua" / "registry"
    tree = load_registry_tree(root)
    single = load_registry_tree(root / "registry.yaml")
    assert single.path == str(root / "registry.yaml")
    assert [p.name for p in tree.packages] == [p.name for p in single.packages]
    assert [dict(p.raw) for p in tree.packages] == [dict(p.raw) for p in single.packages]
    assert tree.names() == single.names()


def test_corpus_aliases(corpus: Path) -> None:
    tree = load_registry_tree(corpus / "aqua" / "registry")
    jq = tree.lookup("stedolan/jq")
    assert jq is not None
    assert jq.name == "jqlang/jq"
    assert tree.lookup("no/such-package") is None


def test_corpus_local_registries(corpus: Path) -> None:
    examples = corpus / "aqua" / "examples"
    accurate = load_registry_tree(examples / "cybozu-go-accurate" / "registry.yaml")
    assert [p.name for p in accurate.packages] == [
        "kubernetes/code-generator/applyconfiguration-gen",
        "kubernetes/code-generator/conversion-gen",
    ]
    libc = examples / "aquaproj-aqua-tests" / "tests" / "libc" / "registry.yaml"
    assert load_registry_tree(libc).packages
    # aqua's own malformed test registry: strict YAML refuses the duplicated key.
    main = examples / "aquaproj-aqua-tests" / "tests" / "main" / "registry.yaml"
    with pytest.raises(InputError) as e:
        load_registry_tree(main)
    assert (e.value.path, e.value.line) == (str(main), 45)


def test_lookup_keys_and_first_definition_wins() -> None:
    text = """\
packages:
  - type: github_release
    repo_owner: o
    repo_name: r
    aliases:
      - name: old/r
  - name: named/pkg
    type: github_release
    repo_owner: x
    repo_name: y
  - type: go_install
    path: golang.org/x/tools/cmd/goimports
  - null
  - type: github_release
    description: no key at all, ignored like aqua
  - type: http
    repo_owner: o
    repo_name: r
    description: duplicate, ignored with its aliases
    aliases:
      - name: dup-alias
  - name: other
    aliases:
      - name: named/pkg
      - name: other-alias
      - name: 2024
"""
    registry = parse_registry(text, "registry.yaml")
    assert [p.name for p in registry.packages] == [
        "o/r",
        "named/pkg",
        "golang.org/x/tools/cmd/goimports",
        "o/r",
        "other",
    ]
    first = registry.lookup("o/r")
    assert first is not None and first.line == 2 and first.raw["type"] == "github_release"
    assert registry.lookup("old/r") is first
    assert registry.lookup("dup-alias") is None
    named = registry.lookup("named/pkg")
    assert named is not None and named.raw["repo_owner"] == "x"  # an alias never overrides
    other = registry.lookup("other-alias")
    assert other is not None and other.name == "other"
    assert other.aliases == ("named/pkg", "other-alias", "2024")  # go-yaml string view
    assert registry.lookup("2024") is other
    assert registry.names() == [
        "2024",
        "golang.org/x/tools/cmd/goimports",
        "named/pkg",
        "o/r",
        "old/r",
        "other",
        "other-alias",
    ]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("packages:\n  - name: [x]\n", 2, "packages[0].name: expected a string"),
        ("packages: {}\n", 1, "packages: expected a list"),
        ("packages:\n  - just-a-string\n", 2, "packages[0]: expected a mapping"),
        ("packages: []\nregistries: []\n", 2, "unknown key 'registries'"),
        ("packages:\n  - name: a\n    aliases: x\n", 3, "aliases: expected a list"),
        ("packages:\n  - name: a\n    aliases:\n      - b\n", 4, "aliases[0]: expected a map"),
        ("packages:\n  - name: a\n    aliases:\n      - {name: b, x: 1}\n", 4, "unknown key 'x'"),
        ("- a\n", 1, "a registry must be a mapping"),
        ("packages:\n  - name: a\n    name: b\n", 3, "duplicate key 'name'"),
        ("packages:\n  - name: a\n  bad: 1\n", 3, "invalid YAML"),
    ],
)
def test_invalid_registries(text: str, line: int, fragment: str) -> None:
    with pytest.raises(InputError) as e:
        parse_registry(text, "registry.yaml")
    assert (e.value.path, e.value.line) == ("registry.yaml", line), str(e.value)
    assert fragment in str(e.value)


def test_empty_packages_and_tree_layouts(tmp_path: Path) -> None:
    assert parse_registry("packages:\n", "r.yaml").packages == ()
    (tmp_path / "single").mkdir()
    (tmp_path / "single" / "registry.yaml").write_text("packages:\n  - name: a/b\n")
    assert [p.name for p in load_registry_tree(tmp_path / "single").packages] == ["a/b"]
    tree = tmp_path / "tree"
    for rel, name in [("pkgs/b/registry.yaml", "b/b"), ("pkgs/a/x/registry.yaml", "a/x")]:
        (tree / rel).parent.mkdir(parents=True)
        (tree / rel).write_text(f"packages:\n  - name: {name}\n")
    (tree / "registry.yaml").write_text("packages:\n  - name: ignored/when-pkgs-exists\n")
    loaded = load_registry_tree(tree)
    assert [p.name for p in loaded.packages] == ["a/x", "b/b"]
    assert loaded.path == str(tree)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no registry\.yaml"):
        load_registry_tree(tmp_path / "empty")
    with pytest.raises(InputError, match="no such file or directory"):
        load_registry_tree(tmp_path / "missing.yaml")
