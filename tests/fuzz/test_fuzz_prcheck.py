"""``check-pr``'s readers: the ``git diff-tree -z`` record parser, ``file_changes`` for every
file kind, and ``SHA256SUMS`` (``parse_shasums``).

Contracts:

* ``gitrepo._parse_raw_diff`` reads output git produced, not user input: well-formed records
  (any path bytes but NUL) round-trip exactly; malformed output raises ``RuntimeError`` (or
  ``ValueError`` from ``ChangedPath``'s validation) — programming-level errors, never an
  ``IndexError`` or ``UnicodeError``;
* ``file_changes`` returns changes sorted by ``DependencyChange.sort_key`` or raises
  ``InputError`` naming the file (both sides, invalid UTF-8 included);
* ``parse_shasums`` raises only ``IntegrityError`` naming the URL; what it returns is what
  was written; ``check_archive`` raises ``IntegrityError`` (``ValueError`` only for a
  malformed ``zip_sha256`` argument).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depguard.errors import InputError, IntegrityError
from depguard.prcheck.changes import DependencyChange, classify, file_changes
from depguard.prcheck.gitrepo import ChangedPath, _encode_path, _parse_raw_diff
from depguard.verify.provider_auth import check_archive, parse_shasums, zh_hashes
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import (
    EXAMPLE,
    HEX40,
    HEX64,
    example_seeds,
    mutated,
    mutated_bytes,
    noise,
    provider_locks,
    read_seeds,
    tf_documents,
    tf_json_documents,
)

pytestmark = pytest.mark.fuzz

# --- git diff-tree -z ------------------------------------------------------------------------

MODES = st.sampled_from(("100644", "100755", "120000", "160000", "040000"))
PATH_BYTES = st.binary(min_size=1, max_size=20).filter(lambda b: b"\0" not in b) | st.sampled_from(
    (b"a.tf", b"dir with space/\xe9t\xe9.yaml", b"new\nline", b"-x", b":(glob)*", b"caf\xc3\xa9")
)


@st.composite
def changed_paths(draw: st.DrawFn) -> ChangedPath:
    status = draw(st.sampled_from("AMDRCT"))
    oid = HEX64 if draw(st.booleans()) else HEX40
    zero = "0" * len(draw(oid))
    path = draw(PATH_BYTES).decode("utf-8", "surrogateescape")
    source = draw(PATH_BYTES).decode("utf-8", "surrogateescape") if status in "RC" else path
    old = None if status == "A" else source  # one path, except for renames and copies
    new = None if status == "D" else path
    return ChangedPath(
        status=status,
        old_path=old,
        new_path=new,
        old_mode="000000" if status == "A" else draw(MODES),
        new_mode="000000" if status == "D" else draw(MODES),
        old_oid=zero if status == "A" else draw(oid.filter(lambda o: len(o) == len(zero))),
        new_oid=zero if status == "D" else draw(oid.filter(lambda o: len(o) == len(zero))),
        score=draw(st.integers(0, 100)) if status in "RC" else None,
    )


def _record(c: ChangedPath) -> bytes:
    score = "" if c.score is None else f"{c.score:03d}"
    meta = f":{c.old_mode} {c.new_mode} {c.old_oid} {c.new_oid} {c.status}{score}"
    paths = [p for p in (c.old_path, c.new_path) if p is not None]
    if c.status not in "RC":
        paths = paths[-1:] if c.status != "D" else paths[:1]
    return meta.encode() + b"\0" + b"".join(_encode_path(p) + b"\0" for p in paths)


@given(changes=st.lists(changed_paths(), max_size=6))
def test_diff_tree_records_round_trip(changes: list[ChangedPath]) -> None:
    out = b"".join(_record(c) for c in changes)
    assert _parse_raw_diff(out) == changes


@given(
    out=mutated_bytes(
        st.lists(changed_paths(), max_size=4).map(lambda cs: b"".join(map(_record, cs)))
    )
)
def test_malformed_diff_tree_output(out: bytes) -> None:
    outcome(_parse_raw_diff, out, raises=(RuntimeError, ValueError))


@given(
    out=st.binary(max_size=200)
    | noise(":0123456789abcdef AMDRCTUX\0/", max_size=200).map(
        lambda t: t.encode("utf-8", "surrogatepass")
    )
)
def test_random_diff_tree_output(out: bytes) -> None:
    outcome(_parse_raw_diff, out, raises=(RuntimeError, ValueError))


# --- SHA256SUMS ------------------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z0-9._+-]{1,30}", fullmatch=True) | st.sampled_from(
    ("terraform-provider-x_1.0.0_linux_amd64.zip", "é.zip", "a\\b")
)


@given(lines=st.lists(st.tuples(HEX64, NAMES), min_size=1, max_size=6, unique_by=lambda t: t[1]))
def test_shasums_round_trip(lines: list[tuple[str, str]]) -> None:
    document = "".join(f"{h.upper() if i % 2 else h}  {n}\n" for i, (h, n) in enumerate(lines))
    sums = parse_shasums(document.encode(), "https://x/SHA256SUMS")
    assert list(sums.entries) == [(n, h) for h, n in lines]
    assert zh_hashes(sums) == tuple(dict.fromkeys(f"zh:{h}" for h, _ in lines))
    for h, n in lines:
        assert sums.sha256_for(n) == h
        assert outcome(check_archive, n, h, sums, registry_shasum=h, raises=()).ok


def _shasums(document: bytes) -> None:
    url = "https://example.com/SHA256SUMS"
    result = outcome(parse_shasums, document, url, raises=(IntegrityError,), err_path=url)
    if result.value is None:
        return
    for name, digest in result.value.entries[:3]:
        outcome(check_archive, name, digest, result.value, raises=(IntegrityError,))
        outcome(check_archive, name + "x", "0" * 64, result.value, raises=(IntegrityError,))
        outcome(check_archive, name, "nothex", result.value, raises=(ValueError,))


@given(
    document=mutated_bytes(
        st.lists(st.tuples(HEX64, NAMES), max_size=4).map(
            lambda ls: "".join(f"{h}  {n}\n" for h, n in ls).encode()
        )
    )
    | st.binary(max_size=300)
)
def test_mutated_shasums(document: bytes) -> None:
    _shasums(document)


@given(data=st.data())
def test_mutated_example_shasums(data: st.DataObject) -> None:
    seeds = sorted((EXAMPLE / "upstream").rglob("*SHA256SUMS"))
    assert seeds
    _shasums(data.draw(mutated_bytes(st.sampled_from([p.read_bytes() for p in seeds]))))


# --- file_changes ------------------------------------------------------------------------------

# One path per extractor kind (classify picks the extractor from the path).
PATHS = {
    "terraform-lock": "envs/dev/.terraform.lock.hcl",
    "terraform": "envs/dev/main.tf",
    "terraform-json": "envs/dev/main.tf.json",
    "terraform-version": "envs/dev/.terraform-version",
    "aqua-config": "aqua/aqua.yaml",
    "aqua-import": "aqua/imports/tools.yaml",
    "aqua-checksums": "aqua/aqua-checksums.json",
    "workflow": ".github/workflows/ci.yaml",
    "action": "actions/setup/action.yml",
    "none": "README.md",
}


def _lock_texts() -> st.SearchStrategy[str]:
    from depguard.formats.tf_lock import render_lock

    return provider_locks().map(render_lock)


SEEDS: dict[str, st.SearchStrategy[str]] = {
    "terraform-lock": _lock_texts() | st.sampled_from(example_seeds("envs/**/.terraform.lock.hcl")),
    "terraform": tf_documents() | st.sampled_from(example_seeds("**/*.tf")),
    "terraform-json": tf_json_documents(),
    "terraform-version": st.sampled_from(("1.9.0\n", "# c\n  1.10.5 x\n", "latest:^1.9", "", "v1")),
    "aqua-config": st.sampled_from(example_seeds("aqua/aqua.yaml")),
    "aqua-import": st.sampled_from(
        [*example_seeds("aqua/imports/*.yaml"), "packages:\n- name: a/b@v1\n", "x: 1\n"]
    ),
    "aqua-checksums": st.sampled_from(example_seeds("**/aqua-checksums.json")),
    "workflow": st.sampled_from(read_seeds(EXAMPLE.parents[2] / ".github", ["workflows/*.yaml"])),
    "action": st.just(
        "runs:\n  using: composite\n  steps:\n    - uses: actions/checkout@v4 # v4\n"
    ),
    "none": st.text(max_size=20),
}


def _side(data: st.DataObject, kind: str) -> bytes | None:
    choice = data.draw(st.sampled_from(("absent", "seed", "mutated", "mutated", "bytes")))
    if choice == "absent":
        return None
    if choice == "bytes":
        seed = data.draw(SEEDS[kind]).encode()
        return data.draw(mutated_bytes(st.just(seed)))
    text = data.draw(SEEDS[kind] if choice == "seed" else mutated(SEEDS[kind], max_steps=2))
    return text.encode("utf-8", "surrogatepass")


def _check_changes(
    path: str, old: bytes | None, new: bytes | None, kind: str | None = None
) -> list[Any]:
    result = outcome(file_changes, path, old, new, kind=kind, raises=(InputError,), err_path=path)
    changes: list[DependencyChange] = result.value or []
    assert changes == sorted(changes, key=DependencyChange.sort_key)
    for change in changes:
        assert change.file == path
        assert change.line is None or change.line >= 1
        if old is None:
            assert change.action == "added"
        if new is None:
            assert change.action == "removed"
    if old == new:
        assert changes == []
    return changes


@given(kind=st.sampled_from(sorted(PATHS)), data=st.data())
def test_file_changes(kind: str, data: st.DataObject) -> None:
    path = PATHS[kind]
    if kind != "none":
        assert classify(path) is not None
    _check_changes(path, _side(data, kind), _side(data, kind))


@given(kind=st.sampled_from(sorted(PATHS)), data=st.data())
def test_file_changes_against_itself_reversed(kind: str, data: st.DataObject) -> None:
    """Swapping the sides swaps every old_*/new_* field (added/removed included). The name
    is not compared: a source change is named after the new side's source."""
    path = PATHS[kind]
    old, new = _side(data, kind), _side(data, kind)
    forward = outcome(file_changes, path, old, new, raises=(InputError,))
    backward = outcome(file_changes, path, new, old, raises=(InputError,))
    if forward.value is not None and backward.value is not None:

        def sides(c: DependencyChange, swap: bool) -> tuple[Any, ...]:
            a = (c.old_version, c.old_source, c.removed, c.old_comment)
            b = (c.new_version, c.new_source, c.added, c.new_comment)
            return (c.kind, *(b + a if swap else a + b))

        assert sorted(map(repr, (sides(c, True) for c in forward.value))) == sorted(
            map(repr, (sides(c, False) for c in backward.value))
        )


@given(path=noise("aqua/.github/workflows/.terraform.lock.hcl-version.tf.json.yaml", max_size=50))
def test_classify_never_raises(path: str) -> None:
    assert outcome(classify, path, raises=()).ok


@pytest.fixture(scope="module")
def corpus_pairs(corpus: Path) -> list[tuple[str, bytes | None, bytes | None]]:
    """(path, base, head) of every file a corpus PR touches (base/ and head/ trees)."""
    pairs = []
    for head_root in sorted(corpus.glob("renovate/commits/*/head")):
        base_root = head_root.parent / "base"
        for head in sorted(p for p in head_root.rglob("*") if p.is_file()):
            rel = head.relative_to(head_root)
            base = base_root / rel
            pairs.append(
                (rel.as_posix(), base.read_bytes() if base.is_file() else None, head.read_bytes())
            )
    if not pairs:
        pytest.skip("the corpus has no PR trees")
    return pairs


@given(data=st.data())
def test_mutated_corpus_pull_requests(corpus_pairs: list[Any], data: st.DataObject) -> None:
    path, base, head = data.draw(st.sampled_from(corpus_pairs))
    if data.draw(st.booleans()):
        head = data.draw(mutated_bytes(st.just(head or b"")))
    _check_changes(path, base, head)
