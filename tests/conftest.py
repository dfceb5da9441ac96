"""Session-wide test setup: corpus location, network guard, fake token, isolated caches."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.support.fixtures",
    "tests.support.gpg_fixtures",
    "tests.support.github_server",
]

ROOT = Path(__file__).resolve().parent.parent
FAKE_TOKEN = "ghp_DEPGUARDTESTTOKEN0123456789abcdefXYZ"


def _corpus_dir() -> Path | None:
    env = os.environ.get("DEPGUARD_CORPUS")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "corpus")
    for c in candidates:
        if c.is_dir():
            return c
    return None


CORPUS = _corpus_dir()


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared real-world corpus; tests that need it skip when it is absent."""
    if CORPUS is None:
        pytest.skip("corpus not found: set DEPGUARD_CORPUS or place it at ../shared/corpus")
    return CORPUS


_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")
    return isinstance(address, (str, bytes))  # AF_UNIX


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_loopback(address):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    """Tests never touch the network except loopback (CONVENTIONS §10)."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _reset_depguard_logging() -> Iterator[None]:
    """In-process CLI runs configure the ``depguard`` logger for a terminal; undo that so
    ``caplog`` sees records in later tests whatever the order."""
    yield
    import logging

    logger = logging.getLogger("depguard")
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


@pytest.fixture(autouse=True)
def _isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test gets its own cache dir, an empty Terraform CLI config and a fake token."""
    base = tmp_path_factory.mktemp("env")
    monkeypatch.setenv("DEPGUARD_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))  # the cache memo key lives here
    monkeypatch.delenv("DEPGUARD_CACHE_KEY", raising=False)
    cli_config = base / "terraformrc"
    cli_config.write_text("")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    monkeypatch.setenv("GITHUB_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("GH_TOKEN", FAKE_TOKEN)
    monkeypatch.delenv("DEPGUARD_CONFIG", raising=False)
    monkeypatch.delenv("DEPGUARD_OFFLINE", raising=False)
    monkeypatch.delenv("DEPGUARD_FORMAT", raising=False)


# --- Hypothesis profiles (tests/fuzz and the property tests in tests/unit) --------------------
def _register_hypothesis_profiles() -> None:
    """Register the profiles and load the one named by ``HYPOTHESIS_PROFILE``.

    "default" (every normal run, CI included) is small and derandomized, so a run is
    reproducible and tests/fuzz stays within about a minute; "ci" is the same with twice the
    examples; "long" is the real fuzzing run (random, no deadline):
    ``HYPOTHESIS_PROFILE=long python -m pytest tests/fuzz -m fuzz -n 2``. Tests that pass
    their own ``max_examples`` (tests/unit) keep it under every profile.
    """
    from hypothesis import HealthCheck, Phase, settings

    settings.register_profile(
        "default",
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile("ci", settings.get_profile("default"), max_examples=50)
    settings.register_profile(
        "long",
        max_examples=5000,
        deadline=None,
        derandomize=False,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    # Replays only the failures a long run saved in .hypothesis/ (and the @examples): the
    # quick way to see what a long run found, e.g. when an xdist worker died reporting it.
    settings.register_profile(
        "replay",
        settings.get_profile("long"),
        phases=[Phase.explicit, Phase.reuse, Phase.shrink],
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


_register_hypothesis_profiles()


# --- reports xdist can send --------------------------------------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Escape lone surrogates in a report's captured output and logs.

    Fuzzed input (a registry URL, a file name) can reach a log line; pytest-xdist then cannot
    UTF-8-encode the report, and the worker dies with an INTERNALERROR that ends the whole
    session (it cut a long fuzz run short). Escaped, the text still says what was logged.
    """
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    report.sections = [
        (key, text.encode("utf-8", "backslashreplace").decode("utf-8"))
        for key, text in report.sections
    ]
