"""A safe interpreter for the Go text/template subset aqua registries use.

aqua renders ``asset``, ``url``, ``path``, ``files[].src``, checksum and signature file names
and cosign ``opts`` with Go's text/template plus the sprig function map (minus ``env``,
``expandenv`` and ``getHostByName``) and ``trimV`` (``aqua:pkg/template/template.go``). This
module re-implements the part of that language a registry needs -- text, ``{{ }}`` actions with
``{{-``/``-}}`` trim markers and comments, field chains (``.Vars.x``, ``(semver .Version).Major``),
string/number/bool/nil literals, pipelines, parenthesised sub-pipelines, ``if``/``else
if``/``else``/``end`` -- and a fixed list of functions (:data:`FUNCTIONS`). Everything else
(``range``, ``with``, ``define``, ``template``, ``block``, variables, unknown functions) is
refused with :class:`~depguard.errors.InputError`; nothing is ever executed.

Values follow Go's rules where a registry can observe them: a missing map key renders as
``<no value>`` and is an error when passed to a string function; ``eq`` between different
kinds is an error; ``printf`` supports ``%s``, ``%v``, ``%d`` and ``%%``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from depguard.aqua.expr import GO_SPACE, _SyntaxErr, _unescape
from depguard.errors import InputError

__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_OUTPUT", "MAX_TEMPLATE", "SemverValue", "render"]

MAX_TEMPLATE = 4096
MAX_DEPTH = 32
MAX_OUTPUT = 64 * 1024

_SPACE = " \t\r\n"
_KEYWORDS = frozenset({"if", "else", "end", "nil", "true", "false"})
_REFUSED_KEYWORDS = frozenset({"range", "with", "define", "template", "block", "break", "continue"})
_REFUSED_FUNCTIONS = frozenset(
    {"call", "html", "js", "urlquery", "slice", "env", "expandenv", "getHostByName"}
)


class _TplError(Exception):
    """A template cannot be parsed or executed."""


class _Missing:
    """Go's invalid reflect.Value: a missing map key ("<no value>")."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<no value>"


MISSING = _Missing()


# --- sprig's semver (Masterminds/semver v3, lenient parser) --------------------------------

_LOOSE_SEMVER = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_UINT64_MAX = 2**64 - 1


@dataclass(frozen=True, slots=True)
class SemverValue:
    """What sprig's ``semver`` returns; fields reachable as ``.Major``, ``.Minor`` …"""

    major: int
    minor: int
    patch: int
    prerelease: str
    metadata: str
    original: str

    @classmethod
    def parse(cls, text: str) -> SemverValue:
        """Parse like ``semver.NewVersion`` (coercing); raise ``_TplError`` when invalid."""
        m = _LOOSE_SEMVER.fullmatch(text)
        if m is None:
            raise _TplError(f"semver: invalid semantic version {text!r}")
        nums = [int(m.group(1)), int((m.group(2) or ".0")[1:]), int((m.group(3) or ".0")[1:])]
        if any(n > _UINT64_MAX for n in nums):
            raise _TplError(f"semver: invalid semantic version {text!r}")
        pre = m.group(5) or ""
        for part in pre.split(".") if pre else ():
            if part.isdigit() and len(part) > 1 and part[0] == "0":
                raise _TplError(f"semver: version segment starts with 0 in {text!r}")
        return cls(nums[0], nums[1], nums[2], pre, m.group(8) or "", text)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + self.prerelease
        if self.metadata:
            text += "+" + self.metadata
        return text

    def field(self, name: str) -> object:
        """The niladic method ``name`` (Major, Minor, Patch, Prerelease, Metadata, Original)."""
        values: dict[str, object] = {
            "Major": self.major,
            "Minor": self.minor,
            "Patch": self.patch,
            "Prerelease": self.prerelease,
            "Metadata": self.metadata,
            "Original": self.original,
            "String": str(self),
        }
        if name not in values:
            raise _TplError(f"can't evaluate field {name} in type *semver.Version")
        return values[name]


# --- Go value helpers ------------------------------------------------------------------------


def _kind(v: object) -> str:
    if v is MISSING or v is None:
        return "invalid"
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
        return "slice"
    return "struct"


def _go_type(v: object) -> str:
    return {
        "invalid": "<nil>",
        "bool": "bool",
        "int": "int",
        "float": "float64",
        "string": "string",
        "map": "map[string]interface {}",
        "slice": "[]interface {}",
    }.get(_kind(v), "*semver.Version")


def _truth(v: object) -> bool:
    if v is MISSING or v is None:
        return False
    if isinstance(v, bool | int | float):
        return bool(v)
    if isinstance(v, str | Sequence | Mapping):
        return len(v) > 0
    return True


def _fmt_float(f: float) -> str:
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == int(f) and abs(f) < 1e21:
        return str(int(f))
    return repr(f)


def _fmt(v: object) -> str:
    """fmt's %v for the values a template can hold."""
    if v is MISSING or v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _fmt_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, Mapping):
        items = sorted((str(k), _fmt(val)) for k, val in v.items())
        return "map[" + " ".join(f"{k}:{val}" for k, val in items) + "]"
    if isinstance(v, Sequence):
        return "[" + " ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _print_value(v: object) -> str:
    """text/template's printValue: a missing value prints as ``<no value>``."""
    if v is MISSING:
        return "<no value>"
    return _fmt(v)


def _str_arg(fn: str, v: object) -> str:
    if isinstance(v, str):
        return v
    if v is MISSING or v is None:
        raise _TplError(f"error calling {fn}: invalid value; expected string")
    raise _TplError(f"wrong type for value; expected string; got {_go_type(v)}")


def _int_arg(fn: str, v: object) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    raise _TplError(f"wrong type for value; expected int; got {_go_type(v)}")


def _any_arg(v: object) -> object:
    return None if v is MISSING else v


def _arity(fn: str, args: Sequence[object], low: int, high: int | None = None) -> None:
    if len(args) < low or (high is not None and len(args) > high):
        want = str(low) if high == low else f"{low}+" if high is None else f"{low}-{high}"
        raise _TplError(f"wrong number of args for {fn}: want {want} got {len(args)}")


# --- functions ----------------------------------------------------------------------------


def _go_title(s: str) -> str:
    """strings.Title: upper-case the first letter of every word."""
    out: list[str] = []
    prev = " "
    for c in s:
        out.append(c.upper() if len(c.upper()) == 1 and _is_separator(prev) else c)
        prev = c
    return "".join(out)


def _is_separator(c: str) -> bool:
    if ord(c) <= 0x7F:
        return not (c.isalnum() or c == "_")
    if c.isalpha() or c.isdigit():
        return False
    return c.isspace()


def _go_case(s: str, upper: bool) -> str:
    # Go maps rune by rune; Python's multi-character mappings (ß → SS) do not apply.
    out: list[str] = []
    for c in s:
        m = c.upper() if upper else c.lower()
        out.append(m if len(m) == 1 else c)
    return "".join(out)


def _f_str1(name: str, fn: Callable[[str], object]) -> Callable[[list[object]], object]:
    def call(args: list[object]) -> object:
        _arity(name, args, 1, 1)
        return fn(_str_arg(name, args[0]))

    return call


def _f_str2(name: str, fn: Callable[[str, str], object]) -> Callable[[list[object]], object]:
    def call(args: list[object]) -> object:
        _arity(name, args, 2, 2)
        return fn(_str_arg(name, args[0]), _str_arg(name, args[1]))

    return call


def _f_replace(args: list[object]) -> object:
    _arity("replace", args, 3, 3)
    old, new, src = (_str_arg("replace", a) for a in args)
    return src.replace(old, new)


def _empty(v: object) -> bool:
    return not _truth(v) if not isinstance(v, SemverValue) else False


def _f_default(args: list[object]) -> object:
    _arity("default", args, 1)
    given = [_any_arg(a) for a in args[1:]]
    if not given or _empty(given[0]):
        return _any_arg(args[0])
    return given[0]


def _f_empty(args: list[object]) -> object:
    _arity("empty", args, 1, 1)
    return _empty(_any_arg(args[0]))


def _f_coalesce(args: list[object]) -> object:
    for a in args:
        if not _empty(_any_arg(a)):
            return _any_arg(a)
    return None


def _f_ternary(args: list[object]) -> object:
    _arity("ternary", args, 3, 3)
    cond = args[2]
    if not isinstance(cond, bool):
        raise _TplError(f"wrong type for value; expected bool; got {_go_type(cond)}")
    return _any_arg(args[0]) if cond else _any_arg(args[1])


def _f_substr(args: list[object]) -> object:
    _arity("substr", args, 3, 3)
    start, end = _int_arg("substr", args[0]), _int_arg("substr", args[1])
    s = _str_arg("substr", args[2]).encode()
    if start < 0:
        out = s[:end]
    elif end < 0 or end > len(s):
        out = s[start:]
    else:
        out = s[start:end]
    return out.decode(errors="replace")


def _f_to_string(args: list[object]) -> object:
    _arity("toString", args, 1, 1)
    return _fmt(_any_arg(args[0]))


def _f_semver(args: list[object]) -> object:
    _arity("semver", args, 1, 1)
    return SemverValue.parse(_str_arg("semver", args[0]))


def _f_not(args: list[object]) -> object:
    _arity("not", args, 1, 1)
    return not _truth(args[0])


def _f_len(args: list[object]) -> object:
    _arity("len", args, 1, 1)
    v = args[0]
    if isinstance(v, str):
        return len(v.encode())
    if isinstance(v, Sequence | Mapping):
        return len(v)
    raise _TplError(f"error calling len: len of type {_go_type(v)}")


def _f_index(args: list[object]) -> object:
    _arity("index", args, 1)
    item = args[0]
    for key in args[1:]:
        if isinstance(item, Mapping):
            if not isinstance(key, str):
                raise _TplError("error calling index: value has type int; should be string")
            item = item.get(key)  # Go: a missing key gives the element's zero value (nil)
        elif isinstance(item, Sequence) and not isinstance(item, str):
            idx = _int_arg("index", key)
            if not 0 <= idx < len(item):
                raise _TplError(f"error calling index: index out of range: {idx}")
            item = item[idx]
        else:
            raise _TplError(f"error calling index: can't index item of type {_go_type(item)}")
    return item


_BASIC = frozenset({"bool", "int", "float", "string"})


def _compare_kinds(fn: str, a: object, b: object) -> tuple[str, str]:
    ka, kb = _kind(a), _kind(b)
    if ka not in _BASIC and ka != "invalid":
        raise _TplError(f"error calling {fn}: invalid type for comparison")
    if kb not in _BASIC and kb != "invalid":
        raise _TplError(f"error calling {fn}: invalid type for comparison")
    return ka, kb


def _eq(args: list[object]) -> bool:
    if len(args) < 2:
        raise _TplError("error calling eq: missing argument for comparison")
    a = args[0]
    for b in args[1:]:
        ka, kb = _compare_kinds("eq", a, b)
        if ka != kb:
            if ka != "invalid" and kb != "invalid":
                raise _TplError("error calling eq: incompatible types for comparison")
            continue
        if ka == "invalid" or a == b:
            return True
    return False


def _f_ne(args: list[object]) -> object:
    _arity("ne", args, 2, 2)
    return not _eq(args)


def _ordered(fn: str, args: list[object]) -> tuple[object, object]:
    _arity(fn, args, 2, 2)
    a, b = args
    ka, kb = _compare_kinds(fn, a, b)
    if ka != kb or ka in ("invalid", "bool"):
        raise _TplError(f"error calling {fn}: incompatible types for comparison")
    return a, b


def _f_lt(args: list[object]) -> object:
    a, b = _ordered("lt", args)
    return a < b  # type: ignore[operator]


def _f_le(args: list[object]) -> object:
    a, b = _ordered("le", args)
    return a <= b  # type: ignore[operator]


def _f_gt(args: list[object]) -> object:
    a, b = _ordered("gt", args)
    return a > b  # type: ignore[operator]


def _f_ge(args: list[object]) -> object:
    a, b = _ordered("ge", args)
    return a >= b  # type: ignore[operator]


def _f_print(args: list[object]) -> object:
    out: list[str] = []
    prev_str = True
    for i, raw in enumerate(args):
        a = _any_arg(raw)
        is_str = isinstance(a, str)
        if i > 0 and not is_str and not prev_str:
            out.append(" ")
        out.append(_fmt(a))
        prev_str = is_str
    return "".join(out)


def _f_println(args: list[object]) -> object:
    return " ".join(_fmt(_any_arg(a)) for a in args) + "\n"


_VERB_RE = re.compile(r"%(.)", re.DOTALL)


def _f_printf(args: list[object]) -> object:
    _arity("printf", args, 1)
    fmt = _str_arg("printf", args[0])
    rest = [_any_arg(a) for a in args[1:]]
    out: list[str] = []
    pos = 0
    used = 0
    for m in _VERB_RE.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        verb = m.group(1)
        if verb == "%":
            out.append("%")
            continue
        if verb not in "svd":
            raise _TplError(f"printf verb %{verb} is not supported")
        if used >= len(rest):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = rest[used]
        used += 1
        if verb == "d" and not (isinstance(arg, int) and not isinstance(arg, bool)):
            out.append(f"%!d({_go_type(arg)}={_fmt(arg)})")
        elif verb == "s" and not isinstance(arg, str | SemverValue):
            out.append(f"%!s({_go_type(arg)}={_fmt(arg)})")
        else:
            out.append(_fmt(arg))
    out.append(fmt[pos:])
    if used < len(rest):
        extra = ", ".join(f"{_go_type(a)}={_fmt(a)}" for a in rest[used:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _trim_all(cutset: str, s: str) -> str:
    return s.strip(cutset) if cutset else s


_FUNCS: dict[str, Callable[[list[object]], object]] = {
    # aqua
    "trimV": _f_str1("trimV", lambda s: s.removeprefix("v")),
    # sprig (argument order as sprig defines it: the subject string comes last)
    "trimPrefix": _f_str2("trimPrefix", lambda p, s: s.removeprefix(p)),
    "trimSuffix": _f_str2("trimSuffix", lambda p, s: s.removesuffix(p)),
    "trimAll": _f_str2("trimAll", _trim_all),
    "trim": _f_str1("trim", lambda s: s.strip(GO_SPACE)),
    "replace": _f_replace,
    "title": _f_str1("title", _go_title),
    "lower": _f_str1("lower", lambda s: _go_case(s, False)),
    "upper": _f_str1("upper", lambda s: _go_case(s, True)),
    "contains": _f_str2("contains", lambda sub, s: sub in s),
    "hasPrefix": _f_str2("hasPrefix", lambda p, s: s.startswith(p)),
    "hasSuffix": _f_str2("hasSuffix", lambda p, s: s.endswith(p)),
    "default": _f_default,
    "empty": _f_empty,
    "coalesce": _f_coalesce,
    "ternary": _f_ternary,
    "substr": _f_substr,
    "toString": _f_to_string,
    "semver": _f_semver,
    # text/template builtins (and/or are evaluated lazily by the interpreter)
    "not": _f_not,
    "len": _f_len,
    "index": _f_index,
    "eq": lambda args: _eq(args),
    "ne": _f_ne,
    "lt": _f_lt,
    "le": _f_le,
    "gt": _f_gt,
    "ge": _f_ge,
    "print": _f_print,
    "printf": _f_printf,
    "println": _f_println,
}
FUNCTIONS = frozenset({*_FUNCS, "and", "or"})


# --- lexer --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # field dot ident str num lparen rparen pipe
    value: object
    spaced: bool  # whitespace precedes this token


_NUM_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _lex_action(body: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(body)
    spaced = True
    while i < n:
        c = body[i]
        if c in _SPACE:
            spaced = True
            i += 1
            continue
        if c == "|":
            toks.append(_Tok("pipe", "|", spaced))
            i += 1
        elif c == "(":
            toks.append(_Tok("lparen", "(", spaced))
            i += 1
        elif c == ")":
            toks.append(_Tok("rparen", ")", spaced))
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and body[j] != '"':
                if body[j] == "\n":
                    raise _TplError("unterminated quoted string")
                j += 2 if body[j] == "\\" else 1
            if j >= n:
                raise _TplError("unterminated quoted string")
            raw = body[i + 1 : j]
            if "\\'" in raw.replace("\\\\", ""):
                raise _TplError("invalid syntax in quoted string")
            try:
                toks.append(_Tok("str", _unescape(raw, 0), spaced))
            except _SyntaxErr as e:
                raise _TplError(f"invalid quoted string: {e}") from e
            i = j + 1
        elif c == "`":
            j = body.find("`", i + 1)
            if j < 0:
                raise _TplError("unterminated raw quoted string")
            toks.append(_Tok("str", body[i + 1 : j], spaced))
            i = j + 1
        elif c == "'":
            raise _TplError("character constants are not allowed")
        elif c == "$":
            raise _TplError("template variables are not allowed")
        elif c == "." and (i + 1 >= n or not body[i + 1].isdigit()):
            m = _IDENT_RE.match(body, i + 1)
            if m is None:
                toks.append(_Tok("dot", ".", spaced))
                i += 1
            else:
                toks.append(_Tok("field", m.group(0), spaced))
                i = m.end()
        elif c.isdigit() or c in "+-.":
            m = _NUM_RE.match(body, i)
            if m is None:
                raise _TplError(f"unexpected {c!r} in action")
            end = m.end()
            if end < n and (body[end].isalnum() or body[end] in "._"):
                raise _TplError(f"bad number syntax: {body[i : end + 1]!r}")
            text = m.group(0)
            value: object = float(text) if any(x in text for x in ".eE") else int(text)
            toks.append(_Tok("num", value, spaced))
            i = end
        else:
            m = _IDENT_RE.match(body, i)
            if m is None:
                if c in ":=":
                    raise _TplError("template variables are not allowed")
                raise _TplError(f"unexpected {c!r} in action")
            toks.append(_Tok("ident", m.group(0), spaced))
            i = m.end()
        spaced = False
    return toks


@dataclass(frozen=True, slots=True)
class _Item:
    kind: str  # text | action
    text: str
    toks: tuple[_Tok, ...] = ()


def _split(src: str) -> list[_Item]:
    items: list[_Item] = []
    i, n = 0, len(src)
    trim_next = False
    while True:
        j = src.find("{{", i)
        text = src[i:] if j < 0 else src[i:j]
        if trim_next:
            text = text.lstrip(_SPACE)
        if j < 0:
            if text:
                items.append(_Item("text", text))
            return items
        k = j + 2
        if k + 1 < n and src[k] == "-" and src[k + 1] in _SPACE:
            text = text.rstrip(_SPACE)
            k += 2
        if text:
            items.append(_Item("text", text))
        if src.startswith("/*", k):
            end = src.find("*/", k + 2)
            if end < 0:
                raise _TplError("unclosed comment")
            p = end + 2
            if p < n and src[p] in _SPACE and src.startswith("-}}", p + 1):
                trim_next, i = True, p + 4
            elif src.startswith("}}", p):
                trim_next, i = False, p + 2
            else:
                raise _TplError("comment ends before closing delimiter")
            continue
        p = k
        while True:
            if p >= n:
                raise _TplError("unclosed action")
            c = src[p]
            if c in _SPACE and src.startswith("-}}", p + 1):
                body, trim_next, i = src[k:p], True, p + 4
                break
            if src.startswith("}}", p):
                body, trim_next, i = src[k:p], False, p + 2
                break
            if c in '"`':
                q = p + 1
                while q < n and src[q] != c:
                    q += 2 if (c == '"' and src[q] == "\\") else 1
                if q >= n:
                    raise _TplError("unterminated quoted string")
                p = q + 1
                continue
            p += 1
        items.append(_Item("action", body, tuple(_lex_action(body))))


# --- parser -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Text:
    text: str


@dataclass(frozen=True, slots=True)
class _Lit:
    value: object


@dataclass(frozen=True, slots=True)
class _Dot:
    pass


@dataclass(frozen=True, slots=True)
class _Field:
    names: tuple[str, ...]  # chain starting at dot


@dataclass(frozen=True, slots=True)
class _Ident:
    name: str


@dataclass(frozen=True, slots=True)
class _Sub:
    pipe: tuple[tuple[_Operand, ...], ...]


@dataclass(frozen=True, slots=True)
class _Chain:
    base: _Operand
    names: tuple[str, ...]


_Operand = _Lit | _Dot | _Field | _Ident | _Sub | _Chain
_Pipe = tuple[tuple[_Operand, ...], ...]


@dataclass(frozen=True, slots=True)
class _Action:
    pipe: _Pipe


@dataclass(frozen=True, slots=True)
class _If:
    branches: tuple[tuple[_Pipe, tuple[_Node, ...]], ...]
    otherwise: tuple[_Node, ...]


_Node = _Text | _Action | _If


class _PipeParser:
    def __init__(self, toks: Sequence[_Tok], depth: int) -> None:
        self.toks = toks
        self.i = 0
        self.depth = depth

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def pipeline(self, closing: bool) -> _Pipe:
        cmds: list[tuple[_Operand, ...]] = []
        while True:
            cmd: list[_Operand] = []
            while True:
                tok = self.peek()
                if tok is None or tok.kind == "pipe" or (closing and tok.kind == "rparen"):
                    break
                if tok.kind == "rparen":
                    raise _TplError("unexpected right paren")
                if cmd and not tok.spaced:
                    raise _TplError(f"missing space before {tok.value!r}")
                cmd.append(self.operand())
            if not cmd:
                raise _TplError("missing value for command")
            cmds.append(tuple(cmd))
            tok = self.peek()
            if tok is not None and tok.kind == "pipe":
                self.i += 1
                continue
            return tuple(cmds)

    def operand(self) -> _Operand:
        tok = self.toks[self.i]
        self.i += 1
        node: _Operand
        if tok.kind == "field":
            names = [str(tok.value)]
            while (nxt := self.peek()) is not None and nxt.kind == "field" and not nxt.spaced:
                names.append(str(nxt.value))
                self.i += 1
            return _Field(tuple(names))
        if tok.kind == "dot":
            node = _Dot()
        elif tok.kind in ("str", "num"):
            node = _Lit(tok.value)
        elif tok.kind == "ident":
            name = str(tok.value)
            if name in ("true", "false"):
                node = _Lit(name == "true")
            elif name == "nil":
                node = _Lit(None)
            elif name in _REFUSED_KEYWORDS or name in ("if", "else", "end"):
                raise _TplError(f"unexpected {name!r} in operand")
            elif name in _REFUSED_FUNCTIONS or name not in FUNCTIONS:
                raise _TplError(f"template function {name} is not allowed")
            else:
                node = _Ident(name)
        elif tok.kind == "lparen":
            if self.depth + 1 > MAX_DEPTH:
                raise _TplError(f"template nested deeper than {MAX_DEPTH}")
            inner = _PipeParser(self.toks, self.depth + 1)
            inner.i = self.i
            pipe = inner.pipeline(closing=True)
            self.i = inner.i
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise _TplError("unclosed left paren")
            self.i += 1
            node = _Sub(pipe)
        else:
            raise _TplError(f"unexpected {tok.value!r} in operand")
        chain: list[str] = []
        while (nxt := self.peek()) is not None and nxt.kind == "field" and not nxt.spaced:
            chain.append(str(nxt.value))
            self.i += 1
        if chain:
            if isinstance(node, _Lit | _Dot):
                raise _TplError(f"unexpected . after term {node!r}")
            return _Chain(node, tuple(chain))
        return node


def _parse_pipe(toks: Sequence[_Tok], depth: int) -> _Pipe:
    p = _PipeParser(toks, depth)
    pipe = p.pipeline(closing=False)
    if p.peek() is not None:
        raise _TplError(f"unexpected {p.peek()!r} in command")
    return pipe


class _Parser:
    def __init__(self, items: list[_Item]) -> None:
        self.items = items
        self.i = 0

    def parse(self) -> tuple[_Node, ...]:
        nodes, stop = self.nodes(0)
        if stop is not None:
            raise _TplError(f"unexpected {{{{{stop.text.strip()}}}}}")
        return nodes

    def nodes(self, depth: int) -> tuple[tuple[_Node, ...], _Item | None]:
        out: list[_Node] = []
        while self.i < len(self.items):
            item = self.items[self.i]
            self.i += 1
            if item.kind == "text":
                out.append(_Text(item.text))
                continue
            toks = item.toks
            if not toks:
                raise _TplError("missing value for command")
            head = toks[0]
            word = str(head.value) if head.kind == "ident" else ""
            if word in _REFUSED_KEYWORDS:
                raise _TplError(f"template action {word} is not allowed")
            if word in ("end", "else"):
                return tuple(out), item
            if word == "if":
                out.append(self.if_block(toks[1:], depth + 1))
                continue
            out.append(_Action(_parse_pipe(toks, depth)))
        return tuple(out), None

    def if_block(self, cond: Sequence[_Tok], depth: int) -> _If:
        if depth > MAX_DEPTH:
            raise _TplError(f"template nested deeper than {MAX_DEPTH}")
        branches: list[tuple[_Pipe, tuple[_Node, ...]]] = []
        while True:
            if not cond:
                raise _TplError("missing value for if")
            pipe = _parse_pipe(cond, depth)
            body, stop = self.nodes(depth)
            branches.append((pipe, body))
            if stop is None:
                raise _TplError("unexpected EOF: missing {{end}}")
            words = stop.toks
            if str(words[0].value) == "end":
                if len(words) > 1:
                    raise _TplError("unexpected tokens after end")
                return _If(tuple(branches), ())
            # else
            if len(words) > 1:
                nxt = str(words[1].value) if words[1].kind == "ident" else ""
                if nxt != "if":
                    if nxt in _REFUSED_KEYWORDS:
                        raise _TplError(f"template action {nxt} is not allowed")
                    raise _TplError("unexpected tokens after else")
                cond = words[2:]
                continue
            otherwise, stop = self.nodes(depth)
            if stop is None or str(stop.toks[0].value) != "end" or len(stop.toks) > 1:
                raise _TplError("expected {{end}} after {{else}}")
            return _If(tuple(branches), otherwise)


@lru_cache(maxsize=2048)
def _compile(template: str) -> tuple[_Node, ...]:
    return _Parser(_split(template)).parse()


# --- execution ----------------------------------------------------------------------------

_UNSET = object()


def _field(value: object, name: str) -> object:
    if value is MISSING:
        return MISSING
    if isinstance(value, SemverValue):
        return value.field(name)
    if isinstance(value, Mapping):
        return value.get(name, MISSING)
    if value is None:
        raise _TplError(f"nil pointer evaluating interface {{}}.{name}")
    raise _TplError(f"can't evaluate field {name} in type {_go_type(value)}")


class _Exec:
    def __init__(self, data: Mapping[str, object]) -> None:
        self.data = data
        self.out: list[str] = []
        self.size = 0

    def emit(self, text: str) -> None:
        self.size += len(text.encode())
        if self.size > MAX_OUTPUT:
            raise _TplError(f"output longer than {MAX_OUTPUT} bytes")
        self.out.append(text)

    def run(self, nodes: Sequence[_Node]) -> None:
        for node in nodes:
            if isinstance(node, _Text):
                self.emit(node.text)
            elif isinstance(node, _Action):
                self.emit(_print_value(self.pipe(node.pipe)))
            else:
                for cond, body in node.branches:
                    if _truth(self.pipe(cond)):
                        self.run(body)
                        break
                else:
                    self.run(node.otherwise)

    def pipe(self, pipe: _Pipe) -> object:
        final: object = _UNSET
        for cmd in pipe:
            final = self.command(cmd, final)
        return final

    def command(self, cmd: Sequence[_Operand], final: object) -> object:
        first = cmd[0]
        if isinstance(first, _Ident):
            return self.call(first.name, cmd[1:], final)
        if len(cmd) > 1 or final is not _UNSET:
            raise _TplError("can't give argument to non-function")
        return self.value(first)

    def call(self, name: str, arg_nodes: Sequence[_Operand], final: object) -> object:
        if name in ("and", "or"):
            nodes = list(arg_nodes)
            if not nodes and final is _UNSET:
                raise _TplError(f"wrong number of args for {name}: want at least 1 got 0")
            result: object = None
            for n in nodes:
                result = self.value(n)
                if _truth(result) != (name == "and"):
                    return result
            if final is not _UNSET:
                result = final
            return result
        args = [self.value(n) for n in arg_nodes]
        if final is not _UNSET:
            args.append(final)
        return _FUNCS[name](args)

    def value(self, node: _Operand) -> object:
        if isinstance(node, _Lit):
            return node.value
        if isinstance(node, _Dot):
            return self.data
        if isinstance(node, _Field):
            v: object = self.data
            for name in node.names:
                v = _field(v, name)
            return v
        if isinstance(node, _Ident):
            return self.call(node.name, (), _UNSET)
        if isinstance(node, _Sub):
            return self.pipe(node.pipe)
        v = self.value(node.base)
        for name in node.names:
            v = _field(v, name)
        return v


def _short(template: str) -> str:
    return template if len(template) <= 80 else template[:77] + "..."


def render(template: str, data: Mapping[str, object], *, where: str) -> str:
    """Render ``template`` with ``data`` as dot; return the output text.

    Raises :class:`InputError` naming ``where`` for a template outside the supported subset
    (unknown function, ``range``/``with``/``define``/``template``/``block``, variables), one
    longer than :data:`MAX_TEMPLATE` characters or nested deeper than :data:`MAX_DEPTH`, an
    execution error Go would report, or output over :data:`MAX_OUTPUT` bytes.
    """
    if not isinstance(template, str):
        raise InputError(where, f"template must be a string, not {_go_type(template)}")
    if len(template) > MAX_TEMPLATE:
        raise InputError(where, f"template longer than {MAX_TEMPLATE} characters")
    if "{{" not in template:
        return template
    try:
        nodes = _compile(template)
        ex = _Exec(data)
        ex.run(nodes)
    except _TplError as e:
        raise InputError(where, f"template {_short(template)!r}: {e}") from e
    return "".join(ex.out)
