"""The contract every fuzz test asserts: a parser returns, or raises what its docstring says.

:func:`outcome` calls a parser under a wall-clock budget and sorts what happened:

* it returned: the value is handed back for round-trip checks;
* it raised one of the documented exceptions (usually :class:`~depguard.errors.InputError`):
  the error is checked for what CONVENTIONS §7 promises (a message naming the file, a
  1-based line that exists) and handed back;
* it raised a :class:`KnownBug` (a real bug already pinned by a strict ``xfail`` test with
  the failing input as an ``@example``): the example is discarded, so a long run keeps
  looking for *new* bugs instead of tripping over the known ones again;
* anything else (``IndexError``, ``RecursionError``, a leaked ``ValueError``, ...) or running
  past the budget (:class:`Hang`) fails the test with the original traceback.

When a known bug is fixed, its ``xfail`` test starts passing and, being strict, fails: then
delete the test's ``xfail`` mark and the :class:`KnownBug` from the call sites.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hypothesis import event

from depguard.errors import DepguardError, InputError

T = TypeVar("T")

# Seconds one parser call may take before it counts as a hang. Generous: a loaded CI machine
# running two xdist workers must never trip it on linear work; a real hang trips it always.
BUDGET = float(os.environ.get("DEPGUARD_FUZZ_BUDGET", "10"))

# Characters some parser in the project counts as a line break (YAML adds \x85, \u2028 and
# \u2029 to \n and \r); used to bound the line number an error may name.
_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


class Hang(BaseException):
    """A parser call ran past :data:`BUDGET` seconds.

    A ``BaseException``, so that a parser's ``except Exception`` cannot swallow it.
    """


@contextmanager
def time_limit(seconds: float = BUDGET) -> Iterator[None]:
    """Raise :class:`Hang` inside the block once ``seconds`` have passed (main thread only).

    SIGALRM interrupts pure-Python loops and the ``re`` engine (it checks for signals); off
    the main thread, or without ``setitimer``, the block runs unbounded.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def _expired(signum: int, frame: object) -> None:
        raise Hang(f"parser call took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True, slots=True)
class KnownBug:
    """A documented bug: exceptions of ``kind`` whose message contains ``text``."""

    name: str
    kind: type[BaseException]
    text: str

    def matches(self, error: BaseException) -> bool:
        return isinstance(error, self.kind) and self.text in str(error)


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """What one parser call did: ``value`` when it returned, else ``error``."""

    value: T | None = None
    error: BaseException | None = None
    known_bug: KnownBug | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.known_bug is None


def max_line(text: str | bytes) -> int:
    """The largest 1-based line number an error about ``text`` can honestly name."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return sum(text.count(c) for c in _BREAKS) + 2  # the last line, plus "at end of file"


def check_error(error: BaseException, *, path: str | None, text: str | bytes | None) -> None:
    """Assert what CONVENTIONS §7 promises of a user-facing error."""
    if not isinstance(error, DepguardError):
        return
    assert error.message, "an error must say something"
    assert error.diagnostics()
    if path is not None:
        assert error.message.startswith(path), f"message does not start with {path!r}: {error}"
    if isinstance(error, InputError):
        assert error.line is None or error.line >= 1, f"line {error.line} is not 1-based"
        if text is not None and error.line is not None:
            assert error.line <= max_line(text), f"line {error.line} is past the end: {error}"


def outcome(
    fn: Callable[..., T],
    *args: Any,
    raises: tuple[type[BaseException], ...] = (DepguardError,),
    known: tuple[KnownBug, ...] = (),
    err_path: str | None = None,
    err_text: str | bytes | None = None,
    budget: float = BUDGET,
    **kwargs: Any,
) -> Outcome[T]:
    """Call ``fn(*args, **kwargs)`` and check it keeps its documented error contract.

    ``raises`` are the documented exceptions; ``err_path``, when given, must start the message
    of a :class:`DepguardError`; ``err_text`` (the parsed text) bounds the line an
    :class:`InputError` may name.
    """
    try:
        with time_limit(budget):
            value = fn(*args, **kwargs)
    except raises as e:
        check_error(e, path=err_path, text=err_text)
        event(f"{getattr(fn, '__name__', fn)}: {type(e).__name__}")
        return Outcome(error=e)
    except Hang:
        raise
    except BaseException as e:
        for bug in known:
            if bug.matches(e):
                event(f"known bug: {bug.name}")
                return Outcome(error=e, known_bug=bug)
        raise
    event(f"{getattr(fn, '__name__', fn)}: returned")
    return Outcome(value=value)
