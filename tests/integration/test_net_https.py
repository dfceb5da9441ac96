"""depguard.net against real local HTTPS servers: TLS trust, faults, redirects, ETags."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from depguard.errors import NetworkError
from depguard.net import make_fetcher
from depguard.net.cache import Cache
from depguard.net.fetcher import NotFound
from depguard.net.http import HttpFetcher
from depguard.net.offline import OfflineFetcher

# Fixtures come from the tests.support.fixtures plugin; imported here too so this module
# also runs before the plugin is registered in tests/conftest.py.
from tests.support.fixtures import https_server, tls_material, trust_test_ca  # noqa: F401
from tests.support.servers import HttpsServer, Reply, TLSMaterial

pytestmark = pytest.mark.usefixtures("trust_test_ca")


def _fetcher(tmp_path: Path, **kw: object) -> HttpFetcher:
    kw.setdefault("sleep", lambda _s: None)
    return HttpFetcher(Cache(tmp_path / "cache"), github_token=None, **kw)  # type: ignore[arg-type]


def test_ssl_cert_file_is_honoured_even_with_requests_ca_bundle_set(
    https_server: HttpsServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A global REQUESTS_CA_BUNDLE (common on CI images) must not hide the test CA.
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    https_server.route("/x", Reply(body=b"ok"))
    assert _fetcher(tmp_path).get(https_server.url_for("/x")).body == b"ok"


def test_untrusted_server_is_a_tls_failure(
    https_server: HttpsServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import certifi

    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    https_server.route("/x", Reply(body=b"ok"))
    with pytest.raises(NetworkError) as exc:
        _fetcher(tmp_path).get(https_server.url_for("/x"))
    assert exc.value.message.startswith(https_server.url_for("/x") + ": TLS failure")
    assert https_server.requests_for("/x") == []


def test_real_truncated_body(https_server: HttpsServer, tmp_path: Path) -> None:  # noqa: F811
    https_server.truncate("/t", b'{"a": 1', declared=50)
    with pytest.raises(NetworkError) as exc:
        _fetcher(tmp_path, max_retries=0).get(https_server.url_for("/t"))
    assert "truncated body (received 7 of 50 bytes, Content-Length mismatch)" in exc.value.message


def test_real_huge_body_without_length_is_cut_off(
    https_server: HttpsServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    https_server.huge("/h", 200 * 1024 * 1024, declare=False)
    start = time.monotonic()
    with pytest.raises(NetworkError, match="exceeds the limit of 100000 bytes"):
        _fetcher(tmp_path).get(https_server.url_for("/h"), max_bytes=100_000)
    assert time.monotonic() - start < 10


def test_real_declared_huge_download_is_refused_before_reading(
    https_server: HttpsServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    https_server.huge("/big.zip", 50 * 1024 * 1024)
    with pytest.raises(NetworkError, match="Content-Length 52428800 exceeds"):
        _fetcher(tmp_path).download(https_server.url_for("/big.zip"), max_bytes=1024)
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []


def test_slow_server_times_out(https_server: HttpsServer, tmp_path: Path) -> None:  # noqa: F811
    https_server.delay("/slow", 10)
    start = time.monotonic()
    with pytest.raises(NetworkError) as exc:
        _fetcher(tmp_path, max_retries=1).get(https_server.url_for("/slow"), timeout=0.3)
    assert "timed out" in exc.value.message
    assert time.monotonic() - start < 5


def test_trickling_body_hits_the_total_deadline(
    https_server: HttpsServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    https_server.route("/trickle", Reply(body=b"x" * 200, trickle=0.05))
    f = _fetcher(tmp_path, get_deadline=0.5, max_retries=0)
    start = time.monotonic()
    with pytest.raises(NetworkError, match="deadline exceeded"):
        f.get(https_server.url_for("/trickle"), timeout=0.4)
    assert time.monotonic() - start < 3


def test_500_then_200(https_server: HttpsServer, tmp_path: Path) -> None:  # noqa: F811
    https_server.route("/r", Reply(body=b"finally"))
    https_server.fail_times("/r", 2)
    assert _fetcher(tmp_path).get(https_server.url_for("/r")).body == b"finally"
    assert len(https_server.requests_for("/r")) == 3


def test_etag_round_trip_with_a_real_server(
    https_server: HttpsServer,  # noqa: F811
    tmp_path: Path,
    corpus: Path,
) -> None:
    https_server.serve_dir(corpus / "terraform" / "vectors" / "registry")
    f = _fetcher(tmp_path)
    url = https_server.url_for("/v1/providers/acme/demo/versions")
    first = f.get(url)
    second = f.get(url)
    assert first.body == second.body
    assert second.headers["x-depguard-cache"] == "revalidated"
    reqs = https_server.requests_for("/v1/providers/acme/demo/versions")
    assert "if-none-match" not in reqs[0].headers
    assert reqs[1].headers["if-none-match"] == first.headers["etag"]


def test_redirect_to_another_host_is_refused(
    https_server: HttpsServer,  # noqa: F811
    tls_material: TLSMaterial,  # noqa: F811
    tmp_path: Path,
) -> None:
    with HttpsServer(tls_material) as other:
        other.route("/loot", Reply(body=b"loot"))
        https_server.redirect("/go", other.url_for("/loot"))
        with pytest.raises(NetworkError) as exc:
            _fetcher(tmp_path).get(https_server.url_for("/go"))
        assert exc.value.message.startswith(https_server.url_for("/go"))
        assert other.url_for("/loot") in exc.value.message
        assert other.requests == []


def test_redirect_downgrade_to_http_is_refused(
    https_server: HttpsServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    https_server.redirect("/go", f"http://{https_server.host}/plain")
    with pytest.raises(NetworkError, match="downgrades https to http"):
        _fetcher(tmp_path).get(https_server.url_for("/go"))


def test_same_host_redirect_and_download(https_server: HttpsServer, tmp_path: Path) -> None:  # noqa: F811
    data = b"PK\x03\x04" + bytes(range(256)) * 64
    https_server.route("/files/p.zip", Reply(body=data))
    https_server.redirect("/latest.zip", "/files/p.zip")
    d = _fetcher(tmp_path).download(https_server.url_for("/latest.zip"))
    assert d.sha256 == hashlib.sha256(data).hexdigest()
    assert d.url == https_server.url_for("/files/p.zip")
    assert d.path.read_bytes() == data


def test_online_then_offline_replay(https_server: HttpsServer, tmp_path: Path) -> None:  # noqa: F811
    https_server.route("/doc.json", Reply(body=b'{"v": 1}', content_type="application/json"))
    online = make_fetcher(offline=False, cache_dir=tmp_path / "cache")
    online.get(https_server.url_for("/doc.json"))
    with pytest.raises(NotFound):
        online.get(https_server.url_for("/missing"))
    offline = make_fetcher(offline=True, cache_dir=tmp_path / "cache")
    assert isinstance(offline, OfflineFetcher)
    https_server.stop()
    assert offline.get(https_server.url_for("/doc.json")).json() == {"v": 1}
    with pytest.raises(NotFound):
        offline.get(https_server.url_for("/missing"))
