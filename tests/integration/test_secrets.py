"""Tokens never leave depguard except as the Authorization header of their own host.

The session sets ``GITHUB_TOKEN``/``GH_TOKEN`` to ``FAKE_TOKEN`` (tests/conftest.py); here a
Terraform CLI config also holds a ``credentials`` block for the local registry and
``TF_TOKEN_localhost`` is set. Every command, in every format and verbosity, on success and on
error paths (rejected token, registry down, refused redirect), must not print any of them on
stdout or stderr, nor write them to ``--output`` files or anywhere under the cache directory.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FAKE_TOKEN
from tests.support.cli import CliResult, run_cli
from tests.support.servers import HttpsServer, RegistryBuilder, Reply
from tests.support.signing import GpgSigner, publish_signed

FORMATS = ("text", "json", "markdown", "sarif", "github")
VERBOSITY = ((), ("-v",), ("-vv",), ("-q",))
PLATFORMS = ("linux_amd64", "darwin_arm64")


@dataclass
class Secrets:
    cli_token: str  # credentials block for the local registry
    env_token: str  # TF_TOKEN_localhost
    cache_dir: Path

    @property
    def all(self) -> tuple[str, ...]:
        return (FAKE_TOKEN, self.cli_token, self.env_token)

    def assert_absent(self, result: CliResult, *files: Path) -> None:
        """No token on stdout, stderr, in ``files`` or anywhere under the cache directory."""
        for token in self.all:
            assert token not in result.out, f"token on stdout: {result.out[:2000]}"
            assert token not in result.err, f"token on stderr: {result.err[:2000]}"
        assert "Traceback" not in result.err, result.err
        for path in (*files, *self._cache_files()):
            data = path.read_bytes()
            for token in self.all:
                assert token.encode() not in data, f"token written to {path}"
                assert token not in str(path), f"token in a file name: {path}"

    def _cache_files(self) -> Iterator[Path]:
        if self.cache_dir.is_dir():
            yield from (p for p in self.cache_dir.rglob("*") if p.is_file())


@pytest.fixture
def tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Secrets:
    cache = Path(os.environ["DEPGUARD_CACHE_DIR"])
    return Secrets(
        cli_token="cli-" + secrets.token_hex(16),
        env_token="env-" + secrets.token_hex(16),
        cache_dir=cache,
    )


@dataclass
class Setup:
    root: Path
    config: Path
    registry: RegistryBuilder

    def run(self, *args: str) -> CliResult:
        return run_cli("--config", str(self.config), *args)


@pytest.fixture
def setup(
    tmp_path: Path,
    tokens: Secrets,
    registry_server: RegistryBuilder,
    gpg_signer: GpgSigner,
    trust_test_ca: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Setup:
    publish_signed(registry_server, gpg_signer, "acme", "demo", "1.0.0", PLATFORMS)
    address = registry_server.address("acme", "demo")
    rc = tmp_path / "terraformrc"
    rc.write_text(
        f'credentials "{registry_server.hostname}" {{\n  token = "{tokens.cli_token}"\n}}\n'
    )
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    monkeypatch.setenv("TF_TOKEN_localhost", tokens.env_token)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    stack = root / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text(
        "terraform {\n  required_providers {\n    demo = {\n"
        f'      source  = "{address}"\n      version = "~> 1.0"\n    }}\n  }}\n}}\n'
    )
    config = tmp_path / "depguard.yaml"
    config.write_text(
        f"platforms: [{', '.join(PLATFORMS)}]\n"
        "limits: {timeout: 1s}\n"
        "trust:\n  terraform:\n    providers: ['*/acme/*']\n    signing_keys:\n"
        f"      - fingerprint: '{gpg_signer.fingerprint}'\n        providers: ['*/acme/*']\n"
    )
    return Setup(root=root, config=config, registry=registry_server)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("depguard.net.http._MAX_BACKOFF", 0.01)


def _every_format_and_verbosity(
    setup: Setup, tokens: Secrets, tmp_path: Path, *args: str, expect: set[int]
) -> None:
    """Every format at -vv (and to --output), and the text format at every verbosity."""
    runs = [("--format", fmt, "-vv") for fmt in FORMATS]
    runs += [("--format", "text", *v) for v in VERBOSITY if v != ("-vv",)]
    runs += [("--format", "json", *v) for v in VERBOSITY if v != ("-vv",)]
    for options in runs:
        result = setup.run(*options, *args)
        assert result.code in expect, (options, result.out + result.err)
        tokens.assert_absent(result)
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        result = setup.run("--format", fmt, "-v", "--output", str(out), *args)
        assert result.code in expect, result.out + result.err
        assert out.is_file() and result.out == ""
        tokens.assert_absent(result, out)


def test_help_and_version_never_print_tokens(tokens: Secrets, setup: Setup) -> None:
    for args in (
        ("--help",),
        ("verify", "--help"),
        ("lock", "--help"),
        ("--version",),
        (),
        ("-vv", "verify", "--help"),
    ):
        result = run_cli(*args)
        assert result.code in (0, 2), (args, result.err)
        tokens.assert_absent(result)


def test_tokens_are_used_for_the_registry_only(setup: Setup, tokens: Secrets) -> None:
    """The credentials token goes to the registry's JSON API, nothing else gets a token."""
    result = setup.run("-vv", "lock", str(setup.root))
    assert result.code == 0, result.out + result.err
    tokens.assert_absent(result)
    requests = setup.registry.server.requests
    api = [r for r in requests if r.path.startswith(("/v1/", "/.well-known/"))]
    assert api and all(r.headers.get("authorization") == f"Bearer {tokens.cli_token}" for r in api)
    for r in requests:
        auth = r.headers.get("authorization", "")
        assert FAKE_TOKEN not in auth and tokens.env_token not in auth, r.path
        if r not in api:  # SHA256SUMS, signature and zips are fetched without credentials
            assert not auth, r.path


def test_verify_and_lock_success_never_print_tokens(
    setup: Setup, tokens: Secrets, tmp_path: Path
) -> None:
    assert setup.run("lock", str(setup.root)).code == 0
    _every_format_and_verbosity(setup, tokens, tmp_path, "verify", str(setup.root), expect={0})
    _every_format_and_verbosity(
        setup, tokens, tmp_path, "verify", "--deep", str(setup.root), expect={0}
    )
    _every_format_and_verbosity(setup, tokens, tmp_path, "lock", str(setup.root), expect={0})


@pytest.mark.usefixtures("fast_retries")
@pytest.mark.parametrize("failure", ["token-rejected", "registry-down", "refused-redirect"])
@pytest.mark.parametrize("command", ["verify", "lock"])
def test_network_failures_never_print_tokens(
    setup: Setup,
    tokens: Secrets,
    tmp_path: Path,
    https_server: HttpsServer,
    failure: str,
    command: str,
) -> None:
    if command == "verify":
        assert setup.run("lock", str(setup.root)).code == 0  # verify needs a lock file
    server = setup.registry.server
    if failure == "token-rejected":
        server.route(
            "/v1/providers/",
            Reply(status=401, body=b"bad token", content_type="text/plain"),
            prefix=True,
        )
    elif failure == "refused-redirect":
        https_server.route("/", Reply(body=b"{}", content_type="application/json"), prefix=True)
        server.redirect(
            "/.well-known/terraform.json", https_server.url_for(f"/?t={tokens.cli_token[:4]}")
        )
        server.route(
            "/v1/providers/",
            Reply(status=302, headers={"Location": https_server.url_for("/x")}),
            prefix=True,
        )
    else:
        server.stop()
    _every_format_and_verbosity(setup, tokens, tmp_path, command, str(setup.root), expect={3})
    if failure == "refused-redirect":
        assert all("authorization" not in r.headers for r in https_server.requests)


def test_bad_cli_config_never_prints_its_token(
    tmp_path: Path, tokens: Secrets, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CLI config that does not parse is an error naming the file; the token stays hidden."""
    (tmp_path / "x").mkdir()
    variants = [
        f'credentials "localhost" {{\n  token = "{tokens.cli_token}" oops\n}}\n',
        f'credentials "localhost" {{\n  token "{tokens.cli_token}"\n}}\n',
        f'credentials "localhost" {{\n  token = "{tokens.cli_token}\n}}\n',
        f'credentials "localhost" {{\n  token = ["{tokens.cli_token}"]\n}}\n',
        f'credentials "localhost" {{\n  token = "{tokens.cli_token}"\n'
        f'  token = "x{tokens.cli_token}"\n}}\n',
        f'{{"credentials": {{"localhost": {{"token": "{tokens.cli_token}", }}}}}}',
    ]
    for i, text in enumerate(variants):
        rc = tmp_path / (f"rc{i}.tfrc.json" if text.startswith("{") else f"rc{i}")
        rc.write_text(text)
        monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
        for args in (
            ("verify", str(tmp_path / "x")),
            ("-vv", "--format", "json", "lock", str(tmp_path / "x")),
        ):
            result = run_cli("--offline", *args)
            tokens.assert_absent(result)
