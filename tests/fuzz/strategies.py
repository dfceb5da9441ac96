"""Shared Hypothesis strategies: seeds, mutations, raw noise and grammar pieces.

Two kinds of input reach every parser:

* *structured*: a valid-ish document built from grammar pieces (or a real file from the
  example repository or the corpus), then :func:`mutated`: truncated, sliced, duplicated
  (duplicate keys), with control characters, a BOM, CRLF, NUL, huge numbers, deep nesting,
  YAML anchors/aliases/tags or odd Unicode inserted;
* *raw*: :func:`noise` text over an alphabet of the format's structural characters, and
  arbitrary bytes/Unicode.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "manifests" / "examples" / "acme-infra"

# --- seeds ----------------------------------------------------------------------------------


def read_seeds(root: Path, patterns: Sequence[str], *, limit: int = 200) -> list[str]:
    """The UTF-8 text of the files under ``root`` matching ``patterns`` (sorted, deduplicated)."""
    found: dict[str, None] = {}
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            if not path.is_file() or path.stat().st_size > 512 * 1024:
                continue
            try:
                found.setdefault(path.read_text("utf-8"), None)
            except UnicodeDecodeError:
                continue
            if len(found) >= limit:
                return list(found)
    return list(found)


def example_seeds(*patterns: str) -> list[str]:
    """Seeds from the example repository shipped in ``manifests/examples/acme-infra``."""
    seeds = read_seeds(EXAMPLE, patterns)
    assert seeds, f"the example repository has no {patterns}"
    return seeds


# --- mutations ------------------------------------------------------------------------------

# Any character a UTF-8 file can hold: parsers get text decoded from UTF-8, which never has
# lone surrogates (st.characters() alone would generate them).
CHARS = st.characters(codec="utf-8")

HUGE_INT = "9" * 4400  # past CPython's 4300-digit int/str conversion limit
DEEP = 3000  # nesting depth of the deep-nesting inserts: past the C recursion limits

# Text that breaks parsers: control characters, BOM, line-ending variants, quotes and
# brackets, template/heredoc introducers, YAML anchors/aliases/merge keys/tags, huge and odd
# numbers, deep nesting, bidi and astral characters.
INSERTS: tuple[str, ...] = (
    "\x00",
    "\ufeff",
    "\r\n",
    "\r",
    "\n",
    "\t",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "é",
    "\U0001d518",
    "\uffff",
    '"',
    "'",
    "`",
    "\\",
    "\\u0000",
    "\\ud800",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    ":",
    "=",
    "|",
    "#",
    "//",
    "/*",
    "*/",
    "<!--",
    "-->",
    "${",
    "%{",
    "{{",
    "}}",
    "<<EOF\n",
    "<<-EOF\nEOF\n",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!binary ",
    "!!python/object:os.system ",
    "!local ",
    "- ",
    "? ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "@",
    "~> ",
    ">= ",
    "!= ",
    "v",
    "-",
    "0",
    "-0",
    "1e999",
    "-1e-999",
    "NaN",
    "Infinity",
    "0x1F",
    HUGE_INT,
    "[" * DEEP,
    "{" * DEEP,
    "(" * DEEP,
    '{"a":' * DEEP,
    "- " * DEEP,
    "[[[[[[[[",
    '"a": 1, "a": 2',
    "a: 1\na: 2\n",
)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str], max_steps: int = 3) -> str:
    """``base`` with up to ``max_steps`` random edits (zero edits: the text as it is)."""
    text = draw(base)
    for _ in range(draw(st.integers(0, max_steps))):
        n = len(text)
        i = draw(st.integers(0, n))
        op = draw(
            st.sampled_from(
                ("truncate", "delete", "insert", "insert", "replace", "dup", "crlf", "bom", "case")
            )
        )
        if op == "truncate":
            text = text[:i]
        elif op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 16)) :]
        elif op == "insert":
            piece = draw(st.sampled_from(INSERTS) | st.text(max_size=4))
            text = text[:i] + piece + text[i:]
        elif op == "replace":
            text = text[:i] + draw(CHARS) + text[i + 1 :]
        elif op == "dup":  # duplicate a run of lines or characters: duplicate keys, blocks
            j = draw(st.integers(i, min(n, i + 400)))
            text = text[:j] + text[i:j] + text[j:]
        elif op == "crlf":
            text = text.replace("\n", "\r\n")
        elif op == "bom":
            text = "\ufeff" + text
        else:
            j = draw(st.integers(i, min(n, i + 40)))
            text = text[:i] + text[i:j].swapcase() + text[j:]
    return text


@st.composite
def mutated_bytes(draw: st.DrawFn, base: st.SearchStrategy[bytes], max_steps: int = 3) -> bytes:
    """``base`` with up to ``max_steps`` byte-level edits (bit flips, cuts, extreme ints)."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, max_steps))):
        n = len(data)
        i = draw(st.integers(0, max(n - 1, 0)))
        op = draw(st.sampled_from(("flip", "truncate", "insert", "delete", "int32", "int16")))
        if op == "flip" and n:
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 8))]
        elif op == "int32" and n >= 4:
            i = min(i, n - 4)
            value = draw(st.sampled_from((0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFF, n, n * 2)))
            data[i : i + 4] = (value & 0xFFFFFFFF).to_bytes(4, "little")
        elif op == "int16" and n >= 2:
            i = min(i, n - 2)
            value = draw(st.sampled_from((0, 1, 0x7FFF, 0xFFFF, 8, 99)))
            data[i : i + 2] = value.to_bytes(2, "little")
    return bytes(data)


def noise(alphabet: str, *, max_size: int = 200) -> st.SearchStrategy[str]:
    """Random text mostly over ``alphabet`` (a format's structural characters), some Unicode."""
    return st.lists(
        st.sampled_from(alphabet) | st.sampled_from(INSERTS[:40]) | CHARS,
        max_size=max_size,
    ).map("".join)


def seeded(seeds: Sequence[str], *, max_steps: int = 3) -> st.SearchStrategy[str]:
    """A seed file, mutated."""
    return mutated(st.sampled_from(list(seeds)), max_steps=max_steps)


# --- grammar pieces -------------------------------------------------------------------------

WORDS = st.sampled_from(
    ("a", "b", "x", "name", "version", "source", "id", "ref", "main", "type", "path", "é", "")
)
SMALL_TEXT = st.text(max_size=12)
IDENT = st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True)
HEX64 = st.binary(min_size=1, max_size=16).map(lambda b: hashlib.sha256(b).hexdigest())
HEX40 = st.binary(min_size=1, max_size=16).map(lambda b: hashlib.sha1(b).hexdigest())
H1 = st.binary(min_size=1, max_size=16).map(
    lambda b: "h1:" + base64.b64encode(hashlib.sha256(b).digest()).decode()
)
ZH = HEX64.map(lambda h: "zh:" + h)

VERSIONS = st.one_of(
    st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30)).map(
        lambda t: f"{t[0]}.{t[1]}.{t[2]}"
    ),
    st.sampled_from(
        ("1.0.0", "0.0.1", "1.2.3-beta.1", "2.0.0-rc1", "1.0.0+meta", "10.20.30", "v1.2.3")
    ),
)
CONSTRAINT_OPS = st.sampled_from(("", "= ", "!= ", "> ", ">= ", "< ", "<= ", "~> ", "~>", ">="))
CONSTRAINTS = st.lists(
    st.tuples(CONSTRAINT_OPS, VERSIONS.map(lambda v: v.removeprefix("v"))).map("".join),
    min_size=1,
    max_size=3,
).map(", ".join)

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    SMALL_TEXT,
    WORDS,
)


def json_values(
    leaves: st.SearchStrategy[Any] = JSON_SCALARS, *, max_leaves: int = 12
) -> st.SearchStrategy[Any]:
    """Nested JSON-compatible data."""
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.one_of(WORDS, SMALL_TEXT), inner, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def json_text(value: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """``value`` serialised as JSON, compact or indented, ASCII-escaped or not."""
    return st.builds(
        lambda v, indent, ascii_: json.dumps(v, indent=indent, ensure_ascii=ascii_),
        value,
        st.sampled_from((None, 2)),
        st.booleans(),
    )


def deep_json(depth: int = DEEP) -> list[str]:
    """Deeply nested JSON documents (arrays and objects)."""
    return ["[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth]


@st.composite
def yaml_text(draw: st.DrawFn, value: st.SearchStrategy[Any] | None = None) -> str:
    """A YAML document for ``value`` (block or flow style), sometimes with anchors/aliases."""
    import yaml

    data = draw(value if value is not None else json_values())
    text: str = yaml.safe_dump(
        data, default_flow_style=draw(st.sampled_from((False, True, None))), allow_unicode=True
    )
    if draw(st.booleans()):  # share a node through an anchor and an alias
        text = "base: &a\n  k: v\n  n: 1\n" + (
            text if isinstance(data, dict) and data else "x: 1\n"
        )
        text += draw(st.sampled_from(("copy: *a\n", "merged:\n  <<: *a\n  n: 2\n", "")))
    return text


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The YAML alias bomb: ``width ** levels`` nodes from a few hundred bytes."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


# --- Terraform ------------------------------------------------------------------------------

HOSTNAMES = st.sampled_from(
    (
        "registry.terraform.io",
        "registry.opentofu.org",
        "example.com",
        "localhost:18444",
        "tf.acme.example",
        "café.example",
    )
)
PROVIDER_PARTS = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True) | (
    st.sampled_from(("aws", "null", "google-beta", "acme", "hashicorp", "ünï"))
)


def _address_or_none(source: str) -> Any:
    from depguard.formats.tf_address import parse_provider_source

    try:
        address = parse_provider_source(source)
    except ValueError:
        return None
    return address if address.is_lockable else None


# Lockable provider addresses (normalised, as ProviderAddress).
PROVIDER_ADDRESSES = (
    st.builds(lambda h, n, t: f"{h}/{n}/{t}", HOSTNAMES, PROVIDER_PARTS, PROVIDER_PARTS)
    .map(_address_or_none)
    .filter(lambda a: a is not None)
)


def _canonical_version(text: str) -> str:
    from depguard.versions import parse_version

    return str(parse_version(text.removeprefix("v")))


def _canonical_constraints(text: str) -> str | None:
    from depguard.versions import constraints_string

    try:
        return constraints_string(text) or None
    except ValueError:
        return None


CANONICAL_VERSIONS = VERSIONS.map(_canonical_version)
CANONICAL_CONSTRAINTS = st.none() | CONSTRAINTS.map(_canonical_constraints)
# Hash strings: the two real schemes and unknown ones that need escaping when written.
LOCK_HASHES = st.one_of(
    H1, ZH, st.text(min_size=1, max_size=12).map(lambda s: "x1:" + s), st.just("zh:bogus")
)


@st.composite
def provider_locks(draw: st.DrawFn, max_size: int = 4) -> list[Any]:
    """Distinct-address :class:`~depguard.model.ProviderLock` values, hashes as Terraform
    writes them (sorted, unique)."""
    from depguard.model import ProviderLock

    addresses = draw(st.lists(PROVIDER_ADDRESSES, max_size=max_size, unique=True))
    return [
        ProviderLock(
            address=a,
            version=draw(CANONICAL_VERSIONS),
            constraints=draw(CANONICAL_CONSTRAINTS),
            hashes=tuple(sorted(set(draw(st.lists(LOCK_HASHES, min_size=1, max_size=4))))),
        )
        for a in addresses
    ]


def _hcl_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


HCL_VALUES = st.one_of(
    SMALL_TEXT.map(_hcl_str),
    st.integers(-1000, 10**30).map(str),
    st.sampled_from(
        (
            "true",
            "null",
            "var.x",
            "aws.west",
            '"${var.a}-x"',
            '"%{ if true }a%{ endif }"',
            "[1, 2, [3]]",
            '{ a = 1, "b" = 2 }',
            "local.a ? 1 : 2",
            'format("%s", "x")',
            "<<EOF\nheredoc ${x}\nEOF",
            "<<-EOT\n    indented\n    EOT",
            "[for x in var.l : x if x != null]",
        )
    ),
)


@st.composite
def tf_documents(draw: st.DrawFn) -> str:
    """A ``.tf`` file built from the blocks depguard reads (and some it skips)."""
    blocks: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(
            st.sampled_from(
                ("terraform", "module", "provider", "resource", "data", "import", "check", "other")
            )
        )
        name = draw(IDENT)
        if kind == "terraform":
            entries = []
            for _ in range(draw(st.integers(0, 3))):
                local = draw(IDENT)
                if draw(st.booleans()):
                    entries.append(f"    {local} = {_hcl_str(draw(CONSTRAINTS))}")
                else:
                    source = draw(st.sampled_from(("hashicorp/aws", "example.com/a/b", "x")))
                    entries.append(
                        f"    {local} = {{\n      source  = {_hcl_str(source)}\n"
                        f"      version = {_hcl_str(draw(CONSTRAINTS))}\n"
                        "      configuration_aliases = [aws.west]\n    }"
                    )
            body = [f"  required_version = {_hcl_str(draw(CONSTRAINTS))}"]
            body.append("  required_providers {\n" + "\n".join(entries) + "\n  }")
            if draw(st.booleans()):
                body.append('  backend "s3" {\n    bucket = "b"\n  }')
            if draw(st.booleans()):
                body.append('  cloud {\n    organization = "o"\n  }')
            blocks.append("terraform {\n" + "\n".join(body) + "\n}")
        elif kind == "module":
            source = draw(st.sampled_from(("./m", "../x", "hashicorp/consul/aws", "git::x?ref=v1")))
            blocks.append(
                f'module "{name}" {{\n  source  = {_hcl_str(source)}\n'
                f"  version = {_hcl_str(draw(CONSTRAINTS))}\n  x = {draw(HCL_VALUES)}\n}}"
            )
        elif kind == "provider":
            blocks.append(
                f'provider "{name}" {{\n  alias = "west"\n  version = {_hcl_str(draw(CONSTRAINTS))}'
                f"\n  region = {draw(HCL_VALUES)}\n}}"
            )
        elif kind in ("resource", "data"):
            provider = draw(st.sampled_from(("", "  provider = aws.west\n", "  provider = aws\n")))
            blocks.append(
                f'{kind} "{name}_thing" "n" {{\n{provider}  a = {draw(HCL_VALUES)}\n'
                f"  nested {{\n    b = {draw(HCL_VALUES)}\n  }}\n}}"
            )
        elif kind == "import":
            blocks.append(f"import {{\n  to = {name}_x.y\n  id = {draw(HCL_VALUES)}\n}}")
        elif kind == "check":
            blocks.append(f'check "c" {{\n  data "{name}_d" "x" {{\n  }}\n}}')
        else:
            blocks.append(f"locals {{\n  {name} = {draw(HCL_VALUES)}\n}}")
    return "\n\n".join(blocks) + "\n"


@st.composite
def tf_json_documents(draw: st.DrawFn) -> str:
    """A ``.tf.json`` document: the keys depguard reads, with values of any JSON type."""
    anything = JSON_SCALARS | st.lists(JSON_SCALARS, max_size=2) | st.dictionaries(WORDS, WORDS)
    entry = st.one_of(
        CONSTRAINTS,
        st.fixed_dictionaries(
            {},
            optional={
                "source": st.sampled_from(("hashicorp/aws", "x/y")) | anything,
                "version": CONSTRAINTS | anything,
                "configuration_aliases": st.lists(WORDS) | anything,
            },
        ),
        anything,
    )
    labeled = st.dictionaries(IDENT, st.dictionaries(WORDS, anything, max_size=3), max_size=2)
    doc = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "terraform": st.fixed_dictionaries(
                    {},
                    optional={
                        "required_version": CONSTRAINTS | anything,
                        "required_providers": st.dictionaries(IDENT, entry, max_size=3) | anything,
                        "backend": labeled | anything,
                        "cloud": anything,
                    },
                )
                | st.lists(st.just({"required_version": ">= 1.0"}), max_size=2)
                | anything,
                "module": st.dictionaries(
                    IDENT,
                    st.fixed_dictionaries(
                        {"source": st.just("./m") | anything},
                        optional={"version": CONSTRAINTS | anything},
                    ),
                    max_size=2,
                )
                | anything,
                "provider": labeled | anything,
                "resource": st.dictionaries(IDENT, labeled, max_size=2) | anything,
                "data": st.dictionaries(IDENT, labeled, max_size=2) | anything,
                "import": st.lists(
                    st.fixed_dictionaries(
                        {}, optional={"to": st.just("aws_x.y") | anything, "provider": anything}
                    ),
                    max_size=2,
                )
                | anything,
                "check": st.dictionaries(
                    IDENT, st.fixed_dictionaries({"data": labeled | anything})
                ),
            },
        )
    )
    return json.dumps(doc, indent=draw(st.sampled_from((None, 2))))
