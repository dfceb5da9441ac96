"""HTTP-layer tests for depguard.net.http with the ``responses`` library (no sockets)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests
import responses

from depguard.errors import NetworkError
from depguard.net.cache import Cache
from depguard.net.fetcher import NotFound
from depguard.net.http import (
    DEFAULT_USER_AGENT,
    GITHUB_RELEASE_ASSET_HOSTS,
    HttpFetcher,
    trust_locations,
)
from tests.conftest import FAKE_TOKEN

API = "https://api.github.com"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


@pytest.fixture
def fetcher(cache: Cache, sleeps: Sleeps) -> HttpFetcher:
    return HttpFetcher(cache, github_token=FAKE_TOKEN, sleep=sleeps)


@pytest.fixture
def mocked() -> responses.RequestsMock:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


# --- basics ------------------------------------------------------------------------------


def test_get_returns_body_headers_and_final_url(fetcher: HttpFetcher, mocked) -> None:
    mocked.get("https://example.com/a.json", json={"ok": True})
    resp = fetcher.get("https://example.com/a.json")
    assert resp.status == 200
    assert resp.json() == {"ok": True}
    assert resp.url == "https://example.com/a.json"
    assert resp.content_type == "application/json"
    sent = mocked.calls[0].request.headers
    assert sent["User-Agent"] == DEFAULT_USER_AGENT
    assert sent["Accept-Encoding"] == "identity"


def test_404_is_not_found(fetcher: HttpFetcher, mocked) -> None:
    mocked.get("https://example.com/missing", status=404)
    with pytest.raises(NotFound) as exc:
        fetcher.get("https://example.com/missing")
    assert exc.value.message.startswith("https://example.com/missing")


def test_404_can_be_an_ok_status(fetcher: HttpFetcher, mocked) -> None:
    mocked.get("https://example.com/missing", status=404, body=b"nope")
    resp = fetcher.get("https://example.com/missing", ok_statuses=(200, 404))
    assert resp.status == 404


def test_unexpected_status_names_url_and_status(fetcher: HttpFetcher, mocked) -> None:
    mocked.get("https://example.com/x", status=401)
    with pytest.raises(NetworkError) as exc:
        fetcher.get("https://example.com/x")
    assert exc.value.message.startswith("https://example.com/x: HTTP 401")
    assert exc.value.hint and "credentials" in exc.value.hint


# --- retries -----------------------------------------------------------------------------


def test_500_then_200_is_retried_with_backoff(fetcher: HttpFetcher, mocked, sleeps) -> None:
    url = "https://example.com/flaky"
    mocked.get(url, status=500)
    mocked.get(url, status=503)
    mocked.get(url, body=b"fine")
    assert fetcher.get(url).body == b"fine"
    assert len(mocked.calls) == 3
    assert sleeps == [0.5, 1.0]


def test_retries_are_bounded(cache: Cache, sleeps: Sleeps, mocked) -> None:
    f = HttpFetcher(cache, github_token=None, sleep=sleeps, max_retries=2)
    url = "https://example.com/down"
    mocked.get(url, status=502)
    with pytest.raises(NetworkError) as exc:
        f.get(url)
    assert len(mocked.calls) == 3
    assert "HTTP 502" in exc.value.message
    assert "after 3 attempts" in exc.value.message


def test_connection_errors_are_retried(fetcher: HttpFetcher, mocked, sleeps) -> None:
    url = "https://example.com/conn"
    mocked.get(url, body=requests.ConnectionError("connection reset by peer"))
    mocked.get(url, body=b"ok")
    assert fetcher.get(url).body == b"ok"
    assert sleeps == [0.5]


def test_retry_after_is_honoured(fetcher: HttpFetcher, mocked, sleeps) -> None:
    url = "https://example.com/limited"
    mocked.get(url, status=429, headers={"Retry-After": "7"})
    mocked.get(url, body=b"ok")
    assert fetcher.get(url).body == b"ok"
    assert sleeps == [7.0]


def test_retry_after_beyond_cap_fails_fast(fetcher: HttpFetcher, mocked, sleeps) -> None:
    url = "https://example.com/limited"
    mocked.get(url, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(NetworkError) as exc:
        fetcher.get(url)
    assert sleeps == []
    assert "retry after 3600s" in exc.value.message
    assert len(mocked.calls) == 1


def test_github_rate_limit_reset_is_honoured(fetcher: HttpFetcher, mocked, sleeps) -> None:
    import time

    url = f"{API}/repos/o/r/releases"
    reset = str(int(time.time()) + 10_000)
    mocked.get(url, status=403, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
    with pytest.raises(NetworkError) as exc:
        fetcher.get(url)
    assert sleeps == []
    assert exc.value.hint and "GITHUB_TOKEN" in exc.value.hint


def test_timeouts_are_reported(cache: Cache, sleeps: Sleeps, mocked) -> None:
    f = HttpFetcher(cache, github_token=None, sleep=sleeps, max_retries=0)
    url = "https://example.com/slow"
    mocked.get(url, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(NetworkError) as exc:
        f.get(url, timeout=3)
    assert exc.value.message == f"{url}: timed out after 3s"


def test_tls_failure_is_not_retried(fetcher: HttpFetcher, mocked, sleeps) -> None:
    url = "https://example.com/tls"
    mocked.get(url, body=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(NetworkError) as exc:
        fetcher.get(url)
    assert exc.value.message.startswith(f"{url}: TLS failure")
    assert exc.value.hint and "SSL_CERT_FILE" in exc.value.hint
    assert sleeps == []


# --- limits ------------------------------------------------------------------------------


def test_declared_length_over_limit_aborts_before_reading(fetcher: HttpFetcher, mocked) -> None:
    url = "https://example.com/big"
    mocked.get(url, body=b"x" * 10, headers={"Content-Length": "5000"})
    with pytest.raises(NetworkError) as exc:
        fetcher.get(url, max_bytes=1000)
    assert "too large" in exc.value.message
    assert "Content-Length 5000" in exc.value.message


def test_streamed_body_over_limit_aborts(fetcher: HttpFetcher, mocked) -> None:
    url = "https://example.com/big"
    mocked.get(url, body=b"x" * 300_000)
    with pytest.raises(NetworkError) as exc:
        fetcher.get(url, max_bytes=100_000)
    assert "exceeds the limit of 100000 bytes" in exc.value.message


def test_truncated_body_is_detected(cache: Cache, sleeps: Sleeps, mocked) -> None:
    f = HttpFetcher(cache, github_token=None, sleep=sleeps, max_retries=1)
    url = "https://example.com/short"
    mocked.get(url, body=b"abc", headers={"Content-Length": "100"})
    with pytest.raises(NetworkError) as exc:
        f.get(url)
    assert "truncated body" in exc.value.message
    assert "received 3 of 100 bytes" in exc.value.message
    assert len(mocked.calls) == 2  # retried once


def test_download_limit(fetcher: HttpFetcher, mocked, cache: Cache) -> None:
    url = "https://example.com/a.zip"
    mocked.get(url, body=b"z" * 5000)
    with pytest.raises(NetworkError):
        fetcher.download(url, max_bytes=1000)
    assert not any((cache.root / "tmp").iterdir())  # the partial file is gone


# --- redirects ---------------------------------------------------------------------------


def test_same_host_redirect_is_followed(fetcher: HttpFetcher, mocked) -> None:
    mocked.get("https://example.com/old", status=301, headers={"Location": "/new"})
    mocked.get("https://example.com/new", body=b"moved")
    resp = fetcher.get("https://example.com/old")
    assert resp.body == b"moved"
    assert resp.url == "https://example.com/new"


def test_redirect_to_release_asset_host_is_followed(fetcher: HttpFetcher, mocked) -> None:
    asset = "https://objects.githubusercontent.com/x/asset.tar.gz?sig=abc"
    mocked.get(
        "https://github.com/o/r/releases/download/v1/a.tgz", status=302, headers={"Location": asset}
    )
    mocked.get(asset, body=b"tarball")
    d = fetcher.download("https://github.com/o/r/releases/download/v1/a.tgz")
    assert d.path.read_bytes() == b"tarball"
    assert d.url == asset
    assert "objects.githubusercontent.com" in GITHUB_RELEASE_ASSET_HOSTS


def test_redirect_to_other_host_is_refused(fetcher: HttpFetcher, mocked) -> None:
    mocked.get("https://example.com/a", status=302, headers={"Location": "https://evil.test/a"})
    with pytest.raises(NetworkError) as exc:
        fetcher.get("https://example.com/a")
    msg = exc.value.message
    assert msg.startswith("https://example.com/a: refused redirect")
    assert "https://evil.test/a" in msg
    assert len(mocked.calls) == 1


def test_https_to_http_downgrade_is_refused(fetcher: HttpFetcher, mocked) -> None:
    mocked.get("https://example.com/a", status=307, headers={"Location": "http://example.com/a"})
    with pytest.raises(NetworkError) as exc:
        fetcher.get("https://example.com/a")
    assert "downgrades https to http" in exc.value.message


def test_downgrade_to_allowed_host_is_refused(fetcher: HttpFetcher, mocked) -> None:
    target = "http://objects.githubusercontent.com/a"
    mocked.get("https://github.com/a", status=302, headers={"Location": target})
    with pytest.raises(NetworkError):
        fetcher.get("https://github.com/a")


def test_too_many_redirects(fetcher: HttpFetcher, mocked) -> None:
    for i in range(7):
        mocked.get(f"https://example.com/r{i}", status=302, headers={"Location": f"/r{i + 1}"})
    with pytest.raises(NetworkError) as exc:
        fetcher.get("https://example.com/r0")
    assert "too many redirects" in exc.value.message
    assert len(mocked.calls) == 6  # the first request plus five redirects


@pytest.mark.parametrize("location", ["http://[bad", "//[::1/x", "https://example.com:99999/a"])
def test_redirect_to_a_malformed_url_is_refused(
    fetcher: HttpFetcher, mocked, location: str
) -> None:
    mocked.get("https://example.com/a", status=302, headers={"Location": location})
    # requests itself may refuse the header first ("Invalid IPv6 URL"); either way a
    # NetworkError naming the URL, never a ValueError.
    with pytest.raises(NetworkError, match=r"not a valid URL|Invalid IPv6 URL") as exc:
        fetcher.get("https://example.com/a")
    assert exc.value.message.startswith("https://example.com/a: ")


def test_redirect_without_location(fetcher: HttpFetcher, mocked) -> None:
    mocked.get("https://example.com/a", status=302)
    with pytest.raises(NetworkError, match="without a Location"):
        fetcher.get("https://example.com/a")


# --- credentials -------------------------------------------------------------------------


def test_token_is_sent_only_to_the_api_host(fetcher: HttpFetcher, mocked) -> None:
    mocked.get(f"{API}/repos/o/r", json={})
    mocked.get("https://github.com/o/r", body=b"")
    mocked.get("https://uploads.github.com/x", body=b"")
    fetcher.get(f"{API}/repos/o/r")
    fetcher.get("https://github.com/o/r")
    fetcher.get("https://uploads.github.com/x")
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {FAKE_TOKEN}"
    assert "Authorization" not in mocked.calls[1].request.headers
    assert "Authorization" not in mocked.calls[2].request.headers


def test_token_is_not_sent_over_plain_http(fetcher: HttpFetcher, mocked) -> None:
    mocked.get("http://api.github.com/x", body=b"")
    fetcher.get("http://api.github.com/x")
    assert "Authorization" not in mocked.calls[0].request.headers


def test_token_does_not_follow_a_redirect(fetcher: HttpFetcher, mocked) -> None:
    asset = "https://release-assets.githubusercontent.com/a?x=1"
    mocked.get(f"{API}/repos/o/r/releases/assets/1", status=302, headers={"Location": asset})
    mocked.get(asset, body=b"bytes")
    fetcher.download(f"{API}/repos/o/r/releases/assets/1")
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {FAKE_TOKEN}"
    assert "Authorization" not in mocked.calls[1].request.headers


def test_github_enterprise_api_host(cache: Cache, mocked) -> None:
    f = HttpFetcher(cache, github_token=FAKE_TOKEN, github_api_host="ghe.example.com")
    mocked.get("https://ghe.example.com/api/v3/x", body=b"")
    mocked.get(f"{API}/x", body=b"")
    f.get("https://ghe.example.com/api/v3/x")
    f.get(f"{API}/x")
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {FAKE_TOKEN}"
    assert "Authorization" not in mocked.calls[1].request.headers


def test_caller_authorization_stays_on_its_host(fetcher: HttpFetcher, mocked) -> None:
    mocked.get(
        "https://registry.example.com/v1/x",
        status=302,
        headers={"Location": "https://objects.githubusercontent.com/x"},
    )
    mocked.get("https://objects.githubusercontent.com/x", body=b"{}")
    fetcher.get("https://registry.example.com/v1/x", headers={"Authorization": "Bearer tfetoken1"})
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer tfetoken1"
    assert "Authorization" not in mocked.calls[1].request.headers


def test_netrc_credentials_are_never_attached(
    fetcher: HttpFetcher, mocked, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine example.com login user password hunter2hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    mocked.get("https://example.com/x", body=b"")
    fetcher.get("https://example.com/x")
    assert "Authorization" not in mocked.calls[0].request.headers


def test_token_never_leaks_into_errors_logs_or_repr(
    fetcher: HttpFetcher, mocked, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert FAKE_TOKEN not in repr(fetcher)
    assert FAKE_TOKEN not in str(fetcher)
    errors: list[BaseException] = []
    mocked.get(f"{API}/a", status=500)
    mocked.get(f"{API}/b", status=302, headers={"Location": "https://evil.test/steal"})
    # A transport error whose text (somehow) carries the token must be redacted.
    mocked.get(f"{API}/c", body=requests.ConnectionError(f"proxy said Bearer {FAKE_TOKEN}"))
    mocked.get(f"{API}/d", status=404)
    for path in ("a", "b", "c", "d"):
        with pytest.raises(NetworkError) as exc:
            fetcher.get(f"{API}/{path}")
        errors.append(exc.value)
    for e in errors:
        assert FAKE_TOKEN not in str(e)
        assert FAKE_TOKEN not in e.diagnostics()
        assert FAKE_TOKEN not in repr(e)
        cause = e.__cause__
        while cause is not None:  # the chain a traceback would print
            if not isinstance(cause, requests.ConnectionError):
                assert FAKE_TOKEN not in str(cause)
            cause = cause.__cause__
    assert FAKE_TOKEN not in caplog.text
    assert all(
        c.request.headers.get("Authorization") == f"Bearer {FAKE_TOKEN}"
        for c in mocked.calls
        if c.request.url.startswith(API)
    )


def test_no_token_no_header(cache: Cache, mocked) -> None:
    f = HttpFetcher(cache, github_token=None)
    mocked.get(f"{API}/x", body=b"")
    f.get(f"{API}/x")
    assert "Authorization" not in mocked.calls[0].request.headers
    assert "github_token=none" in repr(f)


# --- cache and ETag ----------------------------------------------------------------------


def test_etag_revalidation_returns_cached_body(fetcher: HttpFetcher, mocked) -> None:
    url = "https://registry.example.com/v1/providers/a/b/versions"
    mocked.get(url, json={"versions": []}, headers={"ETag": '"v1"'})
    mocked.get(url, status=304)
    first = fetcher.get(url)
    second = fetcher.get(url)
    assert second.body == first.body
    assert second.status == 200
    assert second.content_type == "application/json"
    assert "If-None-Match" not in mocked.calls[0].request.headers
    assert mocked.calls[1].request.headers["If-None-Match"] == '"v1"'


def test_changed_resource_replaces_cached_body(fetcher: HttpFetcher, mocked) -> None:
    url = "https://example.com/doc"
    mocked.get(url, body=b"old", headers={"ETag": '"1"'})
    mocked.get(url, body=b"new", headers={"ETag": '"2"'})
    mocked.get(url, status=304)
    assert fetcher.get(url).body == b"old"
    assert fetcher.get(url).body == b"new"
    assert fetcher.get(url).body == b"new"
    assert mocked.calls[2].request.headers["If-None-Match"] == '"2"'


def test_corrupt_cached_body_is_refetched(fetcher: HttpFetcher, mocked, cache: Cache) -> None:
    url = "https://example.com/doc"
    mocked.get(url, body=b"good", headers={"ETag": '"1"'})
    fetcher.get(url)
    entry = cache.get_entry(url)
    assert entry is not None
    blob = cache.blob_path(entry.sha256)
    blob.chmod(0o644)
    blob.write_bytes(b"evil")
    assert fetcher.get(url).body == b"good"
    assert "If-None-Match" not in mocked.calls[1].request.headers


def test_download_is_content_addressed_and_cached(
    fetcher: HttpFetcher, mocked, cache: Cache
) -> None:
    import hashlib

    url = "https://example.com/p.zip"
    data = b"PK" + b"\x00" * 1000
    mocked.get(url, body=data)
    d1 = fetcher.download(url)
    d2 = fetcher.download(url)
    assert d1.sha256 == hashlib.sha256(data).hexdigest()
    assert d1.size == len(data)
    assert d1.path == cache.blob_path(d1.sha256)
    assert d1.path.read_bytes() == data
    assert d2 == d1
    assert len(mocked.calls) == 1


def test_404_is_remembered_for_offline_use(fetcher: HttpFetcher, mocked, cache: Cache) -> None:
    url = "https://example.com/nope"
    mocked.get(url, status=404)
    with pytest.raises(NotFound):
        fetcher.get(url)
    entry = cache.get_entry(url)
    assert entry is not None and entry.status == 404


# --- trust store -------------------------------------------------------------------------


def test_trust_locations_honour_ssl_cert_file_too() -> None:
    files, directory = trust_locations(
        {"REQUESTS_CA_BUNDLE": "/a.pem", "SSL_CERT_FILE": "/b.pem", "SSL_CERT_DIR": "/d"}
    )
    assert files == ("/a.pem", "/b.pem")
    assert directory == "/d"
    assert trust_locations({"SSL_CERT_FILE": "/b.pem", "CURL_CA_BUNDLE": "/b.pem"}) == (
        ("/b.pem",),
        None,
    )
    assert trust_locations({}) == ((), None)
