"""depguard.sources.github against the local HTTPS "GitHub" (tests/support/github_server.py)."""
# ruff: noqa: F811  (pytest fixtures are imported by name and then used as parameters)

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from depguard.aqua.platform import GitHubUrls
from depguard.errors import InputError, NetworkError, UnsupportedError
from depguard.net.cache import Cache
from depguard.net.fetcher import NotFound
from depguard.net.http import HttpFetcher
from depguard.sources.github import GitHubSource, parse_digest
from tests.conftest import FAKE_TOKEN

# Fixtures from the plugins; imported so this module also runs before they are registered.
from tests.support.fixtures import https_server, tls_material, trust_test_ca  # noqa: F401
from tests.support.github_server import GitHubBuilder, github_server  # noqa: F401
from tests.support.servers import HttpsServer, RecordedRequest, Reply, json_reply

pytestmark = pytest.mark.usefixtures("trust_test_ca")


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_source(
    gh: GitHubBuilder, tmp_path: Path, *, sleeps: Sleeps | None = None, **kw: object
) -> GitHubSource:
    fetcher = HttpFetcher(
        Cache(tmp_path / "cache"),
        github_token=FAKE_TOKEN,
        github_api_host=gh.api_host,
        sleep=sleeps if sleeps is not None else (lambda _s: None),
        **kw,  # type: ignore[arg-type]
    )
    return GitHubSource(fetcher, gh.urls)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- releases -----------------------------------------------------------------------------


def test_release_assets_and_digest_parsing(github_server: GitHubBuilder, tmp_path: Path) -> None:
    assets = {
        "tool_linux_amd64.tar.gz": b"linux",
        "tool_darwin_arm64.tar.gz": b"darwin",
        "sha512.zip": b"z",
        "short.zip": b"s",
        "upper.zip": b"u",
        "none.zip": b"n",
        "checksums.txt": b"sums",
    }
    github_server.add_release(
        "acme",
        "tool",
        "v1.2.3",
        assets,
        digests={
            "sha512.zip": "sha512:" + hashlib.sha512(b"z").hexdigest(),
            "short.zip": "sha256:" + sha(b"s")[:63],
            "upper.zip": "sha256:" + sha(b"u").upper(),
            "none.zip": None,
        },
        published_at="2026-02-03T04:05:06Z",
    )
    rel = make_source(github_server, tmp_path).release("acme", "tool", "v1.2.3")
    assert rel.tag == "v1.2.3"
    assert rel.published_at == "2026-02-03T04:05:06Z"
    assert set(rel.assets) == set(assets)
    linux = rel.assets["tool_linux_amd64.tar.gz"]
    assert linux.digest == sha(b"linux")
    assert linux.size == 5
    assert linux.url == f"{github_server.urls.url}/acme/tool/releases/download/v1.2.3/{linux.name}"
    assert rel.assets["sha512.zip"].digest is None
    assert rel.assets["short.zip"].digest is None
    assert rel.assets["upper.zip"].digest == sha(b"u")
    assert rel.assets["none.zip"].digest is None


def test_parse_digest_is_strict() -> None:
    good = "a" * 64
    assert parse_digest("sha256:" + good) == good
    assert parse_digest("sha256:" + good.upper()) == good
    for bad in (None, 5, "", good, "sha256:" + good + "0", "SHA256:" + good, "sha256:" + "g" * 64):
        assert parse_digest(bad) is None


def test_release_is_memoised_and_404_is_not_found(
    github_server: GitHubBuilder,
    tmp_path: Path,
) -> None:
    github_server.add_release("acme", "tool", "v1", {"a": b"a"})
    src = make_source(github_server, tmp_path)
    src.release("acme", "tool", "v1")
    src.release("acme", "tool", "v1")
    assert github_server.count("/api/repos/acme/tool/releases/tags/v1") == 1
    with pytest.raises(NotFound):
        src.release("acme", "tool", "v2")
    with pytest.raises(NotFound):
        src.release("acme", "tool", "v2")
    assert github_server.count("/api/repos/acme/tool/releases/tags/v2") == 1


def test_tag_with_slash_and_download(github_server: GitHubBuilder, tmp_path: Path) -> None:
    data = b"kustomize binary" * 100
    github_server.add_release("kubernetes-sigs", "kustomize", "kustomize/v5.4.3", {"k.tgz": data})
    src = make_source(github_server, tmp_path)
    rel = src.release("kubernetes-sigs", "kustomize", "kustomize/v5.4.3")
    assert rel.assets["k.tgz"].digest == sha(data)
    url = src.release_asset_url("kubernetes-sigs", "kustomize", "kustomize/v5.4.3", "k.tgz")
    assert url.endswith("/kubernetes-sigs/kustomize/releases/download/kustomize%2Fv5.4.3/k.tgz")
    assert url == rel.assets["k.tgz"].url
    dl = src.download_asset("kubernetes-sigs", "kustomize", "kustomize/v5.4.3", "k.tgz")
    assert dl.sha256 == sha(data)
    assert dl.path.read_bytes() == data
    with pytest.raises(NetworkError, match="exceeds the limit"):
        src.download_asset(
            "kubernetes-sigs", "kustomize", "kustomize/v5.4.3", "k.tgz", max_bytes=10
        )
    with pytest.raises(NotFound):
        src.download_asset("kubernetes-sigs", "kustomize", "kustomize/v5.4.3", "missing.tgz")


def test_latest_and_paginated_release_list(github_server: GitHubBuilder, tmp_path: Path) -> None:
    for i in range(130):
        github_server.add_release("acme", "many", f"v1.{i}.0", {})
    github_server.add_release("acme", "many", "v2.0.0-rc.1", {}, prerelease=True)
    src = make_source(github_server, tmp_path)
    assert src.latest_release("acme", "many").tag == "v1.129.0"
    rels = src.releases("acme", "many")
    assert len(rels) == 131
    assert rels[0].tag == "v2.0.0-rc.1" and rels[0].prerelease
    assert github_server.count("/api/repos/acme/many/releases") == 2
    assert (
        len(make_source(github_server, tmp_path / "b").releases("acme", "many", max_pages=1)) == 100
    )


def test_malformed_pagination_link_fails_instead_of_truncating(
    github_server: GitHubBuilder, tmp_path: Path
) -> None:
    digest = "ab" * 32
    path = f"/api/repos/acme/tool/attestations/sha256:{digest}"
    link = f'<https://[::1{path}?page=2>; rel="next"'
    body = b'{"attestations": []}'
    github_server.server.route(
        path, Reply(body=body, content_type="application/json", headers={"Link": link})
    )
    with pytest.raises(NetworkError, match="invalid pagination link"):
        make_source(github_server, tmp_path).attestations("acme", "tool", digest)


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"tag_name": 5, "assets": []}',
        b'{"tag_name": "v1", "assets": {}}',
        b'{"tag_name": "v1", "assets": [{"name": "a", "size": 1}]}',
        b'{"tag_name": "v1", "assets": [{"name": "a", "size": -1, "browser_download_url": "https://x/a"}]}',
        b'{"tag_name": "v1", "assets": [{"name": "a", "size": 1, "browser_download_url": "file:///etc/passwd"}]}',
        b'{"tag_name": "v0", "assets": []}',
        b"not json",
    ],
)
def test_malformed_release_json_is_network_error_naming_url(
    github_server: GitHubBuilder,
    tmp_path: Path,
    body: bytes,
) -> None:
    path = "/api/repos/acme/tool/releases/tags/v1"
    github_server.server.route(path, Reply(body=body, content_type="application/json"))
    with pytest.raises(NetworkError) as exc:
        make_source(github_server, tmp_path).release("acme", "tool", "v1")
    assert exc.value.message.startswith(github_server.server.url_for(path))


@pytest.mark.parametrize(
    ("owner", "repo", "tag"),
    [
        ("acme/x", "tool", "v1"),
        ("..", "tool", "v1"),
        ("acme", "to ol", "v1"),
        ("acme", "tool", "../v1"),
        ("acme", "tool", "/v1"),
        ("acme", "tool", "v1\n"),
        ("acme", "tool", ""),
        ("acme", "tool", "a//b"),
        ("acme", "tool", "v1\\x"),
    ],
)
def test_invalid_components_are_input_errors(
    github_server: GitHubBuilder,
    tmp_path: Path,
    owner: str,
    repo: str,
    tag: str,
) -> None:
    src = make_source(github_server, tmp_path)
    with pytest.raises(InputError):
        src.release(owner, repo, tag)
    with pytest.raises(InputError):
        src.raw(owner, repo, tag, "registry.yaml")
    assert github_server.total_requests() == 0


def test_invalid_asset_names_and_paths(github_server: GitHubBuilder, tmp_path: Path) -> None:
    src = make_source(github_server, tmp_path)
    for name in ("a/b", "..", "", "x\x00"):
        with pytest.raises(InputError):
            src.release_asset_url("acme", "tool", "v1", name)
    for path in ("../etc/passwd", "/abs", "a/../b", "a/", "a\tb"):
        with pytest.raises(InputError):
            src.raw("acme", "tool", "v1", path)


# --- repository files ---------------------------------------------------------------------


def test_raw_direct(github_server: GitHubBuilder, tmp_path: Path) -> None:
    github_server.add_raw(
        "aquaproj", "aqua-registry", "v4.300.0", "registry.yaml", b"packages: []\n"
    )
    src = make_source(github_server, tmp_path)
    assert src.raw("aquaproj", "aqua-registry", "v4.300.0", "registry.yaml") == b"packages: []\n"
    assert github_server.count("/raw/aquaproj/aqua-registry/v4.300.0/registry.yaml") == 1
    assert github_server.count("/api/repos/aquaproj/aqua-registry/contents/registry.yaml") == 0


@pytest.mark.parametrize("inline", [True, False])
def test_raw_falls_back_to_contents_api(
    github_server: GitHubBuilder,
    tmp_path: Path,
    inline: bool,
) -> None:
    data = b"packages:\n" + b"  - name: x\n" * 500
    github_server.add_raw("acme", "private-registry", "v1.0.0", "pkgs/x/registry.yaml", data,
                          via_raw=False, inline=inline)  # fmt: skip
    src = make_source(github_server, tmp_path)
    assert src.raw("acme", "private-registry", "v1.0.0", "pkgs/x/registry.yaml") == data
    assert github_server.count("/raw/acme/private-registry/v1.0.0/pkgs/x/registry.yaml") == 1
    assert (
        github_server.count("/api/repos/acme/private-registry/contents/pkgs/x/registry.yaml") == 1
    )


def test_raw_missing_everywhere_is_not_found(github_server: GitHubBuilder, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        make_source(github_server, tmp_path).raw("acme", "tool", "v1", "nope.yaml")


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ([{"type": "file"}], "is a directory"),
        ({"type": "dir"}, "is a 'dir', not a file"),
        ({"type": "file", "encoding": "base64", "content": "!!!", "size": 3}, "not valid base64"),
        ({"type": "file", "encoding": "base64", "content": "YWJj", "size": 4}, "answer says 4"),
        (
            {"type": "file", "encoding": "base64", "content": "YWJj", "sha": "0" * 40},
            "does not match its git blob id",
        ),
        ({"type": "file", "encoding": "none", "content": ""}, "download_url"),
    ],
)
def test_malformed_contents_answers(
    github_server: GitHubBuilder,
    tmp_path: Path,
    doc: object,
    match: str,
) -> None:
    github_server.server.route("/api/repos/acme/tool/contents/f.yaml", json_reply(doc))
    with pytest.raises(NetworkError, match=match) as exc:
        make_source(github_server, tmp_path).raw("acme", "tool", "v1", "f.yaml")
    assert "/api/repos/acme/tool/contents/f.yaml?ref=v1" in exc.value.message


# --- attestations -------------------------------------------------------------------------


def test_attestations(github_server: GitHubBuilder, tmp_path: Path) -> None:
    digest = sha(b"artifact")
    b1 = json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "n": 1}).encode()
    b2 = json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "n": 2}).encode()
    github_server.add_attestation("acme", "tool", digest, b1)
    github_server.add_attestation("acme", "tool", digest, b2)
    src = make_source(github_server, tmp_path)
    got = src.attestations("acme", "tool", digest.upper())
    assert [json.loads(b) for b in got] == [json.loads(b1), json.loads(b2)]
    assert src.attestations("acme", "tool", sha(b"other")) == []
    with pytest.raises(InputError):
        src.attestations("acme", "tool", "sha256:" + digest)


def test_attestations_follow_next_links_on_the_api_origin_only(
    github_server: GitHubBuilder,
    tmp_path: Path,
) -> None:
    digest = sha(b"x")
    path = f"/api/repos/acme/tool/attestations/sha256:{digest}"
    api = github_server.server.url_for(path)

    def handler(req: RecordedRequest) -> Reply:
        if "after=c2" in req.path:
            reply = json_reply({"attestations": [{"bundle": {"n": 3}}]})
            reply.headers["Link"] = f'<https://127.0.0.1:1{path}?after=c3>; rel="next"'
            return reply
        if "after=c1" in req.path:
            reply = json_reply({"attestations": [{"bundle": {"n": 2}}]})
            reply.headers["Link"] = f'<{api}?after=c2>; rel="next"'
            return reply
        reply = json_reply({"attestations": [{"bundle": {"n": 1}}]})
        reply.headers["Link"] = f'<{api}?after=c1>; rel="next", <{api}?before=c0>; rel="prev"'
        return reply

    github_server.server.route(path, handler)
    got = make_source(github_server, tmp_path).attestations("acme", "tool", digest)
    assert [json.loads(b)["n"] for b in got] == [1, 2, 3]


def test_attestations_only_as_bundle_url_are_unsupported(
    github_server: GitHubBuilder,
    tmp_path: Path,
) -> None:
    digest = sha(b"x")
    github_server.server.route(
        f"/api/repos/acme/tool/attestations/sha256:{digest}",
        json_reply({"attestations": [{"bundle": None, "bundle_url": "https://x/b.snappy"}]}),
    )
    with pytest.raises(UnsupportedError, match="bundle_url"):
        make_source(github_server, tmp_path).attestations("acme", "tool", digest)


def test_attestations_wrong_shape(github_server: GitHubBuilder, tmp_path: Path) -> None:
    digest = sha(b"x")
    github_server.server.route(
        f"/api/repos/acme/tool/attestations/sha256:{digest}",
        json_reply({"attestations": [{"bundle": "nope"}]}),
    )
    with pytest.raises(NetworkError, match="a bundle is not a JSON object"):
        make_source(github_server, tmp_path).attestations("acme", "tool", digest)


# --- rate limits, tokens, latency ---------------------------------------------------------


def test_rate_limit_with_near_reset_is_retried(
    github_server: GitHubBuilder, tmp_path: Path
) -> None:
    github_server.add_release("acme", "tool", "v1", {"a": b"a"})
    path = "/api/repos/acme/tool/releases/tags/v1"
    github_server.rate_limit(path, times=1, reset_in=2)
    sleeps = Sleeps()
    rel = make_source(github_server, tmp_path, sleeps=sleeps).release("acme", "tool", "v1")
    assert rel.tag == "v1"
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 3
    assert len(github_server.server.requests_for(path)) == 2


def test_rate_limit_with_far_reset_fails_fast(github_server: GitHubBuilder, tmp_path: Path) -> None:
    github_server.add_release("acme", "tool", "v1", {"a": b"a"})
    path = "/api/repos/acme/tool/releases/tags/v1"
    github_server.rate_limit(path, times=5, reset_in=3600)
    sleeps = Sleeps()
    with pytest.raises(NetworkError) as exc:
        make_source(github_server, tmp_path, sleeps=sleeps).release("acme", "tool", "v1")
    assert "HTTP 403" in exc.value.message and "retry after" in exc.value.message
    assert exc.value.hint is not None and "GITHUB_TOKEN" in exc.value.hint
    assert sleeps == []
    assert len(github_server.server.requests_for(path)) == 1


def test_rate_limit_retries_are_bounded(github_server: GitHubBuilder, tmp_path: Path) -> None:
    github_server.add_release("acme", "tool", "v1", {"a": b"a"})
    path = "/api/repos/acme/tool/releases/tags/v1"
    github_server.rate_limit(path, times=50, reset_in=1)
    sleeps = Sleeps()
    with pytest.raises(NetworkError, match="after 3 attempts"):
        make_source(github_server, tmp_path, sleeps=sleeps, max_retries=2).release(
            "acme", "tool", "v1"
        )
    assert len(sleeps) == 2
    assert len(github_server.server.requests_for(path)) == 3


def test_token_only_reaches_the_api_host(https_server: HttpsServer, tmp_path: Path) -> None:
    gh = GitHubBuilder(https_server, separate_hosts=True)
    assert gh.urls.url.startswith("https://127.0.0.1:")
    assert gh.urls.api_url.startswith("https://localhost:")
    gh.add_release("acme", "tool", "v1", {"a.tgz": b"a"})
    gh.add_raw("acme", "tool", "v1", "r.yaml", b"x: 1\n")
    gh.add_raw("acme", "tool", "v1", "private.yaml", b"y: 2\n", via_raw=False)
    src = make_source(gh, tmp_path)
    src.release("acme", "tool", "v1")
    src.download_asset("acme", "tool", "v1", "a.tgz")
    src.raw("acme", "tool", "v1", "r.yaml")
    src.raw("acme", "tool", "v1", "private.yaml")
    src.attestations("acme", "tool", sha(b"a"))
    auth = gh.authorizations()
    api = {p: v for p, v in auth.items() if p.startswith("/api/")}
    other = {p: v for p, v in auth.items() if not p.startswith("/api/")}
    assert len(api) == 3 and len(other) == 3
    assert all(v == [f"Bearer {FAKE_TOKEN}"] for v in api.values()), api
    assert all(v == [None] for v in other.values()), other


def test_api_requests_carry_github_headers(github_server: GitHubBuilder, tmp_path: Path) -> None:
    github_server.add_release("acme", "tool", "v1", {})
    make_source(github_server, tmp_path).release("acme", "tool", "v1")
    (req,) = github_server.server.requests_for("/api/repos/acme/tool/releases/tags/v1")
    assert req.headers["accept"] == "application/vnd.github+json"
    assert req.headers["x-github-api-version"] == "2022-11-28"


def test_latency_knob(github_server: GitHubBuilder, tmp_path: Path) -> None:
    github_server.add_release("acme", "tool", "v1", {})
    github_server.latency = 0.1
    start = time.monotonic()
    make_source(github_server, tmp_path).release("acme", "tool", "v1")
    assert time.monotonic() - start >= 0.1


def test_default_urls(github_server: GitHubBuilder) -> None:
    base = github_server.server.url
    assert github_server.urls == GitHubUrls(
        url=base + "/gh", api_url=base + "/api", raw_url=base + "/raw"
    )


def test_concurrent_callers_share_one_request(github_server: GitHubBuilder, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    github_server.add_release("acme", "tool", "v1", {"a": b"a"})
    github_server.latency = 0.1
    src = make_source(github_server, tmp_path)
    with ThreadPoolExecutor(8) as pool:
        tags = list(pool.map(lambda _i: src.release("acme", "tool", "v1").tag, range(8)))
    assert tags == ["v1"] * 8
    assert github_server.count("/api/repos/acme/tool/releases/tags/v1") == 1


def test_revalidated_answers_parse_like_fresh_ones(
    github_server: GitHubBuilder, tmp_path: Path
) -> None:
    github_server.add_release("acme", "tool", "v1", {"a": b"a"})
    github_server.add_raw("acme", "tool", "v1", "p.yaml", b"x", via_raw=False)
    first = make_source(github_server, tmp_path)
    second = make_source(github_server, tmp_path)  # same cache, new process memo
    for src in (first, second):
        assert src.release("acme", "tool", "v1").assets["a"].digest == sha(b"a")
        assert src.raw("acme", "tool", "v1", "p.yaml") == b"x"
    reqs = github_server.server.requests_for("/api/repos/acme/tool/releases/tags/v1")
    assert len(reqs) == 2 and "if-none-match" in reqs[1].headers
