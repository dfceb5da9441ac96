"""The project's own workflows and composite action pass its own rules: every `uses:` pinned by
full SHA with a version comment, least-privilege permissions, no PR content checked out on
pull_request_target, no `${{ }}` expression spliced into a `run:` script. The scripts of the
composite action and of the report workflow are run with stub tools (pip, depguard, gh) to
check what they would do on a runner."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from depguard.formats.workflows import parse_workflow
from depguard.formats.yaml_lines import LineDict, load_yaml

GITHUB = Path(__file__).resolve().parents[2] / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.y*ml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.y*ml"))
FILES = WORKFLOWS + ACTIONS
ACTION = GITHUB / "actions" / "depguard" / "action.yaml"
REPORT = GITHUB / "workflows" / "depguard-report.yaml"
MARKER = "<!-- depguard:upgrade-report -->"

# The only write scopes a job may hold: (file, job) -> scopes.
WRITE_SCOPES: Mapping[tuple[str, str], frozenset[str]] = {
    ("depguard-report.yaml", "issue"): frozenset({"issues"}),
    # the caller grants what its reusable workflow's jobs need
    ("weekly-report.yaml", "report"): frozenset({"issues"}),
}


def _ids(path: Path) -> str:
    return str(path.relative_to(GITHUB))


def _load(path: Path) -> LineDict:
    doc = load_yaml(path.read_text(), path.name)
    assert isinstance(doc, LineDict), f"{path.name}: not a mapping"
    return doc


def _steps(doc: LineDict) -> Iterator[tuple[str, LineDict]]:
    """(where, step) for every step of every job, and of a composite action."""
    for job_id, job in (doc.get("jobs") or {}).items():
        for index, step in enumerate(job.get("steps") or ()):
            yield f"jobs.{job_id}.steps[{index}]", step
    for index, step in enumerate((doc.get("runs") or {}).get("steps") or ()):
        yield f"runs.steps[{index}]", step


def _step(doc: LineDict, name: str) -> LineDict:
    found = [step for _, step in _steps(doc) if step.get("name") == name]
    assert len(found) == 1, f"no single step named {name!r}"
    return found[0]


def test_the_files_are_found() -> None:
    names = {_ids(p) for p in FILES}
    assert {
        "actions/depguard/action.yaml",
        "workflows/ci.yaml",
        "workflows/depguard-pr.yaml",
        "workflows/depguard-report.yaml",
        "workflows/pr-gate.yaml",
        "workflows/weekly-report.yaml",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=_ids)
def test_actions_are_pinned_with_a_version_comment(path: Path) -> None:
    refs = parse_workflow(path.read_text(), path.name)
    assert refs, f"{path.name}: no uses"
    for ref in refs:
        if ref.kind == "local":
            assert (GITHUB.parent / ref.uses).exists(), f"{path.name}:{ref.line}: {ref.uses}"
            continue
        assert ref.pinned, f"{path.name}:{ref.line}: {ref.uses} is not pinned by SHA"
        assert ref.comment and re.fullmatch(r"v\d+(\.\d+)*", ref.comment), ref


def test_an_action_is_pinned_to_the_same_commit_everywhere() -> None:
    pins: dict[str, set[tuple[str | None, str | None]]] = {}
    for path in FILES:
        for ref in parse_workflow(path.read_text(), path.name):
            if ref.kind != "local":
                pins.setdefault(ref.name + (f"/{ref.path}" if ref.path else ""), set()).add(
                    (ref.ref, ref.comment)
                )
    assert {name: pin for name, pin in pins.items() if len(pin) > 1} == {}


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids)
def test_permissions_are_declared(path: Path) -> None:
    doc = _load(path)
    assert "permissions" in doc, f"{path.name}: no top-level permissions"
    top = doc["permissions"]
    assert isinstance(top, dict), f"{path.name}: permissions must list scopes (not write-all)"
    assert set(top.values()) <= {"read", "none"}, f"{path.name}: write at the top level"
    for job_id, job in doc["jobs"].items():
        scopes = job.get("permissions")
        assert isinstance(scopes, dict), f"{path.name}: job {job_id} declares no permissions"
        writes = {scope for scope, level in scopes.items() if level != "read"}
        assert writes <= WRITE_SCOPES.get((path.name, job_id), frozenset()), (job_id, scopes)


def test_the_pr_gate_checks_out_only_the_base() -> None:
    text = (GITHUB / "workflows" / "depguard-pr.yaml").read_text()
    assert "github.event.pull_request.base.sha" in text
    assert "pull_request.head.sha }}\n" not in text and "head.ref" not in text
    assert "persist-credentials: false" in text


@pytest.mark.parametrize("path", FILES, ids=_ids)
def test_checkouts_do_not_persist_credentials(path: Path) -> None:
    for where, step in _steps(_load(path)):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert (step.get("with") or {}).get("persist-credentials") is False, where


@pytest.mark.parametrize("path", FILES, ids=_ids)
def test_run_scripts_interpolate_no_expression(path: Path) -> None:
    """What a run: script needs comes through env: (zizmor's template-injection): an input
    or event value spliced into the script would be executed as shell code."""
    for where, step in _steps(_load(path)):
        script = step.get("run")
        if script is None:
            continue
        assert "${{" not in script, f"{path.name} {where}: pass the value through env:"
        assert not re.search(r"\binputs\.", script), f"{path.name} {where}: an input in run:"


def test_the_report_workflow_never_checks_out_pull_request_code() -> None:
    doc = _load(REPORT)
    assert list(doc["on"]) == ["workflow_call"]
    text = REPORT.read_text()
    for needle in ("github.event.pull_request", "head_ref", "head.sha", "refs/pull/"):
        assert needle not in text, needle
    jobs = doc["jobs"]
    # a job runs for no pull_request* event, or only after one that does not
    guarded = {
        job_id
        for job_id, job in jobs.items()
        if "!startsWith(github.event_name, 'pull_request')" in (job.get("if") or "")
    }
    for job_id, job in jobs.items():
        assert job_id in guarded or job.get("needs") in guarded, job_id
    # the checkout is the caller's triggering ref: no ref:, no repository:
    for where, step in _steps(doc):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert set(step.get("with") or {}) == {"persist-credentials"}, where
    # the job that may write issues checks out and installs nothing
    issue_steps = doc["jobs"]["issue"]["steps"]
    assert [s.get("uses", "run").split("@")[0] for s in issue_steps] == [
        "actions/download-artifact",
        "run",
    ]
    assert doc["jobs"]["issue"]["needs"] == "report"
    assert set(doc["jobs"]["report"]["permissions"]) == {"contents"}
    assert dict(doc["jobs"]["issue"]["permissions"]) == {"issues": "write"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=_ids)
def test_local_reusable_workflow_calls_match_their_inputs(path: Path) -> None:
    for job_id, job in _load(path)["jobs"].items():
        uses = job.get("uses")
        if not (isinstance(uses, str) and uses.startswith("./")):
            continue
        called = _load(GITHUB.parent / uses)
        inputs = called["on"]["workflow_call"]["inputs"]
        given = set(job.get("with") or {})
        assert given <= set(inputs), (job_id, given - set(inputs))
        required = {k for k, v in inputs.items() if v.get("required") is True}
        assert required <= given, (job_id, required - given)
        # a called job cannot get more than its caller grants
        granted = {k for k, v in job["permissions"].items() if v != "none"}
        for callee_id, callee in called["jobs"].items():
            assert set(callee["permissions"]) <= granted, (job_id, callee_id)


def test_weekly_report_calls_the_report_workflow_on_a_schedule() -> None:
    doc = _load(GITHUB / "workflows" / "weekly-report.yaml")
    assert set(doc["on"]) == {"schedule", "workflow_dispatch"}
    assert doc["permissions"] == {}
    assert doc["jobs"]["report"]["uses"] == "./.github/workflows/depguard-report.yaml"


def test_the_composite_action_metadata() -> None:
    doc = _load(ACTION)
    assert doc["runs"]["using"] == "composite"
    inputs = doc["inputs"]
    assert set(inputs) == {"version", "requirements", "python-version"}
    assert inputs["python-version"]["default"] == "3.11"
    assert all(v.get("required", False) is False for v in inputs.values())
    assert doc["outputs"]["version"]["value"] == "${{ steps.install.outputs.version }}"
    for where, step in _steps(doc):
        if "run" in step:
            assert step.get("shell") == "bash", f"{where}: a composite step needs shell:"
    # the one write to GITHUB_PATH (zizmor: ignore[github-env]) adds a fixed directory only
    writes = [s["run"] for _, s in _steps(doc) if "GITHUB_PATH" in s.get("run", "")]
    assert writes == ['echo "$RUNNER_TEMP/depguard-venv/bin" >> "$GITHUB_PATH"\n']


# --- the scripts, run with stub tools -------------------------------------------------------

_STUB_PYTHON = r"""#!/bin/sh
# stub python: `-m venv DIR` makes DIR/bin/python (logs its pip arguments) and DIR/bin/depguard
[ "$1" = -m ] && [ "$2" = venv ] || exit 3
mkdir -p "$3/bin"
cat > "$3/bin/python" <<'STUB'
#!/bin/sh
echo "pip $*" >> "$STUB_LOG"
STUB
cat > "$3/bin/depguard" <<'STUB'
#!/bin/sh
echo "depguard 9.9.9"
STUB
chmod +x "$3/bin/python" "$3/bin/depguard"
"""

_STUB_DEPGUARD = r"""#!/bin/sh
# stub depguard: logs its arguments, writes --output (with the marker) and --history
echo "depguard $*" >> "$STUB_LOG"
prev=""
for arg in "$@"; do
  if [ "$prev" = --output ]; then printf '%s\n# report\n' "$STUB_MARKER" > "$arg"; fi
  if [ "$prev" = --history ]; then echo '{"runs": 1}' > "$arg"; fi
  prev="$arg"
done
"""

_STUB_GH = r"""#!/bin/sh
# stub gh: logs its arguments; `api` prints the issue numbers in STUB_ISSUES (what --jq gives)
echo "gh $*" >> "$STUB_LOG"
if [ "$1" = api ]; then
  for n in $STUB_ISSUES; do echo "$n"; done
elif [ "$1 $2" = "issue create" ]; then
  echo "https://github.com/o/r/issues/42"
fi
"""


class Runner:
    """Runs one step's script like the runner does (bash -eo pipefail) with stub tools first
    on PATH and the runner's files (GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY)."""

    def __init__(self, tmp: Path) -> None:
        if shutil.which("bash") is None:
            pytest.skip("bash is not on PATH")
        self.tmp = tmp
        self.bin = tmp / "stubs"
        self.bin.mkdir()
        self.temp = tmp / "runner-temp"
        self.temp.mkdir()
        self.log = tmp / "calls.log"
        self.files = {
            name: tmp / name.lower()
            for name in ("GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")
        }
        for name, text in (
            ("python3", _STUB_PYTHON),
            ("depguard", _STUB_DEPGUARD),
            ("gh", _STUB_GH),
        ):
            stub = self.bin / name
            stub.write_text(text)
            stub.chmod(0o755)

    def run(
        self, step: LineDict, env: Mapping[str, str], **extra: str
    ) -> subprocess.CompletedProcess[str]:
        declared = set(step.get("env") or {})
        assert declared == set(env), f"the test must give every env value: {declared ^ set(env)}"
        script = self.tmp / "step.sh"
        script.write_text(step["run"])
        full = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_RUN_ID": "123",
            "STUB_LOG": str(self.log),
            "STUB_MARKER": MARKER,
            **{k: str(v) for k, v in self.files.items()},
            **env,
            **extra,
        }
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.tmp,
            env=full,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def file(self, name: str) -> str:
        path = self.files[name]
        return path.read_text() if path.exists() else ""


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


def _action_env(runner: Runner, *, version: str = "", requirements: str = "") -> dict[str, str]:
    return {
        "PYTHON": str(runner.bin / "python3"),
        "REQUESTED_VERSION": version,
        "REQUIREMENTS_FILE": requirements,
    }


def test_action_installs_from_a_requirements_file_with_hashes(runner: Runner) -> None:
    (runner.tmp / "reqs.txt").write_text("depguard==9.9.9 --hash=sha256:00\n")
    step = _step(_load(ACTION), "Install depguard")
    result = runner.run(step, _action_env(runner, requirements="reqs.txt", version="1.0.0"))
    assert result.returncode == 0, result.stderr
    [pip] = runner.calls()
    assert pip.endswith("--require-hashes -r reqs.txt")
    assert "::warning" not in result.stdout
    assert runner.file("GITHUB_OUTPUT") == "version=9.9.9\n"


def test_action_installs_a_version_with_a_warning(runner: Runner) -> None:
    step = _step(_load(ACTION), "Install depguard")
    result = runner.run(step, _action_env(runner, version="1.2.3"))
    assert result.returncode == 0, result.stderr
    assert runner.calls()[0].endswith(" depguard==1.2.3")
    assert "::warning title=depguard::depguard==1.2.3 installed without hash checking" in (
        result.stdout
    )


@pytest.mark.parametrize(
    "version",
    ["1.0 --index-url=https://evil.example/simple", "1.0\n::error::x", ">=0", "1.0; sys_platform"],
)
def test_action_refuses_a_version_that_is_not_one(runner: Runner, version: str) -> None:
    step = _step(_load(ACTION), "Install depguard")
    result = runner.run(step, _action_env(runner, version=version))
    assert result.returncode == 1
    assert runner.calls() == []
    assert "::error title=depguard::the version input is not a version number" in result.stdout


def test_action_needs_version_or_requirements(runner: Runner) -> None:
    step = _step(_load(ACTION), "Install depguard")
    result = runner.run(step, _action_env(runner))
    assert result.returncode == 1 and runner.calls() == []
    result = runner.run(step, _action_env(runner, requirements="missing.txt"))
    assert result.returncode == 1 and runner.calls() == []


def test_action_puts_the_venv_on_path(runner: Runner) -> None:
    result = runner.run(_step(_load(ACTION), "Put depguard on PATH"), {})
    assert result.returncode == 0, result.stderr
    assert runner.file("GITHUB_PATH") == f"{runner.temp}/depguard-venv/bin\n"


def test_report_workflow_installs_from_requirements_or_spec(runner: Runner) -> None:
    step = _step(_load(REPORT), "Install depguard")
    result = runner.run(step, {"INSTALL": "depguard==1.0", "REQUIREMENTS": "r.txt"})
    assert result.returncode == 0, result.stderr
    assert runner.calls()[0].endswith("--require-hashes -r r.txt")
    result = runner.run(step, {"INSTALL": "depguard==1.0", "REQUIREMENTS": ""})
    assert result.returncode == 0, result.stderr
    assert runner.calls()[-1].endswith(" depguard==1.0") and "::warning" in result.stdout
    result = runner.run(step, {"INSTALL": "", "REQUIREMENTS": ""})
    assert result.returncode == 1 and "::error" in result.stdout


def test_report_step_records_one_run_in_the_history(runner: Runner) -> None:
    history = runner.temp / "depguard-history"
    history.mkdir()
    (history / "history.json").write_text('{"runs": 0}\n')
    env = {
        "DEPGUARD": str(runner.bin / "depguard"),
        "GITHUB_TOKEN": "t",
        "PATHS": "envs/dev  -weird",
        "HISTORY_DIR": str(history),
        "OUT": str(runner.temp / "depguard-report"),
    }
    result = runner.run(_step(_load(REPORT), "Report"), env)
    assert result.returncode == 0, result.stderr
    out = runner.temp / "depguard-report"
    assert runner.calls() == [
        f"depguard report --format markdown --output {out}/report.md"
        f" --history {history}/history.json -- envs/dev -weird",
        f"depguard report --format html --output {out}/report.html"
        f" --history {runner.temp}/history-for-html.json -- envs/dev -weird",
    ]
    # the HTML run read a copy of the earlier runs; only the Markdown run wrote the history
    assert (history / "history.json").read_text() == '{"runs": 1}\n'
    assert (out / "report.html").is_file()
    assert runner.file("GITHUB_STEP_SUMMARY").startswith(MARKER)


def _issue_env(runner: Runner, report: str) -> dict[str, str]:
    path = runner.temp / "report.md"
    path.write_text(report, encoding="utf-8")
    return {
        "GH_TOKEN": "t",
        "GH_REPO": "o/r",
        "TITLE": "weekly `report` $(touch pwned)",
        "REPORT": str(path),
        "MARKER": MARKER,
        "LC_ALL": "C.UTF-8",
    }


def test_issue_step_edits_the_oldest_marked_issue(runner: Runner) -> None:
    step = _step(_load(REPORT), "Create or update the issue")
    result = runner.run(step, _issue_env(runner, f"{MARKER}\n# r\n"), STUB_ISSUES="31 7")
    assert result.returncode == 0, result.stderr
    api, edit = runner.calls()
    assert api.startswith("gh api --paginate -X GET repos/o/r/issues -f state=open")
    assert "-f creator=github-actions[bot]" in api
    body = runner.temp / "issue-body.md"
    assert edit == f"gh issue edit 7 --title weekly `report` $(touch pwned) --body-file {body}"
    assert not (runner.tmp / "pwned").exists()
    text = body.read_text()
    assert text.startswith(f"{MARKER}\n# r\n") and text.count(MARKER) == 1
    assert "https://github.com/o/r/actions/runs/123" in text
    assert "updated issue #7" in runner.file("GITHUB_STEP_SUMMARY")


def test_issue_step_opens_the_issue_when_there_is_none(runner: Runner) -> None:
    step = _step(_load(REPORT), "Create or update the issue")
    result = runner.run(step, _issue_env(runner, "# no marker\n"), STUB_ISSUES="")
    assert result.returncode == 0, result.stderr
    assert runner.calls()[-1].startswith("gh issue create --title weekly")
    assert (runner.temp / "issue-body.md").read_text().startswith(f"{MARKER}\n# no marker\n")
    assert "opened https://github.com/o/r/issues/42" in runner.file("GITHUB_STEP_SUMMARY")


def test_issue_step_truncates_a_body_github_would_refuse(runner: Runner) -> None:
    step = _step(_load(REPORT), "Create or update the issue")
    report = f"{MARKER}\n" + "| ü | 1.0 → 2.0 |\n" * 8000  # > 65,536 characters
    result = runner.run(step, _issue_env(runner, report), STUB_ISSUES="")
    assert result.returncode == 0, result.stderr
    text = (runner.temp / "issue-body.md").read_text(encoding="utf-8")  # still valid UTF-8
    assert 60000 < len(text) < 65536
    assert "**Truncated**" in text
