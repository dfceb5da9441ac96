"""cosign: identity policies from ``verify-blob`` flags, keyed signatures, legacy bundles.

aqua registries describe cosign checks as ``cosign verify-blob`` flags (``opts``) plus
downloaded material (``signature``, ``certificate``, ``key``, ``bundle``;
research/aqua.md, research/signatures.md §2–3). This module does, in process and offline:

* :func:`parse_cosign_opts` / :func:`policy_from_opts` — the flags as cosign (pflag) reads
  them, mapped to certificate policies. Policies are our own small classes with sigstore's
  structural ``verify(cert)`` interface (they raise ``sigstore.errors.VerificationError``),
  so they work with sigstore-python's ``Verifier`` and with the legacy verifier here.
  Regular expressions follow Go's ``regexp.MatchString`` as cosign uses it: **unanchored**
  search, RE2 syntax translated to Python (``\\Q…\\E``, ``\\z``, ``$`` = end of text);
  constructs without an exact Python equivalent are refused.
* :func:`verify_cosign_key` — ``cosign verify-blob --key``: ECDSA (P-256/SHA-256,
  P-384/SHA-384, P-521/SHA-512), RSA (PKCS#1 v1.5 or PSS, SHA-256) and Ed25519, signature
  base64 or raw.
* :func:`verify_legacy_bundle` — cosign's pre-``--new-bundle-format`` bundle
  (``base64Signature``, ``cert``, ``rekorBundle``), verified exactly as research/signatures.md
  §2.5: the signed entry timestamp (SET), the Fulcio chain at the integrated time, the
  embedded SCT, the policy, the signature, and the log-entry body. This is cosign's own
  offline guarantee (Rekor signed that it logged the entry; there is no inclusion proof).
* :func:`verify_keyed` — keyed signatures, optionally with the Rekor entry of a bundle.

Only public APIs are used: cryptography's X.509 path validation and primitives, ``rfc8785``,
and sigstore-python's exception type. ``sigstore`` is imported lazily (CONVENTIONS §15).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.certificate_transparency import LogEntryType
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from depguard.errors import InputError, SignatureError, UnsupportedError
from depguard.verify.intoto import Artifact, Statement
from depguard.verify.trust_root import TrustMaterial, resolve_trust_material

if TYPE_CHECKING:
    from depguard.verify.trust_root import LogKey

__all__ = [
    "GITHUB_ACTIONS_ISSUER",
    "BundleResult",
    "CertIdentity",
    "CertificatePolicy",
    "CosignOptions",
    "ExactIdentity",
    "ExactIssuer",
    "ExtensionEquals",
    "PolicySet",
    "RegexIdentity",
    "RegexIssuer",
    "SourceRepository",
    "SourceRepositoryRef",
    "describe_policy",
    "go_regexp",
    "load_certificate",
    "parse_cosign_opts",
    "policy_from_opts",
    "verify_cosign_key",
    "verify_keyed",
    "verify_legacy_bundle",
]

GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"

# Fulcio certificate extensions (sigstore/fulcio docs/oid-info.md). 1.1–1.6 hold raw UTF-8
# bytes; 1.8 onwards hold a DER UTF8String.
_OID = "1.3.6.1.4.1.57264.1."
_RAW_OIDS = {
    "Issuer": "1",
    "GitHubWorkflowTrigger": "2",
    "GitHubWorkflowSHA": "3",
    "GitHubWorkflowName": "4",
    "GitHubWorkflowRepository": "5",
    "GitHubWorkflowRef": "6",
}
_DER_OIDS = {
    "IssuerV2": "8",
    "BuildSignerURI": "9",
    "BuildSignerDigest": "10",
    "RunnerEnvironment": "11",
    "SourceRepositoryURI": "12",
    "SourceRepositoryDigest": "13",
    "SourceRepositoryRef": "14",
    "SourceRepositoryIdentifier": "15",
    "SourceRepositoryOwnerURI": "16",
    "SourceRepositoryOwnerIdentifier": "17",
    "BuildConfigURI": "18",
    "BuildConfigDigest": "19",
    "BuildTrigger": "20",
    "RunInvocationURI": "21",
    "SourceRepositoryVisibilityAtSigning": "22",
}
_OTHERNAME_OID = ObjectIdentifier(_OID + "7")
_CT_PRECERT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.4")
_MAX_REGEXP = 4096


# --------------------------------------------------------------------------- certificates


def _der_utf8string(value: bytes) -> str | None:
    """Decode a DER UTF8String (tag 0x0C, definite length); ``None`` if it is not one."""
    if len(value) < 2 or value[0] != 0x0C:
        return None
    length, pos = value[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(value) < 2 + count:
            return None
        length, pos = int.from_bytes(value[2 : 2 + count], "big"), 2 + count
    if pos + length != len(value):
        return None
    try:
        return value[pos:].decode("utf-8")
    except UnicodeDecodeError:
        return None


def _extension(cert: x509.Certificate, name: str) -> str | None:
    """The value of a Fulcio extension by name (see ``_RAW_OIDS`` / ``_DER_OIDS``)."""
    der = name in _DER_OIDS
    oid = ObjectIdentifier(_OID + (_DER_OIDS[name] if der else _RAW_OIDS[name]))
    try:
        ext = cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    raw = getattr(ext, "value", None)
    if not isinstance(raw, bytes):
        return None
    if der:
        return _der_utf8string(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def certificate_sans(cert: x509.Certificate) -> tuple[str, ...]:
    """Every SAN value cosign compares identities against: URIs, e-mails, DNS names, IP
    addresses and Fulcio's ``otherName`` username (``cryptoutils.GetSubjectAlternateNames``)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    values: list[str] = []
    values.extend(san.get_values_for_type(x509.UniformResourceIdentifier))
    values.extend(san.get_values_for_type(x509.RFC822Name))
    values.extend(san.get_values_for_type(x509.DNSName))
    values.extend(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id == _OTHERNAME_OID:
            decoded = _der_utf8string(other.value)
            if decoded is not None:
                values.append(decoded)
    return tuple(values)


def certificate_issuer(cert: x509.Certificate) -> str | None:
    """The OIDC issuer: extension 1.8 (DER), else the deprecated 1.1 (as cosign reads it)."""
    return _extension(cert, "IssuerV2") or _extension(cert, "Issuer")


@dataclass(frozen=True, slots=True, kw_only=True)
class CertIdentity:
    """What a Fulcio certificate says about its signer (for messages and SLSA checks)."""

    sans: tuple[str, ...]
    issuer: str | None
    source_repository_uri: str | None
    source_repository_ref: str | None
    workflow_repository: str | None
    workflow_ref: str | None

    @classmethod
    def from_certificate(cls, cert: x509.Certificate) -> CertIdentity:
        """Read the SANs and the Fulcio extensions depguard uses."""
        return cls(
            sans=certificate_sans(cert),
            issuer=certificate_issuer(cert),
            source_repository_uri=_extension(cert, "SourceRepositoryURI"),
            source_repository_ref=_extension(cert, "SourceRepositoryRef"),
            workflow_repository=_extension(cert, "GitHubWorkflowRepository"),
            workflow_ref=_extension(cert, "GitHubWorkflowRef"),
        )


def load_certificate(blob: bytes, *, source: str) -> x509.Certificate:
    """Load a certificate given as PEM, base64 of PEM (cosign legacy bundles) or DER.

    Raises:
        SignatureError: none of these forms parses.
    """
    data = blob.strip()
    if not data.startswith(b"-----BEGIN"):
        try:
            decoded = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            decoded = data
        data = decoded.strip()
    try:
        if data.startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as e:
        raise SignatureError(f"{source}: cannot parse the signing certificate ({e})") from e


# --------------------------------------------------------------------------- Go regexp


_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_GO_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def go_regexp(pattern: str, *, where: str) -> re.Pattern[str]:
    """Compile a Go (RE2) regular expression into an equivalent Python pattern.

    Use ``.search`` for Go's ``MatchString`` semantics. Translated: ``\\Q…\\E`` literals,
    ``\\z``, ``$`` (end of text unless ``(?m)``), ``(?<name>``, POSIX classes, ``\\x{…}``;
    ``re.ASCII`` gives Go's ASCII ``\\d``/``\\w``/``\\s``/``\\b``.

    Raises:
        InputError: syntax Go rejects (look-around, back-references) or that has no exact
            Python equivalent (``\\p{…}``, ``(?U)``, flags in mid-pattern), or an invalid or
            over-long pattern.
    """
    if len(pattern) > _MAX_REGEXP:
        raise InputError(where, f"regular expression longer than {_MAX_REGEXP} characters")

    def fail(reason: str) -> NoReturn:
        raise InputError(where, f"unsupported regular expression {pattern!r}: {reason}")

    flags = re.ASCII
    i, n = 0, len(pattern)
    leading = re.match(r"\(\?([a-zA-Z]*)\)", pattern)
    if leading:
        for letter in leading.group(1):
            if letter not in _GO_FLAGS:
                fail(f"flag {letter!r}")
            flags |= _GO_FLAGS[letter]
        i = leading.end()
    multiline = bool(flags & re.MULTILINE)
    out: list[str] = []
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                fail("trailing backslash")
            d = pattern[i + 1]
            if d == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                out.append("".join(f"\\{ch}" if not ch.isalnum() else ch for ch in literal))
                i = n if end < 0 else end + 2
                continue
            if d == "z":
                out.append("\\Z")
            elif d == "x" and pattern.startswith("{", i + 2):
                close = pattern.find("}", i + 3)
                try:
                    code = int(pattern[i + 3 : close], 16) if close > 0 else -1
                    char = chr(code)
                except ValueError:
                    fail("bad \\x{…} escape")
                out.append(f"\\U{ord(char):08x}")
                i = close + 1
                continue
            elif d in "AbBdDsSwWtnrfvax" or not d.isalnum():
                if d == "A" and in_class:
                    fail("\\A in a character class")
                out.append(c + d)
            else:
                fail(f"escape \\{d}")
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):
                close = pattern.find(":]", i + 2)
                name = pattern[i + 2 : close] if close > 0 else ""
                if name not in _POSIX_CLASSES:
                    fail(f"character class [:{name}:]")
                out.append(_POSIX_CLASSES[name])
                i = close + 2
                continue
            if c == "]":
                in_class = False
                out.append(c)
            elif c in "[&~|":  # literal in Go; special or reserved in Python sets
                out.append("\\" + c)
            else:
                out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):  # a leading "]" is literal
                out.append("\\]")
                i += 1
            continue
        if c == "(" and pattern.startswith("(?", i):
            if pattern.startswith("(?P<", i):
                out.append("(?P<")
                i += 4
            elif pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
                out.append("(?P<")
                i += 3
            else:
                scoped = re.match(r"\(\?([ims]*(?:-[ims]*)?):", pattern[i:])
                if not scoped:
                    fail("look-around or flags in mid-pattern")
                out.append(scoped.group(0))
                i += scoped.end()
            continue
        if c in "*+" and out and out[-1] in ("*", "+", "?", "}"):
            fail("nested repetition")  # Go rejects it; Python 3.11 reads it as possessive
        if c == "$" and not multiline:
            out.append("\\Z")  # Go: end of text; Python's "$" also matches before a final "\n"
        else:
            out.append(c)
        i += 1
    if in_class:
        fail("missing ]")
    try:
        return re.compile("".join(out), flags)
    except re.error as e:
        raise InputError(where, f"invalid regular expression {pattern!r}: {e}") from e


# --------------------------------------------------------------------------- policies


class CertificatePolicy(Protocol):
    """sigstore-python's ``VerificationPolicy`` shape (any sigstore policy fits).

    depguard's policies also have ``describe() -> str`` for messages.
    """

    def verify(self, cert: x509.Certificate) -> None:
        """Raise ``sigstore.errors.VerificationError`` when ``cert`` does not satisfy it."""
        ...


def describe_policy(policy: CertificatePolicy) -> str:
    """A short human-readable form of ``policy``, e.g. ``identity ~ ^https://…$``."""
    describe = getattr(policy, "describe", None)
    return str(describe()) if callable(describe) else type(policy).__name__


def _reject(message: str) -> NoReturn:
    from sigstore.errors import VerificationError

    raise VerificationError(message)


class ExactIdentity:
    """A SAN equals ``value`` (cosign ``--certificate-identity``)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def verify(self, cert: x509.Certificate) -> None:
        """See :class:`CertificatePolicy`."""
        sans = certificate_sans(cert)
        if self.value not in sans:
            _reject(f"certificate identity {list(sans)} is not {self.value!r}")

    def describe(self) -> str:
        """See :class:`CertificatePolicy`."""
        return f"identity = {self.value}"


class RegexIdentity:
    """Some SAN matches a Go regular expression (cosign ``--certificate-identity-regexp``,
    ``gh attestation verify --signer-workflow``): unanchored, like Go's ``MatchString``."""

    def __init__(self, pattern: str, *, where: str) -> None:
        self.pattern = pattern
        self._regexp = go_regexp(pattern, where=where)

    def verify(self, cert: x509.Certificate) -> None:
        """See :class:`CertificatePolicy`."""
        sans = certificate_sans(cert)
        if not any(self._regexp.search(san) for san in sans):
            _reject(f"certificate identity {list(sans)} does not match {self.pattern!r}")

    def describe(self) -> str:
        """See :class:`CertificatePolicy`."""
        return f"identity ~ {self.pattern}"


class ExactIssuer:
    """The OIDC issuer equals ``value`` (cosign ``--certificate-oidc-issuer``)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def verify(self, cert: x509.Certificate) -> None:
        """See :class:`CertificatePolicy`."""
        issuer = certificate_issuer(cert)
        if issuer != self.value:
            _reject(f"certificate OIDC issuer {issuer!r} is not {self.value!r}")

    def describe(self) -> str:
        """See :class:`CertificatePolicy`."""
        return f"issuer = {self.value}"


class RegexIssuer:
    """The OIDC issuer matches a Go regular expression (``--certificate-oidc-issuer-regexp``)."""

    def __init__(self, pattern: str, *, where: str) -> None:
        self.pattern = pattern
        self._regexp = go_regexp(pattern, where=where)

    def verify(self, cert: x509.Certificate) -> None:
        """See :class:`CertificatePolicy`."""
        issuer = certificate_issuer(cert)
        if issuer is None or not self._regexp.search(issuer):
            _reject(f"certificate OIDC issuer {issuer!r} does not match {self.pattern!r}")

    def describe(self) -> str:
        """See :class:`CertificatePolicy`."""
        return f"issuer ~ {self.pattern}"


class ExtensionEquals:
    """A Fulcio extension (by name, e.g. ``GitHubWorkflowRef``) equals ``value``."""

    def __init__(self, name: str, value: str) -> None:
        if name not in _RAW_OIDS and name not in _DER_OIDS:
            raise ValueError(f"unknown Fulcio extension {name}")
        self.name = name
        self.value = value

    def verify(self, cert: x509.Certificate) -> None:
        """See :class:`CertificatePolicy`."""
        actual = _extension(cert, self.name)
        if actual != self.value:
            _reject(f"certificate {self.name} is {actual!r}, expected {self.value!r}")

    def describe(self) -> str:
        """See :class:`CertificatePolicy`."""
        return f"{self.name} = {self.value}"


class SourceRepository:
    """The source repository is ``OWNER/REPO`` on github.com: extension 1.12
    (``https://github.com/OWNER/REPO``), else the legacy 1.5 (``OWNER/REPO``)."""

    def __init__(self, owner_repo: str) -> None:
        self.owner_repo = owner_repo

    def verify(self, cert: x509.Certificate) -> None:
        """See :class:`CertificatePolicy`."""
        uri = _extension(cert, "SourceRepositoryURI")
        if uri is not None:
            if uri != f"https://github.com/{self.owner_repo}":
                _reject(f"certificate source repository is {uri!r}, expected {self.owner_repo}")
            return
        legacy = _extension(cert, "GitHubWorkflowRepository")
        if legacy != self.owner_repo:
            _reject(f"certificate source repository is {legacy!r}, expected {self.owner_repo}")

    def describe(self) -> str:
        """See :class:`CertificatePolicy`."""
        return f"source repository = {self.owner_repo}"


class SourceRepositoryRef:
    """The source ref (1.14, else the legacy 1.6 ``GitHubWorkflowRef``) equals ``ref``."""

    def __init__(self, ref: str) -> None:
        self.ref = ref

    def verify(self, cert: x509.Certificate) -> None:
        """See :class:`CertificatePolicy`."""
        actual = _extension(cert, "SourceRepositoryRef") or _extension(cert, "GitHubWorkflowRef")
        if actual != self.ref:
            _reject(f"certificate source ref is {actual!r}, expected {self.ref!r}")

    def describe(self) -> str:
        """See :class:`CertificatePolicy`."""
        return f"source ref = {self.ref}"


class PolicySet:
    """All of the given policies (an empty set is refused, as sigstore's ``AllOf`` does)."""

    def __init__(self, children: Sequence[CertificatePolicy]) -> None:
        if not children:
            raise ValueError("a policy set needs at least one policy")
        self.children = tuple(children)

    def verify(self, cert: x509.Certificate) -> None:
        """See :class:`CertificatePolicy`."""
        for child in self.children:
            child.verify(cert)

    def describe(self) -> str:
        """See :class:`CertificatePolicy`."""
        return ", ".join(describe_policy(child) for child in self.children)


# --------------------------------------------------------------------------- cosign flags

# cosign verify-blob flags aqua registries use (aqua:pkg/cosign/verify.go passes them through).
_POLICY_FLAGS = {
    "certificate-identity": "identity",
    "certificate-identity-regexp": "identity_regexp",
    "certificate-oidc-issuer": "oidc_issuer",
    "certificate-oidc-issuer-regexp": "oidc_issuer_regexp",
    "certificate-github-workflow-trigger": "github_workflow_trigger",
    "certificate-github-workflow-sha": "github_workflow_sha",
    "certificate-github-workflow-name": "github_workflow_name",
    "certificate-github-workflow-repository": "github_workflow_repository",
    "certificate-github-workflow-ref": "github_workflow_ref",
}
_MATERIAL_FLAGS = {
    "key": "key",
    "bundle": "bundle",
    "signature": "signature",
    "certificate": "certificate",
}
_BOOL_FLAGS = {"insecure-ignore-tlog": "insecure_ignore_tlog"}
# strconv.ParseBool, which pflag uses for "--flag=value".
_GO_BOOLS = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}
_WORKFLOW_EXTENSIONS = {
    "github_workflow_trigger": "GitHubWorkflowTrigger",
    "github_workflow_sha": "GitHubWorkflowSHA",
    "github_workflow_name": "GitHubWorkflowName",
    "github_workflow_repository": "GitHubWorkflowRepository",
    "github_workflow_ref": "GitHubWorkflowRef",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CosignOptions:
    """``cosign verify-blob`` flags as parsed from aqua ``opts``.

    ``key``/``bundle``/``signature``/``certificate`` are the flag values (often URLs);
    the material itself is passed to the verifiers separately.
    """

    identity: str | None = None
    identity_regexp: str | None = None
    oidc_issuer: str | None = None
    oidc_issuer_regexp: str | None = None
    github_workflow_trigger: str | None = None
    github_workflow_sha: str | None = None
    github_workflow_name: str | None = None
    github_workflow_repository: str | None = None
    github_workflow_ref: str | None = None
    key: str | None = None
    bundle: str | None = None
    signature: str | None = None
    certificate: str | None = None
    insecure_ignore_tlog: bool = False


def parse_cosign_opts(opts: Sequence[str], *, where: str) -> CosignOptions:
    """Parse ``cosign verify-blob`` flags (``--flag value`` and ``--flag=value``).

    Raises:
        InputError: an unknown flag, a positional argument, a missing or empty value, an
            invalid boolean, or one flag given twice with different values.
    """
    values: dict[str, Any] = {}
    i = 0
    while i < len(opts):
        arg = opts[i]
        if not arg.startswith("--") or arg == "--":
            raise InputError(where, f"unexpected cosign argument {arg!r} (expected a --flag)")
        name, eq, value = arg[2:].partition("=")
        field_name = _POLICY_FLAGS.get(name) or _MATERIAL_FLAGS.get(name)
        parsed: Any
        if field_name is not None:
            if not eq:
                if i + 1 >= len(opts):
                    raise InputError(where, f"cosign flag --{name} needs a value")
                i += 1
                value = opts[i]
            if not value:
                raise InputError(where, f"cosign flag --{name} has an empty value")
            parsed = value
        elif name in _BOOL_FLAGS:
            field_name = _BOOL_FLAGS[name]
            if eq and value not in _GO_BOOLS:
                raise InputError(where, f"cosign flag --{name}: {value!r} is not a boolean")
            parsed = _GO_BOOLS[value] if eq else True
        else:
            raise InputError(where, f"unsupported cosign flag --{name}")
        if field_name in values and values[field_name] != parsed:
            raise InputError(where, f"cosign flag --{name} is given twice with different values")
        values[field_name] = parsed
        i += 1
    return CosignOptions(**values)


def policy_from_opts(opts: Sequence[str], *, where: str, keyed: bool = False) -> PolicySet | None:
    """Map aqua cosign ``opts`` to a certificate policy; ``None`` for keyed verification.

    Keyed means ``--key`` in ``opts`` or ``keyed=True`` (aqua's ``cosign.key`` file). Like
    cosign, keyless verification needs an identity (exact or regexp) **and** an OIDC issuer
    (exact or regexp); both forms of one are combined with AND. ``--certificate-github-
    workflow-*`` check the legacy Fulcio extensions 1.2–1.6, as cosign does.

    Raises:
        InputError: a bad flag (see :func:`parse_cosign_opts`), a bad regular expression, or
            keyless opts without identity or issuer.
    """
    options = parse_cosign_opts(opts, where=where)
    if keyed or options.key is not None:
        return None
    if options.identity is None and options.identity_regexp is None:
        raise InputError(
            where,
            "cosign opts give no certificate identity "
            "(--certificate-identity or --certificate-identity-regexp)",
        )
    if options.oidc_issuer is None and options.oidc_issuer_regexp is None:
        raise InputError(
            where,
            "cosign opts give no OIDC issuer "
            "(--certificate-oidc-issuer or --certificate-oidc-issuer-regexp)",
        )
    children: list[CertificatePolicy] = []
    if options.identity is not None:
        children.append(ExactIdentity(options.identity))
    if options.identity_regexp is not None:
        children.append(RegexIdentity(options.identity_regexp, where=where))
    if options.oidc_issuer is not None:
        children.append(ExactIssuer(options.oidc_issuer))
    if options.oidc_issuer_regexp is not None:
        children.append(RegexIssuer(options.oidc_issuer_regexp, where=where))
    for attribute, extension in _WORKFLOW_EXTENSIONS.items():
        value = getattr(options, attribute)
        if value is not None:
            children.append(ExtensionEquals(extension, value))
    return PolicySet(children)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleResult:
    """What a successful verification established."""

    format: str  # "sigstore-bundle" | "cosign-legacy-bundle" | "keyed"
    content: str  # "message-signature" | "dsse"
    identities: tuple[str, ...] = ()
    issuer: str | None = None
    log_index: int | None = None
    integrated_time: dt.datetime | None = None
    statement: Statement | None = None
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for reports, e.g. ``sigstore-bundle message-signature by https://… (…)``."""
        parts = [f"{self.format} {self.content}"]
        if self.identities:
            parts.append(f"by {', '.join(self.identities)}")
        if self.issuer:
            parts.append(f"issuer {self.issuer}")
        if self.log_index is not None:
            parts.append(f"log index {self.log_index}")
        if self.statement is not None:
            parts.append(f"predicate {self.statement.predicate_type}")
        parts.extend(self.notes)
        return "; ".join(parts)


# --------------------------------------------------------------------------- keyed


def _load_public_key(key: bytes, *, source: str) -> Any:
    data = key.strip()
    try:
        if data.startswith(b"-----BEGIN"):
            return serialization.load_pem_public_key(data)
        return serialization.load_der_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as e:
        raise InputError(source, f"cannot parse the cosign public key ({e})") from e


def _key_verifies(key: Any, signature: bytes, artifact: Artifact, source: str) -> bool:
    """Check one signature candidate; ``False`` when it does not verify."""
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            # sigstore/sigstore LoadVerifier: the curve fixes the digest.
            algorithm: hashes.HashAlgorithm = {
                "secp384r1": hashes.SHA384(),
                "secp521r1": hashes.SHA512(),
            }.get(key.curve.name, hashes.SHA256())
            digest = artifact.digest(algorithm.name)
            key.verify(signature, digest, ec.ECDSA(Prehashed(algorithm)))
            return True
        if isinstance(key, rsa.RSAPublicKey):
            digest = artifact.digest("sha256")
            paddings: tuple[padding.AsymmetricPadding, ...] = (
                padding.PKCS1v15(),
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
            )
            for pad in paddings:
                try:
                    key.verify(signature, digest, pad, Prehashed(hashes.SHA256()))
                    return True
                except InvalidSignature:
                    continue
            return False
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, artifact.read())  # pure Ed25519 cannot be prehashed
            return True
    except InvalidSignature:
        return False
    raise UnsupportedError(f"{source}: unsupported cosign key type {type(key).__name__}")


def _signature_candidates(signature: bytes) -> list[bytes]:
    """cosign ``.sig`` files hold base64 text; accept raw signature bytes as well."""
    candidates = []
    text = signature.strip()
    try:
        decoded = base64.b64decode(text, validate=True)
        if decoded:
            candidates.append(decoded)
    except (binascii.Error, ValueError):
        pass
    if signature not in candidates:
        candidates.append(signature)
    return candidates


def _verify_with_key(key: Any, signature: bytes, artifact: Artifact, source: str) -> bytes:
    for candidate in _signature_candidates(signature):
        if _key_verifies(key, candidate, artifact, source):
            return candidate
    raise SignatureError(f"{source}: cosign signature does not verify with the given public key")


def verify_cosign_key(
    data: bytes | Path | Artifact, signature: bytes, key_pem: bytes, *, source: str
) -> None:
    """Verify a keyed cosign signature (``cosign verify-blob --key``) over ``data``.

    Raises:
        SignatureError: the signature does not verify with the key.
        InputError: the key cannot be parsed, or the artifact file cannot be read.
        UnsupportedError: a key type cosign does not sign with (e.g. DSA).
    """
    artifact = data if isinstance(data, Artifact) else Artifact(data)
    _verify_with_key(_load_public_key(key_pem, source=source), signature, artifact, source)


# --------------------------------------------------------------------------- Rekor entries


def _b64(value: object, what: str, source: str) -> bytes:
    if not isinstance(value, str):
        raise SignatureError(f"{source}: {what} is missing")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise SignatureError(f"{source}: {what} is not valid base64") from e


def _int(value: object, what: str, source: str) -> int:
    # protobuf JSON encodes int64 as strings; cosign's legacy bundle uses numbers.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SignatureError(f"{source}: {what} is missing")
    try:
        return int(value)
    except ValueError as e:
        raise SignatureError(f"{source}: {what} is not an integer") from e


@dataclass(frozen=True, slots=True, kw_only=True)
class _LogEntry:
    body: bytes  # canonicalized entry body
    integrated_time: int
    log_index: int
    log_id: bytes
    set_signature: bytes


def _verify_set(entry: _LogEntry, trust: TrustMaterial, source: str) -> dt.datetime:
    """Rekor's signed entry timestamp over the RFC 8785 JSON of body, integratedTime, logID and
    logIndex, with the log key named by logID (research/signatures.md §2.5 step 1)."""
    import rfc8785

    tlog: LogKey | None = trust.tlog(entry.log_id)
    if tlog is None:
        raise SignatureError(
            f"{source}: transparency log {entry.log_id.hex()} is not in the trusted root"
        )
    payload = rfc8785.dumps(
        {
            "body": base64.b64encode(entry.body).decode("ascii"),
            "integratedTime": entry.integrated_time,
            "logID": entry.log_id.hex(),
            "logIndex": entry.log_index,
        }
    )
    try:
        tlog.verify(entry.set_signature, payload)
    except InvalidSignature as e:
        raise SignatureError(
            f"{source}: signed entry timestamp does not verify with {tlog.base_url}"
        ) from e
    when = dt.datetime.fromtimestamp(entry.integrated_time, tz=dt.UTC)
    if not tlog.validity.contains(when):
        raise SignatureError(
            f"{source}: integrated time {when:%Y-%m-%d %H:%M:%S} is outside the validity of "
            f"{tlog.base_url} ({tlog.validity.describe()})"
        )
    return when


def _check_hashedrekord(
    entry: _LogEntry,
    *,
    artifact: Artifact,
    signature: bytes,
    verifier_der: bytes,
    certificate: bool,
    source: str,
) -> None:
    """The logged body is a hashedrekord 0.0.1 for exactly this digest, signature and
    verifier (CVE-2022-36056 class; research/signatures.md §2.5 step 6)."""
    try:
        body = json.loads(entry.body)
        spec = body["spec"]
        kind = (body["kind"], body["apiVersion"])
        algorithm = spec["data"]["hash"]["algorithm"]
        digest = spec["data"]["hash"]["value"]
        logged_signature = spec["signature"]["content"]
        logged_verifier = spec["signature"]["publicKey"]["content"]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise SignatureError(f"{source}: malformed transparency log entry body") from e
    if kind != ("hashedrekord", "0.0.1"):
        raise UnsupportedError(f"{source}: log entry kind {kind[0]}/{kind[1]} is not supported")
    if algorithm not in ("sha256", "sha384", "sha512") or not isinstance(digest, str):
        raise SignatureError(f"{source}: log entry has unsupported hash {algorithm!r}")
    if digest.lower() != artifact.hexdigest(algorithm):
        raise SignatureError(
            f"{source}: log entry is for {algorithm} {digest}, artifact has "
            f"{artifact.hexdigest(algorithm)}"
        )
    if _b64(logged_signature, "log entry signature", source) != signature:
        raise SignatureError(f"{source}: log entry signature differs from the bundle's")
    logged = _b64(logged_verifier, "log entry public key", source)
    try:
        if certificate:
            actual = load_certificate(logged, source=source).public_bytes(
                serialization.Encoding.DER
            )
        else:
            actual = _load_public_key(logged, source=source).public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
    except InputError as e:
        raise SignatureError(f"{source}: log entry public key cannot be parsed") from e
    if actual != verifier_der:
        raise SignatureError(f"{source}: log entry names a different signing key/certificate")


# --------------------------------------------------------------------------- Fulcio chain


def _verify_chain(
    cert: x509.Certificate, trust: TrustMaterial, when: dt.datetime, source: str
) -> list[x509.Certificate]:
    """Path validation to a Fulcio root valid at ``when``; returns the chain above ``cert``.

    Uses cryptography's public verification API the way sigstore-python does (web PKI
    defaults with the EKU check relaxed, because Fulcio issues code-signing certificates).
    """
    from cryptography.x509.verification import (
        Criticality,
        ExtensionPolicy,
        PolicyBuilder,
        Store,
        VerificationError,
    )

    anchors: list[x509.Certificate] = []
    intermediates: list[x509.Certificate] = []
    for authority in trust.certificate_authorities:
        if authority.validity.contains(when):
            *middle, root = authority.certificates
            anchors.append(root)
            intermediates.extend(middle)
    if not anchors:
        raise SignatureError(f"{source}: no Fulcio CA of the trusted root was valid at {when}")
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    verifier = (
        PolicyBuilder()
        .store(Store(anchors))
        .time(when)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        return list(verifier.verify(cert, intermediates).chain[1:])
    except (VerificationError, x509.UnsupportedGeneralNameType) as e:
        raise SignatureError(
            f"{source}: signing certificate does not chain to a trusted Fulcio CA at "
            f"{when:%Y-%m-%d %H:%M:%S} ({e})"
        ) from e


def _verify_sct(
    cert: x509.Certificate, chain: Sequence[x509.Certificate], trust: TrustMaterial, source: str
) -> None:
    """An embedded SCT (RFC 6962 §3.2) signed by a CT log of the trusted root."""
    try:
        scts = cert.extensions.get_extension_for_class(
            x509.PrecertificateSignedCertificateTimestamps
        ).value
    except x509.ExtensionNotFound as e:
        raise SignatureError(f"{source}: signing certificate has no embedded SCT") from e
    issuer = chain[0] if chain else None
    if issuer is not None and len(chain) > 1:
        try:
            eku = issuer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            if _CT_PRECERT_SIGNING in eku:  # a precertificate-signing certificate
                issuer = chain[1]
        except x509.ExtensionNotFound:
            pass
    for sct in scts:
        ctlog = trust.ctlog(sct.log_id)
        if ctlog is None or not isinstance(sct.signature_hash_algorithm, hashes.SHA256):
            continue
        if sct.entry_type == LogEntryType.PRE_CERTIFICATE:
            if issuer is None:
                continue
            spki = issuer.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            tbs = cert.tbs_precertificate_bytes
            entry = hashes_sha256(spki) + len(tbs).to_bytes(3, "big") + tbs
        else:
            der = cert.public_bytes(serialization.Encoding.DER)
            entry = len(der).to_bytes(3, "big") + der
        timestamp = sct.timestamp.replace(tzinfo=dt.UTC)
        millis = (timestamp - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(
            milliseconds=1
        )
        signed = (
            struct.pack("!BBQH", sct.version.value, 0, millis, sct.entry_type.value)
            + entry
            + len(sct.extension_bytes).to_bytes(2, "big")
            + sct.extension_bytes
        )
        try:
            ctlog.verify(sct.signature, signed)
        except InvalidSignature:
            continue
        if ctlog.validity.contains(timestamp):
            return
    raise SignatureError(f"{source}: no embedded SCT verifies with a CT log of the trusted root")


def hashes_sha256(data: bytes) -> bytes:
    """SHA-256 of ``data`` (the SCT issuer key hash)."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize()


def _check_certificate_policy(
    cert: x509.Certificate, policy: CertificatePolicy, source: str
) -> None:
    """Fulcio profile (digitalSignature, code signing) and the caller's identity policy."""
    from sigstore.errors import VerificationError

    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound as e:
        raise SignatureError(f"{source}: signing certificate lacks key usage extensions") from e
    if not usage.digital_signature or ExtendedKeyUsageOID.CODE_SIGNING not in eku:
        raise SignatureError(f"{source}: signing certificate is not for code signing")
    try:
        policy.verify(cert)
    except (VerificationError, x509.ExtensionNotFound) as e:
        raise SignatureError(f"{source}: {e}") from e


# --------------------------------------------------------------------------- legacy bundle


def _parse_json(raw: bytes | Mapping[str, Any], source: str) -> Mapping[str, Any]:
    if not isinstance(raw, bytes | bytearray):
        return raw
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(source, f"not valid JSON ({e})") from e
    if not isinstance(doc, dict):
        raise InputError(source, "not a JSON object")
    return doc


def _legacy_entry(doc: Mapping[str, Any], source: str) -> _LogEntry | None:
    rekor = doc.get("rekorBundle")
    if rekor is None:
        return None
    if not isinstance(rekor, dict) or not isinstance(rekor.get("Payload"), dict):
        raise SignatureError(f"{source}: malformed rekorBundle")
    payload = rekor["Payload"]
    log_id = payload.get("logID")
    try:
        log_id_bytes = bytes.fromhex(log_id) if isinstance(log_id, str) else None
    except ValueError:
        log_id_bytes = None
    if not log_id_bytes:
        raise SignatureError(f"{source}: rekorBundle logID is not hex")
    return _LogEntry(
        body=_b64(payload.get("body"), "rekorBundle body", source),
        integrated_time=_int(payload.get("integratedTime"), "integratedTime", source),
        log_index=_int(payload.get("logIndex"), "logIndex", source),
        log_id=log_id_bytes,
        set_signature=_b64(rekor.get("SignedEntryTimestamp"), "SignedEntryTimestamp", source),
    )


def _check_artifact_signature(
    cert: x509.Certificate, signature: bytes, artifact: Artifact, source: str
) -> None:
    """cosign signs the blob with the certificate key: ECDSA or RSA over SHA-256."""
    key = cert.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, artifact.digest("sha256"), ec.ECDSA(Prehashed(hashes.SHA256())))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(
                signature, artifact.digest("sha256"), padding.PKCS1v15(), Prehashed(hashes.SHA256())
            )
        else:
            raise UnsupportedError(
                f"{source}: certificate key type {type(key).__name__} is not supported"
            )
    except InvalidSignature as e:
        raise SignatureError(f"{source}: signature over the artifact does not verify") from e


def verify_legacy_bundle(
    data: bytes | Path | Artifact,
    bundle: bytes | Mapping[str, Any],
    policy: CertificatePolicy,
    *,
    trusted_root: TrustMaterial | Path | None = None,
    source: str,
) -> BundleResult:
    """Verify a cosign legacy bundle (``sign-blob --bundle``) offline, SET-based.

    ``trusted_root`` defaults to the pinned production root.

    Returns:
        The verified identity, issuer, log index and integrated time.

    Raises:
        InputError: the bundle is not JSON, or the artifact cannot be read.
        SignatureError: any check fails (message says which).
        UnsupportedError: no ``rekorBundle`` (needs an online Rekor lookup), or a log entry
            kind other than hashedrekord 0.0.1.
    """
    artifact = data if isinstance(data, Artifact) else Artifact(data)
    trust = resolve_trust_material(trusted_root)
    doc = _parse_json(bundle, source)
    # 0. Shape: base64Signature, cert (base64 of PEM), rekorBundle{SignedEntryTimestamp,
    #    Payload{body, integratedTime, logIndex, logID}}.
    signature = _b64(doc.get("base64Signature"), "base64Signature", source)
    cert_field = doc.get("cert")
    if not isinstance(cert_field, str):
        raise UnsupportedError(
            f"{source}: cosign bundle has no certificate (keyed signature: give the key)"
        )
    cert = load_certificate(cert_field.encode("ascii", "replace"), source=source)
    entry = _legacy_entry(doc, source)
    if entry is None:
        raise UnsupportedError(
            f"{source}: cosign bundle has no rekorBundle: needs an online Rekor lookup"
        )
    # 1. SET with the log key matched by logID; gives the trusted time.
    when = _verify_set(entry, trust, source)
    # 2. Certificate chain to a Fulcio CA at the integrated time.
    chain = _verify_chain(cert, trust, when, source)
    # 3. Embedded SCT.
    _verify_sct(cert, chain, trust, source)
    # 4. Fulcio profile and the identity policy.
    _check_certificate_policy(cert, policy, source)
    # 5. Signature over the artifact.
    _check_artifact_signature(cert, signature, artifact, source)
    # 6. Log entry body is consistent with digest, signature and certificate.
    _check_hashedrekord(
        entry,
        artifact=artifact,
        signature=signature,
        verifier_der=cert.public_bytes(serialization.Encoding.DER),
        certificate=True,
        source=source,
    )
    # 7. Integrated time within the certificate's validity (10 minutes for Fulcio).
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        raise SignatureError(
            f"{source}: integrated time {when:%Y-%m-%d %H:%M:%S} is outside the certificate's "
            f"validity ({cert.not_valid_before_utc:%Y-%m-%d %H:%M:%S} – "
            f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S})"
        )
    identity = CertIdentity.from_certificate(cert)
    return BundleResult(
        format="cosign-legacy-bundle",
        content="message-signature",
        identities=identity.sans,
        issuer=identity.issuer,
        log_index=entry.log_index,
        integrated_time=when,
        notes=("signed entry timestamp (no inclusion proof)",),
    )


# --------------------------------------------------------------------------- keyed + bundle


def _sigstore_bundle_entry(
    doc: Mapping[str, Any], source: str
) -> tuple[bytes | None, _LogEntry | None, str | None]:
    """(message signature, log entry with SET or None, note) of a Sigstore bundle."""
    if "dsseEnvelope" in doc:
        raise UnsupportedError(f"{source}: keyed DSSE bundles are not supported")
    message = doc.get("messageSignature")
    signature = (
        _b64(message.get("signature"), "messageSignature.signature", source)
        if isinstance(message, dict)
        else None
    )
    material = doc.get("verificationMaterial")
    entries = material.get("tlogEntries") if isinstance(material, dict) else None
    if not isinstance(entries, list) or not entries:
        return signature, None, "no transparency log entry in the bundle"
    item = entries[0]
    if not isinstance(item, dict):
        raise SignatureError(f"{source}: malformed tlog entry")
    promise = item.get("inclusionPromise")
    if not isinstance(promise, dict):
        return signature, None, "log entry has no signed entry timestamp; not checked"
    log_id = item.get("logId")
    entry = _LogEntry(
        body=_b64(item.get("canonicalizedBody"), "canonicalizedBody", source),
        integrated_time=_int(item.get("integratedTime"), "integratedTime", source),
        log_index=_int(item.get("logIndex"), "logIndex", source),
        log_id=_b64(log_id.get("keyId") if isinstance(log_id, dict) else None, "logId", source),
        set_signature=_b64(promise.get("signedEntryTimestamp"), "signedEntryTimestamp", source),
    )
    return signature, entry, None


def verify_keyed(
    data: bytes | Path | Artifact,
    key_pem: bytes,
    *,
    signature: bytes | None = None,
    bundle: bytes | Mapping[str, Any] | None = None,
    ignore_tlog: bool = False,
    trusted_root: TrustMaterial | Path | None = None,
    source: str,
) -> BundleResult:
    """``cosign verify-blob --key``: the signature (detached, or from a Sigstore or legacy
    bundle) must verify with ``key_pem``.

    When the bundle carries a Rekor entry with a signed entry timestamp, that entry is
    verified too (SET with the trusted root's log key, hashedrekord body naming this key,
    digest and signature) unless ``ignore_tlog`` (``--insecure-ignore-tlog``). Without a
    bundle entry the log is not consulted (offline); the result's notes say so.

    Raises:
        InputError: bad JSON, unparsable key, or no signature at all.
        SignatureError: the signature or the log entry does not verify.
        UnsupportedError: a keyed DSSE bundle or an unsupported key/entry type.
    """
    artifact = data if isinstance(data, Artifact) else Artifact(data)
    key = _load_public_key(key_pem, source=source)
    entry: _LogEntry | None = None
    notes: list[str] = []
    if bundle is not None:
        doc = _parse_json(bundle, source)
        if "base64Signature" in doc:
            bundle_signature: bytes | None = _b64(doc["base64Signature"], "base64Signature", source)
            entry = _legacy_entry(doc, source)
            if entry is None:
                notes.append("no transparency log entry in the bundle")
        else:
            bundle_signature, entry, note = _sigstore_bundle_entry(doc, source)
            if note:
                notes.append(note)
        if signature is None:
            signature = bundle_signature
    if signature is None:
        raise InputError(source, "keyed cosign verification needs a signature or a bundle")
    used = _verify_with_key(key, signature, artifact, source)
    when: dt.datetime | None = None
    if entry is not None and not ignore_tlog:
        trust = resolve_trust_material(trusted_root)
        when = _verify_set(entry, trust, source)
        spki = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _check_hashedrekord(
            entry,
            artifact=artifact,
            signature=used,
            verifier_der=spki,
            certificate=False,
            source=source,
        )
    elif ignore_tlog:
        notes = ["transparency log ignored (--insecure-ignore-tlog)"]
    elif bundle is None:
        notes.append("transparency log not consulted (offline)")
    return BundleResult(
        format="keyed",
        content="message-signature",
        log_index=entry.log_index if entry is not None and when is not None else None,
        integrated_time=when,
        notes=tuple(notes),
    )
