"""``depguard rollout``'s text editors and Renovate-config tools.

Contracts:

* ``rollout.edit`` (``set_provider_constraint``, ``set_required_version``,
  ``set_aqua_package_version``, ``set_terraform_version_file``): with valid arguments they
  return ``(text, pins)`` or raise ``InputError`` for malformed files; an edit of a file that
  reads keeps it readable, and applying the same edit again changes nothing (extends the
  round-trip properties of tests/unit/test_rollout_edit.py to generated and mutated files);
* ``renovate_rules``: ``render_json5(rules)`` reads back (json5) as ``{packageRules: rules}``;
  ``merge_into`` returns a config that reads back with the rules merged, is idempotent,
  keeps a strict-JSON file strict, or raises ``InputError`` (``ValueError`` only for a rule
  that is not depguard's); ``config_layout`` raises only ``InputError``;
* ``lint_renovate``: ``minimatch`` and ``match_pattern`` return a bool or raise
  ``UnsupportedPatternError``, in bounded time.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import json5
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.renovate import load_renovate_config
from depguard.formats.tf_scan import scan_tf, scan_tf_json
from depguard.formats.yaml_lines import load_yaml
from depguard.rollout.edit import (
    set_aqua_package_version,
    set_provider_constraint,
    set_required_version,
    set_terraform_version_file,
)
from depguard.rollout.lint_renovate import UnsupportedPatternError, match_pattern, minimatch
from depguard.rollout.renovate_rules import MARKER, config_layout, merge_into, render_json5
from tests.fuzz.contract import Hang, outcome
from tests.fuzz.strategies import (
    CONSTRAINTS,
    EXAMPLE,
    SMALL_TEXT,
    WORDS,
    example_seeds,
    mutated,
    noise,
    read_seeds,
    tf_documents,
    tf_json_documents,
)

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[2]
TF_SEEDS = example_seeds("**/*.tf")
AQUA_SEEDS = example_seeds("aqua/aqua.yaml", "aqua/imports/*.yaml")
ADDRESSES = st.sampled_from(
    (
        "hashicorp/null",
        "registry.terraform.io/hashicorp/aws",
        "tf.acme.example/platform/inventory",
        "x",
    )
)


def _reads(text: str, path: str) -> bool:
    try:
        (scan_tf_json if path.endswith(".json") else scan_tf)(text, path)
    except InputError:
        return False
    return True


def _check_tf_edit(text: str, path: str, edit: Any) -> None:
    result = outcome(edit, text, raises=(InputError,), err_path=path)
    if result.value is None:
        return
    new, pins = result.value
    assert pins >= 0 and (pins > 0 or new == text)
    if _reads(text, path):
        assert _reads(new, path), "an edit broke a file that read"
    assert edit(new) == (new, pins), "the same edit again must change nothing"


@given(
    text=mutated(tf_documents() | st.sampled_from(TF_SEEDS), max_steps=2),
    address=ADDRESSES,
    constraint=CONSTRAINTS,
)
def test_set_provider_constraint(text: str, address: str, constraint: str) -> None:
    _check_tf_edit(text, "x.tf", lambda t: set_provider_constraint(t, "x.tf", address, constraint))


@given(text=mutated(tf_json_documents(), max_steps=2), address=ADDRESSES, constraint=CONSTRAINTS)
def test_set_provider_constraint_json(text: str, address: str, constraint: str) -> None:
    path = "x.tf.json"
    _check_tf_edit(text, path, lambda t: set_provider_constraint(t, path, address, constraint))


@given(
    text=mutated(tf_documents() | st.sampled_from(TF_SEEDS), max_steps=2), constraint=CONSTRAINTS
)
def test_set_required_version(text: str, constraint: str) -> None:
    _check_tf_edit(text, "x.tf", lambda t: set_required_version(t, "x.tf", constraint))


VERSIONS = st.from_regex(r"v?[0-9]{1,3}(\.[0-9]{1,3}){0,2}(-[a-z0-9.]{1,6})?", fullmatch=True)
PACKAGES = st.sampled_from(("acme/infra-cli", "acme/drift-report", "trailofbits/rfc8785.py", "a/b"))


@given(text=mutated(st.sampled_from(AQUA_SEEDS), max_steps=3), package=PACKAGES, version=VERSIONS)
def test_set_aqua_package_version(text: str, package: str, version: str) -> None:
    def edit(t: str) -> tuple[str, int]:
        return set_aqua_package_version(t, "aqua.yaml", package, version)

    result = outcome(edit, text, raises=(InputError,), err_path="aqua.yaml")
    if result.value is None:
        return
    new, pins = result.value
    assert pins > 0 or new == text
    load_yaml(new, "aqua.yaml")  # an edited file still loads
    assert edit(new) == (new, pins)


@given(
    text=mutated(
        st.sampled_from(("1.9.0\n", "# c\n\n 1.5.0 # x\r\n", "latest:^1", "")), max_steps=3
    ),
    version=VERSIONS,
)
def test_set_terraform_version_file(text: str, version: str) -> None:
    result = outcome(set_terraform_version_file, text, ".terraform-version", version, raises=())
    assert result.value is not None
    new, pins = result.value
    assert set_terraform_version_file(new, ".terraform-version", version) == (new, pins)


@example(depth=3000)
@given(depth=st.integers(2000, 5000))
def test_regression_edit_json_deep_nesting(depth: int) -> None:
    """``rollout.edit._load_json`` (``set_provider_constraint``/``set_required_version`` on
    a ``.tf.json``) caught only ``JSONDecodeError``: ``{"a":`` nested 3000 deep raised
    ``RecursionError`` instead of ``InputError``. Found by the long profile; it now shares
    ``util.text.parse_json`` with ``scan_tf_json``."""
    text = '{"a":' * depth + "1" + "}" * depth
    outcome(
        set_provider_constraint, text, "x.tf.json", "hashicorp/null", "1.0.0", raises=(InputError,)
    )


@example(digits=4400)
@given(digits=st.integers(4301, 6000))
def test_regression_edit_json_huge_integer(digits: int) -> None:
    """``rollout.edit._load_json`` caught only ``JSONDecodeError``: a ``.tf.json`` holding
    an integer literal of more than 4300 digits made ``json.loads`` raise a plain
    ``ValueError`` (CPython's int/str conversion limit) out of ``set_provider_constraint``
    and ``set_required_version``."""
    text = '{"locals": {"a": ' + "9" * digits + "}}"
    outcome(
        set_provider_constraint, text, "x.tf.json", "hashicorp/null", "1.0.0", raises=(InputError,)
    )


# --- Renovate rules -------------------------------------------------------------------------

JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | SMALL_TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(WORDS | SMALL_TEXT, inner, max_size=3)
    ),
    max_leaves=8,
)
RULES = st.lists(
    st.builds(
        lambda tail, extra: {"description": f"{MARKER} {tail}", **extra},
        SMALL_TEXT,
        st.dictionaries(
            st.sampled_from(("matchFileNames", "groupName", "minimumReleaseAge", "x-y", "'q'", ""))
            | SMALL_TEXT,
            JSONISH,
            max_size=4,
        ).map(lambda d: {k: v for k, v in d.items() if k != "description"}),
    ),
    max_size=3,
)


@given(rules=RULES)
def test_render_json5_reads_back(rules: list[dict[str, Any]]) -> None:
    text = render_json5(rules)
    assert json5.loads(text) == {"packageRules": rules}
    assert load_renovate_config(text, "rules.json5") == {"packageRules": rules}


CONFIG_SEEDS = [
    (ROOT / "renovate.json5").read_text("utf-8"),
    (EXAMPLE / "renovate.json5").read_text("utf-8"),
    '{\n  "extends": ["config:recommended"]\n}\n',
    '{"packageRules": [{"description": "mine"}]}',
    "{\r\n\t// tabs and CRLF\r\n\tpackageRules: [\r\n"
    "\t\t{matchPackageNames: ['x']},\r\n\t],\r\n}\r\n",
    "\ufeff{packageRules: [], 'a': \"b\",}",
    "{packageRules: [{description: ['" + MARKER + " old'], enabled: false}], x: 1 /* c */}",
    "{}",
    "[]",
    '{"packageRules": {}}',
]


def _check_merge(text: str, rules: list[dict[str, Any]], path: str) -> None:
    result = outcome(merge_into, text, rules, path=path, raises=(InputError,), err_path=path)
    outcome(config_layout, text, path, raises=(InputError,), err_path=path)
    if result.value is None:
        return
    merged = result.value
    data = load_renovate_config(merged, path)
    ours = [
        r
        for r in data["packageRules"]
        if isinstance(r, dict) and str(r.get("description", "")).startswith(MARKER)
    ]
    assert ours == rules
    assert merge_into(merged, rules, path=path) == merged, "merging again must change nothing"
    if path.endswith(".json"):
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            json.loads(merged)  # a strict JSON file stays strict JSON
    outcome(config_layout, merged, path, raises=())


@given(
    text=mutated(st.sampled_from(CONFIG_SEEDS), max_steps=3),
    rules=RULES,
    path=st.sampled_from(("renovate.json5", "renovate.json", ".github/renovate.json")),
)
def test_merge_into(text: str, rules: list[dict[str, Any]], path: str) -> None:
    _check_merge(text, rules, path)


@pytest.fixture(scope="module")
def corpus_configs(corpus: Path) -> list[str]:
    seeds = read_seeds(corpus, ["renovate/**/*.json5", "renovate/presets/**/*.json"])
    if not seeds:
        pytest.skip("the corpus has no Renovate configs")
    return seeds


@given(data=st.data(), rules=RULES)
def test_merge_into_corpus_configs(
    corpus_configs: list[str], data: st.DataObject, rules: list[dict[str, Any]]
) -> None:
    _check_merge(
        data.draw(mutated(st.sampled_from(corpus_configs), max_steps=2)), rules, "renovate.json5"
    )


@given(text=noise("{}[]'\",:/*\n packageRules0123456789.-+\\", max_size=120))
def test_config_layout_random(text: str) -> None:
    outcome(config_layout, text, "renovate.json5", raises=(InputError,), err_path="renovate.json5")


# --- minimatch and match_pattern --------------------------------------------------------------

# Both run in RE2, linear in the name; a short budget makes a regression cheap to spot.
GLOB_BUDGET = 2.0
GLOB_PIECES = st.sampled_from(
    (
        "*",
        "**",
        "?",
        "/",
        "a",
        "B",
        ".",
        "-",
        "[a-z]",
        "[!x]",
        "[^x]",
        "[]",
        "[[:alpha:]]",
        "{a,b}",
        "{1..3}",
        "{01..10..2}",
        "{a..e}",
        "{,x}",
        "{x}",
        "\\*",
        "\\",
        "!",
        "#",
        "+(a|b)",
        "@(x)",
        "(",
        ")",
        "${",
        "é",
    )
)
GLOBS = st.lists(GLOB_PIECES, max_size=8).map("".join)
REGEXES = st.builds(
    lambda neg, body, flag: f"{neg}/{body}/{flag}",
    st.sampled_from(("", "!")),
    st.lists(
        st.sampled_from(
            (
                "a",
                ".",
                "*",
                "+",
                "?",
                "^",
                "$",
                "(",
                ")",
                "|",
                "[a-z]",
                "\\d",
                "\\p{L}",
                "(?=x)",
                "{2,3}",
                "\\1",
            )
        ),
        max_size=8,
    ).map("".join),
    st.sampled_from(("", "i")),
)
NAMES = st.from_regex(r"[A-Za-z0-9._/-]{0,64}", fullmatch=True) | st.sampled_from(
    ("hashicorp/aws", ".hidden/x", "a//b", "../x", "", "envs/dev/main.tf")
)


@given(name=NAMES, pattern=GLOBS | REGEXES | noise("*?[]{}!/.,\\ab#()|+@", max_size=20))
def test_match_pattern_contract(name: str, pattern: str) -> None:
    for fn in (minimatch, match_pattern):
        outcome(
            fn,
            name,
            pattern,
            raises=(UnsupportedPatternError,),
            budget=GLOB_BUDGET,
        )


@given(
    name=st.from_regex(r"[a-z.-]{0,12}", fullmatch=True),
    pattern=st.from_regex(r"[a-z.*?-]{1,8}", fullmatch=True),
)
def test_minimatch_agrees_with_fnmatch_on_plain_globs(name: str, pattern: str) -> None:
    """Without ``/``, brackets, braces or escapes, minimatch with ``{dot: true, nocase: true}``
    is fnmatch, except that a wildcard never matches an empty name or ``.``/``..`` alone."""
    got = outcome(
        minimatch,
        name,
        pattern,
        raises=(UnsupportedPatternError,),
        budget=GLOB_BUDGET,
    )
    if got.ok and name not in ("", ".", ".."):
        assert got.value == fnmatch.fnmatchcase(name.lower(), pattern.lower()), (name, pattern)


def _timed(fn: Any, name: str, pattern: str) -> None:
    try:
        outcome(fn, name, pattern, raises=(UnsupportedPatternError,), budget=GLOB_BUDGET)
    except Hang as e:
        raise TimeoutError(f"{fn.__name__}({name[:20]!r}..., {pattern!r}): {e}") from None


@example(pattern="/.*.*.*x/")
@given(pattern=st.sampled_from(("/a*a*a*a*a*b/", "/.*.*.*.*y/i", "/(a+)+!$/", "/((a|aa)+)+b/")))
def test_regression_regex_pattern_backtracking(pattern: str) -> None:
    """``match_pattern`` refused regexes that backtrack *exponentially* but ran polynomial
    ones in Python's backtracking engine, where Renovate uses RE2: ``/.*.*.*x/`` against a
    1024-character name (the ``_MAX_INPUT`` it allows) ran for minutes. The pattern comes
    from the repository's Renovate config. Regexes now run in RE2, so both shapes are
    evaluated, in linear time."""
    _timed(match_pattern, "a" * 1024, pattern)
    assert match_pattern("a" * 1024, pattern) is False


@example(pattern="*a*a*a*a*a*a*x")
@given(pattern=st.sampled_from(("*a" * 8 + "y", "?*a*b*a*b*a*b*z", "[a]*a*a*a*a*a*x")))
def test_regression_glob_polynomial_backtracking(pattern: str) -> None:
    """``minimatch`` translates a segment with several ``*`` into ``[^/]*a[^/]*a…``, which
    Python's backtracking ``re`` ran for longer than the budget (26 s measured for 100
    characters). Segments now run in RE2."""
    _timed(minimatch, "a" * 1024, pattern)
    assert minimatch("a" * 1024, pattern) is False
