"""aqua's YAML files: ``load_config`` (aqua.yaml with imports), ``parse_policy`` with
``check_package``, ``parse_registry`` and ``parse_registry_lazily``.

Contracts: each raises only ``InputError`` naming the file (``file:line``); the lazy registry
answers every lookup exactly as ``parse_registry`` does (its docstring's promise).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import event, example, given
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.aqua_config import AquaRegistryRef, load_config
from depguard.formats.aqua_policy import check_package, parse_policy
from depguard.formats.aqua_registry import (
    LAZY_THRESHOLD,
    LazyRegistry,
    parse_registry,
    parse_registry_lazily,
)
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import (
    SMALL_TEXT,
    WORDS,
    example_seeds,
    json_values,
    mutated,
    noise,
    read_seeds,
)

pytestmark = pytest.mark.fuzz

ANY = json_values(max_leaves=4)
EXPRESSIONS = st.sampled_from(
    (
        'semver(">= 1.0.0")',
        'Version == "v1.0.0"',
        "true",
        'Version startsWith "v" && SemVer != ""',
        'semver(">= 1") or Version in ["a", "b"]',
        "(((",
        "Version.x",
        "1 +",
        "",
    )
)
REGISTRY_TYPES = st.sampled_from(("standard", "github_content", "local", "other", ""))


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually ``strategy``, sometimes a value of any type (wrong types must be refused)."""
    return st.one_of(strategy, strategy, strategy, ANY)


REGISTRY = st.fixed_dictionaries(
    {"type": _maybe(REGISTRY_TYPES)},
    optional={
        "name": _maybe(st.sampled_from(("standard", "acme", "local", "x"))),
        "repo_owner": _maybe(st.sampled_from(("aquaproj", "acme"))),
        "repo_name": _maybe(st.sampled_from(("aqua-registry", "reg"))),
        "ref": _maybe(st.sampled_from(("v4.0.0", "main", "master", "")) | EXPRESSIONS),
        "path": _maybe(st.sampled_from(("registry.yaml", "reg/r.yaml", "../../etc/x", "/abs"))),
        "private": _maybe(st.booleans()),
        "unknown": ANY,
    },
)
PACKAGE = st.fixed_dictionaries(
    {},
    optional={
        "name": _maybe(st.sampled_from(("cli/cli@v2.0.0", "a/b", "a/b@", "@v1", "x@y@z"))),
        "registry": _maybe(st.sampled_from(("standard", "acme", "nope"))),
        "version": _maybe(st.sampled_from(("v1.0.0", "", "1.10"))),
        "import": _maybe(st.sampled_from(("imports/*.yaml", "imports/a.yaml", "../x/*.yaml"))),
        "go_version_file": _maybe(st.sampled_from(("go.mod", "missing.mod", "../go.mod"))),
        "version_expr": _maybe(EXPRESSIONS),
        "tags": _maybe(st.lists(WORDS)),
        "vars": ANY,
        "unknown": ANY,
    },
)
AQUA_CONFIG = st.fixed_dictionaries(
    {},
    optional={
        "registries": _maybe(st.lists(st.none() | REGISTRY, max_size=3)),
        "packages": _maybe(st.lists(st.none() | PACKAGE, max_size=4)),
        "checksum": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "enabled": _maybe(st.booleans()),
                    "require_checksum": _maybe(st.booleans()),
                    "supported_envs": _maybe(st.lists(st.sampled_from(("all", "linux", "x/y")))),
                },
            )
        ),
        "import_dir": _maybe(st.sampled_from(("imports", "..", "missing"))),
    },
)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _load_config(files: dict[str, str]) -> None:
    """Write ``files`` into a fresh repository and load its ``aqua.yaml``."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8", newline="")
        (root / "go.mod").write_text("module x\n\ngo 1.22.1\n")
        outcome(
            load_config,
            root / "aqua.yaml",
            repo_root=root,
            home_dir=root,
            raises=(InputError,),
        )


@given(
    config=mutated(AQUA_CONFIG.map(_dump), max_steps=2),
    imported=st.lists(mutated(AQUA_CONFIG.map(_dump), max_steps=1), max_size=2),
)
def test_aqua_yaml_with_imports(config: str, imported: list[str]) -> None:
    files = {"aqua.yaml": config}
    files.update({f"imports/{i}.yaml": text for i, text in enumerate(imported)})
    _load_config(files)


@given(text=mutated(st.sampled_from(example_seeds("aqua/aqua.yaml", "aqua/imports/*.yaml"))))
def test_mutated_example_aqua_yaml(text: str) -> None:
    _load_config({"aqua.yaml": text, "imports/supply-chain.yaml": "packages: []\n"})


@given(text=noise("registriespackagesname@v:-[]{}&*\n #'\"", max_size=150))
def test_random_aqua_yaml(text: str) -> None:
    _load_config({"aqua.yaml": text})


# --- aqua-policy.yaml ----------------------------------------------------------------------

POLICY = st.fixed_dictionaries(
    {},
    optional={
        "registries": _maybe(st.lists(REGISTRY, max_size=3)),
        "packages": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "name": _maybe(WORDS),
                        "version": _maybe(EXPRESSIONS),
                        "registry": _maybe(st.sampled_from(("standard", "acme", "x"))),
                        "unknown": ANY,
                    },
                ),
                max_size=3,
            )
        ),
    },
)
REFS = st.builds(
    AquaRegistryRef,
    name=st.sampled_from(("standard", "acme")),
    type=st.sampled_from(("github_content", "local")),
    repo_owner=st.sampled_from(("aquaproj", "acme")),
    repo_name=st.sampled_from(("aqua-registry", "reg")),
    ref=st.sampled_from(("v4.0.0", "v1.2.3", "main", "")) | SMALL_TEXT,
    path=st.sampled_from(("registry.yaml", "/tmp/x")),
    line=st.just(1),
)


def _check_policy(text: str, data: st.DataObject) -> None:
    result = outcome(
        parse_policy,
        text,
        "aqua-policy.yaml",
        base_dir=Path("/repo"),
        raises=(InputError,),
        err_path="aqua-policy.yaml",
        err_text=text,
    )
    if result.value is None:
        return
    for _ in range(3):
        outcome(
            check_package,
            [result.value],
            name=data.draw(WORDS),
            version=data.draw(st.sampled_from(("v1.0.0", "1.2.3", "", "x")) | SMALL_TEXT),
            registry=data.draw(REFS),
            version_prefix=data.draw(st.sampled_from(("", "v", "x-"))),
            raises=(InputError,),
        )


@given(text=mutated(POLICY.map(_dump), max_steps=2), data=st.data())
def test_policies(text: str, data: st.DataObject) -> None:
    _check_policy(text, data)


@given(text=mutated(st.sampled_from(example_seeds("aqua-policy.yaml"))), data=st.data())
def test_mutated_example_policy(text: str, data: st.DataObject) -> None:
    _check_policy(text, data)


@pytest.fixture(scope="module")
def corpus_policies(corpus: Path) -> list[str]:
    seeds = read_seeds(corpus, ["**/*aqua-policy.yaml"])
    if not seeds:
        pytest.skip("the corpus has no aqua-policy.yaml")
    return seeds


@given(data=st.data())
def test_mutated_corpus_policies(corpus_policies: list[str], data: st.DataObject) -> None:
    _check_policy(data.draw(mutated(st.sampled_from(corpus_policies))), data)


# --- registries ------------------------------------------------------------------------------

SCALARS = st.sampled_from(("cli", "acme", "x-y", "'quoted'", '"dq"', "a # c", "{a: 1}", "[x]"))


@st.composite
def registry_texts(draw: st.DrawFn) -> str:
    """A registry.yaml in the generated layout (which the lazy index reads), with anchors
    and aliases across entries, package aliases and the odd duplicate key."""
    lines = ["packages:"]
    scalar_anchors: list[str] = []
    list_anchors: list[str] = []
    for i in range(draw(st.integers(0, 6))):
        fields = draw(
            st.lists(
                st.sampled_from(("type", "repo_owner", "repo_name", "name", "path", "files")),
                min_size=1,
                max_size=5,
                unique=draw(st.integers(0, 9)) != 0,  # sometimes a duplicate key
            )
        )
        for j, field in enumerate(fields):
            lead = "  - " if j == 0 else "    "
            if field == "type":
                value = draw(st.sampled_from(("github_release", "go_install", "http")))
            elif field == "files":
                if list_anchors and draw(st.booleans()):
                    lines.append(f"{lead}files: *{draw(st.sampled_from(list_anchors))}")
                    continue
                anchor = f"f{i}" if draw(st.booleans()) else ""
                list_anchors += [anchor] if anchor else []
                lines += [f"{lead}files:{' &' + anchor if anchor else ''}", "      - name: x"]
                continue
            elif scalar_anchors and draw(st.integers(0, 3)) == 0:
                value = "*" + draw(st.sampled_from(scalar_anchors))
            elif draw(st.integers(0, 4)) == 0:
                scalar_anchors.append(f"s{i}{j}")
                value = f"&s{i}{j} {draw(SCALARS)}"
            else:
                value = draw(SCALARS)
            lines.append(f"{lead}{field}: {value}")
        if draw(st.booleans()):
            lines.append("    aliases:")
            lines.extend(f"      - name: {draw(SCALARS)}" for _ in range(draw(st.integers(1, 2))))
    return "\n".join(lines) + "\n"


def _facts(pkg: Any) -> Any:
    return None if pkg is None else (pkg.name, pkg.line, dict(pkg.raw), pkg.aliases)


def _check_registry(text: str) -> None:
    full = outcome(
        parse_registry,
        text,
        "registry.yaml",
        raises=(InputError,),
        err_path="registry.yaml",
        err_text=text,
    )
    # The same file, big enough for the lazy index (a trailing comment changes nothing).
    big = text + "\n# " + "x" * LAZY_THRESHOLD + "\n"
    lazy = outcome(parse_registry_lazily, big, "registry.yaml", raises=(InputError,))
    event(f"lazy: {type(lazy.value).__name__}")
    if full.value is None or lazy.value is None:
        return
    names = set(full.value.names()) | set(lazy.value.names()) | {"cli", "acme/cli", "nope"}
    for name in sorted(names):
        got = outcome(lazy.value.lookup, name, raises=(InputError,))
        assert got.ok, f"lazy lookup of {name!r} failed where the full parse did not"
        assert _facts(got.value) == _facts(full.value.lookup(name)), name
    if isinstance(lazy.value, LazyRegistry):
        assert sorted(p.name for p in lazy.value.packages) == sorted(
            p.name for p in full.value.packages
        )


# Found by the long profile: a lone CR (a YAML line break) shifted the lazy index's lines.
@example(
    text="packages:\r\r\n  - type: github_release\r\r\n    repo_owner: cli\r\r\n    name: cli\r\r\n"
)
@example(
    text="\r# c\npackages:\n  - name: a/b\n    type: http\n  - name: c/d\u2028    type: http\n"
)
@given(text=mutated(registry_texts(), max_steps=2))
def test_registries_lazy_and_full_agree(text: str) -> None:
    _check_registry(text)


@given(text=mutated(st.sampled_from(example_seeds("upstream/**/registry.yaml"))))
def test_mutated_example_registry(text: str) -> None:
    _check_registry(text)


@given(
    text=st.builds(
        _dump, st.fixed_dictionaries({"packages": st.lists(st.none() | ANY | PACKAGE)}) | ANY
    )
)
def test_registry_shapes(text: str) -> None:
    _check_registry(text)
