"""Migration steps for prompt targets: the G1 dispatch default and parameter type spellings."""

from __future__ import annotations

from typing import Any

from planoai_cli.diagnostics import notice_at, warning_at
from planoai_cli.migrate.common import Diags, maps_in, put_in, replace_items, rewrite_hint
from planoai_cli.tree import YList, YMap, evolve

# Spellings the runtime maps to a type (any other one silently becomes a string).
TYPE_SPELLINGS = ("int", "integer", "float", "bool", "boolean", "str", "string", "list", "array", "dict", "dictionary")
_RESPELLED = {"number": "float", "object": "dict"}


def default_target_dispatch(doc: YMap) -> tuple[YMap, Diags]:
    """A G1 default target without `auto_llm_dispatch_on_response` gets an explicit `false`.

    Detected by the singular `listener:` (the only structural mark of a file from before 0.2.4), so this
    step runs before the listener steps rewrite it.
    """
    targets = doc.get("prompt_targets")
    if "listener" not in doc or not isinstance(targets, YList):
        return doc, []
    items: list[Any] = list(targets)
    found: Diags = []
    for index, target in maps_in(targets):
        if target.get("default") is True and "auto_llm_dispatch_on_response" not in target:
            items[index] = evolve(target, put={"auto_llm_dispatch_on_response": False})
            found.append(
                notice_at(
                    doc,
                    ("prompt_targets", index, "default"),
                    "migrate.dispatch-default",
                    f"default prompt target {target.get('name')!r} gets "
                    "`auto_llm_dispatch_on_response: false` written out: releases up to 0.2.3 did not "
                    "pass a default target's response to the LLM, and the default is true since 0.2.4",
                    rewrite_hint(),
                )
            )
    return (put_in(doc, ("prompt_targets",), replace_items(targets, items)) if found else doc), found


def parameter_types(doc: YMap) -> tuple[YMap, Diags]:
    """Parameter `type: number`/`object` → `float`/`dict`; other unknown spellings are reported."""
    targets = doc.get("prompt_targets")
    if not isinstance(targets, YList):
        return doc, []
    migrated = doc
    found: Diags = []
    for index, target in maps_in(targets):
        params = target.get("parameters")
        for number, param in maps_in(params):
            path = ("prompt_targets", index, "parameters", number, "type")
            spelling = param.get("type")
            label = f"parameter {param.get('name')!r} of prompt target {target.get('name')!r}"
            if isinstance(spelling, str) and spelling in _RESPELLED:
                migrated = put_in(migrated, path, _RESPELLED[spelling])
                found.append(
                    warning_at(
                        doc,
                        path,
                        "migrate.parameter-type",
                        f"{label}: `type: {spelling}` became `{_RESPELLED[spelling]}`; the runtime "
                        f"does not know {spelling!r} and silently treated the value as a string",
                        rewrite_hint("check that the target expects the value in its new type"),
                    )
                )
            elif isinstance(spelling, str) and spelling not in TYPE_SPELLINGS:
                found.append(
                    warning_at(
                        doc,
                        path,
                        "migrate.parameter-type",
                        f"{label}: the runtime does not know `type: {spelling}` and treats the value as a string",
                        f"use one of: {', '.join(TYPE_SPELLINGS)}",
                    )
                )
    return migrated, found
