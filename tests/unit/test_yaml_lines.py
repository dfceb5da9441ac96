"""Safe YAML loading with line numbers (depguard.formats.yaml_lines)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from depguard.errors import InputError
from depguard.formats.yaml_lines import (
    MAX_ALIAS_NODES,
    MAX_BYTES,
    LineDict,
    LineList,
    check_keys,
    get_bool,
    get_list,
    get_map,
    get_str,
    line_of,
    load_yaml,
)


def test_lines_of_mappings_sequences_and_keys() -> None:
    data = load_yaml("# c\nregistries:\n  - type: standard\n    ref: v1\npackages: []\n", "a.yaml")
    assert isinstance(data, LineDict)
    assert data.line == 2
    assert data.key_line("registries") == 2
    assert data.key_line("packages") == 5
    assert data.key_line("missing") == 2
    regs = data["registries"]
    assert isinstance(regs, LineList)
    assert regs.line == 3
    assert regs.item_line(0) == 3
    assert regs.item_line(7) == 3
    assert regs[0].key_line("ref") == 4
    assert line_of(regs[0], "ref") == 4
    assert line_of(regs, 0) == 3
    assert line_of(regs) == 3
    assert line_of("plain") is None


def test_scalar_item_lines() -> None:
    data = load_yaml("envs:\n- linux\n- 12\n", "a.yaml")
    assert data["envs"].item_line(1) == 3
    assert data["envs"].source_text(1) == "12"
    assert data["envs"].source_text(0) is None


def test_plain_data_matches_pyyaml() -> None:
    text = "a: [1, 2.5, true, null, ~, 'x']\nb: {c: d}\nc: |\n  text\n"
    assert load_yaml(text, "a.yaml") == yaml.safe_load(text)


def test_go_yaml_string_view_keeps_source_text() -> None:
    data = load_yaml("version: 1.10\nn: 0x1F\nb: yes\nq: '1.10'\nz: null\n", "a.yaml")
    assert data["version"] == 1.1  # the loaded value stays YAML's
    assert get_str(data, "version", "a.yaml") == "1.10"  # what go-yaml puts in a string field
    assert get_str(data, "n", "a.yaml") == "0x1F"
    assert get_str(data, "b", "a.yaml") == "yes"
    assert get_str(data, "q", "a.yaml") == "1.10"
    assert get_str(data, "z", "a.yaml") is None
    assert get_str(data, "absent", "a.yaml") is None


def test_timestamps_stay_strings_and_keys_are_strings() -> None:
    data = load_yaml("d: 2001-12-14\n1: one\ntrue: t\n", "a.yaml")
    assert data == {"d": "2001-12-14", "1": "one", "true": "t"}


def test_aliases_share_values_and_keep_lines() -> None:
    data = load_yaml("a: &x\n  k: v\nb: *x\nc: &s 1.50\nd: *s\n", "a.yaml")
    assert data["b"] is data["a"]
    assert data["a"].key_line("k") == 2
    assert get_str(data, "d", "a.yaml") == "1.50"


def test_merge_keys_follow_go_yaml_order() -> None:
    text = (
        "base: &b {name: base, x: 1}\n"
        "other: &o {name: other, y: 2}\n"
        "after: {name: own, <<: *b}\n"  # go-yaml v2: the merge assigned later wins
        "before: {<<: *b, name: own}\n"
        "list: {<<: [*b, *o]}\n"  # earlier mappings of a list take precedence
    )
    data = load_yaml(text, "m.yaml")
    assert data["after"]["name"] == "base"
    assert data["before"]["name"] == "own"
    assert data["list"] == {"name": "base", "x": 1, "y": 2}
    assert data["list"].key_line("y") == 2


def test_merge_of_a_scalar_is_refused() -> None:
    with pytest.raises(InputError) as e:
        load_yaml("a: 1\nb:\n  <<: 3\n", "m.yaml")
    assert e.value.line == 3


def test_empty_document_is_none() -> None:
    assert load_yaml("", "e.yaml") is None
    assert load_yaml("# only a comment\n", "e.yaml") is None
    assert load_yaml("---\n", "e.yaml") is None


def test_bom_is_ignored() -> None:
    assert load_yaml("\ufeffa: 1\n", "b.yaml") == {"a": 1}


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: 1\nb: [\n", 3, "invalid YAML"),
        ("a: 1\n  b: 2\n", 2, "invalid YAML"),
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first on line 1)"),
        ("p:\n  - {x: 1, x: 2}\n", 2, "duplicate key 'x'"),
        ("a: 1\n---\nb: 2\n", 2, "several YAML documents"),
        ("a: !!binary aGVsbG8=\n", 1, "!!binary"),
        ("a: !!python/object/apply:os.system ['ls']\n", 1, "!!python/object/apply:os.system"),
        ("a: !custom x\n", 1, "'!custom'"),
        ("a: !!set {x}\n", 1, "!!set"),
        ("a: !!int nope\n", 1, "invalid !!int"),
        ("? [a, b]\n: 1\n", 1, "mapping keys must be scalars"),
        ("~: 1\n", 1, "a mapping key is null"),
        ("a: *nowhere\n", 1, "refers to no anchor"),
        ("a: &x\n  b: *x\n", 2, "recursive alias"),
        ("a: 1\nb: \x07\n", 2, "invalid YAML"),
    ],
)
def test_refusals_name_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(InputError) as e:
        load_yaml(text, "bad.yaml")
    assert e.value.path == "bad.yaml"
    assert e.value.line == line
    assert fragment in str(e.value)
    assert str(e.value).startswith(f"bad.yaml:{line}: ")


def test_alias_bomb_is_refused_quickly() -> None:
    # Billion laughs: 9 levels of 10 aliases each would expand to 10**9 values.
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        refs = ", ".join([f"*l{i - 1}"] * 10)
        lines.append(f"l{i}: &l{i} [{refs}]")
    started = time.monotonic()
    with pytest.raises(InputError, match="alias bomb") as e:
        load_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert time.monotonic() - started < 5
    assert e.value.line is not None and e.value.line > 1


def test_many_aliases_below_the_budget_are_fine() -> None:
    items = ", ".join(["*a"] * 1000)
    data = load_yaml(f"base: &a [1, 2, 3]\nuse: [{items}]\n", "ok.yaml")
    assert len(data["use"]) == 1000
    assert MAX_ALIAS_NODES >= 4000


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deep_flow_nesting_is_refused(depth: int) -> None:
    # libyaml may refuse very deep flow nesting itself before we see the events.
    with pytest.raises(InputError, match=r"deeper than 64|maximum nesting depth") as e:
        load_yaml("[" * depth + "]" * depth, "deep.yaml")
    assert e.value.line == 1


def test_deep_block_nesting_is_refused() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(70)) + "  " * 70 + "v\n"
    with pytest.raises(InputError, match="deeper than 64") as e:
        load_yaml(text, "deep.yaml")
    assert e.value.line == 65  # the 65th nested mapping starts there


def test_depth_64_is_allowed() -> None:
    assert load_yaml("[" * 64 + "]" * 64, "ok.yaml") is not None


def test_alias_expanding_past_the_depth_limit_is_refused() -> None:
    inner = "[" * 40 + "]" * 40
    with pytest.raises(InputError, match="deeper than 64"):
        load_yaml(f"a: &a {inner}\nb: {'[' * 30}*a{']' * 30}\n", "deep.yaml")


def test_oversized_document_is_refused() -> None:
    text = "a: '" + "x" * MAX_BYTES + "'\n"
    with pytest.raises(InputError, match="larger than"):
        load_yaml(text, "big.yaml")


def test_typed_getters() -> None:
    data = load_yaml("s: text\nl: [1]\nm: {a: 1}\nb: true\nn:\n", "t.yaml")
    assert get_list(data, "l", "t.yaml") == [1]
    assert get_map(data, "m", "t.yaml") == {"a": 1}
    assert get_bool(data, "b", "t.yaml") is True
    assert get_bool(data, "n", "t.yaml") is None
    with pytest.raises(InputError, match=r"top\.l: expected a string, got a list") as e:
        get_str(data, "l", "t.yaml", "top")
    assert e.value.line == 2
    with pytest.raises(InputError, match="expected a boolean, got a string"):
        get_bool(data, "s", "t.yaml")
    with pytest.raises(InputError, match="expected a list, got a mapping"):
        get_list(data, "m", "t.yaml")
    with pytest.raises(InputError, match="expected a mapping, got a boolean"):
        get_map(data, "b", "t.yaml")


def test_check_keys_suggests_a_close_key() -> None:
    data = load_yaml("registries: []\npackagse: []\n", "k.yaml")
    with pytest.raises(InputError) as e:
        check_keys(data, ("registries", "packages"), "k.yaml")
    assert e.value.line == 2
    assert "unknown key 'packagse' at the top level" in str(e.value)
    assert e.value.hint == "did you mean 'packages'?"


def test_every_corpus_yaml_loads_like_pyyaml(corpus: Path) -> None:
    files = sorted((corpus / "aqua").rglob("*.yaml"))
    assert len(files) > 200
    for file in files:
        text = file.read_text(encoding="utf-8")
        if file.match("aquaproj-aqua-tests/tests/main/registry.yaml"):
            # Deliberately malformed upstream test input: `name: foo` twice.
            with pytest.raises(InputError) as e:
                load_yaml(text, str(file))
            assert e.value.line == 45
            assert "duplicate key 'name'" in str(e.value)
            continue
        assert load_yaml(text, str(file)) == yaml.safe_load(text), file


def test_an_anchor_may_be_redefined_and_aliases_see_the_newest() -> None:
    # Go's YAML (aqua) accepts this, and the standard registry.yaml relies on it: it is the
    # concatenation of per-package files that reuse anchor names.
    data = load_yaml("a: &x 1\nb: *x\nc: &x 2\nd: *x\n", "f.yaml")
    assert data == {"a": 1, "b": 1, "c": 2, "d": 2}
