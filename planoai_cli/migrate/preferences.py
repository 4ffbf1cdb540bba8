"""Migration steps for routing preferences: G2a `usage` and inline lists → top level; duplicate ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planoai_cli.diagnostics import Diagnostic, error_at, notice_at, warning_at
from planoai_cli.migrate.common import Diags, counted, extend_list, maps_in, put_in, quoted, rewrite_hint, user_path
from planoai_cli.tree import JsonPath, YList, YMap, derive, derive_list, evolve, plain


@dataclass
class _Group:
    """One top-level preference being assembled from inline pieces, in declaration order."""

    name: str
    description: str
    source: YMap  # positions of the first piece
    models: list[str] = field(default_factory=list)


def reference(item: YMap) -> str:
    """What the router matches a provider by: its explicit `name`, else its full `model`."""
    name = item.get("name")
    return name if isinstance(name, str) else str(item.get("model"))


def lift_preferences(doc: YMap) -> tuple[YMap, Diags]:
    """Inline `routing_preferences` and `usage` → top-level `routing_preferences` with `models`."""
    providers = doc.get("model_providers")
    if not isinstance(providers, YList):
        return doc, []
    top = doc.get("routing_preferences")
    taken = {name for _, p in maps_in(top) if isinstance(name := p.get("name"), str)}
    # The next step merges duplicate entries; name the entry a preference ends up listing, not a merged one.
    merged = _merges(doc)
    groups: dict[str, _Group] = {}
    items: list[Any] = list(providers)
    found: Diags = []
    for index, item in maps_in(providers):
        if "routing_preferences" not in item and "usage" not in item:
            continue
        path: JsonPath = ("model_providers", index)
        entry = item
        if str(item.get("model", "")).endswith("/*") and "routing_preferences" in item:
            found.append(_wildcard_preferences(doc, path, item))
            entry = evolve(item, drop=["routing_preferences"])
        # A merged entry's preferences list the entry it merges into: what the migrated file ends up holding.
        final = reference(providers[merged[index]]) if index in merged else reference(entry)
        for piece, where in _pieces(entry, path):
            found += _add(doc, groups, taken, piece=piece, where=where, ref=final)
        items[index] = evolve(entry, drop=["routing_preferences", "usage"])
        found += _notices(doc, path, entry, taken, final)
    migrated = put_in(doc, ("model_providers",), _same_list(providers, items)) if found else doc
    if groups:
        migrated = put_in(migrated, ("routing_preferences",), extend_list(top, [_as_entry(g) for g in groups.values()]))
    return migrated, found


def _wildcard_preferences(doc: YMap, path: JsonPath, item: YMap) -> Diagnostic:
    """Preferences on a wildcard never routed anything (refused by the generators that lifted them, ignored by the
    router since 0.4.15), so dropping them keeps routing as it was; a warning, as the user meant something."""
    names = [name for _, p in maps_in(item.get("routing_preferences")) if isinstance(name := p.get("name"), str)]
    what = counted(len(names), "routing preference", "routing preferences")
    prefix = str(item.get("model")).split("/", 1)[0]
    return warning_at(
        doc,
        (*path, "routing_preferences"),
        "migrate.wildcard-preferences",
        f"dropped the {what} {quoted(names)} of the wildcard entry {item.get('model')!r}: the router "
        "matches concrete models, so no release routed by preferences on a wildcard (and since 0.4.15 "
        "inline ones are ignored anyway); routing is unchanged",
        f"to route {counted(len(names), 'this task', 'these tasks')}, declare the concrete models under "
        f"model_providers (e.g. `model: {prefix}/<id>`) and list them in a top-level "
        "`routing_preferences` entry",
        at_key=True,
    )


def _same_list(src: YList, items: list[Any]) -> YList:
    return YList(items, mark=src.mark, origin=src.origin, slots=src.slots)


def _pieces(item: YMap, path: JsonPath) -> list[tuple[YMap, JsonPath]]:
    """Each inline preference (with its path), then the `usage`, as `{name, description}` mappings."""
    pieces = [(pref, (*path, "routing_preferences", j)) for j, pref in maps_in(item.get("routing_preferences"))]
    usage = item.get("usage")
    if isinstance(usage, str):
        # `usage` is the route of the entry named `name`: its description, with positions of the user's lines.
        piece = derive({"name": reference(item), "description": usage}, like=item)
        borrowed = (("name", item.slots.get("name")), ("description", item.slots.get("usage")))
        piece.slots = {key: slot for key, slot in borrowed if slot is not None}
        pieces.append((piece, (*path, "usage")))
    return pieces


def _add(doc: YMap, groups: dict[str, _Group], taken: set[str], *, piece: YMap, where: JsonPath, ref: str) -> Diags:
    name, description = piece.get("name"), piece.get("description")
    if not isinstance(name, str):
        return []
    if name in taken:
        return [
            warning_at(
                doc,
                where,
                "migrate.preference-exists",
                f"routing preference {name!r} is already defined at the top level, which wins: this inline "
                f"one is dropped and {ref!r} is not added to its `models`",
                f"add {ref!r} to the top-level entry's `models` if it serves this task too",
            )
        ]
    group = groups.get(name)
    if group is None:
        groups[name] = _Group(name, str(description or ""), piece, [ref])
        return []
    if ref not in group.models:
        group.models.append(ref)
    if description and description != group.description:
        return [
            warning_at(
                doc,
                where,
                "migrate.preference-conflict",
                f"routing preference {name!r} is described differently here; the first description "
                f"({group.description!r}) is kept",
                "give both the same description, or rename one",
            )
        ]
    return []


def _as_entry(group: _Group) -> YMap:
    models = derive_list(group.models, like=group.source)
    return derive(
        {"name": group.name, "description": group.description, "models": models},
        like=group.source,
        slots_from=group.source,
    )


def _notices(doc: YMap, path: JsonPath, item: YMap, taken: set[str], final: str) -> list[Diagnostic]:
    """What was lifted; `final` is the entry the lifted preferences list (the one this entry merges into, if any)."""
    ref = reference(item)
    merged = f" (this entry is merged into {final!r}, which serves the same model)" if final != ref else ""
    found = []
    # Names already defined at the top level were dropped (a `preference-exists` warning each), not moved.
    names = [
        name
        for _, p in maps_in(item.get("routing_preferences"))
        if isinstance(name := p.get("name"), str) and name not in taken
    ]
    if names:
        what = counted(len(names), "routing preference", "routing preferences")
        found.append(
            notice_at(
                doc,
                (*path, "routing_preferences"),
                "migrate.inline-preferences",
                f"moved the {what} {quoted(names)} of this provider to the top-level "
                f"`routing_preferences`, listing {final!r} in {counted(len(names), 'its', 'their')} "
                f"`models`{merged}: since 0.4.15 the router reads only the top-level list and ignores "
                "inline ones",
                rewrite_hint(),
            )
        )
    if isinstance(item.get("usage"), str) and ref not in taken:
        found.append(
            notice_at(
                doc,
                (*path, "usage"),
                "migrate.usage",
                f"`usage` became the top-level routing preference {ref!r} with `models: [{final}]`"
                f"{merged}: routing preferences replaced `usage` in 0.3.4",
                rewrite_hint(),
            )
        )
    return found


def merge_duplicates(doc: YMap) -> tuple[YMap, Diags]:
    """Entries serving the same model id through the same upstream merge into one."""
    providers = doc.get("model_providers")
    pairs = _pairs(doc)
    if not isinstance(providers, YList) or not pairs:
        return doc, []
    found = [(_merged if same else _conflict)(doc, other, keep, providers) for other, keep, same in pairs]
    removed = {other: keep for other, keep, same in pairs if same}
    return (_apply_merge(doc, providers, removed) if removed else doc), found


def _pairs(doc: YMap) -> list[tuple[int, int, bool]]:
    """(entry, entry it duplicates, whether they can merge) for each duplicate model id, in file order."""
    providers = doc.get("model_providers")
    if not isinstance(providers, YList) or not _written_as_llm_providers(doc):
        # One entry per usage was a G1/G2 pattern (always under `llm_providers`); in a current file a
        # duplicate is a mistake that the semantic checks report instead of silently merging.
        return []
    pairs = []
    for members in _same_ids(providers):
        keep = next((i for i in members if providers[i].get("default") is True), members[0])
        pairs += [(i, keep, not _differences(providers[i], providers[keep])) for i in members if i != keep]
    return pairs


def _merges(doc: YMap) -> dict[int, int]:
    """Entry index → index of the entry it merges into; lifting (which runs first) uses it to name the survivor."""
    return {other: keep for other, keep, same in _pairs(doc) if same}


def _written_as_llm_providers(doc: YMap) -> bool:
    slot = doc.slots.get("model_providers")
    return slot is not None and slot.name == "llm_providers"


def _same_ids(providers: YList) -> list[list[int]]:
    by_id: dict[str, list[int]] = {}
    for index, item in maps_in(providers):
        model = item.get("model")
        if isinstance(model, str) and "/" in model and not model.endswith("/*"):
            by_id.setdefault(model.split("/", 1)[1], []).append(index)
    return [members for members in by_id.values() if len(members) > 1]


# Keys that do not decide where and how requests go: the client-facing name, the default flag, and the
# routing preferences (lifted to the top level before the merge).
_NOT_UPSTREAM = ("name", "default", "usage", "routing_preferences")


def _differences(one: YMap, other: YMap) -> list[str]:
    """The keys (never their values) that make two entries reach their model differently."""
    a, b = plain(evolve(one, drop=_NOT_UPSTREAM)), plain(evolve(other, drop=_NOT_UPSTREAM))
    keys = [*a, *(k for k in b if k not in a)]
    return [k for k in keys if a.get(k) != b.get(k)]


def _conflict(doc: YMap, other: int, keep: int, providers: YList) -> Diagnostic:
    one, kept = providers[other], providers[keep]
    ident = str(one.get("model")).split("/", 1)[1]
    parts = [_difference(key, one, kept) for key in _differences(one, kept)]
    return error_at(
        doc,
        ("model_providers", other, "model"),
        "migrate.duplicate-model",
        f"{user_path(doc, ('model_providers', other))} and {user_path(doc, ('model_providers', keep))} "
        f"both serve the model id {ident!r} but reach it differently (they differ in {_and(parts)}); the "
        "current format allows one entry per model id",
        f"keep one entry for {ident!r}, or point one of them at another model",
    )


def _difference(key: str, one: YMap, other: YMap) -> str:
    """A differing key for a message; only the provider prefix (never a secret) is shown with its values."""
    if key != "model":
        return f"`{key}`"
    prefixes = [str(item.get("model")).split("/", 1)[0] for item in (one, other)]
    return f"the provider prefix ({' vs '.join(repr(p) for p in prefixes)})"


def _and(parts: list[str]) -> str:
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def _merged(doc: YMap, other: int, keep: int, providers: YList) -> Diagnostic:
    gone, kept = reference(providers[other]), reference(providers[keep])
    ident = str(providers[keep].get("model")).split("/", 1)[1]
    listing = [
        p.get("name")
        for _, p in maps_in(doc.get("routing_preferences"))
        if isinstance(models := p.get("models"), list) and gone in models
    ]
    renamed = (
        f", and the {counted(len(listing), 'routing preference', 'routing preferences')} {quoted(listing)} "
        f"now {counted(len(listing), 'lists', 'list')} {kept!r} in place of {gone!r}"
        if listing
        else ""
    )
    return warning_at(
        doc,
        ("model_providers", other),
        "migrate.duplicate-model",
        f"merged into {user_path(doc, ('model_providers', keep))} ({kept!r}): both served the model id "
        f"{ident!r} through the same upstream, and the current format allows one entry per model id; "
        f"clients that asked for {gone!r} must now use {kept!r}{renamed}",
        f"to keep {gone!r} working for clients, add `model_aliases: {{{gone}: {{target: {ident}}}}}`",
    )


def _apply_merge(doc: YMap, providers: YList, removed: dict[int, int]) -> YMap:
    items: list[Any] = list(providers)
    renames: dict[str, str] = {}
    for other, keep in removed.items():
        renames[reference(providers[other])] = reference(providers[keep])
        if providers[other].get("default") is True:
            items[keep] = evolve(items[keep], put={"default": True})
    indexes = [i for i in range(len(providers)) if i not in removed]
    slots = [providers.slots[i] if i < len(providers.slots) else None for i in indexes]
    kept = YList([items[i] for i in indexes], mark=providers.mark, origin=providers.origin, slots=slots)
    migrated = put_in(doc, ("model_providers",), kept)
    return _rename_models(migrated, renames)


def _rename_models(doc: YMap, renames: dict[str, str]) -> YMap:
    top = doc.get("routing_preferences")
    if not isinstance(top, YList):
        return doc
    entries: list[Any] = list(top)
    for index, entry in maps_in(top):
        models = entry.get("models")
        if isinstance(models, YList):
            fixed = [renames.get(m, m) if isinstance(m, str) else m for m in models]
            unique = [m for i, m in enumerate(fixed) if m not in fixed[:i]]
            entries[index] = evolve(entry, put={"models": derive_list(unique, like=models)})
    return put_in(doc, ("routing_preferences",), _same_list(top, entries))
