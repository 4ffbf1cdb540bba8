"""Migration of routing preferences: `usage` and inline lists to the top level, duplicate model ids."""

from __future__ import annotations

from planoai_cli.diagnostics import Diagnostic
from planoai_cli.loader import parse
from planoai_cli.migrate.common import Step
from planoai_cli.migrate.preferences import lift_preferences, merge_duplicates
from planoai_cli.migrate.providers import rename_llm_providers
from planoai_cli.tree import YMap, locate, plain
from tests.migratehelp import brief, run

INLINE = """\
version: v0.3.0
model_providers:
  - name: claude
    model: anthropic/claude-sonnet-4
    routing_preferences:
      - name: code generation
        description: Write new code.
      - name: long documents
        description: Summarise long documents.
  - model: openai/gpt-4o
    routing_preferences:
      - name: code generation
        description: Generate code from a description.
"""


def test_only_the_preferences_actually_moved_are_reported_as_moved() -> None:
    top = "routing_preferences:\n  - {name: code generation, description: Mine., models: [openai/gpt-4o]}\n"
    _, found = run(lift_preferences, INLINE + top)
    moved = [d.message for d in found if d.code == "migrate.inline-preferences"]
    assert moved == [
        "moved the routing preference 'long documents' of this provider to the top-level `routing_preferences`, "
        "listing 'claude' in its `models`: since 0.4.15 the router reads only the top-level list and ignores inline "
        "ones",
    ]  # the second entry's only preference was dropped: a `preference-exists` warning says so, not a notice


def test_inline_preferences_are_lifted_naming_what_the_router_matches() -> None:
    out, found = run(lift_preferences, INLINE)
    assert plain(out) == {
        "version": "v0.3.0",
        "model_providers": [{"name": "claude", "model": "anthropic/claude-sonnet-4"}, {"model": "openai/gpt-4o"}],
        "routing_preferences": [
            # The custom name, not `anthropic/claude-sonnet-4`: the runtime matches names or bare ids.
            {"name": "code generation", "description": "Write new code.", "models": ["claude", "openai/gpt-4o"]},
            {"name": "long documents", "description": "Summarise long documents.", "models": ["claude"]},
        ],
    }
    assert brief(found) == [
        ("notice", "migrate.inline-preferences", "model_providers[0].routing_preferences", 5),
        ("warning", "migrate.preference-conflict", "model_providers[1].routing_preferences[0]", 12),
        ("notice", "migrate.inline-preferences", "model_providers[1].routing_preferences", 11),
    ]
    assert "'code generation', 'long documents'" in found[0].message
    assert "listing 'claude' in their `models`" in found[0].message
    assert "the first description ('Write new code.') is kept" in found[1].message


def test_lifted_preferences_point_at_the_users_lines() -> None:
    out, _ = run(lift_preferences, INLINE)
    location = locate(out, ("routing_preferences", 1, "description"))
    assert location.path == ("model_providers", 0, "routing_preferences", 1, "description")
    assert location.mark is not None
    assert location.mark.line == 9


def test_an_existing_top_level_preference_wins() -> None:
    top = "routing_preferences:\n  - {name: code generation, description: Mine., models: [openai/gpt-4o]}\n"
    out, found = run(lift_preferences, INLINE + top)
    assert plain(out)["routing_preferences"] == [
        {"name": "code generation", "description": "Mine.", "models": ["openai/gpt-4o"]},
        {"name": "long documents", "description": "Summarise long documents.", "models": ["claude"]},
    ]
    assert [(d.code, d.path) for d in found if d.code == "migrate.preference-exists"] == [
        ("migrate.preference-exists", "model_providers[0].routing_preferences[0]"),
        ("migrate.preference-exists", "model_providers[1].routing_preferences[0]"),
    ]


def test_usage_becomes_a_preference_named_after_the_provider() -> None:
    text = """\
    version: v0.1
    model_providers:
      - name: smart
        model: openai/gpt-4o
        usage: Complex reasoning.
      - name: quick
        model: openai/gpt-4o-mini
        usage: Short answers.
    """
    out, found = run(lift_preferences, text)
    assert plain(out)["model_providers"] == [
        {"name": "smart", "model": "openai/gpt-4o"},
        {"name": "quick", "model": "openai/gpt-4o-mini"},
    ]
    assert plain(out)["routing_preferences"] == [
        {"name": "smart", "description": "Complex reasoning.", "models": ["smart"]},
        {"name": "quick", "description": "Short answers.", "models": ["quick"]},
    ]
    assert brief(found) == [
        ("notice", "migrate.usage", "model_providers[0].usage", 5),
        ("notice", "migrate.usage", "model_providers[1].usage", 8),
    ]
    location = locate(out, ("routing_preferences", 0, "description"))
    assert location.path == ("model_providers", 0, "usage")
    assert location.mark is not None
    assert location.mark.line == 5


def test_preferences_on_a_wildcard_are_dropped_with_a_warning() -> None:
    text = """\
    version: v0.3.0
    model_providers:
      - model: openai/*
        routing_preferences:
          - {name: any, description: Anything.}
      - model: openai/gpt-4o
        routing_preferences:
          - {name: code, description: Code.}
    """
    out, found = run(lift_preferences, text)
    assert plain(out)["model_providers"] == [{"model": "openai/*"}, {"model": "openai/gpt-4o"}]
    assert plain(out)["routing_preferences"] == [{"name": "code", "description": "Code.", "models": ["openai/gpt-4o"]}]
    assert brief(found) == [
        ("warning", "migrate.wildcard-preferences", "model_providers[0].routing_preferences", 4),
        ("notice", "migrate.inline-preferences", "model_providers[1].routing_preferences", 7),
    ]
    assert found[0].message == (
        "dropped the routing preference 'any' of the wildcard entry 'openai/*': the router matches concrete models, so "
        "no release routed by preferences on a wildcard (and since 0.4.15 inline ones are ignored anyway); routing is "
        "unchanged"
    )
    assert found[0].hint == (
        "to route this task, declare the concrete models under model_providers (e.g. `model: "
        "openai/<id>`) and list them in a top-level `routing_preferences` entry"
    )


def test_files_without_inline_preferences_are_unchanged() -> None:
    doc = parse("version: v0.4.0\nmodel_providers:\n  - model: openai/gpt-4o\n", "config.yaml")
    assert lift_preferences(doc) == (doc, [])


DUPLICATES = """\
version: v0.1
llm_providers:
  - name: gpt-4o-reasoning
    model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
  - name: gpt-4o-chat
    model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
  - name: other
    model: openai/o3
routing_preferences:
  - name: gpt-4o-reasoning
    description: Reasoning.
    models: [gpt-4o-reasoning]
  - name: gpt-4o-chat
    description: Chat.
    models: [gpt-4o-chat, gpt-4o-reasoning]
"""


def _renamed_then(step: Step) -> Step:
    def both(doc: YMap) -> tuple[YMap, list[Diagnostic]]:
        renamed, _ = rename_llm_providers(doc)
        return step(renamed)

    return both


def test_entries_with_the_same_id_and_upstream_merge_into_the_default_one() -> None:
    out, found = run(_renamed_then(merge_duplicates), DUPLICATES)
    assert plain(out) == {
        "version": "v0.1",
        "model_providers": [
            {"name": "gpt-4o-chat", "model": "openai/gpt-4o", "access_key": "$OPENAI_API_KEY", "default": True},
            {"name": "other", "model": "openai/o3"},
        ],
        "routing_preferences": [
            {"name": "gpt-4o-reasoning", "description": "Reasoning.", "models": ["gpt-4o-chat"]},
            {"name": "gpt-4o-chat", "description": "Chat.", "models": ["gpt-4o-chat"]},
        ],
    }
    assert brief(found) == [("warning", "migrate.duplicate-model", "llm_providers[0]", 3)]
    assert found[0].message == (
        "merged into llm_providers[1] ('gpt-4o-chat'): both served the model id 'gpt-4o' "
        "through the same upstream, and the current format allows one entry per model id; "
        "clients that asked for 'gpt-4o-reasoning' must now use 'gpt-4o-chat', and the routing "
        "preferences 'gpt-4o-reasoning', 'gpt-4o-chat' now list 'gpt-4o-chat' in place of "
        "'gpt-4o-reasoning'"
    )
    assert "$OPENAI_API_KEY" not in found[0].message
    assert found[0].hint == (
        "to keep 'gpt-4o-reasoning' working for clients, add `model_aliases: {gpt-4o-reasoning: {target: gpt-4o}}`"
    )


def test_current_files_are_left_to_the_duplicate_checks() -> None:
    out, found = run(merge_duplicates, DUPLICATES.replace("llm_providers", "model_providers"))
    assert len(plain(out)["model_providers"]) == 3
    assert found == []


def test_entries_with_the_same_id_but_different_upstreams_are_refused() -> None:
    text = """\
    version: v0.1
    llm_providers:
      - {name: a, model: openai/gpt-4o, access_key: $KEY_A}
      - {name: b, model: azure_openai/gpt-4o, base_url: "https://x.openai.azure.com"}
    """
    out, found = run(_renamed_then(merge_duplicates), text)
    assert len(plain(out)["model_providers"]) == 2
    assert brief(found) == [("error", "migrate.duplicate-model", "llm_providers[1].model", 4)]
    # Named as the user wrote them (`llm_providers`), with the keys that differ but never their values.
    assert found[0].message == (
        "llm_providers[1] and llm_providers[0] both serve the model id 'gpt-4o' but reach it "
        "differently (they differ in the provider prefix ('azure_openai' vs 'openai'), "
        "`base_url` and `access_key`); the current format allows one entry per model id"
    )


def test_a_conflict_names_the_differing_key_without_its_value() -> None:
    text = """\
    version: v0.1
    llm_providers:
      - {name: a, model: openai/gpt-4o, access_key: sk-proj-a-DO-NOT-PRINT, usage: One.}
      - {name: b, model: openai/gpt-4o, access_key: sk-proj-b-DO-NOT-PRINT, usage: Two.}
    """
    _, found = run(_renamed_then(merge_duplicates), text)
    assert found[0].message == (
        "llm_providers[1] and llm_providers[0] both serve the model id 'gpt-4o' but reach it "
        "differently (they differ in `access_key`); the current format allows one entry per "
        "model id"
    )
    assert "DO-NOT-PRINT" not in f"{found[0].message} {found[0].hint}"


def test_distinct_ids_and_wildcards_are_not_merged() -> None:
    doc = parse(
        "version: v0.4.0\nmodel_providers:\n  - model: 'openai/*'\n  - model: 'openai/*'\n  - model: openai/gpt-4o\n",
        "config.yaml",
    )
    assert merge_duplicates(doc) == (doc, [])


MERGED_USAGE = """\
version: "0.1-beta"
llm_providers:
  - {name: coding, model: openai/gpt-4o, default: true, usage: Write code.,
     routing_preferences: [{name: a, description: A.}]}
  - {name: writing, model: openai/gpt-4o, usage: Write prose., routing_preferences: [{name: b, description: B.}]}
"""


def test_lifting_names_the_entry_a_merged_one_ends_up_as() -> None:
    renamed, _ = rename_llm_providers(parse(MERGED_USAGE, "config.yaml"))
    lifted, found = lift_preferences(renamed)
    merged, _ = merge_duplicates(lifted)
    assert plain(merged)["routing_preferences"] == [
        {"name": "a", "description": "A.", "models": ["coding"]},
        {"name": "coding", "description": "Write code.", "models": ["coding"]},
        {"name": "b", "description": "B.", "models": ["coding"]},
        {"name": "writing", "description": "Write prose.", "models": ["coding"]},
    ]
    # What the notices promise is what the migrated file holds.
    assert [d.message for d in found if d.path.startswith("llm_providers[1]")] == [
        "moved the routing preference 'b' of this provider to the top-level `routing_preferences`, listing 'coding' "
        "in its `models` (this entry is merged into 'coding', which serves the same model): since 0.4.15 the router "
        "reads only the top-level list and ignores inline ones",
        "`usage` became the top-level routing preference 'writing' with `models: [coding]` (this entry is merged into "
        "'coding', which serves the same model): routing preferences replaced `usage` in 0.3.4",
    ]
