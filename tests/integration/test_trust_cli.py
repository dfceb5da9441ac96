"""``depguard trust update`` against a real TUF repository served over HTTPS on 127.0.0.1.

The repository is signed with throwaway keys (``TufRepo`` from the unit tests); the command
starts from that repository's root (``--tuf-root``), as it starts from the pinned Sigstore
TUF root in production, and goes through depguard's HTTPS fetcher.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.servers import HttpsServer, Reply
from tests.unit import test_trust_root as tuf_support


def _serve(server: HttpsServer, repo: tuf_support.TufRepo) -> None:
    for url, body in repo.files.items():
        server.route(
            url.removeprefix(server.url), Reply(body=body, content_type="application/json")
        )


def _root(end: str) -> bytes:
    doc = json.loads(Path(tuf_support.trust_root.shipped_trusted_root_path()).read_text())
    doc["tlogs"][0]["publicKey"]["validFor"]["end"] = end
    return json.dumps(doc, indent=2).encode()


def test_trust_update_writes_the_verified_root_and_says_what_changed(
    tmp_path: Path,
    https_server: HttpsServer,
    trust_test_ca: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = https_server.url_for("/tuf")
    monkeypatch.setattr(tuf_support, "TUF_URL", base)
    repo = tuf_support.TufRepo()
    new_root = _root("2031-01-01T00:00:00Z")
    repo.publish(new_root)
    _serve(https_server, repo)
    (tmp_path / "bootstrap.json").write_bytes(repo.bootstrap)
    out = tmp_path / "trusted_root.json"
    out.write_bytes(Path(tuf_support.trust_root.shipped_trusted_root_path()).read_bytes())
    args = ["trust", "update", "--tuf-url", base, "--tuf-root", str(tmp_path / "bootstrap.json")]

    dry = run_cli(*args, "--write", str(out), "--dry-run")
    assert dry.code == 0, dry.out + dry.err
    assert "would change" in dry.out and "2031-01-01" in dry.out
    assert out.read_bytes() != new_root

    result = run_cli(*args, "--write", str(out))
    assert result.code == 0, result.out + result.err
    assert "changed" in result.out and f"wrote {out}" in result.out
    assert out.read_bytes() == new_root

    again = run_cli(*args, "--write", str(out))
    assert again.code == 0 and "up to date" in again.out


def test_trust_update_refuses_a_tampered_target(
    tmp_path: Path,
    https_server: HttpsServer,
    trust_test_ca: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = https_server.url_for("/tuf")
    monkeypatch.setattr(tuf_support, "TUF_URL", base)
    repo = tuf_support.TufRepo()
    repo.publish(_root("2031-01-01T00:00:00Z"), serve=_root("2099-01-01T00:00:00Z"))
    _serve(https_server, repo)
    (tmp_path / "bootstrap.json").write_bytes(repo.bootstrap)
    out = tmp_path / "trusted_root.json"
    before = Path(tuf_support.trust_root.shipped_trusted_root_path()).read_bytes()
    out.write_bytes(before)
    result = run_cli(
        "trust",
        "update",
        "--tuf-url",
        base,
        "--tuf-root",
        str(tmp_path / "bootstrap.json"),
        "--write",
        str(out),
    )
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err
    assert out.read_bytes() == before


def test_trust_show_describes_the_pinned_root() -> None:
    result = run_cli("trust", "show")
    assert result.code == 0, result.err
    assert "rekor" in result.out.lower() and "fulcio" in result.out.lower()
