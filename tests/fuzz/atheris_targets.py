"""Coverage-guided fuzzing with atheris (libFuzzer): the optional companion of tests/fuzz.

The hypothesis tests generate *structured* inputs from strategies; these targets hand raw
bytes to the same parsers and let libFuzzer's coverage feedback find the paths the
strategies never reach. The contract is the one of :mod:`tests.fuzz.contract`: a target
returns, or raises one of its parser's documented exceptions with a message that names the
file and a line that exists; anything else (or a round trip that is not exact) is a crash,
and libFuzzer saves the input as ``crash-<sha1>``.

Run (atheris is the optional ``fuzz`` extra: ``pip install -e '.[fuzz]'``)::

    python -m tests.fuzz.atheris_targets --list
    python -m tests.fuzz.atheris_targets tf-lock -max_total_time=600 /tmp/corpus-tf-lock
    python -m tests.fuzz.atheris_targets tf-lock crash-0123abcd      # replay one input

Each target starts from seed files shipped in the repository (``manifests/examples``).
``tests/fuzz/test_atheris.py`` replays the seeds without atheris in every run and, where
atheris is installed, runs every target briefly.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from depguard.errors import DepguardError, InputError
from tests.fuzz.contract import check_error

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "manifests" / "examples" / "acme-infra"


def _text(data: bytes) -> str:
    # Files are read as UTF-8 by every parser; invalid bytes are the decoder's concern, which
    # tests/fuzz covers on its own, so the parsers here see replacement characters.
    return data.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Target:
    """One parser: ``run(data)`` calls it; ``raises`` are its documented exceptions."""

    run: Callable[[bytes], object]
    raises: tuple[type[BaseException], ...]
    path: str | None
    seeds: tuple[str, ...]  # globs under manifests/examples/acme-infra

    def seed_files(self) -> Iterator[Path]:
        for pattern in self.seeds:
            yield from sorted(p for p in EXAMPLE.glob(pattern) if p.is_file())


def _tf_lock(data: bytes) -> object:
    from depguard.formats.tf_lock import parse_lock, render_lock

    providers = parse_lock(_text(data), "fuzz.hcl").providers
    rendered = render_lock(providers)
    again = parse_lock(rendered, "again.hcl").providers
    assert render_lock(again) == rendered, "render → parse → render is not exact"
    return again


def _tf_scan(data: bytes) -> object:
    from depguard.formats.tf_scan import scan_tf

    return scan_tf(_text(data), "fuzz.tf")


def _tf_json(data: bytes) -> object:
    from depguard.formats.tf_scan import scan_tf_json

    return scan_tf_json(_text(data), "fuzz.tf.json")


def _aqua_checksums(data: bytes) -> object:
    from depguard.formats.aqua_checksums import parse_checksums

    parsed = parse_checksums(_text(data), "fuzz.json")
    again = parse_checksums(parsed.dumps(), "again.json")
    assert again.dumps() == parsed.dumps(), "dump → parse → dump is not exact"
    return again


def _aqua_registry(data: bytes) -> object:
    from depguard.formats.aqua_registry import parse_registry

    return parse_registry(_text(data), "fuzz.yaml")


def _aqua_policy(data: bytes) -> object:
    from depguard.formats.aqua_policy import parse_policy

    return parse_policy(_text(data), "fuzz.yaml", base_dir=Path(tempfile.gettempdir()))


def _aqua_expr(data: bytes) -> object:
    from depguard.aqua.expr import compile_expr, version_env

    compiled = compile_expr(_text(data), where="fuzz")
    assert compiled.test(version_env("v1.2.3")) in (True, False)
    return compiled


def _checksum_file(data: bytes) -> object:
    from depguard.verify.checksum_file import parse_checksum_file

    return parse_checksum_file(
        data, file_format="", pattern_checksum=None, pattern_file=None, source="fuzz.txt"
    )


def _renovate_config(data: bytes) -> object:
    from depguard.formats.renovate import load_renovate_config

    return load_renovate_config(_text(data), "fuzz.json5")


def _pr_body(data: bytes) -> object:
    from depguard.formats.renovate import parse_pr_body

    return parse_pr_body(_text(data))


def _workflow(data: bytes) -> object:
    from depguard.formats.workflows import parse_workflow

    return parse_workflow(_text(data), "fuzz.yaml")


def _depguard_config(data: bytes) -> object:
    from depguard.config.loader import parse_config

    return parse_config(_text(data), "fuzz.yaml")


def _cli_config(data: bytes) -> object:
    from depguard.formats.tf_cli_config import parse_cli_config

    return parse_cli_config(_text(data), "fuzz.tfrc", env={})


def _report(data: bytes) -> object:
    from depguard.render import RenderContext
    from depguard.render.json import load_report, render_json

    report = load_report(_text(data), path="fuzz.json")
    ctx = RenderContext(tool_version="0.0.0-fuzz")
    text = render_json(report, ctx)
    assert render_json(load_report(text, path="again.json"), ctx) == text, "not exact"
    return report


def _zip(data: bytes) -> object:
    from depguard.errors import IntegrityError
    from depguard.verify.hashes import zip_hashes

    with tempfile.NamedTemporaryFile(suffix=".zip") as f:
        f.write(data)
        f.flush()
        try:
            return zip_hashes(f.name)
        except IntegrityError:
            return None


TARGETS: dict[str, Target] = {
    "tf-lock": Target(_tf_lock, (InputError,), "fuzz.hcl", ("envs/*/*/.terraform.lock.hcl",)),
    "tf-scan": Target(_tf_scan, (InputError,), "fuzz.tf", ("envs/*/*/*.tf", "modules/*/*.tf")),
    "tf-json": Target(_tf_json, (InputError,), "fuzz.tf.json", ()),
    "aqua-checksums": Target(
        _aqua_checksums, (InputError,), "fuzz.json", ("aqua/aqua-checksums.json",)
    ),
    "aqua-registry": Target(_aqua_registry, (InputError,), "fuzz.yaml", ("upstream/**/*.yaml",)),
    "aqua-policy": Target(_aqua_policy, (InputError,), "fuzz.yaml", ("aqua-policy.yaml",)),
    "aqua-expr": Target(_aqua_expr, (InputError,), "fuzz", ()),
    "checksum-file": Target(
        _checksum_file, (DepguardError,), "fuzz.txt", ("upstream/**/*_SHA256SUMS",)
    ),
    "renovate-config": Target(_renovate_config, (InputError,), "fuzz.json5", ("renovate.json5",)),
    "pr-body": Target(_pr_body, (InputError,), None, ()),
    "workflow": Target(_workflow, (InputError,), "fuzz.yaml", ()),
    "depguard-config": Target(_depguard_config, (DepguardError,), "fuzz.yaml", ("depguard.yaml",)),
    "cli-config": Target(_cli_config, (InputError,), "fuzz.tfrc", ()),
    "report-json": Target(_report, (InputError,), "fuzz.json", ()),
    "zip": Target(_zip, (InputError,), None, ("upstream/**/*.zip",)),
}


def run_one(name: str, data: bytes) -> None:
    """Call target ``name`` on ``data`` and check the contract (AssertionError if broken)."""
    target = TARGETS[name]
    try:
        target.run(data)
    except target.raises as e:
        check_error(e, path=target.path, text=_text(data))


def main(argv: Sequence[str]) -> int:
    if len(argv) < 2 or argv[1] in ("-h", "--help", "--list"):
        print(__doc__.split("\n\n")[0] if argv[1:2] != ["--list"] else "", file=sys.stderr)
        print("targets: " + " ".join(TARGETS))
        return 0 if argv[1:2] == ["--list"] else 2
    name = argv[1]
    if name not in TARGETS:
        print(f"unknown target {name!r}; targets: {' '.join(TARGETS)}", file=sys.stderr)
        return 2
    import atheris

    # Coverage feedback for depguard's own code: the targets import their parser lazily, so
    # one call inside instrument_imports loads (and instruments) exactly what they use.
    # (instrument_all() would also rewrite every library loaded so far: ~40 s per start.)
    with atheris.instrument_imports(include=["depguard"]):
        run_one(name, b"")
    args = [argv[0], *argv[2:]]
    # Seed a fresh corpus directory with the shipped examples, so libFuzzer starts from
    # real files rather than from empty input.
    if not any(not a.startswith("-") for a in args[1:]):
        corpus = Path(tempfile.mkdtemp(prefix=f"depguard-atheris-{name}-"))
        for i, seed in enumerate(TARGETS[name].seed_files()):
            (corpus / f"seed-{i}").write_bytes(seed.read_bytes())
        args.append(str(corpus))
    atheris.Setup(args, lambda data: run_one(name, data))
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
