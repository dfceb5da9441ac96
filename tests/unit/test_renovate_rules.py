"""Renovate packageRules for staged rollouts (issue #5 item 4): the rules, their JSON5, and
merging them into an existing renovate.json5 without touching the rest of it.

The ``renovate`` tier runs the real ``renovate-config-validator`` (set
``DEPGUARD_RENOVATE_VALIDATOR`` to its path) on what depguard writes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import json5
import pytest

from depguard.config.model import RolloutStage
from depguard.config.patterns import PathGlob
from depguard.errors import ConfigError, InputError
from depguard.rollout.lint_renovate import match_patterns
from depguard.rollout.model import Dependency, Target, Usage, Workspace
from depguard.rollout.renovate_rules import (
    MARKER,
    format_age,
    is_depguard_rule,
    merge_into,
    package_rules,
    render_json5,
    renovate_dep_name,
    renovate_package_name,
)
from tests.support.renovate_validator import validate, validator_path

AWS = Dependency("provider", "registry.terraform.io/hashicorp/aws")
NULL = Dependency("provider", "registry.terraform.io/hashicorp/null")
ACME = Dependency("provider", "tf.acme.example/Platform/Net")
TF = Dependency("terraform", "terraform")
TFLINT = Dependency("aqua", "terraform-linters/tflint")
HUGO = Dependency("aqua", "gohugoio/hugo/hugo-extended")


def stage(name: str, days: int = 0, *, approval: bool = False) -> RolloutStage:
    return RolloutStage(
        name=name,
        match=(PathGlob(f"envs/{name}/**"),),
        soak=timedelta(days=days),
        approval=approval,
    )


STAGES = (stage("dev", 2), stage("stg", 3), stage("prod", 7, approval=True))


def target(path: str, stage_name: str, *deps: Dependency, shared: str | None = None) -> Target:
    usages: list[Usage] = []
    for dep in deps or (AWS,):
        if dep.kind == "provider":
            usages.append(Usage(dependency=dep, pin="constraint", file=f"{path}/terraform.tf"))
            usages.append(
                Usage(dependency=dep, pin="lock", file=f"{path}/.terraform.lock.hcl", version="1")
            )
        elif dep.kind == "terraform":
            usages.append(
                Usage(dependency=dep, pin="terraform-version", file=f"{path}/.terraform-version")
            )
        else:
            file = shared or f"{path}/aqua/aqua.yaml"
            usages.append(Usage(dependency=dep, pin="aqua", file=file, version="v1"))
    return Target(path=path, stage=stage_name, target=path, usages=tuple(usages))


def workspace(*targets: Target, stages: tuple[RolloutStage, ...] = STAGES) -> Workspace:
    return Workspace(
        root=Path("/nonexistent"),
        targets=tuple(sorted(targets, key=lambda t: t.path)),
        stages=stages,
    )


WS = workspace(
    target("envs/dev/network", "dev", AWS, TF, TFLINT),
    target("envs/dev/vpc", "dev"),
    target("envs/stg/network", "stg"),
    target("envs/prod/network", "prod", AWS, TF),
    target("envs/prod/vpc", "prod"),
)


# --- the rules --------------------------------------------------------------------------------


def test_one_rule_per_stage_in_stage_order() -> None:
    rules = package_rules(WS)
    assert [r["groupName"] for r in rules] == [f"{MARKER} {s}" for s in ("dev", "stg", "prod")]
    assert [r["additionalBranchPrefix"] for r in rules] == ["dev-", "stg-", "prod-"]
    assert [r["matchFileNames"] for r in rules] == [
        ["envs/dev/network/**", "envs/dev/vpc/**"],
        ["envs/stg/network/**"],
        ["envs/prod/network/**", "envs/prod/vpc/**"],
    ]
    for number, rule in enumerate(rules, start=1):
        assert is_depguard_rule(rule)
        assert rule["description"].startswith(f"{MARKER} {rule['additionalBranchPrefix'][:-1]} ")
        assert f"stage {number} of 3" in rule["description"]
        assert "generated" in rule["description"]
        assert rule["internalChecksFilter"] == "strict"
        assert any(key.startswith("match") and rule[key] for key in rule)


def test_minimum_release_age_is_the_soak_of_every_earlier_stage() -> None:
    ages = [r.get("minimumReleaseAge") for r in package_rules(WS)]
    assert ages == [None, "2 days", "5 days"]  # zero is omitted: Renovate's own setting applies
    ages = [r.get("minimumReleaseAge") for r in package_rules(WS, base_age=timedelta(days=1))]
    assert ages == ["1 day", "3 days", "6 days"]
    mixed = workspace(
        target("envs/dev/a", "dev"),
        target("envs/prod/a", "prod"),
        stages=(
            RolloutStage(name="dev", match=(PathGlob("envs/dev/**"),), soak=timedelta(hours=36)),
            stage("prod"),
        ),
    )
    assert [r.get("minimumReleaseAge") for r in package_rules(mixed)] == [None, "1 day 12 hours"]


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(0), ""),
        (timedelta(days=1), "1 day"),
        (timedelta(days=14), "14 days"),
        (timedelta(days=2, hours=1, minutes=30), "2 days 1 hour 30 minutes"),
        (timedelta(seconds=90, microseconds=5), "1 minute 30 seconds"),
    ],
)
def test_format_age_uses_renovate_duration_syntax(age: timedelta, text: str) -> None:
    assert format_age(age) == text


def test_approval_stages_wait_for_the_dependency_dashboard() -> None:
    approvals = [r.get("dependencyDashboardApproval") for r in package_rules(WS)]
    assert approvals == [None, None, True]


def test_dependencies_restrict_every_rule_by_renovate_package_name() -> None:
    rules = package_rules(WS, dependencies=[TFLINT, AWS, TF, HUGO, ACME, AWS])
    expected = [
        "gohugoio/hugo",
        "hashicorp/aws",
        "hashicorp/terraform",
        "platform/net",
        "terraform-linters/tflint",
    ]
    assert [r["matchPackageNames"] for r in rules] == [expected] * 3
    assert "matchDepNames" not in rules[0]  # one selector kind: selectors of a rule are ANDed


def test_renovate_names() -> None:
    # renovate 39.264.1's extract report: depName 'aws', packageName 'hashicorp/aws'.
    assert (renovate_dep_name(AWS), renovate_package_name(AWS)) == ("aws", "hashicorp/aws")
    assert renovate_package_name(ACME) == "platform/net"  # lower-cased, any registry host
    assert renovate_dep_name(TF) == renovate_package_name(TF) == "hashicorp/terraform"
    assert (renovate_dep_name(TFLINT), renovate_package_name(TFLINT)) == (
        "terraform-linters/tflint",
        "terraform-linters/tflint",
    )
    assert (renovate_dep_name(HUGO), renovate_package_name(HUGO)) == (
        "gohugoio/hugo/hugo-extended",
        "gohugoio/hugo",
    )


def test_rules_are_deterministic() -> None:
    reordered = workspace(
        *reversed(
            [
                target("envs/prod/vpc", "prod"),
                target("envs/prod/network", "prod", TF, AWS),
                target("envs/stg/network", "stg"),
                target("envs/dev/vpc", "dev"),
                target("envs/dev/network", "dev", TFLINT, TF, AWS),
            ]
        )
    )
    first = package_rules(WS, dependencies=[AWS, TF], base_age=timedelta(days=3))
    assert package_rules(reordered, dependencies=[TF, AWS], base_age=timedelta(days=3)) == first
    assert render_json5(first) == render_json5(
        package_rules(WS, dependencies={TF, AWS}, base_age=timedelta(days=3))
    )


def test_rules_select_every_package_file_renovate_reports_and_no_other_stage() -> None:
    rules = package_rules(WS)
    files = {
        "dev": ["envs/dev/network/main.tf", "envs/dev/network/.terraform-version"],
        "stg": ["envs/stg/network/aqua/aqua.yaml", "envs/stg/network/aqua/imports/tf.yaml"],
        "prod": ["envs/prod/vpc/versions.tf", "envs/prod/network/.terraform.lock.hcl"],
    }
    for rule, stage_name in zip(rules, ("dev", "stg", "prod"), strict=True):
        for other, paths in files.items():
            for path in paths:
                assert match_patterns(path, rule["matchFileNames"]) is (other == stage_name), (
                    stage_name,
                    path,
                )
    assert match_patterns("envs/dev/networking/main.tf", rules[0]["matchFileNames"]) is False


def test_nested_directory_of_another_stage_is_carved_out() -> None:
    nested = workspace(
        target(".", "prod"), target("envs/dev/app", "dev"), target("envs/dev/app/canary", "stg")
    )
    rules = package_rules(nested)
    dev, stg, prod = (r["matchFileNames"] for r in rules)
    assert dev == ["envs/dev/app/**", "!envs/dev/app/canary/**"]
    assert prod[0] == "**" and "!envs/dev/app/**" in prod
    assert match_patterns("envs/dev/app/main.tf", dev) is True
    assert match_patterns("envs/dev/app/canary/main.tf", dev) is False
    assert match_patterns("envs/dev/app/canary/main.tf", stg) is True
    assert match_patterns("main.tf", prod) is True
    assert match_patterns("envs/dev/app/main.tf", prod) is False


def test_a_shared_file_waits_with_the_last_stage_using_it() -> None:
    shared = workspace(
        target("envs/dev/a", "dev", TFLINT, shared="aqua/aqua.yaml"),
        target("envs/prod/a", "prod", TFLINT, shared="aqua/aqua.yaml"),
        target("envs/stg/a", "stg", TFLINT, shared="envs/stg/shared/aqua.yaml"),
    )
    dev, stg, prod = (r["matchFileNames"] for r in package_rules(shared))
    assert "aqua/aqua.yaml" in prod and "aqua/aqua.yaml" not in dev
    assert "envs/stg/shared/aqua.yaml" in stg


def test_directories_with_glob_characters_become_regexes() -> None:
    odd = workspace(target("envs/dev/a[1]", "dev"), target("envs/prod/{b}", "prod"))
    dev, prod = (r["matchFileNames"] for r in package_rules(odd))
    assert dev == ["/^envs/dev/a\\[1\\]//"]
    assert match_patterns("envs/dev/a[1]/main.tf", dev) is True
    assert match_patterns("envs/dev/a1/main.tf", dev) is False
    assert match_patterns("envs/prod/{b}/main.tf", prod) is True


def test_a_stage_without_directories_gets_no_rule() -> None:
    rules = package_rules(workspace(target("envs/dev/a", "dev"), target("envs/prod/a", "prod")))
    assert [r["groupName"] for r in rules] == [f"{MARKER} dev", f"{MARKER} prod"]
    # ...but its soak still counts for the stages after it
    assert rules[1]["minimumReleaseAge"] == "5 days"


def test_no_stages_and_bad_arguments() -> None:
    with pytest.raises(ConfigError, match=r"rollout\.stages is empty"):
        package_rules(workspace(target("envs/dev/a", "dev"), stages=()))
    with pytest.raises(ValueError, match="dependencies must not be empty"):
        package_rules(WS, dependencies=[])
    with pytest.raises(ValueError, match="negative"):
        package_rules(WS, base_age=timedelta(days=-1))
    with pytest.raises(ValueError, match="unknown stage 'qa'"):
        package_rules(workspace(target("envs/qa/a", "qa")))


# --- JSON5 ------------------------------------------------------------------------------------


def test_render_json5_is_a_standalone_document_with_a_header() -> None:
    rules = package_rules(WS, dependencies=[AWS])
    text = render_json5(rules)
    assert text.startswith("// Generated by depguard from rollout.stages")
    assert text.isascii() and text.endswith("}\n")  # stage names and these paths are ASCII
    assert json5.loads(text) == {"packageRules": rules}
    assert "\n  packageRules: [\n    {\n      description: 'depguard rollout: dev" in text


def test_render_json5_escapes_strings() -> None:
    rule = {"description": f'{MARKER} it\'s "q" \\ \t é \U0001f600', "matchFileNames": ["a"]}
    text = render_json5([rule])
    assert "'depguard rollout: it\\'s \"q\" \\\\ \\t é \U0001f600'" in text
    assert json5.loads(text) == {"packageRules": [rule]}
    assert _parsed(merge_into("{}", [rule], path="renovate.json5"))["packageRules"] == [rule]


# --- merging ----------------------------------------------------------------------------------

RULES = package_rules(WS)

COMMENTED = """\
// Renovate config of the infra repository
{
  extends: [
    'github>aquaproj/aqua-renovate-config#2.13.0', // aqua packages
  ],
  /* limits */
  prConcurrentLimit: 10,
  packageRules: [
    {
      // keep typescript below 7
      matchManagers: ['npm'],
      matchDepNames: ['typescript'],
      allowedVersions: '<7',
    },
    {
      description: 'depguard rollout: old (stage 1 of 1), stale',
      matchFileNames: ['old/**'],
      groupName: 'depguard rollout: old',
    }, // ours
    {
      matchPackageNames: ['/^hashicorp\\\\//'], // after ours
      labels: ['hashicorp'],
    },
    {
      description: ['depguard rollout: older', 'second line'],
      matchFileNames: ['older/**'],
    },
  ],
  labels: ['deps'], // trailing
}
"""


def _parsed(text: str) -> Any:
    return json5.loads(text)


def test_merge_replaces_depguard_rules_in_place_and_keeps_the_rest() -> None:
    merged = merge_into(COMMENTED, RULES, path="renovate.json5")
    data = _parsed(merged)
    before = _parsed(COMMENTED)
    assert {k: v for k, v in data.items() if k != "packageRules"} == {
        k: v for k, v in before.items() if k != "packageRules"
    }
    kept = [r for r in before["packageRules"] if not is_depguard_rule(r)]
    assert data["packageRules"] == [kept[0], *RULES, kept[1]]
    for comment in (
        "// Renovate config of the infra repository",
        "// aqua packages",
        "/* limits */",
        "// keep typescript below 7",
        "// after ours",
        "// trailing",
    ):
        assert comment in merged
    assert "stale" not in merged and "older" not in merged
    # the style of the file: single quotes, unquoted keys, trailing commas, 2-space indent
    assert "\n    {\n      description: 'depguard rollout: dev" in merged
    assert "      internalChecksFilter: 'strict',\n    },\n" in merged


def test_merge_appends_after_the_repositories_rules_when_none_is_depguards() -> None:
    text = "{\n  packageRules: [\n    {matchDepNames: ['a'], enabled: false},\n  ],\n}\n"
    merged = merge_into(text, RULES, path="renovate.json5")
    assert _parsed(merged)["packageRules"] == [{"matchDepNames": ["a"], "enabled": False}, *RULES]
    assert merged.startswith("{\n  packageRules: [\n    {matchDepNames: ['a'], enabled: false},\n")


def test_merge_adds_package_rules_when_absent() -> None:
    text = '{\n  "extends": ["config:recommended"]\n}\n'
    merged = merge_into(text, RULES, path="renovate.json")
    assert json.loads(merged) == {"extends": ["config:recommended"], "packageRules": RULES}
    assert merged.startswith('{\n  "extends": ["config:recommended"],\n  "packageRules": [\n')


SHAPES = {
    "empty-object": "{}",
    "empty-json": "{}\n",
    "one-line-json": '{"extends": ["config:recommended"], "packageRules": []}',
    "one-line-rules": "{packageRules: [{matchDepNames: ['x'], enabled: false}]}",
    "empty-array": "{\n  packageRules: [],\n}\n",
    "spaced-array": "{\n  packageRules: [ ],\n}\n",
    "no-trailing-commas": (
        "{\n  labels: ['a'],\n  packageRules: [\n    {matchDepNames: ['x']}\n  ]\n}"
    ),
    "four-spaces": (
        '{\n    "a": 1,\n    "packageRules": [\n        {"matchDepNames": ["x"]}\n    ]\n}'
    ),
    "tabs": "{\n\tlabels: ['a'],\n}\n",
    "crlf": (
        "{\r\n  labels: ['a'],\r\n  packageRules: [\r\n    {matchDepNames: ['x']},\r\n  ],\r\n}\r\n"
    ),
    "bom": "\ufeff{labels: ['a']}",
    "comment-after-last": "{\n  packageRules: [\n    {matchDepNames: ['x']} // last\n  ],\n}\n",
    "quoted-keys-json5": "{\n  'labels': ['a'], // c\n  \"packageRules\": [],\n}\n",
    "comma-in-string": "{\n  labels: ['a,]', \"b,}\"],\n}\n",
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_merge_keeps_everything_else_and_is_idempotent(shape: str) -> None:
    text = SHAPES[shape]
    path = "renovate.json" if shape.endswith("json") else "renovate.json5"
    before = _parsed(text.removeprefix("\ufeff"))
    merged = merge_into(text, RULES, path=path)
    data = _parsed(merged.removeprefix("\ufeff"))
    kept = [r for r in before.get("packageRules", []) if not is_depguard_rule(r)]
    assert data == {**before, "packageRules": [*kept, *RULES]}
    assert merge_into(merged, RULES, path=path) == merged
    assert merge_into(merged, RULES[:1], path=path) == merge_into(text, RULES[:1], path=path)
    if shape.endswith("json"):
        json.loads(merged)  # strict JSON stays strict JSON
    if shape == "crlf":
        assert "\n" not in merged.replace("\r\n", "")
    if shape == "bom":
        assert merged.startswith("\ufeff{")
    if shape == "tabs":
        assert "\n\tpackageRules: [\n\t\t{\n\t\t\tdescription:" in merged


def test_merge_of_no_rules_removes_depguards() -> None:
    merged = merge_into(COMMENTED, [], path="renovate.json5")
    assert not any(is_depguard_rule(r) for r in _parsed(merged)["packageRules"])
    assert len(_parsed(merged)["packageRules"]) == 2


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("{\n  a: 1,\n  b: [1,,],\n}\n", "invalid JSON5", 3),
        ("{\n  a: 1\n  b: 2\n}\n", "invalid JSON5", 3),
        ("[1, 2]", "expected an object at the top level", None),
        ("{\n  labels: [],\n  packageRules: {a: 1},\n}\n", "packageRules must be an array", 3),
        ("", "empty", None),
    ],
)
def test_merge_rejects_invalid_input(text: str, message: str, line: int | None) -> None:
    with pytest.raises(InputError) as e:
        merge_into(text, RULES, path="renovate.json5")
    assert e.value.path == "renovate.json5"
    assert message in e.value.message
    assert e.value.line == line


def test_merge_accepts_only_depguard_rules() -> None:
    with pytest.raises(ValueError, match="not a depguard rule"):
        merge_into("{}", [{"matchDepNames": ["x"]}], path="renovate.json5")


def _corpus_configs(corpus: Path) -> list[Path]:
    configs = sorted((corpus / "renovate" / "configs").glob("*.json5"))
    assert configs, "the corpus has no Renovate configs"
    return configs


def test_merge_into_every_corpus_config(corpus: Path) -> None:
    for config in _corpus_configs(corpus):
        text = config.read_text(encoding="utf-8")
        merged = merge_into(text, RULES, path=config.name)
        before, after = _parsed(text), _parsed(merged)
        assert after == {**before, "packageRules": [*before.get("packageRules", []), *RULES]}
        for line in text.splitlines():
            if "//" in line:
                assert line in merged.splitlines(), (config.name, line)
        assert merge_into(merged, RULES, path=config.name) == merged


# --- the real validator (opt-in tier) ---------------------------------------------------------


@pytest.fixture
def validator() -> Path:
    return validator_path()


@pytest.mark.renovate
def test_validator_accepts_rendered_rules(validator: Path, tmp_path: Path) -> None:
    variants = {
        "plain": package_rules(WS),
        "restricted": package_rules(WS, dependencies=[AWS, TF, TFLINT, HUGO]),
        "nested": package_rules(
            workspace(
                target(".", "prod"),
                target("envs/dev/a[1]", "dev"),
                target("envs/dev/a[1]/canary", "stg"),
            ),
            base_age=timedelta(days=1, hours=12),
        ),
    }
    for name, rules in variants.items():
        result = validate(validator, render_json5(rules), tmp_path / name)
        assert result.returncode == 0, (name, result.stdout, result.stderr)
        assert "Config validated successfully" in result.stdout


@pytest.mark.renovate
def test_validator_tier_really_validates(validator: Path, tmp_path: Path) -> None:
    bad = "{packageRules: [{groupName: 'no selector'}]}"
    result = validate(validator, bad, tmp_path)
    assert result.returncode != 0
    assert "match" in result.stdout + result.stderr


@pytest.mark.renovate
def test_validator_accepts_merges_into_corpus_configs(
    validator: Path, corpus: Path, tmp_path: Path
) -> None:
    valid = 0
    for config in _corpus_configs(corpus):
        text = config.read_text(encoding="utf-8")
        original = validate(validator, text, tmp_path / config.stem / "original")
        if original.returncode != 0:
            # Renovate 39 rejects presets' managerFilePatterns (40.2+) and wants migrations
            # under --strict: such a config says nothing about the merge.
            continue
        valid += 1
        merged = validate(
            validator, merge_into(text, RULES, path=config.name), tmp_path / config.stem / "merged"
        )
        assert merged.returncode == 0, (config.name, merged.stdout, merged.stderr)
    assert valid >= 2, "expected at least two corpus configs the validator accepts as they are"
