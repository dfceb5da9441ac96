"""The Terraform CLI configuration: ``parse_cli_config`` (HCL via python-hcl2, and JSON).

Contract (``depguard.formats.tf_cli_config``): returns a ``CliConfig`` or raises
``InputError`` naming the path (and the line where the parser gives one); tokens never appear
in an error message.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.errors import InputError
from depguard.formats.tf_cli_config import parse_cli_config
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import SMALL_TEXT, WORDS, deep_json, json_values, mutated, noise

pytestmark = pytest.mark.fuzz

SECRET = "s3cr3t-T0KEN"
HOSTS = st.sampled_from(("app.terraform.io", "example.com:8443", "café.example", "bad host", ""))
PATTERNS = st.lists(st.sampled_from(("example.com/*/*", "registry.terraform.io/hashicorp/*")))


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


@st.composite
def hcl_configs(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(("host", "credentials", "install", "cache", "other")))
        if kind == "host":
            parts.append(
                f"host {_q(draw(HOSTS))} {{\n  services = {{\n"
                f'    "providers.v1" = {_q(draw(SMALL_TEXT))}\n  }}\n}}'
            )
        elif kind == "credentials":
            parts.append(f'credentials {_q(draw(HOSTS))} {{\n  token = "{SECRET}"\n}}')
        elif kind == "install":
            methods = []
            if draw(st.booleans()):
                methods.append(f'  dev_overrides {{\n    "a/b" = {_q(draw(SMALL_TEXT))}\n  }}')
            for m in draw(st.lists(st.sampled_from(("fs", "net", "direct")), max_size=3)):
                body = {
                    "fs": f"    path = {_q(draw(SMALL_TEXT))}\n",
                    "net": f"    url = {_q(draw(SMALL_TEXT))}\n",
                    "direct": "",
                }[m]
                name = {"fs": "filesystem_mirror", "net": "network_mirror", "direct": "direct"}[m]
                include = json.dumps(draw(PATTERNS))
                methods.append(f"  {name} {{\n{body}    include = {include}\n  }}")
            parts.append("provider_installation {\n" + "\n".join(methods) + "\n}")
        elif kind == "cache":
            parts.append(f"plugin_cache_dir = {_q(draw(SMALL_TEXT))}")
        else:
            parts.append(f"{draw(st.sampled_from(('disable_checkpoint', 'x')))} = true")
    return "\n".join(parts) + "\n"


JSON_CONFIGS = st.fixed_dictionaries(
    {},
    optional={
        "host": st.dictionaries(HOSTS, st.fixed_dictionaries({"services": json_values()})),
        "credentials": st.dictionaries(HOSTS, st.just({"token": SECRET}) | json_values()),
        "provider_installation": st.lists(
            st.dictionaries(
                st.sampled_from(("direct", "filesystem_mirror", "network_mirror", "dev_overrides")),
                st.dictionaries(st.sampled_from(("path", "url", "include", "x")), json_values()),
            ),
            max_size=2,
        )
        | json_values(),
        "plugin_cache_dir": st.just("$HOME/x") | json_values(),
        "x": json_values(),
    },
)


def _check(text: str, path: str) -> None:
    result = outcome(
        parse_cli_config,
        text,
        path,
        env={},
        raises=(InputError,),
        err_path=path,
        err_text=text,
    )
    if result.error is not None:
        assert SECRET not in str(result.error), "a token leaked into an error message"


# Found by the long profile: lark's syntax error quoted the token (the credential) it choked on.
@example(text='credentials "app.terraform.io" {\n  token = \x1f' + SECRET + '"\n}\n')
@example(text='credentials "app.terraform.io" {\n  token = ' + SECRET + " x\n}\n")
@given(text=mutated(hcl_configs(), max_steps=3))
def test_hcl_configs(text: str) -> None:
    _check(text, "fuzz.tfrc")


@given(text=noise('hostcredentials{}[]="\n #/*$\\.:,token', max_size=120))
def test_random_hcl(text: str) -> None:
    _check(text, "fuzz.tfrc")


@given(text=mutated(JSON_CONFIGS.map(json.dumps), max_steps=2) | WORDS)
def test_json_configs(text: str) -> None:
    _check(text, "fuzz.tfrc.json")


@given(text=st.sampled_from(deep_json()))
def test_deeply_nested_json_config(text: str) -> None:
    """Regression (found by this fuzzer, fixed alongside it): ``json.loads``'s
    ``RecursionError`` on a few thousand nested ``[``/``{`` escaped ``parse_cli_config``."""
    result = outcome(parse_cli_config, text, "x.tfrc.json", env={}, raises=(InputError,))
    assert isinstance(result.error, InputError)
