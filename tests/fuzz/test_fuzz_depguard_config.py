"""``depguard.yaml``: ``parse_config`` (the strict loader of CONVENTIONS §12).

Contract (``depguard.config.loader``): returns a ``Config`` or raises ``ConfigError`` naming
``path:line`` for any problem — unknown or duplicate keys, wrong types, invalid values, tags,
alias bombs, invalid YAML.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from depguard.config.loader import parse_config
from depguard.errors import ConfigError
from tests.fuzz.contract import outcome
from tests.fuzz.strategies import billion_laughs, example_seeds, json_values, mutated, noise

pytestmark = pytest.mark.fuzz

SEEDS = example_seeds("depguard.yaml")


def _check(text: str) -> None:
    outcome(
        parse_config,
        text,
        "depguard.yaml",
        base_dir=Path("/repo"),
        raises=(ConfigError,),
        err_path="depguard.yaml",
        err_text=text,
    )


@given(text=mutated(st.sampled_from(SEEDS), max_steps=4))
def test_mutated_example_config(text: str) -> None:
    _check(text)


SECTIONS = st.sampled_from(
    ("trust", "rollout", "cache_dir", "snapshot_dirs", "limits", "report", "aqua", "x", "version")
)


@given(
    data=st.dictionaries(SECTIONS, json_values(max_leaves=6), max_size=4)
    | json_values(max_leaves=6)
)
def test_generated_config(data: object) -> None:
    _check(yaml.safe_dump(data, allow_unicode=True))


@given(
    text=noise("trustrollout:-[]{}&*!|>'\"#\n 0123456789.", max_size=150)
    | st.sampled_from(
        (billion_laughs(), "[" * 3000, "a: !!python/name:os.system x", "a: 0x" + "F" * 4000)
    )
)
def test_random_config(text: str) -> None:
    _check(text)
