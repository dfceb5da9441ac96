"""The rollout planner (pure): waves, canaries, soak arithmetic, done directories, versions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from depguard.config.model import RolloutStage
from depguard.config.patterns import PathGlob
from depguard.rollout.model import Dependency, Target, Usage, Workspace
from depguard.rollout.planner import Landed, compare_versions, newest, plan

AWS = Dependency("provider", "registry.terraform.io/hashicorp/aws")
START = date(2026, 12, 1)


def _stage(name: str, soak_days: float = 0, **kw: object) -> RolloutStage:
    return RolloutStage(
        name=name,
        match=(PathGlob(f"envs/{name}/**"),),
        soak=timedelta(days=soak_days),
        **kw,  # type: ignore[arg-type]
    )


def _target(path: str, version: str | None = "5.31.0") -> Target:
    stage = path.split("/")[1]
    usages = (
        Usage(dependency=AWS, pin="lock", file=f"{path}/.terraform.lock.hcl", version=version),
    )
    return Target(path=path, stage=stage, target=path, usages=usages if version else ())


def _workspace(*targets: Target, stages: tuple[RolloutStage, ...] | None = None) -> Workspace:
    stages = stages or (
        _stage("dev", 2, canary=1),
        _stage("stg", 3),
        _stage("prod", 7, max_per_wave=2, approval=True),
    )
    return Workspace(root=Path("/r"), targets=tuple(sorted(targets, key=lambda t: t.path)),
                     stages=stages)  # fmt: skip


WS = _workspace(
    _target("envs/dev/a"),
    _target("envs/dev/b"),
    _target("envs/dev/c"),
    _target("envs/stg/a"),
    _target("envs/prod/a"),
    _target("envs/prod/b"),
    _target("envs/prod/c"),
    _target("envs/prod/unused", version=None),
)


def test_waves_in_stage_order_with_canary_and_max_per_wave() -> None:
    p = plan(WS, AWS, to="5.50.0", start=START)
    assert [(w.index, w.stage, w.directories, w.canary, w.approval) for w in p.waves] == [
        (1, "dev", ("envs/dev/a",), True, False),
        (2, "dev", ("envs/dev/b", "envs/dev/c"), False, False),
        (3, "stg", ("envs/stg/a",), False, False),
        (4, "prod", ("envs/prod/a", "envs/prod/b"), False, True),
        (5, "prod", ("envs/prod/c",), False, True),
    ]
    # each wave soaks for its stage's soak before the next may start
    assert [w.earliest for w in p.waves] == [
        START,
        START + timedelta(days=2),
        START + timedelta(days=4),
        START + timedelta(days=7),
        START + timedelta(days=14),
    ]
    assert p.next_wave() is not None and p.next_wave().index == 1  # type: ignore[union-attr]


def test_plan_is_deterministic_and_independent_of_target_order() -> None:
    shuffled = _workspace(*reversed(WS.targets))
    assert plan(WS, AWS, to="5.50.0", start=START) == plan(shuffled, AWS, to="5.50.0", start=START)


def test_done_directories_keep_their_wave_and_history_dates_the_next() -> None:
    ws = _workspace(
        _target("envs/dev/a", "5.50.0"),
        _target("envs/dev/b", "5.50.0"),
        _target("envs/stg/a"),
    )
    landed = {
        "envs/dev/a": Landed("5.50.0", datetime(2026, 11, 20, 10, tzinfo=UTC), "c1"),
        "envs/dev/b": Landed("5.50.0", datetime(2026, 11, 25, 9, tzinfo=UTC), "c2"),
        "envs/stg/a": Landed("5.31.0", datetime(2026, 1, 1, tzinfo=UTC), "c0"),
    }
    p = plan(ws, AWS, to="5.50.0", start=START, landed=landed)
    w1, w2, w3 = p.waves
    assert w1.complete and w1.completed == date(2026, 11, 20)
    assert w2.complete and w2.completed == date(2026, 11, 25)
    assert w2.earliest == date(2026, 11, 22)  # canary completed 11-20 + 2 days of soak
    assert not w3.complete and w3.earliest == START  # 11-27 is past: no earlier than today
    assert p.next_wave() == w3


def test_without_to_the_newest_version_in_use_is_the_target() -> None:
    ws = _workspace(_target("envs/dev/a", "5.50.0"), _target("envs/stg/a"))
    p = plan(ws, AWS, to=None, start=START)
    assert p.to == "5.50.0" and "newest" in p.notes[0]
    assert p.waves[0].complete and not p.waves[1].complete


def test_nothing_uses_the_dependency() -> None:
    other = Dependency("aqua", "suzuki-shunsuke/tfcmt")
    p = plan(WS, other, to="v1", start=START)
    assert p.waves == () and p.next_wave() is None and "no state directory" in p.notes[-1]


def test_soak_in_hours_rounds_up_to_days() -> None:
    ws = _workspace(
        _target("envs/dev/a"),
        _target("envs/stg/a"),
        stages=(
            RolloutStage(name="dev", match=(PathGlob("envs/dev/**"),), soak=timedelta(hours=36)),
            _stage("stg"),
        ),
    )
    assert plan(ws, AWS, to="6.0.0", start=START).waves[1].earliest == START + timedelta(days=2)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("5.31.0", "5.50.0", -1),
        ("v4.14.1", "v4.14.0", 1),
        ("1.2", "1.2.0", 0),
        ("1.0.0-beta1", "1.0.0", -1),
        ("v14", "v9", 1),
        ("v2.43.0", "2.43.0", 0),
    ],
)
def test_compare_versions(a: str, b: str, expected: int) -> None:
    assert compare_versions(a, b) == expected
    assert compare_versions(b, a) == -expected


def test_newest() -> None:
    assert newest(["5.9.0", "5.10.0", "5.2.1"]) == "5.10.0"
    assert newest([]) is None
