"""The lazy registry index answers every lookup exactly like a full parse."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from depguard.formats import aqua_registry
from depguard.formats.aqua_registry import LazyRegistry, parse_registry, parse_registry_lazily


def _lazy(text: str, path: str = "registry.yaml") -> LazyRegistry:
    scanned = aqua_registry._scan(text)
    assert scanned is not None, "the scan bailed out"
    lines, starts, keys = scanned
    return LazyRegistry(text, path, lines, starts, keys)


def _same(text: str) -> None:
    full = parse_registry(text, "registry.yaml")
    lazy = _lazy(text)
    assert lazy.names() == full.names()
    for name in full.names():
        a, b = full.lookup(name), lazy.lookup(name)
        assert a is not None and b is not None
        assert (a.name, a.line, a.aliases, a.file) == (b.name, b.line, b.aliases, b.file), name
        assert a.raw == b.raw, name
        assert a.raw.line == b.raw.line  # type: ignore[attr-defined]
    assert lazy.lookup("no/such-package") is None


def test_corpus_registry_every_lookup_matches_a_full_parse(corpus: Path) -> None:
    _same((corpus / "aqua" / "registry" / "registry.yaml").read_text())


def test_anchors_redefined_across_entries_resolve_like_the_full_parse(corpus: Path) -> None:
    text = (corpus / "aqua" / "registry" / "registry.yaml").read_text()
    head, body = text.split("packages:\n", 1)
    doubled = head + "packages:\n" + body + body  # every anchor defined twice, duplicates ignored
    _same(doubled)


SMALL = """\
# comment
packages:
  - type: github_release
    repo_owner: a
    repo_name: one
    asset: one
    checksum: &shared
      type: github_release
      asset: sums.txt
      algorithm: sha256
  - name: "b/two"
    type: github_release
    repo_owner: b
    repo_name: two
    asset: two
    checksum: *shared
    aliases:
      - name: b/deux
  - type: go_install
    path: example.com/three
  - type: github_release
    repo_owner: a
    repo_name: one
    asset: shadowed
"""


def test_alias_to_an_earlier_entry_and_first_definition_wins() -> None:
    _same(SMALL)
    lazy = _lazy(SMALL)
    two = lazy.lookup("b/deux")
    assert two is not None and two.raw["checksum"]["asset"] == "sums.txt"
    one = lazy.lookup("a/one")
    assert one is not None and one.raw["asset"] == "one"


@pytest.mark.parametrize(
    "text",
    [
        "packages: [{name: a/b}]\n",
        "other: 1\npackages:\n  - name: a/b\n",
        "packages:\n  - name: &n a/b\n",
        "packages:\n  - name: |\n      a/b\n",
        "packages:\n  - name: a/b\n    name: c/d\n",
        "packages:\n  - name: a/b\n    aliases: [{name: x}]\n",
    ],
)
def test_unusual_layouts_are_not_indexed(text: str) -> None:
    assert aqua_registry._scan(text) is None


def test_big_files_are_indexed_and_lookups_are_fast(corpus: Path) -> None:
    text = (corpus / "aqua" / "registry" / "registry.yaml").read_text()
    head, body = text.split("packages:\n", 1)
    big = head + "packages:\n" + body * 15  # about the size of the real standard registry
    registry = parse_registry_lazily(big, "registry.yaml")
    assert isinstance(registry, LazyRegistry)
    start = time.perf_counter()
    found = registry.lookup("suzuki-shunsuke/tfcmt")
    assert found is not None
    assert time.perf_counter() - start < 5  # generous: a full parse is the slow path
    assert found.raw == parse_registry(text, "r").lookup("suzuki-shunsuke/tfcmt").raw  # type: ignore[union-attr]
