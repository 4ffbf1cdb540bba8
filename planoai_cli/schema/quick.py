"""A quick answer to "does this document satisfy the schema?", without jsonschema (whose import alone costs more
than checking a config).

The schema is compiled once into nested checks that follow jsonschema's Draft 2020-12 rules keyword by keyword.
Each check answers True (valid), False (invalid) or None (not sure: comparing containers in `enum`/`const`).
Only True is acted on: anything else sends the document to jsonschema, which reports every error exactly as
before. A schema with a keyword not handled here is never checked quickly at all (`compile_schema` gives None).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

Check = Callable[[Any], "bool | None"]

_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, numbers.Number) and not isinstance(v, bool),
    "integer": lambda v: not isinstance(v, bool) and (isinstance(v, int) or (isinstance(v, float) and v.is_integer())),
}


class Unsupported(Exception):
    """The schema uses something this module does not check: jsonschema does all the work."""


def compile_schema(schema: Mapping[str, Any]) -> Check | None:
    """The quick check of a whole schema, or None when it cannot have one."""
    try:
        return _Compiler(schema).compile(schema)
    except Unsupported:
        return None


def _every(verdicts: Iterable[bool | None]) -> bool | None:
    """All true: True; any false: False; otherwise not sure."""
    sure = True
    for verdict in verdicts:
        if verdict is False:
            return False
        sure = sure and verdict is True
    return True if sure else None


def _some(verdicts: Iterable[bool | None]) -> bool | None:
    """Any true: True; all false: False; otherwise not sure."""
    unsure = False
    for verdict in verdicts:
        if verdict is True:
            return True
        unsure = unsure or verdict is None
    return None if unsure else False


def _all(checks: Sequence[Check]) -> Check:
    return lambda value: _every(check(value) for check in checks)


def _equal(a: Any, b: Any) -> bool | None:
    """jsonschema's `equal` (bool is not 1, 1 is 1.0) for scalars; None for containers."""
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if any(isinstance(x, Sequence | Mapping | bytes | set) for x in (a, b)):
        return None
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda _value: True
        if schema is False:
            return lambda _value: False
        if not isinstance(schema, Mapping):
            raise Unsupported(f"schema {schema!r}")
        checks = [self._keyword(name, value, schema) for name, value in schema.items() if name not in _ANNOTATIONS]
        return _all([c for c in checks if c is not None])

    def _keyword(self, name: str, value: Any, schema: Mapping[str, Any]) -> Check | None:
        if name in ("then", "else"):
            return None  # compiled with `if`
        build = getattr(self, "_" + name.lstrip("$"), None)
        if build is None:
            raise Unsupported(name)
        result: Check | None = build(value, schema)
        return result

    def _ref(self, ref: str, _schema: Mapping[str, Any]) -> Check:
        if ref not in self.refs:
            if not ref.startswith("#/"):
                raise Unsupported(f"$ref {ref}")
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            compiled: list[Check] = []

            def deferred(value: Any) -> bool | None:  # a definition may refer to itself
                return compiled[0](value)

            self.refs[ref] = deferred
            compiled.append(self.compile(target))
        return self.refs[ref]

    def _type(self, types: Any, _schema: Mapping[str, Any]) -> Check:
        tests = [_TYPES[t] for t in (types if isinstance(types, list) else [types])]
        return lambda value: any(test(value) for test in tests)

    def _enum(self, options: list[Any], _schema: Mapping[str, Any]) -> Check:
        return lambda value: _some(_equal(value, option) for option in options)

    def _const(self, expected: Any, _schema: Mapping[str, Any]) -> Check:
        return lambda value: _equal(value, expected)

    def _properties(self, properties: Mapping[str, Any], _schema: Mapping[str, Any]) -> Check:
        compiled = {key: self.compile(sub) for key, sub in properties.items()}
        return self._objects(lambda value: _every(check(value[key]) for key, check in compiled.items() if key in value))

    def _additionalProperties(self, extra: Any, schema: Mapping[str, Any]) -> Check:
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        known = frozenset(schema.get("properties", {}))
        each = self.compile(extra)
        return self._objects(lambda value: _every(each(value[key]) for key in value if key not in known))

    def _required(self, names: list[str], _schema: Mapping[str, Any]) -> Check:
        return self._objects(lambda value: all(name in value for name in names))

    def _propertyNames(self, names: Any, _schema: Mapping[str, Any]) -> Check:
        each = self.compile(names)
        return self._objects(lambda value: _every(each(key) for key in value))

    def _items(self, items: Any, schema: Mapping[str, Any]) -> Check:
        if "prefixItems" in schema or isinstance(items, list):
            raise Unsupported("prefixItems")
        each = self.compile(items)
        return self._arrays(lambda value: _every(each(item) for item in value))

    def _minItems(self, count: int, _schema: Mapping[str, Any]) -> Check:
        return self._arrays(lambda value: len(value) >= count)

    def _maxItems(self, count: int, _schema: Mapping[str, Any]) -> Check:
        return self._arrays(lambda value: len(value) <= count)

    def _minLength(self, count: int, _schema: Mapping[str, Any]) -> Check:
        return self._strings(lambda value: len(value) >= count)

    def _maxLength(self, count: int, _schema: Mapping[str, Any]) -> Check:
        return self._strings(lambda value: len(value) <= count)

    def _pattern(self, pattern: str, _schema: Mapping[str, Any]) -> Check:
        compiled = re.compile(pattern)
        return self._strings(lambda value: compiled.search(value) is not None)

    def _minimum(self, bound: Any, _schema: Mapping[str, Any]) -> Check:
        return self._numbers(lambda value: not value < bound)

    def _maximum(self, bound: Any, _schema: Mapping[str, Any]) -> Check:
        return self._numbers(lambda value: not value > bound)

    def _exclusiveMinimum(self, bound: Any, _schema: Mapping[str, Any]) -> Check:
        return self._numbers(lambda value: not value <= bound)

    def _exclusiveMaximum(self, bound: Any, _schema: Mapping[str, Any]) -> Check:
        return self._numbers(lambda value: not value >= bound)

    def _allOf(self, schemas: list[Any], _schema: Mapping[str, Any]) -> Check:
        return _all([self.compile(s) for s in schemas])

    def _anyOf(self, schemas: list[Any], _schema: Mapping[str, Any]) -> Check:
        checks = [self.compile(s) for s in schemas]
        return lambda value: _some(check(value) for check in checks)

    def _oneOf(self, schemas: list[Any], _schema: Mapping[str, Any]) -> Check:
        checks = [self.compile(s) for s in schemas]

        def check(value: Any) -> bool | None:
            verdicts = [each(value) for each in checks]
            return None if None in verdicts else verdicts.count(True) == 1

        return check

    def _not(self, schema: Any, _schema: Mapping[str, Any]) -> Check:
        inner = self.compile(schema)

        def check(value: Any) -> bool | None:
            verdict = inner(value)
            return None if verdict is None else not verdict

        return check

    def _if(self, condition: Any, schema: Mapping[str, Any]) -> Check:
        test = self.compile(condition)
        then = self.compile(schema.get("then", True))
        otherwise = self.compile(schema.get("else", True))

        def check(value: Any) -> bool | None:
            verdict = test(value)
            return None if verdict is None else (then if verdict else otherwise)(value)

        return check

    @staticmethod
    def _objects(check: Check) -> Check:
        return lambda value: check(value) if isinstance(value, dict) else True

    @staticmethod
    def _arrays(check: Check) -> Check:
        return lambda value: check(value) if isinstance(value, list) else True

    @staticmethod
    def _strings(check: Check) -> Check:
        return lambda value: check(value) if isinstance(value, str) else True

    @staticmethod
    def _numbers(check: Check) -> Check:
        return lambda value: check(value) if _TYPES["number"](value) else True
