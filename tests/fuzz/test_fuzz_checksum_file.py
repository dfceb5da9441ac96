"""Upstream checksum files as aqua reads them: ``parse_checksum_file`` and ``checksum_for``
(``depguard.verify.checksum_file``). The file comes from an upstream release and the
``regexp`` patterns from a registry: both are third-party input.

Contract: ``parse_checksum_file`` raises only ``InputError`` or ``UnsupportedError`` naming
the source; ``checksum_for`` adds ``IntegrityError`` (no entry for the asset); what
``sha256sum`` writes reads back.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.errors import DepguardError
from depguard.verify.checksum_file import checksum_for, parse_checksum_file
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import HEX64, mutated, mutated_bytes, noise

pytestmark = pytest.mark.fuzz

SOURCE = "https://example.com/v1/checksums.txt"
NAMES = st.from_regex(r"[A-Za-z0-9._-]{1,24}", fullmatch=True)
PATTERNS = st.none() | st.sampled_from(
    (
        r"^(\b[A-Fa-f0-9]{64}\b)",
        r"(?<sum>[0-9a-f]{64})",
        r"^\S+\s+(\S+)$",
        r"([0-9a-f]+)\s+\*?(.*)",
        r"no group",
        r"(",
        r"[[:alpha:]]+(x)",
        r"\Qx\E(y)",
        r"(x)\z",
        r"(a+)+$",
        r"(?P<x>a)(?P=x)",
        r"(?i)(A)",
        "",
    )
)


@st.composite
def sums_files(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A ``sha256sum`` file (optionally with ``*`` binary markers, tabs and paths)."""
    entries = draw(st.dictionaries(NAMES, HEX64, max_size=5))
    lines = []
    for name, digest in entries.items():
        sep = draw(st.sampled_from(("  ", " *", "\t", " ")))
        prefix = draw(st.sampled_from(("", "dist/", "./")))
        lines.append(f"{digest}{sep}{prefix}{name}")
    eol = draw(st.sampled_from(("\n", "\r\n")))
    return eol.join(lines) + eol, entries


@given(file=sums_files())
def test_sha256sum_files_read_back(file: tuple[str, dict[str, str]]) -> None:
    text, entries = file
    for name, digest in entries.items():
        if len(entries) == 1:
            continue  # a one-line file with a separator is still a map: covered below
        assert checksum_for(text, f"x/{name}", algorithm="sha256", source=SOURCE) == digest
    if entries:
        parsed = parse_checksum_file(
            text, file_format="", pattern_checksum=None, pattern_file=None, source=SOURCE
        )
        assert parsed == entries


@given(digest=st.binary(max_size=8).map(lambda b: hashlib.sha256(b).hexdigest()))
def test_raw_files(digest: str) -> None:
    text = f"  {digest.upper()}\n"
    assert checksum_for(text, "any", algorithm="sha256", file_format="raw", source=SOURCE) == digest


def _check(text: str | bytes, file_format: str, checksum: str | None, file: str | None) -> None:
    outcome(
        parse_checksum_file,
        text,
        file_format=file_format,
        pattern_checksum=checksum,
        pattern_file=file,
        source=SOURCE,
        raises=(DepguardError,),
        budget=2.0,
        err_path=SOURCE,
    )
    outcome(
        checksum_for,
        text,
        "dist/asset.tar.gz",
        algorithm="sha256",
        file_format=file_format,
        pattern_checksum=checksum,
        pattern_file=file,
        source=SOURCE,
        raises=(DepguardError,),
        budget=2.0,
    )


FORMATS = st.sampled_from(("", "raw", "regexp", "bogus"))


@given(
    text=mutated(sums_files().map(lambda f: f[0]), max_steps=3)
    | noise("0123456789abcdef *\t\n\r./()=SHA256", max_size=200),
    file_format=FORMATS,
    checksum=PATTERNS,
    file=PATTERNS,
)
def test_checksum_files(
    text: str, file_format: str, checksum: str | None, file: str | None
) -> None:
    _check(text, file_format, checksum, file)


@given(
    data=mutated_bytes(sums_files().map(lambda f: f[0].encode())) | st.binary(max_size=100),
    file_format=FORMATS,
)
def test_checksum_file_bytes(data: bytes, file_format: str) -> None:
    _check(data, file_format, r"^(\b[A-Fa-f0-9]{64}\b)", r"^\b[A-Fa-f0-9]{64}\s+(\S+)$")


@example(line="a" * 40 + "!")
@given(line=st.integers(30, 5000).map(lambda n: "a" * n + "!"))
def test_regression_checksum_pattern_backtracks(line: str) -> None:
    """``_compile`` used to translate a registry's Go (RE2, linear-time) ``checksum.pattern``
    to Python's backtracking ``re``: ``(a+)+$`` against a checksum-file line of 40 ``a`` and
    a ``!`` ran for hours, so a registry (third-party data) and an upstream checksum file
    together could hang ``depguard verify``. Patterns now run in RE2 itself."""
    for pattern in (r"(a+)+$", r"(.*.*.*.*)x", r"((a|aa)+)+b"):
        got = outcome(
            parse_checksum_file,
            line + "\n",
            file_format="regexp",
            pattern_checksum=pattern,
            pattern_file=None,
            source=SOURCE,
            budget=2.0,
        )
        assert isinstance(got.error, DepguardError), "nothing matches, so nothing is extracted"
