"""Command-line entry point.

The only place that reads files named on the command line, prints, and maps errors to exit
codes (DESIGN.md §1). Heavy modules are imported inside the commands that need them so that
``depguard --help`` stays fast.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

from depguard.errors import EXIT_INCOMPLETE, EXIT_USAGE, DepguardError

# Global options (DESIGN.md §1) may appear before or after the command name. They are hoisted
# in front of the command so that the typer callback sees them either way.
_GLOBAL_WITH_VALUE = frozenset(
    {"--config", "--format", "--output", "--cache-dir", "--fail-on", "--snapshot"}
)
_GLOBAL_FLAGS = frozenset(
    {
        "--offline",
        "--online",
        "--verbose",
        "-v",
        "--quiet",
        "-q",
        "--allow-skips",
        "--no-color",
        "--version",
    }
)


# Options a command defines itself under a global option's name (DESIGN.md §1:
# `depguard tools verify FILE --config aqua.yaml`): after that command they are its own.
_COMMAND_OPTIONS: dict[tuple[str, ...], frozenset[str]] = {
    ("tools", "verify"): frozenset({"--config"}),
}


def _command_local(argv: Sequence[str], i: int) -> frozenset[str]:
    """Options that belong to the command named before position ``i`` of ``argv``."""
    words = [a for a in argv[:i] if not a.startswith("-")]
    for path, names in _COMMAND_OPTIONS.items():
        n = len(path)
        if any(tuple(words[k : k + n]) == path for k in range(len(words) - n + 1)):
            return names
    return frozenset()


def hoist_global_options(argv: Sequence[str]) -> list[str]:
    """Return ``argv`` with global options moved in front of the command name.

    Stops at ``--``. Combined short flags like ``-vv`` count as global flags.
    """
    hoisted: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        name = arg.split("=", 1)[0]
        if name in _GLOBAL_WITH_VALUE and name in _command_local(argv, i):
            rest.append(arg)
            if "=" not in arg and i + 1 < len(argv):
                rest.append(argv[i + 1])
                i += 1
        elif name in _GLOBAL_WITH_VALUE:
            hoisted.append(arg)
            if "=" not in arg and i + 1 < len(argv):
                hoisted.append(argv[i + 1])
                i += 1
        elif arg in _GLOBAL_FLAGS:
            hoisted.append(arg)
        elif len(arg) > 2 and arg[0] == "-" and arg[1] != "-" and set(arg[1:]) <= {"v", "q"}:
            hoisted.extend(f"-{c}" for c in arg[1:])  # -vv, -qv: clusters of global flags
        else:
            rest.append(arg)
        i += 1
    return hoisted + rest


def main(argv: Sequence[str] | None = None) -> int:
    """Run depguard with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    from depguard.util.redact import redact

    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    try:
        from depguard.cli.app import build_app
        from depguard.util.redact import RedactingStream

        app = build_app()
        # click prints usage errors itself, echoing option values: redact those too
        stderr, stdout = sys.stderr, sys.stdout
        sys.stderr, sys.stdout = RedactingStream(stderr), RedactingStream(stdout)
        try:
            app(args=args, prog_name="depguard", standalone_mode=True)
        finally:
            sys.stderr, sys.stdout = stderr, stdout
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(redact(str(code)), file=sys.stderr)
        return EXIT_USAGE
    except DepguardError as e:
        print(f"depguard: error: {redact(e.diagnostics())}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("depguard: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: say so plainly, without locals (they may hold tokens)
        detail = "".join(traceback.format_exception(type(e), e, e.__traceback__, limit=-8))
        print(
            f"depguard: internal error: {redact(type(e).__name__ + ': ' + str(e))}\n"
            "This is a bug in depguard; please report it with the traceback below.\n"
            + redact(detail),
            file=sys.stderr,
        )
        return EXIT_INCOMPLETE
    return 0
