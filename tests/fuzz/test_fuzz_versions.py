"""Versions, constraints and provider addresses: pure string parsers whose documented error
is ``ValueError`` (a programming-level error the callers turn into ``InputError``).

Contracts (``depguard.versions``, ``depguard.formats.tf_address``): ``parse_version``,
``parse_constraints``, ``parse_lock_constraints``, ``constraints_string``,
``merge_constraints``, ``parse_provider_source``, ``parse_lock_label``, ``normalize_hostname``
and ``implied_provider`` raise only ``ValueError``; what they return is canonical (parsing
the canonical text gives the same value back).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from depguard.formats import tf_cli_config
from depguard.formats.tf_address import (
    format_provider_address,
    hostname_for_display,
    implied_provider,
    normalize_hostname,
    parse_lock_label,
    parse_provider_source,
)
from depguard.versions import (
    Version,
    constraints_string,
    merge_constraints,
    newest_allowed,
    parse_constraints,
    parse_lock_constraints,
    parse_version,
)
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import (
    CONSTRAINTS,
    HUGE_INT,
    PROVIDER_ADDRESSES,
    VERSIONS,
    mutated,
    noise,
)

pytestmark = pytest.mark.fuzz

VERSION_ALPHABET = "0123456789.-+vabrc~=<>!, \t\n*xX"
VERSION_TEXT = (
    mutated(VERSIONS, max_steps=2)
    | noise(VERSION_ALPHABET, max_size=30)
    | st.sampled_from(("1." + HUGE_INT, "0" * 5000, "1.0.0-" + "a." * 3000))
)
CONSTRAINT_TEXT = (
    mutated(CONSTRAINTS, max_steps=2)
    | noise(VERSION_ALPHABET, max_size=40)
    | st.sampled_from((">= 1, " * 2000 + "1", "~> " + HUGE_INT))
)


@given(text=VERSION_TEXT)
def test_parse_version(text: str) -> None:
    result = outcome(parse_version, text, raises=(ValueError,))
    if result.value is not None:
        v = result.value
        assert parse_version(str(v)) == v
        assert str(parse_version(str(v))) == str(v)
        assert v.same(v) and not v < v


@given(text=CONSTRAINT_TEXT)
def test_parse_lock_constraints(text: str) -> None:
    result = outcome(parse_lock_constraints, text, raises=(ValueError,))
    if result.value is not None:
        canonical = constraints_string(result.value)
        assert constraints_string(parse_lock_constraints(canonical)) == canonical


@example(text=">= 1, 1", versions=["1"])
@given(text=CONSTRAINT_TEXT, versions=st.lists(VERSION_TEXT, max_size=5))
def test_parse_constraints_and_selection(text: str, versions: list[str]) -> None:
    result = outcome(parse_constraints, text, raises=(ValueError,))
    if result.value is None:
        return
    # go-version's syntax check only narrows go-versions' parser.
    assert parse_lock_constraints(text) == result.value
    canonical = outcome(constraints_string, text, raises=(ValueError,))
    assert canonical.value is not None
    outcome(merge_constraints, text, canonical.value or ">= 0", raises=(ValueError,))
    chosen = outcome(newest_allowed, versions, result.value, raises=())
    if chosen.value is not None:
        # The canonical form, as Terraform writes it to the lock file and the download URL
        # ("1" is selected as "1.0.0"; found by the long profile).
        assert parse_version(chosen.value) in {v for v in map(_version_or_none, versions) if v}
        assert str(parse_version(chosen.value)) == chosen.value
        assert result.value.allows(chosen.value)


def _version_or_none(text: str) -> Version | None:
    try:
        return parse_version(text)
    except ValueError:
        return None


@given(text=mutated(PROVIDER_ADDRESSES.map(format_provider_address)) | noise("abc./-_:0é "))
def test_provider_sources(text: str) -> None:
    result = outcome(parse_provider_source, text, raises=(ValueError,))
    if result.value is not None:
        address = result.value
        shown = format_provider_address(address)
        assert parse_provider_source(shown) == address
        if address.is_lockable:
            assert parse_lock_label(shown) == address
    outcome(parse_lock_label, text, raises=(ValueError,))
    outcome(implied_provider, text, raises=(ValueError,))


HOSTS = st.sampled_from(
    ("registry.terraform.io", "Example.COM:443", "café.example", "localhost:0080", "a..b", "x:y")
)


@given(text=mutated(HOSTS) | noise("abc.-:0123456789éß[]@ "))
def test_hostnames(text: str) -> None:
    result = outcome(normalize_hostname, text, raises=(ValueError,))
    if result.value is not None:
        assert normalize_hostname(hostname_for_display(result.value)) == result.value
    outcome(tf_cli_config.normalize_hostname, text, raises=(ValueError,))
