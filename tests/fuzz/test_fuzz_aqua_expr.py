"""aqua's two little languages: expr-lang expressions (``depguard.aqua.expr``) and Go
text/templates (``depguard.aqua.template``). Registry and policy authors write both, so both
are attacker-shaped input.

Contracts: ``compile_expr``, ``Expr.evaluate`` and ``constraint_true`` raise only
``InputError``; ``Expr.test`` never raises (an evaluation error is "false");
``semver_match`` raises only its internal evaluation error (an unknown operator);
``GoVersion.parse`` never raises; ``render`` returns text of at most ``MAX_OUTPUT`` bytes or
raises ``InputError`` naming ``where``. All of it in bounded time.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.aqua import template
from depguard.aqua.expr import (
    GoVersion,
    _EvalError,
    compile_expr,
    constraint_true,
    semver_match,
    version_env,
)
from depguard.errors import InputError
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import VERSIONS, mutated, noise

pytestmark = pytest.mark.fuzz

# Once reached float() and raised OverflowError: "1<400 zeros> < 1" or "... / 1".
HUGE_LITERAL = "1" + "0" * 400

ATOMS = st.sampled_from(
    (
        "Version",
        "SemVer",
        '"v1.2.3"',
        "'single'",
        "`raw`",
        '"esc\\n\\u00e9\\x41\\101"',
        "1",
        "-2.5",
        "0",
        "1e999",
        HUGE_LITERAL,
        "9223372036854775807",
        "true",
        "false",
        "nil",
        '["a", 1, nil]',
        "[]",
        'semver(">= 1.0.0")',
        'semver(">= 1.0, < 2")',
        'semver("~> 1.0")',
        'semverWithVersion(">= 1", "v2.0.0")',
        'trimPrefix(Version, "v")',
        'trimSuffix(Version, "-rc")',
        'hasPrefix(Version, "v")',
        'lower("A")',
        "len(Version)",
        'len(["x"])',
        "unknownName",
        "unknownFn(1)",
    )
)
BINARY = st.sampled_from(
    (
        "==",
        "!=",
        "<",
        ">",
        "<=",
        ">=",
        "in",
        "not in",
        "contains",
        "startsWith",
        "endsWith",
        "not startsWith",
        "and",
        "or",
        "&&",
        "||",
        "+",
        "-",
        "*",
        "/",
        "%",
    )
)
REFUSED = st.sampled_from(
    ("Version.x", "Version[0]", "x |> y", 'Version matches "a"', "let x = 1; x", "#", "{a: 1}")
)


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, BINARY, inner).map(" ".join),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"!{e}"),
            inner.map(lambda e: f"not {e}"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
            st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        )

    return st.recursive(ATOMS | REFUSED, extend, max_leaves=8)


EXPRESSIONS = mutated(_expressions(), max_steps=2)
EXPR_NOISE = noise("VersionSemVr()[]\"'`<>=!&|+-*/%?:,. 0123456789semvrin\\", max_size=80)
VERSION_INPUT = (
    VERSIONS | st.sampled_from(("", "v", "a" * 40, "0" * 40, "1.2.3.4.5")) | noise("v.-+0123")
)


@given(source=EXPRESSIONS | EXPR_NOISE, version=VERSION_INPUT, prefix=st.sampled_from(("", "v")))
def test_expressions(source: str, version: str, prefix: str) -> None:
    compiled = outcome(compile_expr, source, where="reg.yaml:3", raises=(InputError,))
    if compiled.value is None:
        return
    env = version_env(version, prefix=prefix)
    outcome(compiled.value.evaluate, env, raises=(InputError,))
    tested = outcome(compiled.value.test, env, raises=())
    assert tested.value in (True, False, None)
    outcome(
        constraint_true,
        source,
        version,
        prefix=prefix,
        where="w",
        raises=(InputError,),
    )


@given(
    constraint=st.lists(
        st.tuples(st.sampled_from((">=", "<=", "!=", ">", "<", "=", "", "~>", "==")), VERSIONS),
        max_size=3,
    ).map(lambda terms: ", ".join(op + " " + v for op, v in terms))
    | noise("<>=!~, v0123456789.-+"),
    version=VERSION_INPUT,
)
def test_semver_match(constraint: str, version: str) -> None:
    outcome(semver_match, constraint, version, raises=(_EvalError,))
    a = GoVersion.parse(version)
    b = GoVersion.parse(constraint.lstrip("<>=!~ "))
    if a is not None and b is not None:
        assert a.compare(b) == -b.compare(a)
        assert a.compare(a) == 0


@example(source=HUGE_LITERAL + " < 1")
@given(
    source=st.sampled_from(
        (
            HUGE_LITERAL + " / 1",
            "-" + HUGE_LITERAL + " >= 0.5",
            "9223372036854775807 + 1 > 0",
            "9223372036854775807 * 2 < 1e999",
            "9223372036854775808 == 1",
        )
    )
)
def test_regression_huge_number_literal(source: str) -> None:
    """An integer literal too large for a float (``1`` and 400 zeros) used to compile, and
    comparing or dividing it called ``float()``: ``OverflowError`` escaped ``Expr.evaluate``,
    ``Expr.test`` and ``constraint_true``. Literals are now Go ints (64 bits, a longer one is
    a syntax error), integer arithmetic past 64 bits is an evaluation error instead of Go's
    silent wrap-around, and comparisons no longer go through ``float()``."""
    compiled = outcome(compile_expr, source, where="w", raises=(InputError,))
    if compiled.error is not None:
        assert "out of range" in str(compiled.error)
        assert len(str(compiled.error)) < 400, "the message elides a long expression"
        return
    assert compiled.value is not None
    assert outcome(compiled.value.test, version_env("v1.0.0"), raises=()).value is False
    outcome(compiled.value.evaluate, version_env("v1.0.0"), raises=(InputError,))


def test_regression_int64_bounds() -> None:
    assert compile_expr("9223372036854775807 > 0", where="w").test(version_env("v1")) is True
    assert compile_expr("-9223372036854775807 - 1 < 0", where="w").test(version_env("v1"))


@example(source="²")
@given(source=st.sampled_from(("Version == ٣", "1 + ¹", "x٣", "1²")))
def test_regression_unicode_digit(source: str) -> None:
    """``_tokenize`` took ``str.isdigit()`` (true for ``²``, ``٣``…) as the start of a number
    and then ``assert``-ed that its ASCII number regex matched: ``AssertionError`` instead of
    the documented ``InputError``. Found by the long profile."""
    result = outcome(compile_expr, source, where="w", raises=(InputError,))
    assert isinstance(result.error, InputError)


# --- templates ------------------------------------------------------------------------------

FIELDS = st.sampled_from(
    (".Version", ".SemVer", ".OS", ".Arch", ".Format", ".Vars.x", ".Missing", ".", ".Version.x")
)
OPERANDS = FIELDS | st.sampled_from(
    ('"s"', '"\\u00e9\\n"', "`raw`", "1", "-1", "2.5", "true", "nil", "0x10", "1e999")
)
CALLS = st.one_of(
    st.tuples(st.sampled_from(sorted(template.FUNCTIONS)), st.lists(OPERANDS, max_size=3)).map(
        lambda t: " ".join((t[0], *t[1]))
    ),
    st.sampled_from(
        (
            'printf "%s-%d-%v%%%x" .Version 1 .OS',
            "(semver .Version).Major",
            "semver .Version | toString",
            '.Version | trimPrefix "v" | upper',
            'substr 0 -1 "abc"',
            'substr 99999999999999999999 1 "abc"',
            'index .Vars "x"',
            "index .List 5",
            'eq .OS "linux" "darwin"',
            "lt 1 2.5",
            "len .Vars",
            'replace "a" "b" .Version',
            "range .List",
            "$x := 1",
            'template "x"',
            'define "x"',
            "call .F",
        )
    ),
)


@st.composite
def templates(draw: st.DrawFn) -> str:
    pieces: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(("text", "action", "pipe", "if", "comment", "trim")))
        if kind == "text":
            pieces.append(draw(st.text(max_size=6)))
        elif kind == "action":
            pieces.append("{{" + draw(OPERANDS | CALLS) + "}}")
        elif kind == "pipe":
            pieces.append("{{ " + draw(OPERANDS) + " | " + draw(CALLS) + " }}")
        elif kind == "if":
            cond = draw(OPERANDS | CALLS)
            body = draw(OPERANDS)
            tail = draw(st.sampled_from(("{{end}}", "{{else}}x{{end}}", "{{else if .OS}}y{{end}}")))
            pieces.append(f"{{{{if {cond}}}}}{{{{{body}}}}}{tail}")
        elif kind == "comment":
            pieces.append("{{/* c */}}")
        else:
            pieces.append("{{- " + draw(OPERANDS) + " -}}")
    return "".join(pieces)


DATA = {
    "Version": "v1.2.3",
    "SemVer": "1.2.3",
    "OS": "linux",
    "Arch": "amd64",
    "Format": "tar.gz",
    "Vars": {"x": "y"},
    "List": ["a", "b"],
}
TEMPLATE_NOISE = noise('{}-|()"`$. /*abcVersionprintfif end0123456789\n\\', max_size=120)


@given(
    source=mutated(templates(), max_steps=2)
    | TEMPLATE_NOISE
    | st.sampled_from(
        (
            "{{" * 40 + "}}" * 40,
            "{{if .OS}}" * 40 + "{{end}}" * 40,
            '{{printf "%s%s" .Version .Version}}' * 500,
        )
    ),
    version=VERSION_INPUT,
)
def test_templates(source: str, version: str) -> None:
    data = {**DATA, "Version": version, "SemVer": version.removeprefix("v")}
    result = outcome(
        template.render,
        source,
        data,
        where="reg.yaml:9",
        raises=(InputError,),
        err_path="reg.yaml:9",
    )
    if result.value is not None:
        assert len(result.value.encode("utf-8", "surrogatepass")) <= max(
            template.MAX_OUTPUT, len(source.encode("utf-8", "surrogatepass"))
        )
