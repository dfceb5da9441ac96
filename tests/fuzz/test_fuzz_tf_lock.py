"""``.terraform.lock.hcl``: ``parse_lock`` (fast and general paths) and ``render_lock``.

Contract (``depguard.formats.tf_lock``): ``parse_lock`` returns a ``LockFile`` or raises
``InputError`` with a line; ``render_lock(parse_lock(x))`` is byte-identical for lock files
Terraform wrote; any layout Terraform accepts parses to the same providers as the layout it
writes (the fast path and the general path agree).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.tf_lock import detect_header, parse_lock, render_lock
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import example_seeds, mutated, noise, provider_locks, read_seeds

pytestmark = pytest.mark.fuzz

EXAMPLE_LOCKS = example_seeds("envs/**/.terraform.lock.hcl")


@pytest.fixture(scope="module")
def corpus_locks(corpus: Path) -> list[str]:
    seeds = read_seeds(corpus, ["**/*.terraform.lock.hcl", "**/.terraform.lock.hcl"])
    if not seeds:
        pytest.skip("the corpus has no lock files")
    return seeds


def _facts(providers: Any) -> list[tuple[Any, ...]]:
    return [(p.address, p.version, p.constraints, p.hashes) for p in providers]


def _check_round_trip(text: str) -> None:
    """Whatever parses renders to a lock file that parses to the same providers."""
    result = outcome(
        parse_lock, text, "fuzz.hcl", raises=(InputError,), err_path="fuzz.hcl", err_text=text
    )
    if result.value is None:
        return
    providers = result.value.providers
    rendered = render_lock(providers)
    again = parse_lock(rendered, "again.hcl").providers
    expected = [
        (p.address, p.version, p.constraints, tuple(sorted(set(p.hashes)))) for p in providers
    ]
    assert _facts(again) == sorted(expected, key=lambda f: f[0])
    assert render_lock(again) == rendered


@given(providers=provider_locks(), tool=st.sampled_from((None, "terraform", "tofu")))
def test_render_then_parse_is_exact(providers: list[Any], tool: str | None) -> None:
    text = render_lock(providers, header=tool)
    parsed = parse_lock(text, "x.hcl")
    assert _facts(parsed.providers) == _facts(sorted(providers, key=lambda p: p.address))
    assert detect_header(text) == (tool or "terraform")
    assert render_lock(parsed.providers, header=detect_header(text)) == text
    # every block starts on the line parse_lock reports
    lines = text.split("\n")
    for p in parsed.providers:
        assert p.line is not None and lines[p.line - 1].startswith("provider ")


def _one_line_hashes(text: str) -> str:
    return re.sub(
        r"hashes = \[\n((?:    .*,\n)*)  \]",
        lambda m: "hashes = [" + ", ".join(x.strip().rstrip(",") for x in m[1].splitlines()) + "]",
        text,
    )


LAYOUTS = {
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "comments": lambda t: t.replace("\nprovider", "\n# c\n// d\n/* e\n*/\nprovider"),
    "spacing": lambda t: t.replace(" = ", "   =\t").replace("{\n", "{   \n\n"),
    "one-line hashes": _one_line_hashes,
    "trailing comments": lambda t: t.replace('",\n', '", # x\n').replace('"\n', '" // y\n'),
    "no header": lambda t: t.split("\n", 2)[2],
    "attributes reordered": lambda t: re.sub(
        r"(  version +=.*\n)((?:  constraints =.*\n)?)((?:  hashes = \[\n(?:    .*\n)*  \]\n)?)",
        lambda m: m[3] + m[2] + m[1],
        t,
    ),
}


@given(providers=provider_locks(), layout=st.sampled_from(sorted(LAYOUTS)))
def test_every_layout_parses_like_terraforms(providers: list[Any], layout: str) -> None:
    """The general path (any HCL layout) agrees with the fast path (Terraform's layout)."""
    text = render_lock(providers)
    variant = LAYOUTS[layout](text)
    assert _facts(parse_lock(variant, "v.hcl").providers) == _facts(
        parse_lock(text, "x.hcl").providers
    )


@given(text=mutated(st.sampled_from(EXAMPLE_LOCKS)))
def test_mutated_example_lock_files(text: str) -> None:
    _check_round_trip(text)


@given(text=mutated(provider_locks().map(render_lock), max_steps=4))
def test_mutated_generated_lock_files(text: str) -> None:
    _check_round_trip(text)


@given(text=noise('provider"{}[]=,#/*\n hashesvrsionconstraints:.1\\$%'))
def test_random_text(text: str) -> None:
    _check_round_trip(text)


@given(data=st.data())
def test_mutated_corpus_lock_files(corpus_locks: list[str], data: st.DataObject) -> None:
    _check_round_trip(data.draw(mutated(st.sampled_from(corpus_locks))))


def test_corpus_lock_files_round_trip_byte_identical(corpus_locks: list[str]) -> None:
    """Every lock file in the corpus was written by Terraform, OpenTofu or Renovate."""
    for text in [*corpus_locks, *EXAMPLE_LOCKS]:
        parsed = parse_lock(text, "corpus.hcl")
        assert render_lock(parsed.providers, header=detect_header(text)) == text
