"""Renovate as data: ``parse_event``, ``parse_pr_body``, ``load_renovate_config`` and
``is_renovate_branch`` — all of it text an attacker shapes (a PR body, an event file).

Contracts (``depguard.formats.renovate``): ``parse_event`` and ``load_renovate_config``
return or raise ``InputError`` naming the path; ``parse_pr_body`` never fails on content (only
``InputError`` for an oversized body) and stays linear; ``is_renovate_branch`` raises only
``ValueError`` for an empty prefix.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.renovate import (
    BODY_MARKER,
    DEBUG_MARKER,
    is_renovate_branch,
    load_renovate_config,
    parse_event,
    parse_pr_body,
)
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import (
    HEX40,
    HEX64,
    HUGE_INT,
    SMALL_TEXT,
    deep_json,
    json_text,
    json_values,
    mutated,
    noise,
    read_seeds,
)

pytestmark = pytest.mark.fuzz

ANY = json_values(max_leaves=4)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, strategy, strategy, ANY)


REPO = st.fixed_dictionaries({"full_name": _maybe(st.just("o/r"))})
SIDE = st.fixed_dictionaries(
    {},
    optional={
        "ref": _maybe(st.sampled_from(("renovate/foo-1.x", "main"))),
        "sha": _maybe(HEX40 | HEX64 | st.sampled_from(("A" * 40, "abc"))),
        "repo": st.none() | REPO | ANY,
    },
)
EVENT = st.fixed_dictionaries(
    {
        "pull_request": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "number": _maybe(st.integers(-5, 10**6)),
                    "title": _maybe(SMALL_TEXT),
                    "user": _maybe(st.fixed_dictionaries({"login": _maybe(SMALL_TEXT)})),
                    "body": st.none() | SMALL_TEXT | ANY,
                    "labels": _maybe(
                        st.lists(st.fixed_dictionaries({"name": _maybe(SMALL_TEXT)}) | ANY)
                    ),
                    "head": _maybe(SIDE),
                    "base": _maybe(SIDE),
                },
            )
        )
    },
    optional={"number": ANY, "action": ANY, "sender": ANY},
)


def _check_event(text: str) -> None:
    outcome(
        parse_event,
        text,
        "event.json",
        raises=(InputError,),
        err_path="event.json",
        err_text=text,
    )


@given(text=mutated(json_text(EVENT), max_steps=2))
def test_events(text: str) -> None:
    _check_event(text)


@given(
    text=json_text(ANY)
    | noise('{}[]",:0123456789.eE-+ truefalsn\\u')
    | st.sampled_from(deep_json())
)
def test_random_events(text: str) -> None:
    _check_event(text)


@example(text='{"pull_request": {"number": ' + HUGE_INT + "}}")
@given(text=st.integers(4301, 6000).map(lambda n: '{"x": ' + "7" * n + "}"))
def test_regression_event_huge_integer(text: str) -> None:
    """Regression test: a bug this fuzzer found, since fixed.

    Was: ``parse_event`` catches ``JSONDecodeError`` (and ``RecursionError``) but not the plain
    ``ValueError`` that ``json.loads`` raises for an integer literal of more than 4300 digits
    (CPython's int/str conversion limit): an event file can crash ``check-pr``."""
    outcome(parse_event, text, "event.json", raises=(InputError,))


# --- PR bodies --------------------------------------------------------------------------------

CELLS = st.sampled_from(
    (
        "[hashicorp/aws](https://github.com/hashicorp/terraform-provider-aws)",
        "[cli/cli](https://github.com/cli/cli) → [gh/gh](https://x)",
        "required_provider",
        "minor",
        "digest",
        "lockFileMaintenance",
        "`5.0.0` -> `5.1.0`",
        "`~> 5.0` → `~> 6.0`",
        "`abc1234` → `def5678`",
        "[![age](https://developer.mend.io/api/mc/badges/age/terraform-provider/hashicorp%2faws/5.1.0?slim=true)](https://docs.renovatebot.com/merge-confidence/)",
        "![img](https://badges.renovateapi.com/packages/github-tags/x/1.0/age-slim)",
        "\\| escaped \\[ \\]",
        "[[[[[[[[[[",
        "((((((((((",
        "``````````",
        "",
    )
)
HEADERS = st.lists(
    st.sampled_from(
        (
            *("Package", "Type", "Update", "Change", "Pending", "Age", "Datasource"),
            *("Current value", "New value", "Package file", "**Package**", "Confidence", "Other"),
        )
    ),
    min_size=1,
    max_size=6,
)


def _debug(data: Any) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode().rstrip("=")


@st.composite
def pr_bodies(draw: st.DrawFn) -> str:
    header = draw(HEADERS)
    rows = draw(st.lists(st.lists(CELLS | SMALL_TEXT, min_size=len(header), max_size=len(header))))
    table = "\n".join(
        ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        + ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    )
    parts = [
        draw(st.sampled_from((BODY_MARKER + "\n\n", "", "<!-- " + BODY_MARKER + " -->\n"))),
        table,
        draw(
            st.sampled_from(
                (
                    "\n\n### Release Notes\n\n<details>\n<summary>x</summary>\n\n" + table,
                    "\n\n```\n" + table + "\n```\n",
                    "\n\n<details>",
                    "",
                )
            )
        ),
    ]
    marker = draw(st.sampled_from(("", "ok", "bad64", "unclosed", "twice", "notjson", "list")))
    payload = {"createdInVer": "39.0.0", "targetBranch": "main", "labels": ["x"]}
    parts.append(
        {
            "": "",
            "ok": f"\n{DEBUG_MARKER}{_debug(payload)}-->\n",
            "bad64": f"\n{DEBUG_MARKER}!!!-->\n",
            "unclosed": f"\n{DEBUG_MARKER}{_debug(payload)}",
            "twice": f"\n{DEBUG_MARKER}{_debug(payload)}-->{DEBUG_MARKER}{_debug([1])}-->",
            "notjson": f"\n{DEBUG_MARKER}{base64.b64encode(b'{').decode()}-->",
            "list": f"\n{DEBUG_MARKER}{_debug([1, 2])}-->",
        }[marker]
    )
    return "".join(parts)


def _check_body(text: str) -> None:
    result = outcome(parse_pr_body, text, raises=(InputError,), err_text=text)
    if result.error is not None:
        assert len(text) > 1024 * 1024, "parse_pr_body failed on content"
    elif result.value is not None:
        body = result.value
        assert body.tables >= 0 and (body.debug is None or body.debug_error is None)
        for update in body.updates:
            assert isinstance(update.package, str)


@given(text=mutated(pr_bodies(), max_steps=3))
def test_pr_bodies(text: str) -> None:
    _check_body(text)


@given(text=noise("|-:`[]()!\\<>/details-->\n *#renovate", max_size=300))
def test_random_pr_bodies(text: str) -> None:
    _check_body(text)


@given(
    text=st.sampled_from(
        (
            "| a |\n|---|\n" + "| x |\n" * 20000,
            BODY_MARKER + "\n| Package | Change |\n|---|---|\n| " + "[" * 4000 + " | `a` → `b` |\n",
            "| Package | Change |\n|---|---|\n| " + "[a](" * 1000 + " | " + "`" * 3001 + " |\n",
            "<details>" * 10000,
            DEBUG_MARKER * 20 + "-->",
            "x" * (1024 * 1024 + 1),
        )
    )
)
def test_adversarial_pr_bodies(text: str) -> None:
    _check_body(text)


# --- Renovate configs -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_configs(corpus: Path) -> list[str]:
    seeds = read_seeds(
        corpus, ["renovate/**/*.json", "renovate/**/*.json5", "aqua/renovate-config/*.json"]
    )
    if not seeds:
        pytest.skip("the corpus has no Renovate configs")
    return seeds


REPO_ROOT = Path(__file__).resolve().parents[2]
OWN_CONFIGS = [(REPO_ROOT / "renovate.json5").read_text("utf-8")]
JSON5_PIECES = st.sampled_from(
    (
        "{\n  // comment\n  extends: ['config:recommended'],\n  packageRules: [\n"
        "    {matchPackageNames: ['/^a/'], enabled: false,},\n  ],\n}\n",
        "{a: 1, a: 2}",
        "{'a': 0x1F, b: +Infinity, c: NaN, d: .5, e: 'x\\\ny'}",
        '{"a": 1}',
        "[]",
        "{a: [" * 3000,
        "/* unclosed",
        "{a: " + HUGE_INT + "}",
    )
)


def _check_config(text: str) -> None:
    result = outcome(
        load_renovate_config,
        text,
        "renovate.json5",
        raises=(InputError,),
        err_path="renovate.json5",
        err_text=text,
    )
    if result.value is not None:
        assert isinstance(result.value, dict)


@given(text=mutated(JSON5_PIECES | st.sampled_from(OWN_CONFIGS), max_steps=3))
def test_renovate_configs(text: str) -> None:
    _check_config(text)


@given(data=st.data())
def test_mutated_corpus_configs(corpus_configs: list[str], data: st.DataObject) -> None:
    _check_config(data.draw(mutated(st.sampled_from(corpus_configs))))


@given(text=noise("{}[]'\",:/*\n abc0x1.eE+-NaInfity\\", max_size=120))
def test_random_configs(text: str) -> None:
    _check_config(text)


@given(
    ref=st.none() | noise("refs/heads/renovate-/x", max_size=30),
    prefix=noise("renovate/", max_size=10),
)
def test_renovate_branch(ref: str | None, prefix: str) -> None:
    outcome(is_renovate_branch, ref, prefix, raises=(ValueError,) if not prefix else ())
