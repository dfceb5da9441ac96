"""The JSON schema of depguard.yaml is generated from the loader's spec (issue #6, item 3).

The shipped file must be exactly what the generator writes, so nobody edits one without the
other; schema and loader accept the same keys, and accept and reject the same documents.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from depguard.config import Config, key_paths, load_config, parse_config
from depguard.config.schema import DRAFT, SCHEMA_PATH, main, render, schema
from depguard.config.spec import (
    EXTENSION_RULE_IDS,
    KNOWN_RULE_IDS,
    SPEC,
    Json,
    Leaf,
    Map,
    _all_rule_ids,
)
from depguard.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
POLICY_FILES = [
    ROOT / "manifests" / "policy" / "default.yaml",
    ROOT / "manifests" / "policy" / "example.yaml",
    ROOT / "manifests" / "examples" / "acme-infra" / "depguard.yaml",
]
FPR = "D1C35F4A7C2B9E0861F43A2D5B7E0C9184A62F3E"


@pytest.fixture(scope="module")
def generated() -> dict[str, Any]:
    return schema()


@pytest.fixture(scope="module")
def validator(generated: dict[str, Any]) -> Any:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    jsonschema.Draft202012Validator.check_schema(generated)
    return jsonschema.Draft202012Validator(generated)


def _errors(validator: Any, document: object) -> list[str]:
    return sorted(f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document))


# --- the shipped file is the generator's output ---------------------------------------------


def test_shipped_schema_is_the_generated_schema_byte_for_byte() -> None:
    assert SCHEMA_PATH == ROOT / "manifests" / "schema" / "depguard.schema.json"
    shipped = SCHEMA_PATH.read_bytes()
    assert shipped == render().encode("utf-8"), (
        "manifests/schema/depguard.schema.json is out of date: "
        "run .venv/bin/python -m depguard.config.schema"
    )


def test_rendering_is_two_space_json_with_a_trailing_newline() -> None:
    text = render()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert text.splitlines()[1].startswith('  "$schema": ')
    assert render() == text  # deterministic


def test_entry_point_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "depguard.schema.json"
    assert main(["--check", str(target)]) == 1  # missing
    assert "out of date" in capsys.readouterr().err
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render()
    assert main(["--check", str(target)]) == 0
    target.write_text(render().replace("depguard trust policy", "edited by hand"))
    assert main(["--check", str(target)]) == 1
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file


def test_entry_point_reports_an_unwritable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "missing-dir" / "schema.json")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_module_entry_point_checks_the_shipped_file() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "depguard.config.schema", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- shape ----------------------------------------------------------------------------------


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = {**defs[node["$ref"].removeprefix("#/$defs/")], **node}
        del node["$ref"]
    return node


def _schema_key_paths(document: dict[str, Any]) -> set[str]:
    defs = document["$defs"]
    out: set[str] = set()

    def walk(node: dict[str, Any], prefix: str) -> None:
        node = _resolve(node, defs)
        for key, sub in node.get("properties", {}).items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            walk(sub, path)
        if "items" in node:
            walk(node["items"], prefix + "[]")

    walk(document, "")
    return out


def test_every_loader_key_is_in_the_schema_and_vice_versa(generated: dict[str, Any]) -> None:
    loader = key_paths()
    in_schema = _schema_key_paths(generated)
    assert sorted(loader - in_schema) == []
    assert sorted(in_schema - loader) == []
    assert {"rollout.stages[].match", "trust.aqua.registries[].ref", "limits.timeout"} <= loader


def test_draft_and_title(generated: dict[str, Any]) -> None:
    assert next(iter(generated)) == "$schema"
    assert generated["$schema"] == DRAFT
    assert generated["title"] == "depguard trust policy (depguard.yaml)"
    assert generated["type"] == ["object", "null"]


def test_rules_has_one_property_per_known_rule_id(generated: dict[str, Any]) -> None:
    rules = generated["properties"]["rules"]
    assert list(rules["properties"]) == list(_all_rule_ids())
    assert list(rules["properties"]) == [*KNOWN_RULE_IDS, *EXTENSION_RULE_IDS]
    assert {json.dumps(v) for v in rules["properties"].values()} == {
        '{"$ref": "#/$defs/ruleSettings"}'
    }
    assert rules["additionalProperties"] is False


def test_every_object_is_closed(generated: dict[str, Any]) -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "properties" in node or node.get("type") in ("object", ["object", "null"]):
                assert node.get("additionalProperties") is False, where
            for key, sub in node.items():
                if key != "if":  # conditions test properties, they do not define objects
                    walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}/{i}")

    walk(generated, "#")


def test_every_key_is_described(generated: dict[str, Any]) -> None:
    defs = generated["$defs"]
    undescribed: list[str] = []

    def walk(node: dict[str, Any], where: str) -> None:
        if "$ref" in node and "description" not in node:
            node = _resolve(node, defs)
        if "description" not in node:
            undescribed.append(where)
        node = _resolve(node, defs)
        for key, sub in node.get("properties", {}).items():
            walk(sub, f"{where}.{key}" if where else key)
        if "items" in node:
            walk(node["items"], where + "[]")

    walk(generated, "")
    assert undescribed == []
    assert all("description" in d for d in defs.values())


def test_every_definition_is_used(generated: dict[str, Any]) -> None:
    text = json.dumps({k: v for k, v in generated.items() if k != "$defs"})
    text += json.dumps(generated["$defs"])
    unused = [name for name in generated["$defs"] if f'"#/$defs/{name}"' not in text]
    assert unused == []


def test_the_loader_patterns_are_the_schema_patterns(generated: dict[str, Any]) -> None:
    from depguard import config as cfg

    defs = generated["$defs"]
    assert defs["duration"]["pattern"] == cfg.DURATION_PATTERN
    assert defs["platform"]["pattern"] == cfg.PLATFORM_PATTERN
    assert defs["providerPattern"]["pattern"] == cfg.PROVIDER_PATTERN
    assert defs["namePattern"]["pattern"] == cfg.NAME_PATTERN
    assert defs["githubOwner"]["pattern"] == cfg.GITHUB_OWNER_PATTERN
    assert defs["signingKey"]["properties"]["fingerprint"]["pattern"] == cfg.FINGERPRINT_PATTERN
    assert defs["aquaRegistry"]["properties"]["ref"]["pattern"] == cfg.REF_CONSTRAINT_PATTERN
    assert defs["size"]["oneOf"][1]["pattern"] == cfg.SIZE_PATTERN
    assert defs["rolloutStage"]["properties"]["name"]["pattern"] == cfg.STAGE_NAME_PATTERN
    assert defs["severity"]["enum"] == ["info", "low", "medium", "high", "critical"]


def _defaults_document(generated: dict[str, Any]) -> dict[str, Any]:
    """A document holding every default the schema states, nested like the file."""
    defs = generated["$defs"]

    def walk(node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, sub in _resolve(node, defs).get("properties", {}).items():
            if "default" in sub:
                out[key] = sub["default"]
            elif key != "rules" and "properties" in _resolve(sub, defs):
                out[key] = walk(sub)
        return out

    return walk(generated)


def test_schema_defaults_are_the_loader_defaults(generated: dict[str, Any]) -> None:
    document = _defaults_document(generated)
    assert document["limits"] == {
        "max_download_bytes": "1GiB",
        "max_zip_uncompressed_bytes": "4GiB",
        "timeout": "30s",
        "download_timeout": "30m",
    }
    assert document["trust"]["aqua"]["registries"] == [{"type": "standard"}]
    assert "github_owners" not in document["trust"]["aqua"]  # absent: no restriction
    assert parse_config(yaml.safe_dump(document), "defaults.yaml") == Config()
    stage = generated["$defs"]["rolloutStage"]["properties"]
    assert stage["soak"]["default"] == "0s" and stage["approval"]["default"] is False
    assert "default" not in stage["canary"]


def test_schema_defaults_equal_the_default_policy_file(generated: dict[str, Any]) -> None:
    default_yaml = yaml.safe_load(POLICY_FILES[0].read_text())
    document = _defaults_document(generated)

    def compare(ours: dict[str, Any], theirs: dict[str, Any], where: str) -> None:
        for key, value in ours.items():
            assert key in theirs, f"{where}{key}"
            if isinstance(value, dict):
                compare(value, theirs[key], f"{where}{key}.")
            else:
                assert value == theirs[key], f"{where}{key}"

    compare(document, default_yaml, "")


def test_two_different_nodes_with_one_name_are_a_mistake() -> None:
    from depguard.config.schema import _Builder

    a = Leaf(frozenset({"string"}), "a string", json=Json(name="thing", doc="A."))
    b = Leaf(frozenset({"integer"}), "an integer", json=Json(name="thing", doc="A."))
    spec = Map(fields={"a": a, "b": b}, build=dict)
    with pytest.raises(RuntimeError, match="'thing'"):
        _Builder().use(spec)
    same = Map(fields={"a": a, "b": a}, build=dict)
    assert _Builder().use(same)["properties"]["b"] == {"$ref": "#/$defs/thing"}


def test_the_spec_root_is_the_loaders() -> None:
    from depguard.config import loader

    assert loader.SPEC is SPEC


# --- schema and loader agree on documents ---------------------------------------------------


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_policies_validate_against_the_schema(path: Path, validator: Any) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert _errors(validator, document) == []
    load_config(path)


EVERY_KEY = f"""\
platforms: [linux_amd64, windows_amd64]
trust:
  terraform:
    providers: ["hashicorp/*", "tf.example.com/acme/*"]
    signing_keys:
      - fingerprint: "{FPR.lower()}"
        providers: ["acme/*"]
  aqua:
    registries:
      - {{type: standard, ref: ">= v4.0.0, < v5"}}
      - {{type: github_content, repo_owner: acme, repo_name: aqua-registry, path: r.yaml}}
      - {{type: local, path: aqua/registry.yaml}}
    github_owners: [AquaProj]
    policy_files: [aqua-policy.yaml]
    allow_legacy_minisign: true
  actions: {{owners: [actions], require_sha: false}}
  min_release_age: 1d12h
  min_release_age_exempt: ["hashicorp/*"]
renovate:
  bot_logins: ["renovate[bot]", "acme-bot"]
  branch_prefix: deps/
  allowed_files: ["**/*.tf"]
github:
  url: https://ghe.example.com:8443/
  api_url: https://ghe.example.com/api/v3
  raw_url: https://ghe.example.com/raw
rollout:
  stages:
    - {{name: dev, match: ["envs/dev/**"], soak: 2d, canary: 1, max_per_wave: 3, approval: false}}
  unmatched: last
rules:
  lock-hash-mismatch: {{severity: info, ignore: ["legacy/**"]}}
  release-too-new:
limits: {{max_download_bytes: 512MiB, max_zip_uncompressed_bytes: 1000000, timeout: 10s,
          download_timeout: 1h}}
cache_dir: ~/cache
snapshot_dirs: [snapshots]
offline: true
"""


def test_a_document_with_every_key_is_accepted_by_both(validator: Any) -> None:
    document = yaml.safe_load(EVERY_KEY)
    assert _errors(validator, document) == []
    parse_config(EVERY_KEY, "depguard.yaml")


def _document_key_paths(document: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            out |= _document_key_paths(value, path)
    elif isinstance(document, list):
        for item in document:
            out |= _document_key_paths(item, prefix + "[]")
    return out


def test_the_every_key_document_uses_every_key() -> None:
    used = _document_key_paths(yaml.safe_load(EVERY_KEY))
    expected = {k for k in key_paths() if not k.startswith("rules.")}
    assert sorted(expected - used) == []


REJECTED = [
    # unknown keys, at every level
    "platfroms: [linux_amd64]\n",
    "trust: {terraform: {provider: []}}\n",
    "trust: {aqua: {registries: [{type: standard, branch: main}]}}\n",
    "trust: {terraform: {signing_keys: [{fingerprint: '" + FPR + "', providers: [a/b], x: 1}]}}\n",
    "rollout: {stages: [{name: dev, match: [a], wave: 1}]}\n",
    "rules: {release-too-new: {severity: high, enabled: false}}\n",
    "rules: {release-too-old: {}}\n",
    "limits: {retries: 3}\n",
    # wrong types
    "platforms: linux_amd64\n",
    "trust: []\n",
    "trust: {actions: {require_sha: 'true'}}\n",
    "trust: {min_release_age: 3}\n",
    "renovate: {bot_logins: 'renovate[bot]'}\n",
    "github: {url: 42}\n",
    "rollout: {stages: {name: dev}}\n",
    "rollout: {stages: [{name: dev, match: [a], canary: '1'}]}\n",
    "rollout: {stages: [{name: dev, match: [a], max_per_wave: 1.5}]}\n",
    "rules: {release-too-new: {ignore: legacy/**}}\n",
    "limits: {timeout: [30s]}\n",
    "limits: {max_download_bytes: true}\n",
    "cache_dir: 7\n",
    "offline: 1\n",
    "- a\n- b\n",
    "just a string\n",
    # invalid values
    "platforms: [linux_amd46]\n",
    "platforms: []\n",
    "platforms: [linux_amd64, linux_amd64]\n",
    "trust: {terraform: {providers: ['hashicorp']}}\n",
    "trust: {min_release_age_exempt: ['hashicorp/**']}\n",
    "trust: {aqua: {github_owners: ['-acme']}}\n",
    "trust: {aqua: {registries: [{type: local}]}}\n",
    "trust: {aqua: {registries: [{type: local, path: r.yaml, ref: v1.0.0}]}}\n",
    "trust: {aqua: {registries: [{type: standard, path: r.yaml}]}}\n",
    "trust: {aqua: {registries: [{type: gitlab}]}}\n",
    "trust: {aqua: {registries: [{ref: v4.0.0}]}}\n",
    "trust: {terraform: {signing_keys: [{fingerprint: '" + FPR + "'}]}}\n",
    "trust: {terraform: {signing_keys: [{fingerprint: '" + FPR + "', providers: []}]}}\n",
    "renovate: {bot_logins: []}\n",
    "renovate: {branch_prefix: 'renovate /'}\n",
    "renovate: {allowed_files: ['./x']}\n",
    "renovate: {allowed_files: ['a//b']}\n",
    "renovate: {allowed_files: ['a/**b']}\n",
    "renovate: {allowed_files: ['!x']}\n",
    "github: {api_url: 'https://user:pw@ghe.example.com'}\n",
    "github: {raw_url: 'https://ghe.example.com/?q=1'}\n",
    "rollout: {stages: [{name: -dev, match: [a]}]}\n",
    "rollout: {stages: [{name: dev, match: []}]}\n",
    "rollout: {stages: [{name: dev, match: [a], soak: 2 days}]}\n",
    "rollout: {stages: [{name: dev, match: [a], max_per_wave: 0}]}\n",
    "rollout: {stages: [{name: dev}]}\n",
    "rules: {release-too-new: {severity: urgent}}\n",
    "limits: {max_zip_uncompressed_bytes: 4 gigabytes}\n",
    "limits: {download_timeout: ''}\n",
    "snapshot_dirs: ['']\n",
]


@pytest.mark.parametrize("text", REJECTED)
def test_schema_and_loader_both_reject(text: str, validator: Any) -> None:
    assert _errors(validator, yaml.safe_load(text)) != [], text
    with pytest.raises(ConfigError):
        parse_config(text, "depguard.yaml")


def test_the_loader_names_the_unknown_key_the_schema_rejects(validator: Any) -> None:
    text = textwrap.dedent(
        """\
        trust:
          terraform:
            providers: ["hashicorp/*"]
            provders: ["acme/*"]
        """
    )
    errors = _errors(validator, yaml.safe_load(text))
    assert errors == [
        "['trust', 'terraform']: Additional properties are not allowed ('provders' was unexpected)"
    ]
    with pytest.raises(ConfigError, match=r"depguard\.yaml:4: unknown key 'provders'"):
        parse_config(text, "depguard.yaml")


ACCEPTED = [
    "",
    "~\n",
    "trust:\nrenovate:\nrules:\n",
    "rules: {release-too-new: }\n",
    "trust: {aqua: {github_owners: []}}\n",
    "limits: {max_download_bytes: 1}\n",
    "rollout: {stages: [{name: a.b_c-1, match: ['**']}]}\n",
    "renovate: {allowed_files: ['**', '.github/workflows/*.y?ml', 'a/**/b']}\n",
    "trust: {terraform: {providers: ['tf.example.com:8443/acme/*', 'acme/x']}}\n",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_schema_and_loader_both_accept(text: str, validator: Any) -> None:
    assert _errors(validator, yaml.safe_load(text)) == []
    parse_config(text, "depguard.yaml")
