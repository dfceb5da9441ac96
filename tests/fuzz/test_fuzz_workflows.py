"""GitHub Actions workflows and action metadata: ``parse_workflow`` and ``parse_uses``.

Contracts (``depguard.formats.workflows``): ``parse_workflow`` returns the ``uses``
references sorted by line, each on a line of the file, or raises ``InputError`` naming the
path; ``parse_uses`` never raises. A pinned reference written with a trailing version comment
gives that comment back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.workflows import KINDS, parse_uses, parse_workflow
from tests.fuzz.contract import max_line, outcome
from tests.fuzz.strategies import HEX40, json_values, mutated, noise, read_seeds

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[2]
OWN_WORKFLOWS = read_seeds(ROOT / ".github", ["workflows/*.yaml", "workflows/*.yml"])
ANY = json_values(max_leaves=3)

USES = st.one_of(
    st.builds(lambda sha: f"actions/checkout@{sha}", HEX40),
    st.sampled_from(
        (
            "actions/checkout@v4",
            "owner/repo/path/to@main",
            "owner/repo/.github/workflows/x.yml@v1",
            "./.github/actions/local",
            "./.github/workflows/reuse.yml",
            "docker://alpine:3.20",
            "docker://ghcr.io:443/o/i@sha256:" + "a" * 64,
            "docker://img",
            "${{ matrix.action }}",
            "a@b@c",
            "@v1",
            "owner@v1",
            "owner//repo@v1",
            " spaced/uses@v1 ",
            "",
        )
    ),
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, strategy, strategy, ANY)


STEP = st.fixed_dictionaries(
    {},
    optional={"uses": _maybe(USES), "run": st.just("echo hi"), "with": ANY, "name": ANY},
)
JOB = st.fixed_dictionaries(
    {},
    optional={"uses": _maybe(USES), "steps": _maybe(st.lists(_maybe(STEP), max_size=3))},
)
WORKFLOW = st.one_of(
    st.fixed_dictionaries(
        {"on": st.just("push")},
        optional={"jobs": _maybe(st.dictionaries(st.sampled_from(("a", "b", "c")), _maybe(JOB)))},
    ),
    st.fixed_dictionaries(
        {"name": st.just("action")},
        optional={
            "runs": _maybe(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "using": st.sampled_from(("composite", "docker")),
                        "steps": _maybe(st.lists(_maybe(STEP), max_size=3)),
                        "image": _maybe(USES),
                    },
                )
            )
        },
    ),
)


@st.composite
def workflow_texts(draw: st.DrawFn) -> str:
    """A workflow dumped as YAML, with trailing version comments on some ``uses`` lines."""
    text = yaml.safe_dump(draw(WORKFLOW), sort_keys=False, allow_unicode=True)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "uses:" in line and draw(st.booleans()):
            lines[i] = line + draw(st.sampled_from((" # v4.1.0", "  #v1", " #", "# x")))
    return "\n".join(lines)


def _check(text: str) -> None:
    result = outcome(
        parse_workflow,
        text,
        ".github/workflows/x.yaml",
        raises=(InputError,),
        err_path=".github/workflows/x.yaml",
        err_text=text,
    )
    if result.value is None:
        return
    refs = result.value
    assert [r.line for r in refs] == sorted(r.line for r in refs)
    for ref in refs:
        assert ref.kind in KINDS
        assert 1 <= ref.line <= max_line(text)
        if ref.comment is not None:
            assert "\n" not in ref.comment and len(ref.comment) <= 200


@given(text=mutated(workflow_texts(), max_steps=2))
def test_generated_workflows(text: str) -> None:
    _check(text)


@given(text=mutated(st.sampled_from(OWN_WORKFLOWS), max_steps=3))
def test_mutated_own_workflows(text: str) -> None:
    _check(text)


@pytest.fixture(scope="module")
def corpus_workflows(corpus: Path) -> list[str]:
    seeds = read_seeds(corpus, ["**/.github/workflows/*.yaml", "**/.github/workflows/*.yml"])
    if not seeds:
        pytest.skip("the corpus has no workflows")
    return seeds


@given(data=st.data())
def test_mutated_corpus_workflows(corpus_workflows: list[str], data: st.DataObject) -> None:
    _check(data.draw(mutated(st.sampled_from(corpus_workflows))))


@given(text=noise("jobsteps:uses-@/ #\n${{}}docker:/", max_size=150))
def test_random_workflows(text: str) -> None:
    _check(text)


@given(sha=HEX40, comment=st.from_regex(r"v[0-9]\.[0-9][-.a-z0-9]{0,8}", fullmatch=True))
def test_trailing_version_comment(sha: str, comment: str) -> None:
    text = f"on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@{sha} # {comment}\n"
    (ref,) = parse_workflow(text, "w.yaml")
    assert (ref.owner, ref.repo, ref.ref, ref.comment, ref.line) == (
        "actions",
        "checkout",
        sha,
        comment,
        5,
    )


@given(uses=mutated(USES, max_steps=2) | st.text(max_size=40), job_level=st.booleans())
def test_parse_uses_never_raises(uses: str, job_level: bool) -> None:
    result = outcome(parse_uses, uses, job_level=job_level, raises=())
    assert result.value is not None
    kind, owner, repo, _sub, _ref = result.value
    assert kind in KINDS
    if "${{" in uses:
        assert kind == "expression"
    assert (owner is None) == (repo is None)
