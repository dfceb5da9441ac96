"""The rule registry: ids unique and stable, documented, each with a positive and a negative
fixture under tests/data/rules/<id>/ (run through the real CLI, offline, against the shipped
example's upstream snapshot)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from depguard import rules
from depguard.config import KNOWN_RULE_IDS
from depguard.config.spec import EXTENSION_RULE_IDS
from depguard.model import Severity
from tests.support.cli import CliResult, run_cli
from tests.support.prrepo import build_pr_repo

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "rules"
README = (ROOT / "README.md").read_text(encoding="utf-8")
IDS = [r.id for r in rules.ALL]


def test_rule_ids_are_unique_kebab_case_and_designed() -> None:
    assert len(IDS) == len(set(IDS))
    for rule_id in IDS:
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", rule_id), rule_id
        assert rule_id in KNOWN_RULE_IDS or rule_id in EXTENSION_RULE_IDS, (
            f"{rule_id} is neither a DESIGN.md §2 rule id nor a declared extension"
        )


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


def _run_fixture(case: Path, tmp_path: Path) -> CliResult:
    """A verify fixture (``stack/``) or a PR fixture (``base/``, ``head/``, ``event.json``),
    run through the real CLI offline."""
    common = ("--format", "json", "--offline", "--config", str(case / "depguard.yaml"))
    if (case / "lint").is_file():  # a Renovate config fixture: ``repo/`` with renovate.json5
        return run_cli(
            "--format", "json", "--config", str(case / "depguard.yaml"),
            "rollout", "lint-renovate", "--repo", str(case / "repo"),
        )  # fmt: skip
    if (case / "base").is_dir():
        repo, base, head = build_pr_repo(tmp_path, case / "base", case / "head")
        return run_cli(
            *common, "check-pr", "--repo", str(repo), "--base", base, "--head", head,
            "--event", str(case / "event.json"),
            *(() if (case / "verify").is_file() else ("--no-verify",)),
        )  # fmt: skip
    return run_cli(*common, "verify", str(case / "stack"))


@pytest.mark.parametrize("rule_id", IDS)
def test_positive_fixture_yields_exactly_that_rule(rule_id: str, tmp_path: Path) -> None:
    case = FIXTURES / rule_id / "positive"
    assert case.is_dir(), f"missing positive fixture {case}"
    result = _run_fixture(case, tmp_path)
    assert result.code == 1, result.out + result.err
    assert set(result.rules()) == {rule_id}
    assert "Traceback" not in result.err


@pytest.mark.parametrize("rule_id", IDS)
def test_negative_fixture_is_clean(rule_id: str, tmp_path: Path) -> None:
    case = FIXTURES / rule_id / "negative"
    assert case.is_dir(), f"missing negative fixture {case}"
    result = _run_fixture(case, tmp_path)
    assert result.code == 0, result.out + result.err
    assert result.rules() == []
    # something was judged: verified entries, or (check-pr --no-verify) the PR's changes
    report = result.json()
    assert report["summary"]["checked"] >= 1 or report.get("changes")


def test_readme_rule_table_is_generated_from_the_registry() -> None:
    from depguard.rules.__main__ import main

    assert main(["--check", str(Path(__file__).resolve().parents[2] / "README.md")]) == 0
