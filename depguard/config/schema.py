"""The JSON schema of ``depguard.yaml`` (draft 2020-12), generated from the loader's spec.

:func:`schema` walks :data:`depguard.config.spec.SPEC`, the spec the loader walks, so the
schema editors use and the loader accept the same keys, types, patterns and enums:

* a :class:`~depguard.config.spec.Map` is an object with ``additionalProperties: false``, its
  keys as ``properties`` and its ``required`` keys; it may be ``null`` (the loader reads an
  empty value as an empty mapping) unless it has required keys;
* a :class:`~depguard.config.spec.Seq` is an array (``minItems``; ``uniqueItems`` when its
  scalar items must not repeat);
* a :class:`~depguard.config.spec.Leaf` has the JSON types of its kinds;
* the ``rules`` :class:`~depguard.config.spec.DynamicMap` has one property per known rule id,
  each referencing ``$defs/ruleSettings``;
* a node's :class:`~depguard.config.spec.Json` adds keywords (patterns, enums, examples) and,
  with a name, makes it a ``$defs`` entry referenced where it is used;
* ``default`` comes from the dataclass a ``Map`` builds (``depguard.config.model``), written
  back in the file's syntax; absent (``None``) defaults and nested objects have none.

``python -m depguard.config.schema`` writes ``manifests/schema/depguard.schema.json``
atomically; ``--check`` exits 1 when the file differs from what would be written.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from depguard.config.spec import SPEC, DynamicMap, Leaf, Map, Seq, Spec
from depguard.config.values import format_duration

__all__ = ["DRAFT", "SCHEMA_PATH", "main", "render", "schema"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: Where the repository ships the schema (``manifests/`` is not part of the wheel).
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "manifests" / "schema" / "depguard.schema.json"

_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
_JSON_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")


class _Builder:
    """Builds the schema of one spec tree, collecting named nodes under ``$defs``."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any] | None] = {}

    def use(self, spec: Spec, default: Any = dataclasses.MISSING) -> dict[str, Any]:
        """The schema of ``spec`` where it is used: a reference to its definition when it is
        named, else the definition inline; with its use-site description and default."""
        name = spec.json.name
        if name is None:
            node = self.define(spec)
            if spec.doc:
                node = _with_description(node, spec.doc)
        else:
            self.register(name, spec)
            node = {"$ref": f"#/$defs/{name}"}
            if spec.doc:
                node["description"] = spec.doc
        if default is not dataclasses.MISSING:
            node["default"] = default
        return node

    def register(self, name: str, spec: Spec) -> None:
        if name in self.defs:
            existing = self.defs[name]
            if existing is not None and existing != self.define(spec):
                raise RuntimeError(f"two different spec nodes are named {name!r}")
            return
        self.defs[name] = None  # placeholder: definitions appear in the order first used
        self.defs[name] = self.define(spec)

    def define(self, spec: Spec) -> dict[str, Any]:
        """The schema of ``spec`` itself: type, the definition's description, keywords."""
        keywords = dict(spec.json.keywords)
        node: dict[str, Any] = {}
        if isinstance(spec, Leaf):
            if "oneOf" not in keywords:  # the alternatives carry their own types
                kinds = [_JSON_TYPES[k] for k in sorted(spec.kinds) if k in _JSON_TYPES]
                node["type"] = _json_type(kinds)
        elif isinstance(spec, Seq):
            node["type"] = "array"
        else:
            nullable = isinstance(spec, DynamicMap) or not spec.required
            node["type"] = _json_type(["object", "null"] if nullable else ["object"])
        if spec.json.name is not None and spec.json.doc:
            node["description"] = spec.json.doc
        if isinstance(spec, Seq):
            node["items"] = self.use(spec.item)
            if spec.min_items:
                node["minItems"] = spec.min_items
            if spec.unique is not None and isinstance(spec.item, Leaf):
                # Items that are objects are unique by a key (a stage's name), which JSON
                # Schema cannot say; scalars are unique as a whole.
                node["uniqueItems"] = True
        elif isinstance(spec, Map):
            node["additionalProperties"] = False
            defaults = _defaults(spec)
            node["properties"] = {
                key: self.use(sub, defaults.get(key, dataclasses.MISSING))
                for key, sub in spec.fields.items()
            }
            if spec.required:
                node["required"] = list(spec.required)
        elif isinstance(spec, DynamicMap):
            node["additionalProperties"] = False
            node["properties"] = {key: self.use(spec.value) for key in spec.known_keys()}
        node.update(keywords)
        return node


def _json_type(kinds: Sequence[str]) -> str | list[str]:
    ordered = sorted(kinds, key=_JSON_TYPE_ORDER.index)
    return ordered[0] if len(ordered) == 1 else ordered


def _with_description(node: dict[str, Any], description: str) -> dict[str, Any]:
    """``node`` with ``description`` right after its type (where a reader looks first)."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        out[key] = value
        if key == "type":
            out["description"] = description
    out.setdefault("description", description)
    return out


def _defaults(spec: Map) -> dict[str, Any]:
    """The defaults of ``spec``'s keys, from the dataclass it builds, in the file's syntax.

    Nested objects (``Map``, ``DynamicMap``) are described by their own keys' defaults, and a
    ``None`` default means "absent" (no restriction, no limit), which JSON cannot say.
    """
    build = spec.build
    if not (isinstance(build, type) and dataclasses.is_dataclass(build)):
        return {}
    out: dict[str, Any] = {}
    for f in dataclasses.fields(build):
        sub = spec.fields.get(f.name)
        if sub is None or isinstance(sub, (Map, DynamicMap)):
            continue
        if f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            continue
        if value is not None:
            out[f.name] = _dump(value, sub)
    return out


def _dump(value: Any, spec: Spec) -> Any:
    """``value`` of the model as the file would spell it (JSON data)."""
    if isinstance(spec, Leaf) and spec.dump is not None:
        return spec.dump(value)
    if isinstance(spec, Seq):
        return [_dump(item, spec.item) for item in value]
    if isinstance(spec, Map) and dataclasses.is_dataclass(value):
        return {
            key: _dump(getattr(value, key), sub)
            for key, sub in spec.fields.items()
            if getattr(value, key) is not None
        }
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, enum.Enum):
        return value.name.lower()
    return str(value)  # NameGlob, PathGlob, Platform, Path


def schema() -> dict[str, Any]:
    """Return the JSON schema (draft 2020-12) of ``depguard.yaml``, generated from the spec.

    Returns plain JSON data; raises ``RuntimeError`` if two different spec nodes share a
    ``$defs`` name (a mistake in the spec, not in user input).
    """
    builder = _Builder()
    root = builder.use(SPEC)
    title = root.pop("title", None)
    head: dict[str, Any] = {"$schema": DRAFT}
    if title is not None:
        head["title"] = title
    defs = {name: node for name, node in builder.defs.items() if node is not None}
    return {**head, **root, "$defs": defs}


def render() -> str:
    """Return the schema as the shipped file spells it: 2-space indented, trailing newline."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m depguard.config.schema [--check] [FILE]``: write the schema to ``FILE``
    (default: the repository's ``manifests/schema/depguard.schema.json``) atomically, or with
    ``--check`` compare it. Returns the exit code: 0 written or up to date, 1 out of date,
    2 unreadable or unwritable file."""
    import argparse

    from depguard.util.atomic import write_atomic

    parser = argparse.ArgumentParser(
        prog="python -m depguard.config.schema",
        description="Generate the JSON schema of depguard.yaml from the config spec.",
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if FILE is out of date"
    )
    parser.add_argument("file", nargs="?", type=Path, default=SCHEMA_PATH, metavar="FILE")
    args = parser.parse_args(argv)
    path: Path = args.file
    text = render()
    if args.check:
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        except OSError as e:
            print(f"{path}: cannot read: {e.strerror or e}", file=sys.stderr)
            return 2
        if current != text:
            print(
                f"{path} is out of date: run python -m depguard.config.schema",
                file=sys.stderr,
            )
            return 1
        return 0
    try:
        write_atomic(path, text)
    except OSError as e:
        print(f"{path}: cannot write: {e.strerror or e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
