"""A safe evaluator for the expr-lang subset aqua uses in registries and policies.

aqua evaluates ``version_constraint`` (registry), ``version``/``ref`` (aqua-policy.yaml) with
expr-lang (``aqua:pkg/expr``) against ``Version``, ``SemVer``, ``semver(c)``,
``semverWithVersion(c, v)`` and ``trimPrefix(s, p)``. This module parses that language with a
small tokenizer and a precedence-climbing parser (expr-lang's operator precedences) and walks
the tree; nothing is ever handed to Python's ``eval``.

Supported: string literals (``"…"``, ``'…'``, raw ```…```), numbers, ``true``/``false``/``nil``,
list literals, identifiers taken from the environment, calls of the functions in
:data:`FUNCTIONS`, ``== != < > <= >=``, ``in`` / ``not in``, ``contains``, ``startsWith``,
``endsWith`` (and their ``not`` forms), ``and or not && || !``, ``+ - * / %``, ``?:`` and
parentheses. Anything else (member access, indexing, closures, pipes, ``matches``…) is refused
at compile time with :class:`~depguard.errors.InputError`.

``semver("<c>")`` follows ``aqua:pkg/expr/version_compare.go``: the constraint is a
comma-separated AND of ``>= <= != > < =`` terms compared with hashicorp/go-version semantics
(re-implemented in :class:`GoVersion`); a 40-hex commit hash never matches; an unparsable
version, or an unknown operator (a panic inside aqua), makes the whole expression false.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from depguard.errors import InputError

__all__ = [
    "FUNCTIONS",
    "Expr",
    "GoVersion",
    "compile_expr",
    "constraint_true",
    "semver_match",
    "version_env",
]

MAX_SOURCE = 4096
MAX_DEPTH = 32
MAX_VERSION = 256

# Function names an expression may call. The environment supplies the version-aware ones
# (semver, semverWithVersion); the rest are pure string helpers with Go semantics.
FUNCTIONS = frozenset(
    {
        "semver",
        "semverWithVersion",
        "trimPrefix",
        "trimSuffix",
        "hasPrefix",
        "hasSuffix",
        "lower",
        "upper",
        "trim",
        "len",
    }
)


# --- hashicorp/go-version ----------------------------------------------------------------

# go-version's VersionRegexpRaw, anchored like NewVersion does (group numbers are the same:
# 1 segments, 4 numeric-led pre-release, 7 letter-led pre-release, 10 metadata).
_GO_VERSION_RE = re.compile(
    r"v?([0-9]+(\.[0-9]+)*?)"
    r"(-([0-9]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)|(-?([A-Za-z\-~]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)))?"
    r"(\+([0-9A-Za-z\-~]+(\.[0-9A-Za-z\-~]+)*))?"
    r"?"
)
_INT64_MAX = 2**63 - 1
_GO_INT_RE = re.compile(r"[+-]?[0-9]+")
_COMMIT_HASH_RE = re.compile(r"[0-9a-f]{40}")


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64), or None where Go returns an error."""
    if not _GO_INT_RE.fullmatch(text):
        return None
    value = int(text)
    return value if -_INT64_MAX - 1 <= value <= _INT64_MAX else None


@dataclass(frozen=True, slots=True)
class GoVersion:
    """A version as hashicorp/go-version's ``NewVersion`` parses it (lenient, ``v`` allowed)."""

    segments: tuple[int, ...]
    pre: str
    metadata: str

    @classmethod
    def parse(cls, text: str) -> GoVersion | None:
        """Parse like ``version.NewVersion``; ``None`` where go-version returns an error.

        Versions longer than :data:`MAX_VERSION` are refused too: go-version's pattern
        backtracks polynomially and no real tag is that long.
        """
        if len(text) > MAX_VERSION:
            return None
        m = _GO_VERSION_RE.fullmatch(text)
        if m is None:
            return None
        segments: list[int] = []
        for part in m.group(1).split("."):
            value = _go_parse_int(part)
            if value is None:
                return None
            segments.append(value)
        while len(segments) < 3:
            segments.append(0)
        pre = m.group(7) or m.group(4) or ""
        return cls(tuple(segments), pre, m.group(10) or "")

    def __str__(self) -> str:
        text = ".".join(str(s) for s in self.segments)
        if self.pre:
            text += "-" + self.pre
        if self.metadata:
            text += "+" + self.metadata
        return text

    def compare(self, other: GoVersion) -> int:
        """``Version.Compare``: -1, 0 or 1, with go-version's quirks (metadata ignored unless
        the canonical strings are identical; jagged segment lists compare against zeros)."""
        if str(self) == str(other):
            return 0
        if self.segments == other.segments:
            if not self.pre and not other.pre:
                return 0
            if not self.pre:
                return 1
            if not other.pre:
                return -1
            return _compare_prereleases(self.pre, other.pre)
        a, b = self.segments, other.segments
        for i in range(max(len(a), len(b))):
            if i > len(a) - 1:
                return 0 if all(s == 0 for s in b[i:]) else -1
            if i > len(b) - 1:
                return 0 if all(s == 0 for s in a[i:]) else 1
            if a[i] != b[i]:
                return -1 if a[i] < b[i] else 1
        return 0


def _compare_part(a: str, b: str) -> int:
    if a == b:
        return 0
    ai, bi = _go_parse_int(a), _go_parse_int(b)
    a_num, b_num = ai is not None, bi is not None
    if a == "":
        return -1 if b_num else 1
    if b == "":
        return 1 if a_num else -1
    if a_num and not b_num:
        return -1
    if b_num and not a_num:
        return 1
    if not a_num and not b_num:
        return 1 if a > b else -1
    assert ai is not None and bi is not None
    return 1 if ai > bi else -1


def _compare_prereleases(a: str, b: str) -> int:
    if a == b:
        return 0
    pa, pb = a.split("."), b.split(".")
    for i in range(max(len(pa), len(pb))):
        c = _compare_part(pa[i] if i < len(pa) else "", pb[i] if i < len(pb) else "")
        if c != 0:
            return c
    return 0


_COMPARISONS: tuple[tuple[str, Callable[[int], bool]], ...] = (
    (">=", lambda c: c >= 0),
    ("<=", lambda c: c <= 0),
    ("!=", lambda c: c != 0),
    (">", lambda c: c > 0),
    ("<", lambda c: c < 0),
    ("=", lambda c: c == 0),
)


class _EvalError(Exception):
    """An expression failed at run time (aqua logs it and treats the result as false)."""


def semver_match(constraint: str, version: str) -> bool:
    """aqua's ``compare(constraint, version)``: comma-separated AND of ``op version`` terms.

    A 40-hex commit hash and an unparsable version or bound give ``False``. An unknown operator
    raises the internal evaluation error (aqua panics; expr-lang turns that into an error).
    """
    if _COMMIT_HASH_RE.fullmatch(version):
        return False
    v = GoVersion.parse(version)
    if v is None:
        return False
    for term in constraint.strip().split(","):
        c = term.strip()
        for op, accept in _COMPARISONS:
            if not c.startswith(op):
                continue
            bound = GoVersion.parse(c[len(op) :].strip())
            if bound is None:
                return False
            if not accept(v.compare(bound)):
                return False
            break
        else:
            raise _EvalError("invalid operator. Operator must be one of >=, >, <, <=, !=, =")
    return True


# --- go string helpers ------------------------------------------------------------------

# unicode.IsSpace, which strings.TrimSpace uses.
GO_SPACE = (
    " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _need_str(name: str, *values: object) -> tuple[str, ...]:
    for v in values:
        if not isinstance(v, str):
            raise _EvalError(f"{name}: expected string, got {_type_name(v)}")
    return tuple(values)  # type: ignore[arg-type]


def _trim_prefix(s: object, prefix: object) -> str:
    a, b = _need_str("trimPrefix", s, prefix)
    return a.removeprefix(b)


def _trim_suffix(s: object, suffix: object) -> str:
    a, b = _need_str("trimSuffix", s, suffix)
    return a.removesuffix(b)


def _has_prefix(s: object, prefix: object) -> bool:
    a, b = _need_str("hasPrefix", s, prefix)
    return a.startswith(b)


def _has_suffix(s: object, suffix: object) -> bool:
    a, b = _need_str("hasSuffix", s, suffix)
    return a.endswith(b)


def _lower(s: object) -> str:
    return _need_str("lower", s)[0].lower()


def _upper(s: object) -> str:
    return _need_str("upper", s)[0].upper()


def _trim(s: object) -> str:
    return _need_str("trim", s)[0].strip(GO_SPACE)


def _len(v: object) -> int:
    if isinstance(v, str):
        return len(v)  # expr-lang counts runes
    if isinstance(v, Sequence | Mapping):
        return len(v)
    raise _EvalError(f"len: invalid argument of type {_type_name(v)}")


_BUILTINS: dict[str, Callable[..., object]] = {
    "trimPrefix": _trim_prefix,
    "trimSuffix": _trim_suffix,
    "hasPrefix": _has_prefix,
    "hasSuffix": _has_suffix,
    "lower": _lower,
    "upper": _upper,
    "trim": _trim,
    "len": _len,
}


def version_env(version: str, *, prefix: str = "") -> dict[str, object]:
    """The environment aqua gives version constraints and policy version/ref expressions.

    ``SemVer`` is ``version`` with ``prefix`` trimmed; ``semver(c)`` compares ``SemVer``.
    """
    semver = version.removeprefix(prefix) if prefix else version

    def _semver(c: object) -> bool:
        (constraint,) = _need_str("semver", c)
        return semver_match(constraint, semver)

    def _semver_with_version(c: object, v: object) -> bool:
        constraint, ver = _need_str("semverWithVersion", c, v)
        return semver_match(constraint, ver)

    return {
        "Version": version,
        "SemVer": semver,
        "semver": _semver,
        "semverWithVersion": _semver_with_version,
        "trimPrefix": _trim_prefix,
    }


# --- tokenizer ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # num | str | name | op | punct | eof
    value: object
    pos: int


_WORD_OPS = frozenset({"and", "or", "not", "in", "contains", "startsWith", "endsWith", "matches"})
_SYMBOL_OPS = ("==", "!=", "<=", ">=", "&&", "||", "??", "**", "..", "?.", "<", ">", "!")
_SINGLE = "+-*/%^"
_PUNCT = "()[]{},.?:|#"
_NUM_RE = re.compile(r"[0-9][0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9]+)?")
_NAME_RE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


class _SyntaxErr(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


def _unescape(body: str, pos: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            raise _SyntaxErr("invalid escape at end of string", pos + i)
        e = body[i + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
            continue
        width = {"x": 2, "u": 4, "U": 8}.get(e)
        if width is not None:
            digits = body[i + 2 : i + 2 + width]
            if len(digits) != width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise _SyntaxErr(f"invalid \\{e} escape", pos + i)
            code = int(digits, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise _SyntaxErr("invalid unicode escape", pos + i)
            out.append(chr(code))
            i += 2 + width
            continue
        if e in "01234567":
            digits = body[i + 1 : i + 4]
            if len(digits) != 3 or not all(d in "01234567" for d in digits):
                raise _SyntaxErr("invalid octal escape", pos + i)
            code = int(digits, 8)
            if code > 255:
                raise _SyntaxErr("invalid octal escape", pos + i)
            out.append(chr(code))
            i += 4
            continue
        raise _SyntaxErr(f"invalid escape \\{e}", pos + i)
    return "".join(out)


def _shown(source: str, limit: int = 120) -> str:
    """``source`` quoted for an error message, elided in the middle past ``limit`` chars."""
    if len(source) <= limit:
        return repr(source)
    half = limit // 2
    return repr(source[:half]) + " … " + repr(source[-half:])


def _int_literal(text: str, pos: int) -> int:
    # expr-lang parses integer literals as Go ints (64 bits); a longer one is a syntax error.
    if len(text) > 19 or int(text) > _INT64_MAX:
        raise _SyntaxErr(
            f"integer literal {text[:24]}{'…' if len(text) > 24 else ''} out of range", pos
        )
    return int(text)


def _tokenize(src: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in " \t\r\n":
            i += 1
            continue
        if c in "\"'`":
            j = i + 1
            if c == "`":
                j = src.find("`", i + 1)
                if j < 0:
                    raise _SyntaxErr("unterminated string", i)
                toks.append(_Tok("str", src[i + 1 : j], i))
                i = j + 1
                continue
            while j < n and src[j] != c:
                if src[j] == "\n":
                    raise _SyntaxErr("newline in string", j)
                j += 2 if src[j] == "\\" else 1
            if j >= n:
                raise _SyntaxErr("unterminated string", i)
            toks.append(_Tok("str", _unescape(src[i + 1 : j], i + 1), i))
            i = j + 1
            continue
        m = _NUM_RE.match(src, i)  # ASCII digits only: "²".isdigit() is true
        if m is not None:
            text = m.group(0).replace("_", "")
            if m.end() < n and (src[m.end()].isalnum() or src[m.end()] == "_"):
                raise _SyntaxErr(f"invalid number {src[i : m.end() + 1]!r}", i)
            value: object = float(text) if m.group(1) or m.group(2) else _int_literal(text, i)
            toks.append(_Tok("num", value, i))
            i = m.end()
            continue
        m = _NAME_RE.match(src, i)
        if m is not None:
            word = m.group(0)
            toks.append(_Tok("op" if word in _WORD_OPS else "name", word, i))
            i = m.end()
            continue
        for op in _SYMBOL_OPS:
            if src.startswith(op, i):
                toks.append(_Tok("op", op, i))
                i += len(op)
                break
        else:
            if c in _SINGLE:
                toks.append(_Tok("op", c, i))
            elif c in _PUNCT:
                toks.append(_Tok("punct", c, i))
            else:
                raise _SyntaxErr(f"unexpected character {c!r}", i)
            i += 1
    toks.append(_Tok("eof", None, n))
    return toks


# --- syntax tree ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lit:
    value: object


@dataclass(frozen=True, slots=True)
class _Name:
    name: str


@dataclass(frozen=True, slots=True)
class _List:
    items: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Call:
    name: str
    args: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Unary:
    op: str
    operand: _Node


@dataclass(frozen=True, slots=True)
class _Binary:
    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True, slots=True)
class _Cond:
    test: _Node
    then: _Node
    other: _Node


_Node = _Lit | _Name | _List | _Call | _Unary | _Binary | _Cond

# expr-lang's binary operator precedences (all left-associative in this subset).
_BINARY: dict[str, int] = {
    "or": 10,
    "||": 10,
    "and": 15,
    "&&": 15,
    "==": 20,
    "!=": 20,
    "<": 20,
    ">": 20,
    "<=": 20,
    ">=": 20,
    "in": 20,
    "contains": 20,
    "startsWith": 20,
    "endsWith": 20,
    "+": 30,
    "-": 30,
    "*": 60,
    "/": 60,
    "%": 60,
}
_NEGATABLE = frozenset({"in", "contains", "startsWith", "endsWith"})
_UNARY: dict[str, int] = {"not": 50, "!": 50, "-": 90, "+": 90}
_UNSUPPORTED_OPS = frozenset({"matches", "??", "**", "^", "..", "?.", "|", "#", "{", "."})


class _Parser:
    def __init__(self, src: str) -> None:
        self.toks = _tokenize(src)
        self.i = 0
        self.depth = 0

    @property
    def cur(self) -> _Tok:
        return self.toks[self.i]

    def advance(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def at(self, kind: str, value: str) -> bool:
        tok = self.toks[self.i]
        return tok.kind == kind and tok.value == value

    def expect(self, kind: str, value: str) -> None:
        tok = self.cur
        if tok.kind != kind or tok.value != value:
            raise _SyntaxErr(f"expected {value!r}, found {_describe(tok)}", tok.pos)
        self.i += 1

    def parse(self) -> _Node:
        node = self.expression(0)
        if self.cur.kind != "eof":
            raise _SyntaxErr(f"unexpected {_describe(self.cur)}", self.cur.pos)
        return node

    def expression(self, precedence: int) -> _Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _SyntaxErr(f"expression nested deeper than {MAX_DEPTH}", self.cur.pos)
        left = self.primary()
        while True:
            tok = self.cur
            if tok.kind == "op" and tok.value in _UNSUPPORTED_OPS:
                raise _SyntaxErr(f"operator {tok.value!r} is not supported", tok.pos)
            if tok.kind == "punct" and tok.value in _UNSUPPORTED_OPS:
                raise _SyntaxErr(f"{tok.value!r} is not supported", tok.pos)
            if tok.kind != "op":
                break
            negate = tok.value == "not"
            op_tok = tok
            if negate:
                nxt = self.toks[self.i + 1]
                if nxt.kind != "op" or nxt.value not in _NEGATABLE:
                    raise _SyntaxErr(f"unexpected {_describe(nxt)} after 'not'", nxt.pos)
                op_tok = nxt
            op = str(op_tok.value)
            prec = _BINARY.get(op)
            if prec is None:
                raise _SyntaxErr(f"unexpected operator {op!r}", op_tok.pos)
            if prec < precedence:
                break
            self.i += 2 if negate else 1
            right = self.expression(prec + 1)
            left = _Binary(op, left, right)
            if negate:
                left = _Unary("not", left)
        if precedence == 0 and self.at("punct", "?"):
            self.i += 1
            then = self.expression(0)
            self.expect("punct", ":")
            other = self.expression(0)
            left = _Cond(left, then, other)
        self.depth -= 1
        return left

    def primary(self) -> _Node:
        tok = self.cur
        if tok.kind == "op" and tok.value in _UNARY:
            self.i += 1
            operand = self.expression(_UNARY[str(tok.value)])
            return _Unary(str(tok.value), operand)
        if tok.kind == "num" or tok.kind == "str":
            self.i += 1
            return _Lit(tok.value)
        if tok.kind == "punct" and tok.value == "(":
            self.i += 1
            node = self.expression(0)
            self.expect("punct", ")")
            return node
        if tok.kind == "punct" and tok.value == "[":
            self.i += 1
            items: list[_Node] = []
            while not self.at("punct", "]"):
                items.append(self.expression(0))
                if self.at("punct", ","):
                    self.i += 1
                    continue
                if not self.at("punct", "]"):
                    raise _SyntaxErr(
                        f"expected ',' or ']', found {_describe(self.cur)}", self.cur.pos
                    )
            self.i += 1
            return _List(tuple(items))
        if tok.kind == "name":
            name = str(tok.value)
            self.i += 1
            if name in ("true", "false"):
                return _Lit(name == "true")
            if name == "nil":
                return _Lit(None)
            if name.startswith("$"):
                raise _SyntaxErr(f"variable {name} is not supported", tok.pos)
            if self.at("punct", "("):
                if name not in FUNCTIONS:
                    raise _SyntaxErr(f"function {name} is not allowed", tok.pos)
                self.i += 1
                args: list[_Node] = []
                while not self.at("punct", ")"):
                    args.append(self.expression(0))
                    if self.at("punct", ","):
                        self.i += 1
                        continue
                    if not self.at("punct", ")"):
                        raise _SyntaxErr(
                            f"expected ',' or ')', found {_describe(self.cur)}", self.cur.pos
                        )
                self.i += 1
                return _Call(name, tuple(args))
            return _Name(name)
        raise _SyntaxErr(f"unexpected {_describe(tok)}", tok.pos)


def _describe(tok: _Tok) -> str:
    if tok.kind == "eof":
        return "end of expression"
    return f"{tok.value!r}"


# --- evaluation -------------------------------------------------------------------------------


def _type_name(v: object) -> str:
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, Mapping):
        return "map"
    if isinstance(v, Sequence):
        return "array"
    return type(v).__name__


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _equal(a: object, b: object) -> bool:
    # expr-lang runtime.Equal: numbers across int/float, otherwise same type and value.
    if _is_num(a) and _is_num(b):
        return a == b
    if type(a) is not type(b):
        if isinstance(a, Sequence | Mapping) and isinstance(b, Sequence | Mapping):
            return a == b
        return False
    return a == b


def _less(op: str, a: object, b: object) -> bool:
    c: int
    if isinstance(a, str) and isinstance(b, str):
        c = (a > b) - (a < b)
    elif _is_num(a) and _is_num(b):
        # Python compares int with float exactly, without float(int) overflowing.
        c = (a > b) - (a < b)  # type: ignore[operator]
    else:
        raise _EvalError(f"invalid operation: {_type_name(a)} {op} {_type_name(b)}")
    return {"<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]


def _bool(v: object, op: str) -> bool:
    if not isinstance(v, bool):
        raise _EvalError(f"invalid operation: {op} on {_type_name(v)}")
    return v


def _arith(op: str, a: object, b: object) -> object:
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if not (_is_num(a) and _is_num(b)):
        raise _EvalError(f"invalid operation: {_type_name(a)} {op} {_type_name(b)}")
    x: int | float = a  # type: ignore[assignment]
    y: int | float = b  # type: ignore[assignment]
    if op in "+-*":
        try:
            result = x + y if op == "+" else x - y if op == "-" else x * y
        except OverflowError as e:  # float(int) inside mixed int/float arithmetic
            raise _EvalError(f"{op} overflows: {e}") from None
        if isinstance(result, int) and not -_INT64_MAX - 1 <= result <= _INT64_MAX:
            # Go would wrap around silently; a version check must not, so refuse.
            raise _EvalError(f"integer overflow in {op}")
        return result
    if y == 0:
        raise _EvalError("division by zero")
    if op == "/":
        try:
            return x / y
        except OverflowError as e:  # float result out of range
            raise _EvalError(f"division overflows: {e}") from None
    if not (isinstance(x, int) and isinstance(y, int)):
        raise _EvalError("invalid operation: % on float")
    r = abs(x) % abs(y)
    return r if x >= 0 else -r  # Go's remainder takes the dividend's sign


def _eval(node: _Node, env: Mapping[str, object]) -> object:
    if isinstance(node, _Lit):
        return node.value
    if isinstance(node, _Name):
        if node.name not in env:
            raise _EvalError(f"unknown name {node.name}")
        return env[node.name]
    if isinstance(node, _List):
        return [_eval(item, env) for item in node.items]
    if isinstance(node, _Call):
        fn = env.get(node.name, _BUILTINS.get(node.name))
        if not callable(fn):
            raise _EvalError(f"{node.name} is not a function")
        args = [_eval(a, env) for a in node.args]
        try:
            return fn(*args)
        except TypeError as e:  # wrong number of arguments
            raise _EvalError(f"{node.name}: {e}") from e
    if isinstance(node, _Unary):
        v = _eval(node.operand, env)
        if node.op in ("not", "!"):
            return not _bool(v, node.op)
        if not _is_num(v):
            raise _EvalError(f"invalid operation: {node.op} on {_type_name(v)}")
        return -v if node.op == "-" else v  # type: ignore[operator]
    if isinstance(node, _Cond):
        return (
            _eval(node.then, env) if _bool(_eval(node.test, env), "?:") else _eval(node.other, env)
        )
    op = node.op
    if op in ("or", "||"):
        return _bool(_eval(node.left, env), op) or _bool(_eval(node.right, env), op)
    if op in ("and", "&&"):
        return _bool(_eval(node.left, env), op) and _bool(_eval(node.right, env), op)
    a = _eval(node.left, env)
    b = _eval(node.right, env)
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op in ("<", ">", "<=", ">="):
        return _less(op, a, b)
    if op == "in":
        if isinstance(b, Mapping):
            return a in b
        if isinstance(b, Sequence) and not isinstance(b, str):
            return any(_equal(a, item) for item in b)
        raise _EvalError(f"invalid operation: in on {_type_name(b)}")
    if op in ("contains", "startsWith", "endsWith"):
        if not (isinstance(a, str) and isinstance(b, str)):
            raise _EvalError(f"invalid operation: {_type_name(a)} {op} {_type_name(b)}")
        if op == "contains":
            return b in a
        return a.startswith(b) if op == "startsWith" else a.endswith(b)
    return _arith(op, a, b)


class Expr:
    """A compiled expression. Immutable; cheap to share."""

    __slots__ = ("_node", "source", "where")

    def __init__(self, source: str, node: _Node, where: str) -> None:
        self.source = source
        self.where = where
        self._node = node

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"

    def evaluate(self, env: Mapping[str, object]) -> object:
        """Evaluate against ``env``; raise :class:`InputError` when evaluation fails."""
        try:
            return _eval(self._node, env)
        except _EvalError as e:
            raise InputError(self.where, f"expression {_shown(self.source)}: {e}") from e

    def test(self, env: Mapping[str, object]) -> bool:
        """Evaluate as aqua does: a non-boolean result or an evaluation error counts as false."""
        try:
            result = _eval(self._node, env)
        except _EvalError:
            return False
        return result is True


MAX_TREE_DEPTH = 200


def _tree_depth(root: _Node) -> int:
    """Depth of the syntax tree, walked without recursion (operator chains grow it)."""
    deepest = 0
    stack: list[tuple[_Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children: tuple[_Node, ...] = ()
        if isinstance(node, _List):
            children = node.items
        elif isinstance(node, _Call):
            children = node.args
        elif isinstance(node, _Unary):
            children = (node.operand,)
        elif isinstance(node, _Binary):
            children = (node.left, node.right)
        elif isinstance(node, _Cond):
            children = (node.test, node.then, node.other)
        stack.extend((child, depth + 1) for child in children)
    return deepest


@lru_cache(maxsize=4096)
def _compile(source: str) -> _Node:
    node = _Parser(source).parse()
    if _tree_depth(node) > MAX_TREE_DEPTH:
        raise _SyntaxErr(f"expression has more than {MAX_TREE_DEPTH} nested operations", 0)
    return node


def compile_expr(source: str, *, where: str) -> Expr:
    """Compile ``source``; raise :class:`InputError` for syntax outside the supported subset."""
    if not isinstance(source, str):
        raise InputError(where, f"expression must be a string, got {_type_name(source)}")
    if len(source) > MAX_SOURCE:
        raise InputError(where, f"expression longer than {MAX_SOURCE} characters")
    if not source.strip():
        raise InputError(where, "empty expression")
    try:
        node = _compile(source)
    except _SyntaxErr as e:
        raise InputError(where, f"expression {_shown(source)}: {e} (at offset {e.pos})") from e
    return Expr(source, node, where)


def constraint_true(source: str, version: str, *, prefix: str = "", where: str) -> bool:
    """Whether a ``version_constraint``-style expression holds for ``version``.

    Raises :class:`InputError` when ``source`` is outside the supported syntax; evaluation
    errors (unparsable versions, unknown operators inside ``semver()``) give ``False``.
    """
    return compile_expr(source, where=where).test(version_env(version, prefix=prefix))
