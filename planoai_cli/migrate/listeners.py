"""Migration steps for the old listener shapes: singular `listener:` (G1), the G2 mapping, and no listeners."""

from __future__ import annotations

from typing import Any

from planoai_cli.diagnostics import Severity, at, notice_at, warning_at
from planoai_cli.migrate.common import Diags, as_map, insert_after, rewrite_hint
from planoai_cli.tree import Location, YMap, derive, derive_list, evolve

ANY_ADDRESS = "0.0.0.0"
PROMPT_PORT = 10000
MODEL_PORT = 12000
# Keys of the old listener shapes that have no counterpart, and why they can go.
_INERT_KEYS = {
    "message_format": "it never changed anything (the runtime accepted a single format)",
    "connect_timeout": "no release ever read it",
    "common_tls_context": "listener TLS was never applied and is not part of the current format",
}
_UNREACHABLE = (
    "the 0.2.2–0.3.15 default 127.0.0.1 could not be reached through the container's published "
    "port, so 0.0.0.0 is written"
)
# What an omitted `timeout` meant in 0.2.2–0.3.15, per side; it is 300s for both now.
_OLD_TIMEOUTS = {
    "egress_traffic": "10s in 0.2.2–0.3.13 and 300s in 0.3.14–0.3.15",
    "ingress_traffic": "10s in 0.2.2–0.3.15",
}
_SHORTER = "set `timeout` on the listener to keep a shorter limit"


def _gateway(kind: str, port: int, src: YMap | None = None, *, like: Any = None) -> YMap:
    """A prompt or model listener item built from an old section (`src`), defaults filling the gaps."""
    old = src if src is not None else YMap()
    fields: dict[str, Any] = {
        "type": kind,
        "name": "ingress_traffic" if kind == "prompt" else "egress_traffic",
        "address": old.get("address", ANY_ADDRESS),
        "port": old.get("port", port),
    }
    if "timeout" in old:
        fields["timeout"] = old["timeout"]
    return derive(fields, like=src if src is not None else like, slots_from=src)


def _dropped(doc: YMap, section: tuple[str, ...], src: YMap) -> Diags:
    return [
        notice_at(doc, (*section, key), "migrate.listener-key", f"dropped `{key}`: {why}", rewrite_hint())
        for key, why in _INERT_KEYS.items()
        if key in src
    ]


def singular_listener(doc: YMap) -> tuple[YMap, Diags]:
    """G1 `listener:` → a prompt listener on 0.0.0.0:10000 and a model listener on 0.0.0.0:12000."""
    old = as_map(doc.get("listener"))
    if old is None:
        return doc, []
    prompt = derive(
        {"type": "prompt", "name": "ingress_traffic", "address": ANY_ADDRESS, "port": PROMPT_PORT},
        like=old,
        slots_from=old,
    )
    model = _gateway("model", MODEL_PORT, like=old)
    migrated = evolve(doc, rename={"listener": "listeners"}, put={"listeners": derive_list([prompt, model], like=old)})
    found = [
        notice_at(
            doc,
            ("listener",),
            "migrate.listener-singular",
            "the singular `listener` section became list-form `listeners`: a prompt listener on "
            "0.0.0.0:10000 and a model listener on 0.0.0.0:12000, the addresses releases up to 0.2.1 "
            "always served on",
            rewrite_hint(),
        )
    ]
    found += _ignored_values(doc, old)
    found += _dropped(doc, ("listener",), old)
    return migrated, found


def _ignored_values(doc: YMap, old: YMap) -> Diags:
    declared = {"address": old.get("address", ANY_ADDRESS), "port": old.get("port", PROMPT_PORT)}
    if declared == {"address": ANY_ADDRESS, "port": PROMPT_PORT}:
        return []
    where = "port" if declared["port"] != PROMPT_PORT else "address"
    return [
        warning_at(
            doc,
            ("listener", where),
            "migrate.listener-ignored",
            f"the declared listener {declared['address']}:{declared['port']} was never used: releases up "
            "to 0.2.1 always listened on 0.0.0.0:10000 (prompts) and 0.0.0.0:12000 (LLM traffic), so the "
            "migrated listeners keep those effective values",
            f"to serve prompts on {declared['address']}:{declared['port']} from now on, change "
            "`listeners[0]` after migrating (this changes the exposed port)",
        )
    ]


def mapping_listeners(doc: YMap) -> tuple[YMap, Diags]:
    """G2 `listeners: {ingress_traffic, egress_traffic}` (or no `listeners` at all) → list form."""
    if "listener" in doc:
        return doc, []
    if "listeners" not in doc:
        return _absent(doc)
    section = as_map(doc["listeners"])
    if section is None:
        return doc, []
    egress = as_map(section.get("egress_traffic"))
    ingress = as_map(section.get("ingress_traffic"))
    items = [_gateway("model", MODEL_PORT, egress, like=section)]
    parts = ["`egress_traffic` → a `type: model` listener"]
    if ingress:
        items.append(_gateway("prompt", PROMPT_PORT, ingress))
        parts.append("`ingress_traffic` → a `type: prompt` listener")
    found = [
        notice_at(
            doc,
            ("listeners",),
            "migrate.listeners-mapping",
            f"the `listeners` mapping became a list ({'; '.join(parts)}); the mapping is deprecated since 0.3.16",
            rewrite_hint(),
        )
    ]
    found += _defaults(doc, "egress_traffic", egress)
    found += _dropped(doc, ("listeners", "egress_traffic"), egress) if egress is not None else []
    if ingress:  # an empty `ingress_traffic` produced no prompt listener, so nothing to report on it
        found += _defaults(doc, "ingress_traffic", ingress) + _dropped(doc, ("listeners", "ingress_traffic"), ingress)
    return evolve(doc, put={"listeners": derive_list(items, like=section)}), found


def _defaults(doc: YMap, side: str, src: YMap | None) -> Diags:
    """Report what an omitted address or timeout meant then, and what it means now."""
    old = src if src is not None else YMap()
    what = []
    if "address" not in old:
        what.append(f"no `address`: {_UNREACHABLE}")
    if "timeout" not in old:
        what.append(f"no `timeout`: the default is now 300s (it was {_OLD_TIMEOUTS[side]})")
    if not what:
        return []
    path = ("listeners", side) if src is not None else ("listeners",)
    subject = f"`{side}` had" if src is not None else f"there was no `{side}`, so the model listener had"
    return [
        notice_at(
            doc,
            path,
            "migrate.listener-defaults",
            f"{subject} {'; '.join(what)}",
            rewrite_hint(_SHORTER if "timeout" not in old else ""),
        )
    ]


def _absent(doc: YMap) -> tuple[YMap, Diags]:
    items = [_gateway("model", MODEL_PORT)]
    targets = doc.get("prompt_targets")
    if isinstance(targets, list) and targets:
        items.append(_gateway("prompt", PROMPT_PORT))
    written = (
        "a model listener on 0.0.0.0:12000 and a prompt listener on 0.0.0.0:10000 were written"
        if len(items) > 1
        else "a model listener on 0.0.0.0:12000 was written"
    )
    timeouts = f"{_OLD_TIMEOUTS['egress_traffic']} for LLM traffic"
    if len(items) > 1:
        timeouts += f", and {_OLD_TIMEOUTS['ingress_traffic']} for prompts"
    # Nothing in the file stands for the missing section, so the notice has no line: any line would mislead.
    message = (
        "the file has no `listeners` section (0.2.2–0.3.15 then used built-in listeners); the current format "
        f"requires it, so {written} ({_UNREACHABLE}; the timeout default is now 300s, where it was {timeouts})"
    )
    found = [
        at(
            Severity.NOTICE,
            "migrate.listeners-absent",
            message,
            Location((), None),
            rewrite_hint("set `timeout` on a listener to keep a shorter limit"),
        )
    ]
    return insert_after(doc, "version", "listeners", derive_list(items)), found
