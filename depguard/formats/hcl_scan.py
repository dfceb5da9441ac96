"""A fast, hand-written lexer for HCL native syntax, shared by the Terraform readers.

python-hcl2 builds a full parse tree (about 4 ms for a 2 KB file); depguard needs a handful of
facts from each file, for a thousand directories at a time. The functions here understand the
whole token syntax of HCL (``hclsyntax``) well enough to read literal strings and to *skip*
any expression or block body reliably: quoted templates with escapes and nested ``${…}`` /
``%{…}`` sequences, heredocs (``<<EOF`` and ``<<-EOF``), all three comment forms, nested
brackets, multi-line expressions. :mod:`depguard.formats.tf_scan` (``.tf`` files) and
:mod:`depguard.formats.tf_lock` (the lock file's general path) are built on them.

Every function takes the text and an offset and returns a new offset; structural errors
(unterminated string, heredoc or comment, unbalanced brackets) raise :class:`ScanError` with
the offset, which callers turn into an :class:`~depguard.errors.InputError` with a line. The
lexer does not type-check expressions: an operator Terraform would reject goes unnoticed.
All patterns use possessive quantifiers, so no input makes them backtrack.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "EXPR_FILLER_RE",
    "IDENT_RE",
    "STR_BODY",
    "ScanError",
    "line_of",
    "read_quoted",
    "skip_body",
    "skip_expression",
    "skip_quoted",
    "skip_space",
    "unclosed",
]


class ScanError(Exception):
    """A syntax error at character offset ``pos``; ``message`` is "Summary: detail"."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


def line_of(text: str, pos: int) -> int:
    """Return the 1-based line number of character offset ``pos``."""
    return text.count("\n", 0, pos) + 1


# --- whitespace and comments ------------------------------------------------------------

# Possessive quantifiers (*+) everywhere: a failed match never backtracks, so no input can
# make these patterns slow.
_SPACE_NL_RE = re.compile(r"(?:[ \t\r\n\f\ufeff]++|#[^\n]*+|//[^\n]*+|/\*[\s\S]*?\*/)*+")
_SPACE_RE = re.compile(r"(?:[ \t\r\f]++|/\*[\s\S]*?\*/)*+")
IDENT_RE = re.compile(r"[^\W\d][\w-]*+")


def skip_space(text: str, pos: int, *, newlines: bool = True) -> int:
    """Skip blanks and comments (and newlines unless ``newlines`` is False).

    With ``newlines=False`` a ``#``/``//`` comment is not skipped: it ends the line. Returns
    the new offset; raises :class:`ScanError` on an unterminated ``/*`` comment.
    """
    m = (_SPACE_NL_RE if newlines else _SPACE_RE).match(text, pos)
    end = m.end() if m else pos
    if text.startswith("/*", end):
        raise ScanError(
            "Unterminated comment: The multi-line comment started here is never closed.", end
        )
    return end


# --- quoted templates -------------------------------------------------------------------

# A quoted string without template sequences: no raw newline, no unescaped "${"/"%{".
STR_BODY = r'[^"\\\n$%]*+(?:(?:\\[^\n]|\$(?!\{)|%(?!\{))[^"\\\n$%]*+)*+'  # unrolled loop
_SIMPLE_STR_RE = re.compile('"(' + STR_BODY + ')"')
_TEMPLATE_SIG_RE = re.compile(r'["\\\n$%]')
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_MULTILINE_STRING = (
    "Invalid multi-line string: Quoted strings may not be split over multiple lines. To "
    "produce a multi-line string, either use the \\n escape to represent a newline character "
    'or use the "heredoc" multi-line template syntax.'
)
_UNTERMINATED_STRING = "Unterminated template string: No closing marker was found for the string."


def _decode(raw: str, start: int) -> str:
    """Decode the escapes of a template literal (``\\n``, ``\\uXXXX``, ``$${``, ``%%{``)."""
    if "\\" not in raw and "$${" not in raw and "%%{" not in raw:
        return raw
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "\\":
            e = raw[i + 1] if i + 1 < n else ""
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                i += 2
                continue
            width = 4 if e == "u" else 8 if e == "U" else 0
            digits = raw[i + 2 : i + 2 + width]
            if (
                width
                and len(digits) == width
                and all(d in "0123456789abcdefABCDEF" for d in digits)
            ):
                code = int(digits, 16)
                if code <= 0x10FFFF and not 0xD800 <= code < 0xE000:
                    out.append(chr(code))
                    i += 2 + width
                    continue
            raise ScanError(
                "Invalid escape sequence: The symbol "
                f'"{e}" is not a valid escape sequence selector.',
                start + i,
            )
        if c in "$%" and raw.startswith(c + "{", i + 1):
            out.append(c + "{")  # "$${" is a literal "${"
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


def read_quoted(text: str, pos: int) -> tuple[str | None, int]:
    """Read the quoted template starting at ``text[pos] == '"'``.

    Returns ``(value, end)``: the decoded string, or None when the template contains an
    interpolation or directive (its value is not a literal); ``end`` is the offset after the
    closing quote. Raises :class:`ScanError` for an unterminated string, a raw newline or an
    invalid escape.
    """
    m = _SIMPLE_STR_RE.match(text, pos)
    if m is not None:
        return _decode(m.group(1), pos + 1), m.end()
    end, sequences = _skip_template(text, pos + 1)
    if sequences:
        return None, end
    return _decode(text[pos + 1 : end - 1], pos + 1), end  # only "$${"/"%%{" escapes


def skip_quoted(text: str, pos: int) -> int:
    """Skip the quoted template at ``text[pos] == '"'``; return the offset after it."""
    m = _SIMPLE_STR_RE.match(text, pos)
    if m is not None:
        return m.end()
    return _skip_template(text, pos + 1)[0]


def _skip_template(text: str, pos: int) -> tuple[int, bool]:
    # Scan a quoted template body: escapes, "$${" / "%%{" literals, nested sequences.
    # Returns the offset after the closing quote and whether a sequence was seen.
    start = pos - 1
    search = _TEMPLATE_SIG_RE.search
    sequences = False
    while True:
        m = search(text, pos)
        if m is None:
            raise ScanError(_UNTERMINATED_STRING, start)
        i = m.start()
        c = text[i]
        if c == '"':
            return i + 1, sequences
        if c == "\\":
            if i + 1 >= len(text):
                raise ScanError(_UNTERMINATED_STRING, start)
            if text[i + 1] == "\n":
                raise ScanError(_MULTILINE_STRING, i)
            pos = i + 2
        elif c == "\n":
            raise ScanError(_MULTILINE_STRING, i)
        elif text.startswith(c + "{", i + 1):
            pos = i + 3  # escaped introducer
        elif text.startswith("{", i + 1):
            pos = _skip_sequence(text, i + 2, i)
            sequences = True
        else:
            pos = i + 1


# Fillers: runs of characters that open or close nothing, simple strings included, so that
# the Python loops only see the interesting characters.
_SEQ_FILLER_RE = re.compile(r'[^{}"#/<]*+(?:"' + STR_BODY + r'"[^{}"#/<]*+)*+')
_UNCLOSED_SEQUENCE = (
    "Unclosed template interpolation sequence: There is no closing brace for this "
    "interpolation sequence before the end of the file."
)


def _skip_sequence(text: str, pos: int, start: int) -> int:
    # Inside "${ … }" / "%{ … }": an expression, possibly spanning lines, up to the matching
    # closing brace.
    depth = 0
    filler = _SEQ_FILLER_RE.match
    n = len(text)
    while True:
        m = filler(text, pos)
        i = m.end() if m else pos
        if i >= n:
            raise ScanError(_UNCLOSED_SEQUENCE, start)
        c = text[i]
        if c == "}":
            if depth == 0:
                return i + 1
            depth -= 1
            pos = i + 1
        elif c == "{":
            depth += 1
            pos = i + 1
        elif c == '"':
            pos = skip_quoted(text, i)
        else:
            pos = _skip_comment_or_heredoc(text, i)


def _skip_comment_or_heredoc(text: str, i: int) -> int:
    # text[i] is "#", "/" or "<": skip a comment or heredoc there, or just that character.
    c = text[i]
    nxt = text[i + 1 : i + 2]
    if c == "#" or (c == "/" and nxt == "/"):
        j = text.find("\n", i)
        return len(text) if j == -1 else j
    if c == "/" and nxt == "*":
        j = text.find("*/", i + 2)
        if j == -1:
            raise ScanError(
                "Unterminated comment: The multi-line comment started here is never closed.", i
            )
        return j + 2
    if c == "<" and nxt == "<":
        m = _HEREDOC_START_RE.match(text, i)
        if m is not None:
            return _skip_heredoc_body(text, m.end(), m.group(2), i)
    return i + 1


# --- heredocs ---------------------------------------------------------------------------

_HEREDOC_START_RE = re.compile(r"<<(-?)([^\W\d][\w-]*)[ \t]*\r?\n")
_HEREDOC_SIG_RE = re.compile(r"[\n$%]")


@lru_cache(maxsize=64)
def _heredoc_end_re(marker: str) -> re.Pattern[str]:
    return re.compile(r"[ \t]*" + re.escape(marker) + r"[ \t]*(?=\r?\n|\Z)")


def _skip_heredoc_body(text: str, pos: int, marker: str, start: int) -> int:
    # Lines up to the one holding only the marker; "${…}" sequences may span lines.
    end_re = _heredoc_end_re(marker)
    search = _HEREDOC_SIG_RE.search
    n = len(text)
    while True:
        m = end_re.match(text, pos)
        if m is not None:
            return m.end()
        while True:
            s = search(text, pos)
            if s is None:
                pos = n
                break
            i = s.start()
            c = text[i]
            if c == "\n":
                pos = i + 1
                break
            if text.startswith(c + "{", i + 1):
                pos = i + 3
            elif text.startswith("{", i + 1):
                pos = _skip_sequence(text, i + 2, i)
            else:
                pos = i + 1
        if pos >= n:
            raise ScanError(
                f'Unterminated template string: No closing marker "{marker}" was found for '
                "the heredoc started here.",
                start,
            )


# --- expressions and bodies -------------------------------------------------------------

EXPR_FILLER_RE = re.compile(r'[^\n{}\[\]()"#/<,]*+(?:"' + STR_BODY + r'"[^\n{}\[\]()"#/<,]*+)*+')
_BODY_FILLER_RE = re.compile(r'[^{}\[\]()"#/<]*+(?:"' + STR_BODY + r'"[^{}\[\]()"#/<]*+)*+')
_CLOSERS = {"{": "}", "[": "]", "(": ")"}


def unclosed(opener: str, pos: int) -> ScanError:
    """Return the error for an ``opener`` bracket at ``pos`` that is never closed."""
    if opener == "{":
        return ScanError(
            "Unclosed configuration block: There is no closing brace for this block before "
            "the end of the file. This may be caused by incorrect brace nesting elsewhere in "
            "this file.",
            pos,
        )
    return ScanError(
        f'Unbalanced brackets: The "{opener}" opened here has no closing "{_CLOSERS[opener]}" '
        "before the end of the file.",
        pos,
    )


def skip_expression(text: str, pos: int, *, in_object: bool = False) -> int:
    """Skip one expression starting at ``pos``; return the offset of its terminator.

    The expression ends at a newline, a ``#``/``//`` comment, an unmatched ``}`` or the end
    of the file, outside any brackets; with ``in_object`` also at a ``,``. Raises
    :class:`ScanError` for unbalanced brackets or unterminated strings and heredocs.
    """
    stack: list[tuple[str, int]] = []
    filler = EXPR_FILLER_RE.match
    n = len(text)
    while True:
        m = filler(text, pos)
        i = m.end() if m else pos
        if i >= n:
            if stack:
                raise unclosed(*stack[-1])
            return n
        c = text[i]
        if c == "\n":
            if not stack:
                return i
            pos = i + 1
        elif c == '"':
            pos = skip_quoted(text, i)
        elif c in "{[(":
            stack.append((c, i))
            pos = i + 1
        elif c in "}])":
            if not stack:
                if c == "}":
                    return i
                raise ScanError(f'Unexpected "{c}": There is no matching opening bracket.', i)
            opener, _ = stack.pop()
            if _CLOSERS[opener] != c:
                raise ScanError(f'Mismatched brackets: "{opener}" is closed by "{c}".', i)
            pos = i + 1
        elif c == ",":
            if in_object and not stack:
                return i
            pos = i + 1
        else:
            j = _skip_comment_or_heredoc(text, i)
            if not stack and (c == "#" or text.startswith("//", i)):
                return j
            pos = j


def skip_body(text: str, pos: int, open_pos: int) -> int:
    """Skip a block body from just after its ``{``; return the offset after the ``}``.

    Raises :class:`ScanError` when the braces, brackets, strings or heredocs do not balance.
    """
    stack: list[tuple[str, int]] = [("{", open_pos)]
    filler = _BODY_FILLER_RE.match
    n = len(text)
    while True:
        m = filler(text, pos)
        i = m.end() if m else pos
        if i >= n:
            raise unclosed(*stack[-1])
        c = text[i]
        if c == '"':
            pos = skip_quoted(text, i)
        elif c in "{[(":
            stack.append((c, i))
            pos = i + 1
        elif c in "}])":
            opener, _ = stack.pop()
            if _CLOSERS[opener] != c:
                raise ScanError(f'Mismatched brackets: "{opener}" is closed by "{c}".', i)
            if not stack:
                return i + 1
            pos = i + 1
        else:
            pos = _skip_comment_or_heredoc(text, i)
