"""``--shard I/N``: split a run over GitHub Actions matrix jobs, stably, by state directory.

A state directory (or an aqua config's directory) belongs to shard ``int(sha256(path)) mod N
+ 1``, where ``path`` is its repository-relative display path: the same directory lands in the
same shard on every machine and every run, and adding a directory moves no other one. The
discovery functions (:func:`depguard.engine.workspace.read_states`,
:func:`depguard.engine.aqua.read_aqua_states`) keep only the current shard's directories, so
``verify``, ``lock``, ``checksums update`` and ``report`` shard the same way; ``depguard merge``
puts the shards' JSON reports back together.

The current shard is a :class:`contextvars.ContextVar` set by the command (:func:`sharding`),
so library callers that never set it see every directory.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from depguard.errors import ConfigError

__all__ = ["Shard", "current", "parse_shard", "selected", "sharding"]


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, key: str) -> bool:
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
        return int.from_bytes(digest[:8], "big") % self.count + 1 == self.index


_CURRENT: ContextVar[Shard | None] = ContextVar("depguard_shard", default=None)


def parse_shard(text: str) -> Shard:
    """Parse ``I/N`` (1 ≤ I ≤ N ≤ 256); raise :class:`ConfigError` naming the option."""
    index, sep, count = text.strip().partition("/")
    if not sep or not index.isdigit() or not count.isdigit():
        raise ConfigError(f"--shard {text!r}: expected I/N, like 2/4")
    shard = Shard(int(index), int(count))
    if not 1 <= shard.count <= 256 or not 1 <= shard.index <= shard.count:
        raise ConfigError(f"--shard {text!r}: need 1 <= I <= N <= 256")
    return shard


def current() -> Shard | None:
    return _CURRENT.get()


def selected(key: str) -> bool:
    """Whether the directory ``key`` (a repository-relative path) is in the current shard."""
    shard = _CURRENT.get()
    return shard is None or shard.owns(key)


@contextlib.contextmanager
def sharding(shard: Shard | None) -> Iterator[None]:
    """Make ``shard`` current for the block (None: every directory)."""
    token = _CURRENT.set(shard)
    try:
        yield
    finally:
        _CURRENT.reset(token)
