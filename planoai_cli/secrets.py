"""Environment references in config values: `$NAME` and `${NAME}`, with `$$` standing for a literal dollar."""

from __future__ import annotations

import re

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# `$$` is matched first so that `$$HOME` reads as a literal `$HOME`, not a reference.
_TOKEN = re.compile(rf"\$\$|\$\{{({_NAME})\}}|\$({_NAME})")


def find_refs(text: str) -> tuple[str, ...]:
    """Names referenced in `text`, in order of first appearance, each once."""
    names: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        name = match.group(1) or match.group(2)
        if name:
            names.setdefault(name, None)
    return tuple(names)


def is_reference(text: str) -> bool:
    """True when `text` is exactly one reference (surrounding blanks allowed), e.g. `$KEY` or `${KEY}`."""
    match = _TOKEN.fullmatch(text.strip())
    return match is not None and match.group(0) != "$$"


def has_refs(text: str) -> bool:
    """True when `text` references at least one variable."""
    return bool(find_refs(text))


# `user:password@` right after the start or after `//`: credentials that must never reach a message.
_CREDENTIALS = re.compile(r"(^|//)[^/?#\s]*@")


def redact_url(url: object) -> str:
    """A URL (or bare `host:port` address) fit for a message: no `user:password@`, query or fragment.

    The query and fragment go too because they may carry a key. Never raises, whatever the text.
    """
    return re.split(r"[?#]", _CREDENTIALS.sub(r"\1", str(url)), maxsplit=1)[0]
