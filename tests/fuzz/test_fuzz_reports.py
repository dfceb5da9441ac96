"""Documents depguard reads back: the JSON report (``load_report``, inverse of
``render_json``) and the weekly report's history file (``history.load``).

Contracts: ``load_report(render_json(r)) == r.sorted()`` for every valid report, and
``render_json`` of that is the same text again; ``load_report`` and ``history.load`` raise
only ``InputError`` naming the file for anything else; ``history.save`` then ``load`` gives
back what was saved.
"""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.model import Change, Checked, Finding, Report, RuleId, Severity, Skip
from depguard.render import RenderContext
from depguard.render.json import SCHEMA, load_report, render_json
from depguard.report import history
from depguard.report.model import TrendPoint
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import HUGE_INT, deep_json, json_text, json_values, mutated, noise

pytestmark = pytest.mark.fuzz

CTX = RenderContext(tool_version="0.0.0-fuzz")
# Few distinct values, so that duplicates and ties in the sort keys are common.
TEXT = st.sampled_from(("", "a", "b", "envs/dev/main.tf", "##[error]x", "é\u2028")) | st.text(
    max_size=8
)
LINES = st.none() | st.integers(1, 10**6)
OPT = st.none() | TEXT

FINDINGS = st.builds(
    Finding,
    rule=st.sampled_from(("lock-hash-mismatch", "unpinned-action", "x")).map(RuleId),
    severity=st.sampled_from(list(Severity)),
    message=TEXT,
    path=TEXT,
    line=LINES,
    subject=TEXT,
    fingerprint=st.just("") | st.text("0123456789abcdef", min_size=16, max_size=16),
)
SKIPS = st.builds(Skip, subject=TEXT, reason=TEXT, path=TEXT)
CHECKED = st.builds(
    Checked, subject=TEXT, evidence=st.lists(TEXT, max_size=3).map(tuple), path=TEXT
)
CHANGES = st.builds(
    Change,
    kind=st.sampled_from(("provider", "action", "aqua-package")),
    name=TEXT,
    path=TEXT,
    line=LINES,
    old=OPT,
    new=OPT,
    old_source=OPT,
    new_source=OPT,
    hashes=TEXT,
    status=st.sampled_from(("verified", "failed", "skipped", "n/a")),
    evidence=st.lists(TEXT, max_size=2).map(tuple),
    released=OPT,
    age=OPT,
)
REPORTS = st.builds(
    Report,
    command=st.sampled_from(("verify", "check-pr", "lock")),
    findings=st.lists(FINDINGS, max_size=4).map(tuple),
    skipped=st.lists(SKIPS, max_size=3).map(tuple),
    checked=st.lists(CHECKED, max_size=3).map(tuple),
    notes=st.lists(TEXT, max_size=2).map(tuple),
    changes=st.lists(CHANGES, max_size=4).map(tuple),
)


@given(report=REPORTS)
def test_render_then_load_is_the_sorted_report(report: Report) -> None:
    text = render_json(report, CTX)
    loaded = load_report(text, path="r.json")
    assert loaded == report.sorted()
    assert render_json(loaded, CTX) == text


@example(tag="a")
@given(tag=st.sampled_from(("b", "c")))
def test_regression_sorted_is_deterministic_for_ties(tag: str) -> None:
    """``Report.sorted()`` sorted ``set(...)`` by ``Change.sort_key`` (path, line, name,
    kind) and ``Finding.sort_key`` (path, line, rule, subject, message), which were not
    total: two changes of the same dependency in one file (an action removed twice with
    different versions: line None) tied, and their order was the set's iteration order,
    which depends on the per-process string hash seed. So ``render_json`` output was not
    deterministic (CONVENTIONS §11). Each of the 64 reports below failed with probability
    ~0.2 per process; both keys now end with the item's repr."""
    for i in range(64):
        changes = tuple(
            Change(kind="action", name="a", path="p", line=None, old=f"{tag}{c}{i}") for c in "xyz"
        )
        report = Report(command="check-pr", changes=changes)
        assert load_report(render_json(report, CTX), path="r.json") == report.sorted()


def _check_report(text: str) -> None:
    outcome(
        load_report,
        text,
        path="r.json",
        raises=(InputError,),
        err_path="r.json",
        err_text=text,
    )


@given(text=mutated(REPORTS.map(lambda r: render_json(r, CTX)), max_steps=3))
def test_mutated_reports(text: str) -> None:
    _check_report(text)


def _doc_with(value: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """A report document whose fields are replaced by values of any type."""
    base = {"schema": SCHEMA, "command": "verify", "findings": [], "skipped": [], "checked": []}
    keys = st.sampled_from(
        ("findings", "skipped", "checked", "notes", "changes", "summary", "command", "schema")
    )
    return st.builds(lambda k, v: json.dumps({**base, "summary": {}, k: v}), keys, value)


FIELD_VALUES = json_values() | st.lists(
    st.dictionaries(
        st.sampled_from(
            (
                "rule",
                "severity",
                "message",
                "path",
                "line",
                "subject",
                "reason",
                "evidence",
                "kind",
                "name",
            )
        ),
        json_values(max_leaves=2) | st.sampled_from(("high", "x", True, 0, -1)),
    ),
    max_size=2,
)


@given(
    text=_doc_with(FIELD_VALUES)
    | json_text(json_values())
    | st.sampled_from(deep_json())
    | noise('{}[]",:0123456789.eE-+ truefalsn\\u')
)
def test_random_report_documents(text: str) -> None:
    _check_report(text)


@example(text='{"schema": "depguard.report/v1", "summary": {"checked": ' + HUGE_INT + "}}")
@given(text=st.integers(4301, 6000).map(lambda n: "[" + "3" * n + "]"))
def test_regression_report_huge_integer(text: str) -> None:
    """Regression test: a bug this fuzzer found, since fixed.

    Was: ``load_report`` catches ``JSONDecodeError`` only: ``json.loads`` raises a plain
    ``ValueError`` for an integer literal of more than 4300 digits (CPython's int/str
    conversion limit), so ``depguard merge`` crashes on such a shard report."""
    outcome(load_report, text, path="r.json", raises=(InputError,))


# --- the history file ---------------------------------------------------------------------------

_counter = count()
POINTS = st.builds(
    TrendPoint,
    generated=st.sampled_from(("2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z"))
    | st.text(max_size=20),
    outdated=st.integers(0, 10**9),
    skewed=st.integers(0, 100),
    findings=st.integers(0, 100),
    skipped=st.integers(0, 100),
    libyears=st.floats(0, 1e6, allow_nan=False),
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("history")


def _load_history(workdir: Path, text: str) -> None:
    path = workdir / f"history-{next(_counter)}.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    try:
        outcome(
            history.load,
            file=path,
            cache_dir=workdir / "cache",
            repository="r",
            raises=(InputError,),
            err_path=str(path),
            err_text=text,
        )
    finally:
        path.unlink()


@given(points=st.lists(POINTS, max_size=5))
def test_history_save_then_load(workdir: Path, points: list[TrendPoint]) -> None:
    path = workdir / f"saved-{next(_counter)}.json"
    try:
        for p in points:
            history.save(p, file=path, cache_dir=workdir / "cache", repository="r")
        loaded = history.load(file=path, cache_dir=workdir / "cache", repository="r")
        latest = {p.generated: p for p in points}  # a run with the same time replaces one
        assert {p.generated for p in loaded} == set(sorted(latest)[-history.KEEP :])
        for p in loaded:
            assert p == latest[p.generated]
    finally:
        path.unlink(missing_ok=True)


HISTORY = st.fixed_dictionaries(
    {"schema": st.just(history.SCHEMA) | json_values(max_leaves=1)},
    optional={
        "runs": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    k: st.integers(-2, 5) | json_values(max_leaves=2)
                    for k in ("generated", "outdated", "skewed", "findings", "skipped", "libyears")
                },
            )
            | json_values(max_leaves=2),
            max_size=3,
        )
        | json_values(max_leaves=2)
    },
)


@given(
    text=mutated(json_text(HISTORY), max_steps=2) | st.sampled_from(["", "\udcff", *deep_json()])
)
def test_history_files(workdir: Path, text: str) -> None:
    _load_history(workdir, text)


@example(digits=4400)
@given(digits=st.integers(4301, 6000))
def test_regression_history_huge_integer(workdir: Path, digits: int) -> None:
    """Regression test: a bug this fuzzer found, since fixed.

    Was: ``history.load`` catches ``JSONDecodeError`` only: a history file (which a workflow
    may restore from a cache) with an integer of more than 4300 digits raises ``ValueError``
    (CPython's int/str conversion limit)."""
    path = workdir / f"big-{next(_counter)}.json"
    path.write_text('{"schema": "' + history.SCHEMA + '", "runs": [' + "1" * digits + "]}")
    outcome(history.load, file=path, cache_dir=workdir, repository="r", raises=(InputError,))
