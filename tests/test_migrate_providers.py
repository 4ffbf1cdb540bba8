"""Migration of provider entries: `llm_providers`, legacy model forms, upstream keys, hosted models."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from planoai_cli.diagnostics import Diagnostic
from planoai_cli.loader import parse
from planoai_cli.migrate import migrate
from planoai_cli.migrate.providers import convert_providers, rename_llm_providers
from planoai_cli.pipeline import raw_from_text, validate_raw
from planoai_cli.tree import locate, plain
from tests.migratehelp import brief, run


def providers_after(*parts: str) -> tuple[list[dict[str, object]], list[Diagnostic]]:
    out, found = run(convert_providers, *parts)
    return plain(out)["model_providers"], found


G1 = "version: v0.1\nlistener: {address: 0.0.0.0, port: 10000}\n"
G3 = "version: v0.3.0\nlisteners:\n  - {type: model, name: llm, port: 12000}\n"


def test_llm_providers_is_renamed_in_place() -> None:
    out, found = run(rename_llm_providers, "version: v0.1\nllm_providers:\n  - model: openai/gpt-4o\ntracing: {}\n")
    assert list(out) == ["version", "model_providers", "tracing"]
    assert plain(out) == {"version": "v0.1", "model_providers": [{"model": "openai/gpt-4o"}], "tracing": {}}
    assert brief(found) == [("notice", "migrate.llm-providers", "llm_providers", 2)]
    location = locate(out, ("model_providers", 0, "model"))
    assert location.path == ("llm_providers", 0, "model")


def test_llm_providers_next_to_model_providers_is_refused() -> None:
    out, found = run(rename_llm_providers, "version: v0.3.0\nmodel_providers: []\nllm_providers: []\n")
    assert list(out) == ["version", "model_providers", "llm_providers"]
    assert brief(found) == [("error", "migrate.llm-providers", "llm_providers", 3)]


def test_g1_provider_becomes_the_model_prefix() -> None:
    out, found = run(
        convert_providers,
        G1,
        """\
    model_providers:
      - name: gpt-4o
        provider: openai
        access_key: $OPENAI_API_KEY
        model: gpt-4o
      - name: large
        provider: mistral
        provider_interface: mistral
        model: mistral-large-latest
    """,
    )
    assert plain(out) == {
        "version": "v0.1",
        "listener": {"address": "0.0.0.0", "port": 10000},
        "model_providers": [
            {"name": "gpt-4o", "access_key": "$OPENAI_API_KEY", "model": "openai/gpt-4o"},
            {"name": "large", "model": "mistral/mistral-large-latest"},
        ],
    }
    assert brief(found) == [
        ("notice", "migrate.provider-model", "model_providers[0].provider", 5),
        ("notice", "migrate.provider-model", "model_providers[1].provider", 9),
    ]
    assert "`provider: openai` and `model: gpt-4o` became `model: openai/gpt-4o`" in found[0].message
    assert "$OPENAI_API_KEY" not in found[0].message


def test_g1_provider_naming_an_endpoint_gets_its_base_url() -> None:
    items, found = providers_after(
        G1,
        """\
    endpoints:
      local_llm: {endpoint: "localhost:8443", protocol: https}
    model_providers:
      - {name: mine, provider: local_llm, model: llama3}
    """,
    )
    assert items == [{"name": "mine", "model": "openai/llama3", "base_url": "https://localhost:8443"}]
    assert brief(found) == [("warning", "migrate.provider-model", "model_providers[0].provider", 6)]
    assert "named the `endpoints` entry 'local_llm'" in found[0].message
    assert found[0].hint is not None
    assert found[0].hint.startswith("check that the server speaks the OpenAI chat-completions API")


def test_unknown_g1_provider_is_refused_with_a_suggestion() -> None:
    items, found = providers_after(
        G1,
        """\
    endpoints:
      local_llm: {endpoint: "localhost:8000"}
    model_providers:
      - {name: mine, provider: local, model: llama3}
    """,
    )
    assert items == [{"name": "mine", "provider": "local", "model": "llama3"}]
    assert brief(found) == [("error", "migrate.provider-unknown", "model_providers[0].provider", 6)]
    assert found[0].hint is not None
    # The suggestion comes from the shared `did_you_mean` helper; the rest is this step's own advice.
    assert found[0].hint.lower().startswith("did you mean 'local_llm'? if not, write `model: <provider>/llama3`")
    assert found[0].hint.endswith(
        "and `base_url: <url of the server>` instead (`model: openai/llama3` for an OpenAI-compatible server)"
    )


def test_provider_and_interface_that_disagree_are_refused() -> None:
    _, found = providers_after(
        G1 + "model_providers:\n  - {name: x, provider: openai, provider_interface: mistral, model: m}\n"
    )
    assert brief(found) == [("error", "migrate.provider-conflict", "model_providers[0].provider", 4)]
    assert found[0].hint == (
        "delete `provider_interface` and requests go to openai (`model: openai/m`), or delete "
        "`provider` and requests go to mistral (`model: mistral/m`)"
    )


def test_a_conflict_with_an_endpoint_provider_names_that_entry() -> None:
    _, found = providers_after(
        G1,
        """\
    model_providers:
      - {provider: local_llm, provider_interface: claude, model: m}
    endpoints:
      local_llm: {endpoint: "host.docker.internal:11434"}
    """,
    )
    assert found[0].hint == (
        "delete `provider_interface` and requests go to the `endpoints` entry 'local_llm' in "
        "OpenAI format (`model: openai/m`), or delete `provider` and requests go to anthropic "
        "(`model: anthropic/m`)"
    )


def test_interface_and_bare_model_become_a_prefixed_model() -> None:
    items, found = providers_after("""\
    version: v0.1
    listeners: {egress_traffic: {port: 12000}}
    model_providers:
      - name: claude
        provider_interface: claude
        model: claude-3-5-sonnet
    """)
    assert items == [{"name": "claude", "model": "anthropic/claude-3-5-sonnet"}]
    assert brief(found) == [("notice", "migrate.provider-model", "model_providers[0].provider_interface", 5)]
    assert "('claude' was renamed `anthropic` in 0.3.11)" in found[0].message


def test_endpoint_and_protocol_become_base_url() -> None:
    items, found = providers_after(
        G1,
        """\
    model_providers:
      - name: a
        provider_interface: openai
        model: a
        endpoint: "proxy.example.com:443"
        protocol: https
      - name: b
        provider_interface: openai
        model: b
        endpoint: host.docker.internal
        port: 8000
    """,
    )
    assert items == [
        {"name": "a", "model": "openai/a", "base_url": "https://proxy.example.com"},
        {"name": "b", "model": "openai/b", "base_url": "http://host.docker.internal:8000"},
    ]
    assert brief(found) == [
        ("notice", "migrate.provider-model", "model_providers[0].provider_interface", 5),
        ("notice", "migrate.provider-endpoint", "model_providers[0].endpoint", 7),
        ("notice", "migrate.provider-model", "model_providers[1].provider_interface", 10),
        ("notice", "migrate.provider-endpoint", "model_providers[1].endpoint", 12),
    ]
    assert found[1].message.startswith(
        "`endpoint: proxy.example.com:443` and `protocol: https` became `base_url: https://proxy.example.com`"
    )
    assert found[3].message.startswith("`endpoint: host.docker.internal` and `port: 8000` became")
    location = locate(
        run(
            convert_providers,
            G1 + "model_providers:\n  - {name: a, provider_interface: openai, model: a, endpoint: h}\n",
        )[0],
        ("model_providers", 0, "base_url"),
        at_key=True,
    )
    assert location.path == ("model_providers", 0, "endpoint")


def test_endpoint_naming_an_endpoints_entry_uses_its_address() -> None:
    items, found = providers_after(
        G1,
        """\
    endpoints:
      vllm: {endpoint: "10.0.0.5:8000"}
    model_providers:
      - {name: a, provider_interface: openai, model: a, endpoint: vllm}
    """,
    )
    assert items == [{"name": "a", "model": "openai/a", "base_url": "http://10.0.0.5:8000"}]
    assert brief(found)[1] == ("warning", "migrate.provider-endpoint", "model_providers[0].endpoint", 6)


def test_endpoint_next_to_base_url_is_refused() -> None:
    _, found = providers_after(
        G1 + "model_providers:\n  - {name: a, provider_interface: openai, model: a, "
        "endpoint: h, base_url: 'http://h'}\n"
    )
    assert brief(found)[1] == ("error", "migrate.provider-endpoint", "model_providers[0].endpoint", 4)


def test_never_read_provider_keys_are_dropped_and_rate_limits_offered() -> None:
    items, found = providers_after(
        G3,
        """\
    model_providers:
      - model: openai/gpt-4o
        stream: true
        protocol: https
        port: 443
        rate_limits:
          selector: {http_header: {name: x-user, value: alice}}
          limit: {tokens: 100, unit: minute}
    """,
    )
    assert items == [{"model": "openai/gpt-4o"}]
    assert brief(found) == [
        ("notice", "migrate.provider-key", f"model_providers[0].{key}", line)
        for key, line in (("stream", 6), ("protocol", 7), ("port", 8), ("rate_limits", 9))
    ]
    assert found[3].hint is not None
    # The header value stays a placeholder: a selector may match a credential header.
    assert found[3].hint == (
        "to enforce it now, add a top-level `ratelimits: [{model: gpt-4o, selector: {key: x-user, "
        "value: <the http_header value>}, limit: {tokens: 100, unit: minute}}]`; `planoai migrate "
        "--write` rewrites the file in the current format"
    )


def test_rate_limits_are_offered_as_an_item_when_the_file_has_ratelimits() -> None:
    _, found = providers_after(
        G3,
        """\
    model_providers:
      - model: openai/gpt-4o
        rate_limits:
          selector: {http_header: {name: x-user, value: alice}}
          limit: {tokens: 100}
    ratelimits: []
    """,
    )
    assert found[0].hint == (
        "to enforce it now, add this item to the top-level `ratelimits` list: `{model: gpt-4o, "
        "selector: {key: x-user, value: <the http_header value>}, limit: {tokens: 100, unit: "
        "minute}}`; `planoai migrate --write` rewrites the file in the current format"
    )


def test_per_value_rate_limits_are_dropped_with_a_warning() -> None:
    items, found = providers_after(
        G3,
        """\
    model_providers:
      - model: openai/gpt-4o
        rate_limits:
          selector: {http_header: {name: x-user}}
          limit: {tokens: 100, unit: minute}
    """,
    )
    assert items == [{"model": "openai/gpt-4o"}]
    assert brief(found) == [("warning", "migrate.provider-rate-limits", "model_providers[0].rate_limits", 6)]
    assert found[0].message.endswith(
        "has no equivalent in the top-level `ratelimits` section, so requests stay unlimited as before"
    )
    assert found[0].hint == (
        "to limit tokens now, add a top-level `ratelimits` item per x-user value you want to "
        "limit, each with an explicit `selector.value`"
    )


@pytest.mark.parametrize("model", ["arch/Arch-Function", "plano/Plano-Orchestrator"])
def test_hosted_models_without_base_url_are_removed(model: str) -> None:
    items, found = providers_after(
        G3 + f"model_providers:\n  - model: openai/gpt-4o\n  - model: {model}\n    default: true\n"
    )
    assert items == [{"model": "openai/gpt-4o"}]
    assert brief(found) == [("notice", "migrate.hosted-model", "model_providers[1].model", 6)]
    assert "the gateway adds it automatically" in found[0].message
    assert found[0].message.endswith("as an internal provider; it was the default provider")
    assert found[0].hint == (
        "mark another entry `default: true`; `planoai migrate --write` rewrites the file in the current format"
    )


def test_a_removed_arch_router_that_was_the_default_says_so() -> None:
    _, found = providers_after(G3 + "model_providers:\n  - {model: arch/Arch-Router-1.5B, default: true}\n")
    assert found[0].message == (
        "removed the provider entry for 'Arch-Router-1.5B': Arch-Router was retired in 0.4.19 "
        "and routing now uses Plano-Orchestrator, which the gateway adds by itself; it was the "
        "default provider"
    )
    assert found[0].hint == (
        "mark another entry `default: true`; delete the entry; set `overrides.llm_routing_model` "
        "only for a router of your own that speaks the Plano-Orchestrator protocol"
    )


def test_arch_router_is_removed_whatever_its_upstream() -> None:
    items, found = providers_after(
        G1,
        """\
    model_providers:
      - {name: router, provider_interface: openai, model: Arch-Router, endpoint: "localhost:11434"}
    """,
    )
    assert items == []
    assert brief(found) == [("warning", "migrate.arch-router", "model_providers[0].model", 4)]
    assert "Arch-Router was retired in 0.4.19" in found[0].message


def test_arch_models_with_their_own_server_become_plano() -> None:
    items, found = providers_after(
        G3,
        """\
    model_providers:
      - model: arch/Arch-Function
        base_url: http://host.docker.internal:8000
      - model: arch/Arch-Guard
    """,
    )
    assert items == [
        {"model": "plano/Arch-Function", "base_url": "http://host.docker.internal:8000", "name": "arch/Arch-Function"},
        {"model": "arch/Arch-Guard"},
    ]
    assert brief(found) == [
        ("notice", "migrate.provider-model", "model_providers[0].model", 5),
        ("error", "migrate.plano-base-url", "model_providers[1].model", 7),
    ]
    assert "`name: arch/Arch-Function` was added so clients keep using the same id" in found[0].message


def test_claude_prefix_becomes_anthropic_keeping_the_client_id() -> None:
    items, found = providers_after(
        G3 + "model_providers:\n  - model: claude/claude-3-5-sonnet\n  - {name: mine, model: claude/claude-3-opus}\n"
    )
    assert items == [
        {"model": "anthropic/claude-3-5-sonnet", "name": "claude/claude-3-5-sonnet"},
        {"name": "mine", "model": "anthropic/claude-3-opus"},
    ]
    assert [d.code for d in found] == ["migrate.provider-model", "migrate.provider-model"]
    assert "the 'claude' prefix was renamed `anthropic` in 0.3.11" in found[0].message
    assert "name" not in found[1].message.split("was renamed")[1]


def test_an_interface_that_repeats_the_prefix_is_dropped() -> None:
    items, found = providers_after(
        G3 + "model_providers:\n  - {model: openai/gpt-4o, provider_interface: openai}\n"
        "  - {model: openai/o3, provider_interface: mistral}\n"
    )
    assert items == [{"model": "openai/gpt-4o"}, {"model": "openai/o3", "provider_interface": "mistral"}]
    assert brief(found) == [
        ("notice", "migrate.provider-model", "model_providers[0].provider_interface", 5),
        ("error", "migrate.provider-interface", "model_providers[1].provider_interface", 6),
    ]


def test_custom_prefixes_in_list_listener_files_are_labels() -> None:
    items, found = providers_after(
        G3,
        """\
    model_providers:
      - {model: local/qwen, provider_interface: openai, base_url: "http://h:1"}
      - {model: hosted/fc, provider_interface: arch, base_url: "http://h:2"}
      - {model: mine/claude, provider_interface: claude, base_url: "http://h:3"}
    """,
    )
    assert items == [
        {"model": "local/qwen", "provider_interface": "openai", "base_url": "http://h:1"},
        {"model": "hosted/fc", "provider_interface": "plano", "base_url": "http://h:2"},
        {"model": "anthropic/claude", "base_url": "http://h:3", "name": "mine/claude"},
    ]
    assert brief(found) == [
        ("notice", "migrate.provider-model", "model_providers[1].provider_interface", 6),
        ("warning", "migrate.provider-model", "model_providers[2].provider_interface", 7),
    ]
    assert found[1].message == (
        "`model: mine/claude` with `provider_interface: claude` became `model: anthropic/claude` ('claude' was "
        "renamed `anthropic` in 0.3.11, and the current format takes 'anthropic' only as a prefix): requests still go "
        "to `base_url` in the anthropic API, asking for 'claude'; `name: mine/claude` was added so clients keep using "
        "the same id"
    )


def test_a_claude_interface_without_base_url_is_refused() -> None:
    items, found = providers_after(
        G3,
        "model_providers:\n  - {model: mine/claude, provider_interface: claude}\n"
        "  - {name: c, model: mine/opus, provider_interface: claude}\n",
    )
    assert items[0] == {"model": "mine/claude", "provider_interface": "claude"}
    assert brief(found) == [
        ("error", "migrate.provider-interface", "model_providers[0].provider_interface", 5),
        ("error", "migrate.provider-interface", "model_providers[1].provider_interface", 6),
    ]
    assert found[0].message.endswith("and the entry has no `base_url` to say which server speaks it")
    assert found[0].hint == (
        "write `model: anthropic/claude` instead of the 'mine' prefix, add `base_url` (the "
        "server's address) and delete `provider_interface`; add `name: mine/claude` so clients "
        "keep using that id"
    )
    assert found[1].hint == (
        "write `model: anthropic/opus` instead of the 'mine' prefix, add `base_url` (the "
        "server's address) and delete `provider_interface`"
    )


G2 = "version: v0.1\nlisteners: {egress_traffic: {port: 12000}}\n"


def test_slashed_ids_in_an_old_style_file_stay_whole() -> None:
    items, found = providers_after(
        G2,
        """\
    model_providers:
      - {name: a, provider_interface: openai, model: gpt-4o}
      - {name: b, provider_interface: openai, model: meta-llama/Llama-3-8b, base_url: "http://vllm:8000"}
    """,
    )
    assert items[1] == {"name": "b", "model": "openai/meta-llama/Llama-3-8b", "base_url": "http://vllm:8000"}
    assert brief(found)[1] == ("warning", "migrate.provider-model", "model_providers[1].model", 5)
    assert "sent the whole string 'meta-llama/Llama-3-8b' upstream" in found[1].message


def test_slashed_ids_in_a_prefixed_style_file_are_labels() -> None:
    items, found = providers_after(
        G2,
        """\
    model_providers:
      - {model: openai/gpt-4o}
      - {model: meta-llama/Llama-3-8b, provider_interface: openai, base_url: "http://vllm:8000"}
    """,
    )
    assert items[1] == {
        "model": "meta-llama/Llama-3-8b",
        "provider_interface": "openai",
        "base_url": "http://vllm:8000",
    }
    assert found == []


def test_slashed_ids_with_no_other_evidence_keep_the_current_reading_with_a_warning() -> None:
    entry = "  - {model: my_provider/llama3.2, provider_interface: openai, base_url: 'http://ollama:11434'}\n"
    items, found = providers_after(G2 + "model_providers:\n" + entry)
    assert items == [
        {"model": "my_provider/llama3.2", "provider_interface": "openai", "base_url": "http://ollama:11434"}
    ]
    assert brief(found) == [("warning", "migrate.provider-ambiguous", "model_providers[0].model", 4)]
    assert found[0].message == (
        "`model: my_provider/llama3.2` with `provider_interface: openai` is read as the current gateway (0.3.4 and "
        "later) reads it: 'my_provider' is a label and 'llama3.2' is the model sent upstream; 0.2.x–0.3.3 sent the "
        "whole string 'my_provider/llama3.2', and nothing else in this file tells which release it was written for"
    )
    assert found[0].hint == (
        "to send 'my_provider/llama3.2' instead, write `model: openai/my_provider/llama3.2`, add `name: "
        "my_provider/llama3.2` so clients keep using that id, and delete `provider_interface`; `planoai migrate "
        "--write` rewrites the file in the current format"
    )


def test_the_current_reading_sends_the_id_after_the_first_slash() -> None:
    text = (
        G2 + "llm_providers:\n  - {model: my_provider/llama3.2, provider_interface: openai, "
        "base_url: 'http://ollama:11434', default: true}\n"
    )
    validated = validate_raw(raw_from_text(Path("config.yaml"), text))
    provider = validated.config.providers[0]
    assert (provider.name, provider.model_id, provider.interface) == ("my_provider/llama3.2", "llama3.2", "openai")
    assert [d.code for d in validated.warnings] == ["migrate.provider-ambiguous"]


def test_a_named_slashed_entry_is_not_told_to_add_a_name_and_a_renamed_interface_is_said() -> None:
    _, found = providers_after(
        G2 + "model_providers:\n  - {name: fc, model: hosted/fc, provider_interface: arch, base_url: 'http://h:2'}\n"
    )
    assert brief(found) == [("warning", "migrate.provider-ambiguous", "model_providers[0].model", 4)]
    assert found[0].message.endswith("; `provider_interface: arch` became `plano` (renamed `plano` in 0.4.12)")
    assert found[0].hint is not None
    assert found[0].hint.startswith("to send 'hosted/fc' instead, write `model: plano/hosted/fc` and delete ")


def test_an_unclear_claude_entry_takes_the_current_reading_and_the_anthropic_prefix() -> None:
    items, found = providers_after(
        G2 + "model_providers:\n  - {model: corp/claude-3, provider_interface: claude, "
        "base_url: 'https://gw.example.com'}\n"
    )
    assert items == [{"model": "anthropic/claude-3", "base_url": "https://gw.example.com", "name": "corp/claude-3"}]
    assert brief(found) == [("warning", "migrate.provider-ambiguous", "model_providers[0].model", 4)]
    assert (
        "release it was written for; written `model: anthropic/claude-3`, as 'claude' was renamed `anthropic` in "
        "0.3.11 and is only a prefix now; `name: corp/claude-3` was added"
    ) in found[0].message


def test_entries_without_a_usable_model_are_refused() -> None:
    _, found = providers_after(
        G2 + "model_providers:\n  - {name: any, provider_interface: openai}\n  - {name: bare, model: gpt-4o}\n"
    )
    assert brief(found) == [
        ("error", "migrate.provider-model", "model_providers[0]", 4),
        ("error", "migrate.provider-prefix", "model_providers[1].model", 5),
    ]
    assert found[0].message.startswith("provider entry 'any' has no `model`; ")
    assert found[0].hint == (
        "declare one entry per model as `model: openai/<id>`, or `model: openai/*` to accept every openai model"
    )
    assert found[1].hint == "write `model: <provider>/gpt-4o`, e.g. `model: openai/gpt-4o`"


def test_a_base_url_path_that_was_ignored_is_reported() -> None:
    _, found = providers_after(
        G2,
        """\
    model_providers:
      - {name: a, provider_interface: openai, model: a, base_url: "http://h:8000/api"}
      - {name: b, provider_interface: openai, model: b, base_url: "http://h:8000/v1/"}
    """,
    )
    assert [d.code for d in found] == ["migrate.provider-model", "migrate.base-url-path", "migrate.provider-model"]
    assert found[1].path == "model_providers[0].base_url"
    assert "requests now go to /api/…" in found[1].message


def test_alias_targets_follow_renamed_models() -> None:
    out, found = run(
        convert_providers,
        G3,
        """\
    model_providers:
      - model: claude/claude-3-5-sonnet
    model_aliases:
      smart: {target: claude/claude-3-5-sonnet}
      bare: {target: claude-3-5-sonnet}
    """,
    )
    assert plain(out)["model_aliases"] == {
        "smart": {"target": "anthropic/claude-3-5-sonnet"},
        "bare": {"target": "claude-3-5-sonnet"},
    }
    assert brief(found)[1] == ("notice", "migrate.alias-target", "model_aliases.smart.target", 7)


def test_current_entries_are_left_unchanged() -> None:
    text = G3 + "model_providers:\n  - {model: openai/gpt-4o, access_key: $K}\n  - {model: 'openai/*'}\n"
    items, found = providers_after(text)
    assert items == [{"model": "openai/gpt-4o", "access_key": "$K"}, {"model": "openai/*"}]
    assert found == []


def test_an_entry_without_model_or_known_upstream_gets_the_generic_advice() -> None:
    # No name, and a `provider` that names no built-in upstream: nothing to fill in.
    _, found = providers_after(G1 + "model_providers:\n  - {provider: local_llm}\n")
    assert found[0].message.startswith("this provider entry has no `model`; ")
    assert found[0].hint == (
        "declare one entry per model as `model: <provider>/<id>`, or `model: <provider>/*` to "
        "accept every model of a supported provider"
    )


SECRET = "hunter2-secret"
# Every way a provider URL reaches a message: a `base_url` with a path, an `endpoint` (bare address or URL), and
# `endpoints` entries named by a G1 `provider` or by `endpoint`.
WITH_CREDENTIALS = {
    "g2": """\
    version: "0.1-beta"
    listeners: {egress_traffic: {address: 0.0.0.0, port: 12000}}
    llm_providers:
      - {name: a, provider_interface: openai, model: a, default: true,
         base_url: "https://bob:hunter2-secret@llm.example.com/api?token=hunter2-secret"}
      - {name: b, provider_interface: openai, model: b, endpoint: "bob:hunter2-secret@llm.example.com:8443",
         protocol: https}
      - {name: c, provider_interface: openai, model: c, endpoint: "https://bob:hunter2-secret@other.example.com"}
      - {name: d, provider_interface: openai, model: d, endpoint: vault}
    endpoints:
      vault: {endpoint: "bob:hunter2-secret@vault.example.com:8200", protocol: https}
    """,
    "g1": """\
    version: v0.1
    listener: {address: 0.0.0.0, port: 10000}
    llm_providers:
      - {name: local, provider: local_llm, model: llama3, default: true}
    endpoints:
      local_llm: {endpoint: "bob:hunter2-secret@llm.example.com:11434"}
    """,
}


@pytest.mark.parametrize("text", WITH_CREDENTIALS.values(), ids=WITH_CREDENTIALS.keys())
def test_credentials_in_urls_never_reach_a_message(text: str) -> None:
    result = migrate(parse(textwrap.dedent(text), "config.yaml"))
    shown = [d.message for d in result.diagnostics] + [d.hint or "" for d in result.diagnostics]
    assert [s for s in shown if SECRET in s or "bob" in s] == []
    # The URLs are still shown (without credentials): one message per URL in the input.
    assert len([m for m in shown if "example.com" in m]) == text.count("example.com")


def test_urls_in_messages_keep_their_host_and_path() -> None:
    result = migrate(parse(textwrap.dedent(WITH_CREDENTIALS["g2"]), "config.yaml"))
    messages = {d.path: d.message for d in result.diagnostics}
    assert messages["llm_providers[0].base_url"].startswith("`base_url: https://llm.example.com/api` has a path")
    assert messages["llm_providers[1].endpoint"] == (
        "`endpoint: llm.example.com:8443` and `protocol: https` became "
        "`base_url: https://llm.example.com:8443` (`endpoint` was "
        "deprecated in 0.2.4)"
    )
    assert "it became `base_url: https://vault.example.com:8200`" in messages["llm_providers[3].endpoint"]
    # The migrated file keeps the credentials: only messages are redacted.
    assert plain(result.doc)["model_providers"][0]["base_url"] == (
        "https://bob:hunter2-secret@llm.example.com/api?token=hunter2-secret"
    )
