"""Every schema violation of a document, located and in plain words (jsonschema's errors, translated)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from planoai_cli.detect import Generation
from planoai_cli.diagnostics import Diagnostic, did_you_mean, error_at
from planoai_cli.schema import load_schema
from planoai_cli.tree import JsonPath, YMap

# Values of these keys are secrets (or may hold them): never echo them back.
SECRET_KEYS = frozenset({"access_key", "api_key", "connection_string", "headers", "http_headers"})
_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}
_MAX_LISTED = 12


def violations(doc: YMap, generation: Generation) -> tuple[Diagnostic, ...]:
    """Every schema violation of `doc` under `generation`, as located diagnostics."""
    found: list[Diagnostic] = []
    for error in jsonschema.Draft202012Validator(load_schema(generation)).iter_errors(doc):
        found.extend(_translate(doc, error))
    return tuple(found)


def _subschema(error: ValidationError) -> dict[str, Any]:
    return error.schema if isinstance(error.schema, dict) else {}


def _expected(error: ValidationError) -> Any:
    return error.validator_value


def _translate(doc: YMap, error: ValidationError) -> Iterator[Diagnostic]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Report the branch that got furthest instead of "is not valid under any of the given schemas".
        yield from _translate(doc, _deepest(error.context))
        return
    path: JsonPath = tuple(error.absolute_path)
    # A failing key name is reported by the inner keyword (`pattern`), with the key as the instance.
    name = "propertyNames" if "propertyNames" in error.absolute_schema_path else str(error.validator)
    handler = _HANDLERS.get(name, _generic)
    yield from handler(doc, path, error)


def _deepest(errors: Sequence[ValidationError]) -> ValidationError:
    chosen = best_match(errors)
    return chosen if chosen is not None else errors[0]


def _additional(doc: YMap, path: JsonPath, error: ValidationError) -> Iterator[Diagnostic]:
    allowed = sorted(_subschema(error).get("properties", {}))
    for key in _extra_keys(error):
        suggestion = did_you_mean(key, allowed)
        listed = ", ".join(allowed[:_MAX_LISTED]) + (" …" if len(allowed) > _MAX_LISTED else "")
        hint = suggestion or (f"allowed keys here: {listed}" if allowed else "remove it")
        yield error_at(doc, (*path, key), "schema.unknown-key", f"unknown key {key!r}", hint, at_key=True)


def _extra_keys(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    known = set(_subschema(error).get("properties", {}))
    patterns = list(_subschema(error).get("patternProperties", {}))
    return [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]


def _required(doc: YMap, path: JsonPath, error: ValidationError) -> Iterator[Diagnostic]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key in _expected(error):
        if key not in instance:
            yield error_at(
                doc, path, "schema.missing-key", f"missing required key {key!r}" + _under(path), f"add `{key}:` here"
            )


def _under(path: JsonPath) -> str:
    return "" if not path else " in this entry"


def _enum(doc: YMap, path: JsonPath, error: ValidationError) -> Iterator[Diagnostic]:
    options = [str(v) for v in _expected(error)]
    value = _show(path, error.instance)
    suggestion = did_you_mean(str(error.instance), options) if isinstance(error.instance, str) else None
    listed = ", ".join(options[:_MAX_LISTED]) + (" …" if len(options) > _MAX_LISTED else "")
    hint = f"{suggestion} (accepted: {listed})" if suggestion else f"accepted values: {listed}"
    yield error_at(doc, path, "schema.bad-value", f"{value} is not an accepted value", hint)


def _const(doc: YMap, path: JsonPath, error: ValidationError) -> Iterator[Diagnostic]:
    yield error_at(
        doc,
        path,
        "schema.bad-value",
        f"{_show(path, error.instance)} must be {_expected(error)!r}",
        f"write {_expected(error)!r}",
    )


def _type(doc: YMap, path: JsonPath, error: ValidationError) -> Iterator[Diagnostic]:
    wanted = _expected(error) if isinstance(_expected(error), list) else [_expected(error)]
    names = " or ".join(_TYPE_NAMES.get(str(w), str(w)) for w in wanted)
    yield error_at(
        doc,
        path,
        "schema.wrong-type",
        f"expected {names}, found {_kind(error.instance)}",
        _type_hint(error.instance, wanted),
    )


def _type_hint(instance: Any, wanted: list[Any]) -> str | None:
    if "string" in wanted and isinstance(instance, int | float) and not isinstance(instance, bool):
        return "quote the value to make it a string"
    if instance is None:
        return "give this key a value, or remove it"
    return None


def _pattern(doc: YMap, path: JsonPath, error: ValidationError) -> Iterator[Diagnostic]:
    described = _subschema(error).get("description")
    hint = described if isinstance(described, str) else f"it must match {_expected(error)}"
    yield error_at(
        doc, path, "schema.bad-format", f"{_show(path, error.instance)} does not have the expected form", hint
    )


def _property_names(doc: YMap, path: JsonPath, error: ValidationError) -> Iterator[Diagnostic]:
    key = error.instance
    described = _subschema(error).get("description")
    hint = described if isinstance(described, str) else "use letters, digits, '_' and '-', starting with a letter"
    yield error_at(doc, (*path, str(key)), "schema.bad-name", f"{key!r} is not an allowed name here", hint, at_key=True)


def _bounds(doc: YMap, path: JsonPath, error: ValidationError) -> Iterator[Diagnostic]:
    words = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "more than",
        "exclusiveMaximum": "less than",
    }
    bound = words[str(error.validator)]
    yield error_at(
        doc,
        path,
        "schema.out-of-range",
        f"{_show(path, error.instance)} is out of range: it must be {bound} {_expected(error)}",
    )


def _sizes(doc: YMap, path: JsonPath, error: ValidationError) -> Iterator[Diagnostic]:
    words = {
        "minItems": ("needs at least", "item"),
        "maxItems": ("allows at most", "item"),
        "minLength": ("needs at least", "character"),
        "maxLength": ("allows at most", "character"),
        "minProperties": ("needs at least", "key"),
        "maxProperties": ("allows at most", "key"),
    }
    verb, noun = words[str(error.validator)]
    count = int(_expected(error))
    yield error_at(doc, path, "schema.size", f"this {verb} {count} {noun}{'' if count == 1 else 's'}")


def _generic(doc: YMap, path: JsonPath, error: ValidationError) -> Iterator[Diagnostic]:
    message = error.message if not _secret(path) else f"this value is not valid ({error.validator})"
    yield error_at(doc, path, f"schema.{error.validator}", message)


def _secret(path: JsonPath) -> bool:
    return any(isinstance(seg, str) and seg in SECRET_KEYS for seg in path)


def _show(path: JsonPath, value: Any) -> str:
    if _secret(path):
        return "this value"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


_HANDLERS = {
    "additionalProperties": _additional,
    "unevaluatedProperties": _additional,
    "required": _required,
    "enum": _enum,
    "const": _const,
    "type": _type,
    "pattern": _pattern,
    "propertyNames": _property_names,
    "minimum": _bounds,
    "maximum": _bounds,
    "exclusiveMinimum": _bounds,
    "exclusiveMaximum": _bounds,
    "minItems": _sizes,
    "maxItems": _sizes,
    "minLength": _sizes,
    "maxLength": _sizes,
    "minProperties": _sizes,
    "maxProperties": _sizes,
}
