"""``aqua-checksums.json``: ``parse_checksums`` and the byte-identical writer ``dumps``.

Contract (``depguard.formats.aqua_checksums``): ``parse_checksums`` returns a
``ChecksumFile`` or raises ``InputError`` naming the line; what aqua writes (``dumps``)
parses back to the same entries and is written again byte for byte (write → parse → write);
``set`` raises only ``ValueError`` for a bad algorithm or checksum.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.aqua_checksums import (
    ALGORITHMS,
    ChecksumFile,
    empty_checksums,
    parse_checksums,
)
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import (
    HUGE_INT,
    example_seeds,
    json_text,
    json_values,
    mutated,
    noise,
    read_seeds,
)

pytestmark = pytest.mark.fuzz

LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
EXAMPLE_CHECKSUMS = example_seeds("**/aqua-checksums.json")


@st.composite
def entries(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    out = []
    for _ in range(draw(st.integers(0, 5))):
        algorithm = draw(st.sampled_from(ALGORITHMS))
        digits = draw(st.text("0123456789abcdefABCDEF", min_size=LENGTHS[algorithm]))
        ident = draw(
            st.text(min_size=1, max_size=30)
            | st.sampled_from(("github_release/github.com/o/r/v1/a.tar.gz", "<&>\u2028\x00\n"))
        )
        out.append((ident, digits[: LENGTHS[algorithm]], algorithm))
    return out


def _file(items: list[tuple[str, str, str]]) -> ChecksumFile:
    f = empty_checksums("aqua-checksums.json")
    for ident, checksum, algorithm in items:
        f.set(ident, checksum, algorithm)
    return f


@pytest.fixture(scope="module")
def corpus_checksums(corpus: Path) -> list[str]:
    seeds = read_seeds(corpus, ["**/aqua-checksums.json"])
    if not seeds:
        pytest.skip("the corpus has no aqua-checksums.json")
    return seeds


@given(items=entries())
def test_write_parse_write_is_exact(items: list[tuple[str, str, str]]) -> None:
    written = _file(items).dumps()
    parsed = parse_checksums(written, "aqua-checksums.json")
    assert parsed.dumps() == written
    assert parsed.ids() == sorted({i for i, _, _ in items})
    for ident in parsed.ids():
        entry = parsed.get(ident)
        assert entry is not None and entry.checksum == entry.checksum.upper()  # set() uppercases
        line = parsed.line_of(ident)
        assert line is not None and written.split("\n")[line - 1].strip() == "{"
    # Python's JSON encoding of the same document means the same entries.
    doc = json.loads(written)
    again = parse_checksums(json.dumps(doc, indent=1, ensure_ascii=True), "x.json")
    assert again.dumps() == written


def test_corpus_checksum_files_round_trip(corpus_checksums: list[str]) -> None:
    """aqua wrote every corpus aqua-checksums.json: parse → write gives its bytes."""
    for text in [*corpus_checksums, *EXAMPLE_CHECKSUMS]:
        assert parse_checksums(text, "c.json").dumps() == text


def _check(text: str) -> None:
    result = outcome(
        parse_checksums,
        text,
        "aqua-checksums.json",
        raises=(InputError,),
        err_path="aqua-checksums.json",
        err_text=text,
    )
    if result.value is not None:
        written = result.value.dumps()
        assert parse_checksums(written, "again.json").dumps() == written


@given(text=mutated(entries().map(lambda items: _file(items).dumps()), max_steps=3))
def test_mutated_written_files(text: str) -> None:
    _check(text)


@given(text=mutated(st.sampled_from(EXAMPLE_CHECKSUMS)))
def test_mutated_example_files(text: str) -> None:
    _check(text)


@given(data=st.data())
def test_mutated_corpus_files(corpus_checksums: list[str], data: st.DataObject) -> None:
    _check(data.draw(mutated(st.sampled_from(corpus_checksums))))


@given(
    text=json_text(json_values())
    | json_text(st.fixed_dictionaries({"checksums": st.lists(json_values(), max_size=3)}))
    | noise('{}[]",:0123456789.eE-+ truefalsn\\u"checksumidalgorithm')
)
def test_random_json(text: str) -> None:
    _check(text)


@given(ident=st.text(max_size=8), checksum=st.text("0123456789abcdefxX", max_size=130))
def test_set_contract(ident: str, checksum: str) -> None:
    f = empty_checksums("x.json")
    for algorithm in (*ALGORITHMS, "sha3", ""):
        outcome(f.set, ident, checksum, algorithm, raises=(ValueError,))
    assert parse_checksums(f.dumps(), "x.json").dumps() == f.dumps()


@example(text='{"checksums": ' + HUGE_INT + "}")
@given(text=st.integers(4301, 6000).map(lambda n: '{"checksums": [' + "1" * n + "]}"))
def test_regression_huge_integer(text: str) -> None:
    """Regression test: a bug this fuzzer found, since fixed.

    Was: ``parse_checksums``'s own JSON reader calls ``int()`` on a number of any length: more
    than 4300 digits raises ``ValueError`` (CPython's int/str conversion limit)."""
    outcome(parse_checksums, text, "aqua-checksums.json", raises=(InputError,))
