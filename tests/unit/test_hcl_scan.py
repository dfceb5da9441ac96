"""The HCL lexer and the .tf reader: tricky files, a python-hcl2 cross-check, fuzzing.

The files under ``tests/data/tf/tricky`` were all accepted by Terraform v1.11.4 and the
providers it listed (``terraform providers``) are the expectations in test_tf_config.py.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.hcl_scan import ScanError, read_quoted, skip_expression
from depguard.formats.tf_scan import (
    ModuleCallEntry,
    ProviderBlockEntry,
    ProviderRef,
    RequiredProviderEntry,
    StringAttr,
    scan_tf,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "tf"
TRICKY = sorted((DATA / "tricky").glob("*.tf"))


def scan_file(path: Path) -> Any:
    return scan_tf(path.read_bytes().decode("utf-8"), path.name)


# --- facts from hand-written tricky files ---------------------------------------------------


def test_heredocs() -> None:
    f = scan_file(DATA / "tricky/heredocs.tf")
    assert f.required_providers == (
        (RequiredProviderEntry(name="aws", source="hashicorp/aws", version="~> 5.0", line=21),),
    )
    assert f.module_calls == ()  # the module inside the heredoc is text
    assert f.provider_refs == (ProviderRef(local_name="aws", line=28, explicit=False),)


def test_strings() -> None:
    f = scan_file(DATA / "tricky/strings.tf")
    assert f.required_versions == (StringAttr(value=">= 1.5.0", line=2),)
    assert f.required_providers == (
        (
            RequiredProviderEntry(
                name="random", source="hashicorp/random", version=">= 3.0, < 4.0", line=4
            ),
        ),
    )
    assert f.module_calls == (
        ModuleCallEntry(
            name="pinned",
            source="git::https://example.com/modules.git//network?ref=v1.2.3",
            version=None,
            line=27,
        ),
    )
    assert f.provider_refs == (ProviderRef(local_name="random", line=20, explicit=False),)


def test_comments() -> None:
    f = scan_file(DATA / "tricky/comments.tf")
    assert f.required_providers == (
        (
            RequiredProviderEntry(
                name="google", source="hashicorp/google", version="~> 5.0", line=7
            ),
        ),
    )
    assert f.provider_refs == (ProviderRef(local_name="google", line=16, explicit=True),)
    assert f.provider_blocks == (
        ProviderBlockEntry(name="google", alias="europe", version=None, line=20),
    )
    assert f.module_calls == (
        ModuleCallEntry(
            name="vpc", source="terraform-google-modules/network/google", version="~> 9.0", line=24
        ),
    )


def test_multiline() -> None:
    f = scan_file(DATA / "tricky/multiline.tf")
    assert f.required_providers == (
        (
            RequiredProviderEntry(
                name="tls",
                source="hashicorp/tls",
                version=">= 4.0",
                line=3,
                aliases=("tls.one", "tls.two"),
            ),
        ),
    )
    assert [(r.local_name, r.explicit) for r in f.provider_refs] == [
        ("tls", False),
        ("tls", True),
        ("http", False),
        ("http", False),  # data block inside check
        ("random", False),  # ephemeral
    ]
    assert f.module_calls == (
        ModuleCallEntry(name="child", source="./child", version=None, line=55),
    )


def test_crlf() -> None:
    f = scan_file(DATA / "tricky/crlf.tf")
    assert f.required_versions == (StringAttr(value="~> 1.9", line=2),)
    assert f.required_providers[0][0].version == "3.2.2"
    assert f.provider_refs == (ProviderRef(local_name="null", line=11, explicit=False),)


def test_misc_forms() -> None:
    text = 'terraform {\n  required_providers {\n    aws = "~> 3.0"\n    "quoted" = 1\n  }\n}\n'
    with pytest.raises(InputError):  # quoted argument names are not HCL
        scan_tf(text, "x.tf")
    f = scan_tf(
        'terraform {\n  required_providers {\n    aws = "~> 3.0"\n  }\n'
        '  backend "s3" {}\n}\n'
        'terraform {\n  cloud {\n    organization = "x"\n  }\n}\n'
        'resource "aws_x" "y" { provider = "aws.east" }\n'
        'import {\n  to = azurerm_resource_group.x\n  id = "a"\n}\n'
        'import {\n  to = module.m.aws_thing.x\n  id = "a"\n}\n'
        'import {\n  to = aws_thing.x\n  provider = google.other\n  id = "a"\n}\n'
        'module "empty" {}\n'
        'provider "aws" {\n  version = ">= 2"\n  alias = "east"\n}\n'
        "locals { x = 1 }\n",
        "x.tf",
    )
    assert f.required_providers == (
        (RequiredProviderEntry(name="aws", source=None, version="~> 3.0", line=3, shorthand=True),),
    )
    assert f.backends == (StringAttr(value="s3", line=5),)
    assert f.clouds == (8,)
    assert [(r.local_name, r.explicit) for r in f.provider_refs] == [
        ("aws", True),
        ("azurerm", False),
        ("google", True),
    ]
    assert f.module_calls == (ModuleCallEntry(name="empty", source=None, version=None, line=26),)
    assert f.provider_blocks == (
        ProviderBlockEntry(name="aws", alias="east", version=">= 2", line=27),
    )


def test_read_quoted_and_skip_expression() -> None:
    assert read_quoted('"a\\tb\\u00e9\\U0001F600 $${x} %%{y}"', 0) == ("a\tbé😀 ${x} %{y}", 34)
    assert read_quoted('"x ${y} z"', 0) == (None, 10)
    assert read_quoted('"x %{ if y }z%{ endif }"', 0)[0] is None
    text = "f(1,\n  2) + [3] # c\nnext"
    assert text[skip_expression(text, 0) :].startswith("\nnext")
    assert skip_expression("a, b", 0, in_object=True) == 1
    assert skip_expression("a }", 0) == 2
    with pytest.raises(ScanError, match="Invalid escape sequence"):
        read_quoted('"\\q"', 0)


# --- errors -----------------------------------------------------------------------------------

ERRORS = [
    ('a = "abc\nb = 1\n', 1, "Invalid multi-line string"),
    ('locals {\n  a = "abc', 2, "Unterminated template string"),
    ("locals {\n  a = <<EOT\nfoo\n}\n", 2, 'No closing marker "EOT"'),
    ('resource "x" "y" {\n  a = 1\n', 1, "Unclosed configuration block"),
    ("locals {\n  a = [1, 2\n}\n", 3, 'Mismatched brackets: "[" is closed by "}"'),
    ("locals {\n  a = (1\n", 2, 'Unbalanced brackets: The "(" opened here has no closing ")"'),
    ("locals {\n  a = 1 )\n}\n", 2, 'Mismatched brackets: "{" is closed by ")"'),
    ('module "m" {\n  x = 1 )\n}\n', 2, 'Unexpected ")"'),
    ("}\n", 1, "closes no block"),
    ("\n\n@@@\n", 3, "Argument or block definition required"),
    ('module "m" {\n  source = "./x" b = 2\n}\n', 2, "Missing newline after argument"),
    ("/* open\nlocals {}\n", 1, "Unterminated comment"),
    ('locals {\n  a = "${x', 2, "Unclosed template interpolation sequence"),
    ('locals {\n  a = "${x"\n}\n', 2, "Invalid multi-line string"),
    ('module "m" {\n  source = "${var.x}"\n}\n', 2, "Variables not allowed"),
    ('module "m" {\n  version = var.v\n}\n', 2, "Invalid value"),
    ("terraform {\n  required_version = 1\n}\n", 2, "Invalid value"),
    ("terraform {\n  required_providers {\n    aws {}\n  }\n}\n", 3, "Unexpected block"),
    (
        'terraform {\n  required_providers {\n    aws = { source = "a/b", foo = 1 }\n  }\n}\n',
        3,
        "Invalid required_providers object",
    ),
    ("terraform {\n  required_providers {\n    aws = 3\n  }\n}\n", 3, "strings or objects"),
    ('resource "x" "y" {\n  provider = 1\n}\n', 2, "Invalid provider reference"),
    ('resource "${x}" "y" {\n}\n', 1, "Invalid block label"),
    ("resource x y = 1\n", 1, "Invalid block definition"),
]


@pytest.mark.parametrize(("text", "line", "message"), ERRORS)
def test_errors(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as err:
        scan_tf(text, "mod/main.tf")
    assert err.value.path == "mod/main.tf"
    assert err.value.line == line, err.value.message
    assert message in err.value.reason


# --- cross-check with python-hcl2 -------------------------------------------------------------


def _hcl2_facts(
    text: str,
) -> tuple[list[str], dict[str, tuple[Any, Any]], dict[str, tuple[Any, Any]]]:
    import hcl2

    options = hcl2.SerializationOptions(
        strip_string_quotes=True, with_comments=False, explicit_blocks=False
    )
    doc = hcl2.loads(text, serialization_options=options)
    versions: list[str] = []
    providers: dict[str, tuple[Any, Any]] = {}
    for tf in doc.get("terraform", []):
        if "required_version" in tf:
            versions.append(tf["required_version"])
        for block in tf.get("required_providers", []):
            for name, spec in block.items():
                if isinstance(spec, str):
                    providers[name] = (None, spec)
                else:
                    providers[name] = (spec.get("source"), spec.get("version"))
    modules: dict[str, tuple[Any, Any]] = {}
    for entry in doc.get("module", []):
        for name, body in entry.items():
            modules[name] = (body.get("source"), body.get("version"))
    return versions, providers, modules


def _scan_facts(
    text: str,
) -> tuple[list[str], dict[str, tuple[Any, Any]], dict[str, tuple[Any, Any]]]:
    f = scan_tf(text, "x.tf")
    versions = [v.value for v in f.required_versions]
    providers = {e.name: (e.source, e.version) for block in f.required_providers for e in block}
    modules = {m.name: (m.source, m.version) for m in f.module_calls}
    return versions, providers, modules


def _hcl2_readable(text: str) -> bool:
    import hcl2

    try:
        hcl2.loads(text)
    except Exception:  # python-hcl2 rejects some valid HCL (comments between labels)
        return False
    return True


def test_agrees_with_python_hcl2_on_the_corpus(corpus: Path) -> None:
    files = sorted(corpus.rglob("*.tf"))
    assert files
    for path in files:
        text = path.read_text()
        assert _scan_facts(text) == _hcl2_facts(text), path


@pytest.mark.parametrize("path", [*TRICKY, DATA / "typical.tf"], ids=lambda p: p.name)
def test_agrees_with_python_hcl2_on_tricky_files(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    if not _hcl2_readable(text):
        pytest.skip(f"python-hcl2 cannot parse {path.name} (Terraform can)")
    assert _scan_facts(text) == _hcl2_facts(text)


# --- robustness -------------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    [*'abcxyz_-=.,:"\\$%{}[]()<>#/*!?+ \t\n\r', "${", "%{", "<<EOT\n", "\nEOT\n", "//", "/*", "*/"]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=80).map("".join))
def test_random_input_raises_only_input_error(text: str) -> None:
    try:
        scan_tf(text, "fuzz.tf")
    except InputError as e:
        assert e.line is not None and e.line >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([*TRICKY, DATA / "typical.tf"]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=5),
    st.text(alphabet='{}[]()"#/*<$%\n =', max_size=3),
)
def test_mutated_files_raise_only_input_error(path: Path, at: int, cut: int, insert: str) -> None:
    text = path.read_bytes().decode("utf-8")
    at %= len(text) + 1
    mutated = text[:at] + insert + text[at + cut :]
    with contextlib.suppress(InputError):
        scan_tf(mutated, path.name)


def test_no_pathological_slowness() -> None:
    for text in [
        " " * 50_000 + "@",
        "a" + " " * 50_000 + "x",
        'a = "' + "x" * 50_000,
        "a = " + "[" * 2_000 + "]" * 2_000,
        'a = "' + "${" * 500 + "}" * 500 + '"',
        "#" * 50_000,
    ]:
        start = time.perf_counter()
        with contextlib.suppress(InputError):
            scan_tf(text, "big.tf")
        assert time.perf_counter() - start < 1.0
