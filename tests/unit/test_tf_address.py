"""Provider source addresses, checked against what Terraform v1.11.4 does with them.

Every expectation below was observed with ``terraform providers`` (sources) or by making
Terraform read a lock file (labels) while writing the module.
"""

from __future__ import annotations

import pytest

from depguard.formats.tf_address import (
    format_provider_address,
    hostname_for_display,
    implied_provider,
    normalize_hostname,
    parse_lock_label,
    parse_provider_part,
    parse_provider_source,
)
from depguard.model import ProviderAddress


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("aws", "registry.terraform.io/hashicorp/aws"),
        ("terraform", "registry.terraform.io/hashicorp/terraform"),  # not built-in here
        ("hashicorp/terraform", "registry.terraform.io/hashicorp/terraform"),
        ("ACME/Demo", "registry.terraform.io/acme/demo"),
        ("Hashicorp/AWS", "registry.terraform.io/hashicorp/aws"),
        ("Example.COM/ACME/Demo", "example.com/acme/demo"),
        ("example.com:443/acme/demo", "example.com/acme/demo"),
        ("EXAMPLE.com:0443/acme/demo", "example.com/acme/demo"),
        ("example.com:08080/acme/demo", "example.com:8080/acme/demo"),
        ("example.com:+80/acme/demo", "example.com:80/acme/demo"),
        ("example.com:65535/acme/demo", "example.com:65535/acme/demo"),
        ("example.com:0/acme/demo", "example.com:0/acme/demo"),
        ("localhost:18444/acme/demo", "localhost:18444/acme/demo"),
        ("example.com./acme/demo", "example.com./acme/demo"),
        ("123.45.67.89/acme/demo", "123.45.67.89/acme/demo"),
        ("-/demo", "registry.terraform.io/-/demo"),
        ("registry.terraform.io/-/demo", "registry.terraform.io/-/demo"),
        ("terraform.io/builtin/terraform", "terraform.io/builtin/terraform"),
        ("builtin/terraform", "registry.terraform.io/builtin/terraform"),
        ("example.com/acme/terraform", "example.com/acme/terraform"),
        ("example.com/1acme/2demo", "example.com/1acme/2demo"),
        (
            "a" + "1234567890" * 6 + "1234/b",
            "registry.terraform.io/a" + "1234567890" * 6 + "1234/b",
        ),
    ],
)
def test_parse_provider_source(source: str, expected: str) -> None:
    address = parse_provider_source(source)
    assert str(address) == expected
    assert format_provider_address(address) == expected


@pytest.mark.parametrize(
    ("source", "comparison", "display"),
    [
        ("café.com/acme/demo", "xn--caf-dma.com/acme/demo", "café.com/acme/demo"),
        ("CAFÉ.com/Äcme/Démo", "xn--caf-dma.com/äcme/démo", "café.com/äcme/démo"),
        ("straße.de/acme/demo", "xn--strae-oqa.de/acme/demo", "straße.de/acme/demo"),
        ("example.com/ACMÉ/demo", "example.com/acmé/demo", "example.com/acmé/demo"),
    ],
)
def test_unicode_hostnames(source: str, comparison: str, display: str) -> None:
    address = parse_provider_source(source)
    assert str(address) == comparison
    assert format_provider_address(address) == display
    assert parse_lock_label(display) == address


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a/b/c/d", 'Invalid provider source string: The "source" attribute must be in the format'),
        ("example.com//demo", "Invalid provider source string"),
        ("", "Invalid provider source string"),
        ("https://example.com/acme/demo", "Invalid provider source string"),
        (
            "example.com/my_org/demo",
            'Invalid provider namespace "my_org" in source "example.com/my_org/demo": must '
            "contain only letters, digits, and dashes, and may not use leading or trailing dashes",
        ),
        ("example.com/acme/my_demo", 'Invalid provider type "my_demo"'),
        ("example.com/ac--me/demo", "cannot use multiple consecutive dashes"),
        ("example.com/xn--caf-dma/demo", "cannot use multiple consecutive dashes"),
        ("example.com/acme.x/demo", "dots are not allowed"),
        ("example.com/-acme/demo", "may not use leading or trailing dashes"),
        ("example.com/acme/demo-", 'Invalid provider type "demo-"'),
        ("example.com/a_/demo", "Invalid provider namespace"),
        ("example.com/a/-", 'Invalid provider type "-"'),
        ("-/-", 'Invalid provider type "-"'),
        (
            "example.com/acme/terraform-provider-demo",
            'Provider source "example.com/acme/terraform-provider-demo" has a type with the '
            'prefix "terraform-provider-"',
        ),
        ("acme/terraform-provider-demo", 'Did you mean "acme/demo"?'),
        (
            "example.com/acme/terraform-demo",
            'has a type with the prefix "terraform-", which isn\'t allowed',
        ),
        ("example.com/acme/TERRAFORM-x", 'Provider source "example.com/acme/terraform-x"'),
        (
            "example.com/-/demo",
            'The legacy provider namespace "-" can be used only with hostname '
            "registry.terraform.io.",
        ),
        ("example.com:99999/acme/demo", "port number is greater than 65535"),
        ("example.com:x/acme/demo", "port portion contains non-digit characters"),
        ("example.com:/acme/demo", "port portion contains non-digit characters"),
        ("[::1]:8080/acme/demo", "port portion contains non-digit characters"),
        ("example..com/acme/demo", "hostname contains empty label (two consecutive periods)"),
        (
            "xn--caf-dma.com/acme/demo",
            'hostname label "xn--caf-dma" specified in punycode format; service hostnames '
            "must be given in unicode",
        ),
        ("exa_mple.com/acme/demo", "idna: disallowed rune U+005F"),
        ("ex ample.com/acme/demo", "idna: disallowed rune U+0020"),
        ("-example.com/acme/demo", 'idna: invalid label "-example"'),
        ("ex--ample.com/acme/demo", 'idna: invalid label "ex--ample"'),
        ("ab--cd.com/acme/demo", 'idna: invalid label "ab--cd"'),
    ],
)
def test_parse_provider_source_errors(source: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_provider_source(source)
    assert message in str(err.value)


def test_parse_provider_part() -> None:
    assert parse_provider_part("AWS") == "aws"
    assert parse_provider_part("google-beta") == "google-beta"
    for bad, message in [
        ("", "must have at least one character"),
        ("a.b", "dots are not allowed"),
        ("a--b", "cannot use multiple consecutive dashes"),
        ("a_b", "must contain only letters, digits, and dashes"),
        ("-a", "may not use leading or trailing dashes"),
        ("a b", "must contain only letters"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_provider_part(bad)


def test_hostnames() -> None:
    assert normalize_hostname("Registry.Terraform.IO") == "registry.terraform.io"
    assert normalize_hostname("example.com:443") == "example.com"
    assert hostname_for_display("xn--caf-dma.com:8443") == "café.com:8443"
    assert hostname_for_display("example.com") == "example.com"
    with pytest.raises(ValueError, match="empty string is not a valid hostname"):
        normalize_hostname(":8080")


@pytest.mark.parametrize(
    ("label", "message"),
    [
        (
            "Example.com/acme/demo",
            "Non-normalized provider source address: The provider source address for this "
            'provider lock must be written as "example.com/acme/demo", the fully-qualified and '
            "normalized form.",
        ),
        ("acme/demo", 'must be written as "registry.terraform.io/acme/demo"'),
        ("aws", 'must be written as "registry.terraform.io/hashicorp/aws"'),
        ("example.com:443/acme/demo", 'must be written as "example.com/acme/demo"'),
        (
            "terraform.io/builtin/terraform",
            "Invalid provider source address: Cannot lock a version for built-in provider "
            "terraform.io/builtin/terraform.",
        ),
        (
            "registry.terraform.io/-/demo",
            "Provider source address registry.terraform.io/-/demo is a special provider that is "
            "not eligible for dependency locking.",
        ),
        (
            "xn--caf-dma.com/acme/demo",
            "Invalid provider source address: The provider source address for a provider lock "
            'must be a valid, fully-qualified address of the form "hostname/namespace/type".',
        ),
        ("example.com/my_org/demo", "must be a valid, fully-qualified address"),
    ],
)
def test_parse_lock_label_errors(label: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_lock_label(label)
    assert message in str(err.value)


def test_parse_lock_label_accepts_normalised() -> None:
    assert parse_lock_label("registry.terraform.io/hashicorp/aws") == ProviderAddress(
        "registry.terraform.io", "hashicorp", "aws"
    )
    assert str(parse_lock_label("localhost:18444/acme/demo")) == "localhost:18444/acme/demo"
    assert parse_lock_label("registry.opentofu.org/hashicorp/aws").hostname == (
        "registry.opentofu.org"
    )


def test_implied_provider() -> None:
    assert str(implied_provider("aws")) == "registry.terraform.io/hashicorp/aws"
    assert str(implied_provider("terraform")) == "terraform.io/builtin/terraform"
    assert implied_provider("terraform").is_builtin
    assert not implied_provider("terraform").is_lockable
    assert str(implied_provider("Google")) == "registry.terraform.io/hashicorp/google"
    with pytest.raises(ValueError):
        implied_provider("not_valid")


def test_sorting_matches_terraform_less_than() -> None:
    # tfaddr.Provider.LessThan: hostname, then namespace, then type.
    addresses = [
        parse_provider_source(s)
        for s in ["z.example/a/a", "registry.terraform.io/b/a", "aws", "hashicorp/archive", "a/z"]
    ]
    assert [str(a) for a in sorted(addresses)] == [
        "registry.terraform.io/a/z",
        "registry.terraform.io/b/a",
        "registry.terraform.io/hashicorp/archive",
        "registry.terraform.io/hashicorp/aws",
        "z.example/a/a",
    ]
