"""``depguard report`` on the shipped example (offline, its snapshot) as a git repository with
dated commits, on a synthetic many-directory repository, and across stored runs (trend)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import CliResult, run_cli
from tests.support.prrepo import git

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "examples" / "acme-infra"
SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots" / "report"
DEV_LOCK = "envs/dev/network/.terraform.lock.hcl"
STG_LOCK = "envs/stg/network/.terraform.lock.hcl"


@pytest.fixture
def clock() -> Iterator[None]:
    old = os.environ.get("DEPGUARD_NOW")
    os.environ["DEPGUARD_NOW"] = "2026-12-01T00:00:00Z"
    yield
    if old is None:
        del os.environ["DEPGUARD_NOW"]
    else:
        os.environ["DEPGUARD_NOW"] = old


@pytest.fixture
def example(tmp_path: Path, clock: None) -> Path:
    """The example with a dated history: dev moved to inventory 1.3.0 on 2026-11-20."""
    repo = tmp_path / "acme-infra"
    shutil.copytree(EXAMPLE, repo)
    git(repo, "init", "-q", "-b", "main")
    dev = (repo / DEV_LOCK).read_bytes()
    (repo / DEV_LOCK).write_bytes((repo / STG_LOCK).read_bytes())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial", when="2026-10-01T12:00:00Z")
    (repo / DEV_LOCK).write_bytes(dev)
    (repo / ".git" / "index").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "inventory 1.3.0 (dev)", when="2026-11-20T09:30:00Z")
    return repo


def _report(repo: Path, *args: str, fmt: str = "json") -> CliResult:
    result = run_cli("--offline", "--format", fmt, "report", str(repo), *args)
    assert "Traceback" not in result.err, result.err
    return result


def _check_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("DEPGUARD_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"missing snapshot {path}; run with DEPGUARD_UPDATE_SNAPSHOTS=1"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"


def test_example_report_json(example: Path) -> None:
    result = _report(example, "--no-history")
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["schema"] == "depguard.upgrade-report/v1"
    assert doc["summary"] == {
        "directories": 4,
        "dependencies": 7,
        "outdated": 3,
        "skewed": 1,
        "findings": 0,
        "skipped": 0,
        "checked": 16,
        "libyears": 0.7,
        "rollouts": 1,
    }
    rows = {o["name"]: o for o in doc["outdated"]}
    inventory = rows["tf.acme.example/platform/inventory"]
    assert (inventory["in_use"], inventory["latest"], inventory["behind"]) == (
        ["1.2.0", "1.3.0"],
        "1.3.0",
        1,
    )
    assert inventory["libyears"] == 0.44  # 2026-06-01 -> 2026-11-10
    assert rows["acme/infra-cli"]["latest"] == "v1.5.0"
    assert rows["registry.terraform.io/hashicorp/null"]["behind"] == 0
    (skew,) = doc["skew"]
    assert skew["stages"] == {"dev": ["1.3.0"], "stg": ["1.2.0"], "prod": ["1.2.0"]}
    (rollout,) = doc["rollouts"]
    assert (rollout["to"], rollout["waves_done"], rollout["next_wave"], rollout["next_stage"]) == (
        "1.3.0",
        1,
        2,
        "stg",
    )
    assert rollout["may_start"] == "2026-12-01"  # dev landed 11-20, soak 2d, not before today
    assert doc["pull_requests"] is None
    assert [t["generated"] for t in doc["trend"]] == ["2026-12-01T00:00:00Z"]
    _check_snapshot("example.json", result.out)


def test_example_report_markdown(example: Path) -> None:
    result = _report(example, "--no-history", fmt="markdown")
    assert result.code == 0, result.err
    assert result.out.startswith("<!-- depguard:upgrade-report -->\n")
    assert "### Outdated" in result.out and "### Rollouts in progress" in result.out
    assert "| 2 (stg) | 2026-12-01 |" in result.out
    _check_snapshot("example.md", result.out)
    # text is the Markdown too (readable in a terminal, pasteable into an issue)
    assert _report(example, "--no-history", fmt="text").out == result.out


def test_trend_across_stored_runs(example: Path, tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    os.environ["DEPGUARD_NOW"] = "2026-11-24T00:00:00Z"
    first = _report(example, "--history", str(history))
    assert first.code == 0, first.err
    # a week later stg caught up with dev: less skew, one rollout wave further
    (example / STG_LOCK).write_bytes((example / DEV_LOCK).read_bytes())
    os.environ["DEPGUARD_NOW"] = "2026-12-01T00:00:00Z"
    second = _report(example, "--history", str(history), fmt="markdown")
    assert second.code == 0, second.err
    stored = json.loads(history.read_text())
    assert stored["schema"] == "depguard.report-history/v1"
    assert [r["generated"] for r in stored["runs"]] == [
        "2026-11-24T00:00:00Z",
        "2026-12-01T00:00:00Z",
    ]
    assert stored["runs"][0]["skewed"] == 1 and stored["runs"][1]["skewed"] == 1
    assert "### Trend" in second.out
    # running the same report again replaces its point instead of adding one
    _report(example, "--history", str(history))
    assert len(json.loads(history.read_text())["runs"]) == 2


def test_trend_in_the_cache_database(example: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for day in ("2026-11-17", "2026-11-24", "2026-12-01"):
        os.environ["DEPGUARD_NOW"] = f"{day}T00:00:00Z"
        result = run_cli("--offline", "--cache-dir", str(cache), "--format", "json", "report",
                         str(example))  # fmt: skip
        assert result.code == 0, result.err
    trend = result.json()["trend"]
    assert [t["generated"][:10] for t in trend] == ["2026-11-17", "2026-11-24", "2026-12-01"]
    assert (cache / "report-history.sqlite3").is_file()


def test_a_malformed_history_fails_closed(example: Path, tmp_path: Path) -> None:
    bad = tmp_path / "history.json"
    bad.write_text('{"schema": "depguard.report-history/v1", "runs": [{"generated": 1}]}')
    result = _report(example, "--history", str(bad))
    assert result.code == 2 and str(bad) in result.err


def test_formats_for_judging_only_are_refused(example: Path) -> None:
    assert _report(example, "--no-history", fmt="sarif").code == 2
    verify_html = run_cli("--offline", "--format", "html", "verify", str(example))
    assert verify_html.code == 2 and "report" in verify_html.err


def test_open_renovate_pull_requests(example: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "gh"
    pulls = snapshot / "api.github.com" / "repos" / "acme" / "infra" / "pulls"
    pulls.mkdir(parents=True)
    (pulls / "index.json").write_text(
        json.dumps(
            [
                {"number": 42, "title": "chore(deps): update inventory to 1.3.0 (stg)",
                 "html_url": "https://github.com/acme/infra/pull/42",
                 "created_at": "2026-11-28T08:00:00Z", "user": {"login": "renovate[bot]"},
                 "labels": [{"name": "dependencies"}]},
                {"number": 43, "title": "a human PR", "html_url": "https://github.com/acme/infra/pull/43",
                 "created_at": "2026-11-29T08:00:00Z", "user": {"login": "alice"}, "labels": []},
            ]
        )
    )  # fmt: skip
    result = run_cli(
        "--offline", "--snapshot", str(snapshot), "--snapshot", str(example / "upstream"),
        "--format", "json", "report", str(example), "--no-history",
        "--github-repository", "acme/infra",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()["pull_requests"] == [
        {
            "number": 42,
            "title": "chore(deps): update inventory to 1.3.0 (stg)",
            "url": "https://github.com/acme/infra/pull/42",
            "created": "2026-11-28T08:00:00Z",
            "labels": ["dependencies"],
        }
    ]


def _many(root: Path, count: int) -> Path:
    """A repository of ``count`` state directories across three stages, with provider skew."""
    from tests.benchmarks.common import lock_text

    root.mkdir()
    (root / "depguard.yaml").write_text(
        "rollout:\n  stages:\n"
        '    - {name: dev, match: ["envs/dev/**"], soak: 1d}\n'
        '    - {name: prod, match: ["envs/prod/**"], soak: 3d, max_per_wave: 10}\n'
    )
    for i in range(count):
        stage = "dev" if i % 4 == 0 else "prod"
        d = root / "envs" / stage / f"svc{i:03d}"
        d.mkdir(parents=True)
        version = "5.50.0" if stage == "dev" or i % 3 == 0 else "5.31.0"
        d.joinpath(".terraform.lock.hcl").write_text(
            lock_text([("registry.terraform.io/hashicorp/aws", version, "~> 5.0",
                        ["zh:" + "ab" * 32])])
        )  # fmt: skip
    return root


def test_many_directories(tmp_path: Path, clock: None) -> None:
    repo = _many(tmp_path / "many", 80)
    result = _report(repo, "--no-history")
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["summary"]["directories"] == 80
    (skew,) = doc["skew"]
    assert skew["stages"] == {"dev": ["5.50.0"], "prod": ["5.31.0", "5.50.0"]}
    (rollout,) = doc["rollouts"]
    assert rollout["to"] == "5.50.0" and rollout["waves"] == 7  # dev, then 6 waves of <= 10
    # offline without registry data: the row says why the latest version is unknown
    (row,) = doc["outdated"]
    assert row["latest"] is None and "not available offline" in row["note"]
    markdown = _report(repo, "--no-history", fmt="markdown").out
    assert len(markdown) < 65_536


def test_example_report_html(example: Path) -> None:
    result = _report(example, "--no-history", fmt="html")
    assert result.code == 0, result.err
    page = result.out
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 3
    assert "tf.acme.example/platform/inventory" in page and "Content-Security-Policy" in page
    assert "<script" not in page


def test_many_directories_snapshots(tmp_path: Path, clock: None) -> None:
    repo = _many(tmp_path / "many", 40)
    for fmt, name in (("json", "many.json"), ("markdown", "many.md")):
        result = _report(repo, "--no-history", fmt=fmt)
        assert result.code == 0, result.err
        _check_snapshot(name, result.out.replace(str(tmp_path), "<tmp>"))
