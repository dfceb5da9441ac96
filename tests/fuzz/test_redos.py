"""Regular-expression denial of service: depguard's own patterns stay (near) linear.

Python's ``re`` backtracks, so a pattern with adjacent or nested quantifiers over the same
characters can take quadratic, cubic or exponential time on input an attacker writes: a
pull request's ``aqua.yaml``, a ``.tf`` constraint, a CLI config, a Renovate config.
Third-party patterns run in RE2 (:mod:`depguard.util.linear_re`); this file covers the
project's own. The sweep below runs every module-level pattern, anchored as the code uses
them, on long runs of each character class followed by a character that makes it fail; the
regression cases are the ones the sweep and the atheris ``cli-config`` target found.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time

import pytest

import depguard
from depguard.errors import InputError
from depguard.formats.tf_cli_config import parse_cli_config
from depguard.prcheck import engine
from depguard.rollout.apply import bump_constraint
from depguard.rollout.renovate_rules import merge_into
from depguard.versions import parse_constraints
from tests.fuzz.contract import time_limit

pytestmark = pytest.mark.fuzz

LENGTH = 20_000
# Linear work on 20,000 characters takes well under a millisecond per pattern; quadratic
# work takes seconds. The limit leaves room for a loaded CI machine.
LIMIT = 1.0
RUNS = [*" \t\n0a.-_/:#*\"\\=v+~,@<>!{}[]()'`", "1.", "a-", "/*", "# "]
TAILS = ("\x00", "!", "\n\x00")


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    found: dict[str, re.Pattern[str]] = {}
    for info in pkgutil.walk_packages(depguard.__path__, "depguard."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found[f"{info.name}.{name}"] = value
    return sorted(found.items())


PATTERNS = _patterns()


def test_the_sweep_sees_the_patterns() -> None:
    assert len(PATTERNS) > 100


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[n for n, _ in PATTERNS])
def test_module_patterns_match_in_linear_time(name: str, pattern: re.Pattern[str]) -> None:
    slowest = (0.0, "")
    for run in RUNS:
        for tail in TAILS:
            text = run * (LENGTH // len(run)) + tail
            # fullmatch where the code anchors at both ends; _RAW_RE is only ever used with
            # match (every part is optional, so match succeeds at once)
            methods = [pattern.match]
            if not name.endswith("versions._RAW_RE"):
                methods.append(pattern.fullmatch)
            for method in methods:
                started = time.perf_counter()
                with time_limit(10 * LIMIT):
                    method(text)
                took = time.perf_counter() - started
                slowest = max(slowest, (took, f"{method.__name__}({run!r} * n + {tail!r})"))
    assert slowest[0] < LIMIT, f"{name}: {slowest[1]} took {slowest[0]:.2f} s"


# --- regressions -----------------------------------------------------------------------------


def test_regression_cli_config_blank_check() -> None:
    """``(?:\\s+|#…|//…|/\\*…\\*/)*\\Z`` (is the config only blanks and comments?) took 50 s
    for 30 spaces and a NUL, before python-hcl2 was even asked. Found by atheris."""
    with time_limit(5.0), pytest.raises(InputError):
        parse_cli_config(" " * LENGTH + "\x00 \n", "x.tfrc", env={})


def test_regression_aqua_import_scan() -> None:
    """``check-pr`` scans a pull request's aqua files for ``import:`` with ``^\\s*-?\\s*``,
    cubic on a file of blank lines."""
    with time_limit(5.0):
        assert engine._IMPORT.findall("\n" * LENGTH + "!") == []
    text = "- import: imports/*.yaml\n  -   import: 'b.yaml'\nimport: c.yaml # x\n"
    assert engine._IMPORT.findall(text) == ["imports/*.yaml", "b.yaml", "c.yaml"]


def test_regression_constraint_whitespace() -> None:
    """A version constraint of tabs and a stray character: two greedy whitespace runs around
    an empty operator split the tabs every way before failing."""
    with time_limit(5.0), pytest.raises(ValueError):
        parse_constraints("\t" * LENGTH + "\n\x00")
    assert str(parse_constraints(" >= 1.2 , < 2 ")) == ">= 1.2.0, < 2.0.0"


def test_regression_bump_constraint_whitespace() -> None:
    with time_limit(5.0):
        assert bump_constraint(" " * LENGTH + "x", "1.2.3") == "1.2.3"
    assert bump_constraint(" ~> 5.0 ", "6.2.0") == "~> 6.2"


def test_regression_renovate_trailing_comma_check() -> None:
    """``,(?:\\s|//…|/\\*.*?\\*/)*[\\]}]`` (does the config use trailing commas?) split a
    run of block comments every possible way: 25 comments took 5 s."""
    text = "{\n  extends: ['a'," + " /* c */" * 200 + " 'b'],\n}\n"
    rule = {"description": "depguard rollout: x", "matchPackageNames": ["x"], "enabled": False}
    with time_limit(5.0):
        merged = merge_into(text, [rule], path="renovate.json5")
    assert "packageRules" in merged
    # the style check still sees a trailing comma behind comments
    with_comma = merge_into("{\n  a: [1, /* c */ ],\n}\n", [rule], path="r.json5")
    assert "enabled: false,\n" in with_comma
