"""aqua-checksums.json: strict reading, aqua's set/prune rules, byte-identical writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from depguard.errors import InputError
from depguard.formats.aqua_checksums import (
    ALGORITHMS,
    ChecksumEntry,
    empty_checksums,
    parse_checksums,
)

SHA256 = "0123456789abcdef" * 4
SHA512 = "fedcba9876543210" * 8


def _file(*entries: tuple[str, str, str]) -> str:
    items = ",\n".join(
        f'    {{\n      "id": "{i}",\n      "checksum": "{c}",\n      "algorithm": "{a}"\n    }}'
        for i, c, a in entries
    )
    return '{\n  "checksums": [\n' + items + "\n  ]\n}\n"


def test_every_corpus_checksum_file_round_trips_byte_for_byte(corpus: Path) -> None:
    files = sorted((corpus / "aqua" / "examples").rglob("*aqua-checksums.json"))
    assert len(files) >= 17
    for file in files:
        text = file.read_text(encoding="utf-8")
        parsed = parse_checksums(text, str(file))
        assert len(parsed) > 0
        assert parsed.dumps() == text, file
        assert not parsed.changed


def test_corpus_lower_case_entries_are_kept(corpus: Path) -> None:
    file = corpus / "aqua/examples/aquaproj-example-update-checksum/aqua-checksums.json"
    parsed = parse_checksums(file.read_text(encoding="utf-8"), str(file))
    lower = [i for i in parsed.ids() if (e := parsed.get(i)) and e.checksum != e.checksum.upper()]
    assert lower
    entry = parsed.get(lower[0])
    assert entry is not None
    assert parsed.set(entry.id, entry.checksum.upper(), entry.algorithm) is False
    assert parsed.get(entry.id) == entry  # old text untouched
    assert parsed.dumps() == file.read_text(encoding="utf-8")


def test_get_line_and_ids() -> None:
    text = _file(("b", SHA256, "sha256"), ("a", SHA512, "sha512"))
    parsed = parse_checksums(text, "c.json")
    assert parsed.ids() == ["a", "b"]
    assert parsed.get("b") == ChecksumEntry("b", SHA256, "sha256")
    assert parsed.line_of("b") == 3
    assert parsed.line_of("a") == 8
    assert parsed.line_of("zzz") is None
    assert parsed.get("zzz") is None
    assert "a" in parsed
    # Unsorted input is read; writing sorts it as aqua does.
    assert parsed.dumps() == _file(("a", SHA512, "sha512"), ("b", SHA256, "sha256"))


def test_set_stores_upper_case_and_reports_changes() -> None:
    checksums = empty_checksums("c.json")
    assert checksums.set("x", SHA256, "sha256") is True
    assert checksums.get("x") == ChecksumEntry("x", SHA256.upper(), "sha256")
    assert checksums.changed
    assert checksums.line_of("x") is None


def test_set_equal_ignoring_case_keeps_the_old_text() -> None:
    checksums = parse_checksums(_file(("x", SHA256, "sha256")), "c.json")
    assert checksums.set("x", SHA256.upper(), "sha256") is False
    assert checksums.get("x") == ChecksumEntry("x", SHA256, "sha256")
    assert not checksums.changed


def test_set_replaces_a_different_value_or_algorithm() -> None:
    checksums = parse_checksums(_file(("x", SHA256, "sha256")), "c.json")
    other = "a" * 64
    assert checksums.set("x", other, "sha256") is True
    assert checksums.get("x") == ChecksumEntry("x", other.upper(), "sha256")
    assert checksums.set("x", SHA512, "sha512") is True
    assert checksums.get("x") == ChecksumEntry("x", SHA512.upper(), "sha512")
    assert checksums.line_of("x") is None


@pytest.mark.parametrize(
    ("checksum", "algorithm"),
    [("ab", "sha256"), ("g" * 64, "sha256"), (SHA256, "sha3-256"), (SHA256, "SHA256")],
)
def test_set_refuses_invalid_values(checksum: str, algorithm: str) -> None:
    with pytest.raises(ValueError):
        empty_checksums("c.json").set("x", checksum, algorithm)


def test_prune() -> None:
    checksums = parse_checksums(
        _file(("a", SHA256, "sha256"), ("b", SHA256, "sha256"), ("c", SHA256, "sha256")), "c"
    )
    assert checksums.prune(["b", "unknown"]) == ["a", "c"]
    assert checksums.ids() == ["b"]
    assert checksums.changed
    assert checksums.prune(["b"]) == []


def test_empty_file_is_written_like_aqua() -> None:
    assert empty_checksums("c.json").dumps() == '{\n  "checksums": []\n}\n'
    assert parse_checksums('{"checksums": []}', "c").dumps() == '{\n  "checksums": []\n}\n'
    assert len(parse_checksums('{"checksums": null}', "c")) == 0
    assert len(parse_checksums("{}", "c")) == 0


def test_go_json_escaping() -> None:
    # Go's encoding/json (escapeHTML on, Go >= 1.22): <>& and U+2028/9 escaped with lower-case
    # hex, \b \f \n \r \t short escapes, other control characters \u00XX, DEL and non-ASCII
    # kept as they are.
    checksums = empty_checksums("c.json")
    checksums.set('a<b>&c\u2028\u2029\x01\b\f\n\r\t"\\é\x7f☃', SHA256, "sha256")
    expected_id = '"a\\u003cb\\u003e\\u0026c\\u2028\\u2029\\u0001\\b\\f\\n\\r\\t\\"\\\\é\x7f☃"'
    assert f'"id": {expected_id},' in checksums.dumps()
    # ... and the escaped form reads back to the same id.
    again = parse_checksums(checksums.dumps(), "c.json")
    assert again.ids() == checksums.ids()
    assert again.dumps() == checksums.dumps()


def test_writer_sorts_by_code_point_like_go() -> None:
    checksums = empty_checksums("c.json")
    for i in ["b", "B", "a/b", "a-b", "é", "z"]:
        checksums.set(i, SHA256, "sha256")
    assert checksums.ids() == ["B", "a-b", "a/b", "b", "z", "é"]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "the file is empty"),
        ("   \n", 2, "the file is empty"),
        ('{"checksums": [\n  {"id": "a",\n', 3, "expected a string key"),
        ('{"checksums": []}\n{}', 2, "after the top-level value"),
        ('{"checksums": [],}', 1, "expected a string key"),
        ("[]", 1, "expected a JSON object"),
        ('{"checksums": {}}', 1, "checksums: expected a list"),
        ('{"Checksums": []}', 1, "unknown key 'Checksums'"),
        ('{"checksums": [], "checksums": []}', 1, "duplicate key 'checksums'"),
        ('{"checksums": [\n  "x"\n]}', 2, "expected an object, got a string"),
        (
            '{"checksums": [\n {"id": "a", "checksum": "' + SHA256 + '", "algorithm": "sha256",\n'
            '  "extra": 1}]}',
            3,
            "unknown key 'extra'",
        ),
        ('{"checksums": [\n {"id": "a", "checksum": 5, "algorithm": "sha256"}]}', 2, "a string"),
        ('{"checksums": [\n {"id": "a", "algorithm": "sha256"}]}', 2, "missing 'checksum'"),
        ('{"checksums": [\n\n {"id": "a", "checksum": "zz", "algorithm": "sha256"}]}', 3, "hex"),
        (
            '{"checksums": [\n {"id": "a", "checksum": "' + SHA256[:-1] + 'g", '
            '"algorithm": "sha256"}]}',
            2,
            "expected 64 hex digits",
        ),
        (
            '{"checksums": [\n {"id": "a", "checksum": "' + SHA256 + '", "algorithm": "sha512"}]}',
            2,
            "expected 128 hex digits",
        ),
        (
            '{"checksums": [\n {"id": "a", "checksum": "' + SHA256 + '", "algorithm": "crc32"}]}',
            2,
            "unknown checksum algorithm 'crc32'",
        ),
        (
            '{"checksums": [\n {"id": "a", "checksum": "' + SHA256 + '", "algorithm": "sha256"},'
            '\n {"id": "a", "checksum": "' + SHA256 + '", "algorithm": "sha256"}]}',
            3,
            "duplicate checksum id 'a' (first on line 2)",
        ),
        ('{"checksums": [\n {"id": "\\ud800"}]}', 2, "unpaired surrogate"),
        ('{"checksums": [\n {"id": "a\tb"}]}', 2, "Invalid control character"),
        ('{"checksums": NaN}', 1, "unexpected character"),
    ],
)
def test_invalid_files_name_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(InputError) as e:
        parse_checksums(text, "aqua-checksums.json")
    assert e.value.path == "aqua-checksums.json"
    assert e.value.line == line, str(e.value)
    assert fragment in str(e.value)


@pytest.mark.parametrize(
    ("algorithm", "length"), [("md5", 32), ("sha1", 40), ("sha256", 64), ("sha512", 128)]
)
def test_hex_length_per_algorithm(algorithm: str, length: int) -> None:
    assert algorithm in ALGORITHMS
    parsed = parse_checksums(_file(("x", "A" * length, algorithm)), "c.json")
    assert parsed.get("x") == ChecksumEntry("x", "A" * length, algorithm)
    with pytest.raises(InputError, match=f"expected {length} hex digits"):
        parse_checksums(_file(("x", "A" * (length + 2), algorithm)), "c.json")


def test_deep_json_is_refused() -> None:
    with pytest.raises(InputError, match="nesting"):
        parse_checksums('{"checksums": ' + "[" * 100 + "]" * 100 + "}", "c.json")


def test_large_file_parses_and_writes_quickly() -> None:
    entries = [
        (f"github_release/github.com/o/r/v1.0.{i:05d}/a.tar.gz", SHA256.upper(), "sha256")
        for i in range(20_000)
    ]
    text = _file(*entries)
    parsed = parse_checksums(text, "c.json")
    assert len(parsed) == 20_000
    assert parsed.line_of(entries[-1][0]) == 2 + 5 * 19_999 + 1
    assert parsed.dumps() == text
