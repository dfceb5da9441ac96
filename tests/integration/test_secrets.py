"""Tokens never leave depguard except as the Authorization header of their own host.

The session sets ``GITHUB_TOKEN``/``GH_TOKEN`` to ``FAKE_TOKEN`` (tests/conftest.py); here a
Terraform CLI config also holds a ``credentials`` block for the local registry and
``TF_TOKEN_localhost`` is set. Every command, in every format and verbosity, on success and on
error paths (rejected token, registry down, refused redirect), must not print any of them on
stdout or stderr, nor write them to ``--output`` files or anywhere under the cache directory.

The same holds for the commands added since (``check-pr``, ``rollout
plan|status|matrix|renovate-rules|lint-renovate|apply``, ``report`` with its JSON and SQLite
history, ``init``, ``trust show``, ``tools resolve``), for tokens a server or a PR event echoes
back (answers, error bodies, redirect URLs), and for the internal-error path's traceback. Two
click's own usage errors and ``init``'s output, once gaps, go through redaction too
``redact()``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FAKE_TOKEN
from tests.support.cli import CliResult, run_cli
from tests.support.prrepo import build_pr_repo, git, write_event
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

    def assert_absent(
        self, result: CliResult, *files: Path, traceback: bool = False, blobs: bool = True
    ) -> None:
        """No token on stdout, stderr, in ``files`` or anywhere under the cache directory
        (and no traceback unless ``traceback``: the internal-error path prints one).

        ``blobs=False`` leaves out ``blobs/``, the verbatim bodies of upstream answers: when a
        server itself echoes the token in a response, the cache stores those bytes as they
        are (content-addressed), which is not depguard writing the token.
        """
        for token in self.all:
            assert token not in result.out, f"token on stdout: {result.out[:2000]}"
            assert token not in result.err, f"token on stderr: {result.err[:2000]}"
        if not traceback:
            assert "Traceback" not in result.err, result.err
        for path in (*files, *self._cache_files(blobs=blobs)):
            data = path.read_bytes()
            for token in self.all:
                assert token.encode() not in data, f"token written to {path}"
                assert token not in str(path), f"token in a file name: {path}"

    def _cache_files(self, *, blobs: bool = True) -> Iterator[Path]:
        if self.cache_dir.is_dir():
            for p in self.cache_dir.rglob("*"):
                if p.is_file() and (blobs or p.relative_to(self.cache_dir).parts[0] != "blobs"):
                    yield p


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


def _sweep(
    run: Callable[..., CliResult],
    tokens: Secrets,
    tmp_path: Path,
    *args: str,
    expect: set[int],
    formats: Sequence[str] = FORMATS,
    verbose_formats: Sequence[str] = ("text", "json"),
    files: Callable[[], Iterable[Path]] = tuple,
) -> None:
    """Every format at -vv (and to --output), and ``verbose_formats`` at every verbosity;
    after each run no token on stdout/stderr, in ``files()`` or under the cache directory."""
    runs = [("--format", fmt, "-vv") for fmt in formats]
    for fmt in verbose_formats:
        runs += [("--format", fmt, *v) for v in VERBOSITY if v != ("-vv",)]
    for options in runs:
        result = run(*options, *args)
        assert result.code in expect, (options, result.out + result.err)
        tokens.assert_absent(result, *files())
    for fmt in formats:
        out = tmp_path / f"report.{fmt}"
        result = run("--format", fmt, "-v", "--output", str(out), *args)
        assert result.code in expect, result.out + result.err
        assert out.is_file() and result.out == ""
        tokens.assert_absent(result, out, *files())


def _every_format_and_verbosity(
    setup: Setup, tokens: Secrets, tmp_path: Path, *args: str, expect: set[int]
) -> None:
    """Every format at -vv (and to --output), and text and json at every verbosity."""
    _sweep(setup.run, tokens, tmp_path, *args, expect=expect)


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


# --- the commands added since: check-pr, rollout, report, init, trust show, tools resolve ---
#
# They run offline on a copy of the shipped example (its upstream snapshot), with the session's
# GITHUB_TOKEN/GH_TOKEN, a Terraform CLI config holding credentials for the example's two
# registries, and TF_TOKEN_tf_acme_example. The report's pull-request listing also runs online
# against a local "GitHub" that echoes the token back in answers, errors and redirect URLs.

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "examples" / "acme-infra"
INVENTORY = "tf.acme.example/platform/inventory"
DEV_LOCK = "envs/dev/network/.terraform.lock.hcl"
STG_LOCK = "envs/stg/network/.terraform.lock.hcl"
ENV_TOKEN_VAR = "TF_TOKEN_tf_acme_example"  # Terraform's spelling: dots become underscores


@pytest.fixture
def credentials(tokens: Secrets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Secrets:
    rc = tmp_path / "terraformrc"
    rc.write_text(
        "".join(
            f'credentials "{host}" {{\n  token = "{tokens.cli_token}"\n}}\n'
            for host in ("tf.acme.example", "registry.terraform.io")
        )
    )
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    monkeypatch.setenv(ENV_TOKEN_VAR, tokens.env_token)
    monkeypatch.setenv("DEPGUARD_NOW", "2026-12-01T00:00:00Z")
    return tokens


def _offline(*args: str) -> CliResult:
    return run_cli("--offline", *args)


def _files_under(root: Path) -> Callable[[], Iterable[Path]]:
    """Every file depguard may have written under ``root`` (``.git`` left out)."""
    return lambda: (p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)


@pytest.fixture
def example(tmp_path: Path, credentials: Secrets) -> Path:
    """The example as a git repository: every directory on inventory 1.2.0 since 2026-10-01,
    dev moved to 1.3.0 on 2026-11-20 (what ``rollout status`` and ``report`` read)."""
    repo = tmp_path / "acme-infra"
    shutil.copytree(EXAMPLE, repo)
    git(repo, "init", "-q", "-b", "main")
    dev = (repo / DEV_LOCK).read_bytes()
    (repo / DEV_LOCK).write_bytes((repo / STG_LOCK).read_bytes())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial", when="2026-10-01T12:00:00Z")
    (repo / DEV_LOCK).write_bytes(dev)
    (repo / ".git" / "index").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "inventory 1.3.0 (dev)", when="2026-11-20T09:30:00Z")
    return repo


def _pr_event(path: Path, token: str, **fields: str) -> Path:
    return write_event(path, body=f"Renovate PR body mentioning {token}\n", **fields)


@pytest.mark.parametrize("verify", [False, True], ids=["no-verify", "verify"])
def test_check_pr_never_prints_tokens(
    tmp_path: Path, credentials: Secrets, monkeypatch: pytest.MonkeyPatch, verify: bool
) -> None:
    """A Renovate PR on the example whose lock hash was tampered with (findings, exit 1: a
    hash change without a version change, and with verification the hash mismatch), in every
    format and verbosity, with $GITHUB_STEP_SUMMARY set."""
    head = tmp_path / "head"
    shutil.copytree(EXAMPLE, head)
    lock = head / DEV_LOCK
    text = lock.read_text()
    start = text.index('"zh:') + 4
    lock.write_text(text[:start] + "0" * 64 + text[start + 64 :])
    repo, base, head_rev = build_pr_repo(tmp_path / "pr", EXAMPLE, head)
    event = _pr_event(tmp_path / "event.json", "(none)")
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    args = (
        "--config", str(EXAMPLE / "depguard.yaml"), "check-pr", "--repo", str(repo),
        "--base", base, "--head", head_rev, "--event", str(event),
        *(() if verify else ("--no-verify",)),
    )  # fmt: skip
    _sweep(
        _offline, credentials, tmp_path, *args, expect={1}, files=lambda: [summary],
    )  # fmt: skip
    assert summary.is_file() and summary.stat().st_size > 0


def test_check_pr_redacts_a_token_echoed_by_the_event(tmp_path: Path, credentials: Secrets) -> None:
    """An event whose author, branch, title and body carry the token (a PR can quote
    anything): every place the report shows them is redacted, and so is a usage error that
    quotes a malformed field."""
    repo, base, head = build_pr_repo(tmp_path / "pr", EXAMPLE, EXAMPLE)
    event = _pr_event(
        tmp_path / "event.json",
        FAKE_TOKEN,
        author=f"x-{FAKE_TOKEN}",
        branch=f"renovate/{FAKE_TOKEN}",
    )
    doc = json.loads(event.read_text())
    doc["pull_request"]["title"] = f"chore(deps): {credentials.env_token}"
    event.write_text(json.dumps(doc))
    args = ("check-pr", "--repo", str(repo), "--base", base, "--head", head, "--event", str(event),
            "--no-verify")  # fmt: skip
    _sweep(_offline, credentials, tmp_path, *args, expect={0, 1})
    doc["pull_request"]["number"] = FAKE_TOKEN  # "expected an integer, got ..."
    doc["pull_request"]["head"]["sha"] = FAKE_TOKEN
    event.write_text(json.dumps(doc))
    for options in (("-vv",), ("--format", "json"), ("-q",)):
        result = _offline(*options, *args)
        assert result.code == 2, result.out + result.err
        credentials.assert_absent(result)


ROLLOUT_COMMANDS = {
    "plan": ("plan", INVENTORY, "--to", "1.3.0", "--start", "2026-12-01"),
    "status": ("status", INVENTORY),
    "matrix": ("matrix", INVENTORY, "--wave", "2"),
    "renovate-rules": ("renovate-rules",),
    "lint-renovate": ("lint-renovate",),
}


@pytest.mark.parametrize("command", sorted(ROLLOUT_COMMANDS))
def test_rollout_commands_never_print_tokens(
    example: Path, credentials: Secrets, tmp_path: Path, command: str
) -> None:
    args = ("rollout", *ROLLOUT_COMMANDS[command], "--repo", str(example))
    _sweep(_offline, credentials, tmp_path, *args, expect={0, 1})


def test_rollout_writes_carry_no_tokens(
    example: Path, credentials: Secrets, tmp_path: Path
) -> None:
    """``renovate-rules --write`` and ``apply`` (lock files refreshed from the signed
    snapshot with the credentials loaded) write nothing that holds a token."""
    result = _offline("-vv", "rollout", "renovate-rules", "--write", "--repo", str(example))
    assert result.code == 0, result.err
    credentials.assert_absent(result, *_files_under(example)())
    apply = ("rollout", "apply", INVENTORY, "--to", "1.3.0", "--wave", "2", "--repo", str(example))
    first = _offline("-vv", "--format", "json", *apply)
    assert first.code == 0, first.out + first.err
    assert (example / STG_LOCK).read_bytes() == (example / DEV_LOCK).read_bytes()
    credentials.assert_absent(first, *_files_under(example)())
    _sweep(_offline, credentials, tmp_path, *apply, expect={0}, files=_files_under(example))


def test_report_never_prints_tokens(example: Path, credentials: Secrets, tmp_path: Path) -> None:
    """Markdown, HTML and JSON (text is the Markdown), with the JSON history file and with the
    SQLite history in the cache directory; an open PR whose title quotes the token."""
    snapshot = tmp_path / "gh"
    pulls = snapshot / "api.github.com" / "repos" / "acme" / "infra" / "pulls"
    pulls.mkdir(parents=True)
    (pulls / "index.json").write_text(
        json.dumps(
            [{"number": 42, "title": f"chore(deps): update inventory {FAKE_TOKEN}",
              "html_url": f"https://github.com/acme/infra/pull/42?t={credentials.env_token}",
              "created_at": "2026-11-28T08:00:00Z", "user": {"login": "renovate[bot]"},
              "labels": [{"name": credentials.cli_token}]}]
        )
    )  # fmt: skip
    history = tmp_path / "history.json"
    base = ("--snapshot", str(snapshot), "--snapshot", str(example / "upstream"))
    formats = ("markdown", "html", "json", "text")
    for extra in (("--history", str(history)), ()):  # the JSON file, then the SQLite store
        args = (*base, "report", str(example), "--github-repository", "acme/infra", *extra)
        _sweep(
            _offline, credentials, tmp_path, *args, expect={0}, formats=formats,
            verbose_formats=("markdown", "json"), files=lambda: [history],
        )  # fmt: skip
    assert history.is_file()
    assert (Path(os.environ["DEPGUARD_CACHE_DIR"]) / "report-history.sqlite3").is_file()
    shown = _offline("--format", "json", *base, "report", str(example), "--no-history",
                     "--github-repository", "acme/infra")  # fmt: skip
    (pr,) = shown.json()["pull_requests"]
    assert pr["title"] == "chore(deps): update inventory ***" and pr["labels"] == ["***"]


@pytest.fixture
def gh_api(
    https_server: HttpsServer, trust_test_ca: Path, tmp_path: Path, credentials: Secrets
) -> tuple[Path, Path]:
    """``(config, repo)``: a repository with nothing to look up and a policy whose GitHub is
    ``https_server`` (the API under /api on ``localhost``, so the token goes there)."""
    repo = tmp_path / "empty"
    repo.mkdir()
    (repo / "main.tf").write_text("terraform {}\n")
    config = tmp_path / "depguard.yaml"
    url = https_server.url
    config.write_text(
        f"github:\n  url: {url}/gh\n  api_url: {url}/api\n  raw_url: {url}/raw\n"
        "limits: {timeout: 1s}\n"
    )
    return config, repo


PULLS = "/api/repos/acme/infra/pulls"


@pytest.mark.usefixtures("fast_retries")
@pytest.mark.parametrize("answer", ["echoed-in-data", "rejected", "server-error", "redirect"])
def test_report_redacts_tokens_a_server_echoes(
    https_server: HttpsServer,
    gh_api: tuple[Path, Path],
    credentials: Secrets,
    tmp_path: Path,
    answer: str,
) -> None:
    """The GitHub API answers with the token in a PR, in an error body, in a 5xx body, or
    redirects to another host with the token in the URL: nothing printed or stored holds it,
    and the token is sent to the API host only."""
    config, repo = gh_api
    leak = f"{FAKE_TOKEN} {credentials.env_token} {credentials.cli_token}"
    if answer == "echoed-in-data":
        body = [{"number": 7, "title": leak, "html_url": f"https://x/{FAKE_TOKEN}",
                 "created_at": "2026-11-28T08:00:00Z", "user": {"login": "renovate[bot]"},
                 "labels": []}]  # fmt: skip
        reply = Reply(body=json.dumps(body).encode(), content_type="application/json")
    elif answer == "rejected":
        message = json.dumps({"message": f"Bad credentials: {leak}"}).encode()
        reply = Reply(status=401, body=message, content_type="application/json")
    elif answer == "server-error":
        reply = Reply(status=502, body=f"upstream said {leak}".encode(), content_type="text/plain")
    else:
        steal = f"https://127.0.0.1:{https_server.port}/steal?access_token={FAKE_TOKEN}"
        reply = Reply(status=302, headers={"Location": steal}, content_type=None)
        https_server.route("/steal", Reply(body=b"[]", content_type="application/json"))
    https_server.route(PULLS, reply)
    history = tmp_path / "history.json"
    args = ("--config", str(config), "report", str(repo), "--github-repository", "acme/infra",
            "--history", str(history))  # fmt: skip
    for options in (("-vv", "--format", "json"), ("-v", "--format", "markdown"), ()):
        result = run_cli(*options, *args)
        assert result.code == 0, result.out + result.err
        if answer != "echoed-in-data":  # the report says why it has no PR list
            assert "open pull requests: " in result.out, result.out
        # the echoed answer itself is cached verbatim in blobs/; the URL index, memo
        # entries and the history must not hold a token
        credentials.assert_absent(result, history, blobs=answer != "echoed-in-data")
    if answer == "echoed-in-data":
        assert "***" in run_cli("--format", "json", *args).out
    for r in https_server.requests:
        auth = r.headers.get("authorization")
        if r.path.startswith(PULLS):
            assert auth == f"Bearer {FAKE_TOKEN}", r.path
        else:
            assert auth is None, r.path  # the redirect target is another host


def test_init_trust_show_and_tools_resolve_never_print_tokens(
    example: Path, credentials: Secrets, tmp_path: Path
) -> None:
    result = _offline("-vv", "init", "--repo", str(example), "--stdout")
    assert result.code == 0 and "trust:" in result.out, result.err
    credentials.assert_absent(result)
    (example / "depguard.yaml").unlink()
    result = _offline("-vv", "init", "--repo", str(example))
    assert result.code == 0, result.err
    credentials.assert_absent(result, example / "depguard.yaml")
    _sweep(_offline, credentials, tmp_path, "trust", "show", expect={0})
    config = ("--config", str(EXAMPLE / "depguard.yaml"))
    _sweep(
        _offline, credentials, tmp_path, *config, "tools", "resolve", str(example), expect={0},
        formats=("text", "markdown", "json"),
    )  # fmt: skip


def test_init_redacts_a_token_found_in_the_repository(
    tmp_path: Path, credentials: Secrets, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a lower-case token short enough to be a GitHub owner (39 characters at most), since
    # init lower-cases the owners it proposes
    token = "ghp-" + secrets.token_hex(10)
    monkeypatch.setenv("GITHUB_TOKEN", token)
    repo = tmp_path / "repo"
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yaml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: {token}/action@v1\n"
    )
    result = _offline("init", "--repo", str(repo), "--stdout")
    assert result.code == 0, result.err
    assert token not in result.out + result.err


def _boom(*_args: object, **_kwargs: object) -> None:
    secret = FAKE_TOKEN  # a local holding the token: tracebacks must not show locals
    try:
        raise KeyError(f"inner {secret}")
    except KeyError as e:
        raise RuntimeError(f"boom with {secret} and {os.environ[ENV_TOKEN_VAR]}") from e


def test_internal_errors_redact_tokens(
    example: Path, credentials: Secrets, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug deep in a command (an exception whose message and cause hold the tokens, raised
    where a local variable holds one) prints "internal error" and a traceback, redacted; so
    does a ``DepguardError`` whose message holds one."""
    from depguard.errors import InputError

    monkeypatch.setattr("depguard.report.collect.collect", _boom)
    for options in ((), ("-vv",), ("--format", "json")):
        result = _offline(*options, "report", str(example), "--no-history")
        assert result.code == 3, result.out + result.err
        assert "internal error: RuntimeError: boom with ***" in result.err, result.err
        assert "KeyError" in result.err and "Traceback" in result.err
        credentials.assert_absent(result, traceback=True)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise InputError(f"/tmp/{credentials.cli_token}", f"cannot read {FAKE_TOKEN}")

    monkeypatch.setattr("depguard.report.collect.collect", refuse)
    result = _offline("-vv", "report", str(example), "--no-history")
    assert result.code == 2 and "depguard: error: /tmp/***: cannot read ***" in result.err
    credentials.assert_absent(result)


@pytest.mark.parametrize("where", ["option", "env"])
def test_usage_errors_redact_a_token_given_as_a_value(
    credentials: Secrets, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "env":
        monkeypatch.setenv("DEPGUARD_FORMAT", FAKE_TOKEN)
        result = run_cli("trust", "show")
    else:
        result = run_cli("--format", FAKE_TOKEN, "trust", "show")
    assert result.code == 2, result.err
    credentials.assert_absent(result)
