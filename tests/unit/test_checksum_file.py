"""aqua checksum-file parsing (pkg/checksum/parser.go semantics) and file digests."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from depguard.errors import InputError, IntegrityError, UnsupportedError
from depguard.verify.checksum_file import (
    ALGORITHMS,
    MAX_CHECKSUM_FILE_BYTES,
    checksum_for,
    file_digest,
    parse_checksum_file,
)

SRC = "https://example.test/checksums.txt"


def h(alg: str, data: bytes) -> str:
    return hashlib.new(alg, data).hexdigest()


A = h("sha256", b"a")
B = h("sha256", b"b")
C = h("sha256", b"c")


# --- default format -----------------------------------------------------------------------


def test_goreleaser_two_spaces() -> None:
    text = f"{A}  tool_1.0.0_linux_amd64.tar.gz\n{B}  tool_1.0.0_darwin_arm64.tar.gz\n"
    assert parse_checksum_file(
        text, file_format="", pattern_checksum=None, pattern_file=None, source=SRC
    ) == {"tool_1.0.0_linux_amd64.tar.gz": A, "tool_1.0.0_darwin_arm64.tar.gz": B}
    got = checksum_for(text, "tool_1.0.0_darwin_arm64.tar.gz", algorithm="sha256", source=SRC)
    assert got == B


@pytest.mark.parametrize(
    "line",
    [
        "{sum}  *tool.tar.gz",  # sha256sum -b
        "{sum} *tool.tar.gz",
        "{sum}  ./tool.tar.gz",  # imgpkg style
        "{sum}  /home/runner/work/dist/tool.tar.gz",  # absolute build path
        "{sum}\ttool.tar.gz",  # tab separated
        "{sum}  tool.tar.gz   ",  # trailing blanks
        "{sum}  *./dist/tool.tar.gz",
    ],
)
def test_default_line_styles(line: str) -> None:
    text = line.format(sum=A) + "\n" + f"{B}  other.zip\n"
    assert checksum_for(text, "tool.tar.gz", algorithm="sha256", source=SRC) == A


def test_asset_is_looked_up_by_base_name() -> None:
    text = f"{A}  tool.tar.gz\n{B}  other\n"
    assert checksum_for(text, "dist/sub/tool.tar.gz", algorithm="sha256", source=SRC) == A


def test_single_hex_line_is_raw_for_any_asset() -> None:
    for text in (A, A + "\n", "\n\n  " + A + "  \n\n", A + "\r\n"):
        assert checksum_for(text, "anything.zip", algorithm="sha256", source=SRC) == A
        assert (
            parse_checksum_file(
                text, file_format="", pattern_checksum=None, pattern_file=None, source=SRC
            )
            == A
        )


def test_crlf_blank_lines_and_last_duplicate_wins() -> None:
    text = f"\r\n{A}  x.tgz\r\n\r\n{B}  y.tgz\r\n{C}  x.tgz\r\n"
    assert checksum_for(text, "x.tgz", algorithm="sha256", source=SRC) == C
    assert checksum_for(text, "y.tgz", algorithm="sha256", source=SRC) == B


def test_upper_case_hex_is_lowered() -> None:
    text = f"{A.upper()}  x.tgz\n{B}  y\n"
    assert checksum_for(text, "x.tgz", algorithm="sha256", source=SRC) == A


def test_pgp_clearsigned_file_still_parses() -> None:
    text = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
        f"{A}  tool.tar.gz\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n"
    )
    assert checksum_for(text, "tool.tar.gz", algorithm="sha256", source=SRC) == A


@pytest.mark.parametrize("alg", sorted(ALGORITHMS))
def test_every_algorithm(alg: str) -> None:
    d1, d2 = h(alg, b"one"), h(alg, b"two")
    text = f"{d1}  one.zip\n{d2}  two.zip\n"
    assert checksum_for(text, "two.zip", algorithm=alg, source=SRC) == d2
    assert len(d2) == ALGORITHMS[alg]


@pytest.mark.parametrize("alg", sorted(ALGORITHMS))
def test_wrong_length_for_algorithm_is_input_error_with_line(alg: str) -> None:
    other = "sha1" if alg != "sha1" else "sha256"
    text = f"# header\n{h(other, b'x')}  x.zip\n{h(other, b'y')}  y.zip\n"
    with pytest.raises(InputError) as exc:
        checksum_for(text, "y.zip", algorithm=alg, source=SRC)
    assert exc.value.line == 3
    assert exc.value.path == SRC
    assert f"not a {alg} digest" in exc.value.message


def test_non_hex_value_is_input_error() -> None:
    text = f"{'g' * 64}  x.zip\n{B}  y\n"
    with pytest.raises(InputError, match="not a sha256 digest") as exc:
        checksum_for(text, "x.zip", algorithm="sha256", source=SRC)
    assert exc.value.line == 1


def test_line_numbers_count_leading_blank_lines() -> None:
    text = f"\n\n{'0' * 10}  x.zip\n{B}  y\n"
    with pytest.raises(InputError) as exc:
        checksum_for(text, "x.zip", algorithm="sha256", source=SRC)
    assert exc.value.line == 3


def test_missing_asset_is_integrity_error_naming_asset_and_source() -> None:
    text = f"{A}  tool_linux_amd64.tar.gz\n{B}  tool_darwin_arm64.tar.gz\n"
    with pytest.raises(IntegrityError) as exc:
        checksum_for(text, "tool_windows_amd64.zip", algorithm="sha256", source=SRC)
    assert exc.value.message == f"no checksum for tool_windows_amd64.zip in {SRC}"
    assert exc.value.hint is not None and "tool_linux_amd64.tar.gz" in exc.value.hint


def test_bsd_style_under_default_format_gets_a_hint() -> None:
    text = f"SHA256 (x.zip) = {A}\nSHA256 (y.zip) = {B}\n"
    with pytest.raises(IntegrityError) as exc:
        checksum_for(text, "x.zip", algorithm="sha256", source=SRC)
    assert exc.value.hint is not None and "file_format: regexp" in exc.value.hint


@pytest.mark.parametrize("text", ["", "   \n\n", "only-words-without-separators\nsecond\n"])
def test_nothing_extracted_is_input_error(text: str) -> None:
    with pytest.raises(InputError, match="no checksum could be extracted"):
        checksum_for(text, "x", algorithm="sha256", source=SRC)


def test_binary_and_oversized_input_are_refused() -> None:
    with pytest.raises(InputError, match="binary"):
        checksum_for(b"\x00\x01" + A.encode(), "x", algorithm="sha256", source=SRC)
    with pytest.raises(InputError, match="not UTF-8"):
        checksum_for(b"\xff\xfe" + A.encode(), "x", algorithm="sha256", source=SRC)
    with pytest.raises(InputError, match="larger than the limit"):
        checksum_for(b" " * (MAX_CHECKSUM_FILE_BYTES + 1), "x", algorithm="sha256", source=SRC)


def test_unknown_format_and_algorithm() -> None:
    with pytest.raises(InputError, match="unknown checksum file_format 'json'"):
        checksum_for(A, "x", algorithm="sha256", file_format="json", source=SRC)
    with pytest.raises(UnsupportedError, match="'sha384' is not supported"):
        checksum_for(A, "x", algorithm="sha384", source=SRC)


# --- raw ----------------------------------------------------------------------------------


def test_raw_format_atlas_and_minikube_style() -> None:
    # ariga/atlas and kubernetes/minikube publish one bare hex digest per asset.
    for text in (A + "\n", "\n  " + A.upper() + "  \n"):
        assert checksum_for(text, "atlas", algorithm="sha256", file_format="raw", source=SRC) == A


def test_raw_format_takes_the_whole_file() -> None:
    # aqua does not split raw files: "<hex>  name" is not a checksum.
    with pytest.raises(InputError, match="not a sha256 digest") as exc:
        checksum_for(f"\n{A}  atlas\n", "atlas", algorithm="sha256", file_format="raw", source=SRC)
    assert exc.value.line == 2
    with pytest.raises(InputError, match="no checksum could be extracted"):
        checksum_for("  \n", "atlas", algorithm="sha256", file_format="raw", source=SRC)


# --- regexp (every pattern style in the registry corpus) ----------------------------------

YQ_CHECKSUM = r"^SHA512\s+\([^)]+\)\s+=\s+([A-Fa-f0-9]{128})$"
YQ_FILE = r"^SHA512\s+\(([^)]+)\)\s+=\s+[A-Fa-f0-9]{128}$"
SHA1_CHECKSUM = r"^(\b[A-Fa-f0-9]{40}\b)"
SHA1_FILE = "^\\b[A-Fa-f0-9]{40}\\b\\s+(\\S+)$"


def test_regexp_yq_rhash_bsd() -> None:
    a512, b512 = h("sha512", b"a"), h("sha512", b"b")
    text = (
        f"SHA256 (yq_linux_amd64.tar.gz) = {A}\n"
        f"SHA512 (yq_linux_amd64.tar.gz) = {a512}\n"
        f"SHA256 (yq_darwin_arm64) = {B}\n"
        f"SHA512 (yq_darwin_arm64) = {b512}\n"
    )
    kw: dict[str, Any] = {
        "file_format": "regexp",
        "pattern_checksum": YQ_CHECKSUM,
        "pattern_file": YQ_FILE,
        "source": SRC,
    }
    assert parse_checksum_file(text, **kw) == {
        "yq_linux_amd64.tar.gz": a512,
        "yq_darwin_arm64": b512,
    }
    assert checksum_for(text, "yq_darwin_arm64", algorithm="sha512", **kw) == b512


def test_regexp_sha1_with_file_pattern_ghq_concourse() -> None:
    s1, s2 = h("sha1", b"1"), h("sha1", b"2")
    text = f"{s1}  ghq_linux_amd64.zip\n{s2}  ghq_darwin_arm64.zip\n\n"
    got = checksum_for(
        text,
        "ghq_darwin_arm64.zip",
        algorithm="sha1",
        file_format="regexp",
        pattern_checksum=SHA1_CHECKSUM,
        pattern_file=SHA1_FILE,
        source=SRC,
    )
    assert got == s2


@pytest.mark.parametrize(
    ("alg", "pattern", "text_fmt"),
    [
        ("sha1", SHA1_CHECKSUM, "{sum}\n"),  # apache maven .sha1: bare digest
        ("sha512", r"^(\b[A-Fa-f0-9]{128}\b)", "{sum}  apache-maven-3.9.9-bin.tar.gz\n"),
        ("sha512", r"^(\b[A-Fa-f0-9]{128}\b)", "{sum} *apache-ant-1.10.15-bin.tar.gz\n"),
        ("md5", r"^(\b[A-Fa-f0-9]{32}\b)", "{sum} *apache-tomcat-9.0.98.tar.gz\n"),
        ("sha256", r"^(\b[A-Fa-f0-9]{64}\b)", "{sum}  graphviz-12.2.1.tar.gz\n"),
    ],
)
def test_regexp_checksum_only_first_match_answers_any_asset(
    alg: str, pattern: str, text_fmt: str
) -> None:
    digest = h(alg, b"payload")
    text = "some preamble line\n" + text_fmt.format(sum=digest.upper()) + "trailer\n"
    kw: dict[str, Any] = {"file_format": "regexp", "pattern_checksum": pattern, "source": SRC}
    assert parse_checksum_file(text, pattern_file=None, **kw) == digest.upper()
    assert checksum_for(text, "whatever-asset", algorithm=alg, **kw) == digest


def test_regexp_errors() -> None:
    kw: dict[str, Any] = {"algorithm": "sha256", "file_format": "regexp", "source": SRC}
    with pytest.raises(InputError, match=r"needs pattern\.checksum"):
        checksum_for(A, "x", **kw)
    with pytest.raises(InputError, match="not a valid regular expression"):
        checksum_for(A, "x", pattern_checksum="([0-9", **kw)
    with pytest.raises(InputError, match="no capture group"):
        checksum_for(A, "x", pattern_checksum="^[0-9a-f]{64}", **kw)
    with pytest.raises(InputError, match="not a valid Go regexp"):
        checksum_for(A, "x", pattern_checksum="^(\\C[0-9a-f]{64})", **kw)
    with pytest.raises(InputError, match="not a valid regular expression: invalid perl operator"):
        checksum_for(A, "x", pattern_checksum="^(?=x)([0-9a-f]{64})", **kw)
    with pytest.raises(InputError, match="no checksum could be extracted"):
        checksum_for("nothing here\n", "x", pattern_checksum="^([0-9a-f]{64})", **kw)
    # The file pattern matching nothing leaves nothing extracted either.
    with pytest.raises(InputError, match="no checksum could be extracted"):
        checksum_for(f"{A} x\n", "x", pattern_checksum="^(\\w+)", pattern_file="^(zzz)$", **kw)


def test_regexp_go_syntax() -> None:
    # Go's \z, (?<name>…), POSIX classes and \Q…\E work as in aqua (RE2 is Go's syntax).
    assert (
        checksum_for(
            f"sum: {A} x.zip",
            "x.zip",
            algorithm="sha256",
            file_format="regexp",
            pattern_checksum=r"^\Qsum:\E ([[:xdigit:]]{64})",
            pattern_file=r"([[:^space:]]+)$",
            source=SRC,
        )
        == A
    )
    got = checksum_for(
        f"{A}  x.zip",
        "x.zip",
        algorithm="sha256",
        file_format="regexp",
        pattern_checksum=r"^(?<sum>[0-9a-f]{64})",
        pattern_file=r"\s(\S+)\z",
        source=SRC,
    )
    assert got == A


def test_regexp_missing_asset() -> None:
    with pytest.raises(IntegrityError, match=f"no checksum for y.zip in {SRC}"):
        checksum_for(
            f"{A}  x.zip\n",
            "y.zip",
            algorithm="sha256",
            file_format="regexp",
            pattern_checksum=r"^([0-9a-f]{64})",
            pattern_file=r"\s(\S+)$",
            source=SRC,
        )


# --- the corpus registry uses no pattern style we have not covered -------------------------

COVERED = {
    ("raw", None, None),
    ("regexp", YQ_CHECKSUM, YQ_FILE),
    ("regexp", SHA1_CHECKSUM, SHA1_FILE),
    ("regexp", SHA1_CHECKSUM, None),
    ("regexp", r"^(\b[A-Fa-f0-9]{128}\b)", None),
    ("regexp", r"^(\b[A-Fa-f0-9]{32}\b)", None),
    ("regexp", r"^(\b[A-Fa-f0-9]{64}\b)", None),
}


def _checksum_blocks(node: object) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        block = node.get("checksum")
        if isinstance(block, dict) and "file_format" in block:
            out.append(block)
        for v in node.values():
            out.extend(_checksum_blocks(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(_checksum_blocks(v))
    return out


def test_corpus_registry_pattern_styles_are_covered(corpus: Path) -> None:
    root = corpus / "aqua" / "registry" / "pkgs"
    if not root.is_dir():
        pytest.skip("aqua registry corpus not present")
    seen: set[tuple[str, str | None, str | None]] = set()
    for f in sorted(root.rglob("registry.yaml")):
        if "file_format" not in f.read_text():
            continue
        for block in _checksum_blocks(yaml.safe_load(f.read_text())):
            pattern = block.get("pattern") or {}
            seen.add((block["file_format"], pattern.get("checksum"), pattern.get("file")))
    assert seen, "expected checksum blocks with file_format in the corpus"
    assert seen <= COVERED, f"new pattern styles in the corpus: {seen - COVERED}"
    for fmt, pc, pf in seen:  # every one compiles under our Go→Python rules
        if fmt == "regexp":
            assert pc is not None
            with pytest.raises(InputError, match="no checksum could be extracted"):
                parse_checksum_file(
                    "no match\n", file_format=fmt, pattern_checksum=pc, pattern_file=pf, source=SRC
                )


# --- file_digest --------------------------------------------------------------------------


@pytest.mark.parametrize("alg", sorted(ALGORITHMS))
def test_file_digest(tmp_path: Path, alg: str) -> None:
    data = b"x" * (3 * 1024 * 1024 + 17)
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    assert file_digest(p, alg) == hashlib.new(alg, data).hexdigest()


def test_file_digest_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        file_digest(tmp_path / "missing", "sha256")
    p = tmp_path / "f"
    p.write_bytes(b"")
    with pytest.raises(UnsupportedError):
        file_digest(p, "crc32")
