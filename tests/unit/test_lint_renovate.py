"""Linting a repository's Renovate packageRules (issue #5 item 5, rule
``renovate-rule-ineffective``): Renovate's matching semantics, and the findings.

The ``renovate`` tier compares the matcher with Renovate's own ``matchRegexOrGlob`` (from the
installation ``DEPGUARD_RENOVATE_VALIDATOR`` points into)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from depguard.config.model import RolloutStage
from depguard.config.patterns import PathGlob
from depguard.errors import InputError
from depguard.model import Severity
from depguard.rollout.lint_renovate import (
    UnsupportedPatternError,
    find_config,
    lint,
    looks_like_regex,
    match_pattern,
    match_patterns,
    minimatch,
    renovate_view,
)
from depguard.rollout.model import Dependency, Target, Usage, Workspace
from depguard.rollout.renovate_rules import merge_into, package_rules

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "rules" / "renovate-rule-ineffective"

AWS = Dependency("provider", "registry.terraform.io/hashicorp/aws")
NULL = Dependency("provider", "registry.terraform.io/hashicorp/null")
GITHUB = Dependency("provider", "registry.terraform.io/integrations/github")
TF = Dependency("terraform", "terraform")
TFLINT = Dependency("aqua", "terraform-linters/tflint")

STAGES = (
    RolloutStage(name="dev", match=(PathGlob("envs/dev/**"),), soak=timedelta(days=2)),
    RolloutStage(name="prod", match=(PathGlob("envs/prod/**"),), soak=timedelta(days=7)),
)


def target(path: str, stage: str, *deps: Dependency) -> Target:
    usages: list[Usage] = []
    for dep in deps:
        if dep.kind == "provider":
            usages.append(Usage(dependency=dep, pin="lock", file=f"{path}/.terraform.lock.hcl"))
            usages.append(Usage(dependency=dep, pin="constraint", file=f"{path}/terraform.tf"))
        elif dep.kind == "terraform":
            usages.append(Usage(dependency=dep, pin="constraint", file=f"{path}/terraform.tf"))
            usages.append(Usage(dependency=dep, pin="aqua", file=f"{path}/aqua/aqua.yaml"))
        else:
            usages.append(Usage(dependency=dep, pin="aqua", file=f"{path}/aqua/aqua.yaml"))
    return Target(path=path, stage=stage, target=path, usages=tuple(usages))


def workspace(*targets: Target, stages: tuple[RolloutStage, ...] = STAGES) -> Workspace:
    ordered = tuple(sorted(targets, key=lambda t: t.path))
    return Workspace(root=Path("/nonexistent"), targets=ordered, stages=stages)


WS = workspace(
    target("envs/dev/network", "dev", AWS, TF, TFLINT),
    target("envs/dev/github", "dev", GITHUB),
    target("envs/prod/network", "prod", AWS, TF),
    target("envs/prod/github", "prod", GITHUB),
)
ONE_STAGE = workspace(
    target("envs/dev/network", "dev", AWS), target("envs/dev/vpc", "dev", AWS), stages=STAGES[:1]
)


def findings(config: str, ws: Workspace = WS, **kwargs: object) -> list[tuple[int | None, str]]:
    result = lint(config, "renovate.json5", ws, **kwargs)  # type: ignore[arg-type]
    for f in result:
        assert f.rule == "renovate-rule-ineffective"
        assert f.severity is Severity.MEDIUM
        assert f.path == "renovate.json5"
    assert result == sorted(result, key=lambda f: f.sort_key())
    return [(f.line, f.message) for f in result]


# --- matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        # confirmed with renovate 39.264.1's own matchRegexOrGlob (research §1.2)
        ("hashicorp/aws", ".*", False),
        ("github", ".*", False),
        (".github", ".*", True),
        ("hashicorp/aws", "/.*/", True),
        ("integrations/github", "*", True),
        # glob: minimatch {dot: true, nocase: true}
        ("integrations/github", "*/*", True),
        ("integrations/github", "**", True),
        ("HashiCorp/AWS", "hashicorp/*", True),
        ("hashicorp/aws", "hashicorp", False),
        ("hashicorp/aws", "hashicorp/a?s", True),
        ("hashicorp/aws", "hashicorp/[a-b]ws", True),
        ("hashicorp/aws", "hashicorp/[!a]ws", False),
        ("hashicorp/aws", "hashicorp/{aws,null}", True),
        ("hashicorp/null", "hashicorp/{aws,null}", True),
        ("hashicorp/null", "#hashicorp/null", False),  # a comment matches nothing
        ("envs/dev/.terraform-version", "envs/dev/*", True),  # dot files
        (".github/workflows/ci.yaml", "**/*.yaml", True),
        ("aqua.yaml", "**/aqua.yaml", True),  # ** matches zero directories
        ("envs/dev", "envs/dev/**", False),
        ("envs/dev/a/b/main.tf", "envs/dev/**", True),
        ("envs/dev/..", "envs/dev/*", False),
        # regex: /re/ and /re/i, searched anywhere, case-sensitive unless i
        ("hashicorp/aws", "/^hashicorp\\//", True),
        ("HashiCorp/aws", "/^hashicorp\\//", False),
        ("HashiCorp/aws", "/^hashicorp\\//i", True),
        ("hashicorp/aws", "/aws$/", True),
        # negation
        ("hashicorp/aws", "!/aws/", False),
        ("hashicorp/null", "!/aws/", True),
        ("hashicorp/aws", "!hashicorp/*", False),
        ("integrations/github", "!hashicorp/*", True),
    ],
)
def test_match_pattern(name: str, pattern: str, expected: bool) -> None:
    assert match_pattern(name, pattern) is expected


def test_regexes_run_in_linear_time() -> None:
    # RE2, as in Renovate: shapes that make a backtracking engine explode are just evaluated.
    assert match_pattern("ab", "/(a+)+b$/") is True
    assert match_pattern("a" * 1000 + "!", "/(a+)+$/") is False
    assert match_pattern("A" * 1000 + "!", "/(a|aa)*$/i") is True  # the empty match at the end


def test_match_patterns_is_renovates_list_semantics() -> None:
    assert match_patterns("hashicorp/aws", []) is False
    assert match_patterns("hashicorp/aws", ["hashicorp/*", "!hashicorp/null"]) is True
    assert match_patterns("hashicorp/null", ["hashicorp/*", "!hashicorp/null"]) is False
    assert match_patterns("integrations/github", ["hashicorp/*", "!x"]) is False
    # only negations: everything else matches
    assert match_patterns("integrations/github", ["!/^hashicorp\\//", "!/^aquaproj\\//"]) is True
    assert match_patterns("hashicorp/aws", ["!/^hashicorp\\//"]) is False


def test_patterns_it_cannot_evaluate_exactly_are_unknown() -> None:
    for pattern in ("+(a|b)", "[[:alpha:]]*", "/(?=a)b/", "/\\pL/", "/(a/", "{{a,b}}"):
        with pytest.raises(UnsupportedPatternError):
            match_pattern("ab", pattern)
        assert match_patterns("ab", [pattern]) is None
    # an unknown pattern does not decide when another one matches, or a negation vetoes
    assert match_patterns("ab", ["+(a|b)", "ab"]) is True
    assert match_patterns("ab", ["+(a|b)", "!ab"]) is False


def test_minimatch_braces_and_sequences() -> None:
    assert minimatch("ab2", "ab{1..3}") is True
    assert minimatch("ab02", "ab{01..03}") is True
    assert minimatch("ab2", "ab{01..03}") is False
    assert minimatch("a", "{,a}") is True
    assert minimatch("", "{,a}") is False  # empty results of a top-level list are dropped
    assert minimatch("x{b}y", "x{b}y") is True  # neither a list nor a sequence: literal


# --- what Renovate extracts -------------------------------------------------------------------


def test_renovate_view() -> None:
    deps = {
        (d.directory, d.manager, d.dep_name, d.package_name, d.package_file)
        for d in renovate_view(WS)
    }
    assert (
        "envs/dev/network",
        "terraform",
        "aws",
        "hashicorp/aws",
        "envs/dev/network/terraform.tf",
    ) in deps
    assert (
        "envs/dev/network",
        "terraform",
        "hashicorp/terraform",
        "hashicorp/terraform",
        "envs/dev/network/terraform.tf",
    ) in deps
    assert (
        "envs/dev/network",
        "custom.regex",
        "terraform-linters/tflint",
        "terraform-linters/tflint",
        "envs/dev/network/aqua/aqua.yaml",
    ) in deps
    # a lock entry is no package file of its own when required_providers names the provider
    assert not any(d[4].endswith(".lock.hcl") for d in deps)
    lock_only = workspace(
        Target(
            path="a",
            stage="dev",
            target="a",
            usages=(Usage(dependency=NULL, pin="lock", file="a/.terraform.lock.hcl"),),
        )
    )
    (dep,) = renovate_view(lock_only)
    assert (dep.package_name, dep.package_file) == ("hashicorp/null", "a/.terraform.lock.hcl")


# --- rules that match nothing -----------------------------------------------------------------


def test_tfaction_example_glob_slip(corpus: Path) -> None:
    path = corpus / "renovate" / "configs" / "suzuki-shunsuke_tfaction-example.renovate.json5"
    text = path.read_text(encoding="utf-8")
    result = findings(text)
    line = next(i for i, text_line in enumerate(text.splitlines(), 1) if "'.*'" in text_line)
    slip = [m for ln, m in result if ln == line]
    assert len(slip) == 1, result
    assert slip[0].startswith("packageRules[0] matches none of the 4 dependencies")
    assert "'.*' is a glob, not a regular expression" in slip[0]
    assert "matches only names that start with '.'" in slip[0]
    assert "write '/.*/'" in slip[0]
    # ... and since that rule never applies, nothing splits dev from prod either
    assert any("no packageRule splits" in m for _, m in result)


def test_the_migrated_2025_config_is_not_a_slip(corpus: Path) -> None:
    # matchPackagePatterns ['.*'] was a regex; Renovate migrates it to matchPackageNames ['/.*/']
    # and the per-directory branch prefix splits dev from prod.
    path = (
        corpus / "renovate" / "configs" / "suzuki-shunsuke_tfaction-example.renovate.2025-02.json5"
    )
    assert findings(path.read_text(encoding="utf-8")) == []


def test_other_corpus_configs_are_quiet_on_one_stage(corpus: Path) -> None:
    for path in sorted((corpus / "renovate" / "configs").glob("*.json5")):
        if "tfaction-example.renovate.json5" in path.name:
            continue
        assert findings(path.read_text(encoding="utf-8"), ONE_STAGE) == [], path.name


def test_a_correct_config_is_quiet() -> None:
    base = """{
  extends: ['config:recommended', 'github>aquaproj/aqua-renovate-config#2.13.0'],
  packageRules: [
    {matchPackageNames: ['/.*/'], additionalBranchPrefix: '{{packageFileDir}}-'},
    {matchManagers: ['npm'], matchDepNames: ['typescript'], allowedVersions: '<7'},
    {matchPackageNames: ['actions/checkout'], pinDigests: true},
    {matchDepNames: ['aws'], matchUpdateTypes: ['major'], enabled: false},
    {matchManagers: ['regex'], matchPackageNames: ['terraform-linters/*'], labels: ['aqua']},
    {matchFileNames: ['envs/**/*.tf'], matchDatasources: ['terraform-provider'], labels: ['tf']},
    {excludePackageNames: ['hashicorp/aws'], matchManagers: ['terraform'], labels: ['x']},
  ],
}"""
    assert findings(base) == []
    merged = merge_into(base, package_rules(WS), path="renovate.json5")
    assert findings(merged) == []
    assert findings(merged, files=["envs/dev/network/terraform.tf"]) == []


def test_a_rule_aimed_at_these_dependencies_whose_names_exclude_them() -> None:
    config = """{
  packageRules: [
    {
      matchManagers: ['terraform'],
      matchPackageNames: ['hashicorp/awz'],
      automerge: true,
    },
  ],
}"""
    [(line, message)] = findings(config, ONE_STAGE)
    assert line == 5
    assert message.startswith("packageRules[0] matches none of the 1 dependencies")
    assert "matchManagers ['terraform']" in message
    assert "matchPackageNames ['hashicorp/awz'] exclude all of them" in message


def test_a_file_pattern_matching_no_file_of_the_repository() -> None:
    config = (
        "{\n  packageRules: [\n    {matchFileNames: ['infra/dev/**'], groupName: 'dev'},\n  ],\n}"
    )
    assert findings(config, ONE_STAGE) == []  # without the file list it may be about others
    files = ["envs/dev/network/main.tf", ".github/workflows/ci.yaml"]
    [(line, message)] = findings(config, ONE_STAGE, files=files)
    assert line == 3
    assert "matchFileNames ['infra/dev/**'] matches no file of the repository" in message
    assert findings(config, ONE_STAGE, files=[*files, "infra/dev/x/package.json"]) == []


def test_a_regex_written_as_a_file_glob() -> None:
    config = "{packageRules: [{matchFileNames: ['^envs/dev/.*\\\\.tf$'], labels: ['dev']}]}"
    [(line, message)] = findings(config, ONE_STAGE)
    assert line == 1
    assert "matchFileNames '^envs/dev/.*\\.tf$' is a glob" in message
    assert "write '/^envs/dev/.*\\.tf$/'" in message


@pytest.mark.parametrize(
    ("pattern", "regex", "strong"),
    [
        (".*", True, False),
        ("^hashicorp/", True, True),
        ("aws$", True, True),
        ("envs/.+/main.tf", True, True),
        ("hashicorp\\.aws", True, True),
        ("aws|null", True, True),
        ("/.*/", False, False),
        ("*.{yaml,yml}", False, False),
        (".github/**", False, False),
        ("**/.*", True, False),  # a glob for dot files too: only with the file list
        ("+(aws|null)", False, False),
        ("hashicorp/*", False, False),
    ],
)
def test_looks_like_regex(pattern: str, regex: bool, strong: bool) -> None:
    assert looks_like_regex(pattern) is regex
    assert looks_like_regex(pattern, strong=True) is strong


def test_globs_of_other_files_stay_quiet() -> None:
    config = "{packageRules: [{matchFileNames: ['.github/workflows/*.{yaml,yml}', '**/.*rc']}]}"
    assert findings(config, ONE_STAGE) == []
    files = [".github/workflows/ci.yaml", "envs/dev/network/main.tf"]
    assert findings(config, ONE_STAGE, files=files) == []
    [(_, message)] = findings(config, ONE_STAGE, files=["envs/dev/network/main.tf"])
    assert "matches no file of the repository" in message and "regular expression" not in message


def test_an_unknown_selector_keeps_a_rule_quiet() -> None:
    config = "{packageRules: [{matchManagers: ['terraform'], matchJsonata: ['x'], labels: ['a']}]}"
    assert findings(config, ONE_STAGE) == []


# --- merges across stages ---------------------------------------------------------------------


def test_no_rule_splitting_stages() -> None:
    [(line, message)] = findings("{\n  extends: ['config:recommended'],\n  packageRules: [],\n}")
    assert line == 3
    assert message.startswith("no packageRule splits Renovate's branches by stage: it would update")
    assert "registry.terraform.io/hashicorp/aws" in message
    assert "across stages dev, prod" in message
    assert findings("{}", ONE_STAGE) == []


def test_a_group_across_stages() -> None:
    config = """{
  packageRules: [
    {
      matchManagers: ['terraform'],
      groupName: 'terraform providers',
    },
  ],
}"""
    result = findings(config)
    group = [(line, m) for line, m in result if m.startswith("packageRules[0]")]
    assert [line for line, _ in group] == [3]
    assert group[0][1].startswith(
        "packageRules[0] groups directories of stages dev, prod into one branch and PR "
        "(groupName 'terraform providers': "
    )
    # the aqua pins of the CLI and tflint are not grouped, so they still merge per dependency
    assert [line for line, m in result if m.startswith("no packageRule splits")] == [2]


def test_a_prefix_that_does_not_tell_stages_apart() -> None:
    rule = "{packageRules: [{matchPackageNames: ['*'], additionalBranchPrefix: '%s'}]}"
    [(line, message)] = findings(rule % "{{parentDir}}-")
    assert line == 1
    assert message.startswith("packageRules[0]: its additionalBranchPrefix does not tell stages")
    assert findings(rule % "{{{packageFileDir}}}-") == []
    assert findings(rule % "{{#if isMajor}}major-{{/if}}") == []  # cannot tell: quiet


def test_a_later_rule_undoing_depguards_stages() -> None:
    user = (
        "{matchPackageNames: ['hashicorp/*'], groupName: 'hashicorp', additionalBranchPrefix: ''}"
    )
    old = "{description: 'depguard rollout: old', matchFileNames: ['old/**']}"
    later = merge_into(f"{{packageRules: [{old}, {user}]}}", package_rules(WS), path="r.json5")
    assert findings(later.replace(user, "{matchPackageNames: ['x'], labels: ['x']}")) == []
    result = findings(later)
    assert len(result) == 1
    assert result[0][1].startswith("packageRules[2] groups directories of stages dev, prod")


def test_known_group_presets() -> None:
    config = "{\n  extends: [\n    'group:allNonMajor',\n  ],\n}"
    [(line, message)] = findings(config)
    assert line == 2
    assert message.startswith("preset group:allNonMajor groups directories of stages dev, prod")


def test_disabled_dependencies_do_not_merge() -> None:
    config = "{enabled: false}"
    assert findings(config) == []
    config = "{packageRules: [{matchPackageNames: ['*'], enabled: false}]}"
    assert findings(config) == []


def test_find_config_follows_renovates_order() -> None:
    assert (
        find_config(["a.tf", ".renovaterc", ".github/renovate.json5"]) == ".github/renovate.json5"
    )
    assert find_config(["renovate.json5", "renovate.json"]) == "renovate.json"
    assert find_config(["package.json", "x/renovate.json"]) is None


def test_invalid_config() -> None:
    with pytest.raises(InputError) as e:
        lint("{\n  packageRules: [\n    {a: 1,,},\n  ],\n}", "renovate.json5", WS)
    assert e.value.line == 3


# --- the rule's fixtures (run through the CLI by tests/unit/test_rules.py) --------------------


def _fixture_workspace() -> Workspace:
    def fixture_target(env: str) -> Target:
        d = f"envs/{env}/network"
        return Target(
            path=d,
            stage=env,
            target=d,
            usages=(
                Usage(
                    dependency=NULL, pin="lock", file=f"{d}/.terraform.lock.hcl", version="3.1.0"
                ),
                Usage(dependency=TF, pin="constraint", file=f"{d}/terraform.tf"),
                Usage(dependency=NULL, pin="constraint", file=f"{d}/terraform.tf"),
            ),
        )

    return workspace(fixture_target("dev"), fixture_target("prod"))


@pytest.mark.parametrize("case", ["positive", "negative"])
def test_rule_fixtures_mean_what_they_say(case: str) -> None:
    repo = FIXTURES / case / "repo"
    files = [p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file()]
    result = findings(
        (repo / "renovate.json5").read_text(encoding="utf-8"), _fixture_workspace(), files=files
    )
    if case == "positive":
        assert [m.split(" ", 1)[0] for _, m in result] == ["no", "packageRules[0]"]
    else:
        assert result == []


# --- Renovate's own matcher (opt-in tier) -----------------------------------------------------


@pytest.fixture
def string_match_js() -> Path:
    value = os.environ.get("DEPGUARD_RENOVATE_VALIDATOR")
    if not value:
        pytest.skip("DEPGUARD_RENOVATE_VALIDATOR is not set (path to renovate-config-validator)")
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    # .bin/renovate-config-validator -> renovate/dist/config-validator.js
    module = Path(os.path.realpath(value)).parent / "util" / "string-match.js"
    if not module.is_file():
        pytest.skip(f"no {module} beside {value}")
    return module


NAMES = [
    "hashicorp/aws",
    "HashiCorp/AWS",
    "github",
    ".github",
    "integrations/github",
    "terraform-linters/tflint",
    "envs/dev/network/main.tf",
    "envs/dev/network/.terraform-version",
    "envs/dev/network/aqua/imports/terraform.yaml",
    ".github/workflows/ci.yaml",
    "envs/dev",
    "envs/dev/..",
    "ab2",
    "ab02",
    "x{b}y",
    "a[1]/b",
]
PATTERNS = [
    "*",
    "**",
    ".*",
    "/.*/",
    "/^hashicorp\\//",
    "/AWS/i",
    "!/aws/",
    "!hashicorp/*",
    "hashicorp/*",
    "*/*",
    "**/*.tf",
    "*.tf",
    "*\\.tf",
    "envs/dev/**",
    "envs/*/network/**",
    "**/aqua/**",
    "**/.terraform-version",
    "{envs,x}/**",
    "ab{1..3}",
    "ab{01..03}",
    "ab[!1]",
    "a?2",
    "#x",
    "",
    "x{b}y",
    "a\\[1\\]/*",
    "??.*",
    ".*.*",
    "*.*",
    "envs/dev/*",
    "!**/*.tf",
]


@pytest.mark.renovate
def test_matcher_agrees_with_renovate(string_match_js: Path) -> None:
    cases = list(itertools.product(NAMES, PATTERNS))
    script = (
        "const sm = require(process.argv[1]);"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([n, p]) => sm.matchRegexOrGlob(n, p))));"
    )
    out = subprocess.run(
        ["node", "-e", script, str(string_match_js)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    expected = json.loads(out)
    mismatches = [
        (name, pattern, want)
        for (name, pattern), want in zip(cases, expected, strict=True)
        if match_pattern(name, pattern) is not want
    ]
    assert mismatches == []
