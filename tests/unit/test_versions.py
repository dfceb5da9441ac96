"""Terraform version and constraint semantics (go-versions as used by Terraform v1.11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from depguard.versions import (
    Constraints,
    Op,
    Version,
    constraints_string,
    merge_constraints,
    newest_allowed,
    parse_constraints,
    parse_lock_constraints,
    parse_version,
)

# The versions published in the corpus vector mirror (vectors/fs-mirror-versions).
AVAILABLE = [
    *("0.9.0", "1.0.0", "1.1.0", "1.1.5", "1.2.0-beta1"),
    *("1.2.0", "1.10.0", "2.0.0", "2.1.0-rc1"),
]

# vectors/constraints.tsv verbatim (Terraform v1.11.4 `providers lock -fs-mirror`):
# constraint | selected version or ERROR | canonical "constraints" written to the lock file.
CONSTRAINTS_TSV = [
    ("~> 1", "1.10.0", "~> 1.0"),
    ("~> 1.0", "1.10.0", "~> 1.0"),
    ("~> 1.1", "1.10.0", "~> 1.1"),
    ("~> 1.1.0", "1.1.5", "~> 1.1.0"),
    ("~>1.1.0", "1.1.5", "~> 1.1.0"),
    (">= 1.0, != 1.10.0, < 2.0.0", "1.2.0", ">= 1.0.0, != 1.10.0, < 2.0.0"),
    ("1.2.0-beta1", "1.2.0-beta1", "1.2.0-beta1"),
    ("= 1.2.0-beta1", "1.2.0-beta1", "1.2.0-beta1"),
    (">= 1.2.0-beta1", "2.0.0", ">= 1.2.0-beta1"),
    ("~> 1.2.0-beta1", "1.2.0", "~> 1.2.0-beta1"),
    (">= 1.2.0-beta1, < 1.2.0", "ERROR: no available releases match the given constraints", "-"),
    ("~> 1.2.0-beta1, < 1.2.0", "ERROR: no available releases match the given constraints", "-"),
    (">= 1.1.5, < 1.2.0", "1.1.5", ">= 1.1.5, < 1.2.0"),
    ("> 1.1", "2.0.0", "> 1.1.0"),
    ("<= 1.1", "1.1.0", "<= 1.1.0"),
    ("1.1", "1.1.0", "1.1.0"),
    ("2", "2.0.0", "2.0.0"),
    (
        ">= 2.1.0-rc1",
        "ERROR: no available releases match the given constraints >= 2.1.0-rc1",
        "-",
    ),
    ("~> 2.0", "2.0.0", "~> 2.0"),
    ("!= 2.0.0", "1.10.0", "!= 2.0.0"),
    (
        "1.0.0, 1.1.0",
        "ERROR: no available releases match the given constraints 1.0.0, 1.1.0",
        "-",
    ),
    ("=1.1.5", "1.1.5", "1.1.5"),
    (
        "v1.1.0",
        'ERROR (config): Incorrect version constraint syntax: a "v" prefix should not be used.',
        "-",
    ),
    ("~> 3.0", "ERROR: no available releases match the given constraints", "-"),
]

# More cases run against Terraform v1.11.4 the same way while writing this module.
OBSERVED = [
    (">= 1.0,< 2.0", "1.10.0", ">= 1.0.0, < 2.0.0"),
    (">= 1.0 ,< 2.0", "1.10.0", ">= 1.0.0, < 2.0.0"),
    (">=1.0,<2.0", "1.10.0", ">= 1.0.0, < 2.0.0"),
    ("!= 1.1", "2.0.0", "!= 1.1.0"),
    ("~> 0", "0.9.0", "~> 0.0"),
    ("~> 1.1.5", "1.1.5", "~> 1.1.5"),
    ("< 1.2.0-beta1", "1.1.5", "< 1.2.0-beta1"),
    (">= 1.0.0-0", "2.0.0", ">= 1.0.0-0"),
    ("> 1.2.0-beta1", "2.0.0", "> 1.2.0-beta1"),
    ("> 1.1.5-0", "2.0.0", "> 1.1.5-0"),
    ("1.2.0-beta1, >= 1.0", "1.2.0-beta1", ">= 1.0.0, 1.2.0-beta1"),
    ("1.2.0-beta1 , >=1.0", "1.2.0-beta1", ">= 1.0.0, 1.2.0-beta1"),
    ("~> 1.2.0-beta1, 1.2.0-beta1", "1.2.0-beta1", "1.2.0-beta1, ~> 1.2.0-beta1"),
    ("1.2.0-beta1, >= 1.3", "ERROR", "1.2.0-beta1, >= 1.3.0"),
    ("!= 1.2.0-beta1", "2.0.0", "!= 1.2.0-beta1"),
    (" 1.1.0 ", "1.1.0", "1.1.0"),
    ("1.0.0, 1.0", "1.0.0", "1.0.0"),
    (">= 1.0, >= 1.0.0", "2.0.0", ">= 1.0.0"),
    ("~> 1, ~> 1.0", "1.10.0", "~> 1.0"),
    ("~> 1.0, ~> 1.0.0", "1.0.0", "~> 1.0.0, ~> 1.0"),
    (
        "< 2, > 0.9, >= 1.1, <= 2, != 1.1, ~> 1.1, ~> 1.1.0, 1.1.5",
        "1.1.5",
        "> 0.9.0, >= 1.1.0, ~> 1.1.0, ~> 1.1, != 1.1.0, 1.1.5, <= 2.0.0, < 2.0.0",
    ),
    (">1.1", "2.0.0", "> 1.1.0"),
    (">=1.1.0-beta1", "2.0.0", ">= 1.1.0-beta1"),
    ("1", "1.0.0", "1.0.0"),
    ("0.9", "0.9.0", "0.9.0"),
    (">= 0.0.0", "2.0.0", ">= 0.0.0"),
    (">= 1.1.5, <= 1.1.5", "1.1.5", ">= 1.1.5, <= 1.1.5"),
    ("1.01.0", "1.1.0", "1.1.0"),
    (">= 01.0", "2.0.0", ">= 1.0.0"),
    ("1.1.5+build", "ERROR", "1.1.5+build"),
    ("= 1.2.0-BETA1", "ERROR", "1.2.0-BETA1"),
    ("1.1.5-beta1", "ERROR", "1.1.5-beta1"),
]

# Constraint strings Terraform v1.11.4 rejected in required_providers, with its message.
REJECTED = [
    ("=> 1.0", "This string does not use correct version constraint syntax."),
    ("=< 1.0", "This string does not use correct version constraint syntax."),
    ("1.*", "This string does not use correct version constraint syntax."),
    ("~> 1.x", "This string does not use correct version constraint syntax."),
    ("^1.0", "This string does not use correct version constraint syntax."),
    ("~1.0", "This string does not use correct version constraint syntax."),
    (">= 1.0 < 2.0", "This string does not use correct version constraint syntax."),
    (">= 1.0,", "This string does not use correct version constraint syntax."),
    (", >= 1.0", "This string does not use correct version constraint syntax."),
    ("", "This string does not use correct version constraint syntax."),
    (
        "1.0.0.0",
        'invalid specification "1.0.0.0": too many numbered portions; only three are allowed '
        "(major, minor, patch)",
    ),
    (
        "~> 1.0.0.0",
        'invalid specification "~> 1.0.0.0": too many numbered portions; only three are '
        "allowed (major, minor, patch)",
    ),
    (">  1.0", 'invalid specification ">  1.0": only one space is expected after the operator ">"'),
    (
        "~>  1.0",
        'invalid specification "~>  1.0": only one space is expected after the operator "~>"',
    ),
    (
        "~>\t1.0",
        'invalid specification "~>\\t1.0": only one space is expected after the operator "~>"',
    ),
    (">= v1.0", 'a "v" prefix should not be used'),
    ("~> v1.0", 'a "v" prefix should not be used'),
    ("v1.1.0", 'a "v" prefix should not be used'),
]


def _check_row(constraint: str, selected: str, canonical: str) -> None:
    if selected.startswith("ERROR (config)"):
        with pytest.raises(ValueError, match='a "v" prefix should not be used'):
            parse_constraints(constraint)
        return
    c = parse_constraints(constraint)
    expected = None if selected.startswith("ERROR") else selected
    assert newest_allowed(AVAILABLE, c) == expected
    if canonical != "-":
        assert constraints_string(c) == canonical
        assert str(c) == canonical
    if selected.startswith("ERROR: ") and not selected.endswith("constraints"):
        # Terraform's message quotes the canonical constraints.
        assert selected.endswith(" " + constraints_string(c))


@pytest.mark.parametrize(("constraint", "selected", "canonical"), CONSTRAINTS_TSV)
def test_constraints_tsv_row(constraint: str, selected: str, canonical: str) -> None:
    _check_row(constraint, selected, canonical)


@pytest.mark.parametrize(("constraint", "selected", "canonical"), OBSERVED)
def test_observed_with_terraform(constraint: str, selected: str, canonical: str) -> None:
    _check_row(constraint, selected, canonical)


def test_embedded_table_matches_corpus(corpus: Path) -> None:
    path = corpus / "terraform" / "vectors" / "constraints.tsv"
    rows = [
        tuple(line.split("\t"))
        for line in path.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert rows[0] == ("constraint", "selected", "lock_constraints")
    assert rows[1:] == CONSTRAINTS_TSV
    versions_line = next(line for line in path.read_text().splitlines() if "available" in line)
    assert versions_line.split(": ", 1)[1].split()[: len(AVAILABLE)] == AVAILABLE


def test_merged_constraints_from_tsv_comments() -> None:
    # root "~> 1" + child ">=1.0, != 1.0.5, >= 1.0.0" -> written by Terraform as below.
    assert constraints_string(["~> 1", ">=1.0, != 1.0.5, >= 1.0.0"]) == (
        ">= 1.0.0, ~> 1.0, != 1.0.5"
    )
    demo = ["1.0.0", "1.1.0"]
    assert newest_allowed(demo, merge_constraints("~> 1", ">=1.0, != 1.0.5, >= 1.0.0")) == "1.1.0"
    assert constraints_string(">= 0.1.0, != 0.0.9, < 2.0.0") == "!= 0.0.9, >= 0.1.0, < 2.0.0"
    # corpus lock 12 (OpenTofu, several modules)
    assert constraints_string([">= 5.38.0", ">= 4.61.0", ">= 5.32.0"]) == (
        ">= 4.61.0, >= 5.32.0, >= 5.38.0"
    )


@pytest.mark.parametrize(("text", "message"), REJECTED)
def test_rejected_constraints(text: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_constraints(text)
    assert str(err.value) == message


def test_lock_constraints_parser_is_go_versions_only() -> None:
    # The lock file's constraints skip go-version's check: "" is no constraint at all.
    assert parse_lock_constraints("") == Constraints()
    assert constraints_string(parse_lock_constraints("")) == ""
    with pytest.raises(ValueError, match='did you mean ">="'):
        parse_lock_constraints("=> 1.0")
    with pytest.raises(ValueError, match="missing comma"):
        parse_lock_constraints("1.0 2.0")
    with pytest.raises(ValueError, match="invalid constraint operator"):
        parse_lock_constraints("& 1.0")
    with pytest.raises(ValueError, match="can't use wildcard for minor number"):
        parse_lock_constraints("1.*")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3", Version(1, 2, 3)),
        ("1.2", Version(1, 2, 0)),
        ("1", Version(1, 0, 0)),
        ("1.01.0", Version(1, 1, 0)),
        ("1.0.0-rc.1+build.5", Version(1, 0, 0, "rc.1", "build.5")),
        ("3.0.2-rc08", Version(3, 0, 2, "rc08")),
    ],
)
def test_parse_version(text: str, expected: Version) -> None:
    assert parse_version(text) == expected
    assert Version.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("v1.1.0", 'a "v" prefix should not be used'),
        ("", "empty specification"),
        (">= 1.0", 'can\'t use constraint operator ">="; an exact version is required'),
        ("1.0.0.0", "too many numbered portions"),
        ("1.x", "can't use wildcard for minor number"),
        ("1.0, 2.0", "can't specify multiple versions"),
        ("1.0.0 ", "extraneous spaces at end of specification"),
        ("abc", "invalid specification; required format is three positive integers"),
        ("1.0.0 - 2.0.0", "can't specify version range"),
    ],
)
def test_parse_version_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_version(text)


def test_version_ordering_is_semver_with_go_versions_quirks() -> None:
    ordered = [
        "0.9.0",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.2.0",
        "1.10.0",
    ]
    versions = [parse_version(v) for v in ordered]
    shuffled = versions[5:] + versions[:5]
    assert sorted(shuffled) == versions
    # go-versions compares numerically-looking identifiers by length first...
    assert parse_version("1.0.0-rc6") > parse_version("1.0.0-rc08")
    # ...and, at every step, a pre-release with fewer remaining parts sorts first.
    assert parse_version("1.0.0-b") < parse_version("1.0.0-a.1")
    assert parse_version("1.0.0-beta") < parse_version("1.0.0-alpha.beta")
    assert parse_version("1.0.0+x").same(parse_version("1.0.0+y"))
    assert parse_version("1.0.0+x") != parse_version("1.0.0+y")
    assert parse_version("1.0.0+x") <= parse_version("1.0.0+y")
    assert not parse_version("1.0.0+x") < parse_version("1.0.0+y")


def test_allows() -> None:
    c = parse_constraints("~> 3.0")
    assert c.allows("3.9.0")
    assert not c.allows("4.0.0")
    assert not c.allows("3.1.0-beta1")  # a pre-release needs an exact selection
    assert parse_constraints("3.1.0-beta1").allows("3.1.0-beta1")
    assert Constraints().allows("5.0.0")
    assert not Constraints().allows("5.0.0-rc1")
    assert not parse_constraints(">= 0.0.0").allows("0.0.0")  # versions.Unspecified
    assert Constraints().allows("0.0.0")
    assert parse_constraints("1.0.0+meta").allows("1.0.0+meta")
    assert not parse_constraints("1.0.0+meta").allows("1.0.0")
    assert parse_constraints("> 1.0.0+meta").allows("1.0.1")
    with pytest.raises(ValueError):
        c.allows("v3.0.0")


def test_newest_allowed_skips_invalid_and_accepts_version_objects() -> None:
    assert newest_allowed(["v9.9.9", "junk", "1.0.0"], "~> 1.0") == "1.0.0"
    assert newest_allowed([Version(1, 1, 0), "1.0.0"], Constraints()) == "1.1.0"
    assert newest_allowed([], "~> 1.0") is None


def test_constraint_terms_and_canonical_order() -> None:
    c = parse_constraints("~> 1.2, ~> 1.2.3, 1.0, != 2, >= 1, > 1, <= 3, < 3")
    assert [t.op for t in c.canonical_terms()] == [
        Op.GT,
        Op.GE,
        Op.EQ,
        Op.PESSIMISTIC_MINOR,
        Op.PESSIMISTIC_PATCH,
        Op.NE,
        Op.LE,
        Op.LT,
    ]
    assert str(c) == "> 1.0.0, >= 1.0.0, 1.0.0, ~> 1.2, ~> 1.2.3, != 2.0.0, <= 3.0.0, < 3.0.0"
    assert (parse_constraints("~> 1") + parse_constraints(">= 1.0.0")).terms == (
        merge_constraints("~> 1", ">= 1.0.0").terms
    )
    assert not Constraints()
    assert constraints_string(Constraints()) == ""
    # Build metadata breaks ties between equal boundaries (it sorts like a pre-release).
    assert constraints_string("1.0.0+b, 1.0.0+a") == "1.0.0+a, 1.0.0+b"
