"""The Go text/template subset aqua registries use (depguard.aqua.template)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from depguard.aqua.template import FUNCTIONS, MAX_OUTPUT, render
from depguard.errors import InputError

W = "registry.yaml"
DATA: dict[str, object] = {
    "Version": "v1.2.3",
    "SemVer": "v1.2.3",
    "GOOS": "linux",
    "GOARCH": "amd64",
    "OS": "linux",
    "Arch": "x86_64",
    "Format": "tar.gz",
    "Asset": "tool_1.2.3_linux_amd64.tar.gz",
    "AssetWithoutExt": "tool_1.2.3_linux_amd64",
    "Vars": {"channel": "stable", "n": 3},
}


def r(template: str, data: dict[str, object] | None = None) -> str:
    return render(template, DATA if data is None else data, where=W)


@pytest.mark.parametrize(
    ("template", "want"),
    [
        ("plain-text", "plain-text"),
        ("tool_{{.Version}}_{{.OS}}_{{.Arch}}.{{.Format}}", "tool_v1.2.3_linux_x86_64.tar.gz"),
        ("tool_{{trimV .Version}}", "tool_1.2.3"),
        ("{{.Version | trimV}}", "1.2.3"),
        ("{{ .Version | trimV | upper }}", "1.2.3"),
        ('{{trimPrefix "v" .Version}}', "1.2.3"),
        ('{{.Version | trimPrefix "v"}}', "1.2.3"),
        ('{{trimSuffix ".gz" .Format}}', "tar"),
        ('{{replace "." "-" .Version}}', "v1-2-3"),
        ("{{title .OS}}", "Linux"),
        ('{{title "hello world-x_y"}}', "Hello World-X_y"),
        ('{{upper .OS}}-{{lower "ABC"}}', "LINUX-abc"),
        ('{{trim "  x  "}}', "x"),
        ("{{(semver .Version).Major}}.{{(semver .SemVer).Minor}}", "1.2"),
        ("{{(semver .Version).Patch}}", "3"),
        ("{{semver .Version}}", "1.2.3"),
        ("{{.Vars.channel}}", "stable"),
        ("{{.Vars.missing}}", "<no value>"),
        ("{{.Missing}}", "<no value>"),
        ("{{.Missing.Deeper}}", "<no value>"),
        ('{{printf "%s-%d" .OS .Vars.n}}', "linux-3"),
        ('{{printf "%v%%" 5}}', "5%"),
        ('{{printf "%d" .OS}}', "%!d(string=linux)"),
        ('{{print "a" 1 2 "b"}}', "a1 2b"),
        ('{{default "x" .Vars.missing}}', "x"),
        ('{{default "x" .OS}}', "linux"),
        ("{{len .OS}}", "5"),
        ('{{index .Vars "channel"}}', "stable"),
        ('{{if eq .GOOS "windows"}}exe{{else}}bin{{end}}', "bin"),
        ('{{if eq .GOOS "darwin"}}a{{else if eq .GOOS "linux"}}b{{else}}c{{end}}', "b"),
        ('{{if ne .GOARCH "amd64"}}x{{end}}y', "y"),
        ('{{if and (eq .GOOS "linux") (not (eq .GOARCH "arm64"))}}ok{{end}}', "ok"),
        ('{{if or false ""}}yes{{else}}no{{end}}', "no"),
        ('{{if eq .GOOS "x" "linux"}}any{{end}}', "any"),
        ("{{if .Vars.missing}}a{{else}}b{{end}}", "b"),
        ("{{if lt 1 2}}lt{{end}}{{if ge 2.5 2.5}}ge{{end}}", "ltge"),
        ("a  {{- .OS -}}  b", "alinuxb"),
        ("a\n{{- /* comment */ -}}\nb", "ab"),
        ("a{{/* comment */}}b", "ab"),
        ('{{"quoted \\" }} string"}}', 'quoted " }} string'),
        ("{{`raw }} string`}}", "raw }} string"),
        ("{{-3}}", "-3"),
        ("{{ 1.5 }}{{ true }}{{ nil }}", "1.5true<nil>"),
        ('{{contains "inu" .OS}}-{{hasPrefix "li" .OS}}-{{hasSuffix "x" .OS}}', "true-true-true"),
        ('{{ternary "a" "b" true}}{{empty ""}}{{coalesce "" "z"}}', "atruez"),
        ('{{substr 1 3 "abcdef"}}', "bc"),
        ('{{trimAll "-" "--x--"}}', "x"),
        ("{{toString 12}}", "12"),
        ("{{.Vars}}", "map[channel:stable n:3]"),
    ],
)
def test_render(template: str, want: str) -> None:
    assert r(template) == want


def test_no_value_as_function_argument_is_an_error() -> None:
    with pytest.raises(InputError, match="invalid value; expected string"):
        r("{{trimV .Vars.missing}}")


def test_eq_of_different_kinds_is_an_error() -> None:
    with pytest.raises(InputError, match="incompatible types for comparison"):
        r('{{if eq .Vars.n "3"}}x{{end}}')


def test_field_of_string_is_an_error() -> None:
    with pytest.raises(InputError, match="can't evaluate field X in type string"):
        r("{{.OS.X}}")


def test_semver_of_invalid_version_is_an_error() -> None:
    with pytest.raises(InputError, match="semver"):
        r("{{(semver .Version).Major}}", {"Version": "35661968adb8fa29ab1d4a8713c0547d9a6007bb"})


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('{{env "HOME"}}', "template function env is not allowed"),
        ('{{expandenv "$HOME"}}', "template function expandenv is not allowed"),
        ('{{getHostByName "x"}}', "template function getHostByName is not allowed"),
        ('{{exec "ls"}}', "template function exec is not allowed"),
        ("{{call .Fn}}", "template function call is not allowed"),
        ("{{.OS | shellQuote}}", "template function shellQuote is not allowed"),
        ("{{range .Vars}}x{{end}}", "template action range is not allowed"),
        ("{{with .Vars}}x{{end}}", "template action with is not allowed"),
        ('{{define "x"}}y{{end}}', "template action define is not allowed"),
        ('{{template "x"}}', "template action template is not allowed"),
        ('{{block "x" .}}y{{end}}', "template action block is not allowed"),
        ("{{if true}}x{{else with .OS}}y{{end}}", "template action with is not allowed"),
        ("{{$x := 1}}", "variables are not allowed"),
        ("{{$}}", "variables are not allowed"),
        ("{{'a'}}", "character constants"),
        ("{{.OS", "unclosed action"),
        ("{{if true}}x", "missing {{end}}"),
        ("{{end}}", "unexpected"),
        ("{{else}}", "unexpected"),
        ("{{}}", "missing value"),
        ("{{/* open", "unclosed comment"),
        ("{{.OS 1}}", "can't give argument to non-function"),
        ("{{trimV}}", "wrong number of args"),
        ("{{trimV(.OS)}}", "missing space"),
        ('{{"a\\qb"}}', "invalid quoted string"),
        ('{{printf "%x" 1}}', "printf verb %x"),
    ],
)
def test_refused(template: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        r(template)
    assert err.value.path == W
    assert message in err.value.reason


def test_too_long_template() -> None:
    with pytest.raises(InputError, match="longer than 4096"):
        r("x" * 4097)


def test_deep_nesting() -> None:
    deep_if = "{{if true}}" * 40 + "x" + "{{end}}" * 40
    with pytest.raises(InputError, match="nested deeper than 32"):
        r(deep_if)
    deep_paren = "{{" + "(" * 40 + ".OS" + ")" * 40 + "}}"
    with pytest.raises(InputError, match="nested deeper than 32"):
        r(deep_paren)
    assert r("{{if true}}" * 10 + "x" + "{{end}}" * 10) == "x"


def test_output_limit() -> None:
    big = "y" * 4000
    template = "{{.Big}}" * 20
    with pytest.raises(InputError, match=f"output longer than {MAX_OUTPUT}"):
        r(template, {"Big": big})


def test_templates_without_actions_are_returned_as_is() -> None:
    assert r("a {b} c") == "a {b} c"


def test_every_template_in_the_corpus_uses_known_functions(corpus: Path) -> None:
    """Every `{{ }}` in the real registry parses, and uses only allowed functions."""
    seen: set[str] = set()
    for path in (corpus / "aqua" / "registry" / "pkgs").rglob("registry.yaml"):
        for action in re.findall(r"\{\{-?\s*(.*?)\s*-?\}\}", path.read_text()):
            bare = re.sub(r'"[^"]*"', "", action)
            words = re.findall(r"(?<![.\w])([a-zA-Z][a-zA-Z0-9]*)\b", bare)
            seen.update(words)
    assert seen <= FUNCTIONS | {"true", "false", "nil", "if", "else", "end"}, seen - FUNCTIONS
    assert {"trimV", "title", "semver", "trimPrefix"} <= seen


def test_comment_trim_markers_and_index_of_missing_key() -> None:
    assert r("a \n{{- /* c */ -}}\n b") == "ab"
    assert r("a {{/* c */ -}}\n b") == "a b"
    assert r('{{index .Vars "nope"}}') == "<nil>"
    with pytest.raises(InputError, match="comment ends before closing delimiter"):
        r("{{/* c */ x}}")
