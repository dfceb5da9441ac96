"""The provider registry protocol's JSON documents, read by ``RegistrySource`` through an
in-memory fetcher: service discovery, the versions list and the download response.

Contract (``depguard.sources.tf_registry``): ``providers_base_url``, ``version_infos`` and
``package_meta`` return or raise ``InputError`` (a malformed response, naming its URL) or
``NetworkError`` (``NotFound`` included) — whatever a registry answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.errors import InputError, NetworkError
from depguard.model import Platform, ProviderAddress
from depguard.net.fetcher import Download, NotFound, Response
from depguard.sources.tf_registry import RegistrySource
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import (
    EXAMPLE,
    HEX64,
    HUGE_INT,
    SMALL_TEXT,
    deep_json,
    json_text,
    json_values,
    mutated,
)

pytestmark = pytest.mark.fuzz

ADDRESS = ProviderAddress("example.com", "acme", "demo")
PLATFORM = Platform("linux", "amd64")


class FakeFetcher:
    """Answers from a dict of URL suffix → (status, content type, body); else 404."""

    def __init__(self, answers: Mapping[str, tuple[int, str, bytes]]) -> None:
        self.answers = answers

    def get(
        self,
        url: str,
        *,
        max_bytes: int = 0,
        timeout: float = 0,
        headers: Mapping[str, str] | None = None,
        ok_statuses: tuple[int, ...] = (200,),
    ) -> Response:
        for suffix, (status, ctype, body) in self.answers.items():
            if url.endswith(suffix):
                if status == 404:
                    raise NotFound(url)
                if status not in ok_statuses:
                    raise NetworkError(f"{url}: HTTP {status}")
                return Response(url=url, status=status, body=body, headers={"content-type": ctype})
        raise NotFound(url)

    def download(self, url: str, **kwargs: Any) -> Download:
        raise NetworkError(f"{url}: not in the fake")


URLS = st.sampled_from(
    (
        "/v1/providers/",
        "https://example.com/v1/providers/",
        "v1/",
        "//other.example/v1/",
        "http://[::1]:8080/v1/",
        "http://[bad",
        "ftp://example.com/x",
        "https://user:pw@example.com/v1/",
        "https:///nohost",
        "",
        "javascript:alert(1)",
    )
)
ANY = json_values(max_leaves=4)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, strategy, strategy, ANY)


DISCOVERY = st.fixed_dictionaries({}, optional={"providers.v1": _maybe(URLS), "modules.v1": ANY})
VERSION = st.sampled_from(("1.0.0", "1.1.0-rc1", "01.0.0", "1.0", "v1.0.0", "1.0.0+x"))
VERSIONS = st.fixed_dictionaries(
    {
        "versions": _maybe(
            st.lists(
                _maybe(
                    st.fixed_dictionaries(
                        {"version": _maybe(VERSION)},
                        optional={
                            "protocols": _maybe(
                                st.lists(st.sampled_from(("5.0", "6", "x", "5.0.1")))
                            ),
                            "platforms": _maybe(
                                st.lists(
                                    st.fixed_dictionaries(
                                        {
                                            "os": _maybe(st.just("linux")),
                                            "arch": _maybe(st.just("amd64")),
                                        }
                                    )
                                    | ANY
                                )
                            ),
                        },
                    )
                ),
                max_size=4,
            )
        )
    },
    optional={"warnings": _maybe(st.lists(SMALL_TEXT))},
)
KEY = st.fixed_dictionaries(
    {"ascii_armor": _maybe(st.just("-----BEGIN PGP PUBLIC KEY BLOCK-----"))},
    optional={"key_id": _maybe(st.just("ABCD")), "trust_signature": _maybe(st.just(""))},
)
DOWNLOAD = st.fixed_dictionaries(
    {
        "os": _maybe(st.just("linux")),
        "arch": _maybe(st.just("amd64")),
        "filename": _maybe(st.sampled_from(("p.zip", "..", "a/b.zip", "x\0y", ""))),
        "shasum": _maybe(HEX64 | st.just("A" * 64)),
        "download_url": _maybe(URLS),
        "shasums_url": _maybe(URLS),
        "shasums_signature_url": _maybe(URLS),
    },
    optional={
        "protocols": _maybe(st.lists(st.sampled_from(("5.0", "6.0", "bad")))),
        "signing_keys": _maybe(
            st.fixed_dictionaries({"gpg_public_keys": _maybe(st.lists(KEY | ANY))})
        ),
    },
)


def _body(doc: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return (
        mutated(json_text(doc), max_steps=1)
        | st.sampled_from([*deep_json(), "{", "", '{"a": ' + HUGE_INT + "}", "\udcff"])
    ).map(
        lambda t: (
            t.encode("utf-8", "surrogateescape") if t.isascii() else t.encode("utf-8", "replace")
        )
    )


def _registry(
    disco: bytes, versions: bytes, download: bytes, ctype: str = "application/json"
) -> RegistrySource:
    return RegistrySource(
        FakeFetcher(
            {
                "/.well-known/terraform.json": (200, ctype, disco),
                "/versions": (200, "application/json", versions),
                "/download/linux/amd64": (200, "application/json", download),
            }
        )
    )


@given(
    disco=_body(DISCOVERY) | st.just(b'{"providers.v1": "/v1/providers/"}'),
    versions=_body(VERSIONS),
    download=_body(DOWNLOAD),
    ctype=st.sampled_from(("application/json", "text/html", "")),
)
def test_registry_documents(disco: bytes, versions: bytes, download: bytes, ctype: str) -> None:
    source = _registry(disco, versions, download, ctype)
    raises = (InputError, NetworkError)
    base = outcome(source.providers_base_url, "example.com", raises=raises)
    if base.value is not None:
        assert base.value.startswith(("http://", "https://"))
    infos = outcome(source.version_infos, ADDRESS, raises=raises)
    for info in infos.value or ():
        assert info.version and isinstance(info.protocol_compatible, bool)
    meta = outcome(source.package_meta, ADDRESS, "1.0.0", PLATFORM, raises=raises)
    if meta.value is not None:
        assert meta.value.shasum is not None and len(meta.value.shasum) == 64
        for url in (meta.value.location, meta.value.shasums_url, meta.value.shasums_signature_url):
            assert url is not None and url.startswith(("http://", "https://"))


@given(data=st.data())
def test_mutated_example_registry_documents(data: st.DataObject) -> None:
    root = EXAMPLE / "upstream" / "registry.terraform.io"
    disco = (root / ".well-known" / "terraform.json").read_text()
    versions = (root / "v1/providers/hashicorp/null/versions").read_text()
    downloads = [
        p.read_text()
        for p in sorted(Path(root / "v1/providers/hashicorp/null/3.1.0/download").rglob("*"))
        if p.is_file()
    ]
    source = _registry(
        data.draw(mutated(st.just(disco))).encode(),
        data.draw(mutated(st.just(versions))).encode(),
        data.draw(mutated(st.sampled_from(downloads))).encode(),
    )
    raises = (InputError, NetworkError)
    outcome(source.version_infos, ADDRESS, raises=raises)
    outcome(source.package_meta, ADDRESS, "3.1.0", PLATFORM, raises=raises)


@example(url="http://[bad")
@given(url=st.sampled_from(("https://[::1", "http://[x]/v1/", "//[::1/v1/", "https://h:99999/")))
def test_regression_unbalanced_ipv6_url(url: str) -> None:
    """A registry's discovery document (or download response) with a URL such as
    ``"http://[bad"`` made ``urllib.parse.urlsplit`` raise ``ValueError("Invalid IPv6
    URL")`` inside ``_check_http_url``; it escaped ``providers_base_url`` instead of an
    ``InputError`` naming the URL. URLs from answers and headers now go through
    ``depguard.net.urls``."""
    source = _registry(json.dumps({"providers.v1": url}).encode(), b"{}", b"{}")
    got = outcome(source.providers_base_url, "example.com", raises=(InputError,))
    assert "is not a valid URL" in str(got.error)


@given(body=st.sampled_from(deep_json()))
def test_deeply_nested_response(body: str) -> None:
    """Regression (found by this fuzzer, fixed alongside it): ``Response.json()`` let the
    ``RecursionError`` of a deeply nested registry answer escape ``version_infos``."""
    source = _registry(b'{"providers.v1": "/v1/providers/"}', body.encode(), b"{}")
    result = outcome(source.version_infos, ADDRESS, raises=(InputError, NetworkError))
    assert isinstance(result.error, InputError)
