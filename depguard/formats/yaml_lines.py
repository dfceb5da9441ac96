"""Safe YAML loading that keeps line numbers, for aqua's files (aqua.yaml, policies, registries).

:func:`load_yaml` drives PyYAML's *event* stream (libyaml when present) with an explicit stack,
so no recursion depends on the input, and builds plain Python data: mappings are
:class:`LineDict`, sequences :class:`LineList`, both remembering the 1-based line of every node.

It follows aqua's YAML library (go-yaml v2) where the two differ from PyYAML's defaults:

* mapping keys are strings (a non-string scalar key becomes its source text, as when go-yaml
  decodes into a struct or ``map[string]any``);
* timestamps stay strings (go-yaml gives a string for a timestamp-like scalar);
* merge keys (``<<``) apply in document order, each assignment overriding the previous one,
  and earlier mappings of a merged list win over later ones;
* a non-string scalar keeps its source text (:meth:`LineDict.source_text`) because go-yaml
  fills a ``string`` field with the text as written: ``version: 1.10`` is ``"1.10"``, never
  ``1.1``. :func:`get_str` applies that rule.

It refuses what could hide content or exhaust resources: syntax errors, duplicate keys,
duplicate anchors, recursive aliases, more than :data:`MAX_ALIAS_NODES` nodes added by
expanding aliases (billion laughs), nesting deeper than :data:`MAX_DEPTH`, more than
:data:`MAX_BYTES` of text, several documents, and any tag beyond plain data (``!!binary``,
``!!set``, ``!!python/...``, local tags). Every refusal is an :class:`InputError` naming the
file and, where known, the line.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

from depguard.errors import InputError

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "LineDict",
    "LineList",
    "check_keys",
    "describe",
    "get_bool",
    "get_list",
    "get_map",
    "get_str",
    "line_of",
    "load_yaml",
]

MAX_BYTES: Final = 8 * 1024 * 1024
MAX_DEPTH: Final = 64
MAX_ALIAS_NODES: Final = 200_000

_TAG: Final = "tag:yaml.org,2002:"
_STR: Final = _TAG + "str"
_NULL: Final = _TAG + "null"
_BOOL: Final = _TAG + "bool"
_INT: Final = _TAG + "int"
_FLOAT: Final = _TAG + "float"
_MERGE: Final = _TAG + "merge"
# Tags whose scalars stay the text as written (timestamp: go-yaml v2 keeps it a string).
_TEXT_TAGS: Final = frozenset((_STR, _TAG + "timestamp", _TAG + "value", _MERGE))
_SCALAR_TAGS: Final = _TEXT_TAGS | {_NULL, _BOOL, _INT, _FLOAT}


class LineDict(dict[str, Any]):
    """A mapping loaded from YAML; ``line`` is the 1-based line where it starts."""

    __slots__ = ("_key_lines", "_texts", "line")

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self._key_lines: dict[str, int] = {}
        self._texts: dict[str, str] = {}

    def key_line(self, key: str) -> int:
        """Return the line of ``key`` (the mapping's own line when the key is absent)."""
        return self._key_lines.get(key, self.line)

    def source_text(self, key: str) -> str | None:
        """Return the text as written of a non-string scalar value (``1.10``), else None."""
        return self._texts.get(key)


class LineList(list[Any]):
    """A sequence loaded from YAML; ``line`` is the 1-based line where it starts."""

    __slots__ = ("_item_lines", "_texts", "line")

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self._item_lines: list[int] = []
        self._texts: dict[int, str] = {}

    def item_line(self, index: int) -> int:
        """Return the line of item ``index`` (the sequence's own line when out of range)."""
        try:
            return self._item_lines[index]
        except IndexError:
            return self.line

    def source_text(self, index: int) -> str | None:
        """Return the text as written of a non-string scalar item, else None."""
        return self._texts.get(index)


def line_of(obj: object, key: str | int | None = None) -> int | None:
    """Return the line of ``obj`` (or of its ``key`` / item index), None for plain values."""
    if isinstance(obj, LineDict):
        return obj.key_line(key) if isinstance(key, str) else obj.line
    if isinstance(obj, LineList):
        return obj.item_line(key) if isinstance(key, int) else obj.line
    return None


# --- loading ---------------------------------------------------------------------------------


class _Anchor:
    __slots__ = ("height", "open", "size", "text", "value")

    def __init__(self) -> None:
        self.value: Any = None
        self.text: str | None = None
        self.size = 1
        self.height = 0
        self.open = True


class _Frame:
    __slots__ = ("anchor", "container", "explicit", "height", "key", "key_line", "merging", "size")

    def __init__(self, container: LineDict | LineList, anchor: _Anchor | None) -> None:
        self.container = container
        self.anchor = anchor
        self.size = 1
        self.height = 1
        self.key: str | None = None  # mapping: the key waiting for its value
        self.key_line = 0
        self.merging = False  # mapping: the pending key is a merge key ("<<")
        self.explicit: dict[str, int] = {}  # mapping: keys written in this mapping -> line


class _Builder:
    """Turns the event stream of one document into LineDict/LineList/scalars."""

    def __init__(self, y: Any, loader: Any, path: str) -> None:
        self.y = y
        self.loader = loader
        self.path = path
        self.anchors: dict[str, _Anchor] = {}
        self.stack: list[_Frame] = []
        self.expanded = 0
        self.root: Any = None

    def error(self, message: str, line: int | None) -> InputError:
        return InputError(self.path, message, line=line)

    # -- scalars --------------------------------------------------------------------------

    def scalar(self, event: Any, line: int) -> tuple[Any, str | None]:
        """Return (value, source text of a non-string scalar)."""
        tag = event.tag
        value: str = event.value
        if tag is None or tag == "!":
            tag = self.loader.resolve(self.y.ScalarNode, value, event.implicit)
        if tag not in _SCALAR_TAGS:
            raise self.error(f"unsupported YAML tag {_short(tag)!r} (only plain data)", line)
        if tag in _TEXT_TAGS:
            return value, None
        if tag == _NULL:
            return None, None
        if tag == _BOOL:
            result = self.loader.bool_values.get(value.lower())
            if result is None:
                raise self.error(f"invalid !!bool value {value!r}", line)
            return result, value
        node = self.y.ScalarNode(tag, value, event.start_mark, event.end_mark)
        try:
            if tag == _INT:
                return self.loader.construct_yaml_int(node), value
            return self.loader.construct_yaml_float(node), value
        except (ValueError, OverflowError, self.y.YAMLError) as e:
            raise self.error(f"invalid {_short(tag)} value {value[:40]!r}", line) from e

    def key_of(self, event: Any, line: int) -> str:
        if isinstance(event, self.y.AliasEvent):
            anchor = self.lookup(event.anchor, line)
            if isinstance(anchor.value, (LineDict, LineList)):
                raise self.error("mapping keys must be scalars, not a mapping or a list", line)
            value: Any = anchor.value
            text = anchor.text
        else:
            if event.anchor is not None:
                self.define(event.anchor, line)
            value, text = self.scalar(event, line)
            if event.anchor is not None:
                self.close_anchor(self.anchors[event.anchor], value, 1, 0, text)
        if isinstance(value, str):
            return value
        if value is None:
            raise self.error("a mapping key is null", line)
        return text if text is not None else str(value)

    # -- anchors --------------------------------------------------------------------------

    def define(self, name: str, line: int) -> _Anchor:
        # YAML lets an anchor be redefined (later aliases see the newest), and so do Go's YAML
        # libraries aqua uses: the standard registry.yaml concatenates files whose anchor names
        # repeat. PyYAML's composer would refuse it; this builder does not.
        anchor = _Anchor()
        self.anchors[name] = anchor
        return anchor

    def lookup(self, name: str, line: int) -> _Anchor:
        anchor = self.anchors.get(name)
        if anchor is None:
            raise self.error(f"alias *{name} refers to no anchor", line)
        if anchor.open:
            raise self.error(f"alias *{name} is inside its own anchor (recursive alias)", line)
        return anchor

    @staticmethod
    def close_anchor(
        anchor: _Anchor, value: Any, size: int, height: int, text: str | None = None
    ) -> None:
        anchor.value = value
        anchor.text = text
        anchor.size = size
        anchor.height = height
        anchor.open = False

    # -- tree -----------------------------------------------------------------------------

    def start(self, event: Any, line: int, mapping: bool) -> None:
        tag = event.tag
        want = _TAG + ("map" if mapping else "seq")
        if tag not in (None, "!", want):
            raise self.error(f"unsupported YAML tag {_short(tag)!r} (only plain data)", line)
        if len(self.stack) >= MAX_DEPTH:
            raise self.error(f"YAML nesting is deeper than {MAX_DEPTH} levels", line)
        anchor = self.define(event.anchor, line) if event.anchor is not None else None
        container: LineDict | LineList = LineDict(line) if mapping else LineList(line)
        self.stack.append(_Frame(container, anchor))

    def end(self) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.close_anchor(frame.anchor, frame.container, frame.size, frame.height)
        self.add(frame.container, None, frame.container.line, frame.size, frame.height)

    def expecting_key(self) -> bool:
        top = self.stack[-1]
        return isinstance(top.container, LineDict) and top.key is None

    def alias(self, event: Any, line: int) -> None:
        anchor = self.lookup(event.anchor, line)
        if len(self.stack) + anchor.height > MAX_DEPTH:
            raise self.error(f"YAML nesting is deeper than {MAX_DEPTH} levels", line)
        self.expanded += anchor.size
        if self.expanded > MAX_ALIAS_NODES:
            raise self.error(
                f"aliases expand to more than {MAX_ALIAS_NODES} values (alias bomb?)", line
            )
        self.add(anchor.value, anchor.text, line, anchor.size, anchor.height)

    def add(self, value: Any, text: str | None, line: int, size: int, height: int) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.size += size
        top.height = max(top.height, height + 1)
        container = top.container
        if isinstance(container, LineList):
            if text is not None:
                container._texts[len(container)] = text
            container.append(value)
            container._item_lines.append(line)
            return
        key = top.key
        assert key is not None
        top.key = None
        if top.merging:
            top.merging = False
            self.merge(container, value, line)
            return
        container[key] = value
        container._key_lines[key] = top.key_line
        if text is not None:
            container._texts[key] = text
        else:
            container._texts.pop(key, None)

    def mapping_key(self, event: Any, line: int) -> None:
        top = self.stack[-1]
        is_merge = (
            isinstance(event, self.y.ScalarEvent)
            and event.value == "<<"
            and (event.tag == _MERGE or (event.tag is None and event.implicit[0]))
        )
        if is_merge:
            top.key, top.key_line, top.merging = "<<", line, True
            return
        key = self.key_of(event, line)
        first = top.explicit.get(key)
        if first is not None:
            raise self.error(f"duplicate key {key!r} (first on line {first})", line)
        top.explicit[key] = line
        top.key, top.key_line = key, line

    def merge(self, target: LineDict, value: Any, line: int) -> None:
        # go-yaml v2: a merged mapping's keys are assigned in document order (later
        # assignments win); in a list of mappings the earlier ones take precedence.
        if isinstance(value, LineDict):
            sources = [value]
        elif isinstance(value, LineList) and all(isinstance(v, LineDict) for v in value):
            sources = list(reversed(value))
        else:
            raise self.error("'<<' merges only a mapping or a list of mappings", line)
        for source in sources:
            for key, item in source.items():
                target[key] = item
                target._key_lines[key] = source.key_line(key)
                text = source.source_text(key)
                if text is not None:
                    target._texts[key] = text
                else:
                    target._texts.pop(key, None)

    def feed(self, event: Any) -> None:
        y = self.y
        line = _event_line(event)
        if self.stack and self.expecting_key() and not isinstance(event, y.MappingEndEvent):
            if isinstance(event, (y.MappingStartEvent, y.SequenceStartEvent)):
                raise self.error("mapping keys must be scalars, not a mapping or a list", line)
            self.mapping_key(event, line)
        elif isinstance(event, y.ScalarEvent):
            anchor = self.define(event.anchor, line) if event.anchor is not None else None
            value, text = self.scalar(event, line)
            if anchor is not None:
                self.close_anchor(anchor, value, 1, 0, text)
            self.add(value, text, line, 1, 0)
        elif isinstance(event, y.AliasEvent):
            self.alias(event, line)
        elif isinstance(event, y.MappingStartEvent):
            self.start(event, line, mapping=True)
        elif isinstance(event, y.SequenceStartEvent):
            self.start(event, line, mapping=False)
        elif isinstance(event, (y.MappingEndEvent, y.SequenceEndEvent)):
            self.end()
        else:  # pragma: no cover - the parser emits nothing else inside a document
            raise self.error(f"unexpected YAML event {type(event).__name__}", line)


def _event_line(event: Any) -> int:
    mark = event.start_mark
    return int(mark.line) + 1 if mark is not None else 0


def _short(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def load_yaml(text: str, path: str) -> Any:
    """Load one YAML document; ``path`` is the display path used in errors.

    Returns plain data (``LineDict``, ``LineList``, str, int, float, bool, None), or None for
    an empty document. Raises :class:`InputError` with the line for invalid YAML and for
    everything the module docstring lists as refused.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise InputError(path, f"YAML file is larger than {MAX_BYTES} bytes")
    import yaml

    loader_cls: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    loader: Any = None
    documents = 0
    try:
        loader = loader_cls(text)  # the pure-Python reader checks characters here
        builder = _Builder(yaml, loader, path)
        while True:
            event: Any = loader.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.StreamStartEvent):
                continue
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise InputError(
                        path,
                        "several YAML documents in one file (only one is allowed)",
                        line=_event_line(event),
                    )
                continue
            if isinstance(event, yaml.DocumentEndEvent):
                continue
            builder.feed(event)
    except yaml.MarkedYAMLError as e:
        raise InputError(path, f"invalid YAML: {_problem(e)}", line=_mark_line(e)) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, max(e.position, 0)) + 1
        raise InputError(path, f"invalid YAML: {e.reason}", line=line) from None
    except yaml.YAMLError as e:
        raise InputError(path, f"invalid YAML: {e}") from None
    finally:
        if loader is not None and hasattr(loader, "dispose"):
            loader.dispose()
    return builder.root


def _mark_line(e: Any) -> int | None:
    mark = e.problem_mark or e.context_mark
    return mark.line + 1 if mark is not None else None


def _problem(e: Any) -> str:
    if e.problem and e.context:
        # PyYAML splits "expected X, but found Y" over context and problem.
        sep = ", " if str(e.problem).startswith("but ") else ": "
        return f"{e.context}{sep}{e.problem}"
    return str(e.problem or e.context or "syntax error")


# --- typed access with file:line errors --------------------------------------------------------


def describe(value: object) -> str:
    """Return a short description of a loaded value for error messages ("a list", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        if value.bit_length() > 128:
            return f"an integer ({value.bit_length()} bits)"
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def check_keys(mapping: LineDict, allowed: Collection[str], path: str, where: str = "") -> None:
    """Raise :class:`InputError` at the first key of ``mapping`` that is not ``allowed``."""
    for key in mapping:
        if key not in allowed:
            import difflib

            close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
            place = f"in {where}" if where else "at the top level"
            raise InputError(
                path,
                f"unknown key {key!r} {place} (expected one of: {', '.join(sorted(allowed))})",
                line=mapping.key_line(key),
                hint=f"did you mean {close[0]!r}?" if close else None,
            )


def get_str(mapping: LineDict, key: str, path: str, where: str = "") -> str | None:
    """Return ``mapping[key]`` as go-yaml fills a ``string`` field; None when absent or null.

    A number or boolean gives its text as written; a mapping or list is an InputError.
    """
    value = mapping.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        raise InputError(
            path,
            f"{_join(where, key)}: expected a string, got {describe(value)}",
            line=mapping.key_line(key),
        )
    text = mapping.source_text(key)
    return text if text is not None else str(value)


def get_bool(mapping: LineDict, key: str, path: str, where: str = "") -> bool | None:
    """Return ``mapping[key]`` as a boolean; None when absent or null; else InputError."""
    value = mapping.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise InputError(
        path,
        f"{_join(where, key)}: expected a boolean, got {describe(value)}",
        line=mapping.key_line(key),
    )


def get_list(mapping: LineDict, key: str, path: str, where: str = "") -> LineList | None:
    """Return ``mapping[key]`` as a list; None when absent or null; else InputError."""
    value = mapping.get(key)
    if value is None or isinstance(value, LineList):
        return value
    raise InputError(
        path,
        f"{_join(where, key)}: expected a list, got {describe(value)}",
        line=mapping.key_line(key),
    )


def get_map(mapping: LineDict, key: str, path: str, where: str = "") -> LineDict | None:
    """Return ``mapping[key]`` as a mapping; None when absent or null; else InputError."""
    value = mapping.get(key)
    if value is None or isinstance(value, LineDict):
        return value
    raise InputError(
        path,
        f"{_join(where, key)}: expected a mapping, got {describe(value)}",
        line=mapping.key_line(key),
    )
