"""Terraform configuration: ``scan_tf``, ``scan_tf_json``, the ``hcl_scan`` lexer, and
``build_module`` over what they read.

Contracts: ``scan_tf``/``scan_tf_json`` return a ``TfFile`` or raise ``InputError`` (with a
line for ``.tf``); the lexer functions raise only ``ScanError`` (with an offset inside the
text); ``build_module`` raises only ``InputError``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats import hcl_scan
from depguard.formats.hcl_scan import ScanError
from depguard.formats.tf_config import build_module
from depguard.formats.tf_scan import TfFile, scan_tf, scan_tf_json
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import (
    HUGE_INT,
    deep_json,
    example_seeds,
    json_text,
    json_values,
    mutated,
    noise,
    read_seeds,
    tf_documents,
    tf_json_documents,
)

pytestmark = pytest.mark.fuzz

EXAMPLE_TF = example_seeds("**/*.tf")
HCL_ALPHABET = "abcx_-.=\n {}[]()\"'#/*$%<>EOF\\,:?!~0123456789"


@pytest.fixture(scope="module")
def corpus_tf(corpus: Path) -> list[str]:
    seeds = read_seeds(corpus, ["**/*.tf"])
    if not seeds:
        pytest.skip("the corpus has no .tf files")
    return seeds


def _scan(text: str) -> None:
    result = outcome(
        scan_tf, text, "fuzz.tf", raises=(InputError,), err_path="fuzz.tf", err_text=text
    )
    if result.value is not None:
        _module(result.value)


def _module(tf: TfFile) -> None:
    """Whatever scans also builds into a module or fails with InputError (naming the file)."""
    outcome(build_module, [tf], "mod", raises=(InputError,))


@given(text=mutated(st.sampled_from(EXAMPLE_TF), max_steps=4))
def test_mutated_example_tf(text: str) -> None:
    _scan(text)


@given(text=mutated(tf_documents(), max_steps=3))
def test_generated_tf(text: str) -> None:
    _scan(text)


@given(text=noise(HCL_ALPHABET, max_size=300))
def test_random_tf(text: str) -> None:
    _scan(text)


@given(data=st.data())
def test_mutated_corpus_tf(corpus_tf: list[str], data: st.DataObject) -> None:
    _scan(data.draw(mutated(st.sampled_from(corpus_tf))))


@given(text=st.sampled_from(["{" * n + "}" * n for n in (100, 2000)] + ["a {" * 3000]))
def test_deeply_nested_tf(text: str) -> None:
    _scan(text)


@given(text=tf_documents())
def test_generated_tf_scans(text: str) -> None:
    """The generator writes valid HCL: it must scan (else the generator or scanner is off)."""
    tf = scan_tf(text, "gen.tf")
    assert all(r.line is not None and r.line >= 1 for r in tf.provider_refs)


def _scan_json(text: str) -> None:
    result = outcome(scan_tf_json, text, "fuzz.tf.json", raises=(InputError,), err_text=text)
    if result.value is not None:
        _module(result.value)


@given(text=mutated(tf_json_documents(), max_steps=2))
def test_generated_tf_json(text: str) -> None:
    _scan_json(text)


@given(text=json_text(json_values()) | noise('{}[]",:0123456789.eE-+ truefalsn\\u'))
def test_random_tf_json(text: str) -> None:
    _scan_json(text)


@example(text='{"terraform": {"required_providers": {"a": {"configuration_aliases": 5}}}}')
@given(text=st.just('{"terraform": {"required_providers": {"a": {"configuration_aliases": 1}}}}'))
def test_regression_tf_json_configuration_aliases_not_a_list(text: str) -> None:
    """Regression test: a bug this fuzzer found, since fixed.

    Was: ``scan_tf_json`` iterates ``configuration_aliases`` whatever its type: a number (or
    ``true``) raises ``TypeError: 'int' object is not iterable`` instead of ``InputError``."""
    outcome(scan_tf_json, text, "x.tf.json", raises=(InputError,))


@example(text='{"locals": {"a": ' + HUGE_INT + "}}")
@given(text=st.integers(4301, 6000).map(lambda n: "[" + "1" * n + "]"))
def test_regression_tf_json_huge_integer(text: str) -> None:
    """Regression test: a bug this fuzzer found, since fixed.

    Was: ``scan_tf_json`` catches only ``JSONDecodeError``: an integer literal of more than
    4300 digits makes ``json.loads`` raise a plain ``ValueError`` (CPython's int/str
    conversion limit), which leaks."""
    outcome(scan_tf_json, text, "x.tf.json", raises=(InputError,))


@given(text=st.sampled_from(deep_json()))
def test_deeply_nested_tf_json(text: str) -> None:
    """Regression (found by this fuzzer, fixed alongside it): ``scan_tf_json`` let the
    ``RecursionError`` of ``json.loads`` on a few thousand nested ``[`` escape."""
    result = outcome(scan_tf_json, text, "x.tf.json", raises=(InputError,))
    assert isinstance(result.error, InputError)


# --- the lexer ------------------------------------------------------------------------------

LEXER = {
    "skip_space": lambda t, p: hcl_scan.skip_space(t, p),
    "skip_space_no_newlines": lambda t, p: hcl_scan.skip_space(t, p, newlines=False),
    "read_quoted": lambda t, p: hcl_scan.read_quoted(t, p)[1],
    "skip_quoted": hcl_scan.skip_quoted,
    "skip_expression": hcl_scan.skip_expression,
    "skip_expression_in_object": lambda t, p: hcl_scan.skip_expression(t, p, in_object=True),
    "skip_body": lambda t, p: hcl_scan.skip_body(t, p, max(p - 1, 0)),
}


@given(
    text=noise(HCL_ALPHABET, max_size=200) | mutated(st.sampled_from(EXAMPLE_TF)),
    fn=st.sampled_from(sorted(LEXER)),
    data=st.data(),
)
def test_lexer_raises_only_scan_error(text: str, fn: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, len(text)))
    if fn in ("read_quoted", "skip_quoted"):
        text = text[:pos] + '"' + text[pos:]  # their precondition: a quote at pos
    result = outcome(LEXER[fn], text, pos, raises=(ScanError,))
    if isinstance(result.error, ScanError):
        assert 0 <= result.error.pos <= len(text)
        assert hcl_scan.line_of(text, result.error.pos) >= 1
    elif result.value is not None:
        assert pos <= result.value <= len(text)
