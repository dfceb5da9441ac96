"""Decoding user files with errors that name the line."""

from __future__ import annotations

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
