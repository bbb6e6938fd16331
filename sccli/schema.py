"""A small validator for YAML configuration that reports ``file:line: key.path: problem``.

Why not a big library: we need line numbers from the YAML nodes themselves, unknown keys
as errors, and secret references enforced, with no start-up cost. Schemas are plain
objects; ``convert`` turns a composed YAML node into a typed Python value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

import yaml

from .errors import ConfigurationError, one_line

# Limits on what a configuration file may be: a hand-written file is far below all of them;
# beyond them a file is a mistake or an attack (an alias bomb of a few lines expands to
# billions of values), refused in one line before anything grows.
MAX_BYTES = 256 * 1024  # file size
MAX_DEPTH = 50  # nesting of mappings and lists
MAX_NODES = 20_000  # values in the document, counting what every alias (*name) repeats
MAX_ALIASES = 100  # aliases (*name) in the document

# Messages quote the file's text; a value or key is shown cut to this length.
_SHOW = 60
_MAX_PATH, _MAX_MESSAGE = 200, 400


class ConfigError(ConfigurationError):
    """A configuration mistake, already phrased for the user: ``file:line: key.path: problem``
    (exit 2). The path and the problem are cut to a few hundred characters, so a message
    never repeats a file's content."""

    def __init__(self, where: str, line: int | None, path: str, message: str):
        path, message = one_line(path, _MAX_PATH), one_line(message, _MAX_MESSAGE)
        self.where, self.line, self.path, self.message = where, line, path, message
        loc = f"{where}:{line}" if line else where
        super().__init__(f"{loc}: {path}: {message}" if path else f"{loc}: {message}")


@dataclass
class Ctx:
    file: str

    def fail(self, node: yaml.Node | None, path: str, message: str) -> ConfigError:
        mark = getattr(node, "start_mark", None)
        line = mark.line + 1 if mark is not None else None
        return ConfigError(self.file, line, path or "(top)", message)


_scalar_loader = yaml.SafeLoader("")


def scalar_value(node: yaml.Node) -> Any:
    """The Python value of a scalar node; None for a mapping or a list (see ``_kind``): a
    collection is never constructed here, so it can never be turned into (huge) text."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    try:
        return _scalar_loader.construct_object(node, deep=True)
    except (ValueError, OverflowError, yaml.YAMLError):
        return node.value  # e.g. an impossible date: let the schema report it as text


def show(value: Any) -> str:
    """``repr(value)`` for a message, cut to a few dozen characters."""
    return one_line(repr(value), _SHOW)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = one_line(key, _SHOW)
    return f"{path}.{key}" if path else key


def _key_of(node: yaml.Node, path: str, ctx: Ctx) -> str:
    """A mapping key as text; a key must be a scalar (``? [a, b]: x`` is refused)."""
    if not isinstance(node, yaml.ScalarNode):
        raise ctx.fail(node, path, f"a key must be a name, got a {_kind(node)}")
    return str(scalar_value(node))


class Schema:
    expected = "a value"

    def convert(self, node: yaml.Node, path: str, ctx: Ctx) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _scalar_of(self, node: yaml.Node, path: str, ctx: Ctx) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise ctx.fail(node, path, f"expected {self.expected}, got a {_kind(node)}")
        return scalar_value(node)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "mapping"
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return "scalar"


class Str(Schema):
    def __init__(
        self,
        choices: tuple[str, ...] | None = None,
        pattern: str | None = None,
        expected: str | None = None,
        allow_empty: bool = False,
    ):
        self.choices, self.allow_empty = choices, allow_empty
        self.pattern = re.compile(pattern) if pattern else None
        if choices:
            self.expected = "one of: " + ", ".join(choices)
        else:
            self.expected = expected or "a string"

    def convert(self, node, path, ctx):
        value = self._scalar_of(node, path, ctx)
        if value is None or isinstance(value, (dict, list)):
            raise ctx.fail(node, path, f"missing value (expected {self.expected})")
        value = str(value) if not isinstance(value, bool) else ("true" if value else "false")
        if not value.strip() and not self.allow_empty:
            raise ctx.fail(node, path, f"empty value (expected {self.expected})")
        if self.choices and value not in self.choices:
            raise ctx.fail(node, path, f"{show(value)} is not allowed (expected {self.expected})")
        if self.pattern and not self.pattern.fullmatch(value):
            raise ctx.fail(node, path, f"{show(value)} is malformed (expected {self.expected})")
        return value


class SecretRef(Str):
    """A credential: only ``env:NAME`` or ``keyring:NAME`` is accepted, never the secret."""

    expected = "env:NAME or keyring:NAME"

    def __init__(self):
        super().__init__(expected=self.expected)

    def convert(self, node, path, ctx):
        value = super().convert(node, path, ctx)
        if not re.fullmatch(r"(env|keyring):[A-Za-z_][A-Za-z0-9_.\-]*", value):
            raise ctx.fail(
                node,
                path,
                "secrets are not accepted in config files; store it in an environment"
                " variable or the OS keyring and write env:NAME or keyring:NAME",
            )
        return value


class Int(Schema):
    def __init__(self, minimum: int | None = None, maximum: int | None = None):
        self.minimum, self.maximum = minimum, maximum
        self.expected = "an integer" + (f" ≥ {minimum}" if minimum is not None else "")

    def convert(self, node, path, ctx):
        value = self._scalar_of(node, path, ctx)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.fail(node, path, f"{show(value)} is not {self.expected}")
        if self.minimum is not None and value < self.minimum:
            raise ctx.fail(node, path, f"{value} is too small (expected {self.expected})")
        if self.maximum is not None and value > self.maximum:
            raise ctx.fail(node, path, f"{value} is too large (at most {self.maximum})")
        return value


class Float(Schema):
    def __init__(self, minimum: float, maximum: float):
        self.minimum, self.maximum = minimum, maximum
        self.expected = f"a number between {minimum} and {maximum}"

    def convert(self, node, path, ctx):
        value = self._scalar_of(node, path, ctx)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.fail(node, path, f"{show(value)} is not a number (expected {self.expected})")
        if not self.minimum <= value <= self.maximum:
            raise ctx.fail(node, path, f"{value} is out of range (expected {self.expected})")
        return float(value)


class Bool(Schema):
    expected = "true or false"

    def convert(self, node, path, ctx):
        value = self._scalar_of(node, path, ctx)
        if not isinstance(value, bool):
            raise ctx.fail(node, path, f"{show(value)} is not {self.expected}")
        return value


_DURATION = re.compile(r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?")


def parse_duration(text: str) -> int | None:
    """'30m', '2h', '1h30m', '45s', '2d' (days of 24 h) → seconds; None when malformed."""
    text = text.strip().lower()
    match = _DURATION.fullmatch(text)
    if not text or not match or not any(match.groups()):
        return None
    d, h, m, s = (int(g) if g else 0 for g in match.groups())
    return ((d * 24 + h) * 60 + m) * 60 + s


class Duration(Schema):
    expected = "a duration like 30m, 2h, 1h30m or seconds as an integer"

    def convert(self, node, path, ctx):
        value = self._scalar_of(node, path, ctx)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        seconds = parse_duration(str(value)) if isinstance(value, str) else None
        if not seconds:
            raise ctx.fail(node, path, f"{show(value)} is not {self.expected}")
        return seconds


class Date(Schema):
    expected = "a date YYYY-MM-DD"

    def convert(self, node, path, ctx):
        value = self._scalar_of(node, path, ctx)
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ctx.fail(node, path, f"{show(value)} is not {self.expected}") from None


_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})")


class TimeRange(Schema):
    expected = "a time range HH:MM-HH:MM, e.g. 08:30-17:30"

    def convert(self, node, path, ctx):
        value = self._scalar_of(node, path, ctx)
        match = _RANGE.fullmatch(str(value).strip()) if isinstance(value, str) else None
        try:
            if not match:
                raise ValueError
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start = time(h1, m1)
            # 24:00 is the end of the day; the calendar reads an end of 00:00 that way.
            end = time(0) if (h2, m2) == (24, 0) else time(h2, m2)
        except ValueError:
            raise ctx.fail(node, path, f"{show(value)} is not {self.expected}") from None
        if end <= start and end != time(0):
            raise ctx.fail(node, path, f"{show(value)} ends before it starts ({self.expected})")
        return (start, end)


class ListOf(Schema):
    def __init__(self, item: Schema, min_items: int = 0):
        self.item, self.min_items = item, min_items
        self.expected = f"a list of {item.expected}"

    def convert(self, node, path, ctx):
        if isinstance(node, yaml.ScalarNode) and scalar_value(node) is None:
            items: list[yaml.Node] = []
        elif not isinstance(node, yaml.SequenceNode):
            raise ctx.fail(node, path, f"expected {self.expected}, got a {_kind(node)}")
        else:
            items = node.value
        if len(items) < self.min_items:
            raise ctx.fail(node, path, f"needs at least {self.min_items} item(s)")
        return [self.item.convert(n, _join(path, i), ctx) for i, n in enumerate(items)]


def mapping_items(node, path, ctx, expected) -> list[tuple[yaml.Node, yaml.Node]]:
    if isinstance(node, yaml.ScalarNode) and scalar_value(node) is None:
        return []
    if not isinstance(node, yaml.MappingNode):
        raise ctx.fail(node, path, f"expected {expected}, got a {_kind(node)}")
    return node.value


class MapOf(Schema):
    """A mapping with free keys (names the user chooses) and uniform values."""

    def __init__(self, value: Schema, key: Schema | None = None):
        self.value, self.key = value, key or Str(pattern=r"[A-Za-z0-9][\w.\-]*", expected="a name")
        self.expected = "a mapping"

    def convert(self, node, path, ctx):
        out: dict[Any, Any] = {}
        for knode, vnode in mapping_items(node, path, ctx, self.expected):
            key = self.key.convert(knode, _join(path, _key_of(knode, path, ctx)), ctx)
            if key in out:
                raise ctx.fail(knode, _join(path, str(key)), "duplicate key")
            out[key] = self.value.convert(vnode, _join(path, str(key)), ctx)
        return out


@dataclass
class Field:
    schema: Schema
    required: bool = False
    default: Any = None


class Struct(Schema):
    """A mapping with known keys; unknown keys are errors (a typo must not disable a rule)."""

    def __init__(self, fields: Mapping[str, Field], build: Callable[[dict], Any] | None = None):
        self.fields, self.build = dict(fields), build
        self.expected = "a mapping"

    def convert(self, node, path, ctx):
        seen: dict[str, Any] = {}
        for knode, vnode in mapping_items(node, path, ctx, self.expected):
            key = _key_of(knode, path, ctx)
            if key not in self.fields:
                hint = ", ".join(self.fields)
                raise ctx.fail(knode, _join(path, key), f"unknown key (expected one of: {hint})")
            if key in seen:
                raise ctx.fail(knode, _join(path, key), "duplicate key")
            seen[key] = self.fields[key].schema.convert(vnode, _join(path, key), ctx)
        for key, spec in self.fields.items():
            if key not in seen:
                if spec.required:
                    raise ctx.fail(node, _join(path, key), "required key is missing")
                if isinstance(spec.schema, Struct) and spec.default is dict:
                    # an omitted section is an empty one: its own keys' defaults apply
                    empty = yaml.MappingNode("tag:yaml.org,2002:map", [], node.start_mark)
                    seen[key] = spec.schema.convert(empty, _join(path, key), ctx)
                else:
                    seen[key] = spec.default() if callable(spec.default) else spec.default
        return self.build(seen) if self.build else seen


class _Refused(Exception):
    """A document beyond the limits, found while composing (before anything expands)."""

    def __init__(self, mark: Any, message: str):
        super().__init__(message)
        self.mark, self.message = mark, message


class _GuardedLoader(yaml.SafeLoader):
    """The safe loader whose composer refuses, as it goes, nesting deeper than MAX_DEPTH,
    more than MAX_ALIASES aliases, an alias inside the collection it names, and a document
    of more than MAX_NODES values; an alias counts as the copy it stands for, both in
    values and in nesting (an alias of a 40-deep list, 20 levels down, is 60 deep).

    Composing keeps one node per anchor however often it is aliased, so nothing grows
    here; the counts stop a bomb before anything that walks the nodes (validation,
    construction, an error message quoting them) would expand it. The nesting bound
    also keeps the recursive composer, and whatever walks its nodes, far from Python's
    recursion limit."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0  # of the node being composed (the top one is 1)
        self._deepest = 0  # the deepest level reached inside it, aliases expanded
        self._nodes = 0  # values so far, each alias counted as the size of what it names
        self._aliases = 0
        self._shape: dict[int, tuple[int, int]] = {}  # id(node) → (values, levels)

    def _reach(self, depth: int, mark: Any) -> None:
        if depth > MAX_DEPTH:
            raise _Refused(mark, f"refused: nested deeper than {MAX_DEPTH} levels")
        self._deepest = max(self._deepest, depth)

    def _count(self, n: int, mark: Any) -> None:
        self._nodes += n
        if self._nodes > MAX_NODES:
            raise _Refused(
                mark,
                f"refused: more than {MAX_NODES} values once aliases (*name) are expanded"
                " (an alias bomb?); write the values out instead of aliasing them",
            )

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(
                    event.start_mark,
                    f"refused: more than {MAX_ALIASES} aliases (*name);"
                    " write the values out instead",
                )
            target = self.anchors.get(event.anchor)
            if target is not None:  # an undefined one is reported by the composer
                shape = self._shape.get(id(target))
                if shape is None:  # not composed yet: the alias is inside what it names
                    raise _Refused(
                        event.start_mark,
                        "refused: an alias (*name) inside the value it names (a cycle)",
                    )
                values, levels = shape
                self._reach(self._depth + levels, event.start_mark)
                self._count(values, event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        outer = self._deepest
        self._deepest = 0
        self._reach(self._depth, event.start_mark)
        before = self._nodes
        self._count(1, event.start_mark)
        node = super().compose_node(parent, index)
        self._shape[id(node)] = (self._nodes - before, self._deepest - self._depth + 1)
        self._deepest = max(outer, self._deepest)
        self._depth -= 1
        return node


def _compose(text: str, where: str) -> yaml.Node | None:
    if len(text) > MAX_BYTES:
        raise ConfigError(where, None, "", f"too large (the limit is {MAX_BYTES // 1024} KiB)")
    loader = None
    try:
        loader = _GuardedLoader(text)  # the reader checks the characters already here
        return loader.get_single_node()
    except _Refused as exc:
        line = exc.mark.line + 1 if exc.mark else None
        raise ConfigError(where, line, "", exc.message) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["?"])[0]
        raise ConfigError(where, line, "", f"not valid YAML: {problem}") from None
    finally:
        if loader is not None:
            loader.dispose()


def load(text: str, schema: Schema, where: str, hint: str = "") -> Any:
    """Parse YAML text and validate it; every problem is a ConfigError with a line.

    The text is composed within the limits above (size, nesting, aliases). A schema that
    wants a mapping at the top reports an empty file (nothing, only comments, ``null``)
    or a scalar or list there as one problem of the file, followed by ``hint``."""
    ctx = Ctx(where)
    node = _compose(text, where)
    if isinstance(schema, (Struct, MapOf)) and not isinstance(node, yaml.MappingNode):
        if node is None or (isinstance(node, yaml.ScalarNode) and scalar_value(node) is None):
            what, line = "is empty", None  # nothing, only comments, or null
        else:
            what, line = f"holds a {_kind(node)} at the top", node.start_mark.line + 1
        raise ConfigError(
            where, line, "", f"{what} (expected a mapping of settings){'; ' + hint if hint else ''}"
        )
    if node is None:
        node = yaml.ScalarNode("tag:yaml.org,2002:null", "")
    try:
        return schema.convert(node, "", ctx)
    except RecursionError:  # cannot happen within MAX_DEPTH; never a traceback if it does
        raise ConfigError(where, None, "", f"nested too deeply (at most {MAX_DEPTH} levels)") from None
