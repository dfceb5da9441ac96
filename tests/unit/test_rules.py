"""The rule registry: ids unique and stable, documented, each with a positive and a negative
fixture under tests/data/rules/<id>/ (run through the real CLI, offline, against the shipped
example's upstream snapshot)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from depguard import rules
from depguard.config import KNOWN_RULE_IDS
from depguard.model import Severity
from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "rules"
README = (ROOT / "README.md").read_text(encoding="utf-8")
IDS = [r.id for r in rules.ALL]


def test_rule_ids_are_unique_kebab_case_and_designed() -> None:
    assert len(IDS) == len(set(IDS))
    for rule_id in IDS:
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", rule_id), rule_id
        assert rule_id in KNOWN_RULE_IDS, f"{rule_id} is not a DESIGN.md §2 rule id"


@pytest.mark.parametrize("rule_id", IDS)
def test_rule_is_documented_in_readme(rule_id: str) -> None:
    meta = rules.get(rule_id)
    row = re.search(rf"^\| \[`{re.escape(rule_id)}`\]\(#rule-{rule_id}\) \| (\w+) \|", README, re.M)
    assert row, f"README rule table has no row for {rule_id}"
    assert Severity.parse(row.group(1)) is meta.severity
    assert f'<a id="rule-{rule_id}"></a>' in README
    assert f"### `{rule_id}` ({meta.severity.label})" in README


def test_every_rule_has_a_check_or_is_judged_by_an_engine() -> None:
    checks = {c.__module__.rsplit(".", 1)[1].replace("_", "-") for c in rules.LOCK_CHECKS}
    assert checks | {"invalid-manifest"} | rules.ENGINE_RULES == set(IDS)


@pytest.mark.parametrize("rule_id", IDS)
def test_positive_fixture_yields_exactly_that_rule(rule_id: str) -> None:
    case = FIXTURES / rule_id / "positive"
    assert case.is_dir(), f"missing positive fixture {case}"
    result = run_cli(
        "--format",
        "json",
        "--offline",
        "--config",
        str(case / "depguard.yaml"),
        "verify",
        str(case / "stack"),
    )
    assert result.code == 1, result.out + result.err
    assert set(result.rules()) == {rule_id}
    assert "Traceback" not in result.err


@pytest.mark.parametrize("rule_id", IDS)
def test_negative_fixture_is_clean(rule_id: str) -> None:
    case = FIXTURES / rule_id / "negative"
    assert case.is_dir(), f"missing negative fixture {case}"
    result = run_cli(
        "--format",
        "json",
        "--offline",
        "--config",
        str(case / "depguard.yaml"),
        "verify",
        str(case / "stack"),
    )
    assert result.code == 0, result.out + result.err
    assert result.rules() == []
    assert result.json()["summary"]["checked"] >= 1
