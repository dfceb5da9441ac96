"""Tests for the Terraform CLI config parser (depguard.formats.tf_cli_config)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from depguard.errors import InputError
from depguard.formats.tf_cli_config import (
    CliConfig,
    MethodKind,
    expand_env,
    implied_mirror_dirs,
    load_cli_config,
    normalize_hostname,
    parse_cli_config,
)

SECRET = "s3cr3t.atlasv1.TOKENVALUE0123456789"

FULL = f"""
# a comment
plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"
disable_checkpoint = true

host "Example.COM" {{
  services = {{
    "providers.v1" = "https://localhost:18444/v1/providers/"
    "modules.v1"   = "/modules/"
  }}
}}

credentials "app.terraform.io" {{
  token = "{SECRET}"
}}

provider_installation {{
  filesystem_mirror {{
    path    = "/tmp/example1"
    include = ["example.com/*/*"]
  }}
  network_mirror {{
    url     = "https://tf-Mirror.example.com/"
    include = ["registry.terraform.io/*/*"]
    exclude = ["registry.Terraform.io/foobar/*"]
  }}
  filesystem_mirror {{
    path = "/tmp/example2"
  }}
  direct {{
    exclude = ["example.com/*/*"]
  }}
}}
"""


def test_full_config() -> None:
    cfg = parse_cli_config(FULL, "/home/u/.terraformrc", env={"HOME": "/home/u"})
    assert cfg.paths == ("/home/u/.terraformrc",)
    assert cfg.plugin_cache_dir == "/home/u/.terraform.d/plugin-cache"
    host = cfg.services_for("example.com")
    assert host is not None and host.hostname == "example.com"
    assert host.get("providers.v1") == "https://localhost:18444/v1/providers/"
    assert host.get("modules.v1") == "/modules/"
    assert cfg.services_for("EXAMPLE.com:443") is host
    assert cfg.token_for("APP.terraform.io") == SECRET
    assert cfg.token_for("example.com") is None
    inst = cfg.provider_installation
    assert inst is not None
    kinds = [(m.kind, m.location) for m in inst.methods]
    assert kinds == [  # file order is priority order
        (MethodKind.FILESYSTEM_MIRROR, "/tmp/example1"),
        (MethodKind.NETWORK_MIRROR, "https://tf-Mirror.example.com/"),
        (MethodKind.FILESYSTEM_MIRROR, "/tmp/example2"),
        (MethodKind.DIRECT, ""),
    ]
    assert inst.methods[0].include == ("example.com/*/*",)
    assert inst.methods[1].exclude == ("registry.Terraform.io/foobar/*",)
    assert inst.methods[3].exclude == ("example.com/*/*",)
    assert inst.methods[0].line == 18


def test_tokens_never_appear_in_repr_or_str() -> None:
    cfg = parse_cli_config(FULL, "rc", env={})
    assert SECRET not in repr(cfg)
    assert SECRET not in str(cfg)
    assert SECRET not in repr(cfg.credentials)


def test_wrong_token_type_error_does_not_echo_value() -> None:
    with pytest.raises(InputError) as exc:
        parse_cli_config('credentials "h.example" {\n  token = ["' + SECRET + '"]\n}\n', "rc")
    assert SECRET not in exc.value.message
    assert exc.value.line == 2


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(InputError) as exc:
        parse_cli_config('host "x" {\n  services = {\n', "/etc/terraformrc")
    assert exc.value.path == "/etc/terraformrc"
    assert exc.value.line == 3
    assert exc.value.message.startswith("/etc/terraformrc:3: invalid Terraform CLI config syntax")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("provider_installation {\n  carrier_pigeon {}\n}\n", "unknown provider installation"),
        ("provider_installation {\n  filesystem_mirror {}\n}\n", "'path' argument is required"),
        ("provider_installation {\n  network_mirror {}\n}\n", "'url' argument is required"),
        (
            'provider_installation {\n  direct {\n    include = "x/y"\n  }\n}\n',
            "include must be a list of strings",
        ),
        (
            'provider_installation {\n  direct {\n    path = "/x"\n  }\n}\n',
            "unexpected argument 'path'",
        ),
        (
            'provider_installation {\n  direct {}\n  dev_overrides {\n    "a/b" = "/x"\n  }\n}\n',
            "dev_overrides block must appear before",
        ),
        ("provider_installation {}\nprovider_installation {}\n", "no more than one"),
        ('host "bad host" {\n}\n', "invalid hostname"),
        ('host "x.example" {\n  services = "nope"\n}\n', "services must be an object"),
    ],
)
def test_invalid_shapes(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_cli_config(text, "rc")
    assert fragment in exc.value.message
    assert exc.value.path == "rc"


def test_dev_overrides_are_kept() -> None:
    cfg = parse_cli_config(
        'provider_installation {\n  dev_overrides {\n    "hashicorp/boop" = "/tmp/boop"\n  }\n'
        "  direct {}\n}\n",
        "rc",
    )
    assert cfg.provider_installation is not None
    assert cfg.provider_installation.dev_overrides == (("hashicorp/boop", "/tmp/boop"),)
    assert [m.kind for m in cfg.provider_installation.methods] == [MethodKind.DIRECT]


def test_json_form(tmp_path: Path) -> None:
    doc = {
        "credentials": {"app.terraform.io": {"token": SECRET}},
        "host": {"example.com": {"services": {"providers.v1": "https://r.example/v1/"}}},
        "provider_installation": {"network_mirror": {"url": "https://m.example/"}, "direct": {}},
    }
    text = json.dumps(doc)
    cfg = parse_cli_config(text, "credentials.tfrc.json")
    assert cfg.token_for("app.terraform.io") == SECRET
    assert cfg.services_for("example.com").get("providers.v1") == "https://r.example/v1/"
    inst = cfg.provider_installation
    assert inst is not None
    assert [m.kind for m in inst.methods] == [MethodKind.NETWORK_MIRROR, MethodKind.DIRECT]
    with pytest.raises(InputError):
        parse_cli_config("{", "x.tfrc.json")


def test_credentials_helper_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    parse_cli_config('credentials_helper "example" {\n  args = []\n}\n', "rc")
    assert "credentials_helper is not supported" in caplog.text


def test_load_uses_tf_cli_config_file(tmp_path: Path) -> None:
    rc = tmp_path / "custom.rc"
    rc.write_text('host "example.com" {\n  services = { "providers.v1" = "/v1/" }\n}\n')
    home = tmp_path / "home"
    (home / ".terraform.d").mkdir(parents=True)
    (home / ".terraform.d" / "credentials.tfrc.json").write_text(
        '{"credentials": {"example.com": {"token": "ignored"}}}'
    )
    cfg = load_cli_config({"TF_CLI_CONFIG_FILE": str(rc), "HOME": str(home)})
    assert cfg.paths == (str(rc),)
    assert cfg.services_for("example.com") is not None
    assert cfg.token_for("example.com") is None  # config dir skipped with an override


def test_load_missing_override_is_ignored_like_terraform(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Terraform prints "Unable to open CLI configuration file" and carries on."""
    with caplog.at_level("INFO", logger="depguard"):
        config = load_cli_config({"TF_CLI_CONFIG_FILE": str(tmp_path / "nope.rc")})
    assert config.credentials == ()
    assert str(tmp_path / "nope.rc") in caplog.text


def test_load_defaults_merge_main_file_and_config_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".terraform.d").mkdir(parents=True)
    (home / ".terraformrc").write_text(
        'credentials "a.example" {\n  token = "main"\n}\nplugin_cache_dir = "/cache"\n'
    )
    (home / ".terraform.d" / "credentials.tfrc.json").write_text(
        '{"credentials": {"a.example": {"token": "from-login"}, "b.example": {"token": "b"}}}'
    )
    (home / ".terraform.d" / "notes.txt").write_text("not a config {")
    cfg = load_cli_config({"HOME": str(home)})
    assert cfg.token_for("a.example") == "from-login"  # later files win, like Config.Merge
    assert cfg.token_for("b.example") == "b"
    assert cfg.plugin_cache_dir == "/cache"
    assert len(cfg.paths) == 2


def test_absent_default_files_give_an_empty_config(tmp_path: Path) -> None:
    cfg = load_cli_config({"HOME": str(tmp_path)})
    assert cfg == CliConfig()


def test_env_tokens_take_precedence(tmp_path: Path) -> None:
    rc = tmp_path / "rc"
    rc.write_text('credentials "my-registry.example.com" {\n  token = "file"\n}\n')
    cfg = load_cli_config(
        {
            "TF_CLI_CONFIG_FILE": str(rc),
            "TF_TOKEN_my__registry_example_com": "env",
            "TF_TOKEN_localhost:18444": "local",
            "TF_TOKEN_": "ignored",
        }
    )
    assert cfg.token_for("my-registry.example.com") == "env"
    assert "env" not in repr(cfg) or "env:TF_TOKEN" in repr(cfg)
    assert cfg.token_for("localhost:18444") == "local"


def test_plugin_cache_dir_env_override(tmp_path: Path) -> None:
    rc = tmp_path / "rc"
    rc.write_text('plugin_cache_dir = "/from/file"\n')
    cfg = load_cli_config({"TF_CLI_CONFIG_FILE": str(rc), "TF_PLUGIN_CACHE_DIR": "/from/env"})
    assert cfg.plugin_cache_dir == "/from/env"


def test_the_conftest_empty_config_loads() -> None:
    assert load_cli_config().provider_installation is None


def test_expand_env_matches_go() -> None:
    env = {"HOME": "/h", "X": "1"}
    assert expand_env("$HOME/a/${X}/$UNSET/b", env) == "/h/a/1//b"


@pytest.mark.parametrize(
    ("given", "want"),
    [
        ("Example.COM", "example.com"),
        ("example.com:443", "example.com"),
        ("localhost:018444", "localhost:18444"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("example.com.", "example.com"),
    ],
)
def test_normalize_hostname(given: str, want: str) -> None:
    assert normalize_hostname(given) == want


@pytest.mark.parametrize("bad", ["", "a b", "x:0", "x:99999", "x:port", "-bad.example", "a..b"])
def test_normalize_hostname_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_hostname(bad)


def test_implied_mirror_dirs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cwd = tmp_path / "work"
    (cwd / "terraform.d" / "plugins").mkdir(parents=True)
    (home / ".terraform.d" / "plugins").mkdir(parents=True)
    (tmp_path / "xdg" / "terraform" / "plugins").mkdir(parents=True)
    env = {"HOME": str(home), "XDG_DATA_HOME": str(tmp_path / "xdg"), "XDG_DATA_DIRS": ""}
    dirs = implied_mirror_dirs(cwd=cwd, env=env)
    assert dirs[0] == cwd / "terraform.d" / "plugins"
    assert home / ".terraform.d" / "plugins" in dirs
    import sys

    if sys.platform.startswith("linux"):
        assert dirs == (
            cwd / "terraform.d" / "plugins",
            home / ".terraform.d" / "plugins",
            tmp_path / "xdg" / "terraform" / "plugins",
        )
        everything = implied_mirror_dirs(cwd=cwd, env={"HOME": str(home)}, existing_only=False)
        assert Path("/usr/share/terraform/plugins") in everything
        assert home / ".local" / "share" / "terraform" / "plugins" in everything
