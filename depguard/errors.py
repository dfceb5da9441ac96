"""Exception hierarchy, grouped by fault.

Every error a user can cause or meet derives from :class:`DepguardError`, which carries the
exit code of DESIGN.md §1 and a user-facing message that starts with the file or URL at fault.
The CLI catches ``DepguardError`` once; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


class DepguardError(Exception):
    """Root of all user-facing errors."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """Return the message shown to the user (one or two lines, no traceback)."""
        if self.hint:
            return f"{self.message}\nhint: {self.hint}"
        return self.message


class InputError(DepguardError):
    """A file given to depguard cannot be read or parsed (exit 2)."""

    exit_code = EXIT_USAGE

    def __init__(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = path
        self.line = line
        self.reason = message

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the exception picklable across process pools (args hold only the message).
        return (_rebuild_input_error, (self.path, self.reason, self.line, self.hint))


def _rebuild_input_error(path: str, message: str, line: int | None, hint: str | None) -> InputError:
    return InputError(path, message, line=line, hint=hint)


class ConfigError(DepguardError):
    """The depguard configuration or a command-line option is invalid (exit 2)."""

    exit_code = EXIT_USAGE


class NetworkError(DepguardError):
    """A fetch failed: transport error, timeout, size limit, refused redirect (exit 3)."""

    exit_code = EXIT_INCOMPLETE


class IntegrityError(DepguardError):
    """Data does not match what its trusted source says it must be.

    Verifiers raise it naming the expected and actual values; rules turn it into findings.
    """

    exit_code = EXIT_FINDINGS


class SignatureError(IntegrityError):
    """A signature is malformed, does not verify, or is made by an untrusted key."""


class PolicyError(DepguardError):
    """Something is outside the trust policy (a finding when met by a rule)."""

    exit_code = EXIT_FINDINGS


class UnsupportedError(DepguardError):
    """A check could not be performed because depguard does not support it (exit 3)."""

    exit_code = EXIT_INCOMPLETE
