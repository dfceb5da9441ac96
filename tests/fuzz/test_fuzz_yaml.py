"""``load_yaml`` (PyYAML events → LineDict/LineList) and the typed getters.

Contract (``depguard.formats.yaml_lines``): ``load_yaml`` returns plain data or raises
``InputError`` (with a line where known) for invalid YAML, duplicate keys, recursive aliases,
alias bombs, deep nesting, several documents and tags; ``get_str``/``get_bool``/``get_list``/
``get_map``/``check_keys`` raise only ``InputError``. Plain data dumped by PyYAML loads back
equal, every node with a line inside the text.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.yaml_lines import (
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
from tests.fuzz.contract import max_line, outcome
from tests.fuzz.strategies import (
    WORDS,
    billion_laughs,
    example_seeds,
    json_values,
    mutated,
    noise,
    yaml_text,
)

pytestmark = pytest.mark.fuzz

EXAMPLE_YAML = example_seeds("**/*.yaml")
YAML_ALPHABET = "ab:-?[]{},&*!|>'\"#%@`\n \t<=~.0123456789"
BOMBS = [
    billion_laughs(),
    billion_laughs(levels=30, width=2),
    "[" * 3000,
    "- " * 3000 + "x",
    "a: &a [*a]",
    "&a [*a]",
    "a: 1\n---\nb: 2\n",
    "!!binary aGVsbG8=",
    "!!python/object/apply:os.system ['true']",
    "a: !!set {x}",
    "x: !local 1",
    "{? [a]: 1}",
    "a: " + "9" * 5000,
    "a: 1e99999",
    "a: 0x" + "F" * 5000,
    "a: 1_000:00:00",
    "a: !!int x",
    "a: !!bool maybe",
    "a: !!float nope",
    "<<: 1",
    "<<: [1, 2]",
    "b: &b {x: 1}\na: {<<: [*b, *b], y: 2}",
]


def _walk_lines(value: Any, text: str) -> None:
    """Every node the loader returns carries a line inside the text."""
    limit = max_line(text)
    if isinstance(value, LineDict):
        assert 1 <= value.line <= limit
        for key, item in value.items():
            assert 1 <= value.key_line(key) <= limit
            _walk_lines(item, text)
    elif isinstance(value, LineList):
        assert 1 <= value.line <= limit
        for index, item in enumerate(value):
            assert 1 <= value.item_line(index) <= limit
            _walk_lines(item, text)


def _typed_access(value: Any, path: str) -> None:
    if not isinstance(value, LineDict):
        return
    for key in [*list(value)[:4], "missing"]:
        for getter in (get_str, get_bool, get_list, get_map):
            outcome(
                getter,
                value,
                key,
                path,
                "where",
                raises=(InputError,),
                err_path=path,
            )
        line_of(value, key)
    outcome(check_keys, value, ("a", "b"), path, raises=(InputError,), err_path=path)


def _load(text: str) -> Any:
    result = outcome(
        load_yaml, text, "fuzz.yaml", raises=(InputError,), err_path="fuzz.yaml", err_text=text
    )
    if result.value is not None:
        _walk_lines(result.value, text)
        _typed_access(result.value, "fuzz.yaml")
    return result.value


def _plain(value: Any) -> Any:
    """LineDict/LineList → dict/list, for comparison with the data that was dumped."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@given(data=json_values(max_leaves=16), flow=st.sampled_from((False, True, None)))
def test_dumped_data_loads_back_equal(data: Any, flow: bool | None) -> None:
    # allow_unicode=False: PyYAML's emitter writes a raw NEL (\x85) into a quoted scalar
    # with allow_unicode=True, and every YAML reader folds it to a space (not depguard's bug).
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=False)
    loaded = load_yaml(text, "x.yaml")
    assert _plain(loaded) == data
    _walk_lines(loaded, text)


@given(text=mutated(yaml_text(), max_steps=3))
def test_mutated_generated_yaml(text: str) -> None:
    _load(text)


@given(text=mutated(st.sampled_from(EXAMPLE_YAML), max_steps=3))
def test_mutated_example_yaml(text: str) -> None:
    _load(text)


@given(text=noise(YAML_ALPHABET, max_size=150))
def test_random_yaml(text: str) -> None:
    _load(text)


@given(text=st.sampled_from(BOMBS), prefix=st.sampled_from(("", "\ufeff", "k: v\n")))
def test_bombs_and_refused_constructs(text: str, prefix: str) -> None:
    _load(prefix + text)


@given(keys=st.lists(WORDS, min_size=2, max_size=5))
def test_duplicate_keys_are_refused_with_their_lines(keys: list[str]) -> None:
    text = "".join(f"{k!r}: {i}\n" for i, k in enumerate(keys))
    result = outcome(load_yaml, text, "d.yaml", raises=(InputError,), err_text=text)
    if len(set(keys)) < len(keys):
        assert isinstance(result.error, InputError) and "duplicate key" in str(result.error)
    else:
        assert result.value is not None and list(result.value) == keys


@example(digits=4000)
@given(digits=st.integers(3600, 6000))
def test_regression_huge_hex_integer_cannot_be_described(digits: int) -> None:
    """Regression test: a bug this fuzzer found, since fixed.

    Was: ``load_yaml`` accepts a hex integer of any size (``int(x, 16)`` has no digit limit),
    then ``describe()`` formats it in decimal for the error of ``get_bool``/``get_list``/
    ``get_map`` (and every aqua loader that reports a wrong type): CPython's 4300-digit
    int/str conversion limit raises ``ValueError`` instead of the ``InputError``."""
    text = "a: 0x" + "F" * digits + "\n"
    data = load_yaml(text, "x.yaml")
    outcome(get_bool, data, "a", "x.yaml", raises=(InputError,))
