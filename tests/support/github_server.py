"""A local "GitHub" on :class:`~tests.support.servers.HttpsServer` (pytest plugin too).

:class:`GitHubBuilder` publishes what tests add and answers like github.com:

* ``{url}/{o}/{r}/releases/download/{tag}/{name}`` — release assets (``url = <server>/gh``);
* ``{api_url}/repos/{o}/{r}/releases/tags/{tag}``, ``…/releases/latest``,
  ``…/releases?per_page=&page=``, ``…/contents/{path}?ref=``,
  ``…/attestations/sha256:{hex}`` — the REST API (``api_url = <server>/api``), JSON with
  ETags, 404s as ``{"message": "Not Found"}``;
* ``{raw_url}/{o}/{r}/{ref}/{path}`` — raw files (``raw_url = <server>/raw``).

Knobs: ``latency`` (seconds added to every answer, e.g. 0.1 for benchmarks), per-path request
counts (:meth:`GitHubBuilder.count`, :attr:`GitHubBuilder.counts`), :meth:`rate_limit` (403
with ``X-RateLimit-Remaining: 0``), ``separate_hosts`` (the API on ``localhost``, the web and
raw hosts on ``127.0.0.1``, so "token only to the API host" is observable).

Fixture: ``github_server`` — a :class:`GitHubBuilder` on its own server. Register this module
in ``pytest_plugins`` or import the fixture (``from tests.support.github_server import
github_server  # noqa: F401``); it needs ``tls_material`` from :mod:`tests.support.fixtures`
and, to be trusted by depguard, ``trust_test_ca``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from depguard.aqua.platform import GitHubUrls
from tests.support.servers import HttpsServer, RecordedRequest, Reply, TLSMaterial

WEB_PREFIX = "/gh"
API_PREFIX = "/api"
RAW_PREFIX = "/raw"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git_blob_sha(data: bytes) -> str:
    """The git blob id GitHub's contents API reports as ``sha``."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


@dataclass
class _Release:
    owner: str
    repo: str
    tag: str
    assets: dict[str, bytes]
    digests: dict[str, str | None]  # raw "digest" field per asset
    published_at: str
    prerelease: bool
    draft: bool
    order: int


@dataclass
class _Content:
    data: bytes
    via_raw: bool
    inline: bool


@dataclass
class _State:
    releases: dict[tuple[str, str, str], _Release] = field(default_factory=dict)
    contents: dict[tuple[str, str, str, str], _Content] = field(default_factory=dict)
    attestations: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)


class GitHubBuilder:
    """A fake GitHub served by ``server`` under ``/gh``, ``/api`` and ``/raw``."""

    def __init__(
        self, server: HttpsServer, *, separate_hosts: bool = False, latency: float = 0.0
    ) -> None:
        self.server = server
        self.separate_hosts = separate_hosts
        self.latency = latency
        self.counts: Counter[str] = Counter()
        self._state = _State()
        self._lock = threading.Lock()
        self._order = 0
        server.route(WEB_PREFIX + "/", self._web, prefix=True)
        server.route(API_PREFIX + "/", self._api, prefix=True)
        server.route(RAW_PREFIX + "/", self._raw, prefix=True)

    # --- addresses -------------------------------------------------------------------------

    @property
    def web_base(self) -> str:
        host = f"127.0.0.1:{self.server.port}" if self.separate_hosts else self.server.host
        return f"https://{host}"

    @property
    def urls(self) -> GitHubUrls:
        """Where depguard should look for this GitHub."""
        return GitHubUrls(
            url=self.web_base + WEB_PREFIX,
            api_url=self.server.url + API_PREFIX,
            raw_url=self.web_base + RAW_PREFIX,
        )

    @property
    def api_host(self) -> str:
        """The host name of the API (``localhost``), for ``HttpFetcher(github_api_host=…)``."""
        return "localhost"

    # --- publishing ------------------------------------------------------------------------

    def add_release(
        self,
        owner: str,
        repo: str,
        tag: str,
        assets: Mapping[str, bytes],
        *,
        digests: bool | Mapping[str, str | None] = True,
        published_at: str = "2026-01-01T00:00:00Z",
        prerelease: bool = False,
        draft: bool = False,
    ) -> None:
        """Publish a release. ``digests``: ``True`` = ``sha256:<hex>`` of each asset, ``False``
        = ``null``, or a mapping of asset name to the raw ``digest`` value to serve (names not
        in it get the real digest)."""
        if digests is True:
            dmap: dict[str, str | None] = {n: "sha256:" + sha256_hex(b) for n, b in assets.items()}
        elif digests is False:
            dmap = dict.fromkeys(assets)
        else:
            dmap = {n: digests.get(n, "sha256:" + sha256_hex(b)) for n, b in assets.items()}
        with self._lock:
            self._order += 1
            self._state.releases[(owner, repo, tag)] = _Release(
                owner=owner,
                repo=repo,
                tag=tag,
                assets=dict(assets),
                digests=dmap,
                published_at=published_at,
                prerelease=prerelease,
                draft=draft,
                order=self._order,
            )

    def add_raw(
        self,
        owner: str,
        repo: str,
        ref: str,
        path: str,
        data: bytes,
        *,
        via_raw: bool = True,
        inline: bool = True,
    ) -> None:
        """Publish a repository file. ``via_raw=False``: only the contents API has it (the raw
        host answers 404, to exercise the fallback); ``inline=False``: the contents API
        answers like for files over 1 MB (no ``content``, a ``download_url``)."""
        with self._lock:
            self._state.contents[(owner, repo, ref, path)] = _Content(data, via_raw, inline)
        if not inline:
            self.server.route(
                self._download_path(owner, repo, ref, path),
                lambda _r: self._reply(Reply(body=data, content_type="text/plain")),
            )

    @staticmethod
    def _download_path(owner: str, repo: str, ref: str, path: str) -> str:
        return f"{API_PREFIX}-download/{owner}/{repo}/{ref}/{path}"

    def add_attestation(
        self, owner: str, repo: str, data_sha256_hex: str, bundle_json: bytes
    ) -> None:
        """Add an attestation (a Sigstore bundle) for the artifact with this sha256."""
        bundle = json.loads(bundle_json)
        with self._lock:
            self._state.attestations.setdefault((owner, repo, data_sha256_hex.lower()), []).append(
                {"bundle": bundle, "repository_id": 1}
            )

    def rate_limit(self, path: str, *, times: int = 1, reset_in: float = 1.0) -> None:
        """Answer ``path`` (a full server path, e.g. under ``/api``) ``times`` times with 403
        ``X-RateLimit-Remaining: 0`` and a reset ``reset_in`` seconds from now."""
        reset = str(int(time.time() + reset_in))
        self.server.route(
            path,
            Reply(
                status=403,
                body=b'{"message":"API rate limit exceeded"}',
                content_type="application/json",
                headers={
                    "X-RateLimit-Limit": "60",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset,
                },
            ),
            times=times,
        )

    # --- observation -----------------------------------------------------------------------

    def count(self, path: str) -> int:
        """How many requests reached ``path`` (server path, query string ignored)."""
        with self._lock:
            return self.counts[path]

    def total_requests(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def authorizations(self) -> dict[str, list[str | None]]:
        """``Authorization`` header (or ``None``) of every request, by server path."""
        out: dict[str, list[str | None]] = {}
        for r in list(self.server.requests):
            out.setdefault(urlsplit(r.path).path, []).append(r.headers.get("authorization"))
        return out

    # --- handlers --------------------------------------------------------------------------

    def _segments(self, req: RecordedRequest, prefix: str) -> list[str]:
        path = urlsplit(req.path).path
        with self._lock:
            self.counts[unquote(path)] += 1
        return [unquote(p) for p in path[len(prefix) + 1 :].split("/")]

    def _reply(self, reply: Reply) -> Reply:
        reply.delay = self.latency
        return reply

    def _json(self, obj: Any, *, headers: Mapping[str, str] | None = None) -> Reply:
        body = json.dumps(obj, indent=2).encode()
        return self._reply(
            Reply(
                body=body,
                content_type="application/json; charset=utf-8",
                etag='"' + sha256_hex(body)[:32] + '"',
                headers=dict(headers or {}),
            )
        )

    def _not_found(self) -> Reply:
        return self._reply(
            Reply(
                status=404,
                body=b'{"message":"Not Found","documentation_url":"https://docs.github.com"}',
                content_type="application/json",
            )
        )

    def _web(self, req: RecordedRequest) -> Reply | None:
        parts = self._segments(req, WEB_PREFIX)
        # {o}/{r}/releases/download/{tag}/{name}; a tag may hold "/" (sent as %2F or raw).
        if len(parts) >= 6 and parts[2:4] == ["releases", "download"]:
            owner, repo, name = parts[0], parts[1], parts[-1]
            tag = "/".join(parts[4:-1])
            with self._lock:
                rel = self._state.releases.get((owner, repo, tag))
            if rel is not None and name in rel.assets:
                return self._reply(Reply(body=rel.assets[name]))
        return self._reply(Reply(status=404, body=b"Not Found", content_type="text/plain"))

    def _raw(self, req: RecordedRequest) -> Reply | None:
        parts = self._segments(req, RAW_PREFIX)
        if len(parts) >= 4:
            owner, repo, rest = parts[0], parts[1], "/".join(parts[2:])
            with self._lock:
                items = list(self._state.contents.items())
            for (o, r, ref, path), content in items:
                if (o, r) == (owner, repo) and rest == f"{ref}/{path}" and content.via_raw:
                    return self._reply(Reply(body=content.data, content_type="text/plain"))
        return self._reply(Reply(status=404, body=b"404: Not Found", content_type="text/plain"))

    def _api(self, req: RecordedRequest) -> Reply | None:
        parts = self._segments(req, API_PREFIX)
        query = parse_qs(urlsplit(req.path).query)
        if len(parts) < 4 or parts[0] != "repos":
            return self._not_found()
        owner, repo, kind, rest = parts[1], parts[2], parts[3], parts[4:]
        if kind == "releases":
            return self._releases(owner, repo, rest, query)
        if kind == "contents" and rest:
            return self._contents(owner, repo, "/".join(rest), query)
        if kind == "attestations" and len(rest) == 1 and rest[0].startswith("sha256:"):
            with self._lock:
                atts = list(self._state.attestations.get((owner, repo, rest[0][7:].lower()), []))
            if not atts:
                return self._not_found()
            return self._json({"attestations": atts})
        return self._not_found()

    def _release_json(self, rel: _Release) -> dict[str, Any]:
        web = self.urls.url
        tag_q = rel.tag.replace("/", "%2F")
        return {
            "url": f"{self.urls.api_url}/repos/{rel.owner}/{rel.repo}/releases/{rel.order}",
            "html_url": f"{web}/{rel.owner}/{rel.repo}/releases/tag/{tag_q}",
            "id": rel.order,
            "tag_name": rel.tag,
            "name": rel.tag,
            "draft": rel.draft,
            "prerelease": rel.prerelease,
            "created_at": rel.published_at,
            "published_at": rel.published_at,
            "assets": [
                {
                    "url": f"{self.urls.api_url}/repos/{rel.owner}/{rel.repo}/releases/assets/{i}",
                    "id": i,
                    "name": name,
                    "label": "",
                    "content_type": "application/octet-stream",
                    "state": "uploaded",
                    "size": len(data),
                    "digest": rel.digests.get(name),
                    "download_count": 0,
                    "browser_download_url": (
                        f"{web}/{rel.owner}/{rel.repo}/releases/download/{tag_q}/{name}"
                    ),
                }
                for i, (name, data) in enumerate(sorted(rel.assets.items()), start=1)
            ],
        }

    def _releases(
        self, owner: str, repo: str, rest: list[str], query: Mapping[str, list[str]]
    ) -> Reply:
        with self._lock:
            mine = sorted(
                (r for r in self._state.releases.values() if (r.owner, r.repo) == (owner, repo)),
                key=lambda r: -r.order,
            )
        if len(rest) >= 2 and rest[0] == "tags":
            tag = "/".join(rest[1:])
            for rel in mine:
                if rel.tag == tag:
                    return self._json(self._release_json(rel))
            return self._not_found()
        if rest == ["latest"]:
            for rel in mine:
                if not rel.draft and not rel.prerelease:
                    return self._json(self._release_json(rel))
            return self._not_found()
        if rest in ([], [""]):
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            chunk = mine[(page - 1) * per_page : page * per_page]
            return self._json([self._release_json(r) for r in chunk])
        return self._not_found()

    def _contents(self, owner: str, repo: str, path: str, query: Mapping[str, list[str]]) -> Reply:
        ref = query.get("ref", [""])[0]
        with self._lock:
            content = self._state.contents.get((owner, repo, ref, path))
        if content is None:
            return self._not_found()
        data = content.data
        doc: dict[str, Any] = {
            "type": "file",
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": git_blob_sha(data),
            "size": len(data),
            "download_url": self.server.url + self._download_path(owner, repo, ref, path),
        }
        if content.inline:
            b64 = base64.b64encode(data).decode()
            doc["encoding"] = "base64"
            doc["content"] = "\n".join(b64[i : i + 60] for i in range(0, len(b64), 60)) + "\n"
        else:
            doc["encoding"] = "none"
            doc["content"] = ""
        return self._json(doc)


@pytest.fixture
def github_server(tls_material: TLSMaterial) -> Iterator[GitHubBuilder]:
    """A fake GitHub (:class:`GitHubBuilder`) on its own HTTPS server, stopped at teardown."""
    server = HttpsServer(tls_material).start()
    try:
        yield GitHubBuilder(server)
    finally:
        server.stop()
