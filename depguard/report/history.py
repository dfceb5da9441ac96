"""Earlier runs of the weekly report, for its trend.

Two stores with the same content, one :class:`~depguard.report.model.TrendPoint` per run:

* ``--history FILE``: a JSON document (``{"schema": "depguard.report-history/v1", "runs":
  [...]}``) a workflow can commit or keep with ``actions/cache``; written atomically.
* otherwise an SQLite database ``report-history.sqlite3`` in the cache directory, keyed by
  the repository's absolute path (several repositories can share a cache).

At most :data:`KEEP` runs are kept (a year of weekly reports). A run with the same
``generated`` time as a stored one replaces it, so re-running a report does not add a point.
A malformed history file is an :class:`~depguard.errors.InputError`: fail closed rather than
silently start a new trend.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from depguard.errors import InputError
from depguard.report.model import TrendPoint
from depguard.util.text import parse_json

__all__ = ["KEEP", "SCHEMA", "load", "save"]

SCHEMA = "depguard.report-history/v1"
KEEP = 52
_FIELDS = ("generated", "outdated", "skewed", "findings", "skipped", "libyears")


def _point(raw: object, where: str) -> TrendPoint:
    if not isinstance(raw, dict):
        raise InputError(where, "a run must be an object")
    try:
        generated = raw["generated"]
        counts = [raw[k] for k in ("outdated", "skewed", "findings", "skipped")]
        libyears = raw["libyears"]
    except KeyError as e:
        raise InputError(where, f"a run has no {e.args[0]!r}") from None
    if not isinstance(generated, str) or not all(
        isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts
    ):
        raise InputError(where, "a run's counts must be non-negative integers")
    if not isinstance(libyears, int | float) or isinstance(libyears, bool):
        raise InputError(where, "a run's libyears must be a number")
    return TrendPoint(
        generated=generated,
        outdated=counts[0],
        skewed=counts[1],
        findings=counts[2],
        skipped=counts[3],
        libyears=float(libyears),
    )


def _as_dict(p: TrendPoint) -> dict[str, Any]:
    return {k: getattr(p, k) for k in _FIELDS}


def _merge(points: Sequence[TrendPoint], new: TrendPoint) -> list[TrendPoint]:
    kept = [p for p in points if p.generated != new.generated] + [new]
    return sorted(kept, key=lambda p: p.generated)[-KEEP:]


def _db(cache_dir: Path) -> sqlite3.Connection:
    cache_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(cache_dir / "report-history.sqlite3", timeout=10)
    db.execute(
        "CREATE TABLE IF NOT EXISTS runs (repository TEXT NOT NULL, generated TEXT NOT NULL, "
        "outdated INTEGER, skewed INTEGER, findings INTEGER, skipped INTEGER, libyears REAL, "
        "PRIMARY KEY (repository, generated))"
    )
    return db


def load(*, file: Path | None, cache_dir: Path, repository: str) -> tuple[TrendPoint, ...]:
    """The stored runs, oldest first (none yet: empty)."""
    if file is not None:
        if not file.exists():
            return ()
        try:
            text = file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(str(file), f"cannot read the report history: {e}") from e
        doc = parse_json(text, str(file))
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            raise InputError(str(file), f"not a {SCHEMA} document")
        runs = doc.get("runs")
        if not isinstance(runs, list):
            raise InputError(str(file), "runs must be an array")
        points = [_point(r, str(file)) for r in runs]
        return tuple(sorted(points, key=lambda p: p.generated)[-KEEP:])
    try:
        with closing(_db(cache_dir)) as db, db:
            rows = db.execute(
                "SELECT generated, outdated, skewed, findings, skipped, libyears FROM runs "
                "WHERE repository = ? ORDER BY generated",
                (repository,),
            ).fetchall()
    except sqlite3.Error as e:
        raise InputError(str(cache_dir / "report-history.sqlite3"), f"report history: {e}") from e
    return tuple(_point(dict(zip(_FIELDS, r, strict=True)), "report history") for r in rows)[-KEEP:]


def save(point: TrendPoint, *, file: Path | None, cache_dir: Path, repository: str) -> None:
    """Add this run to the store (replacing a run with the same time), keeping :data:`KEEP`."""
    if file is not None:
        from depguard.util.atomic import write_atomic

        points = _merge(load(file=file, cache_dir=cache_dir, repository=repository), point)
        doc = {"schema": SCHEMA, "runs": [_as_dict(p) for p in points]}
        write_atomic(file, json.dumps(doc, indent=2) + "\n")
        return
    try:
        with closing(_db(cache_dir)) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                (repository, *(getattr(point, k) for k in _FIELDS)),
            )
            db.execute(
                "DELETE FROM runs WHERE repository = ? AND generated NOT IN (SELECT generated "
                "FROM runs WHERE repository = ? ORDER BY generated DESC LIMIT ?)",
                (repository, repository, KEEP),
            )
    except sqlite3.Error as e:
        raise InputError(str(cache_dir / "report-history.sqlite3"), f"report history: {e}") from e
