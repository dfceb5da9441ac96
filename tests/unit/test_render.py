"""Renderers: snapshot tests per format x scenario, plus the properties snapshots can't show.

Snapshots live in ``tests/snapshots/render/<scenario>.<ext>``. Rewrite them after an
intended change with ``DEPGUARD_UPDATE_SNAPSHOTS=1 pytest tests/unit/test_render.py`` and
review the diff.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from depguard import rules
from depguard.errors import InputError
from depguard.model import Change, Checked, Finding, Report, RuleId, Severity, Skip
from depguard.render import (
    OutputFormat,
    RenderContext,
    guard_log_lines,
    printable,
    render,
    sarif,
)
from depguard.render import github as gh
from depguard.render import json as json_renderer
from depguard.render import markdown as md
from depguard.render import text as text_renderer

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots" / "render"
UPDATE = os.environ.get("DEPGUARD_UPDATE_SNAPSHOTS") == "1"
CTX = RenderContext(tool_version="0.1.0")

EXT = {
    OutputFormat.TEXT: "txt",
    OutputFormat.JSON: "json",
    OutputFormat.MARKDOWN: "md",
    OutputFormat.SARIF: "sarif",
    OutputFormat.GITHUB: "github",
}

PROD = "envs/prod/vpc/.terraform.lock.hcl"
DEV = "envs/dev/app/.terraform.lock.hcl"
AWS = "registry.terraform.io/hashicorp/aws"


def _f(rule: str, severity: Severity, message: str, path: str, **kw: Any) -> Finding:
    return Finding(rule=RuleId(rule), severity=severity, message=message, path=path, **kw)


# --- scenarios ----------------------------------------------------------------------------

EMPTY = Report(command="verify")

FINDINGS = Report(
    command="verify",
    findings=(
        _f(
            "lock-missing-platform",
            Severity.MEDIUM,
            "no hash for darwin_arm64",
            PROD,
            line=30,
            subject=f"{AWS} 5.31.0",
        ),
        _f(
            "lock-hash-mismatch",
            Severity.CRITICAL,
            "zh:0123abcd is not in the signed SHA256SUMS of 5.31.0",
            PROD,
            line=12,
            subject=f"{AWS} 5.31.0 linux_amd64",
        ),
        _f(
            "provider-not-allowed",
            Severity.HIGH,
            "registry.example.com/acme/widget is outside trust.terraform.providers",
            DEV,
            line=5,
            subject="registry.example.com/acme/widget 1.2.0",
        ),
        # No line: a finding about the whole file.
        _f("invalid-manifest", Severity.HIGH, "unexpected end of file", "aqua/aqua.yaml"),
        # A configured severity override below the default, and one at info.
        _f(
            "lock-missing-provider",
            Severity.LOW,
            "hashicorp/random is required but not locked",
            DEV,
            line=1,
            subject="registry.terraform.io/hashicorp/random",
        ),
        _f("lock-constraint-violation", Severity.INFO, "constraint note", DEV, line=2),
        # No path at all (e.g. a policy-level finding).
        _f(
            "provider-signature-invalid",
            Severity.CRITICAL,
            "signing key 0xDEADBEEF is not trusted",
            "",
            subject="registry.example.com/acme/widget 1.2.0",
        ),
    ),
)

SKIPS_AND_CHECKS = Report(
    command="verify",
    skipped=(
        Skip(
            subject="registry.example.com/acme/widget 1.2.0",
            reason="the registry offers no SHA256SUMS signature",
            path=DEV,
        ),
        Skip(subject="suzuki-shunsuke/tfcmt v4.14.0", reason="offline and not in the cache"),
    ),
    checked=(
        Checked(
            subject="registry.terraform.io/hashicorp/null 3.1.0",
            evidence=("openpgp:34365D9472D7468F (HashiCorp official)", "zh", "h1"),
            path=PROD,
        ),
        Checked(
            subject=f"{AWS} 5.31.0",
            evidence=("openpgp:34365D9472D7468F (HashiCorp official)", "zh"),
            path=PROD,
        ),
        Checked(subject="aquaproj/aqua-registry v4.200.0", evidence=("release-digest",)),
        Checked(subject="hashicorp/terraform 1.9.0", evidence=()),
    ),
    notes=("served 3 responses from the cache (--offline)",),
)

FULL = dataclasses.replace(
    FINDINGS,
    skipped=SKIPS_AND_CHECKS.skipped,
    checked=SKIPS_AND_CHECKS.checked,
    notes=SKIPS_AND_CHECKS.notes,
)

NASTY_MESSAGE = (
    "a | b || c\n"
    "::set-output name=verdict::pass\n"
    "  ::add-mask::hidden\r\n"
    "100% done, %0A stays literal; ##[add-mask]x and ##[set-output name=v;]1\n"
    "<script>alert(1)</script> <img src=x onerror=alert(1)> &amp; `code` ``two`` "
    "**bold** _it_ [click](https://evil.example) ![img](x) $x^2$ ~~s~~ #123 @octocat\n"
    "\x1b[31mred\x1b[0m bell\x07 nul\x00 del\x7f rtl\u202eevil\u202c zw\u200bsp "
    "ls\u2028ps\u2029 tag\U000e0041 é 日本語 🔒"
)
NASTY = Report(
    command="check-pr",
    findings=(
        _f(
            "pr-unexpected-change",
            Severity.CRITICAL,
            NASTY_MESSAGE,
            "envs/we,ird:dir %20/|pipe|`tick`<b>.terraform.lock.hcl",
            line=7,
            subject="registry.terraform.io/evil/x 1.0.0\n::error::spoofed",
        ),
        _f(
            "source-not-allowed",
            Severity.HIGH,
            "line one\nline two",
            "::warning::path-at-line-start.yaml",
        ),
        _f("invalid-manifest", Severity.MEDIUM, "##[error]legacy at start", ""),
    ),
    skipped=(
        Skip(subject="x | y\n::notice::z", reason="reason <b>with</b> `ticks` and 50%", path="a/b"),
    ),
    checked=(
        Checked(
            subject="sub ##[add-mask]ject",
            evidence=("ev|idence", "\x1b]0;title\x07osc", "日本"),
            path="::group::p",
        ),
    ),
    notes=("note\n::endgroup::",),
    changes=(
        Change(
            kind="provider",
            name="registry.terraform.io/evil/x | y",
            path="envs/we,ird|dir/.terraform.lock.hcl",
            line=7,
            old="1.0.0`",
            new="2.0.0 <b>x</b>\n::error::spoofed",
            old_source="github.com/a/b",
            new_source="[click](https://evil.example) @octocat",
            hashes="+1 −0 hashes",
            status="failed",
            evidence=("ev|idence ##[add-mask]x", "\x1b[31mred"),
            released="2026-01-01T00:00:00Z",
            age="2 hours",
        ),
    ),
)

# What check-pr reports for a Renovate PR: a change table beside the findings.
PR = Report(
    command="check-pr",
    findings=(
        _f(
            "checksums-stale",
            Severity.MEDIUM,
            "aqua/aqua.yaml: suzuki-shunsuke/tfcmt is bumped to v4.14.1, but the PR adds no "
            "entries for it to aqua/aqua-checksums.json; run `depguard checksums update aqua`",
            "aqua/aqua.yaml",
            line=12,
            subject="suzuki-shunsuke/tfcmt v4.14.1",
        ),
    ),
    checked=(
        Checked(
            subject="registry.terraform.io/hashicorp/aws 5.32.0",
            evidence=("openpgp:34365D9472D7468F:official", "zh"),
            path="envs/dev/.terraform.lock.hcl",
        ),
    ),
    changes=(
        Change(
            kind="provider",
            name="registry.terraform.io/hashicorp/aws",
            path="envs/dev/.terraform.lock.hcl",
            line=4,
            old="5.31.0",
            new="5.32.0",
            hashes="+14 −14 hashes",
            status="verified",
            evidence=("zh checked against SHA256SUMS signed by HashiCorp 34365D9472D7468F",),
            released="2026-11-01T12:00:00Z",
            age="27.5 days",
        ),
        Change(
            kind="aqua-package",
            name="suzuki-shunsuke/tfcmt",
            path="aqua/aqua.yaml",
            line=12,
            old="v4.14.0",
            new="v4.14.1",
            new_source="standard",
            old_source="standard",
            status="failed",
        ),
        Change(
            kind="action",
            name="actions/checkout",
            path=".github/workflows/ci.yaml",
            line=9,
            old="b4ffde65f46336ab88eb53be808477a3936bae11",
            new="11bd71901bbe5b1630ceea73d27597364c9af683",
            evidence=("pinned to commit 11bd71901bbe (v4.2.2)",),
        ),
        Change(kind="module", name="vpc", path="envs/dev/main.tf", old="v1.0.0"),
        Change(
            kind="aqua-checksums",
            name="aqua-checksums.json",
            path="aqua/aqua-checksums.json",
            hashes="+2 −2 checksums",
            status="not verified",
        ),
    ),
)

SCENARIOS = {
    "empty": EMPTY,
    "findings": FINDINGS,
    "skips_and_checks": SKIPS_AND_CHECKS,
    "full": FULL,
    "nasty": NASTY,
    "pr": PR,
}

# Extra variants of the formats whose output depends on the context.
VARIANTS: dict[str, tuple[Report, OutputFormat, RenderContext]] = {
    "full-quiet.txt": (FULL, OutputFormat.TEXT, dataclasses.replace(CTX, verbosity=-1)),
    "full-verbose.txt": (FULL, OutputFormat.TEXT, dataclasses.replace(CTX, verbosity=1)),
    "full-color.txt": (FULL, OutputFormat.TEXT, dataclasses.replace(CTX, color=True)),
    "full-quiet.github": (FULL, OutputFormat.GITHUB, dataclasses.replace(CTX, verbosity=-1)),
    "findings-fail-on-critical.md": (
        FINDINGS,
        OutputFormat.MARKDOWN,
        dataclasses.replace(CTX, fail_on=Severity.CRITICAL),
    ),
    "low-only-fail-on-high.txt": (
        Report(command="verify", findings=(FINDINGS.findings[4],)),
        OutputFormat.TEXT,
        dataclasses.replace(CTX, fail_on=Severity.HIGH),
    ),
}


def _check_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    if not path.exists():
        pytest.fail(f"missing snapshot {path}; run with DEPGUARD_UPDATE_SNAPSHOTS=1")
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"{name} differs; rerun with DEPGUARD_UPDATE_SNAPSHOTS=1 if intended"


@pytest.mark.parametrize("fmt", list(OutputFormat), ids=lambda f: f.value)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_snapshot(scenario: str, fmt: OutputFormat) -> None:
    _check_snapshot(f"{scenario}.{EXT[fmt]}", render(SCENARIOS[scenario], fmt, CTX))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_snapshot_variant(name: str) -> None:
    report, fmt, ctx = VARIANTS[name]
    _check_snapshot(name, render(report, fmt, ctx))


def test_no_stale_snapshots() -> None:
    expected = {f"{s}.{EXT[f]}" for s in SCENARIOS for f in OutputFormat} | set(VARIANTS)
    present = {p.name for p in SNAPSHOTS.iterdir()} if SNAPSHOTS.is_dir() else set()
    assert present <= expected, f"unreferenced snapshots: {sorted(present - expected)}"


# --- properties common to every renderer ------------------------------------------------


@pytest.mark.parametrize("fmt", list(OutputFormat), ids=lambda f: f.value)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_deterministic_and_order_independent(scenario: str, fmt: OutputFormat) -> None:
    report = SCENARIOS[scenario]
    shuffled = list(report.findings)
    random.Random(4).shuffle(shuffled)
    reordered = dataclasses.replace(
        report,
        findings=tuple(shuffled),
        skipped=report.skipped[::-1],
        checked=report.checked[::-1],
    )
    out = render(report, fmt, CTX)
    assert out == render(report, fmt, CTX) == render(reordered, fmt, CTX)
    assert out.endswith("\n") and not out.endswith("\n\n")


@pytest.mark.parametrize("fmt", list(OutputFormat), ids=lambda f: f.value)
def test_no_line_can_be_a_workflow_command(fmt: OutputFormat) -> None:
    """Output printed to a GitHub Actions log must not smuggle in workflow commands."""
    out = render(NASTY, fmt, CTX)
    for line in out.split("\n"):
        stripped = line.lstrip()
        if fmt is OutputFormat.GITHUB and stripped.startswith("::"):
            command = _parse_v2(stripped)
            assert command is not None, line
            # Only commands we emit; the runner parses these first (v2 before v1).
            assert command[0] in {"error", "warning", "notice", "group", "endgroup"}, line
            continue
        assert not stripped.startswith("::"), line
        assert "##[" not in line, line
    assert "\r" not in out


@pytest.mark.parametrize("fmt", list(OutputFormat), ids=lambda f: f.value)
def test_every_severity_maps(fmt: OutputFormat) -> None:
    for severity in Severity:
        finding = _f("lock-hash-mismatch", severity, "m", "a.hcl", line=1)
        out = render(Report(command="verify", findings=(finding,)), fmt, CTX)
        if fmt is OutputFormat.SARIF:
            result = json.loads(out)["runs"][0]["results"][0]
            assert result["level"] == sarif.LEVEL[severity]
            assert result["properties"]["severity"] == severity.label
        elif fmt is OutputFormat.GITHUB:
            assert out.startswith(f"::{gh.COMMAND[severity]} ")
        else:
            assert severity.label in out


def test_severity_tables_are_total() -> None:
    for table in (sarif.LEVEL, sarif.SECURITY_SEVERITY, gh.COMMAND, text_renderer._SEVERITY_STYLE):
        assert set(table) == set(Severity)
    assert {sarif.LEVEL[s] for s in Severity} <= {"error", "warning", "note"}
    assert {gh.COMMAND[s] for s in Severity} == {"error", "warning", "notice"}
    scores = [float(sarif.SECURITY_SEVERITY[s]) for s in sorted(Severity)]
    assert scores == sorted(scores) and all(0.0 <= s <= 10.0 for s in scores)


def test_render_is_lazy() -> None:
    code = (
        "import sys, depguard.render as r\n"
        "loaded = [m for m in sys.modules if m.startswith('depguard.render.')]\n"
        "assert not loaded, loaded\n"
        "assert 'depguard.rules' not in sys.modules\n"
        "r.render(__import__('depguard.model').model.Report(command='v'), r.OutputFormat.JSON,"
        " r.RenderContext('1'))\n"
        "assert 'depguard.render.sarif' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_printable() -> None:
    assert printable("plain ascii, 日本語 é 🔒") == "plain ascii, 日本語 é 🔒"
    assert printable("a\nb\tc\x1b[0m\x7f\x9b") == "a\\nb\\tc\\x1b[0m\\x7f\\x9b"
    assert printable("rtl\u202e zw\u200b tag\U000e0041") == "rtl\\u202e zw\\u200b tag\\U000e0041"
    assert printable("a\r\nb\x00", keep_newlines=True) == "a\r\nb\\x00"
    assert printable("\ud800") == "\\ud800"  # a lone surrogate would fail to encode


def test_guard_log_lines() -> None:
    assert guard_log_lines("::error::x\n  ::warning::y\nok ##[add-mask]z") == (
        "\\::error::x\n\\  ::warning::y\nok ##\\[add-mask]z"
    )
    assert guard_log_lines("a: b::c") == "a: b::c"


# --- text ---------------------------------------------------------------------------------


def test_text_quiet_has_findings_and_summary_only() -> None:
    out = render(FULL, OutputFormat.TEXT, dataclasses.replace(CTX, verbosity=-1))
    assert "skipped (" not in out and "checked (" not in out and "notes:" not in out
    assert out.splitlines()[-1] == "4 checked, " + (
        "7 findings (2 critical, 2 high, 1 medium, 1 low, 1 info), 2 skipped"
    )


def test_text_empty_is_just_the_summary() -> None:
    assert render(EMPTY, OutputFormat.TEXT, CTX) == "0 checked, 0 findings, 0 skipped\n"


def test_text_summary_matches_the_brief_example() -> None:
    report = Report(
        command="verify",
        findings=(FINDINGS.findings[1],),
        checked=SKIPS_AND_CHECKS.checked[:3],
    )
    out = render(report, OutputFormat.TEXT, dataclasses.replace(CTX, verbosity=-1))
    assert out.endswith("\n3 checked, 1 finding (1 critical), 0 skipped\n")


def test_text_without_color_has_no_escape_sequences() -> None:
    assert "\x1b" not in render(NASTY, OutputFormat.TEXT, CTX)
    colored = render(NASTY, OutputFormat.TEXT, dataclasses.replace(CTX, color=True))
    # With colour on, every ESC is one of ours (an SGR sequence); user ESCs stay escaped.
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == render(NASTY, OutputFormat.TEXT, CTX)


def test_text_finding_lines_are_compiler_style() -> None:
    out = render(FINDINGS, OutputFormat.TEXT, CTX)
    assert f"{PROD}:12: critical lock-hash-mismatch: zh:0123abcd" in out
    assert "aqua/aqua.yaml: high invalid-manifest: unexpected end of file" in out
    assert "(no file): critical provider-signature-invalid:" in out


# --- json ---------------------------------------------------------------------------------


def test_json_shape_and_key_order() -> None:
    doc = json.loads(render(FULL, OutputFormat.JSON, CTX))
    assert list(doc) == [
        "schema",
        "command",
        "tool_version",
        "findings",
        "skipped",
        "checked",
        "summary",
        "notes",
    ]
    assert doc["schema"] == "depguard.report/v1"
    assert list(doc["findings"][0]) == [
        "rule",
        "severity",
        "message",
        "path",
        "line",
        "subject",
        "fingerprint",
    ]
    assert doc["summary"] == {"checked": 4, "findings": 7, "skipped": 2}
    skipped = {s["subject"]: s for s in doc["skipped"]}
    assert list(skipped["suzuki-shunsuke/tfcmt v4.14.0"]) == ["subject", "reason"]
    assert list(skipped["registry.example.com/acme/widget 1.2.0"]) == ["subject", "reason", "path"]
    assert "notes" not in json.loads(render(EMPTY, OutputFormat.JSON, CTX))
    no_line = next(f for f in doc["findings"] if f["rule"] == "invalid-manifest")
    assert no_line["line"] is None


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_json_round_trip(scenario: str) -> None:
    report = SCENARIOS[scenario]
    loaded = json_renderer.load_report(render(report, OutputFormat.JSON, CTX))
    assert loaded == report.sorted()
    # The ##[ guard is a JSON escape: the strings decode unchanged.
    if scenario == "nasty":
        assert loaded.findings[2].message == NASTY_MESSAGE


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: d.update(schema="depguard.report/v2"), "expected 'depguard.report/v1'"),
        (lambda d: d.pop("findings"), "findings must be an array"),
        (lambda d: d["findings"][0].update(severity="urgent"), r"findings\[0\].severity"),
        (lambda d: d["findings"][0].update(line=True), r"findings\[0\].line"),
        (lambda d: d["findings"][0].update(line=0), r"findings\[0\].line"),
        (lambda d: d["findings"][0].pop("message"), r"findings\[0\].message must be a string"),
        (lambda d: d["checked"][0].update(evidence="zh"), r"checked\[0\].evidence"),
        (lambda d: d["skipped"][0].update(path=3), r"skipped\[0\].path"),
        (lambda d: d["summary"].update(findings=99), "summary.findings is 99"),
        (lambda d: d.update(notes=[1]), "notes must be an array of strings"),
    ],
)
def test_load_report_rejects(mutate: Any, match: str) -> None:
    doc = json.loads(render(FULL, OutputFormat.JSON, CTX))
    mutate(doc)
    with pytest.raises(InputError, match=match) as e:
        json_renderer.load_report(json.dumps(doc), path="shard-1.json")
    assert e.value.path == "shard-1.json"


@pytest.mark.parametrize("text", ["", "{", "[]", '"x"', "null"])
def test_load_report_rejects_non_reports(text: str) -> None:
    with pytest.raises(InputError, match=r"^<report>"):
        json_renderer.load_report(text)


def test_load_report_ignores_unknown_keys() -> None:
    doc = json.loads(render(FINDINGS, OutputFormat.JSON, CTX))
    doc["future"] = {"x": 1}
    doc["findings"][0]["confidence"] = "high"
    assert json_renderer.load_report(json.dumps(doc)) == FINDINGS.sorted()


# --- markdown -----------------------------------------------------------------------------


def _table_rows(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("| ")][2:]


def test_markdown_marker_and_headline() -> None:
    out = render(FINDINGS, OutputFormat.MARKDOWN, CTX)
    assert out.startswith("<!-- depguard:report command=verify -->\n")
    assert "### depguard verify: 7 findings (2 critical, 2 high, 1 medium, 1 low, 1 info)" in out
    single = Report(command="verify", findings=(FINDINGS.findings[1],))
    assert "### depguard verify: 1 critical finding\n" in render(single, OutputFormat.MARKDOWN, CTX)
    assert "### depguard verify: no findings\n" in render(EMPTY, OutputFormat.MARKDOWN, CTX)
    weird = Report(command="tools verify --> <x>")
    assert render(weird, OutputFormat.MARKDOWN, CTX).startswith(
        "<!-- depguard:report command=tools-verify------x- -->\n"
    )


def test_markdown_escaping_keeps_the_table_intact() -> None:
    out = render(NASTY, OutputFormat.MARKDOWN, CTX)
    rows = [line for line in out.splitlines() if line.startswith("| ") and "| ---" not in line]
    headers = [r for r in rows if r.startswith(("| Severity", "| Dependency"))]
    rows = [r for r in rows if r not in headers]
    assert len(rows) == len(NASTY.findings) + len(NASTY.changes)
    for row in rows:
        # Exactly 5 (findings) or 7 (changes) unescaped pipes: the cell borders.
        assert len(re.findall(r"(?<!\\)\|", row)) in (5, 7), row
    assert sum(len(re.findall(r"(?<!\\)\|", row)) == 7 for row in rows) == 1
    assert "<script>" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;script&gt;" in out
    assert "\\[click\\](https://evil.example)" in out
    assert "@&#8203;octocat" in out
    assert "\x1b" not in out and "\u202e" not in out
    assert "\\`code\\`" in out


def test_markdown_links_rules_to_readme_anchors() -> None:
    out = render(FINDINGS, OutputFormat.MARKDOWN, CTX)
    assert (
        "[lock-hash-mismatch](https://github.com/depguard/depguard#rule-lock-hash-mismatch)" in out
    )


def test_markdown_stays_under_the_comment_limit() -> None:
    many = tuple(
        _f(
            "lock-hash-mismatch",
            Severity.CRITICAL,
            f"hash {i} mismatch " + "x" * 300,
            f"envs/{i:05d}/.terraform.lock.hcl",
            line=i + 1,
        )
        for i in range(2_000)
    )
    huge = Report(
        command="verify",
        findings=many,
        skipped=tuple(Skip(subject=f"s{i}", reason="r" * 50) for i in range(500)),
        checked=tuple(Checked(subject=f"c{i}", evidence=("zh",)) for i in range(5_000)),
    )
    out = render(huge, OutputFormat.MARKDOWN, CTX)
    assert len(out.encode("utf-16-le")) // 2 <= md.COMMENT_LIMIT
    assert out.startswith("<!-- depguard:report command=verify -->\n")
    shown = len(_table_rows(out))
    assert 0 < shown < len(many)
    assert f"_{len(many) - shown} more findings not shown (comment size limit)" in out
    assert out.count("more items not shown (comment size limit)") == 2
    assert out.rstrip().endswith("<sub>depguard 0.1.0</sub>")
    assert out.count("<details>") == out.count("</details>") == 1


def test_markdown_clips_one_huge_message() -> None:
    big = Report(
        command="verify", findings=(_f("invalid-manifest", Severity.HIGH, "y" * 200_000, "a"),)
    )
    out = render(big, OutputFormat.MARKDOWN, CTX)
    assert len(out) < 5_000 and "y" * (md.MAX_CELL - 1) + "…" in out


def test_markdown_astral_text_counts_double() -> None:
    many = tuple(_f("invalid-manifest", Severity.HIGH, "🔒" * 900, f"f{i:04d}") for i in range(200))
    out = render(Report(command="verify", findings=many), OutputFormat.MARKDOWN, CTX)
    assert len(out.encode("utf-16-le")) // 2 <= md.COMMENT_LIMIT


# --- sarif --------------------------------------------------------------------------------

# A hand-written subset of the SARIF 2.1.0 schema plus GitHub code scanning's requirements.
_LOCATION = {
    "type": "object",
    "required": ["physicalLocation"],
    "properties": {
        "physicalLocation": {
            "type": "object",
            "required": ["artifactLocation"],
            "properties": {
                "artifactLocation": {
                    "type": "object",
                    "required": ["uri", "uriBaseId"],
                    "properties": {
                        "uri": {"type": "string", "pattern": r"^[^\s:#?]+$"},
                        "uriBaseId": {"const": "%SRCROOT%"},
                    },
                },
                "region": {
                    "type": "object",
                    "required": ["startLine"],
                    "properties": {"startLine": {"type": "integer", "minimum": 1}},
                },
            },
        }
    },
}
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
SARIF_SUBSET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "properties": {
        "$schema": {"const": "https://json.schemastore.org/sarif-2.1.0.json"},
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "version", "informationUri", "rules"],
                                "properties": {
                                    "name": {"const": "depguard"},
                                    "version": {"type": "string"},
                                    "informationUri": {"type": "string", "pattern": "^https://"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": [
                                                "id",
                                                "name",
                                                "shortDescription",
                                                "fullDescription",
                                                "help",
                                                "defaultConfiguration",
                                                "properties",
                                            ],
                                            "properties": {
                                                "id": {
                                                    "type": "string",
                                                    "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
                                                },
                                                "name": {"type": "string"},
                                                "shortDescription": _MESSAGE,
                                                "fullDescription": _MESSAGE,
                                                "help": _MESSAGE,
                                                "helpUri": {"type": "string"},
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "required": ["level"],
                                                    "properties": {
                                                        "level": {
                                                            "enum": ["error", "warning", "note"]
                                                        }
                                                    },
                                                },
                                                "properties": {
                                                    "type": "object",
                                                    "required": ["security-severity"],
                                                    "properties": {
                                                        "security-severity": {
                                                            "type": "string",
                                                            "pattern": r"^\d+\.\d$",
                                                        }
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "invocations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["executionSuccessful"],
                            "properties": {
                                "executionSuccessful": {"type": "boolean"},
                                "toolExecutionNotifications": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["message"],
                                        "properties": {
                                            "message": _MESSAGE,
                                            "level": {"enum": ["error", "warning", "note"]},
                                            "locations": {"type": "array", "items": _LOCATION},
                                        },
                                    },
                                },
                            },
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "ruleId",
                                "level",
                                "message",
                                "locations",
                                "partialFingerprints",
                            ],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": {"enum": ["error", "warning", "note"]},
                                "message": _MESSAGE,
                                # GitHub rejects results without a location.
                                "locations": {"type": "array", "minItems": 1, "items": _LOCATION},
                                "partialFingerprints": {
                                    "type": "object",
                                    "required": ["depguard/v1"],
                                    "properties": {"depguard/v1": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
}


def _validate(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """A tiny validator for the keywords the subset schema uses (jsonschema is not a dep)."""
    errors: list[str] = []
    if "type" in schema:
        ok = isinstance(value, _TYPES[schema["type"]])
        if schema["type"] == "integer" and isinstance(value, bool):
            ok = False
        if not ok:
            return [f"{where}: expected {schema['type']}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: expected {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{where}: below {schema['minimum']}")
    if isinstance(value, dict):
        errors += [f"{where}: missing {k}" for k in schema.get("required", []) if k not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                errors += _validate(value[key], sub, f"{where}.{key}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: fewer than {schema['minItems']} items")
        if len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{where}: more than {schema['maxItems']} items")
        for i, item in enumerate(value):
            errors += _validate(item, schema.get("items", {}), f"{where}[{i}]")
    return errors


def test_subset_validator_catches_errors() -> None:
    doc = json.loads(render(FINDINGS, OutputFormat.SARIF, CTX))
    doc["runs"][0]["results"][0]["locations"] = []
    doc["runs"][0]["results"][1]["level"] = "fatal"
    del doc["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"]
    assert len(_validate(doc, SARIF_SUBSET_SCHEMA)) == 3


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_sarif_matches_the_subset_schema(scenario: str) -> None:
    doc = json.loads(render(SCENARIOS[scenario], OutputFormat.SARIF, CTX))
    assert _validate(doc, SARIF_SUBSET_SCHEMA) == []
    try:
        import jsonschema  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return
    jsonschema.validate(doc, SARIF_SUBSET_SCHEMA)


def test_sarif_rules_equal_the_registry() -> None:
    driver = json.loads(render(EMPTY, OutputFormat.SARIF, CTX))["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == [m.id for m in rules.ALL]
    for descriptor, meta in zip(driver["rules"], rules.ALL, strict=True):
        assert descriptor["shortDescription"]["text"] == meta.summary
        assert descriptor["fullDescription"]["text"] == meta.help
        assert descriptor["help"]["text"] == meta.help
        assert descriptor["defaultConfiguration"]["level"] == sarif.LEVEL[meta.severity]
        sev = descriptor["properties"]["security-severity"]
        assert sev == sarif.SECURITY_SEVERITY[meta.severity]
        assert descriptor["helpUri"].endswith(f"#rule-{meta.id}")
    assert driver["version"] == "0.1.0"


def test_sarif_results() -> None:
    doc = json.loads(render(FINDINGS, OutputFormat.SARIF, CTX))
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    results = run["results"]
    assert len(results) == len(FINDINGS.findings)
    for result, finding in zip(results, FINDINGS.sorted().findings, strict=True):
        assert ids[result["ruleIndex"]] == result["ruleId"] == finding.rule
        assert result["partialFingerprints"] == {"depguard/v1": finding.fingerprint}
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == (finding.path or ".")
        assert loc.get("region") == ({"startLine": finding.line} if finding.line else None)


def test_sarif_unknown_rule_and_odd_paths() -> None:
    report = Report(
        command="verify",
        findings=(_f("rule-from-the-future", Severity.LOW, "m", "dir with space/ü#1.hcl", line=3),),
    )
    result = json.loads(render(report, OutputFormat.SARIF, CTX))["runs"][0]["results"][0]
    assert "ruleIndex" not in result and result["ruleId"] == "rule-from-the-future"
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "dir%20with%20space/%C3%BC%231.hcl"


def test_sarif_skips_and_notes_are_notifications() -> None:
    run = json.loads(render(SKIPS_AND_CHECKS, OutputFormat.SARIF, CTX))["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["warning", "warning", "note"]
    assert run["results"] == []


# --- github -------------------------------------------------------------------------------


def _unescape(value: str, *, prop: bool) -> str:
    # The runner's order (ActionCommand.UnescapeProperty / UnescapeData): '%25' last.
    pairs = [("%0D", "\r"), ("%0A", "\n")]
    if prop:
        pairs += [("%3A", ":"), ("%2C", ",")]
    for escaped, raw in [*pairs, ("%25", "%")]:
        value = value.replace(escaped, raw)
    return value


def _parse_v2(line: str) -> tuple[str, dict[str, str], str] | None:
    """Parse a line like actions/runner ``ActionCommand.TryParseV2`` does."""
    line = line.lstrip()
    if not line.startswith("::"):
        return None
    end = line.find("::", 2)
    if end < 0:
        return None
    info = line[2:end]
    name, _, props_text = info.partition(" ")
    props: dict[str, str] = {}
    for pair in filter(None, props_text.strip().split(",")):
        key, sep, val = pair.partition("=")
        if sep and key and val:
            props[key] = _unescape(val, prop=True)
    return name, props, _unescape(line[end + 2 :], prop=False)


def test_github_escaping_follows_the_toolkit() -> None:
    assert gh.escape_data("100%\r\n::x") == "100%25%0D%0A::x"
    assert gh.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert gh.escape_data("%0A") == "%250A"  # a literal '%0A' survives the runner's unescape
    assert _unescape(gh.escape_data("%0A"), prop=False) == "%0A"


def test_github_annotations() -> None:
    lines = render(FINDINGS, OutputFormat.GITHUB, CTX).splitlines()
    assert lines[-1] == (
        "depguard verify: 0 checked, 7 findings "
        "(2 critical, 2 high, 1 medium, 1 low, 1 info), 0 skipped"
    )
    parsed = [_parse_v2(line) for line in lines[:-1]]
    assert all(p is not None for p in parsed)
    by_title = {p[1]["title"]: p for p in parsed if p is not None}
    name, props, data = by_title["lock-hash-mismatch"]
    assert name == "error"
    assert props == {"file": PROD, "line": "12", "title": "lock-hash-mismatch"}
    assert (
        data == f"zh:0123abcd is not in the signed SHA256SUMS of 5.31.0\n{AWS} 5.31.0 linux_amd64"
    )
    assert by_title["invalid-manifest"][1] == {
        "file": "aqua/aqua.yaml",
        "title": "invalid-manifest",
    }
    assert "file" not in by_title["provider-signature-invalid"][1]
    assert by_title["lock-missing-platform"][0] == "warning"
    assert by_title["lock-missing-provider"][0] == "notice"
    assert by_title["lock-constraint-violation"][0] == "notice"


def test_github_injection_is_contained() -> None:
    """Message text with '\\n::set-output' stays inside the annotation: the runner sees one
    command per finding, and unescaping gives back exactly the original text."""
    out = render(NASTY, OutputFormat.GITHUB, CTX)
    lines = out.split("\n")[:-1]
    commands = [_parse_v2(line) for line in lines if line.startswith("::")]
    names = [c[0] for c in commands if c is not None]
    # Most severe first: critical, high, medium; then the skip, the note and the group.
    assert names == ["error", "error", "warning", "warning", "notice", "group", "endgroup"]
    critical = commands[0]
    assert critical is not None and critical[1]["title"] == "pr-unexpected-change"
    # Control characters other than CR/LF are shown as escapes; CR/LF round-trip.
    assert critical[2] == printable(NASTY_MESSAGE, keep_newlines=True) + (
        "\nregistry.terraform.io/evil/x 1.0.0\n::error::spoofed"
    )
    assert critical[1]["file"] == NASTY.findings[0].path
    assert not any(line.lstrip().startswith("::set-output") for line in lines)


def test_cut_prone_formats_list_most_severe_first() -> None:
    lines = render(FINDINGS, OutputFormat.GITHUB, CTX).splitlines()[: len(FINDINGS.findings)]
    titles = [p[1]["title"] for p in map(_parse_v2, lines) if p is not None]
    expected = [
        f.rule for f in sorted(FINDINGS.findings, key=lambda f: (-f.severity, f.sort_key()))
    ]
    assert titles == expected
    rows = _table_rows(render(FINDINGS, OutputFormat.MARKDOWN, CTX))
    assert [row.split(" | ")[0] for row in rows] == [
        "| **critical**",
        "| **critical**",
        "| **high**",
        "| **high**",
        "| medium",
        "| low",
        "| info",
    ]


def test_markdown_truncation_keeps_the_most_severe() -> None:
    low = [_f("invalid-manifest", Severity.LOW, "x" * 900, f"a{i:04d}") for i in range(200)]
    crit = _f("lock-hash-mismatch", Severity.CRITICAL, "the one that matters", "zzz")
    out = render(Report(command="verify", findings=(*low, crit)), OutputFormat.MARKDOWN, CTX)
    assert _table_rows(out)[0].startswith("| **critical** |")
    assert "more findings not shown" in out


def test_github_quiet_omits_notes_and_checked() -> None:
    out = render(FULL, OutputFormat.GITHUB, dataclasses.replace(CTX, verbosity=-1))
    assert "::group::" not in out and "::notice title=depguard::" not in out
    assert out.count("title=depguard%3A skipped") == 2
