"""The expr-lang subset of aqua constraints and policies (depguard.aqua.expr)."""

from __future__ import annotations

import pytest

from depguard.aqua.expr import GoVersion, compile_expr, constraint_true, semver_match, version_env
from depguard.errors import InputError

W = "registry.yaml"


def ok(source: str, version: str, prefix: str = "") -> bool:
    return constraint_true(source, version, prefix=prefix, where=W)


# --- go-version semantics ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "want"),
    [
        ("1.2.3", "1.2.3", 0),
        ("v1.2.3", "1.2.3", 0),
        ("1.2", "1.2.0", 0),
        ("1.2.0.0", "1.2", 0),
        ("1.2.0.1", "1.2", 1),
        ("1.10.0", "1.9.0", 1),
        ("1.0.0-beta", "1.0.0", -1),
        ("1.0.0-alpha", "1.0.0-beta", -1),
        ("1.0.0-beta.2", "1.0.0-beta.11", -1),
        ("1.0.0-1", "1.0.0-alpha", -1),
        ("1.0.0-beta", "1.0.0-beta.1", -1),  # a missing part sorts before a numeric one
        ("1.0.0-beta", "1.0.0-beta.x", 1),  # ... but after a non-numeric one (go-version quirk)
        ("1.0.0+a", "1.0.0+b", 0),  # metadata ignored
        ("1.2.3rc1", "1.2.3", -1),  # pre-release without a dash
        ("1.32.3+k0s.0", "1.32.3", 0),
    ],
)
def test_go_version_compare(a: str, b: str, want: int) -> None:
    va, vb = GoVersion.parse(a), GoVersion.parse(b)
    assert va is not None and vb is not None
    assert va.compare(vb) == want
    assert vb.compare(va) == -want


@pytest.mark.parametrize(
    "text", ["", "x1.0", "1.0+", "kustomize/v5.0.0", "1..2", "v", "99999999999999999999"]
)
def test_go_version_rejects(text: str) -> None:
    assert GoVersion.parse(text) is None


def test_go_version_string_is_canonical() -> None:
    v = GoVersion.parse("v1.04-rc.1+meta")
    assert v is not None and str(v) == "1.4.0-rc.1+meta"


# --- semver() ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("constraint", "version", "want"),
    [
        (">= 0.4.0", "v0.4.0", True),
        (">= 0.4.0", "v0.3.0", False),
        ("<= 1.2.3", "v1.2.3", True),
        ("< 1.2.3", "v1.2.3", False),
        ("> 1.2.3", "1.2.4", True),
        ("!= 1.2.3", "1.2.3", False),
        ("= 1.2.3", "v1.2.3", True),
        (">= 1.0.0, < 2.0.0", "1.5.0", True),
        (">= 1.0.0, < 2.0.0", "2.0.0", False),
        ("<= 1.32.3+k0s.0", "v1.32.3+k0s.0", True),
        (">=1.0.0", "1.0.0", True),  # no space after the operator
    ],
)
def test_semver_match(constraint: str, version: str, want: bool) -> None:
    assert semver_match(constraint, version) is want


def test_commit_hash_never_matches() -> None:
    sha = "35661968adb8fa29ab1d4a8713c0547d9a6007bb"
    assert semver_match(">= 0.0.0", sha) is False
    assert ok('semver(">= 0.0.0")', sha) is False
    assert ok('semver("< 99.0.0")', sha) is False
    # aqua's own policy relies on `or Version in [...]` for pinned commits
    assert ok(f'semver(">= 3.0.0") or Version in ["{sha}"]', sha) is True


def test_unparsable_version_or_bound_is_false() -> None:
    assert ok('semver(">= 1.0.0")', "latest") is False
    assert ok('semver(">= one")', "v1.0.0") is False
    assert ok('semver(">= 1.0.0")', "kustomize/v5.0.0") is False


def test_unknown_operator_is_false_not_an_error() -> None:
    # aqua panics inside semver(); expr-lang reports an error; the constraint counts as false.
    assert ok('semver("~> 1.0")', "v1.0.0") is False
    assert ok('semver("1.0.0")', "v1.0.0") is False  # a bare version is not an operator
    assert ok('semver("^1.0")', "v1.0.0") is False


def test_semver_uses_semver_with_prefix_trimmed() -> None:
    assert ok('semver(">= 5.0.0")', "kustomize/v5.8.0", prefix="kustomize/") is True
    assert ok('Version == "kustomize/v5.8.0"', "kustomize/v5.8.0", prefix="kustomize/") is True
    assert ok('SemVer == "v5.8.0"', "kustomize/v5.8.0", prefix="kustomize/") is True


def test_semver_with_version_and_trim_prefix() -> None:
    src = 'semverWithVersion(">= 4.2.0", trimPrefix(Version, "kustomize/"))'
    assert ok(src, "kustomize/v4.3.0") is True
    assert ok(src, "kustomize/v0.3.0") is False


# --- the language ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "version", "want"),
    [
        ('Version == "v1.2.3"', "v1.2.3", True),
        ("Version == 'v1.2.3'", "v1.2.3", True),
        ("Version == `v1.2.3`", "v1.2.3", True),
        ('Version != "v1.2.3"', "v1.2.3", False),
        ('Version in ["v1.0.0", "v1.2.3"]', "v1.2.3", True),
        ('Version not in ["v1.0.0", "v1.2.3"]', "v1.2.3", False),
        ('Version startsWith "release-cli-"', "release-cli-1.0", True),
        ('not (Version startsWith "release-cli-")', "release-cli-1.0", False),
        ('Version not startsWith "rc-"', "v1", True),
        ('Version endsWith "-dev"', "v1-dev", True),
        ('Version contains "-dev"', "v1-dev.2", True),
        ("true", "x", True),
        ("false", "x", False),
        ("!false && true", "x", True),
        ("false || not false", "x", True),
        ('semver("<= 1.0.0") or Version == "v2.0.0"', "v2.0.0", True),
        ('(semver(">= 1.0.0") && semver("< 2.0.0")) || Version == "x"', "v1.5.0", True),
        (
            'Version startsWith "release-cli-" and '
            'semverWithVersion("<= 0.9.0", trimPrefix(Version, "release-cli-"))',
            "release-cli-0.8.0",
            True,
        ),
        ('Version < "v2"', "v10", True),  # strings compare lexically, as in expr-lang
        ("1 + 2 == 3", "x", True),
        ("7 % 3 == 1 and -7 % 3 == -1", "x", True),
        ('true ? Version == "a" : false', "a", True),
        ('len(Version) == 6 and lower("ABC") == "abc"', "v1.2.3", True),
    ],
)
def test_expressions(source: str, version: str, want: bool) -> None:
    assert ok(source, version) is want


def test_multiline_constraint_from_registry() -> None:
    src = """(semver("<= 1.32.3+k0s.0") && semver(">= 1.32.0+k0s.0")) ||
(semver("<= 1.31.7+k0s.0") && semver(">= 1.31.0+k0s.0"))"""
    assert ok(src, "v1.31.5+k0s.0") is True
    assert ok(src, "v1.33.0+k0s.0") is False


def test_precedence_of_not_follows_expr_lang() -> None:
    # `not` binds tighter than `==`: (not Version) == "x" is a type error → false.
    assert ok('not Version == "x"', "y") is False
    assert ok('not (Version == "x")', "y") is True


def test_evaluation_errors_are_false_in_test_and_raise_in_evaluate() -> None:
    e = compile_expr("Unknown == 1", where=W)
    assert e.test(version_env("v1")) is False
    with pytest.raises(InputError, match="unknown name Unknown"):
        e.evaluate(version_env("v1"))
    assert compile_expr("Version < 1", where=W).test(version_env("v1")) is False
    assert compile_expr('"a"', where=W).test(version_env("v1")) is False  # not a bool


def test_version_env_contents() -> None:
    env = version_env("cli-v1.2.3", prefix="cli-")
    assert env["Version"] == "cli-v1.2.3"
    assert env["SemVer"] == "v1.2.3"
    assert callable(env["semver"]) and callable(env["semverWithVersion"])


@pytest.mark.parametrize(
    "source",
    [
        "",
        "   ",
        ">= 0.4.0",  # aqua's own test: not an expression
        "Version matches '^v1'",
        "foo.bar",
        "Version[0]",
        "exec('x')",
        "__import__('os')",
        "Version |> trim()",
        "$env",
        "let x = 1; x",
        '"unterminated',
        '"bad \\q escape"',
        "[1, 2",
        "semver(",
        "Version ?? 'x'",
        "1 ** 2",
        "x" * 5000,
        "(" * 40 + "true" + ")" * 40,
        "-" * 40 + "1 == 1",
        "1+" * 1000 + "1 == 1001",
    ],
)
def test_syntax_outside_subset_is_input_error(source: str) -> None:
    with pytest.raises(InputError) as err:
        compile_expr(source, where=W)
    assert err.value.path == W


def test_long_flat_chains_still_compile() -> None:
    source = "false || " * 150 + "true"
    assert compile_expr(source, where=W).test({}) is True


def test_compile_is_cached() -> None:
    a = compile_expr('Version == "v1"', where="a.yaml")
    b = compile_expr('Version == "v1"', where="b.yaml")
    assert a._node is b._node
    assert a.where == "a.yaml" and b.where == "b.yaml"


def test_string_escapes() -> None:
    assert compile_expr('"a\\tb\\u0041\\x41\\101"', where=W).evaluate({}) == "a\tbAAA"


def test_overlong_versions_are_refused_quickly() -> None:
    import time

    start = time.monotonic()
    assert GoVersion.parse("1" + "-a" * 3000 + "!") is None
    assert semver_match(">= 1.0.0", "1" + "-a" * 3000) is False
    assert time.monotonic() - start < 1.0
