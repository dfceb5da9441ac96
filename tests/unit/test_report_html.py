"""The HTML upgrade report: snapshot, determinism, structure, hostile input, and a real browser.

The snapshot lives in ``tests/snapshots/report/example.html``. Rewrite it after an intended
change with ``DEPGUARD_UPDATE_SNAPSHOTS=1 pytest tests/unit/test_report_html.py`` and review
the diff (open the file in a browser: it is the page itself).
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import TypeVar

import pytest

from depguard.model import Finding, RuleId, Severity, Skip
from depguard.report.html import CSP, MAX_CHART_ROWS, render_html
from depguard.report.model import (
    Outdated,
    PullRequest,
    RolloutProgress,
    Skew,
    TrendPoint,
    UpgradeReport,
)

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots" / "report"
UPDATE = os.environ.get("DEPGUARD_UPDATE_SNAPSHOTS") == "1"
VERSION = "0.1.0"
T = TypeVar("T")

NULL = "registry.terraform.io/hashicorp/null"
INVENTORY = "tf.acme.example/platform/inventory"
DEV, STG, PROD, DNS = "envs/dev/network", "envs/stg/network", "envs/prod/network", "envs/prod/dns"


# --- fixtures -----------------------------------------------------------------------------


def _example() -> UpgradeReport:
    """The shipped example monorepo (manifests/examples/acme-infra) a few weeks on."""
    return UpgradeReport(
        generated="2024-06-03T06:00:00Z",
        repository="acme/acme-infra",
        directories=4,
        dependencies=7,
        outdated=(
            Outdated(
                kind="provider",
                name=NULL,
                in_use=("3.1.0",),
                directories=4,
                latest="3.2.2",
                behind=4,
                latest_age_days=361.0,
                libyears=2.61,
            ),
            Outdated(
                kind="provider",
                name=INVENTORY,
                in_use=("1.2.0", "1.3.0"),
                directories=3,
                latest="1.3.0",
                behind=1,
                latest_age_days=12.0,
                libyears=0.21,
            ),
            Outdated(
                kind="aqua",
                name="acme/infra-cli",
                in_use=("v1.4.0",),
                directories=1,
                latest="v1.6.1",
                behind=3,
                latest_age_days=30.5,
                libyears=0.48,
            ),
            Outdated(
                kind="aqua",
                name="trailofbits/rfc8785.py",
                in_use=("v0.1.2",),
                directories=1,
                latest="v0.1.4",
                behind=2,
                note="release dates unknown (no published_at)",
            ),
            Outdated(
                kind="aqua",
                name="slsa-framework/example-package",
                in_use=("v14",),
                directories=1,
                note="offline: no cached release list",
            ),
            Outdated(
                kind="aqua",
                name="acme/drift-report",
                in_use=("v0.7.2",),
                directories=1,
                latest="v0.7.2",
                behind=0,
                latest_age_days=210.0,
                libyears=0.0,
            ),
            Outdated(
                kind="aqua",
                name="malancas/attest-demo",
                in_use=("v0.0.1",),
                directories=1,
                latest="v0.0.1",
                behind=0,
                latest_age_days=400.0,
                libyears=0.0,
            ),
        ),
        skew=(
            Skew(
                kind="provider",
                name=INVENTORY,
                versions={DEV: "1.3.0", STG: "1.2.0", PROD: "1.2.0"},
                stages={"dev": ("1.3.0",), "stg": ("1.2.0",), "prod": ("1.2.0",)},
            ),
        ),
        findings=(
            Finding(
                rule=RuleId("release-too-new"),
                severity=Severity.MEDIUM,
                message="1.3.0 was released 1 day ago; the policy asks for 2 days",
                path=f"{DEV}/.terraform.lock.hcl",
                line=7,
                subject=f"{INVENTORY} 1.3.0",
            ),
            Finding(
                rule=RuleId("lock-missing-platform"),
                severity=Severity.HIGH,
                message="no hash for darwin_arm64",
                path=f"{DNS}/.terraform.lock.hcl",
                line=4,
                subject=f"{NULL} 3.1.0",
            ),
        ),
        skipped=(
            Skip(
                subject="slsa-framework/example-package v14 darwin/arm64",
                reason="no asset for darwin/arm64",
                path="aqua/imports/supply-chain.yaml",
            ),
        ),
        checked=31,
        rollouts=(
            RolloutProgress(
                kind="provider",
                name=INVENTORY,
                to="1.3.0",
                waves=3,
                waves_done=1,
                directories=3,
                directories_done=1,
                next_wave=2,
                next_stage="stg",
                may_start="2024-06-05",
            ),
            RolloutProgress(
                kind="provider",
                name=NULL,
                to="3.2.2",
                waves=4,
                waves_done=3,
                directories=4,
                directories_done=3,
                next_wave=4,
                next_stage="prod",
                may_start="2024-06-10",
                approval=True,
            ),
        ),
        prs=(
            PullRequest(
                number=43,
                title="chore(deps): update acme/infra-cli to v1.6.1",
                url="https://github.com/acme/acme-infra/pull/43",
                created="2024-06-01T09:30:00Z",
                labels=("renovate",),
            ),
            PullRequest(
                number=42,
                title="chore(deps): update provider tf.acme.example/platform/inventory "
                "to v1.3.0 (stg)",
                url="https://github.com/acme/acme-infra/pull/42",
                created="2024-05-31T08:12:00Z",
                labels=("rollout:stg", "renovate"),
            ),
        ),
        trend=(
            TrendPoint(
                generated="2024-05-13T06:00:00Z",
                outdated=5,
                skewed=0,
                findings=0,
                skipped=1,
                libyears=4.1,
            ),
            TrendPoint(
                generated="2024-05-20T06:00:00Z",
                outdated=5,
                skewed=0,
                findings=1,
                skipped=1,
                libyears=4.1,
            ),
            TrendPoint(
                generated="2024-05-27T06:00:00Z",
                outdated=3,
                skewed=1,
                findings=3,
                skipped=1,
                libyears=3.2,
            ),
            TrendPoint(
                generated="2024-06-03T06:00:00Z",
                outdated=4,
                skewed=1,
                findings=2,
                skipped=1,
                libyears=3.3,
            ),
        ),
        notes=("Release dates of trailofbits/rfc8785.py are unknown: bar shows releases behind.",),
    )


def _empty() -> UpgradeReport:
    return UpgradeReport(
        generated="2024-06-03T06:00:00Z",
        repository="empty",
        directories=0,
        dependencies=0,
        outdated=(),
        skew=(),
        findings=(),
        skipped=(),
        checked=0,
        rollouts=(),
        prs=None,
        trend=(),
    )


SCRIPT = "<script>alert(1)</script>"
ONLOAD = '"onload="alert(1)'
CTRL = "\x1b[31mred\x1b[0m\u202eevil\x00"
HOSTILE_STRINGS = (SCRIPT, ONLOAD, "<img src=x onerror=alert(1)>", "javascript:alert(1)")
N_SKEW = 500


def _hostile() -> UpgradeReport:
    """Every string an attacker could influence, made as nasty as we can, at scale."""
    stages = ("dev", "<b>stg</b>", f"prod{ONLOAD}")
    skew = tuple(
        Skew(
            kind="aqua" if i % 2 else f"provider{ONLOAD}",
            name=f"evil/{SCRIPT}-{i:03d}{CTRL}",
            versions={
                f"envs/{stage}/dir{j}{ONLOAD}": f"1.{(i + j) % 4}.0{ONLOAD}"
                for j in range(3)
                for stage in stages
            },
            stages={stage: tuple(f"1.{k}.0{ONLOAD}" for k in range(4)) for stage in stages},
        )
        for i in range(N_SKEW)
    )
    return UpgradeReport(
        generated=f"2024-06-03{SCRIPT}",
        repository=f"{SCRIPT}{CTRL}",
        directories=9,
        dependencies=N_SKEW,
        outdated=(
            Outdated(
                kind=SCRIPT,
                name=f"{ONLOAD}{CTRL}",
                in_use=(SCRIPT, ONLOAD),
                directories=2,
                latest=f"9.9.9{SCRIPT}",
                behind=7,
                latest_age_days=float("nan"),
                libyears=float("inf"),
                note=f"<img src=x onerror=alert(1)>{CTRL}",
            ),
            Outdated(
                kind="aqua",
                name=f"x/{'a' * 300}",
                in_use=("1",),
                directories=1,
                latest="2",
                behind=-3,
                libyears=-1.0,
            ),
        ),
        skew=skew,
        findings=(
            Finding(
                rule=RuleId("<img src=x onerror=alert(1)>"),
                severity=Severity.CRITICAL,
                message=f"{SCRIPT}\n{CTRL}",
                path=f"{ONLOAD}.hcl",
                line=1,
                subject=SCRIPT,
            ),
            Finding(
                rule=RuleId("lock-hash-mismatch"),
                severity=Severity.LOW,
                message=ONLOAD,
                path="",
            ),
        ),
        skipped=(Skip(subject=SCRIPT, reason=f"{ONLOAD}{CTRL}", path=SCRIPT),),
        checked=-1,
        rollouts=(
            RolloutProgress(
                kind=SCRIPT,
                name=ONLOAD,
                to=f"{CTRL}",
                waves=0,
                waves_done=5,
                directories=-1,
                directories_done=9,
                next_wave=None,
                next_stage=SCRIPT,
                may_start=f"{ONLOAD}",
                approval=True,
            ),
        ),
        prs=(
            PullRequest(number=1, title=SCRIPT, url="javascript:alert(1)", created=ONLOAD),
            PullRequest(number=2, title="x", url=" https://github.com/a/b/pull/2", created=""),
            PullRequest(number=3, title="x", url="data:text/html,<script>x</script>", created=""),
            PullRequest(
                number=4,
                title="x",
                url='https://github.com/a/b/pull/4"onmouseover="alert(1)',
                created="",
                labels=(SCRIPT, ONLOAD),
            ),
            PullRequest(number=5, title="x", url="https:///nohost", created=""),
            PullRequest(number=6, title="x", url="https://github.com/a/b/pull/\x0a6", created=""),
        ),
        trend=tuple(
            TrendPoint(
                generated=f"2024-{i:03d}{SCRIPT}",
                outdated=i % 9,
                skewed=N_SKEW if i == 99 else 0,
                findings=-(i % 3),
                skipped=0,
                libyears=float(i),
            )
            for i in range(100)
        ),
        notes=(SCRIPT, CTRL),
    )


SCENARIOS = {"example": _example, "empty": _empty, "hostile": _hostile}


# --- an HTML checker ----------------------------------------------------------------------

VOID = {"meta", "link", "br", "hr", "img", "input", "wbr", "col", "area", "base", "source"}
ALLOWED_TAGS = {
    # document and text
    *("html", "head", "meta", "link", "title", "style", "body", "header", "nav", "main"),
    *("section", "footer", "h1", "h2", "h3", "p", "a", "span", "div", "code", "time", "br"),
    *("ul", "li", "details", "summary", "figure", "figcaption"),
    *("table", "caption", "thead", "tbody", "tr", "th", "td"),
    # SVG
    *("svg", "desc", "g", "rect", "text", "line", "polyline", "circle"),
}


class _Page(HTMLParser):
    """Collects what the safety assertions need, and checks that tags nest properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.errors: list[str] = []
        self.svgs = 0
        self.svg_first_child: list[str] = []
        self._after_svg = False
        self.text: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if self._after_svg:
            self.svg_first_child.append(tag)
            self._after_svg = False
        if tag == "svg":
            self.svgs += 1
            self._after_svg = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "style" not in self.stack:
            self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def _render(name: str) -> str:
    return render_html(SCENARIOS[name](), tool_version=VERSION)


# --- snapshot -----------------------------------------------------------------------------


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


def test_snapshot_example() -> None:
    _check_snapshot("example.html", _render("example"))


def test_no_stale_html_snapshots() -> None:
    present = {p.name for p in SNAPSHOTS.glob("*.html")} if SNAPSHOTS.is_dir() else set()
    assert present <= {"example.html"}, f"unreferenced snapshots: {sorted(present)}"


# --- determinism --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_deterministic_and_order_independent(name: str) -> None:
    report = SCENARIOS[name]()
    rng = random.Random(6)

    def shuffled(items: tuple[T, ...]) -> tuple[T, ...]:
        out = list(items)
        rng.shuffle(out)
        return tuple(out)

    reordered = dataclasses.replace(
        report,
        outdated=shuffled(report.outdated),
        skew=shuffled(report.skew),
        findings=shuffled(report.findings),
        skipped=shuffled(report.skipped),
        rollouts=shuffled(report.rollouts),
        prs=None if report.prs is None else shuffled(report.prs),
    )
    page = render_html(report, tool_version=VERSION)
    assert page == render_html(report, tool_version=VERSION)
    assert page == render_html(reordered, tool_version=VERSION)
    assert page.endswith("</html>\n")


# --- structure and safety, for every scenario ---------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_structure(name: str) -> None:
    page = _render(name)
    doc = _parse(page)
    assert doc.doctype.lower() == "doctype html"
    assert not doc.errors, doc.errors[:5]
    assert not doc.stack, f"unclosed: {doc.stack}"
    tags = {tag for tag, _ in doc.tags}
    assert tags <= ALLOWED_TAGS, sorted(tags - ALLOWED_TAGS)
    # The CSP meta element is there, verbatim, before anything that could load.
    metas = [a for t, a in doc.tags if t == "meta"]
    csp = [a["content"] for a in metas if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp == [CSP]
    assert CSP.startswith("default-src 'none'; style-src 'unsafe-inline'; img-src data:")
    assert page.index("Content-Security-Policy") < page.index("<style>")
    assert {"charset": "utf-8"} in metas
    ids = [a["id"] for _, a in doc.tags if "id" in a]
    assert len(ids) == len(set(ids)), "duplicate ids"


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_nothing_runs_or_loads(name: str) -> None:
    page = _render(name)
    doc = _parse(page)
    assert "<script" not in page.lower()
    for tag, attrs in doc.tags:
        for attr, value in attrs.items():
            assert not attr.startswith("on"), (tag, attr)
            assert attr not in ("src", "srcset", "xlink:href", "action", "formaction"), (tag, attr)
            if attr == "href":
                assert value is not None
                if tag == "link":
                    assert value == "data:,", value  # the blank favicon
                elif value.startswith("#"):
                    assert re.fullmatch(r"#[a-z-]+", value), value
                else:
                    assert tag == "a" and value.startswith("https://"), (tag, value)
                    assert attrs.get("rel") == "noopener noreferrer", value
            if attr == "style":
                assert value is not None and re.fullmatch(r"width:\d{1,3}%", value), value
    # No CSS can fetch either.
    style = page[page.index("<style>") : page.index("</style>")]
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    # The only http(s) text in attributes is links, SVG's namespace name and the README/PR URLs.
    for m in re.finditer(r'(\w[\w:-]*)="(https?://[^"]*)"', page):
        attr, url = m.groups()
        assert attr == "href" or (attr == "xmlns" and url == "http://www.w3.org/2000/svg"), m[0]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_charts_are_accessible_well_formed_svg(name: str) -> None:
    page = _render(name)
    doc = _parse(page)
    assert doc.svgs >= 1  # the trend chart always renders
    assert doc.svg_first_child == ["title"] * doc.svgs
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    assert len(svgs) == doc.svgs
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed XML, not only tolerable HTML
        assert root.get("role") == "img"
        assert root.get("aria-label")
        title = root.find("{http://www.w3.org/2000/svg}title")
        assert title is not None and title.text
        width, height = float(root.get("width", "0")), float(root.get("height", "0"))
        assert 0 < width < 6000 and 0 < height < 3000, (width, height)
        for el in root.iter():
            for value in el.attrib.values():
                assert "nan" not in value.lower() and "inf" not in value.lower(), value


# --- content ------------------------------------------------------------------------------


def test_example_content() -> None:
    page = _render("example")
    text = " ".join(_parse(page).text)
    # Header and summary.
    assert "Upgrade report — acme/acme-infra" in text
    assert "2024-06-03T06:00:00Z" in text and "depguard 0.1.0" in text
    # Deltas against the previous run: outdated 3 → 4, findings 3 → 2, skewed 1 → 1.
    assert '<div class="k">Outdated</div><div class="v">4</div><span class="d up"' in page
    assert "▲ 1" in page and "▼ 1" in page and "= 0" in page
    assert '<div class="k">Libyears</div><div class="v">3.30</div>' in page
    # Rule links go to the README's rule anchors.
    assert (
        '<a href="https://github.com/depguard/depguard#rule-release-too-new" '
        'rel="noopener noreferrer">' in page
    )
    # Findings most severe first.
    assert page.index("lock-missing-platform") < page.index("release-too-new")
    # Outdated: worst libyears first; unknown release list listed; up-to-date ones folded.
    assert page.index(f"<code>{NULL}</code>") < page.index(f"<code>{INVENTORY}</code>")
    assert "offline: no cached release list" in page
    assert "2 dependencies up to date" in page
    # Heat map: dev on the newest version (h4), stg/prod on the oldest (h0), stages in order.
    assert f"{INVENTORY} in {DEV}: 1.3.0 (newest)" in page
    assert f"{INVENTORY} in {PROD}: 1.2.0 (oldest)" in page
    heat = page[page.index('id="chart-skew-title"') :]
    assert heat.index(">dev<") < heat.index(">stg<") < heat.index(">prod<")
    # Bars: one per outdated dependency; rfc8785.py has no dates, so releases behind.
    bars = page[page.index('id="chart-age-title"') : page.index("</svg>", page.index("chart-age"))]
    assert bars.count('<rect class="b-') == 4
    assert "2 releases behind" in bars and "2.61 libyears" in bars
    # Rollouts: progress bars from waves, approval badge.
    assert 'aria-valuenow="1"' in page and 'style="width:33%"' in page
    assert 'style="width:75%"' in page and "approval required" in page
    # PRs, newest number last, with labels.
    assert page.index(">#42</a>") < page.index(">#43</a>")
    assert '<span class="badge">rollout:stg</span>' in page
    # Trend: four dots per series, the dates on the axis.
    trend = page[page.index('id="chart-trend-title"') :]
    assert trend.count('<circle class="s-out"') == 4
    assert ">2024-05-13<" in trend and ">2024-06-03<" in trend


def test_empty_report() -> None:
    page = _render("empty")
    assert "Everything is up to date" not in page  # nothing was found at all
    assert "No dependencies found." in page
    assert "No version skew" in page
    assert "No rollout in progress." in page
    assert 'id="prs"' not in page and 'href="#prs"' not in page  # PRs were not asked for
    assert "chart-age" not in page and "chart-skew" not in page
    # A trend without history still shows this run: a single point, no line.
    trend = page[page.index('id="chart-trend-title"') :]
    assert trend.count("<circle") == 3 and "<polyline" not in trend
    assert "no earlier run" in page


def test_prs_section_only_when_asked_for() -> None:
    report = dataclasses.replace(_empty(), prs=())
    page = render_html(report, tool_version=VERSION)
    assert 'id="prs"' in page and "No open Renovate pull request." in page


def test_previous_run_when_trend_lacks_this_run() -> None:
    # A collector that leaves this run out of the trend: compare against its last point.
    report = dataclasses.replace(_example(), trend=_example().trend[:-1])
    page = render_html(report, tool_version=VERSION)
    assert "Changes are against the run of 2024-05-27T06:00:00Z." in page


def test_hostile_strings_are_only_escaped() -> None:
    page = _render("hostile")
    for raw in HOSTILE_STRINGS:
        if raw.startswith("javascript:"):
            continue  # harmless as text; checked as a link below
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;onload=&quot;alert(1)" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    # Control and format characters show as escapes, never as themselves.
    for ch in page:
        assert ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp", "Cs"), ch
    assert "\\x1b[31mred" in page and "\\u202eevil" in page and "\\x00" in page
    # Links: only the one well-formed https PR URL, attribute-escaped; the rest are plain text.
    doc = _parse(page)
    pr_links = [a["href"] for t, a in doc.tags if t == "a" and "/pull/" in (a.get("href") or "")]
    assert pr_links == ['https://github.com/a/b/pull/4"onmouseover="alert(1)']
    assert 'href="https://github.com/a/b/pull/4&quot;onmouseover=&quot;alert(1)"' in page
    assert "javascript:" not in " ".join(a.get("href") or "" for _, a in doc.tags)
    # A rule id that is not an id is not linked.
    assert "#rule-&lt;img" not in page


def test_skew_without_directories_still_renders() -> None:
    # Not something the collector makes, but the renderer must be total over the model.
    report = dataclasses.replace(_empty(), skew=(Skew(kind="aqua", name="nowhere", versions={}),))
    page = render_html(report, tool_version=VERSION)
    assert "0 directories" in page
    ET.fromstring(re.findall(r"<svg\b.*?</svg>", page, flags=re.S)[0])


def test_skew_without_stages_has_no_stage_bands() -> None:
    skew = Skew(kind="provider", name=NULL, versions={DEV: "3.1.0", PROD: "3.2.2"})
    page = render_html(dataclasses.replace(_empty(), skew=(skew,)), tool_version=VERSION)
    heat = page[page.index('id="chart-skew-title"') : page.index("</svg>")]
    assert "(no stage)" not in heat and 'font-weight="bold"' not in heat
    assert f"{NULL} in {DEV}: 3.1.0 (oldest)" in heat and '<g class="h0">' in heat
    assert f"{NULL} in {PROD}: 3.2.2 (newest)" in heat and '<g class="h4">' in heat


def test_hostile_scale_is_capped() -> None:
    page = _render("hostile")
    heat = page[
        page.index('id="chart-skew-title"') : page.index("</svg>", page.index("chart-skew"))
    ]
    assert heat.count("not used") + heat.count('<g class="h') <= MAX_CHART_ROWS * 40
    assert f"{N_SKEW - MAX_CHART_ROWS} more dependencies not shown" in page
    # The table is complete, folded away.
    assert f"Show all {N_SKEW} rows" in page
    assert page.count("evil/&lt;script&gt;alert(1)&lt;/script&gt;-499") >= 1
    # 100 trend points: the last 60 drawn.
    assert "40 earlier runs not shown" in page
    # Negative, NaN and infinite numbers do not break the layout (see the SVG checks too).
    assert 'style="width:0%"' in page
    assert len(page) < 3_000_000


# --- the browser tier ---------------------------------------------------------------------


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.parametrize("name", ["example", "hostile"])
def test_chromium_screenshot(name: str, tmp_path: Path) -> None:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium (or chromium-browser) not on PATH: browser tier not run")
    page = _render(name)
    assert not re.search(r'\bsrc="https?:', page)  # belt and braces to the CSP
    html_file = tmp_path / f"{name}.html"
    html_file.write_text(page, encoding="utf-8")
    png = tmp_path / f"{name}.png"
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        # Any DNS lookup fails: a request from the page could not reach anything.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={png}",
        "--window-size=1280,2000",
        html_file.as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    print(f"screenshot: {png}")
    assert run.returncode == 0, run.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (1280, 2000)
    assert len(data) > 20_000, len(data)
    # The page logged nothing: a CSP violation (a blocked load or script) is logged as a
    # console message naming the page ("... violates the following Content Security Policy
    # directive ..."; older versions say "Refused to ...").
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    assert "Content Security Policy" not in run.stderr and "Refused to" not in run.stderr
    assert not re.search(r"ERR_NAME_NOT_RESOLVED|net::ERR_", run.stderr), run.stderr[-2000:]
