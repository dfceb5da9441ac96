"""``--shard I/N`` and ``depguard merge``: every state directory in exactly one shard, stably,
and the merged shards say what the unsharded run says."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from depguard.engine.shard import Shard, parse_shard
from depguard.errors import ConfigError
from tests.support.cli import CliResult, run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "examples" / "acme-infra"
N = 3


@pytest.fixture
def example(tmp_path: Path) -> Iterator[Path]:
    repo = tmp_path / "acme-infra"
    shutil.copytree(EXAMPLE, repo)
    (repo / ".git").mkdir()  # the repository root (display paths are relative to it)
    old = os.environ.get("DEPGUARD_NOW")
    os.environ["DEPGUARD_NOW"] = "2026-12-01T00:00:00Z"
    yield repo
    if old is None:
        del os.environ["DEPGUARD_NOW"]
    else:
        os.environ["DEPGUARD_NOW"] = old


def _json(result: CliResult) -> dict[str, object]:
    assert "Traceback" not in result.err, result.err
    doc = result.json()
    assert isinstance(doc, dict)
    return doc


def _shards(tmp_path: Path, *args: str) -> list[Path]:
    out = []
    for i in range(1, N + 1):
        result = run_cli("--offline", "--format", "json", *args, "--shard", f"{i}/{N}")
        assert result.code in (0, 1, 3), result.err
        path = tmp_path / f"shard-{i}.json"
        path.write_text(result.out)
        out.append(path)
    return out


def test_parse_and_assignment() -> None:
    assert parse_shard("2/4") == Shard(2, 4)
    for bad in ("0/3", "4/3", "x", "1/0", "1/300", "1-2"):
        with pytest.raises(ConfigError):
            parse_shard(bad)
    keys = [f"envs/team{i}/svc-{i:04d}" for i in range(400)]
    owners = [[s for s in range(1, 5) if Shard(s, 4).owns(k)] for k in keys]
    assert all(len(o) == 1 for o in owners)  # each directory in exactly one shard
    sizes = [sum(1 for o in owners if o == [s]) for s in range(1, 5)]
    assert min(sizes) > 60  # spread evenly enough
    assert all(Shard(1, 1).owns(k) for k in keys)
    # stable: a directory's shard depends on its path only
    assert [Shard(2, 4).owns(k) for k in keys] == [Shard(2, 4).owns(k) for k in keys]


def test_verify_shards_merge_to_the_whole_run(example: Path, tmp_path: Path) -> None:
    whole = _json(run_cli("--offline", "--format", "json", "verify", str(example)))
    parts = _shards(tmp_path, "verify", str(example))
    checked = [{(c["path"], c["subject"]) for c in json.loads(p.read_text())["checked"]}
               for p in parts]  # fmt: skip
    assert sum(len(c) for c in checked) == len(set().union(*checked))  # disjoint
    merged = run_cli("--offline", "--format", "json", "merge", *map(str, parts))
    assert merged.code == 0, merged.err
    doc = _json(merged)
    assert doc["checked"] == whole["checked"] and doc["findings"] == whole["findings"]
    assert doc["summary"] == whole["summary"]
    # any format, from the same inputs
    text = run_cli("--offline", "merge", *map(str, parts))
    assert text.out.rstrip().endswith("16 checked, 0 findings, 0 skipped")


def test_a_finding_in_one_shard_fails_the_merged_run(example: Path, tmp_path: Path) -> None:
    lock = example / "envs" / "prod" / "dns" / ".terraform.lock.hcl"
    text = lock.read_text()
    start = text.index('"zh:') + 4
    lock.write_text(text[:start] + "0" * 64 + text[start + 64 :])
    parts = _shards(tmp_path, "verify", str(example))
    merged = run_cli("--offline", "--format", "json", "merge", *map(str, parts))
    assert merged.code == 1
    assert {f["rule"] for f in _json(merged)["findings"]} == {"lock-hash-mismatch"}


def test_lock_check_and_checksums_update_shard(example: Path, tmp_path: Path) -> None:
    provider = ("--provider", "tf.acme.example/platform/inventory")
    whole = _json(run_cli("--offline", "--format", "json", "lock", str(example), "--check",
                          *provider))  # fmt: skip
    (tmp_path / "lock").mkdir()
    parts = _shards(tmp_path / "lock", "lock", str(example), "--check", *provider)
    subjects = sorted(
        (c["path"], c["subject"]) for p in parts for c in json.loads(p.read_text())["checked"]
    )
    assert subjects == sorted((c["path"], c["subject"]) for c in whole["checked"])
    (tmp_path / "sums").mkdir()
    sums = _shards(tmp_path / "sums", "checksums", "update", str(example), "--check")
    notes = [n for p in sums for n in json.loads(p.read_text()).get("notes", [])]
    assert sum("aqua-checksums.json: up to date" in n for n in notes) == 1  # one shard has it


def test_report_shards_merge(example: Path, tmp_path: Path) -> None:
    whole = _json(run_cli("--offline", "--format", "json", "report", str(example),
                          "--no-history"))  # fmt: skip
    parts = _shards(tmp_path, "report", str(example))
    for p in parts:
        assert "shard" in " ".join(json.loads(p.read_text())["notes"])
    merged = _json(run_cli("--offline", "--format", "json", "merge", *map(str, parts)))
    for key in ("summary", "outdated", "skew", "integrity", "rollouts"):
        assert merged[key] == whole[key], key
    html = run_cli("--offline", "--format", "html", "merge", *map(str, parts))
    assert html.code == 0 and html.out.startswith("<!DOCTYPE html>")


def test_merge_refuses_mixed_inputs(example: Path, tmp_path: Path) -> None:
    verify = tmp_path / "verify.json"
    verify.write_text(run_cli("--offline", "--format", "json", "verify", str(example)).out)
    lock = tmp_path / "lock.json"
    lock.write_text(run_cli("--offline", "--format", "json", "lock", str(example), "--check").out)
    mixed = run_cli("merge", str(verify), str(lock))
    assert mixed.code == 2 and "different commands" in mixed.err
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert run_cli("merge", str(junk)).code == 2
    assert run_cli("verify", str(example), "--shard", "5/4").code == 2
