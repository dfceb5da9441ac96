"""Module loading and provider requirements, checked against ``terraform providers`` output.

The expectations of the tree tests were produced by running Terraform v1.11.4
(``terraform init -backend=false && terraform providers``) on the same configuration.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from depguard.errors import InputError
from depguard.formats.tf_address import parse_provider_source
from depguard.formats.tf_config import (
    Requirements,
    is_local_module_source,
    is_state_directory,
    load_module,
    local_module_dirs,
    provider_requirements,
    remove_called_modules,
)
from depguard.formats.tf_scan import scan_tf_json

DATA = Path(__file__).resolve().parent.parent / "data" / "tf"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def summary(reqs: Requirements) -> dict[str, str | None]:
    """address -> canonical constraints ("" when unconstrained); unlockable marked None."""
    out: dict[str, str | None] = {str(p.address): p.constraints_string for p in reqs.providers}
    out.update({str(p.address): None for p in reqs.unlockable})
    return out


TREE = {
    "main.tf": """
terraform {
  required_providers {
    foo = { version = ">= 1.0" }
    aws2 = { source = "hashicorp/aws", version = "~> 5.0" }
    null = "~> 3.0"
  }
}
resource "foo_x" "a" {}
resource "bar_y" "a" {}
resource "aws_instance" "a" { provider = aws2 }
data "terraform_remote_state" "s" {}
resource "baz_z" "a" { provider = qux.alias }
provider "google" {}
ephemeral "eph_thing" "x" {}
module "child" { source = "./child" }
check "c" {
  data "checky_thing" "x" {}
  assert {
    condition = data.checky_thing.x.id == ""
    error_message = "x"
  }
}
""",
    "child/main.tf": """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.1" }
    foo = { source = "acme/foo" }
  }
}
resource "foo_bar" "x" {}
module "grand" { source = "../grand" }
""",
    "grand/main.tf": """
resource "aws_s3" "x" {}
resource "terraform_data" "x" {}
""",
}


def test_tree_matches_terraform_providers(tmp_path: Path) -> None:
    # terraform providers:
    #   hashicorp/foo >= 1.0.0, hashicorp/aws ~> 5.0, hashicorp/null ~> 3.0, hashicorp/bar,
    #   hashicorp/qux, terraform.io/builtin/terraform, hashicorp/eph, hashicorp/google,
    #   hashicorp/checky; module.child: hashicorp/aws >= 5.1.0, acme/foo;
    #   module.child.module.grand: hashicorp/aws, terraform.io/builtin/terraform
    reqs = provider_requirements(write(tmp_path / "root", TREE), "envs/prod")
    assert summary(reqs) == {
        "registry.terraform.io/acme/foo": "",
        "registry.terraform.io/hashicorp/aws": "~> 5.0, >= 5.1.0",
        "registry.terraform.io/hashicorp/bar": "",
        "registry.terraform.io/hashicorp/checky": "",
        "registry.terraform.io/hashicorp/eph": "",
        "registry.terraform.io/hashicorp/foo": ">= 1.0.0",
        "registry.terraform.io/hashicorp/google": "",
        "registry.terraform.io/hashicorp/null": "~> 3.0",
        "registry.terraform.io/hashicorp/qux": "",
        "terraform.io/builtin/terraform": None,
    }
    assert reqs.modules == ("envs/prod", "envs/prod/child", "envs/prod/grand")
    aws = reqs.get(parse_provider_source("hashicorp/aws"))
    assert aws is not None
    assert aws.constraints == ("~> 5.0", ">= 5.1")
    assert [(loc.path, loc.line) for loc in aws.locations] == [
        ("envs/prod/main.tf", 5),
        ("envs/prod/main.tf", 11),
        ("envs/prod/child/main.tf", 4),
        ("envs/prod/grand/main.tf", 2),
    ]
    assert reqs.get(parse_provider_source("hashicorp/nope")) is None
    assert reqs.module_calls == ()


def test_merged_constraints_like_the_lock_vector(tmp_path: Path) -> None:
    # vectors/lockfiles/providers-lock_fs-mirror_normalized-address-and-merged-constraints
    root = write(
        tmp_path,
        {
            "main.tf": "terraform {\n  required_providers {\n    demo = {\n"
            '      source = "Example.COM/ACME/Demo"\n      version = "~> 1"\n    }\n  }\n}\n'
            'module "child" {\n  source = "./child"\n}\n',
            "child/main.tf": "terraform {\n  required_providers {\n    demo = {\n"
            '      source = "example.com/acme/demo"\n'
            '      version = ">=1.0, != 1.0.5, >= 1.0.0"\n    }\n  }\n}\n',
        },
    )
    reqs = provider_requirements(root, ".")
    assert summary(reqs) == {"example.com/acme/demo": ">= 1.0.0, ~> 1.0, != 1.0.5"}
    assert reqs.modules == (".", "child")
    assert reqs.providers[0].locations[0].path == "main.tf"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("heredocs.tf", {"registry.terraform.io/hashicorp/aws": "~> 5.0"}),
        (
            "strings.tf",
            {"registry.terraform.io/hashicorp/random": ">= 3.0.0, < 4.0.0"},
        ),
        ("comments.tf", {"registry.terraform.io/hashicorp/google": "~> 5.0"}),
        (
            "multiline.tf",
            {
                "registry.terraform.io/hashicorp/tls": ">= 4.0.0",
                "registry.terraform.io/hashicorp/http": "",
                "registry.terraform.io/hashicorp/random": "",
            },
        ),
        ("crlf.tf", {"registry.terraform.io/hashicorp/null": "3.2.2"}),
    ],
)
def test_tricky_files_match_terraform_providers(
    tmp_path: Path, name: str, expected: dict[str, str]
) -> None:
    shutil.copy(DATA / "tricky" / name, tmp_path / name)
    write(tmp_path, {"child/main.tf": 'variable "name" {}\n'})
    assert summary(provider_requirements(tmp_path, ".")) == expected


def test_required_version_backend_and_remote_calls(tmp_path: Path) -> None:
    shutil.copy(DATA / "typical.tf", tmp_path / "main.tf")
    write(tmp_path, {"versions.tf": 'terraform {\n  required_version = "< 2.0"\n}\n'})
    config = load_module(tmp_path, "envs/dev")
    assert config.files == ("envs/dev/main.tf", "envs/dev/versions.tf")
    assert [(v.value, v.path, v.line) for v in config.required_version] == [
        (">= 1.5.0", "envs/dev/main.tf", 2),
        ("< 2.0", "envs/dev/versions.tf", 2),
    ]
    assert config.backend == "s3" and config.has_backend and not config.has_cloud
    reqs = provider_requirements(tmp_path, "envs/dev")
    assert [v.value for v in reqs.required_version] == [">= 1.5.0", "< 2.0"]
    assert [(m.module, m.name, m.source, m.version, m.line) for m in reqs.module_calls] == [
        ("envs/dev", "vpc", "terraform-aws-modules/vpc/aws", "5.5.1", 54)
    ]
    assert summary(reqs) == {
        "registry.terraform.io/hashicorp/aws": "~> 5.31",
        "registry.terraform.io/hashicorp/random": ">= 3.5.0",
    }


def test_tf_json(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf.json": """{
  "//": "comment",
  "terraform": {
    "required_version": ">= 1.0",
    "required_providers": {
      "aws": {"source": "hashicorp/aws", "version": "~> 5.0"},
      "legacy": "~> 1.0"
    },
    "backend": {"s3": {"bucket": "x"}}
  },
  "provider": {"google": [{"alias": "a"}, {"alias": "b", "version": ">= 4"}]},
  "module": {"vpc": {"source": "terraform-aws-modules/vpc/aws", "version": "5.0.0"}},
  "resource": {"aws_instance": {"web": {"provider": "aws.east"}}, "random_id": {"x": {}}},
  "data": [{"http": {"probe": {}}}],
  "check": {"c": {"data": {"dns_a_record_set": {"x": {}}}}},
  "import": [{"to": "tls_private_key.k", "id": "x"}]
}""",
        },
    )
    config = load_module(tmp_path, "j")
    assert config.backend == "s3"
    assert [(v.value, v.line) for v in config.required_version] == [(">= 1.0", None)]
    reqs = provider_requirements(tmp_path, "j")
    assert summary(reqs) == {
        "registry.terraform.io/hashicorp/aws": "~> 5.0",
        "registry.terraform.io/hashicorp/dns": "",
        "registry.terraform.io/hashicorp/google": ">= 4.0.0",
        "registry.terraform.io/hashicorp/http": "",
        "registry.terraform.io/hashicorp/legacy": "~> 1.0",
        "registry.terraform.io/hashicorp/random": "",
        "registry.terraform.io/hashicorp/tls": "",
    }
    assert [(m.name, m.version, m.line) for m in reqs.module_calls] == [("vpc", "5.0.0", None)]
    with pytest.raises(InputError) as err:
        scan_tf_json('{\n  "terraform": [\n}', "bad.tf.json")
    assert err.value.line == 3
    with pytest.raises(InputError, match="Variables not allowed"):
        scan_tf_json('{"module": {"m": {"source": "${var.x}"}}}', "x.tf.json")
    with pytest.raises(InputError, match="must be a string"):
        scan_tf_json('{"module": {"m": {"source": 1}}}', "x.tf.json")
    with pytest.raises(InputError, match="root must be an object"):
        scan_tf_json("[]", "x.tf.json")


def test_override_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'terraform {\n  required_version = ">= 1.0"\n  required_providers {\n'
            '    aws = { source = "hashicorp/aws", version = "~> 4.0" }\n  }\n'
            '  backend "s3" {}\n}\n'
            'module "m" {\n  source = "./m"\n}\n',
            "m/main.tf": "",
            "override.tf": "terraform {\n  required_providers {\n"
            '    aws = { source = "hashicorp/aws", version = "~> 5.0" }\n  }\n  cloud {}\n}\n',
            "x_override.tf": 'terraform {\n  required_version = ">= 1.9"\n}\n'
            'module "m" {\n  source = "./n"\n}\n',
            "n/main.tf": 'resource "null_resource" "x" {}\n',
        },
    )
    config = load_module(tmp_path, ".")
    assert config.files == ("main.tf", "override.tf", "x_override.tf")
    assert [v.value for v in config.required_version] == [">= 1.9"]
    assert config.backend is None and config.has_cloud
    assert [(m.source, m.path, m.line) for m in config.module_calls] == [("./n", "main.tf", 8)]
    assert summary(provider_requirements(tmp_path, ".")) == {
        "registry.terraform.io/hashicorp/aws": "~> 5.0",
        "registry.terraform.io/hashicorp/null": "",
    }


def test_cycles_and_shared_modules_are_read_once(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "root/main.tf": 'module "a" { source = "../a" }\nmodule "a2" { source = "../a/" }\n',
            "a/main.tf": 'module "b" { source = "../b" }\nresource "aws_x" "y" {}\n',
            "b/main.tf": 'module "a" { source = "../a" }\nmodule "r" { source = "../root" }\n',
        },
    )
    reqs = provider_requirements(tmp_path / "root", "root")
    assert reqs.modules == ("root", "a", "b")
    assert summary(reqs) == {"registry.terraform.io/hashicorp/aws": ""}


def test_missing_local_module(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": '\n\nmodule "gone" {\n  source = "./nope"\n}\n'})
    with pytest.raises(InputError) as err:
        provider_requirements(tmp_path, "envs/x")
    assert err.value.path == "envs/x/main.tf"
    assert err.value.line == 3
    assert (
        'The directory "envs/x/nope" called by module "gone" could not be read' in err.value.reason
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            'terraform {\n  required_providers {\n    a = { source = "x/y" }\n  }\n}\n'
            'terraform {\n  required_providers {\n    b = { source = "x/z" }\n  }\n}\n',
            8,
            "Duplicate required providers configuration: A module may have only one required "
            "providers configuration. The required providers were previously configured at "
            "m/main.tf:3.",
        ),
        (
            'terraform {\n  required_providers {\n    a = { source = "ex.com/my_org/a" }\n  }\n}\n',
            3,
            'Invalid provider namespace: Invalid provider namespace "my_org"',
        ),
        (
            'terraform {\n  required_providers {\n    a = { version = "v1.0" }\n  }\n}\n',
            3,
            'Invalid version constraint: Incorrect version constraint syntax: a "v" prefix should '
            "not be used.",
        ),
        (
            'terraform {\n  required_providers {\n    a = { version = "^1.0" }\n  }\n}\n',
            3,
            "Invalid version constraint: This string does not use correct version constraint "
            "syntax.",
        ),
        (
            'terraform {\n  required_providers {\n    Aws = { source = "hashicorp/aws" }\n  }\n}\n',
            3,
            "Invalid provider local name",
        ),
        ('\nprovider "aws" {\n  version = "=> 1"\n}\n', 2, "Invalid version constraint"),
        ('module "m" {\n  version = "1.0"\n}\n', 1, 'The argument "source" is required'),
    ],
)
def test_module_errors(tmp_path: Path, text: str, line: int, message: str) -> None:
    write(tmp_path, {"main.tf": text})
    with pytest.raises(InputError) as err:
        load_module(tmp_path, "m")
    assert err.value.path == "m/main.tf"
    assert err.value.line == line
    assert message in err.value.reason


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Unreadable module directory"):
        load_module(tmp_path / "missing", "missing")
    (tmp_path / "bad.tf").write_bytes(b"# ok\n\xff\xfe")
    with pytest.raises(InputError, match="not valid UTF-8") as err:
        load_module(tmp_path, ".")
    assert err.value.line == 2


def test_ignored_files_and_local_sources(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".hidden.tf": "garbage {",
            "main.tf~": "garbage {",
            "#main.tf#": "garbage {",
            "notes.txt": "garbage {",
            "sub/main.tf": "garbage {",
            "main.tf": 'resource "aws_x" "y" {}\n',
        },
    )
    assert load_module(tmp_path, ".").files == ("main.tf",)
    assert is_local_module_source("./x") and is_local_module_source("../x")
    assert is_local_module_source(".\\x")
    assert not is_local_module_source("hashicorp/consul/aws")
    assert not is_local_module_source("/abs/path")
    assert not is_local_module_source("git::https://x/y.git")


def test_state_directories(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "envs/dev/main.tf": 'module "vpc" {\n  source = "../../modules/vpc"\n}\n',
            "envs/prod/.terraform.lock.hcl": "",
            "envs/prod/main.tf": 'module "vpc" {\n  source = "../../modules/vpc"\n}\n',
            "envs/tfa/tfaction.yaml": "{}\n",
            "modules/vpc/main.tf": 'module "sub" {\n  source = "./sub"\n}\n',
            "modules/vpc/sub/main.tf": 'resource "aws_vpc" "x" {}\n',
            "modules/shared/tfaction.yaml": "{}\n",
            "modules/shared/main.tf": "",
            "envs/stg/main.tf": 'module "s" {\n  source = "../../modules/shared"\n}\n',
            "broken/main.tf": "garbage {",
            "docs/readme.md": "",
        },
    )
    candidates = [p for p in sorted({*tmp_path.rglob("*")}) if p.is_dir() and is_state_directory(p)]
    rel = [str(p.relative_to(tmp_path)) for p in candidates]
    assert rel == [
        "broken",
        "envs/dev",
        "envs/prod",
        "envs/stg",
        "envs/tfa",
        "modules/shared",
        "modules/vpc",
        "modules/vpc/sub",
    ]
    kept = remove_called_modules(candidates)
    assert [str(p.relative_to(tmp_path)) for p in kept] == [
        "broken",
        "envs/dev",
        "envs/prod",
        "envs/stg",
        "envs/tfa",
        "modules/shared",  # has a tfaction.yaml: an explicit working directory
    ]
    assert not is_state_directory(tmp_path / "docs")
    assert not is_state_directory(tmp_path / "missing")


def test_corpus_directories_load(corpus: Path) -> None:
    dirs = sorted({p.parent for p in corpus.rglob("*.tf")})
    assert dirs
    for d in dirs:
        reqs = provider_requirements(d, d.name)
        assert reqs.providers, d
        for p in reqs.providers:
            p.merged()  # every constraint in the corpus parses


def test_local_module_dirs_and_where(tmp_path: Path) -> None:
    root = write(tmp_path / "root", TREE)
    assert local_module_dirs(root) == (root / "./child",)
    assert local_module_dirs(root / "child") == (root / "child" / "../grand",)
    assert local_module_dirs(root / "grand") == ()
    with pytest.raises(InputError):
        local_module_dirs(tmp_path / "missing")
    reqs = provider_requirements(root, "r")
    null = reqs.get(parse_provider_source("null"))
    assert null is not None and null.where == "r/main.tf:6"
