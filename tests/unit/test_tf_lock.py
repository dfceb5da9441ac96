"""``.terraform.lock.hcl`` parsing and byte-identical writing.

Error messages and lines were observed by making Terraform v1.11.4 read each broken lock file
(``terraform providers lock -fs-mirror=…``) while writing the module.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.tf_address import parse_provider_source
from depguard.formats.tf_lock import _parse_fast, detect_header, parse_lock, render_lock
from depguard.model import LockFile, ProviderLock

HEADER = (
    '# This file is maintained automatically by "terraform init".\n'
    "# Manual edits may be lost in future updates.\n"
)
TOFU_HEADER = HEADER.replace('"terraform init"', '"tofu init"')
DEMO = "example.com/acme/demo"


def corpus_lock_files(corpus: Path) -> list[Path]:
    found = set(corpus.rglob("*.terraform.lock.hcl")) | set(corpus.rglob(".terraform.lock.hcl"))
    return sorted(found)


def lock(body: str) -> str:
    return HEADER + "\n" + body


def test_every_corpus_lock_file_parses_and_round_trips(corpus: Path) -> None:
    files = corpus_lock_files(corpus)
    real = [f for f in files if "real/lockfiles" in str(f)]
    vectors = [f for f in files if "vectors/lockfiles" in str(f)]
    assert len(real) >= 18 and len(vectors) >= 11
    for path in files:
        text = path.read_text()
        parsed = parse_lock(text, str(path))
        assert parsed.providers, path
        # Every corpus file (Terraform-, OpenTofu- and Renovate-written) is byte-identical
        # after a parse and a render with the same header.
        assert render_lock(parsed.providers, header=detect_header(text)) == text, path
        # ...and uses the exact layout the fast path reads.
        assert _parse_fast(text, str(path)) is not None, path


def test_corpus_facts(corpus: Path) -> None:
    base = corpus / "terraform"
    opentofu = parse_lock(
        (
            base / "real/lockfiles/12_keycloak-benchmark_accelerator_opentofu.terraform.lock.hcl"
        ).read_text(),
        "12.hcl",
    )
    aws = opentofu.get(parse_provider_source("registry.opentofu.org/hashicorp/aws"))
    assert aws is not None
    assert aws.constraints == ">= 4.61.0, >= 5.32.0, >= 5.38.0"
    assert aws.version == "5.48.0"
    assert aws.line == 4
    assert len(aws.hashes_with_scheme("zh")) == 10
    template = parse_lock(
        (base / "real/lockfiles/04_govwifi_wifi_2021-04-08.terraform.lock.hcl").read_text(),
        "04.hcl",
    ).providers[1]
    assert str(template.address) == "registry.terraform.io/hashicorp/template"
    assert template.constraints is None
    assert template.line == 24
    kept = parse_lock(
        (
            base / "vectors/lockfiles/providers-lock_kept-unknown-scheme-and-bogus-zh"
            ".terraform.lock.hcl"
        ).read_text(),
        "kept.hcl",
    ).providers[0]
    assert "x1:abc" in kept.hashes
    pre = parse_lock(
        (base / "real/lockfiles/16_geraldwuhoo_k3s_opentofu.terraform.lock.hcl").read_text(),
        "16.hcl",
    )
    assert any(p.version == "3.0.2-rc08" for p in pre.providers)


def test_detect_header(corpus: Path) -> None:
    base = corpus / "terraform/real/lockfiles"
    assert detect_header(
        (base / "11_geraldwuhoo_hetzner_opentofu.terraform.lock.hcl").read_text()
    ) == ("tofu")
    assert detect_header(
        (base / "01_tfaction-example_github-services-bar.terraform.lock.hcl").read_text()
    ) == ("terraform")
    assert detect_header("provider x {}") is None


# --- errors --------------------------------------------------------------------------------

BLOCK_ERRORS = [
    (
        "label_case",
        'provider "Example.com/acme/demo" {\n  version = "1.1.0"\n}\n',
        4,
        "Non-normalized provider source address: The provider source address for this provider "
        'lock must be written as "example.com/acme/demo", the fully-qualified and normalized form.',
    ),
    (
        "label_short",
        'provider "acme/demo" {\n  version = "1.1.0"\n}\n',
        4,
        'must be written as "registry.terraform.io/acme/demo"',
    ),
    (
        "port443",
        'provider "example.com:443/acme/demo" {\n  version = "1.1.0"\n}\n',
        4,
        'must be written as "example.com/acme/demo"',
    ),
    (
        "idna",
        'provider "xn--caf-dma.com/acme/demo" {\n  version = "1.1.0"\n}\n',
        4,
        "The provider source address for a provider lock must be a valid, fully-qualified "
        'address of the form "hostname/namespace/type".',
    ),
    (
        "vprefix",
        f'provider "{DEMO}" {{\n  version = "v1.1.0"\n}}\n',
        5,
        "Invalid provider version number: The selected version number for provider "
        'example.com/acme/demo is invalid: a "v" prefix should not be used.',
    ),
    (
        "version2",
        f'provider "{DEMO}" {{\n  version = "1.1"\n}}\n',
        5,
        'must be written in normalized form: "1.1.0".',
    ),
    (
        "numversion",
        f'provider "{DEMO}" {{\n  version = 1\n}}\n',
        5,
        'must be written in normalized form: "1.0.0".',
    ),
    (
        "nullversion",
        f'provider "{DEMO}" {{\n  version = null\n}}\n',
        5,
        'Missing required argument: A provider lock block must contain a "version" argument.',
    ),
    (
        "noversion",
        f'provider "{DEMO}" {{\n  hashes = ["h1:abc"]\n}}\n',
        4,
        'Missing required argument: The argument "version" is required, but no definition '
        "was found.",
    ),
    (
        "constraints",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  constraints = "~>1.0"\n}}\n',
        6,
        "Invalid provider version constraints: The recorded version constraints for provider "
        'example.com/acme/demo must be written in normalized form: "~> 1.0".',
    ),
    (
        "constraints_invalid",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  constraints = "=> 1.0"\n}}\n',
        6,
        "The recorded version constraints for provider example.com/acme/demo are invalid: ",
    ),
    (
        "emptyhash",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  hashes = []\n}}\n',
        6,
        'Invalid provider hash set: The "hashes" argument must either be omitted or contain at '
        "least one hash value.",
    ),
    (
        "bogus",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  hashes = ["bogus"]\n}}\n',
        6,
        'Invalid provider hash string: Cannot interpret "bogus" as a provider hash: hash string '
        "must start with a scheme keyword followed by a colon.",
    ),
    (
        "hashcolon",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  hashes = [":abc", "h1:"]\n}}\n',
        6,
        'Cannot interpret ":abc" as a provider hash',
    ),
    (
        "hashempty",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  hashes = [""]\n}}\n',
        6,
        'Cannot interpret "" as a provider hash',
    ),
    (
        "hashnum",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  hashes = ["h1:abc", 1]\n}}\n',
        6,
        'Cannot interpret "1" as a provider hash',
    ),
    (
        "hashnotlist",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  hashes = "h1:abc"\n}}\n',
        6,
        "Invalid expression: A static list expression is required.",
    ),
    (
        "dup",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n}}\nprovider "{DEMO}" {{\n'
        '  version = "1.1.0"\n}\n',
        7,
        "Duplicate provider lock: This lockfile already declared a lock for provider "
        "example.com/acme/demo at line 4.",
    ),
    (
        "dupattr",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  version = "1.1.0"\n}}\n',
        6,
        'Attribute redefined: The argument "version" was already set at line 5.',
    ),
    (
        "unkattr",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  foo = "x"\n}}\n',
        6,
        'Unsupported argument: An argument named "foo" is not expected here.',
    ),
    (
        "nestedblock",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  foo {{\n  }}\n}}\n',
        6,
        'Unsupported block type: Blocks of type "foo" are not expected here.',
    ),
    (
        "unkblock",
        f'foo {{\n}}\nprovider "{DEMO}" {{\n  version = "1.1.0"\n}}\n',
        4,
        'Unsupported block type: Blocks of type "foo" are not expected here.',
    ),
    (
        "toplevelattr",
        f'foo = 1\nprovider "{DEMO}" {{\n  version = "1.1.0"\n}}\n',
        4,
        'Unsupported argument: An argument named "foo" is not expected here.',
    ),
    (
        "nolabel",
        'provider {\n  version = "1.1.0"\n}\n',
        4,
        "Missing source_addr for provider: All provider blocks must have 1 labels (source_addr).",
    ),
    (
        "twolabels",
        f'provider "{DEMO}" "x" {{\n  version = "1.1.0"\n}}\n',
        4,
        "Extraneous label for provider: Only 1 labels (source_addr) are expected for provider "
        "blocks.",
    ),
    (
        "builtin",
        'provider "terraform.io/builtin/terraform" {\n  version = "1.1.0"\n}\n',
        4,
        "Invalid provider source address: Cannot lock a version for built-in provider "
        "terraform.io/builtin/terraform.",
    ),
    (
        "legacy",
        'provider "registry.terraform.io/-/demo" {\n  version = "1.1.0"\n}\n',
        4,
        "Provider source address registry.terraform.io/-/demo is a special provider that is "
        "not eligible for dependency locking.",
    ),
    (
        "unterminated",
        f'provider "{DEMO}" {{\n  version = "1.1.0\n}}\n',
        5,
        "Invalid multi-line string: Quoted strings may not be split over multiple lines.",
    ),
    (
        "truncated",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  hashes = [\n    "h1:abc",\n',
        8,
        "Missing expression: Expected the start of an expression, but found the end of the file.",
    ),
    (
        "unclosed",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n',
        4,
        "Unclosed configuration block",
    ),
    (
        "stray_brace",
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n}}\n}}\n',
        7,
        "Argument or block definition required",
    ),
    (
        "template",
        f'provider "{DEMO}" {{\n  version = "${{"1.1.0"}}"\n}}\n',
        5,
        "Unsupported expression: depguard reads lock files without evaluating templates",
    ),
    (
        "garbage",
        f'provider "{DEMO}" {{\n  version = "1.1.0" ++\n}}\n',
        5,
        "Missing newline after argument",
    ),
    (
        "unterminated_comment",
        f'/* never closed\nprovider "{DEMO}" {{\n  version = "1.1.0"\n}}\n',
        4,
        "Unterminated comment",
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "line", "message"), BLOCK_ERRORS, ids=[e[0] for e in BLOCK_ERRORS]
)
def test_errors_like_terraform(name: str, body: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_lock(lock(body), "envs/prod/.terraform.lock.hcl")
    assert err.value.path == "envs/prod/.terraform.lock.hcl"
    assert err.value.line == line, err.value.message
    assert message in err.value.reason
    assert err.value.message.startswith(f"envs/prod/.terraform.lock.hcl:{line}: ")


@pytest.mark.parametrize(
    "body",
    [
        # OpenTofu/Terraform accept these and so do we.
        f'provider "{DEMO}" {{ version = "1.1.0" }}\n',
        f'module "foo" {{\n  x = [1, {{ a = "}}" }}]\n}}\nprovider "{DEMO}" {{\n'
        '  version = "1.1.0"\n}\n',
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  constraints = ""\n}}\n',
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n}}',  # no final newline
        f'provider "{DEMO}" {{\n  version = "1.1.0" // comment\n}}\n',
    ],
)
def test_accepted_variants(body: str) -> None:
    parsed = parse_lock(lock(body), "x")
    assert [(str(p.address), p.version, p.constraints, p.hashes) for p in parsed.providers] == [
        (DEMO, "1.1.0", None, ())
    ]


def test_general_path_equals_fast_path() -> None:
    canonical = lock(
        f'provider "{DEMO}" {{\n'
        '  version     = "1.1.0"\n'
        '  constraints = "~> 1.0"\n'
        "  hashes = [\n"
        '    "h1:wymbeW5teXvP27pjPqXEXSSoBpaNKJwe9gzbTV7oBPI=",\n'
        '    "zh:2f723b241b5c491fefdb6733c18a6e74433f2d51dac792eb57e06fb4fc2ee21d",\n'
        "  ]\n"
        "}\n"
    )
    variant = (
        "// hand edited\r\n"
        f'provider "{DEMO}" /* c */ {{\r\n'
        '  hashes = ["h1:wymbeW5teXvP27pjPqXEXSSoBpaNKJwe9gzbTV7oBPI=", # first\r\n'
        '            "zh:2f723b241b5c491fefdb6733c18a6e74433f2d51dac792eb57e06fb4fc2ee21d"]\r\n'
        '  constraints = "~> 1.0" # canonical\r\n'
        '  version="1.1.0"\r\n'
        "}"
    )
    assert _parse_fast(canonical, "x") is not None
    assert _parse_fast(variant, "x") is None
    fast = parse_lock(canonical, "x").providers[0]
    slow = parse_lock(variant, "x").providers[0]
    assert (fast.address, fast.version, fast.constraints, fast.hashes) == (
        slow.address,
        slow.version,
        slow.constraints,
        slow.hashes,
    )
    assert (fast.line, slow.line) == (4, 2)
    assert render_lock([slow]) == canonical


def test_escapes_in_general_path() -> None:
    text = lock(
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  hashes = ["x1:a\\u00e9$${{b}}"]\n}}\n'
    )
    parsed = parse_lock(text, "x").providers[0]
    assert parsed.hashes == ("x1:aé${b}",)
    assert render_lock([parsed]) == lock(
        f'provider "{DEMO}" {{\n  version = "1.1.0"\n  hashes = [\n    "x1:aé$${{b}}",\n  ]\n}}\n'
    )


def test_empty_files() -> None:
    assert parse_lock("", "x") == LockFile(path="x", providers=())
    assert parse_lock(HEADER, "x").providers == ()
    assert render_lock([]) == HEADER


# --- writer --------------------------------------------------------------------------------


def _p(address: str, version: str, constraints: str | None, *hashes: str) -> ProviderLock:
    return ProviderLock(
        address=parse_provider_source(address),
        version=version,
        constraints=constraints,
        hashes=hashes,
    )


def test_render_sorts_aligns_and_dedupes() -> None:
    text = render_lock(
        [
            _p("registry.terraform.io/hashicorp/null", "3.2.2", None, "zh:b", "h1:a", "zh:b"),
            _p("example.com/acme/demo", "1.1.0", "~>1", "h1:x"),
            _p("registry.terraform.io/acme/zzz", "1.0.0", ""),
        ]
    )
    assert text == (
        HEADER + "\n"
        'provider "example.com/acme/demo" {\n'
        '  version     = "1.1.0"\n'
        '  constraints = "~> 1.0"\n'
        "  hashes = [\n"
        '    "h1:x",\n'
        "  ]\n"
        "}\n"
        "\n"
        'provider "registry.terraform.io/acme/zzz" {\n'
        '  version = "1.0.0"\n'
        "}\n"
        "\n"
        'provider "registry.terraform.io/hashicorp/null" {\n'
        '  version = "3.2.2"\n'
        "  hashes = [\n"
        '    "h1:a",\n'
        '    "zh:b",\n'
        "  ]\n"
        "}\n"
    )


def test_render_tofu_header_and_unicode_label() -> None:
    text = render_lock([_p("café.com/acme/demo", "1.0", None, "h1:x")], header="tofu")
    assert text.startswith(TOFU_HEADER + "\n")
    assert 'provider "café.com/acme/demo" {\n  version = "1.0.0"\n' in text
    assert parse_lock(text, "x").providers[0].address == parse_provider_source("café.com/acme/demo")
    with pytest.raises(ValueError, match="unknown lock-file header"):
        render_lock([], header="opentofu")


def test_render_rejects_duplicates() -> None:
    with pytest.raises(ValueError, match="duplicate provider lock"):
        render_lock([_p(DEMO, "1.0.0", None), _p(DEMO, "1.1.0", None)])


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ("a\nb\tc\rd", '"a\\nb\\tc\\rd"'),
        ("${x} %{y} $ %", '"$${x} %%{y} $ %"'),
        ("\x00\u200b\U0001f600", '"\\u0000\\u200b\U0001f600"'),
        ("\U000e0001", '"\\U000e0001"'),
    ],
)
def test_render_escapes_like_hclwrite(value: str, written: str) -> None:
    text = render_lock([_p(DEMO, "1.0.0", None, "x1:" + value)])
    assert f"    {written[0]}x1:{written[1:]},\n" in text
    assert parse_lock(text, "x").providers[0].hashes == ("x1:" + value,)


_SAMPLE = lock(
    f'provider "{DEMO}" {{\n'
    '  version     = "1.1.0"\n'
    '  constraints = "~> 1.0"\n'
    "  hashes = [\n"
    '    "h1:wymbeW5teXvP27pjPqXEXSSoBpaNKJwe9gzbTV7oBPI=",\n'
    '    "zh:2f723b241b5c491fefdb6733c18a6e74433f2d51dac792eb57e06fb4fc2ee21d",\n'
    "  ]\n"
    "}\n"
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=len(_SAMPLE)),
    st.integers(min_value=0, max_value=4),
    st.text(alphabet='{}[]"#/*$%\n =,:abv1.', max_size=3),
)
def test_mutated_lock_files_raise_only_input_error(at: int, cut: int, insert: str) -> None:
    mutated = _SAMPLE[:at] + insert + _SAMPLE[at + cut :]
    try:
        parsed = parse_lock(mutated, "fuzz.hcl")
    except InputError as e:
        assert e.line is None or e.line >= 1
    else:
        # Whatever parses renders to something that parses to the same providers.
        again = parse_lock(render_lock(parsed.providers), "again.hcl")
        assert [(p.address, p.version, p.constraints) for p in again.providers] == [
            (p.address, p.version, p.constraints) for p in parsed.providers
        ]
