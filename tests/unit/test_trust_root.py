"""The pinned Sigstore trust root: shipped copies, loading, describe/diff, and the TUF refresh
against an in-process TUF repository (real python-tuf metadata, throwaway keys)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)

from depguard.errors import InputError, IntegrityError, NetworkError
from depguard.net.fetcher import NotFound, Response
from depguard.verify import trust_root
from depguard.verify.trust_root import (
    describe_trusted_root,
    diff_trusted_roots,
    load_trust_material,
    load_trusted_root,
    update_trusted_root,
)

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "manifests" / "sigstore"
DATA = ROOT / "depguard" / "data" / "sigstore"
TUF_URL = "https://tuf.example.test"


# --------------------------------------------------------------------------- shipped files


@pytest.mark.parametrize("name", ["trusted_root.json", "tuf-root.json"])
def test_shipped_copies_are_byte_identical(name: str) -> None:
    assert (MANIFEST / name).read_bytes() == (DATA / name).read_bytes()


def test_package_data_accessors_return_the_shipped_files() -> None:
    assert trust_root.pinned_trusted_root_bytes() == (DATA / "trusted_root.json").read_bytes()
    assert trust_root.pinned_tuf_root_bytes() == (DATA / "tuf-root.json").read_bytes()
    tuf_root = json.loads(trust_root.pinned_tuf_root_bytes())
    assert tuf_root["signed"]["_type"] == "root"


def test_load_trusted_root_is_offline_and_leaves_home_alone(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sigstore.models import TrustedRoot

    home = tmp_path_factory.mktemp("home")
    copy = tmp_path_factory.mktemp("root") / "trusted_root.json"
    copy.write_bytes((MANIFEST / "trusted_root.json").read_bytes())
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    for path in (None, copy):
        root = load_trusted_root(path)
        assert isinstance(root, TrustedRoot)
        assert len(root.get_fulcio_certs()) >= 2
    assert list(home.iterdir()) == []  # nothing written to the (fake) home


def test_load_explicit_path(tmp_path: Path) -> None:
    copy = tmp_path / "root.json"
    copy.write_bytes((MANIFEST / "trusted_root.json").read_bytes())
    material = load_trust_material(copy)
    assert material.path == copy
    assert material.sha256 == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert load_trusted_root(copy).get_fulcio_certs()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b'{"mediaType": "application/x-other"}', "unsupported trusted root media type"),
        (
            b'{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",'
            b' "tlogs": [{"publicKey": {}}]}',
            "malformed trusted root entry",
        ),
    ],
)
def test_bad_trusted_root_is_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        load_trust_material(path)
    assert str(path) in str(info.value)


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read trusted root"):
        load_trust_material(tmp_path / "absent.json")


# --------------------------------------------------------------------------- describe / diff


def test_describe_pinned_root() -> None:
    summary = describe_trusted_root()
    kinds = [e.kind for e in summary.entries]
    assert kinds.count("tlog") == 2
    assert kinds.count("ctlog") == 2
    assert kinds.count("ca") == 2
    assert kinds.count("tsa") == 1
    rekor = next(e for e in summary.entries if e.name == "https://rekor.sigstore.dev")
    assert rekor.algorithm == "PKIX_ECDSA_P256_SHA_256"
    assert rekor.validity.start == dt.datetime(2021, 1, 12, 11, 53, 27, tzinfo=dt.UTC)
    assert rekor.validity.end is None
    assert rekor.key_id.startswith("c0d23d6a")  # wNI9atQG… in base64
    first_ca = next(e for e in summary.entries if e.kind == "ca")
    assert first_ca.validity.describe() == "2021-03-07 – 2022-12-31"
    lines = summary.lines()
    assert any(line.startswith("tlog https://log2025-1.rekor.sigstore.dev") for line in lines)
    assert any("tsa https://timestamp.sigstore.dev" in line for line in lines)
    assert summary.sha256 == hashlib.sha256(trust_root.pinned_trusted_root_bytes()).hexdigest()


def _root_doc() -> dict[str, Any]:
    return json.loads(trust_root.pinned_trusted_root_bytes())


def test_diff_identical_roots_is_empty() -> None:
    raw = trust_root.pinned_trusted_root_bytes()
    assert diff_trusted_roots(raw, raw) == []
    assert diff_trusted_roots(None, raw) == []


def test_diff_reports_added_removed_and_validity_changes() -> None:
    old = _root_doc()
    new = _root_doc()
    removed = new["tlogs"].pop(1)  # the Rekor v2 shard
    new["ctlogs"][1]["publicKey"]["validFor"]["end"] = "2030-01-01T00:00:00Z"
    added = dict(removed, baseUrl="https://log2026-1.rekor.sigstore.dev")
    added["logId"] = {"keyId": "AAAA" + removed["logId"]["keyId"][4:]}
    new["tlogs"].append(added)
    changes = diff_trusted_roots(json.dumps(old).encode(), json.dumps(new).encode())
    assert any(c.startswith("added tlog https://log2026-1.rekor.sigstore.dev") for c in changes)
    assert any(c.startswith("removed tlog https://log2025-1.rekor.sigstore.dev") for c in changes)
    assert any(
        c.startswith("changed ctlog https://ctfe.sigstore.dev/2022") and "2030-01-01" in c
        for c in changes
    )
    assert len(changes) == 3


# --------------------------------------------------------------------------- TUF repository


class DictFetcher:
    """A dict-backed :class:`~depguard.net.fetcher.Fetcher` (URL → body)."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = dict(files)
        self.requests: list[tuple[str, int]] = []
        self.fail: set[str] = set()

    def get(
        self,
        url: str,
        *,
        max_bytes: int = 4 * 1024 * 1024,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
        ok_statuses: tuple[int, ...] = (200,),
    ) -> Response:
        self.requests.append((url, max_bytes))
        if url in self.fail:
            raise NetworkError(f"{url}: connection reset")
        body = self.files.get(url)
        if body is None:
            if 404 in ok_statuses:
                return Response(url=url, status=404, body=b"")
            raise NotFound(url)
        if len(body) > max_bytes:
            raise NetworkError(f"{url}: body larger than {max_bytes} bytes")
        return Response(url=url, status=200, body=body)

    def download(self, url: str, **_: object) -> Any:
        raise AssertionError("the TUF refresh must not use download()")


def _expiry() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=7)


class TufRepo:
    """A consistent-snapshot TUF repository with one key per role, served from a dict."""

    def __init__(self) -> None:
        self.signers = {
            r: CryptoSigner.generate_ecdsa() for r in ("root", "targets", "snapshot", "timestamp")
        }
        root = Root(expires=_expiry(), consistent_snapshot=True)
        for role, signer in self.signers.items():
            root.add_key(signer.public_key, role)
        self.root = Metadata(root)
        self.root.sign(self.signers["root"])
        self.roots = [self.root.to_bytes()]
        self.files: dict[str, bytes] = {}
        self.targets_version = 0
        self.snapshot_version = 0
        self.timestamp_version = 0

    @property
    def bootstrap(self) -> bytes:
        return self.roots[0]

    def publish(self, trusted_root: bytes, *, serve: bytes | None = None) -> None:
        """Sign metadata for ``trusted_root``; serve ``serve`` (default: the same bytes)."""
        self.targets_version += 1
        targets = Targets(version=self.targets_version, expires=_expiry())
        info = TargetFile.from_data("trusted_root.json", trusted_root, ["sha256"])
        targets.targets["trusted_root.json"] = info
        targets_md = Metadata(targets)
        targets_md.sign(self.signers["targets"])
        self.snapshot_version += 1
        snapshot = Snapshot(version=self.snapshot_version, expires=_expiry())
        snapshot.meta["targets.json"] = MetaFile(version=self.targets_version)
        snapshot_md = Metadata(snapshot)
        snapshot_md.sign(self.signers["snapshot"])
        self.timestamp_version += 1
        timestamp = Timestamp(
            version=self.timestamp_version,
            expires=_expiry(),
            snapshot_meta=MetaFile(version=self.snapshot_version),
        )
        timestamp_md = Metadata(timestamp)
        timestamp_md.sign(self.signers["timestamp"])
        digest = info.hashes["sha256"]
        self.files.update(
            {
                f"{TUF_URL}/{self.targets_version}.targets.json": targets_md.to_bytes(),
                f"{TUF_URL}/{self.snapshot_version}.snapshot.json": snapshot_md.to_bytes(),
                f"{TUF_URL}/timestamp.json": timestamp_md.to_bytes(),
                f"{TUF_URL}/targets/{digest}.trusted_root.json": (
                    trusted_root if serve is None else serve
                ),
            }
        )

    def rotate_root(self) -> None:
        """Publish root v(n+1) with a new root key, signed by the old and the new key."""
        new_signer = CryptoSigner.generate_ecdsa()
        root = self.root.signed
        root.version += 1
        old_keyid = self.signers["root"].public_key.keyid
        root.revoke_key(old_keyid, "root")
        root.add_key(new_signer.public_key, "root")
        self.root.signatures.clear()
        self.root.sign(self.signers["root"], append=True)
        self.root.sign(new_signer, append=True)
        self.signers["root"] = new_signer
        data = self.root.to_bytes()
        self.roots.append(data)
        self.files[f"{TUF_URL}/{root.version}.root.json"] = data

    def fetcher(self) -> DictFetcher:
        return DictFetcher(self.files)


def _changed_root() -> bytes:
    doc = _root_doc()
    doc["tlogs"][0]["publicKey"]["validFor"]["end"] = "2031-01-01T00:00:00Z"
    return json.dumps(doc, indent=2).encode()


def test_update_writes_verified_root_and_returns_diff(tmp_path: Path) -> None:
    repo = TufRepo()
    new = _changed_root()
    repo.publish(new)
    fetcher = repo.fetcher()
    dest = [tmp_path / "manifests" / "trusted_root.json", tmp_path / "data" / "trusted_root.json"]
    for path in dest:
        path.parent.mkdir()
    tuf_dest = tmp_path / "tuf-root.json"
    changes = update_trusted_root(
        fetcher,
        dest,
        metadata_url=TUF_URL,
        tuf_root=repo.bootstrap,
        tuf_root_dest_paths=[tuf_dest],
    )
    assert changes == [
        "changed tlog https://rekor.sigstore.dev: validity from 2021-01-12"
        " -> 2021-01-12 – 2031-01-01"
    ]
    assert all(path.read_bytes() == new for path in dest)
    assert tuf_dest.read_bytes() == repo.bootstrap
    # Every request went through the fetcher with a bound.
    assert fetcher.requests and all(limit > 0 for _, limit in fetcher.requests)
    assert any(url.endswith(".trusted_root.json") for url, _ in fetcher.requests)

    # A second refresh with the same target: nothing changes.
    assert update_trusted_root(fetcher, dest, metadata_url=TUF_URL, tuf_root=repo.bootstrap) == []


def test_update_follows_root_rotation(tmp_path: Path) -> None:
    repo = TufRepo()
    repo.rotate_root()
    repo.publish(trust_root.pinned_trusted_root_bytes())
    dest = tmp_path / "trusted_root.json"
    tuf_dest = tmp_path / "tuf-root.json"
    changes = update_trusted_root(
        repo.fetcher(),
        [dest],
        metadata_url=TUF_URL,
        tuf_root=repo.bootstrap,
        tuf_root_dest_paths=[tuf_dest],
    )
    assert changes == []
    assert json.loads(tuf_dest.read_bytes())["signed"]["version"] == 2


def test_update_rejects_tampered_target(tmp_path: Path) -> None:
    repo = TufRepo()
    genuine = _changed_root()
    repo.publish(genuine, serve=genuine.replace(b"2031-01-01", b"2099-01-01"))
    dest = tmp_path / "trusted_root.json"
    dest.write_bytes(b"old")
    with pytest.raises(IntegrityError, match="TUF verification failed"):
        update_trusted_root(repo.fetcher(), [dest], metadata_url=TUF_URL, tuf_root=repo.bootstrap)
    assert dest.read_bytes() == b"old"


def test_update_rejects_metadata_signed_by_another_key(tmp_path: Path) -> None:
    repo = TufRepo()
    repo.signers["timestamp"] = CryptoSigner.generate_ecdsa()  # not the key root names
    repo.publish(_changed_root())
    with pytest.raises(IntegrityError, match="TUF verification failed"):
        update_trusted_root(
            repo.fetcher(), [tmp_path / "t.json"], metadata_url=TUF_URL, tuf_root=repo.bootstrap
        )
    assert not (tmp_path / "t.json").exists()


def test_update_rejects_a_repository_not_rooted_in_the_pinned_root(tmp_path: Path) -> None:
    repo = TufRepo()
    repo.publish(_changed_root())
    # The default bootstrap is the shipped Sigstore TUF root: this repository's keys are not in it.
    with pytest.raises(IntegrityError):
        update_trusted_root(repo.fetcher(), [tmp_path / "t.json"], metadata_url=TUF_URL)


def test_update_rejects_signed_target_that_is_not_a_trusted_root(tmp_path: Path) -> None:
    repo = TufRepo()
    repo.publish(b'{"mediaType": "something else"}')
    with pytest.raises(IntegrityError, match="unsupported trusted root media type"):
        update_trusted_root(
            repo.fetcher(), [tmp_path / "t.json"], metadata_url=TUF_URL, tuf_root=repo.bootstrap
        )


def test_update_network_failure_is_network_error(tmp_path: Path) -> None:
    repo = TufRepo()
    repo.publish(_changed_root())
    fetcher = repo.fetcher()
    fetcher.fail.add(f"{TUF_URL}/timestamp.json")
    with pytest.raises(NetworkError, match="connection reset"):
        update_trusted_root(
            fetcher, [tmp_path / "t.json"], metadata_url=TUF_URL, tuf_root=repo.bootstrap
        )


def test_update_without_trusted_root_target(tmp_path: Path) -> None:
    repo = TufRepo()
    repo.publish(_changed_root())
    # Re-sign targets without the trusted_root.json entry.
    targets = Targets(version=repo.targets_version, expires=_expiry())
    md = Metadata(targets)
    md.sign(repo.signers["targets"])
    repo.files[f"{TUF_URL}/{repo.targets_version}.targets.json"] = md.to_bytes()
    with pytest.raises(IntegrityError, match=r"do not list trusted_root\.json"):
        update_trusted_root(
            repo.fetcher(), [tmp_path / "t.json"], metadata_url=TUF_URL, tuf_root=repo.bootstrap
        )


def test_describe_accepts_the_sigstore_root_and_iterates_lines() -> None:
    lines = list(describe_trusted_root(load_trusted_root()))
    assert lines == describe_trusted_root().lines()
    assert "\n".join(describe_trusted_root(load_trusted_root())).count("\n") == len(lines) - 1
    with pytest.raises(TypeError):
        describe_trusted_root(object())  # type: ignore[arg-type]


def test_environment_override_and_pinned_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = trust_root.shipped_trusted_root_path()
    monkeypatch.delenv(trust_root.TRUSTED_ROOT_ENV, raising=False)
    paths = trust_root.pinned_root_paths()
    assert paths[0] == shipped
    assert (MANIFEST / "trusted_root.json").resolve() in [p.resolve() for p in paths]
    assert trust_root.default_trusted_root_path() == shipped

    override = tmp_path / "mine.json"
    doc = _root_doc()
    doc["tlogs"].pop(1)
    override.write_text(json.dumps(doc))
    monkeypatch.setenv(trust_root.TRUSTED_ROOT_ENV, str(override))
    assert trust_root.pinned_root_paths() == [override]
    assert load_trust_material().path == override
    assert len(load_trust_material().tlogs) == 1
    # The cache follows file changes.
    override.write_text(json.dumps(_root_doc()))
    assert len(load_trust_material().tlogs) == 2


def test_update_dry_run_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(trust_root.TRUSTED_ROOT_ENV, raising=False)
    repo = TufRepo()
    repo.publish(_changed_root())
    changes = update_trusted_root(repo.fetcher(), [], metadata_url=TUF_URL, tuf_root=repo.bootstrap)
    assert len(changes) == 1 and changes[0].startswith("changed tlog https://rekor.sigstore.dev")
    assert trust_root.pinned_trusted_root_bytes() == (MANIFEST / "trusted_root.json").read_bytes()
