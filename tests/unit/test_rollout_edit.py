"""Rewriting version pins in place (depguard.rollout.edit): only the version string changes."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.aqua_config import load_config
from depguard.formats.tf_address import implied_provider, parse_provider_source
from depguard.formats.tf_scan import TfFile, scan_tf, scan_tf_json
from depguard.formats.yaml_lines import LineDict, get_str, load_yaml
from depguard.rollout.edit import (
    set_aqua_package_version,
    set_provider_constraint,
    set_required_version,
    set_terraform_version_file,
)

AWS = "registry.terraform.io/hashicorp/aws"


# --- helpers ---------------------------------------------------------------------------------


def rp(entries: str, nl: str = "\n") -> str:
    """A ``terraform { required_providers { … } }`` file around ``entries``."""
    return f"terraform {{{nl}  required_providers {{{nl}{entries}  }}{nl}}}{nl}"


def changed_regions(old: str, new: str) -> list[tuple[str, str]]:
    """The (old, new) text of every region where ``new`` differs from ``old``."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(old[a:b], new[c:d]) for op, a, b, c, d in matcher.get_opcodes() if op != "equal"]


def assert_only_inside(old: str, new: str, old_value: str, new_value: str) -> None:
    """Every difference between ``old`` and ``new`` lies inside the version strings."""
    regions = changed_regions(old, new)
    assert regions
    for before, after in regions:
        assert before in old_value and after in new_value, (before, after)


def provider_versions(tf: TfFile, address: str) -> list[str | None]:
    """The versions of ``address`` in a scanned file, as the project's scanner reads them."""
    target = parse_provider_source(address)
    found = []
    for block in tf.required_providers:
        for entry in block:
            source = entry.source
            addr = parse_provider_source(source) if source else implied_provider(entry.name)
            if addr == target:
                found.append(entry.version)
    return found


Edit = Callable[[str, str], tuple[str, int]]


def round_trip(edit: Edit, text: str, new: str, old: str) -> tuple[str, int]:
    """Apply ``edit(text, new)``, check the reverse edit restores the bytes; return it."""
    changed, count = edit(text, new)
    back, count_back = edit(changed, old)
    assert back == text
    assert count_back == count
    return changed, count


def tf_edit(address: str, path: str = "x.tf") -> Edit:
    return lambda text, value: set_provider_constraint(text, path, address, value)


def rv_edit(path: str) -> Edit:
    return lambda text, value: set_required_version(text, path, value)


def version_file_edit(text: str, value: str) -> tuple[str, int]:
    return set_terraform_version_file(text, ".terraform-version", value)


# --- set_provider_constraint: native syntax --------------------------------------------------

MULTI = """\
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    github = {
      source  = "integrations/github"
      version = "~> 6.0"
    }
  }
}
"""


def test_multi_line_object() -> None:
    new, count = round_trip(tf_edit(AWS), MULTI, "~> 6.0", "~> 5.0")
    assert count == 1
    assert new == MULTI.replace('"~> 5.0"', '"~> 6.0"')
    assert provider_versions(scan_tf(new, "versions.tf"), AWS) == ["~> 6.0"]
    assert provider_versions(scan_tf(new, "versions.tf"), "integrations/github") == ["~> 6.0"]


def test_single_line_object() -> None:
    text = rp('    aws = { source = "hashicorp/aws", version = "~> 5.0" }\n')
    new, count = round_trip(tf_edit(AWS), text, ">= 5.1, < 6", "~> 5.0")
    assert count == 1
    assert new == text.replace('"~> 5.0"', '">= 5.1, < 6"')


def test_single_line_object_version_first_and_colons() -> None:
    text = rp('    aws = { version: "1.0", source: "hashicorp/aws" }\n')
    new, count = set_provider_constraint(text, "x.tf", AWS, "2.0")
    assert (new, count) == (text.replace('"1.0"', '"2.0"'), 1)


@pytest.mark.parametrize(
    "address",
    [
        AWS,
        "hashicorp/aws",
        "aws",
        "Registry.Terraform.IO/HashiCorp/AWS",
        "registry.terraform.io:443/hashicorp/aws",
    ],
)
@pytest.mark.parametrize(
    "source", ['"hashicorp/aws"', '"registry.terraform.io/hashicorp/aws"', '"HashiCorp/AWS"', None]
)
def test_address_normalisation(address: str, source: str | None) -> None:
    src = f"      source = {source}\n" if source else ""
    text = rp(f'    aws = {{\n{src}      version = "1.0"\n    }}\n')
    new, count = set_provider_constraint(text, "x.tf", address, "2.0")
    assert count == 1
    assert new == text.replace('"1.0"', '"2.0"')


def test_other_providers_and_namespaces_do_not_match() -> None:
    text = rp(
        '    aws = {\n      source  = "mycorp/aws"\n      version = "1.0"\n    }\n'
        '    awscc = {\n      source  = "hashicorp/awscc"\n      version = "1.0"\n    }\n'
        '    aws2 = {\n      source  = "example.com/hashicorp/aws"\n      version = "1.0"\n    }\n'
    )
    assert set_provider_constraint(text, "x.tf", AWS, "2.0") == (text, 0)
    new, count = set_provider_constraint(text, "x.tf", "example.com/hashicorp/aws", "2.0")
    assert count == 1
    assert changed_regions(text, new) == [("1", "2")]
    assert new.index('"2.0"') > new.index("example.com")


def test_local_name_differs_from_type() -> None:
    text = rp('    amazon = {\n      source  = "hashicorp/aws"\n      version = "1.0"\n    }\n')
    assert set_provider_constraint(text, "x.tf", AWS, "2.0")[1] == 1
    # The local name alone never matches when there is a source.
    assert set_provider_constraint(text, "x.tf", "hashicorp/amazon", "2.0") == (text, 0)


def test_legacy_string_form() -> None:
    text = rp('    aws = "~> 2.0" # legacy\n    null = ">= 2"\n')
    new, count = round_trip(tf_edit(AWS), text, "~> 3.0", "~> 2.0")
    assert count == 1
    assert new == text.replace('"~> 2.0"', '"~> 3.0"')
    entry = scan_tf(new, "x.tf").required_providers[0][0]
    assert entry.shorthand
    assert entry.version == "~> 3.0"


COMMENTS = """\
# terraform { required_providers { aws = { version = "0.1" } } }
/* terraform {
  required_providers { aws = "0.2" }
} */
terraform { # {{{ "
  // } "
  required_providers { /* } { " */
    # aws = { source = "hashicorp/aws", version = "0.3" }
    aws = { # "{"
      /* "version" = "0.4" } */ source = "hashicorp/aws" // "}"
      version /* = "x" */ = /* "y" */ "~> 5.0" # }
    } // {
  }
}
"""


def test_comments_with_braces_and_quotes_everywhere() -> None:
    new, count = round_trip(tf_edit(AWS, "c.tf"), COMMENTS, "~> 6.0", "~> 5.0")
    assert count == 1
    assert changed_regions(COMMENTS, new) == [("5", "6")]
    assert provider_versions(scan_tf(new, "c.tf"), AWS) == ["~> 6.0"]


TRICKY = r"""locals {
  a = "terraform { \" } ${var.x} %{ if true }{{%{ endif }"
  b = <<-EOT
    terraform {
      required_providers {
        aws = { source = "hashicorp/aws", version = "0.1" }
  EOT
  terraform = { required_providers = { aws = { version = "0.2" } } }
}
module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0"
}
provider "aws" {
  version = "~> 5.0"
  region  = "eu-west-1"
}
resource "aws_s3_bucket" "b" {
  bucket = "}}}"
  dynamic "x" {
    for_each = { a = "}" }
  }
}
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
"""


def test_other_blocks_with_tricky_strings_and_heredocs_are_skipped() -> None:
    new, count = round_trip(tf_edit(AWS, "main.tf"), TRICKY, "~> 6.0", "~> 5.0")
    assert count == 1
    assert changed_regions(TRICKY, new) == [("5", "6")]
    assert new.index('"~> 6.0"') > new.rindex("terraform {")
    tf = scan_tf(new, "main.tf")
    assert tf.provider_blocks[0].version == "~> 5.0"
    assert tf.module_calls[0].version == "5.0"


def test_only_provider_block_or_module_versions_mean_no_pin() -> None:
    text = (
        'provider "aws" {\n  version = "~> 5.0"\n}\n'
        'module "aws" {\n  source  = "x"\n  version = "~> 5.0"\n}\n'
    )
    assert set_provider_constraint(text, "x.tf", AWS, "~> 6.0") == (text, 0)
    assert set_required_version(text, "x.tf", "1.0") == (text, 0)


def test_several_terraform_and_required_providers_blocks() -> None:
    text = """\
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

terraform {
  backend "s3" {}
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
"""
    new, count = round_trip(tf_edit(AWS), text, "~> 6.0", "~> 5.0")
    assert count == 2
    assert new == text.replace("~> 5.0", "~> 6.0")
    assert provider_versions(scan_tf(new, "x.tf"), AWS) == ["~> 6.0", "~> 6.0"]


def test_crlf_tabs_and_bom_are_kept() -> None:
    text = (
        "\ufeffterraform {\r\n\trequired_providers {\r\n\t\taws = {\r\n"
        '\t\t\tsource  = "hashicorp/aws"\r\n\t\t\tversion = "~> 5.0"\r\n\t\t}\r\n\t}\r\n}\r\n'
    )
    new, count = round_trip(tf_edit(AWS), text, "~> 6.0", "~> 5.0")
    assert count == 1
    assert new == text.replace("~> 5.0", "~> 6.0")


def test_value_already_set_counts_but_changes_nothing() -> None:
    assert set_provider_constraint(MULTI, "x.tf", AWS, "~> 5.0") == (MULTI, 1)


def test_no_terraform_block() -> None:
    text = 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n'
    assert set_provider_constraint(text, "main.tf", AWS, "1.0") == (text, 0)
    assert set_provider_constraint("", "empty.tf", AWS, "1.0") == ("", 0)
    assert set_provider_constraint("terraform {}\n", "t.tf", AWS, "1.0") == ("terraform {}\n", 0)


def test_constraint_is_escaped_as_an_hcl_string() -> None:
    odd = 'a "quoted" \\ ${x} %{y}'
    new, _ = round_trip(tf_edit(AWS), MULTI, odd, "~> 5.0")
    assert '"a \\"quoted\\" \\\\ $${x} %%{y}"' in new
    assert provider_versions(scan_tf(new, "x.tf"), AWS) == [odd]


def test_escapes_in_the_old_value_are_decoded_before_comparing() -> None:
    text = rp(
        '    aws = {\n      source  = "hashicorp/\\u0061ws"\n'
        '      version = "\\u007e> 5.0"\n    }\n'
    )
    assert set_provider_constraint(text, "x.tf", AWS, "~> 5.0") == (text, 1)
    new, count = set_provider_constraint(text, "x.tf", AWS, "~> 6.0")
    assert count == 1
    assert new == text.replace('"\\u007e> 5.0"', '"~> 6.0"')


# -- inserting a missing version --

SRC = 'source = "hashicorp/aws"'
VER = 'version = "~> 6.0"'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            f"    aws = {{\n      {SRC}\n    }}\n",
            f"    aws = {{\n      {SRC}\n      {VER}\n    }}\n",
            id="multi-line",
        ),
        pytest.param(
            '    aws = {\n      source                = "hashicorp/aws"\n'
            "      configuration_aliases = [aws.west]\n    }\n",
            '    aws = {\n      source                = "hashicorp/aws"\n'
            '      version               = "~> 6.0"\n'
            "      configuration_aliases = [aws.west]\n    }\n",
            id="aligned",
        ),
        pytest.param(
            f"    aws = {{\n      {SRC}, # the official one {{\n    }}\n",
            f"    aws = {{\n      {SRC}, # the official one {{\n      {VER}\n    }}\n",
            id="comment-after-source",
        ),
        pytest.param(
            f"    aws = {{ {SRC} }}\n",
            f"    aws = {{ {SRC}, {VER} }}\n",
            id="single-line",
        ),
        pytest.param(
            f"    aws = {{ {SRC}, configuration_aliases = [aws.a] }}\n",
            f"    aws = {{ {SRC}, {VER}, configuration_aliases = [aws.a] }}\n",
            id="single-line-more-items",
        ),
        pytest.param(
            f"    aws = {{ {SRC}\n    }}\n",
            f"    aws = {{ {SRC}, {VER}\n    }}\n",
            id="source-on-brace-line",
        ),
        pytest.param("    aws = {}\n", f"    aws = {{ {VER} }}\n", id="empty-object"),
        pytest.param(
            "    aws = {\n      configuration_aliases = [aws.a]\n    }\n",
            f"    aws = {{\n      {VER}\n      configuration_aliases = [aws.a]\n    }}\n",
            id="no-source-multi-line",
        ),
        pytest.param(
            "    aws = { configuration_aliases = [aws.a] }\n",
            f"    aws = {{ {VER}, configuration_aliases = [aws.a] }}\n",
            id="no-source-single-line",
        ),
        pytest.param(
            "    aws = {\n    }\n",
            f"    aws = {{\n      {VER}\n    }}\n",
            id="no-source-empty-multi-line",
        ),
        pytest.param(
            "    aws = { /* none */ }\n",
            f"    aws = {{ {VER} /* none */ }}\n",
            id="no-source-comment-only",
        ),
    ],
)
def test_missing_version_is_inserted(before: str, after: str) -> None:
    text, expected = rp(before), rp(after)
    new, count = set_provider_constraint(text, "x.tf", AWS, "~> 6.0")
    assert (new, count) == (expected, 1)
    assert provider_versions(scan_tf(new, "x.tf"), AWS) == ["~> 6.0"]
    # Once inserted, the version is edited in place like any other.
    again, _ = set_provider_constraint(new, "x.tf", AWS, "~> 7.0")
    assert again == expected.replace("~> 6.0", "~> 7.0")


def test_inserted_line_uses_the_files_line_ending_and_tabs() -> None:
    text = rp('\t\taws = {\r\n\t\t\tsource = "hashicorp/aws"\r\n\t\t}\r\n', "\r\n")
    new, count = set_provider_constraint(text, "x.tf", AWS, "1.0")
    assert count == 1
    assert new == text.replace('aws"\r\n', 'aws"\r\n\t\t\tversion = "1.0"\r\n')


# -- errors --


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (rp(f"    aws = {{\n      {SRC}\n")[:-2], 2, "Unclosed"),
        (rp('    aws = {\n      source = "hashicorp/aws\n    }\n'), 4, "string"),
        (rp('    aws = "1.0"\n') + "}\n", 6, '"}"'),
        ("terraform {\n  /* never closed\n}\n", 2, "Unterminated comment"),
        ('locals {\n  a = "x\n}\n', 2, "string"),
        ("locals {\n  a = [1, 2\n}\n", 3, "brackets"),
        (rp('    aws = {\n      version = "${var.v}"\n    }\n'), 4, "literal"),
        (rp('    aws = {\n      source = "a/b/c/d"\n    }\n'), 4, "Invalid provider source"),
        (rp("    aws {\n    }\n"), 3, "Blocks are not allowed"),
        (rp("    aws = var.x\n"), 3, "strings or objects"),
        (rp('    aws = {\n      version = "1"\n      version = "2"\n    }\n'), 5, "Duplicate"),
        (
            rp('    aws = {\n      other = "x"\n      "source" "hashicorp/aws"\n    }\n'),
            5,
            "separa",
        ),
        ("terraform {\n  required_version = 1.0\n}\n", 2, "literal string"),
        ('resource "a" "b" c" {\n}\n', 1, "string"),
        ("= 1\n", 1, "Argument or block definition required"),
    ],
)
def test_malformed_input_raises_input_error_with_line(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as info:
        set_provider_constraint(text, "bad.tf", AWS, "1.0")
    assert info.value.path == "bad.tf"
    assert info.value.line == line
    assert message in info.value.reason


def test_malformed_required_version_file() -> None:
    with pytest.raises(InputError) as info:
        set_required_version('terraform {\n  required_version = ">= 1.0\n}\n', "v.tf", "1.0")
    assert info.value.line == 2


def test_invalid_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="Invalid provider"):
        set_provider_constraint(MULTI, "x.tf", "not/a/valid/address", "1.0")
    with pytest.raises(ValueError, match="empty"):
        set_provider_constraint(MULTI, "x.tf", AWS, "")
    with pytest.raises(ValueError, match="empty"):
        set_required_version(MULTI, "x.tf", "")


# --- set_provider_constraint: JSON syntax ------------------------------------------------------

JSON_TF = """\
{
  "terraform": {
    "required_version": ">= 1.5",
    "required_providers": {
      "//": "aws = { version = \\"0.1\\" }",
      "aws": {
        "source": "hashicorp/aws",
        "version": "~> 5.0"
      },
      "null": "~> 3.0"
    }
  },
  "provider": {"aws": {"version": "~> 5.0"}},
  "module": {"m": {"source": "x", "version": "~> 5.0"}}
}
"""


def test_json_object_entry() -> None:
    new, count = round_trip(tf_edit(AWS, "x.tf.json"), JSON_TF, "~> 6.0", "~> 5.0")
    assert count == 1
    assert changed_regions(JSON_TF, new) == [("5", "6")]
    tf = scan_tf_json(new, "x.tf.json")
    assert provider_versions(tf, AWS) == ["~> 6.0"]
    assert tf.provider_blocks[0].version == "~> 5.0"
    assert tf.module_calls[0].version == "~> 5.0"


def test_json_shorthand_and_arrays_of_blocks() -> None:
    text = (
        '{"terraform": [{"required_providers": [{"null": "~> 3.0"}, '
        '{"null": {"version": "~> 3.0"}}]}, {"required_providers": {"null": "~> 3.0"}}]}'
    )
    new, count = round_trip(tf_edit("hashicorp/null", "x.tf.json"), text, "~> 3.2", "~> 3.0")
    assert count == 3
    assert new == text.replace("~> 3.0", "~> 3.2")
    assert provider_versions(scan_tf_json(new, "x.tf.json"), "hashicorp/null") == ["~> 3.2"] * 3


def test_json_missing_version_is_inserted() -> None:
    text = (
        '{\n  "terraform": {\n    "required_providers": {\n      "aws": {\n'
        '        "source": "hashicorp/aws"\n      }\n    }\n  }\n}\n'
    )
    new, count = set_provider_constraint(text, "x.tf.json", AWS, "~> 6.0")
    assert count == 1
    assert new == text.replace('aws"\n', 'aws",\n        "version": "~> 6.0"\n')
    inline = '{"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}, "b": {}}}}'
    new, _ = set_provider_constraint(inline, "x.tf.json", AWS, "1")
    assert new == inline.replace('"hashicorp/aws"', '"hashicorp/aws", "version": "1"')
    new, _ = set_provider_constraint(inline, "x.tf.json", "hashicorp/b", "1")
    assert '"b": {"version": "1"}' in new
    assert provider_versions(scan_tf_json(new, "x.tf.json"), "hashicorp/b") == ["1"]


def test_json_errors() -> None:
    with pytest.raises(InputError) as info:
        set_provider_constraint('{\n  "terraform": {,\n}', "x.tf.json", AWS, "1")
    assert info.value.line == 2
    bad = '{"terraform": {"required_providers": {"aws": {"version": 1}}}}'
    with pytest.raises(InputError, match="must be a string"):
        set_provider_constraint(bad, "x.tf.json", AWS, "1")
    with pytest.raises(InputError, match="root must be an object"):
        set_provider_constraint("[]", "x.tf.json", AWS, "1")
    assert set_provider_constraint("{}", "x.tf.json", AWS, "1") == ("{}", 0)
    # A JSON string is a template: "${" cannot be written there as a literal constraint.
    with pytest.raises(ValueError, match="template"):
        set_provider_constraint(JSON_TF, "x.tf.json", AWS, "${var.v}")
    with pytest.raises(ValueError, match="template"):
        set_required_version(JSON_TF, "x.tf.json", "%{x}")


# --- set_required_version ------------------------------------------------------------------------


def test_required_version_in_every_terraform_block() -> None:
    text = """\
terraform {
  required_version = ">= 1.0" # keep
  backend "s3" {
    required_version = "not me"
  }
}
terraform { required_version = ">= 1.0" }
terraform {
  cloud {}
}
module "m" {
  required_version = "not me either"
}
"""
    new, count = round_trip(rv_edit("x.tf"), text, "~> 1.9", ">= 1.0")
    assert count == 2
    assert new == text.replace('">= 1.0"', '"~> 1.9"')
    assert [v.value for v in scan_tf(new, "x.tf").required_versions] == ["~> 1.9", "~> 1.9"]


def test_required_version_absent_and_json() -> None:
    without = MULTI.replace('  required_version = ">= 1.5"\n', "")
    assert set_required_version(without, "x.tf", "1") == (without, 0)
    new, count = round_trip(rv_edit("x.tf.json"), JSON_TF, "~> 1.9", ">= 1.5")
    assert count == 1
    assert [v.value for v in scan_tf_json(new, "x.tf.json").required_versions] == ["~> 1.9"]


def test_required_version_crlf() -> None:
    text = 'terraform {\r\n  required_version = "1.5.0"\r\n}\r\n'
    assert set_required_version(text, "x.tf", "1.6.0") == (text.replace("1.5.0", "1.6.0"), 1)


# --- set_aqua_package_version ----------------------------------------------------------------

AQUA = """\
---
# aqua - Declarative CLI Version Manager
# https://aquaproj.github.io/
checksum:
  enabled: true
registries:
  - type: standard
    ref: v4.300.0 # renovate: depName=aquaproj/aqua-registry
packages:
  - name: hashicorp/terraform@v1.9.0 # renovate: depName=hashicorp/terraform
  - name: "suzuki-shunsuke/tfcmt@v4.14.0"
  - name: 'terraform-linters/tflint@v0.50.0'
  - name: int128/ghcp
    version: v1.13.0 # renovate: depName=int128/ghcp
  - null
  - {name: cli/cli, version: "v2.40.0"}
  - name: golang/go
    go_version_file: go.mod
  - import: imports/*.yaml
  - name: hashicorp/terraform-ls@v0.32.0
"""


def aqua_versions(text: str, package: str) -> list[str]:
    """Effective versions of ``package`` as aqua reads them (go-yaml text; name@ wins)."""
    data = load_yaml(text, "aqua.yaml")
    found = []
    for item in data.get("packages") or ():
        if not isinstance(item, LineDict) or "name" not in item:
            continue
        if "go_version_file" in item or "version_expr" in item:
            continue
        name, _, version = (get_str(item, "name", "aqua.yaml") or "").partition("@")
        if name == package:
            found.append(version or get_str(item, "version", "aqua.yaml") or "")
    return found


def aqua_edit(package: str, path: str = "aqua.yaml") -> Edit:
    return lambda text, value: set_aqua_package_version(text, path, package, value)


@pytest.mark.parametrize(
    ("package", "old", "new", "written"),
    [
        ("hashicorp/terraform", "v1.9.0", "v1.10.1", "hashicorp/terraform@{}"),
        ("suzuki-shunsuke/tfcmt", "v4.14.0", "v4.14.1", '"suzuki-shunsuke/tfcmt@{}"'),
        ("terraform-linters/tflint", "v0.50.0", "v0.51.0", "'terraform-linters/tflint@{}'"),
        ("int128/ghcp", "v1.13.0", "v1.14.0", "version: {} #"),
        ("cli/cli", "v2.40.0", "v2.41.0", 'version: "{}"}}'),
        ("hashicorp/terraform-ls", "v0.32.0", "v0.33.0", "hashicorp/terraform-ls@{}\n"),
    ],
)
def test_aqua_forms(package: str, old: str, new: str, written: str) -> None:
    changed, count = round_trip(aqua_edit(package), AQUA, new, old)
    assert count == 1
    assert changed == AQUA.replace(written.format(old), written.format(new))
    assert_only_inside(AQUA, changed, old, new)
    assert aqua_versions(changed, package) == [new]


def test_aqua_name_compare_is_exact() -> None:
    for other in (
        "hashicorp/terraform-l",
        "Hashicorp/Terraform",
        "hashicorp",
        "terraform",
        "hashicorp/terraform/x",
    ):
        assert set_aqua_package_version(AQUA, "aqua.yaml", other, "v9") == (AQUA, 0)


def test_aqua_entries_that_are_not_pins() -> None:
    # go_version_file, version_expr and import entries, registries' refs, other shapes.
    assert set_aqua_package_version(AQUA, "aqua.yaml", "golang/go", "1.22.0") == (AQUA, 0)
    registry = "aquaproj/aqua-registry"
    assert set_aqua_package_version(AQUA, "aqua.yaml", registry, "v4.301.0") == (AQUA, 0)
    for text in (
        "packages:\n  - name: a/b@v1\n    version_expr: readFile('.v')\n",
        "packages:\n  - name: a/b\n",
        "registries: []\n",
        "- a\n",
        "packages:\n",
        "packages: {name: a/b@v1}\n",
        "",
    ):
        assert set_aqua_package_version(text, "aqua.yaml", "a/b", "v2") == (text, 0)


def test_aqua_name_version_wins_over_version_key() -> None:
    text = "packages:\n  - name: a/b@v1\n    version: v0\n"
    new, count = set_aqua_package_version(text, "aqua.yaml", "a/b", "v2")
    assert (new, count) == ("packages:\n  - name: a/b@v2\n    version: v0\n", 1)
    # name@ with nothing after it: aqua falls back to version:
    text = "packages:\n  - name: a/b@\n    version: v1\n"
    assert set_aqua_package_version(text, "aqua.yaml", "a/b", "v2")[0] == text.replace("v1", "v2")


def test_aqua_several_entries_crlf_and_import_file() -> None:
    text = "packages:\r\n- name: a/b@v1.0\r\n- name: c/d@v1.0\r\n- name: a/b\r\n  version: v1.0\r\n"
    new, count = round_trip(aqua_edit("a/b", "imports/a.yaml"), text, "v1.1", "v1.0")
    assert count == 2
    assert new == text.replace("a/b@v1.0", "a/b@v1.1").replace("version: v1.0", "version: v1.1")


def test_aqua_already_at_version() -> None:
    assert set_aqua_package_version(AQUA, "aqua.yaml", "int128/ghcp", "v1.13.0") == (AQUA, 1)


def test_aqua_quoting_follows_what_reads_back() -> None:
    text = "packages:\n  - name: a/b\n    version: 1.9\n  - name: 'c/d@it''s'\n"
    # A plain scalar stays plain (aqua reads the text as written: "1.10", not 1.1)...
    new, _ = round_trip(aqua_edit("a/b"), text, "1.10", "1.9")
    assert new == text.replace("1.9", "1.10")
    assert aqua_versions(new, "a/b") == ["1.10"]
    # ...and is quoted when another reader could take it for something else.
    new, _ = set_aqua_package_version(text, "a.yaml", "a/b", "yes")
    assert new == text.replace("1.9", '"yes"')
    new, _ = set_aqua_package_version(text, "a.yaml", "a/b", "v1,{x}")
    assert aqua_versions(new, "a/b") == ["v1,{x}"]
    # Single quotes are doubled inside a single-quoted scalar.
    new, _ = round_trip(aqua_edit("c/d"), text, "v'2", "it's")
    assert "'c/d@v''2'" in new
    assert aqua_versions(new, "c/d") == ["v'2"]


def test_aqua_escaped_scalar_is_rewritten_whole() -> None:
    text = 'packages:\n  - name: "a/b@\\x761"\n'
    new, count = set_aqua_package_version(text, "a.yaml", "a/b", "v2")
    assert (new, count) == ('packages:\n  - name: "a/b@v2"\n', 1)


def test_aqua_refusals() -> None:
    alias = "x: &v v1\npackages:\n  - name: a/b\n    version: *v\n"
    with pytest.raises(InputError, match="alias") as info:
        set_aqua_package_version(alias, "a.yaml", "a/b", "v2")
    assert info.value.line == 3
    named = "x: &n a/b@v1\npackages:\n  - name: *n\n"
    with pytest.raises(InputError, match="alias") as info:
        set_aqua_package_version(named, "a.yaml", "a/b", "v2")
    assert info.value.line == 3
    assert set_aqua_package_version(named, "a.yaml", "c/d", "v2") == (named, 0)
    merged = "x: &m {version: v1}\npackages:\n  - name: a/b\n    <<: *m\n"
    with pytest.raises(InputError, match="merge key"):
        set_aqua_package_version(merged, "a.yaml", "a/b", "v2")
    block = "packages:\n  - name: a/b\n    version: |\n      v1\n"
    with pytest.raises(InputError, match="block scalar"):
        set_aqua_package_version(block, "a.yaml", "a/b", "v2")
    with pytest.raises(InputError) as info:
        set_aqua_package_version("packages:\n  - name: a/b@v1\n   bad: [\n", "a.yaml", "a/b", "v2")
    assert info.value.path == "a.yaml"
    assert info.value.line is not None
    with pytest.raises(InputError, match="duplicate key"):
        set_aqua_package_version("packages: []\npackages: []\n", "a.yaml", "a/b", "v2")
    for bad in ("", "v1 v2", "v1#x", "v1\n"):
        with pytest.raises(ValueError, match="one word"):
            set_aqua_package_version(AQUA, "a.yaml", "a/b", bad)


def test_aqua_result_loads_with_the_config_loader(tmp_path: Path) -> None:
    new, _ = set_aqua_package_version(AQUA, "aqua.yaml", "hashicorp/terraform", "v1.10.0")
    (tmp_path / "aqua.yaml").write_text(new, newline="")
    (tmp_path / "imports").mkdir()
    config = load_config(tmp_path / "aqua.yaml")
    versions = {p.name: p.version for p in config.packages}
    assert versions["hashicorp/terraform"] == "v1.10.0"
    assert versions["int128/ghcp"] == "v1.13.0"


# --- set_terraform_version_file --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "count"),
    [
        ("1.5.0\n", "1.6.0\n", 1),
        ("1.5.0", "1.6.0", 1),
        ("1.5.0\r\n", "1.6.0\r\n", 1),
        ("# pinned\n\n  1.5.0  # why\nextra\n", "# pinned\n\n  1.6.0  # why\nextra\n", 1),
        ("\ufeff1.5.0\n", "\ufeff1.6.0\n", 1),
        ("latest:^1.5\n", "1.6.0\n", 1),
        ("1.5.0#x\n", "1.6.0#x\n", 1),
        ("1.5.0 other\n", "1.6.0 other\n", 1),
        ("#1.5.0\n", "#1.5.0\n", 0),
        ("", "", 0),
        ("\n  \n# x\n", "\n  \n# x\n", 0),
        ("1.6.0\n", "1.6.0\n", 1),
    ],
)
def test_terraform_version_file(text: str, expected: str, count: int) -> None:
    assert set_terraform_version_file(text, ".terraform-version", "1.6.0") == (expected, count)


def test_terraform_version_file_round_trip_and_errors() -> None:
    round_trip(version_file_edit, "# tfenv\n1.5.7\n", "1.9.8", "1.5.7")
    for bad in ("", "1.5 1.6", "1.5#"):
        with pytest.raises(ValueError, match="one word"):
            set_terraform_version_file("1.5.7\n", ".terraform-version", bad)


# --- properties ------------------------------------------------------------------------------

CONSTRAINTS = st.text(st.sampled_from(list('0123456789.~>=<!, -+abcrv"\\$%{}')), min_size=1)
WORDS = st.from_regex(r"v?[0-9]{1,3}(\.[0-9]{1,3}){0,2}(-[a-z0-9.]{1,6})?", fullmatch=True)
TF_TEXTS = {"x.tf": MULTI, "c.tf": COMMENTS, "t.tf": TRICKY, "x.tf.json": JSON_TF}


@settings(max_examples=200, deadline=None)
@given(constraint=CONSTRAINTS, path=st.sampled_from(sorted(TF_TEXTS)))
def test_property_provider_round_trip(constraint: str, path: str) -> None:
    text = TF_TEXTS[path]
    if path.endswith(".json") and ("${" in constraint or "%{" in constraint):
        with pytest.raises(ValueError, match="template"):
            set_provider_constraint(text, path, AWS, constraint)
        return
    new, count = round_trip(tf_edit(AWS, path), text, constraint, "~> 5.0")
    assert count == 1
    tf = scan_tf_json(new, path) if path.endswith(".json") else scan_tf(new, path)
    assert provider_versions(tf, AWS) == [constraint]
    # Only the version string differs: same text before it and after it.
    start = text.index('"~> 5.0"', text.rindex("hashicorp/aws"))
    tail = len(text) - start - len('"~> 5.0"')
    assert new[:start] == text[:start]
    assert new[len(new) - tail :] == text[len(text) - tail :]


@settings(max_examples=150, deadline=None)
@given(
    version=WORDS,
    package=st.sampled_from(["hashicorp/terraform", "int128/ghcp", "cli/cli", "tflint"]),
)
def test_property_aqua_round_trip(version: str, package: str) -> None:
    package = "terraform-linters/tflint" if package == "tflint" else package
    (old,) = aqua_versions(AQUA, package)
    new, count = round_trip(aqua_edit(package), AQUA, version, old)
    assert count == 1
    assert aqua_versions(new, package) == [version]
    if version != old:
        assert_only_inside(AQUA, new, old, version)


@settings(max_examples=100, deadline=None)
@given(version=WORDS)
def test_property_required_version_and_version_file(version: str) -> None:
    new, _ = round_trip(rv_edit("x.tf"), MULTI, version, ">= 1.5")
    assert [v.value for v in scan_tf(new, "x.tf").required_versions] == [version]
    round_trip(version_file_edit, "# x\n1.5.0\n", version, "1.5.0")


# --- the corpus ------------------------------------------------------------------------------


def test_corpus_tf_files_round_trip(corpus: Path) -> None:
    renovate = corpus / "renovate"
    files = sorted(renovate.glob("commits/*/base/**/*.tf")) + sorted(renovate.glob("probe/**/*.tf"))
    files += sorted((corpus / "terraform" / "real").rglob("*.tf"))
    entries = required_versions = 0
    for file in files:
        text = file.read_text(encoding="utf-8")
        path = str(file)
        tf = scan_tf(text, path)
        for block in tf.required_providers:
            for entry in block:
                source = entry.source
                address = str(
                    parse_provider_source(source) if source else implied_provider(entry.name)
                )
                assert entry.version is not None, path
                new, count = round_trip(
                    tf_edit(address, path), text, ">= 99.0, < 100", entry.version
                )
                assert provider_versions(scan_tf(new, path), address) == [">= 99.0, < 100"] * count
                assert_only_inside(text, new, f'"{entry.version}"', '">= 99.0, < 100"')
                entries += 1
        if tf.required_versions:
            old = tf.required_versions[0].value
            new, count = round_trip(rv_edit(path), text, "~> 1.99", old)
            assert [v.value for v in scan_tf(new, path).required_versions] == ["~> 1.99"] * count
            required_versions += 1
    assert entries >= 10, f"only {entries} required_providers entries in the corpus"
    assert required_versions >= 10


_AQUA_CONFIG = re.compile(r"\.?aqua(-global[\w-]*)?\.ya?ml")


def _corpus_aqua_files(corpus: Path) -> list[Path]:
    roots = [
        corpus / "aqua" / "examples",
        *sorted((corpus / "renovate" / "commits").glob("*/base")),
    ]
    found = [
        p
        for root in roots
        for p in sorted(root.rglob("*.y*ml"))
        if _AQUA_CONFIG.fullmatch(p.name) or p.parent.name == "imports"
    ]
    return found


def test_corpus_aqua_files_round_trip(corpus: Path) -> None:
    edited = 0
    for file in _corpus_aqua_files(corpus):
        text = file.read_text(encoding="utf-8")
        path = str(file)
        data = load_yaml(text, path)
        packages = data.get("packages") if isinstance(data, LineDict) else None
        names = {
            str(p["name"]).partition("@")[0]
            for p in packages or ()
            if isinstance(p, LineDict) and "name" in p
        }
        for name in sorted(names):
            before = aqua_versions(text, name)
            if not before or "" in before:
                continue  # version_expr / go_version_file / import only
            new, count = set_aqua_package_version(text, path, name, "v99.0.0")
            assert count == len(before), (path, name)
            assert aqua_versions(new, name) == ["v99.0.0"] * count
            if len(set(before)) == 1:
                assert set_aqua_package_version(new, path, name, before[0]) == (text, count)
                assert_only_inside(text, new, before[0], "v99.0.0")
            edited += 1
    assert edited >= 60, f"only {edited} aqua packages in the corpus"


# Renovate PRs whose change to a file is one pin: the base file edited with the head's version
# must be the head file, byte for byte.
GITHUB = "registry.terraform.io/integrations/github"
ORACLE = [
    ("01-tfaction-example-pr928", "github/services/bar/terraform.tf", GITHUB, "~> 5.0"),
    ("02-tfaction-example-pr929", "github/services/foo/terraform.tf", GITHUB, "~> 5.0"),
    ("03-tfaction-example-pr930", "templates/github/terraform.tf", GITHUB, "~> 5.0"),
    *(
        (
            "10-tfaction-example-pr4752",
            f"{d}/aqua/imports/terraform.yaml",
            "aqua:hashicorp/terraform",
            "v1.15.8",
        )
        for d in ("github/services/bar", "github/services/foo", "templates/github")
    ),
    (
        "12-tfaction-pr4252",
        "install/aqua/imports/tfcmt.yaml",
        "aqua:suzuki-shunsuke/tfcmt",
        "v4.14.18",
    ),
]


@pytest.mark.parametrize(
    ("commit", "file", "dep", "version"), ORACLE, ids=[f"{c[:2]}:{f}" for c, f, *_ in ORACLE]
)
def test_renovate_pr_oracle(corpus: Path, commit: str, file: str, dep: str, version: str) -> None:
    pr = corpus / "renovate" / "commits" / commit
    base = (pr / "base" / file).read_bytes().decode("utf-8")
    head = (pr / "head" / file).read_bytes().decode("utf-8")
    assert base != head
    if dep.startswith("aqua:"):
        new, count = set_aqua_package_version(base, file, dep[len("aqua:") :], version)
    else:
        new, count = set_provider_constraint(base, file, dep, version)
    assert count == 1
    assert new.encode("utf-8") == head.encode("utf-8")


def _aqua_pins(file: Path) -> dict[str, list[str]]:
    text = file.read_text(encoding="utf-8")
    data = load_yaml(text, str(file))
    packages = data.get("packages") if isinstance(data, LineDict) else None
    names = {
        str(p["name"]).partition("@")[0]
        for p in packages or ()
        if isinstance(p, LineDict) and "name" in p
    }
    return {name: aqua_versions(text, name) for name in names}


def test_renovate_oracle_covers_every_pin_change_in_the_corpus(corpus: Path) -> None:
    """Every .tf / aqua package file a corpus PR changes is an oracle case above, or a change
    none of these functions makes (an aqua registry ``ref``)."""
    covered = {(c, f) for c, f, *_ in ORACLE}
    registry_refs: set[str] = set()
    for base in sorted((corpus / "renovate" / "commits").glob("*/base")):
        commit = base.parent.name
        for file in sorted(base.rglob("*")):
            rel = file.relative_to(base).as_posix()
            head = base.parent / "head" / rel
            if not file.is_file() or not head.is_file() or head.read_bytes() == file.read_bytes():
                continue
            is_aqua = _AQUA_CONFIG.fullmatch(file.name) or file.parent.name == "imports"
            if rel.endswith(".tf") or (is_aqua and _aqua_pins(file) != _aqua_pins(head)):
                assert (commit, rel) in covered, f"{commit}/{rel}: a pin change with no oracle"
            elif is_aqua:
                registry_refs.add(commit[:2])
    assert len(covered) == len(ORACLE)
    assert registry_refs == {"04", "05", "13"}
