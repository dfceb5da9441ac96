"""In-toto statements inside verified DSSE envelopes, and slsa-verifier's provenance rules.

sigstore-python's ``Verifier.verify_dsse`` authenticates the envelope and returns
``(payload_type, payload)`` but checks nothing about the statement (research/signatures.md
§2.1). This module does the rest, on already-authenticated bytes, without I/O other than
reading the artifact being checked:

* :func:`parse_statement` — payload type ``application/vnd.in-toto+json``, ``_type``
  ``https://in-toto.io/Statement/v1`` or ``…/v0.1``, a non-empty ``subject`` list with digest
  sets, a ``predicateType`` (in-toto attestation framework, Statement layer).
* :func:`check_subject` — some subject's ``sha256`` (or ``sha512``, as npm uses) equals the
  artifact's digest.
* :func:`check_predicate_type`.
* :func:`check_slsa_provenance` — slsa-verifier's provenance checks for slsa-github-generator
  output (``verifiers/internal/gha/provenance.go`` ``VerifyProvenance`` /
  ``VerifyProvenanceCommonOptions`` and ``slsaprovenance/v0.2``, ``v1.0``): the provenance
  builder ID equals the certificate's builder (SAN), the trigger and source URIs name the
  expected ``git+https://github.com/OWNER/REPO`` with a ref, and the tag matches.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from depguard.errors import InputError, IntegrityError, SignatureError

__all__ = [
    "IN_TOTO_PAYLOAD_TYPE",
    "SLSA_PROVENANCE_V02",
    "SLSA_PROVENANCE_V1",
    "STATEMENT_TYPES",
    "Artifact",
    "Statement",
    "Subject",
    "check_predicate_type",
    "check_slsa_provenance",
    "check_subject",
    "parse_statement",
]

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
STATEMENT_V01 = "https://in-toto.io/Statement/v0.1"
STATEMENT_TYPES = frozenset({STATEMENT_V1, STATEMENT_V01})
SLSA_PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
# Subject digest algorithms depguard can compare, strongest last (both are accepted).
SUBJECT_ALGORITHMS = ("sha256", "sha512")
_CHUNK = 1024 * 1024


class Artifact:
    """The bytes being verified (in memory or a file), with lazily computed digests.

    Files are hashed in streaming fashion, once per algorithm.
    """

    __slots__ = ("_data", "_digests")

    def __init__(self, data: bytes | Path) -> None:
        self._data = data
        self._digests: dict[str, bytes] = {}

    @property
    def name(self) -> str:
        """The file path, or ``"<bytes>"``."""
        return str(self._data) if isinstance(self._data, Path) else "<bytes>"

    @property
    def path(self) -> Path | None:
        """The file, when the artifact is one."""
        return self._data if isinstance(self._data, Path) else None

    def digest(self, algorithm: str) -> bytes:
        """Raw digest of the artifact (``sha256``, ``sha384`` or ``sha512``).

        Raises:
            InputError: the file cannot be read.
        """
        cached = self._digests.get(algorithm)
        if cached is not None:
            return cached
        hasher = hashlib.new(algorithm)
        if isinstance(self._data, Path):
            try:
                with self._data.open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        hasher.update(chunk)
            except OSError as e:
                raise InputError(str(self._data), f"cannot read: {e.strerror or e}") from e
        else:
            hasher.update(self._data)
        self._digests[algorithm] = value = hasher.digest()
        return value

    def precompute(self, *algorithms: str) -> None:
        """Hash the artifact for several algorithms in one read (later calls are free).

        Raises:
            InputError: the file cannot be read.
        """
        todo = [a for a in dict.fromkeys(algorithms) if a not in self._digests]
        if not todo:
            return
        hashers = [hashlib.new(a) for a in todo]
        if isinstance(self._data, Path):
            try:
                with self._data.open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        for h in hashers:
                            h.update(chunk)
            except OSError as e:
                raise InputError(str(self._data), f"cannot read: {e.strerror or e}") from e
        else:
            for h in hashers:
                h.update(self._data)
        for a, h in zip(todo, hashers, strict=True):
            self._digests[a] = h.digest()

    def hexdigest(self, algorithm: str) -> str:
        """Lower-case hex digest (see :meth:`digest`)."""
        return self.digest(algorithm).hex()

    def read(self) -> bytes:
        """All bytes (for signature schemes that cannot be prehashed, e.g. Ed25519).

        Raises:
            InputError: the file cannot be read.
        """
        if isinstance(self._data, Path):
            try:
                return self._data.read_bytes()
            except OSError as e:
                raise InputError(str(self._data), f"cannot read: {e.strerror or e}") from e
        return self._data


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """One ``subject`` entry: a name and its digest set (algorithm → lower-case hex)."""

    name: str
    digest: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """An in-toto Statement (v1 or v0.1)."""

    type: str
    predicate_type: str
    subjects: tuple[Subject, ...]
    predicate: Mapping[str, Any] = field(default_factory=dict)


def parse_statement(payload_type: str, payload: bytes, *, source: str) -> Statement:
    """Parse the payload of a verified DSSE envelope as an in-toto Statement.

    Raises:
        SignatureError: wrong payload type, not JSON, unknown ``_type``, or a malformed
            ``subject``/``predicateType``/``predicate``.
    """
    # 1. DSSE payloadType must announce in-toto (in-toto attestation framework, Envelope layer).
    if payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise SignatureError(
            f"{source}: DSSE payload type is {payload_type!r}, not {IN_TOTO_PAYLOAD_TYPE!r}"
        )
    try:
        doc = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as e:
        raise SignatureError(f"{source}: in-toto statement is not valid JSON ({e})") from e
    if not isinstance(doc, dict):
        raise SignatureError(f"{source}: in-toto statement is not a JSON object")
    # 2. Statement layer: _type, subject, predicateType, predicate.
    statement_type = doc.get("_type")
    if statement_type not in STATEMENT_TYPES:
        raise SignatureError(f"{source}: unknown in-toto statement type {statement_type!r}")
    predicate_type = doc.get("predicateType")
    if not isinstance(predicate_type, str) or not predicate_type:
        raise SignatureError(f"{source}: in-toto statement has no predicateType")
    raw_subjects = doc.get("subject")
    if not isinstance(raw_subjects, list) or not raw_subjects:
        raise SignatureError(f"{source}: in-toto statement has no subject")
    subjects = []
    for item in raw_subjects:
        digest = item.get("digest") if isinstance(item, dict) else None
        if not isinstance(digest, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in digest.items()
        ):
            raise SignatureError(f"{source}: in-toto subject without a digest set")
        name = item.get("name", "")
        subjects.append(
            Subject(
                name=name if isinstance(name, str) else "",
                digest={k.lower(): v.lower() for k, v in digest.items()},
            )
        )
    predicate = doc.get("predicate", {})
    if not isinstance(predicate, dict):
        raise SignatureError(f"{source}: in-toto predicate is not a JSON object")
    return Statement(
        type=statement_type,
        predicate_type=predicate_type,
        subjects=tuple(subjects),
        predicate=predicate,
    )


def check_subject(statement: Statement, artifact: Artifact, *, source: str) -> str:
    """Check that some subject's digest equals the artifact's.

    Only ``sha256`` and ``sha512`` are compared; other algorithms in a digest set are
    ignored (in-toto: a verifier uses the algorithms it trusts).

    Returns:
        The matching digest as ``"<algorithm>:<hex>"``.

    Raises:
        IntegrityError: no subject matches (the message names the artifact's sha256).
    """
    for algorithm in SUBJECT_ALGORITHMS:
        if not any(algorithm in s.digest for s in statement.subjects):
            continue
        actual = artifact.hexdigest(algorithm)
        for subject in statement.subjects:
            expected = subject.digest.get(algorithm)
            if expected is not None and hmac.compare_digest(expected, actual):
                return f"{algorithm}:{actual}"
    names = ", ".join(sorted({s.name for s in statement.subjects if s.name})) or "no names"
    raise IntegrityError(
        f"{source}: artifact sha256 {artifact.hexdigest('sha256')} is not a subject of the "
        f"attestation ({len(statement.subjects)} subject(s): {names})"
    )


def check_predicate_type(statement: Statement, expected: str, *, source: str) -> None:
    """Check the statement's ``predicateType``.

    Raises:
        SignatureError: it differs from ``expected``.
    """
    if statement.predicate_type != expected:
        raise SignatureError(
            f"{source}: predicate type is {statement.predicate_type!r}, expected {expected!r}"
        )


# --------------------------------------------------------------------------- SLSA provenance


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _split_git_uri(uri: str, what: str, source: str) -> tuple[str, str]:
    """``git+https://github.com/o/r@refs/tags/v1`` → (``git+https://github.com/o/r``, ref)
    (slsa-verifier ``utils.ParseGitURIAndRef``: the ref is required)."""
    if not uri.startswith("git+https://"):
        raise SignatureError(f"{source}: provenance {what} {uri!r} is not a git+https URI")
    base, at, ref = uri.partition("@")
    if not at or not ref:
        raise SignatureError(f"{source}: provenance {what} {uri!r} has no ref")
    return base, ref


def _provenance_facts(statement: Statement, source: str) -> tuple[str, str, str, str | None]:
    """Return (builder ID, trigger URI, source URI, tag ref or None) of a provenance."""
    predicate = statement.predicate
    if statement.predicate_type == SLSA_PROVENANCE_V02:
        # slsaprovenance/v0.2/base.go: BuilderID, TriggerURI (configSource), SourceURI
        # (materials[0]); GetTag reads github_ref when github_ref_type is "tag".
        builder = _get(predicate, "builder", "id")
        trigger = _get(predicate, "invocation", "configSource", "uri")
        materials = predicate.get("materials")
        material = materials[0] if isinstance(materials, list) and materials else None
        source_uri = _get(material, "uri")
        env = _get(predicate, "invocation", "environment")
        ref_type = _get(env, "github_ref_type")
        ref = _get(env, "github_ref")
        tag_ref = ref if isinstance(ref, str) and ref_type in ("tag", None) else None
    elif statement.predicate_type == SLSA_PROVENANCE_V1:
        # SLSA v1 GitHub workflow build type: externalParameters.workflow.{repository,ref}
        # (github-actions-buildtypes/workflow/v1); the source is resolvedDependencies[0].
        builder = _get(predicate, "runDetails", "builder", "id")
        workflow = _get(predicate, "buildDefinition", "externalParameters", "workflow")
        repository, ref = _get(workflow, "repository"), _get(workflow, "ref")
        trigger = (
            f"git+{repository}@{ref}"
            if isinstance(repository, str) and isinstance(ref, str) and repository and ref
            else None
        )
        deps = _get(predicate, "buildDefinition", "resolvedDependencies")
        source_uri = _get(deps[0], "uri") if isinstance(deps, list) and deps else trigger
        tag_ref = ref if isinstance(ref, str) else None
    else:
        raise SignatureError(
            f"{source}: predicate type {statement.predicate_type!r} is not SLSA provenance"
        )
    for value, what in ((builder, "builder ID"), (trigger, "trigger URI"), (source_uri, "source")):
        if not isinstance(value, str) or not value:
            raise SignatureError(f"{source}: provenance has no {what}")
    return builder, trigger, source_uri, tag_ref


def check_slsa_provenance(
    statement: Statement,
    *,
    builder_id: str,
    source_repository: str,
    source_tag: str | None,
    source: str,
) -> None:
    """Apply slsa-verifier's provenance checks (generic/Go generators, v0.2 and v1).

    ``builder_id`` is the verified certificate SAN (``https://github.com/…yml@refs/tags/vX.Y.Z``);
    ``source_repository`` is ``github.com/OWNER/REPO``; ``source_tag`` the expected tag
    (``None`` skips the tag check, like aqua's ``source_tag: "-"``).

    Raises:
        SignatureError: any claim differs from what is expected.
    """
    builder, trigger, source_uri, tag_ref = _provenance_facts(statement, source)
    # 1. The provenance builder must be the workflow the certificate was issued to
    #    (verifyBuilderIDExactMatch against the certificate's builder ID).
    if builder != builder_id:
        raise SignatureError(
            f"{source}: provenance builder {builder!r} is not the signing workflow {builder_id!r}"
        )
    # 2. Trigger and source name the expected repository, each with a ref, and agree
    #    (verifySourceURI).
    expected = f"git+https://{source_repository}"
    trigger_repo, _ = _split_git_uri(trigger, "trigger", source)
    source_repo, _ = _split_git_uri(source_uri, "source", source)
    for got, what in ((trigger_repo, "trigger"), (source_repo, "source")):
        if got != expected:
            raise SignatureError(
                f"{source}: provenance {what} repository is {got!r}, expected {expected!r}"
            )
    if trigger != source_uri:
        raise SignatureError(
            f"{source}: provenance source and trigger differ: {source_uri!r} != {trigger!r}"
        )
    # 3. --source-tag: the build ran for refs/tags/<tag> (VerifyTag), and the trigger/source
    #    ref is that tag too.
    if source_tag is not None:
        want = f"refs/tags/{source_tag}"
        _, trigger_ref = _split_git_uri(trigger, "trigger", source)
        if tag_ref != want or trigger_ref != want:
            built = tag_ref if tag_ref != want else trigger_ref
            raise SignatureError(
                f"{source}: provenance was built from {built!r}, expected {want!r}"
            )
