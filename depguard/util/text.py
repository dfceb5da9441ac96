"""Decoding user files with errors that name the line."""

from __future__ import annotations

import json

from depguard.errors import InputError


def decode_utf8(raw: bytes, path: str) -> str:
    """Return ``raw`` decoded as UTF-8; raise :class:`InputError` naming the line and column
    of the first invalid byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise InputError(
            path, f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at column {column})", line=line
        ) from None


def parse_json(text: str, path: str) -> object:
    """Return the JSON document in ``text``; raise :class:`InputError` naming ``path`` (and
    the line, where the decoder knows it) for anything ``json.loads`` refuses, including
    nesting past the recursion limit and integers past CPython's digit limit."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(path, f"not valid JSON: {e.msg}", line=e.lineno) from None
    except RecursionError:
        raise InputError(path, "not valid JSON: nested too deeply") from None
    except ValueError as e:  # CPython's limit on integer digits
        raise InputError(path, f"not valid JSON: {e}") from None
