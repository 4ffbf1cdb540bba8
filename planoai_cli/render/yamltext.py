"""Render stage: a small YAML writer (block style, keys in the order given, strings quoted unless unambiguous).

The render package may not use PyYAML (one owner per library), and the output must be stable and
predictable byte for byte, so the writer is ours. Every string that a YAML reader could take for
anything but the same string — a number, a bool, null, an indicator, anything with a space, a `$`
or a non-ASCII character — is written double-quoted; that also keeps each `$VAR` reference inside
one double-quoted scalar, so the substitution at container start knows how to escape a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

# Letters first (or `/`, `_`); then nothing YAML treats specially when not followed by a space.
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./:@+-]*")
# Strings that start with a digit yet read back as strings: IPv4 addresses and durations such as 300s.
_PLAIN_NUMERIC = re.compile(r"[0-9]+(\.[0-9]+){3}|[0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h)")
# YAML 1.1 booleans and null (PyYAML and libyaml-based readers), compared case-insensitively.
_RESERVED = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})
# Characters a double-quoted scalar must escape: quote, backslash, controls, and the line/paragraph
# separators and BOM that some readers treat as breaks.
_ESCAPE = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]')
_NAMED = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}

Scalar = str | int | float | bool | None


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _NAMED.get(char) or f"\\u{ord(char):04x}"


def quoted(text: str) -> str:
    """`text` as a double-quoted YAML scalar (also a valid JSON string for ASCII input)."""
    return '"' + _ESCAPE.sub(_escape, text) + '"'


def is_plain(text: str) -> bool:
    """True when `text` can be written without quotes and reads back as the same string."""
    if text.lower() in _RESERVED or text.endswith(":"):
        return False
    return bool(_PLAIN.fullmatch(text) or _PLAIN_NUMERIC.fullmatch(text))


def scalar(value: Scalar) -> str:
    """One value as YAML text (the templates use this as the `scalar` filter)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return _float(value)
    return value if is_plain(value) else quoted(value)


def _float(value: float) -> str:
    # YAML 1.1 readers only take `1.0e-05` (with a dot) as a number; Python writes `1e-05`.
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text


def dump(document: Mapping[str, object]) -> str:
    """A mapping as a YAML document; lists are indented under their key, nothing is sorted."""
    lines: list[str] = []
    _mapping(document, 0, lines)
    return "\n".join(lines) + "\n"


def _is_block(value: object) -> bool:
    return isinstance(value, Mapping | list | tuple) and bool(value)


def _inline(value: object) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return scalar(value)  # type: ignore[arg-type]


def _mapping(node: Mapping[str, object], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for key, value in node.items():
        if _is_block(value):
            lines.append(f"{pad}{scalar(key)}:")
            _block(value, indent + 2, lines)
        else:
            lines.append(f"{pad}{scalar(key)}: {_inline(value)}")


def _block(value: object, indent: int, lines: list[str]) -> None:
    if isinstance(value, Mapping):
        _mapping(value, indent, lines)
    elif isinstance(value, list | tuple):
        _sequence(value, indent, lines)


def _sequence(node: Sequence[object], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for item in node:
        if not _is_block(item):
            lines.append(f"{pad}- {_inline(item)}")
            continue
        start = len(lines)
        _block(item, indent + 2, lines)
        # The first line of the nested block moves up next to the dash: `- key: value`.
        lines[start] = f"{pad}- {lines[start][indent + 2 :]}"
