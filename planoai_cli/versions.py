"""Config `version` strings: normalization, the versions this CLI knows, and refusals."""

from __future__ import annotations

import re
from dataclasses import dataclass

from planoai_cli.diagnostics import Diagnostic, error_at, warning_at
from planoai_cli.errors import ConfigError
from planoai_cli.tree import YMap, evolve, locate

CANONICAL = "v0.4.0"
NEWEST = (0, 4, 0)
# Every label a release ever shipped or accepted; all read as one of these families.
KNOWN_LABELS = ("0.1-beta", "v0.1", "v0.1.0", "0.2.0", "v0.3.0", "v0.4.0")
_NUMERIC = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Version:
    """A declared version: the text as written and its (major, minor, patch), if it parses."""

    text: str
    parts: tuple[int, int, int] | None

    @property
    def label(self) -> str:
        """The normalized spelling (`v0.2.0` for `0.2.0`, `v0.1.0` for `v0.1` and `0.1-beta`)."""
        if self.parts is None:
            return self.text
        return "v" + ".".join(str(p) for p in self.parts)


def parse_version(text: str) -> Version:
    """Normalize: trim, drop one leading v/V and any `-suffix`, pad to three numeric parts."""
    core = text.strip()
    if core[:1] in ("v", "V"):
        core = core[1:]
    core = core.split("-", 1)[0]
    pieces = core.split(".")
    if not 1 <= len(pieces) <= 3 or not all(_NUMERIC.match(p) for p in pieces):
        return Version(text, None)
    numbers = [int(p) for p in pieces] + [0] * (3 - len(pieces))
    return Version(text, (numbers[0], numbers[1], numbers[2]))


def read_version(doc: YMap, source: str) -> tuple[YMap, Version | None, list[Diagnostic]]:
    """Check the document's `version`; returns the (possibly string-converted) doc and findings.

    A missing version is left to the schema (which reports it with the rest); a version newer than
    this CLI knows is refused outright, because guessing at a future format would be unsafe.
    """
    if "version" not in doc:
        return doc, None, []
    value = doc["version"]
    found: list[Diagnostic] = []
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        found.append(
            error_at(
                doc,
                ("version",),
                "version.type",
                "version must be a string such as 'v0.4.0'",
                "write `version: v0.4.0`",
            )
        )
        return doc, None, found
    if not isinstance(value, str):
        # Unquoted `0.1` is a YAML float; every release required a string.  Read it as text, but say so.
        found.append(
            warning_at(
                doc,
                ("version",),
                "version.not-a-string",
                f"version {value!r} is a number, read as the string '{value}'",
                f'quote it: version: "{value}"',
            )
        )
        value = str(value)
        doc = _with_version(doc, value)
    version = parse_version(value)
    if version.parts is None:
        found.append(
            warning_at(
                doc,
                ("version",),
                "version.unknown",
                f"version {value!r} is not a version this CLI recognizes; the format is detected "
                "from the file's structure instead",
                f"use one of: {', '.join(KNOWN_LABELS)}",
            )
        )
    elif version.parts > NEWEST:
        mark = locate(doc, ("version",)).mark
        where = f"{source}:{mark.line}:{mark.column}" if mark else source
        raise ConfigError(
            f"{where}: config version {value} is newer than this planoai-cli understands (newest known: {CANONICAL})",
            hint="upgrade the CLI: pip install --upgrade planoai-cli",
        )
    return doc, version, found


def _with_version(doc: YMap, value: str) -> YMap:
    return evolve(doc, put={"version": value})
