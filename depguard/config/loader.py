"""The strict loader of ``depguard.yaml`` (CONVENTIONS §12): text or file in, :class:`Config` out.

* YAML is *composed* with ``yaml.SafeLoader`` into nodes and then walked against the
  declarative spec (:data:`depguard.config.spec.SPEC`), so every error names ``file:line`` and
  the dotted key path. Only plain data tags are accepted (strings, numbers, booleans, null,
  lists, mappings); ``!!python/...`` and any other tag is refused before anything is
  constructed. Anchors, aliases and ``<<`` merge keys work; a node budget stops alias/merge
  bombs.
* Unknown keys, duplicate keys, wrong types and invalid values are a :class:`ConfigError`.
* Absent keys take the defaults of the dataclasses in :mod:`depguard.config.model`.
* Paths in the file (``cache_dir``, ``snapshot_dirs``) are relative to the file's directory.

``yaml`` is imported lazily so that importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from depguard.config.model import Config
from depguard.config.spec import SPEC, DynamicMap, Leaf, Seq, Spec, join_key
from depguard.errors import ConfigError

if TYPE_CHECKING:
    import yaml

_MAX_CONFIG_BYTES = 1024 * 1024

# --- the YAML walker ------------------------------------------------------------------------

_MAX_NODES = 100_000  # alias/merge expansion budget of one document
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
_MERGE_TAG = _TAG + "merge"


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (date, datetime)):
        return "date"
    return type(value).__name__


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


class _Walker:
    """Walks composed YAML nodes against a spec; every error names ``file:line`` and a key."""

    def __init__(self, yaml_mod: Any, loader: yaml.SafeLoader, display: str) -> None:
        self.yaml = yaml_mod
        self.loader = loader
        self.display = display
        self.budget = _MAX_NODES
        self.merging: set[int] = set()

    def error(self, node: yaml.Node, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(f"{self.display}:{node.start_mark.line + 1}: {message}", hint=hint)

    def spend(self, node: yaml.Node) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise self.error(
                node, f"too many values (over {_MAX_NODES} after expanding aliases and merges)"
            )

    def check_tag(self, node: yaml.Node) -> None:
        y = self.yaml
        ok = (
            (isinstance(node, y.ScalarNode) and node.tag in _SCALAR_TAGS)
            or (isinstance(node, y.SequenceNode) and node.tag == _TAG + "seq")
            or (isinstance(node, y.MappingNode) and node.tag == _TAG + "map")
        )
        if not ok:
            tag = node.tag.replace(_TAG, "!!")
            raise self.error(
                node,
                f"unsupported YAML tag {tag!r}",
                "the policy is plain data: strings, numbers, booleans, lists and mappings",
            )

    def scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (self.yaml.YAMLError, ValueError, OverflowError) as e:
            raise self.error(node, f"invalid {node.tag.replace(_TAG, '!!')} value") from e

    def describe(self, node: yaml.Node) -> str:
        if isinstance(node, self.yaml.MappingNode):
            return "a mapping"
        if isinstance(node, self.yaml.SequenceNode):
            return "a list"
        assert isinstance(node, self.yaml.ScalarNode)
        kind = _kind_of(self.scalar(node))
        if kind == "null":
            return "null (an empty value)"
        raw = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        return f"{_article(kind)} ({raw!r})" if kind == "string" else f"{_article(kind)} ({raw})"

    def value(self, node: yaml.Node, spec: Spec, path: str) -> Any:
        self.spend(node)
        self.check_tag(node)
        if isinstance(spec, Leaf):
            return self.leaf(node, spec, path)
        if isinstance(spec, Seq):
            return self.seq(node, spec, path)
        pairs = self.mapping(node, path)
        if isinstance(spec, DynamicMap):
            return self.dict(pairs, spec, path)
        kwargs: dict[str, Any] = {}
        for key, (knode, vnode) in pairs.items():
            if key not in spec.fields:
                where = f"in {path}" if path else "at the top level"
                expected = ", ".join(sorted(spec.fields))
                raise self.error(
                    knode,
                    f"unknown key {key!r} {where} (expected one of: {expected})",
                    _did_you_mean(key, spec.fields),
                )
            kwargs[key] = self.value(vnode, spec.fields[key], join_key(path, key))
        for key in spec.required:
            if key not in pairs:
                raise self.error(node, f"{path}: missing required key {key!r}")
        try:
            return spec.build(**kwargs)
        except ValueError as e:
            raise self.error(node, f"{path}: {e}" if path else str(e)) from e

    def leaf(self, node: yaml.Node, spec: Leaf, path: str) -> Any:
        if not isinstance(node, self.yaml.ScalarNode):
            raise self.error(node, f"{path}: expected {spec.what}, got {self.describe(node)}")
        value = self.scalar(node)
        kind = _kind_of(value)
        if kind not in spec.kinds:
            hint = spec.hint(value) if spec.hint else None
            if hint is None and "string" in spec.kinds and node.style is None and kind != "null":
                hint = f"write it in quotes ('{node.value}') if you meant the string"
            raise self.error(node, f"{path}: expected {spec.what}, got {self.describe(node)}", hint)
        try:
            return spec.convert(value)
        except ValueError as e:
            raise self.error(node, f"{path}: {e}") from e

    def seq(self, node: yaml.Node, spec: Seq, path: str) -> tuple[Any, ...]:
        if not isinstance(node, self.yaml.SequenceNode):
            hint = None
            if isinstance(node, self.yaml.ScalarNode) and node.value:
                hint = f"write a list, like [{node.value}]"
            raise self.error(node, f"{path}: expected a list, got {self.describe(node)}", hint)
        items: list[Any] = []
        seen: dict[object, int] = {}
        for i, item_node in enumerate(node.value):
            item = self.value(item_node, spec.item, f"{path}[{i}]")
            if spec.unique is not None:
                key = spec.unique(item)
                line = item_node.start_mark.line + 1
                if key in seen:
                    raise self.error(
                        item_node,
                        f"{path}[{i}]: duplicate entry {str(key)!r} (first on line {seen[key]})",
                    )
                seen[key] = line
            items.append(item)
        if len(items) < spec.min_items:
            raise self.error(node, f"{path}: must not be empty")
        return tuple(items)

    def mapping(self, node: yaml.Node, path: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Return ``key -> (key node, value node)`` with merges applied; null is empty."""
        y = self.yaml
        if isinstance(node, y.ScalarNode) and node.tag == _TAG + "null":
            return {}
        if not isinstance(node, y.MappingNode):
            what = f"{path}: expected" if path else "the top level must be"
            raise self.error(node, f"{what} a mapping of keys to values, got {self.describe(node)}")
        if id(node) in self.merging:
            raise self.error(node, f"{path or 'top level'}: a mapping merges itself ('<<')")
        self.merging.add(id(node))
        try:
            own: dict[str, tuple[yaml.Node, yaml.Node]] = {}
            merged: list[dict[str, tuple[yaml.Node, yaml.Node]]] = []
            for knode, vnode in node.value:
                self.spend(knode)
                if knode.tag == _MERGE_TAG:
                    self.check_tag(vnode)
                    sources = vnode.value if isinstance(vnode, y.SequenceNode) else [vnode]
                    for source in sources:
                        self.check_tag(source)
                        if not isinstance(source, y.MappingNode):
                            raise self.error(source, f"{path}: '<<' merges only mappings")
                        merged.append(self.mapping(source, path))
                    continue
                key = self.key(knode)
                if key in own:
                    first = own[key][0].start_mark.line + 1
                    where = f"in {path}" if path else "at the top level"
                    raise self.error(
                        knode, f"duplicate key {key!r} {where} (first on line {first})"
                    )
                own[key] = (knode, vnode)
        finally:
            self.merging.discard(id(node))
        # YAML merge: the mapping's own keys win, then earlier merged mappings over later ones.
        result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for m in reversed(merged):
            result.update(m)
        result.update(own)
        return result

    def key(self, node: yaml.Node) -> str:
        self.check_tag(node)
        if not isinstance(node, self.yaml.ScalarNode):
            raise self.error(node, f"keys must be strings, got {self.describe(node)}")
        value = self.scalar(node)
        if not isinstance(value, str):
            raise self.error(
                node,
                f"keys must be strings, got {self.describe(node)}",
                f"write it in quotes ('{node.value}')",
            )
        return value

    def dict(
        self, pairs: dict[str, tuple[yaml.Node, yaml.Node]], spec: DynamicMap, path: str
    ) -> Any:
        entries: dict[str, Any] = {}
        for key, (knode, vnode) in pairs.items():
            try:
                spec.key(key)
            except ValueError as e:
                hint = _did_you_mean(key, spec.known_keys(), spec.what_key)
                raise self.error(knode, str(e), hint or spec.key_help) from e
            entries[key] = self.value(vnode, spec.value, f"{path}.{key}")
        return spec.build(entries)


def _did_you_mean(key: str, choices: Iterable[str], what: str = "key") -> str | None:
    import difflib

    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    return f"did you mean the {what} {close[0]!r}?" if close else None


# --- public API -----------------------------------------------------------------------------


def parse_config(text: str, path: str, *, base_dir: Path | None = None) -> Config:
    """Parse the text of a ``depguard.yaml``; ``path`` is the display path used in errors.

    An empty document (or one holding only comments) gives the defaults. Relative
    ``cache_dir`` and ``snapshot_dirs`` are joined to ``base_dir`` when given. Returns a
    :class:`Config`; raises :class:`ConfigError` naming ``path:line`` for any problem.
    """
    import yaml

    loader: yaml.SafeLoader | None = None
    try:
        try:
            loader = yaml.SafeLoader(text)
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = f":{mark.line + 1}" if mark is not None else ""
            if e.problem and e.context:
                # PyYAML splits "expected X, but found Y" over context and problem.
                sep = ", " if e.problem.startswith("but ") else ": "
                problem = f"{e.context}{sep}{e.problem}"
            else:
                problem = e.problem or e.context or "syntax error"
            raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from e
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: invalid YAML: {e}") from e
        except RecursionError:
            raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None
        if node is None:
            return replace(Config(), source=path)
        config: Config = _Walker(yaml, loader, path).value(node, SPEC, "")
    finally:
        if loader is not None:
            loader.dispose()
    if base_dir is not None:
        config = replace(
            config,
            cache_dir=None if config.cache_dir is None else base_dir / config.cache_dir,
            snapshot_dirs=tuple(base_dir / p for p in config.snapshot_dirs),
            trust=replace(
                config.trust,
                aqua=replace(
                    config.trust.aqua,
                    policy_files=tuple(base_dir / p for p in config.trust.aqua.policy_files),
                ),
            ),
        )
    return replace(config, source=path)


def load_config(path: Path | None, *, display_path: str | None = None) -> Config:
    """Read and parse the policy file at ``path`` (``None``: the built-in defaults).

    Paths in the file are relative to its directory. ``display_path`` (default ``str(path)``)
    names the file in errors. Returns a :class:`Config`; raises :class:`ConfigError` when the
    file cannot be read, is not UTF-8, is larger than 1 MiB, or is invalid.
    """
    if path is None:
        return Config()
    display = display_path if display_path is not None else str(path)
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise ConfigError(f"{display}: cannot read config file: {e.strerror or e}") from e
    if len(data) > _MAX_CONFIG_BYTES:
        raise ConfigError(f"{display}: config file is larger than {_MAX_CONFIG_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{display}: config file is not UTF-8 ({e.reason})") from e
    return parse_config(text, display, base_dir=path.parent)
