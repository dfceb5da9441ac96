"""``depguard init`` (issue #6, item 4): a commented depguard.yaml from what a repository uses.

Run in-process against a copy of the shipped example (its depguard.yaml deleted) and small
repositories built in ``tmp_path``. The written policy must load with the config loader,
validate against the JSON schema, and plan with ``depguard rollout``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from depguard.config import load_config, parse_config
from depguard.config.schema import schema
from depguard.init import discover, guess_stages, render
from depguard.rollout.model import FsSource
from depguard.rollout.workspace import discover as discover_workspace
from tests.support.cli import CliResult, run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "manifests" / "examples" / "acme-infra"
LOCK = (EXAMPLE / "envs" / "prod" / "dns" / ".terraform.lock.hcl").read_text()
SHA = "b4ffde65f46336ab88eb53be808477a3936bae11"
REVIEW_SIGNING_KEYS = "review: add signing_keys fingerprints"
GUESSED = "# guessed from directory names: review"


def _run(*args: str) -> CliResult:
    result = run_cli(*args)
    assert "Traceback" not in result.err, result.err
    return result


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    """A private copy of the example without its depguard.yaml."""
    root = tmp_path / "acme-infra"
    shutil.copytree(EXAMPLE, root)
    (root / "depguard.yaml").unlink()
    return root


def _schema_errors(text: str) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    validator = jsonschema.Draft202012Validator(schema())
    return [e.message for e in validator.iter_errors(yaml.safe_load(text))]


def _line_with(text: str, needle: str) -> str:
    (line,) = [line for line in text.splitlines() if needle in line]
    return line


def _prose(text: str) -> str:
    """The comments of ``text`` as one line (they are wrapped to fit the width)."""
    return " ".join(line.strip().lstrip("#").strip() for line in text.splitlines())


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


# --- the shipped example --------------------------------------------------------------------


def test_init_on_the_example_writes_a_policy_that_loads(acme: Path) -> None:
    result = _run("init", "--repo", str(acme))
    assert result.code == 0, result.err
    assert result.out == ""
    assert "wrote" in result.err and "review" in result.err
    target = acme / "depguard.yaml"
    text = target.read_text()
    assert _schema_errors(text) == []
    config = load_config(target)

    # rollout stages dev/stg/prod, one per envs/* directory, each marked as a guess
    assert [(s.name, [str(g) for g in s.match]) for s in config.rollout.stages] == [
        ("dev", ["envs/dev/**"]),
        ("stg", ["envs/stg/**"]),
        ("prod", ["envs/prod/**"]),
    ]
    assert text.count(GUESSED) == 3
    assert config.rollout.unmatched == "error"
    workspace = discover_workspace(FsSource(acme), config, root=acme)
    assert {(t.path, t.stage) for t in workspace.targets} == {
        ("envs/dev/network", "dev"),
        ("envs/stg/network", "stg"),
        ("envs/prod/network", "prod"),
        ("envs/prod/dns", "prod"),
    }

    # providers by namespace; the non-HashiCorp one flagged for signing keys
    assert [str(p) for p in config.trust.terraform.providers] == [
        "registry.terraform.io/hashicorp/*",
        "tf.acme.example/platform/*",
    ]
    assert REVIEW_SIGNING_KEYS in _line_with(text, '"tf.acme.example/platform/*"  #')
    assert "review" not in _line_with(text, '"registry.terraform.io/hashicorp/*"')
    assert config.trust.terraform.signing_keys == ()  # cannot be known offline: a comment
    assert '#     providers: ["tf.acme.example/platform/*"]' in text

    # aqua: the registry in use (its tag as the floor), the package owners, aqua-policy.yaml
    (registry,) = config.trust.aqua.registries
    assert (registry.type, registry.repo_owner, registry.repo_name, registry.path) == (
        "github_content",
        "acme",
        "aqua-registry",
        "registry.yaml",
    )
    assert registry.ref == ">= v1.2.0"
    assert config.trust.aqua.github_owners == ("acme", "malancas", "slsa-framework", "trailofbits")
    assert [p.name for p in config.trust.aqua.policy_files] == ["aqua-policy.yaml"]

    # no workflows in the example: trust.actions keeps its defaults; platforms the defaults,
    # with the honest reason why
    assert config.trust.actions.owners is None
    assert [str(p) for p in config.platforms] == [
        "linux_amd64",
        "linux_arm64",
        "darwin_amd64",
        "darwin_arm64",
    ]
    assert "the hashes do not say which platforms" in _prose(text)
    assert "(linux/amd64, darwin/arm64)" in _prose(text)  # the aqua checksum.supported_envs


def test_the_flagged_namespace_is_what_verify_asks_to_pin(acme: Path) -> None:
    """The review the policy asks for is the one `depguard verify` then reports, with the
    fingerprint to pin (from the example's stored upstream answers, offline)."""
    assert _run("init", "--repo", str(acme)).code == 0
    result = _run(
        "--offline",
        "--snapshot",
        str(acme / "upstream"),
        "--config",
        str(acme / "depguard.yaml"),
        "--format",
        "json",
        "verify",
        str(acme),
    )
    findings = result.json()["findings"]
    assert {f["rule"] for f in findings} == {"provider-signature-invalid"}
    assert all("1DD2ADFE21C911F743FCF3D2FE991F73193CD349" in f["message"] for f in findings)
    assert all(f["subject"].startswith("tf.acme.example/platform/") for f in findings)


def test_init_refuses_to_overwrite(acme: Path) -> None:
    target = acme / "depguard.yaml"
    target.write_text("offline: true\n")
    result = _run("init", "--repo", str(acme))
    assert result.code == 2
    assert "already exists" in result.err and "--force" in result.err
    assert target.read_text() == "offline: true\n"

    forced = _run("init", "--repo", str(acme), "--force")
    assert forced.code == 0, forced.err
    assert target.read_text().startswith("# depguard.yaml: ")
    assert not list(acme.glob(".depguard.yaml.*.tmp"))  # written atomically


def test_init_refuses_to_overwrite_a_hidden_policy_too(acme: Path) -> None:
    hidden = acme / ".depguard.yaml"
    hidden.write_text("{}\n")
    result = _run("init", "--repo", str(acme))
    assert result.code == 2 and ".depguard.yaml: already exists" in result.err
    assert not (acme / "depguard.yaml").exists()
    assert _run("init", "--repo", str(acme), "--force").code == 0
    assert hidden.read_text().startswith("# depguard.yaml: ")  # the existing file is replaced
    assert not (acme / "depguard.yaml").exists()


def test_stdout_prints_and_writes_nothing(acme: Path) -> None:
    result = _run("init", "--repo", str(acme), "--stdout")
    assert result.code == 0, result.err
    assert not (acme / "depguard.yaml").exists()
    parse_config(result.out, "stdout")
    assert result.out == render(discover(acme))
    # an existing policy does not stop --stdout (nothing is overwritten)
    (acme / "depguard.yaml").write_text("{}\n")
    again = _run("init", "--repo", str(acme), "--stdout")
    assert again.code == 0 and again.out == result.out
    assert (acme / "depguard.yaml").read_text() == "{}\n"


def test_repo_must_be_a_directory(tmp_path: Path) -> None:
    result = _run("init", "--repo", str(tmp_path / "missing"))
    assert result.code == 2 and "not a directory" in result.err


# --- small repositories ----------------------------------------------------------------------

WORKFLOW = f"""\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA} # v4.1.1
      - uses: Aws-Actions/configure-aws-credentials@v4
      - uses: ./local-action
      - uses: docker://alpine:3
  reuse:
    uses: acme/workflows/.github/workflows/plan.yaml@{SHA}
"""


def test_odd_directory_names_make_unmatched_last(tmp_path: Path) -> None:
    repo = _write(
        tmp_path / "repo",
        {
            "envs/development/app/.terraform.lock.hcl": LOCK,
            "envs/PRD/app/.terraform.lock.hcl": LOCK,
            "envs/shared/app/.terraform.lock.hcl": LOCK,
            "tools/misc/.terraform.lock.hcl": LOCK,
            "regions/eu/Staging/db/.terraform.lock.hcl": LOCK,
            "canary/app/.terraform.lock.hcl": LOCK,
        },
    )
    result = _run("init", "--repo", str(repo))
    assert result.code == 0, result.err
    text = (repo / "depguard.yaml").read_text()
    assert _schema_errors(text) == []
    config = load_config(repo / "depguard.yaml")
    assert [(s.name, [str(g) for g in s.match]) for s in config.rollout.stages] == [
        ("canary", ["canary/**"]),
        ("dev", ["envs/development/**"]),
        ("stg", ["regions/eu/Staging/**"]),
        ("prod", ["envs/PRD/**"]),
    ]
    assert config.rollout.unmatched == "last"
    comment = _prose(text).split("review: 2 state directories match no guess", 1)[1]
    assert comment.startswith(" (envs/shared/app, tools/misc): they go into the last stage.")
    assert text.count(GUESSED) == 4
    workspace = discover_workspace(FsSource(repo), config, root=repo)
    assert {t.path: t.stage for t in workspace.targets} == {
        "canary/app": "canary",
        "envs/development/app": "dev",
        "regions/eu/Staging/db": "stg",
        "envs/PRD/app": "prod",
        "envs/shared/app": "prod",  # unmatched: last
        "tools/misc": "prod",
    }


def test_workflows_platform_flags_and_standard_registry(tmp_path: Path) -> None:
    repo = _write(
        tmp_path / "repo",
        {
            "envs/dev/.terraform.lock.hcl": LOCK,
            "envs/prod/.terraform.lock.hcl": LOCK,
            ".github/workflows/ci.yaml": WORKFLOW,
            "tfaction-root.yaml": "providers_lock_opts: -upgrade -platform=linux_amd64 "
            "-platform=darwin_arm64\n",
            "Makefile": "lock:\n\tterraform providers lock -platform=windows_amd64\n",
            "aqua.yaml": "registries:\n  - type: standard\n    ref: v4.155.1\n"
            "packages:\n  - name: cli/cli@v2.40.0\n  - name: suzuki-shunsuke/tfcmt@v4.0.0\n",
        },
    )
    result = _run("init", "--repo", str(repo), "--stdout")
    assert result.code == 0, result.err
    text = result.out
    assert _schema_errors(text) == []
    config = parse_config(text, "depguard.yaml")
    assert config.trust.actions.owners == ("acme", "actions", "aws-actions")
    assert config.trust.actions.require_sha is True
    assert "1 of 3 uses: are not pinned" in _prose(text)
    assert [str(p) for p in config.platforms] == ["darwin_arm64", "linux_amd64", "windows_amd64"]
    assert "Makefile" in text and "tfaction-root.yaml" in text
    (registry,) = config.trust.aqua.registries
    assert (registry.type, registry.ref) == ("standard", ">= v4.155.1")
    assert config.trust.aqua.github_owners == ("cli", "suzuki-shunsuke")
    assert config.trust.aqua.policy_files == ()
    # only HashiCorp's namespace: nothing to pin
    assert REVIEW_SIGNING_KEYS not in text and "signing_keys:" not in text
    # tfaction-root.yaml without tfaction.yaml files: the lock-file directories are staged,
    # and a note says so
    assert [s.name for s in config.rollout.stages] == ["dev", "prod"]
    assert "# Notes:" in text and "no directory holds tfaction.yaml" in _prose(text)
    assert "depguard: note: tfaction-root.yaml is present" in result.err


def test_an_empty_repository_gets_a_loadable_policy(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    result = _run("init", "--repo", str(repo))
    assert result.code == 0, result.err
    text = (repo / "depguard.yaml").read_text()
    assert _schema_errors(text) == []
    config = load_config(repo / "depguard.yaml")
    assert config.rollout.stages == ()
    assert "No state directory name looks like a stage" in _prose(text)
    assert "No provider found" in text and "No aqua config found" in text


def test_unreadable_files_are_listed_for_review(tmp_path: Path) -> None:
    repo = _write(
        tmp_path / "repo",
        {
            "envs/dev/.terraform.lock.hcl": LOCK,
            "envs/prod/.terraform.lock.hcl": 'provider "x" {\n',
            ".github/workflows/bad.yaml": "jobs: [1, 2]\n",
            "aqua.yaml": "registries: 7\n",
        },
    )
    result = _run("init", "--repo", str(repo))
    assert result.code == 0, result.err
    assert result.err.count("depguard: warning: ") == 3
    text = (repo / "depguard.yaml").read_text()
    header = text.split("\n\n", 1)[0]
    assert "could not be used" in header
    for name in ("envs/prod/.terraform.lock.hcl", ".github/workflows/bad.yaml", "aqua.yaml:1"):
        assert name in header, name
    assert str(repo) not in text  # paths are repository-relative
    assert "# Notes:" not in text
    load_config(repo / "depguard.yaml")


def test_hostile_directory_names_cannot_inject_yaml(tmp_path: Path) -> None:
    repo = _write(
        tmp_path / "repo",
        {
            "envs/dev/.terraform.lock.hcl": LOCK,
            "envs/x\noffline: true\nrules: {no: 1}/.terraform.lock.hcl": LOCK,
            "envs/y\u2028offline: true/.terraform.lock.hcl": LOCK,
            'prod/a"b/.terraform.lock.hcl': LOCK,
        },
    )
    result = _run("init", "--repo", str(repo), "--stdout")
    assert result.code == 0, result.err
    config = parse_config(result.out, "depguard.yaml")
    assert config.offline is False and config.rules == ()
    assert [s.name for s in config.rollout.stages] == ["dev", "prod"]
    assert all(
        line.lstrip().startswith("#") or "offline" not in line for line in result.out.splitlines()
    )


@pytest.mark.parametrize(
    ("directories", "stages", "unmatched"),
    [
        ([], [], []),
        (["."], [], ["."]),
        (["dev", "prod"], [("dev", ["dev/**"]), ("prod", ["prod/**"])], []),
        (["a/qa/b", "b/qa/c"], [("stg", ["a/qa/**", "b/qa/**"])], []),
        (["prod/dev/x"], [("prod", ["prod/**"])], []),  # the first stage-like segment decides
        (["envs/dev[1]/dev"], [("dev", ["envs/dev?1?/dev/**"])], []),
        (["develop/x", "production-eu/y"], [], ["develop/x", "production-eu/y"]),
        (["SANDBOX/x", "Stage/y"], [("dev", ["SANDBOX/**"]), ("stg", ["Stage/**"])], []),
    ],
)
def test_guess_stages(
    directories: list[str], stages: list[tuple[str, list[str]]], unmatched: list[str]
) -> None:
    guessed, left = guess_stages(directories)
    assert [(s.name, list(s.match)) for s in guessed] == stages
    assert list(left) == unmatched


def test_the_policy_is_plain_json_compatible_yaml(acme: Path) -> None:
    """Values are written as JSON scalars (quoted strings), so no YAML type guessing bites:
    a stage or owner named like a boolean or number stays a string."""
    text = render(discover(acme))
    document: Any = yaml.safe_load(text)
    assert json.loads(json.dumps(document)) == document
    assert all(isinstance(o, str) for o in document["trust"]["aqua"]["github_owners"])
