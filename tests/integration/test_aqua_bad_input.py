"""Hostile and broken aqua input never crashes depguard, and never half-writes a file.

Through the CLI, against the local HTTPS "GitHub" of :mod:`tests.integration.test_aqua_cli`:
registry templates that call functions outside the allowed set, nest too deep or are huge; a
``local`` registry outside the repository; malformed ``aqua.yaml``, ``aqua-checksums.json`` and
``aqua-policy.yaml``; an import cycle; a registry that is not YAML; a checksum file that lacks
the asset. Each is an ``invalid-manifest`` finding naming the file and line (``verify`` and
``checksums update`` exit 1, README "Exit codes"), an ``errors`` entry of ``tools resolve``
naming the file and line or the package (exit 2 when the repository's files are at fault, 3
when the fetched registry is unusable, like other malformed upstream answers), or for
``tools verify`` a usage error naming ``file:line`` (exit 2) when the aqua config cannot be
read, a finding (exit 1) when the registry entry cannot be rendered; never a traceback, and
``checksums update`` leaves ``aqua-checksums.json`` as it was.
"""
# ruff: noqa: F811  (pytest fixtures are imported by name and then used as parameters)

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.test_aqua_cli import (
    INFRA,
    REGISTRY_REF,
    REGISTRY_TEMPLATE,
    Keys,
    World,
    aqua_yaml,
    infra_asset,
    keys,  # noqa: F401
    make_world,
    shasums,
)
from tests.support.cli import CliResult

# Fixtures from the plugins; imported so this module also runs before they are registered.
from tests.support.fixtures import tls_material, trust_test_ca  # noqa: F401
from tests.support.github_server import GitHubBuilder, github_server  # noqa: F401

pytestmark = pytest.mark.usefixtures("trust_test_ca")

REGISTRY_SHOWN = f"acme/aqua-registry@{REGISTRY_REF}:registry.yaml"
DRIFT_ASSET = "asset: drift-report-{{.OS}}-{{.Arch}}"
EMPTY_SUMS = b'{\n  "checksums": []\n}\n'


def registry_text(world: World) -> str:
    return REGISTRY_TEMPLATE.replace("REF", REGISTRY_REF).replace(
        "MINISIGN_KEY", world.keys.minisign_public
    )


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@dataclass(frozen=True)
class Case:
    """A broken input: ``setup`` breaks the world; the finding names ``path`` and one of
    ``lines`` and says ``message``."""

    setup: Callable[[World], None]
    path: str
    lines: Callable[[World], tuple[int, ...]]
    message: str
    #: ``tools resolve`` names the package (``name``) instead of path/line
    package: str | None = None
    #: exit code of ``tools resolve``: 2 for the repository's files; 3 when upstream data (a
    #: ``github_content`` registry) is unusable, as for malformed registry answers elsewhere
    resolve_code: int = 2


def _bad_asset(template: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        text = registry_text(world)
        assert DRIFT_ASSET in text
        world.publish_registry(text=text.replace(DRIFT_ASSET, f"asset: {template}", 1))

    return setup


def _drift_lines(world: World) -> tuple[int, ...]:
    """The drift-report entry of the registry, or its ``asset`` line."""
    text = registry_text(world)
    start = _line_of(text, "  - type: github_release\n    repo_owner: acme\n    repo_name: drift")
    return (start, start + 3)


def _writes(rel: str, text: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        world.write(rel, text)

    return setup


def _serves_registry(text: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        world.publish_registry(text=text)

    return setup


def _local_escape(path: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        cfg = aqua_yaml().replace(
            "registries:\n",
            f"registries:\n  - name: evil\n    type: local\n    path: {path}\n",
        )
        world.write("aqua/aqua.yaml", cfg + "  - name: evil/tool@v1.0.0\n    registry: evil\n")

    return setup


def _symlink_escape(world: World) -> None:
    outside = world.root.parent / "outside-registry.yaml"
    outside.write_text("packages: []\n")
    (world.root / "aqua" / "linked-registry.yaml").symlink_to(outside)
    _local_escape("linked-registry.yaml")(world)


def _cycle(world: World) -> None:
    world.write("aqua/aqua.yaml", aqua_yaml() + "  - import: imports/a.yaml\n")
    world.write("aqua/imports/a.yaml", "packages:\n  - import: b.yaml\n")
    world.write("aqua/imports/b.yaml", "packages:\n  - import: a.yaml\n")


NESTED = "drift-{{ " + "(" * 40 + ".OS" + ")" * 40 + " }}"
NESTED_IF = "{{if true}}" * 40 + "drift" + "{{end}}" * 40
HUGE = "drift-" + "{{.OS}}" * 1000
GOOD_HEX = "AB" * 32

TEMPLATE_CASES: dict[str, Case] = {
    "template-env": Case(
        _bad_asset('drift-{{ env "HOME" }}'),
        REGISTRY_SHOWN,
        _drift_lines,
        "template function env is not allowed",
        package="acme/drift-report",
    ),
    "template-exec": Case(
        _bad_asset("drift-{{ exec }}"),
        REGISTRY_SHOWN,
        _drift_lines,
        "template function exec is not allowed",
        package="acme/drift-report",
    ),
    "template-nested-parens": Case(
        _bad_asset(f'"{NESTED}"'),
        REGISTRY_SHOWN,
        _drift_lines,
        "template nested deeper than 32",
        package="acme/drift-report",
    ),
    "template-nested-if": Case(
        _bad_asset(f'"{NESTED_IF}"'),
        REGISTRY_SHOWN,
        _drift_lines,
        "template nested deeper than 32",
        package="acme/drift-report",
    ),
    "template-huge": Case(
        _bad_asset(f'"{HUGE}"'),
        REGISTRY_SHOWN,
        _drift_lines,
        "template longer than 4096 characters",
        package="acme/drift-report",
    ),
}

FILE_CASES: dict[str, Case] = {
    "local-registry-escapes": Case(
        _local_escape("../../etc"),
        "aqua/aqua.yaml",
        lambda _w: (2,),
        "local registry path '../../etc' is outside the repository",
    ),
    "local-registry-symlink-escapes": Case(
        _symlink_escape,
        "aqua/aqua.yaml",
        lambda _w: (2,),
        "is outside the repository",
    ),
    "aqua-yaml-malformed": Case(
        _writes("aqua/aqua.yaml", aqua_yaml() + "  - name: a/b@v1: c\n"),
        "aqua/aqua.yaml",
        lambda _w: (17,),
        "invalid YAML",
    ),
    "aqua-yaml-unknown-key": Case(
        _writes("aqua/aqua.yaml", aqua_yaml() + "    regsitry: acme\n"),
        "aqua/aqua.yaml",
        lambda _w: (15, 17),
        "regsitry",
    ),
    "import-cycle": Case(_cycle, "aqua/imports/b.yaml", lambda _w: (2,), "import cycle"),
    "policy-malformed": Case(
        _writes("aqua-policy.yaml", "registries:\n  - name: acme\n    type: a: b\n"),
        "aqua-policy.yaml",
        lambda _w: (3,),
        "invalid YAML",
    ),
    "registry-not-yaml": Case(
        _serves_registry("packages:\n  - type: [\n"),
        REGISTRY_SHOWN,
        lambda _w: (2, 3),
        "invalid YAML",
        resolve_code=3,
    ),
}

SUMS_CASES: dict[str, Case] = {
    "checksums-json-malformed": Case(
        _writes(
            "aqua/aqua-checksums.json",
            '{\n  "checksums": [\n    {\n      "id": "x",\n'
            f'      "checksum": "{GOOD_HEX}"\n      "algorithm": "sha256"\n    }}\n  ]\n}}\n',
        ),
        "aqua/aqua-checksums.json",
        lambda _w: (6,),
        "invalid JSON",
    ),
    "checksums-json-bad-hex": Case(
        _writes(
            "aqua/aqua-checksums.json",
            '{\n  "checksums": [\n    {\n      "id": "x",\n'
            f'      "checksum": "{"ZZ" * 32}",\n      "algorithm": "sha256"\n    }}\n  ]\n}}\n',
        ),
        "aqua/aqua-checksums.json",
        lambda _w: (3, 5),
        "invalid sha256 checksum",
    ),
}

ALL_CASES = {**TEMPLATE_CASES, **FILE_CASES, **SUMS_CASES}


@pytest.fixture
def world(github_server: GitHubBuilder, tmp_path: Path, keys: Keys) -> World:
    w = make_world(github_server, tmp_path / "repo", keys, packages=("infra", "drift"))
    w.sums_file.write_bytes(EMPTY_SUMS)
    return w


def no_traceback(result: CliResult) -> None:
    for stream in (result.out, result.err):
        assert "Traceback" not in stream, stream
        assert "internal error" not in stream, stream


def _invalid(result: CliResult) -> list[dict[str, object]]:
    return [f for f in result.json()["findings"] if f["rule"] == "invalid-manifest"]


def _assert_names(world: World, case: Case, finding: dict[str, object]) -> None:
    assert finding["path"] == case.path, finding
    assert finding["line"] in case.lines(world), finding
    assert case.message in str(finding["message"]), finding
    assert str(world.root) not in str(finding["path"])


# --- verify -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL_CASES))
def test_verify_reports_invalid_manifest(world: World, name: str) -> None:
    case = ALL_CASES[name]
    case.setup(world)
    before = world.sums_file.read_bytes()
    result = world.verify()
    no_traceback(result)
    assert result.code == 1, result.out + result.err
    (finding,) = _invalid(result)
    _assert_names(world, case, finding)
    assert finding["severity"] == "high"
    assert world.sums_file.read_bytes() == before


def test_verify_good_world_has_no_invalid_manifest(world: World) -> None:
    """The baseline of the cases above: only the missing entries are reported."""
    result = world.verify()
    no_traceback(result)
    assert _invalid(result) == []
    assert set(result.rules()) == {"aqua-checksum-missing", "aqua-registry-unpinned"}


def test_verify_text_output_names_file_and_line(world: World) -> None:
    _cycle(world)
    result = world.run("verify", str(world.root))
    no_traceback(result)
    assert result.code == 1
    assert "aqua/imports/b.yaml:2" in result.out


# --- tools resolve ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL_CASES))
def test_tools_resolve_reports_the_error(world: World, name: str) -> None:
    case = ALL_CASES[name]
    case.setup(world)
    result = world.run("--format", "json", "tools", "resolve", str(world.root))
    no_traceback(result)
    assert result.code == case.resolve_code, result.out + result.err
    doc = result.json()
    assert doc["schema"] == "depguard.tools/v1"
    errors = [e for e in doc["errors"] if case.message in e["error"]]
    assert len(errors) == 1, doc["errors"]
    (error,) = errors
    if case.package is not None:
        assert error["name"] == case.package, error
    else:
        assert error["path"] == case.path and error["line"] in case.lines(world), error
    # the packages that do resolve are still listed
    if case.package == "acme/drift-report":
        assert {p["name"] for p in doc["packages"]} == {"acme/infra-cli"}


# --- checksums update ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_checksums_update_reports_and_never_half_writes(world: World, name: str) -> None:
    case = ALL_CASES[name]
    case.setup(world)
    before = world.sums_file.read_bytes()
    result = world.run("--format", "json", "checksums", "update", str(world.root), "--allow-tofu")
    no_traceback(result)
    assert result.code == 1, result.out + result.err
    (finding,) = _invalid(result)
    _assert_names(world, case, finding)
    after = world.sums_file.read_bytes()
    if name == "policy-malformed":
        # every entry could be established (the policy is judged by `verify`): a complete
        # file is acceptable, a partial one is not
        assert after in (before, world.expected("infra-cli", "drift-report").encode())
    else:
        assert after == before
    assert not list(world.sums_file.parent.glob("*.tmp*")), "temp file left behind"


@pytest.mark.parametrize("name", list(FILE_CASES))
def test_checksums_update_check_mode_writes_nothing(world: World, name: str) -> None:
    ALL_CASES[name].setup(world)
    before = world.sums_file.read_bytes()
    result = world.run("--format", "json", "checksums", "update", str(world.root), "--check")
    no_traceback(result)
    assert result.code == 1, result.out + result.err
    assert "invalid-manifest" in result.rules()
    assert world.sums_file.read_bytes() == before


# --- checksum file lacking the asset --------------------------------------------------------


def test_checksum_file_lacking_the_asset(world: World, tmp_path: Path) -> None:
    files = world.infra_files()
    missing = infra_asset("linux", "amd64")
    world.publish_infra(sums=shasums({n: d for n, d in files.items() if n != missing}))
    world.sums_file.write_text(world.expected("infra-cli", "drift-report"))
    before = world.sums_file.read_bytes()

    result = world.verify()
    no_traceback(result)
    assert result.code == 1, result.out
    (finding,) = result.json()["findings"]
    assert finding["rule"] == "aqua-checksum-mismatch"
    assert finding["subject"] == f"acme/infra-cli {INFRA} linux/amd64"
    assert f"no checksum for {missing} in" in finding["message"]

    update = world.run("checksums", "update", str(world.root), "--prune")
    no_traceback(update)
    assert update.code == 0, update.out + update.err  # nothing to add: the entry exists
    assert world.sums_file.read_bytes() == before

    file = tmp_path / missing
    file.write_bytes(files[missing])
    tool = world.run(
        "--format", "json", "tools", "verify", str(file), "--package", f"acme/infra-cli@{INFRA}",
        "--platform", "linux/amd64", "--config", str(world.root / "aqua" / "aqua.yaml"),
    )  # fmt: skip
    no_traceback(tool)
    assert tool.code == 1, tool.out + tool.err
    assert tool.rules() == ["aqua-checksum-mismatch"]
    assert f"no checksum for {missing} in" in tool.json()["findings"][0]["message"]


# --- tools verify -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["aqua-yaml-malformed", "local-registry-escapes", "import-cycle", *SUMS_CASES]
)
def test_tools_verify_unreadable_config_is_a_usage_error(
    world: World, tmp_path: Path, name: str
) -> None:
    case = ALL_CASES[name]
    case.setup(world)
    file = tmp_path / "download"
    file.write_bytes(world.infra_files()[infra_asset("linux", "amd64")])
    result = world.run(
        "tools", "verify", str(file), "--package", f"acme/infra-cli@{INFRA}",
        "--platform", "linux/amd64", "--config", str(world.root / "aqua" / "aqua.yaml"),
    )  # fmt: skip
    no_traceback(result)
    assert result.code == 2, result.out + result.err
    assert case.message in result.err
    assert any(f"{case.path}:{line}" in result.err for line in case.lines(world)), result.err


@pytest.mark.parametrize("name", list(TEMPLATE_CASES))
def test_tools_verify_bad_template_is_reported(world: World, tmp_path: Path, name: str) -> None:
    case = ALL_CASES[name]
    case.setup(world)
    file = tmp_path / "download"
    file.write_bytes(b"drift")
    result = world.run(
        "--format", "json", "tools", "verify", str(file), "--package", "acme/drift-report@v0.7.2",
        "--platform", "linux/amd64", "--config", str(world.root / "aqua" / "aqua.yaml"),
    )  # fmt: skip
    no_traceback(result)
    assert result.code == 1, result.out + result.err
    (finding,) = _invalid(result)
    _assert_names(world, case, finding)
    assert result.json()["checked"] == []


# --- messages are deterministic -------------------------------------------------------------


def test_import_cycle_message_uses_repository_relative_paths(world: World) -> None:
    _cycle(world)
    result = world.verify()
    (finding,) = _invalid(result)
    assert str(world.root) not in str(finding["message"]), finding["message"]
    assert "aqua/imports/a.yaml" in str(finding["message"])
