"""The pinned Sigstore trust root: load it, describe it, diff it, refresh it over TUF.

depguard never trusts whatever happens to sit in sigstore-python's home cache and never calls
``Verifier.production()`` (research/signatures.md §2.2: that reads an unverified cached copy
and writes to ``$HOME``). Instead the production ``trusted_root.json`` is pinned in the
repository (``manifests/sigstore/trusted_root.json``) and shipped as package data
(``depguard/data/sigstore/trusted_root.json``, byte-identical; a test keeps them equal). Both
were copied from the root embedded in sigstore-python 4.5.1
(``sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/trusted_root.json``, sha256
``6494e21e…bc0b66``), next to the TUF ``root.json`` (version 15) the refresh starts from
(``tuf-root.json``, sha256 ``73747011…9d9ca8``).

* :func:`load_trust_material` parses the trusted root into keys and certificates that
  depguard's own verifiers use (cosign legacy bundles, keyed log entries), and hands out the
  matching sigstore-python :class:`~sigstore.models.TrustedRoot` / ``Verifier``.
* :func:`load_trusted_root` returns just the sigstore-python ``TrustedRoot``.
* :func:`describe_trusted_root` / :func:`diff_trusted_roots` summarise a root and list what
  changed between two (for ``depguard trust`` output and review of a refresh).
* :func:`update_trusted_root` runs the TUF client workflow (python-tuf ``ngclient``) from the
  pinned TUF root against the Sigstore TUF repository, through depguard's bounded
  :class:`~depguard.net.fetcher.Fetcher`, and writes the verified ``trusted_root.json``
  atomically. It is the only function here that does network or file writes.

``sigstore`` and ``tuf`` are imported inside functions (CONVENTIONS §15).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import os
import tempfile
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from depguard.errors import DepguardError, InputError, IntegrityError, NetworkError
from depguard.net.fetcher import NotFound
from depguard.util.atomic import write_atomic

if TYPE_CHECKING:
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier

    from depguard.net.fetcher import Fetcher

__all__ = [
    "DEFAULT_TUF_URL",
    "TRUSTED_ROOT_ENV",
    "Authority",
    "LogKey",
    "TrustEntry",
    "TrustMaterial",
    "TrustRootSummary",
    "Validity",
    "default_trusted_root_path",
    "describe_trusted_root",
    "diff_trusted_roots",
    "load_trust_material",
    "load_trusted_root",
    "pinned_root_paths",
    "pinned_trusted_root_bytes",
    "pinned_tuf_root_bytes",
    "resolve_trust_material",
    "shipped_trusted_root_path",
    "update_trusted_root",
]

log = logging.getLogger(__name__)

DEFAULT_TUF_URL = "https://tuf-repo-cdn.sigstore.dev"
TRUSTED_ROOT_ENV = "DEPGUARD_SIGSTORE_TRUSTED_ROOT"
TRUSTED_ROOT_TARGET = "trusted_root.json"
_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
_DATA_DIR = ("data", "sigstore")
_TRUSTED_ROOT_FILE = "trusted_root.json"
_TUF_ROOT_FILE = "tuf-root.json"
_MAX_TRUSTED_ROOT_BYTES = 1024 * 1024

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey

# protobuf-specs PublicKeyDetails → how signatures by that key are checked.
_EC_HASHES: Mapping[str, type[hashes.HashAlgorithm]] = {
    "PKIX_ECDSA_P256_SHA_256": hashes.SHA256,
    "PKIX_ECDSA_P384_SHA_384": hashes.SHA384,
    "PKIX_ECDSA_P521_SHA_512": hashes.SHA512,
}
_RSA_PKCS1_SHA256 = frozenset(
    {
        "PKCS1_RSA_PKCS1V5",
        "PKIX_RSA_PKCS1V5",
        "PKIX_RSA_PKCS1V15_2048_SHA256",
        "PKIX_RSA_PKCS1V15_3072_SHA256",
        "PKIX_RSA_PKCS1V15_4096_SHA256",
    }
)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True, kw_only=True)
class Validity:
    """A ``validFor`` window; ``end`` ``None`` means still valid. Both ends are inclusive."""

    start: dt.datetime | None
    end: dt.datetime | None

    def contains(self, when: dt.datetime) -> bool:
        """Return whether ``when`` lies in the window (closed interval)."""
        if self.start is not None and when < self.start:
            return False
        return self.end is None or when <= self.end

    def describe(self) -> str:
        """``"from 2021-01-12"`` or ``"2021-03-07 – 2022-12-31"``."""
        start = f"{self.start:%Y-%m-%d}" if self.start else "?"
        return f"from {start}" if self.end is None else f"{start} – {self.end:%Y-%m-%d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LogKey:
    """A transparency log (Rekor) or certificate-transparency log instance."""

    base_url: str
    key_id: bytes  # logId.keyId: SHA-256 of the DER public key
    key_details: str
    key: PublicKey | None  # None: a key type depguard cannot use (reported, never trusted)
    validity: Validity

    def verify(self, signature: bytes, data: bytes) -> None:
        """Check ``signature`` over ``data`` with this log's key.

        Raises:
            InvalidSignature: the signature does not verify, or the key type is unusable.
        """
        key = self.key
        if isinstance(key, ec.EllipticCurvePublicKey) and self.key_details in _EC_HASHES:
            key.verify(signature, data, ec.ECDSA(_EC_HASHES[self.key_details]()))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif isinstance(key, rsa.RSAPublicKey) and self.key_details in _RSA_PKCS1_SHA256:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise InvalidSignature(f"unsupported log key type {self.key_details}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Authority:
    """A Fulcio certificate authority or an RFC 3161 timestamp authority."""

    uri: str
    subject: str
    certificates: tuple[x509.Certificate, ...]  # as listed: issuing certificate first, root last
    validity: Validity

    @property
    def fingerprint(self) -> str:
        """Lower-case hex SHA-256 of the first (issuing) certificate's DER."""
        return self.certificates[0].fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustMaterial:
    """A parsed ``trusted_root.json`` (Sigstore protobuf-specs ``TrustedRoot`` v0.1)."""

    source: str
    raw: bytes
    path: Path | None
    tlogs: tuple[LogKey, ...]
    ctlogs: tuple[LogKey, ...]
    certificate_authorities: tuple[Authority, ...]
    timestamp_authorities: tuple[Authority, ...]
    _cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def sha256(self) -> str:
        """Lower-case hex SHA-256 of the file bytes."""
        return hashlib.sha256(self.raw).hexdigest()

    @classmethod
    def from_json(cls, raw: bytes, *, source: str, path: Path | None = None) -> TrustMaterial:
        """Parse a trusted root.

        Raises:
            InputError: not JSON, wrong media type, or a malformed key/certificate entry.
        """
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise InputError(source, f"trusted root is not valid JSON ({e})") from e
        if not isinstance(doc, dict):
            raise InputError(source, "trusted root is not a JSON object")
        if doc.get("mediaType") != _MEDIA_TYPE:
            raise InputError(
                source, f"unsupported trusted root media type {doc.get('mediaType')!r}"
            )
        try:
            return cls(
                source=source,
                raw=raw,
                path=path,
                tlogs=tuple(_log_key(item) for item in _list(doc, "tlogs")),
                ctlogs=tuple(_log_key(item) for item in _list(doc, "ctlogs")),
                certificate_authorities=tuple(
                    _authority(item) for item in _list(doc, "certificateAuthorities")
                ),
                timestamp_authorities=tuple(
                    _authority(item) for item in _list(doc, "timestampAuthorities")
                ),
            )
        except (KeyError, TypeError, ValueError, binascii.Error) as e:
            raise InputError(source, f"malformed trusted root entry ({e!r})") from e

    def tlog(self, key_id: bytes) -> LogKey | None:
        """The transparency log whose ``logId.keyId`` is ``key_id``, if any."""
        return next((t for t in self.tlogs if t.key_id == key_id), None)

    def ctlog(self, key_id: bytes) -> LogKey | None:
        """The CT log whose ``logId.keyId`` is ``key_id``, if any."""
        return next((t for t in self.ctlogs if t.key_id == key_id), None)

    def sigstore_root(self) -> TrustedRoot:
        """The same root as a sigstore-python ``TrustedRoot`` (parsed from :attr:`path`).

        Raises:
            InputError: sigstore-python rejects the file.
            ValueError: this material was parsed from bytes without a file (programming error).
        """
        cached = self._cache.get("root")
        if cached is None:
            if self.path is None:
                raise ValueError("TrustMaterial.sigstore_root() needs material loaded from a file")
            from sigstore.errors import Error as SigstoreError
            from sigstore.models import TrustedRoot

            try:
                cached = TrustedRoot.from_file(str(self.path))
            except (SigstoreError, ValueError) as e:
                raise InputError(self.source, f"sigstore rejects the trusted root: {e}") from e
            self._cache["root"] = cached
            _SIGSTORE_ROOTS[cached] = self
        return cached  # type: ignore[return-value]

    def verifier(self) -> Verifier:
        """A sigstore-python ``Verifier`` over this root (cached; construction is offline)."""
        cached = self._cache.get("verifier")
        if cached is None:
            from sigstore.verify import Verifier

            cached = Verifier(trusted_root=self.sigstore_root())
            self._cache["verifier"] = cached
        return cached  # type: ignore[return-value]


# sigstore-python TrustedRoot objects handed out by TrustMaterial.sigstore_root(), so that
# describe_trusted_root() can accept them (TrustedRoot has no public way back to its JSON).
_SIGSTORE_ROOTS: weakref.WeakKeyDictionary[Any, TrustMaterial] = weakref.WeakKeyDictionary()


def _list(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise TypeError(f"{key} is not a list of objects")
    return value


def _time(value: object) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"timestamp {value!r} is not a string")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _validity(obj: Mapping[str, Any] | None) -> Validity:
    obj = obj or {}
    return Validity(start=_time(obj.get("start")), end=_time(obj.get("end")))


def _log_key(item: Mapping[str, Any]) -> LogKey:
    public_key = item["publicKey"]
    der = base64.b64decode(public_key["rawBytes"], validate=True)
    details = str(public_key.get("keyDetails", ""))
    key: PublicKey | None
    try:
        loaded = serialization.load_der_public_key(der)
        key = loaded if isinstance(loaded, PublicKey) else None
    except (ValueError, TypeError):  # an algorithm cryptography cannot load
        key = None
    if key is None:
        log.warning("trusted root: unusable key %s for %s", details, item.get("baseUrl"))
    return LogKey(
        base_url=str(item.get("baseUrl", "")),
        key_id=base64.b64decode(item["logId"]["keyId"], validate=True),
        key_details=details,
        key=key,
        validity=_validity(public_key.get("validFor")),
    )


def _authority(item: Mapping[str, Any]) -> Authority:
    certs = tuple(
        x509.load_der_x509_certificate(base64.b64decode(c["rawBytes"], validate=True))
        for c in item["certChain"]["certificates"]
    )
    if not certs:
        raise ValueError("certificate authority without certificates")
    subject = item.get("subject") or {}
    name = "/".join(str(subject[k]) for k in ("organization", "commonName") if subject.get(k))
    return Authority(
        uri=str(item.get("uri", "")),
        subject=name,
        certificates=certs,
        validity=_validity(item.get("validFor")),
    )


# --------------------------------------------------------------------------- loading


def _data_file(name: str) -> resources.abc.Traversable:
    resource = resources.files("depguard")
    for part in (*_DATA_DIR, name):  # one part per call: not every Traversable takes several
        resource = resource.joinpath(part)
    return resource


def _read_data(name: str) -> bytes:
    try:
        return _data_file(name).read_bytes()
    except OSError as e:  # a broken installation, not a user error
        raise RuntimeError(f"depguard package data {'/'.join((*_DATA_DIR, name))}: {e}") from e


def pinned_trusted_root_bytes() -> bytes:
    """The shipped production ``trusted_root.json`` bytes."""
    return _read_data(_TRUSTED_ROOT_FILE)


def pinned_tuf_root_bytes() -> bytes:
    """The shipped TUF ``root.json`` that :func:`update_trusted_root` starts from."""
    return _read_data(_TUF_ROOT_FILE)


@functools.cache
def shipped_trusted_root_path() -> Path:
    """The shipped ``trusted_root.json`` as a file (package data)."""
    resource = _data_file(_TRUSTED_ROOT_FILE)
    if isinstance(resource, Path):
        return resource
    # Zipped installation: sigstore-python reads roots from a file, so materialise one copy.
    directory = Path(tempfile.mkdtemp(prefix="depguard-sigstore-"))
    target = directory / _TRUSTED_ROOT_FILE
    target.write_bytes(resource.read_bytes())
    return target


def default_trusted_root_path() -> Path:
    """The trusted root depguard verifies with: ``$DEPGUARD_SIGSTORE_TRUSTED_ROOT`` when set,
    else the shipped copy."""
    override = os.environ.get(TRUSTED_ROOT_ENV, "").strip()
    return Path(override) if override else shipped_trusted_root_path()


def pinned_root_paths() -> list[Path]:
    """Where a refreshed root belongs: ``$DEPGUARD_SIGSTORE_TRUSTED_ROOT`` when set; else the
    shipped package-data copy plus, in a source checkout, ``manifests/sigstore/`` (the two
    must stay byte-identical)."""
    override = os.environ.get(TRUSTED_ROOT_ENV, "").strip()
    if override:
        return [Path(override)]
    paths = [shipped_trusted_root_path()]
    manifest = Path(__file__).resolve().parents[2] / "manifests" / "sigstore" / _TRUSTED_ROOT_FILE
    if manifest.is_file() and manifest != paths[0]:
        paths.append(manifest)
    return paths


_material_cache: dict[Path, tuple[tuple[int, int], TrustMaterial]] = {}
_material_lock = threading.Lock()


def load_trust_material(path: Path | None = None) -> TrustMaterial:
    """Load and parse a trusted root; ``None`` = :func:`default_trusted_root_path`.

    Parsed roots are cached per file (and re-read when its size or mtime changes).

    Raises:
        InputError: the file cannot be read or is not a valid trusted root.
    """
    target = default_trusted_root_path() if path is None else path
    try:
        stat = target.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        with _material_lock:
            cached = _material_cache.get(target)
        if cached is not None and cached[0] == key:
            return cached[1]
        raw = target.read_bytes()
    except OSError as e:
        raise InputError(str(target), f"cannot read trusted root: {e.strerror or e}") from e
    material = TrustMaterial.from_json(raw, source=str(target), path=target)
    with _material_lock:
        _material_cache[target] = (key, material)
    return material


def resolve_trust_material(root: TrustMaterial | Path | None) -> TrustMaterial:
    """``root`` as :class:`TrustMaterial`: loaded from a path, or the default when ``None``.

    Raises:
        InputError: the file cannot be read or parsed.
    """
    return root if isinstance(root, TrustMaterial) else load_trust_material(root)


def load_trusted_root(path: Path | None = None) -> TrustedRoot:
    """Return the sigstore-python ``TrustedRoot`` for ``path`` (default: the pinned root).

    Never reads sigstore-python's home cache and never contacts the network.

    Raises:
        InputError: the file cannot be read or parsed.
    """
    return load_trust_material(path).sigstore_root()


# --------------------------------------------------------------------------- describe / diff


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustEntry:
    """One trust anchor of a trusted root, in a form that can be shown and compared."""

    kind: Literal["tlog", "ctlog", "ca", "tsa"]
    name: str  # base URL (logs) or URI + subject (authorities)
    key_id: str  # hex logId.keyId (logs) or SHA-256 of the issuing certificate (authorities)
    algorithm: str
    validity: Validity

    def describe(self) -> str:
        """One line: kind, name, algorithm, validity and a short key ID."""
        return (
            f"{self.kind} {self.name} ({self.algorithm}, {self.validity.describe()}, "
            f"id {self.key_id[:16]})"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustRootSummary:
    """What a trusted root trusts: every log and authority with its validity window."""

    source: str
    sha256: str
    entries: tuple[TrustEntry, ...]

    def lines(self) -> list[str]:
        """Human-readable lines, one per entry, in file order."""
        return [entry.describe() for entry in self.entries]

    def __iter__(self) -> Iterator[str]:
        return iter(self.lines())


def _as_material(root: TrustMaterial | TrustedRoot | bytes | Path | None) -> TrustMaterial:
    if isinstance(root, TrustMaterial):
        return root
    if isinstance(root, bytes):
        return TrustMaterial.from_json(root, source="trusted_root.json")
    if root is None or isinstance(root, Path):
        return load_trust_material(root)
    material = _SIGSTORE_ROOTS.get(root)
    if material is None:
        raise TypeError("describe a TrustedRoot obtained from load_trusted_root()")
    return material


def _authority_algorithm(authority: Authority) -> str:
    key = authority.certificates[0].public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA {key.curve.name}"
    return type(key).__name__.removeprefix("_").replace("PublicKey", "")


def describe_trusted_root(
    root: TrustMaterial | TrustedRoot | bytes | Path | None = None,
) -> TrustRootSummary:
    """Summarise ``root`` (default: the pinned root): tlogs, CT logs, CAs and TSAs.

    ``root`` may also be a ``TrustedRoot`` returned by :func:`load_trusted_root`. The summary
    iterates over its human-readable lines.

    Raises:
        InputError: ``root`` is not a valid trusted root.
    """
    material = _as_material(root)
    entries: list[TrustEntry] = []
    for kind, logs in (("tlog", material.tlogs), ("ctlog", material.ctlogs)):
        entries.extend(
            TrustEntry(
                kind=kind,  # type: ignore[arg-type]
                name=item.base_url,
                key_id=item.key_id.hex(),
                algorithm=item.key_details,
                validity=item.validity,
            )
            for item in logs
        )
    for kind, authorities in (
        ("ca", material.certificate_authorities),
        ("tsa", material.timestamp_authorities),
    ):
        entries.extend(
            TrustEntry(
                kind=kind,  # type: ignore[arg-type]
                name=f"{item.uri} [{item.subject}]",
                key_id=item.fingerprint,
                algorithm=_authority_algorithm(item),
                validity=item.validity,
            )
            for item in authorities
        )
    return TrustRootSummary(source=material.source, sha256=material.sha256, entries=tuple(entries))


def diff_trusted_roots(
    old: TrustMaterial | TrustedRoot | bytes | Path | None,
    new: TrustMaterial | TrustedRoot | bytes | Path | None,
) -> list[str]:
    """List what changed from ``old`` to ``new``: added/removed anchors and validity changes.

    An empty list means the two roots trust exactly the same keys for the same periods.

    Raises:
        InputError: either root is not a valid trusted root.
    """
    before = {(e.kind, e.key_id): e for e in describe_trusted_root(old).entries}
    after = {(e.kind, e.key_id): e for e in describe_trusted_root(new).entries}
    changes: list[str] = []
    for key, entry in after.items():
        previous = before.get(key)
        if previous is None:
            changes.append(f"added {entry.describe()}")
        elif previous.validity != entry.validity:
            changes.append(
                f"changed {entry.kind} {entry.name}: validity {previous.validity.describe()}"
                f" -> {entry.validity.describe()}"
            )
        elif previous.name != entry.name:
            changes.append(
                f"changed {entry.kind} id {key[1][:16]}: {previous.name} -> {entry.name}"
            )
    changes.extend(
        f"removed {entry.describe()}" for key, entry in before.items() if key not in after
    )
    return changes


# --------------------------------------------------------------------------- TUF refresh


def _tuf_fetcher(fetcher: Fetcher, timeout: float) -> Any:
    """A python-tuf ``FetcherInterface`` that downloads through depguard's ``Fetcher``."""
    from tuf.api import exceptions as tuf_exceptions
    from tuf.ngclient.fetcher import FetcherInterface

    class _Adapter(FetcherInterface):
        def _get(self, url: str, max_length: int) -> bytes:
            try:
                response = fetcher.get(
                    url, max_bytes=max_length, timeout=timeout, ok_statuses=(200, 403, 404)
                )
            except NotFound as e:
                raise tuf_exceptions.DownloadHTTPError(str(e), 404) from e
            except NetworkError as e:
                raise tuf_exceptions.DownloadError(str(e)) from e
            if response.status != 200:
                # ngclient ends the root-rotation walk on 403/404 (TUF spec §5.3.4).
                raise tuf_exceptions.DownloadHTTPError(
                    f"{url}: HTTP {response.status}", response.status
                )
            if len(response.body) > max_length:
                raise tuf_exceptions.DownloadLengthMismatchError(
                    f"{url}: {len(response.body)} bytes exceed the limit of {max_length}"
                )
            return response.body

        def _fetch(self, url: str) -> Iterator[bytes]:
            return iter([self._get(url, _MAX_TRUSTED_ROOT_BYTES)])

        @contextlib.contextmanager
        def download_file(self, url: str, max_length: int) -> Iterator[IO[bytes]]:
            # Override to hand the per-file limit (from trusted metadata) to our fetcher.
            yield io.BytesIO(self._get(url, max_length))

    return _Adapter()


def _network_cause(error: BaseException) -> DepguardError | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, DepguardError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def update_trusted_root(
    fetcher: Fetcher,
    dest_paths: Sequence[Path],
    *,
    metadata_url: str = DEFAULT_TUF_URL,
    tuf_root: bytes | Path | None = None,
    tuf_root_dest_paths: Sequence[Path] = (),
    timeout: float = 30.0,
) -> list[str]:
    """Refresh ``trusted_root.json`` from a Sigstore TUF repository and write it atomically.

    Implements the TUF client workflow (TUF spec §5) with python-tuf's ``ngclient``: starting
    from ``tuf_root`` (default: the pinned ``tuf-root.json``), walk root rotations, then load
    timestamp → snapshot → targets, and download the ``trusted_root.json`` target, whose
    length and hashes the signed targets metadata fixes. Every request goes through
    ``fetcher`` with the per-file byte limits TUF prescribes. The TUF working metadata lives
    in a temporary directory; nothing is cached in ``$HOME``.

    The verified bytes are written to every path in ``dest_paths`` (existing parent
    directories; none = dry run) and the newest TUF root to every path in
    ``tuf_root_dest_paths``.

    Returns:
        :func:`diff_trusted_roots` between the previous root (the first destination, or
        :func:`default_trusted_root_path` when there is none or it does not exist) and the
        new one; empty when nothing changed.

    Raises:
        NetworkError: a download failed.
        IntegrityError: TUF verification failed (bad signature, expired or rolled-back
            metadata, target hash mismatch) or the target is not a valid trusted root.
        InputError: ``tuf_root`` cannot be read.
    """
    from tuf.api import exceptions as tuf_exceptions
    from tuf.ngclient.config import UpdaterConfig
    from tuf.ngclient.updater import Updater

    if tuf_root is None:
        bootstrap = pinned_tuf_root_bytes()
    elif isinstance(tuf_root, Path):
        try:
            bootstrap = tuf_root.read_bytes()
        except OSError as e:
            raise InputError(str(tuf_root), f"cannot read TUF root: {e.strerror or e}") from e
    else:
        bootstrap = tuf_root
    previous = next((p for p in dest_paths[:1] if p.exists()), default_trusted_root_path())
    try:
        old = previous.read_bytes()
    except OSError as e:
        raise InputError(str(previous), f"cannot read trusted root: {e.strerror or e}") from e
    base = metadata_url.rstrip("/")

    with tempfile.TemporaryDirectory(prefix="depguard-tuf-") as tmp:
        metadata_dir = Path(tmp) / "metadata"
        target_dir = Path(tmp) / "targets"
        metadata_dir.mkdir()
        target_dir.mkdir()
        try:
            updater = Updater(
                metadata_dir=str(metadata_dir),
                metadata_base_url=base,
                target_base_url=f"{base}/targets/",
                target_dir=str(target_dir),
                fetcher=_tuf_fetcher(fetcher, timeout),
                config=UpdaterConfig(app_user_agent="depguard"),
                bootstrap=bootstrap,
            )
            updater.refresh()
            info = updater.get_targetinfo(TRUSTED_ROOT_TARGET)
            if info is None:
                raise IntegrityError(f"{base}: TUF targets do not list {TRUSTED_ROOT_TARGET}")
            target = Path(updater.download_target(info))
            new = target.read_bytes()
            new_tuf_root = (metadata_dir / "root.json").read_bytes()
        except tuf_exceptions.DownloadError as e:
            cause = _network_cause(e)
            if isinstance(cause, NetworkError):
                raise cause from e
            raise NetworkError(f"{base}: TUF download failed: {e}") from e
        except tuf_exceptions.RepositoryError as e:
            raise IntegrityError(f"{base}: TUF verification failed: {e}") from e
        except ValueError as e:  # a malformed bootstrap root
            raise IntegrityError(f"{base}: invalid TUF root metadata: {e}") from e

    try:
        TrustMaterial.from_json(new, source=f"{base}/targets/{TRUSTED_ROOT_TARGET}")
    except InputError as e:
        raise IntegrityError(f"{e.message} (signed by the TUF repository)") from e
    for path in dest_paths:
        write_atomic(path, new)
    for path in tuf_root_dest_paths:
        write_atomic(path, new_tuf_root)
    return diff_trusted_roots(old, new)
