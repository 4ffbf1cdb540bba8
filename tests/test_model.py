"""The model stage: derived provider values, cluster names, secret references, locations, immutability."""

from __future__ import annotations

import dataclasses
from textwrap import dedent

import pytest

from planoai_cli import model
from planoai_cli.loader import parse
from planoai_cli.model import InternalProvider, Upstream, build, parse_url
from planoai_cli.secrets import find_refs, has_refs, is_reference
from planoai_cli.tree import Location, Mark, evolve

HEADER = """\
version: v0.4.0
listeners:
  - name: egress
    type: model
    port: 12000
"""  # five lines: snippets appended below start on line 6


def config(body: str) -> model.PlanoConfig:
    return build(parse(HEADER + dedent(body), "x.yaml"))


def providers(body: str) -> dict[str, model.Provider]:
    return {p.name: p for p in config("model_providers:\n" + dedent(body)).providers}


# --- providers: derived values -------------------------------------------------------------------


def test_provider_name_defaults_to_the_full_model_and_id_keeps_later_slashes() -> None:
    got = providers("""\
        - model: vercel/xai/grok-4
          base_url: https://ai-gateway.example.com/v1
        - name: claude
          model: anthropic/claude-sonnet-4
        - model: openai/*
        """)
    grok, claude, wild = got["vercel/xai/grok-4"], got["claude"], got["openai/*"]
    assert (grok.named, grok.prefix, grok.model_id, grok.wildcard, grok.interface) == (
        False,
        "vercel",
        "xai/grok-4",
        False,
        "vercel",
    )
    assert (claude.named, claude.model, claude.model_id) == (True, "anthropic/claude-sonnet-4", "claude-sonnet-4")
    assert (wild.model_id, wild.wildcard) == ("*", True)


def test_custom_prefix_takes_its_interface_from_provider_interface() -> None:
    got = providers("""\
        - model: my-llm/llama-3
          provider_interface: openai
          base_url: http://LLM.Internal:8000/
        """)["my-llm/llama-3"]
    assert (got.prefix, got.interface, got.provider_interface) == ("my-llm", "openai", "openai")
    assert got.upstream == Upstream("http", "llm.internal", 8000, None)
    assert got.cluster_name == "openai_llm.internal"


def test_provider_flags_and_headers() -> None:
    got = providers("""\
        - model: openai/gpt-4o
          access_key: $OPENAI_API_KEY
          default: true
          passthrough_auth: true
          http_host: api.example.com
          headers: {X-Team: blue}
        """)["openai/gpt-4o"]
    assert (got.access_key, got.default, got.passthrough_auth, got.http_host) == (
        "$OPENAI_API_KEY",
        True,
        True,
        "api.example.com",
    )
    assert dict(got.headers) == {"X-Team": "blue"}
    assert (got.upstream, got.cluster_name, got.route_cluster) == (None, None, "openai")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com", Upstream("https", "api.example.com", 443, None)),
        ("http://api.example.com/", Upstream("http", "api.example.com", 80, None)),
        (
            "HTTPS://Api.Example.COM:8443/openai/deployments/x",
            Upstream("https", "api.example.com", 8443, "/openai/deployments/x"),
        ),
        ("http://[::1]:11434/v1", Upstream("http", "::1", 11434, "/v1")),
        ("ftp://api.example.com", None),
        ("$OLLAMA_URL", None),
        ("http://", None),
        ("http://host:99999", None),
        ("http://host:0", None),
        ("localhost:10500", None),
    ],
)
def test_parse_url(url: str, expected: Upstream | None) -> None:
    assert parse_url(url) == expected


def test_chatgpt_without_base_url_gets_its_default_upstream() -> None:
    got = providers("- model: chatgpt/gpt-5\n")["chatgpt/gpt-5"]
    assert got.base_url is None
    assert got.upstream == Upstream("https", "chatgpt.com", 443, "/backend-api/codex")
    assert got.cluster_name == "chatgpt_chatgpt.com"


# --- cluster names (upstream bug: port and scheme were ignored) -------------------------------------

TWO_PORTS = """\
- model: ollama/llama3
  base_url: http://ollama-host:11434
- model: ollama/qwen3
  base_url: https://OLLAMA-HOST:8443/v1
- model: ollama/phi4
  base_url: http://ollama-host:11434/api
- model: azure_openai/gpt-4o
  base_url: https://ollama-host:11434
- model: openai/gpt-4o
"""


def test_one_host_with_two_ports_gets_two_clusters() -> None:
    got = providers(TWO_PORTS)
    assert {n: p.cluster_name for n, p in got.items()} == {
        "ollama/llama3": "ollama_ollama-host_11434",
        "ollama/qwen3": "ollama_ollama-host_8443",
        "ollama/phi4": "ollama_ollama-host_11434",  # same scheme and port: shares the cluster
        "azure_openai/gpt-4o": "azure_openai_ollama-host",  # other interface: its own, unsuffixed name
        "openai/gpt-4o": None,
    }


def test_cluster_names_do_not_depend_on_order() -> None:
    forward = providers(TWO_PORTS)
    entries = TWO_PORTS.split("- model:")[1:]
    backward = providers("".join("- model:" + e for e in reversed(entries)))
    assert {n: p.cluster_name for n, p in backward.items()} == {n: p.cluster_name for n, p in forward.items()}


def test_same_port_with_both_schemes_adds_the_scheme() -> None:
    got = providers("""\
        - model: ollama/a
          base_url: http://box:8080
        - model: ollama/b
          base_url: https://box:8080
        - model: ollama/c
          base_url: http://box:9090
        """)
    assert [p.cluster_name for p in got.values()] == [
        "ollama_box_http_8080",
        "ollama_box_https_8080",
        "ollama_box_9090",
    ]


# --- secrets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("$OPENAI_API_KEY", ("OPENAI_API_KEY",)),
        ("${TOKEN}", ("TOKEN",)),
        ("Bearer $TOKEN", ("TOKEN",)),
        ("Bearer ${TOKEN}-suffix and $TOKEN again, $OTHER", ("TOKEN", "OTHER")),
        ("price: $$5 and $$HOME", ()),
        ("$$$REAL", ("REAL",)),
        ("${UNCLOSED", ()),
        ("$1abc", ()),
        ("plain-literal-key", ()),
        ("a$B_c-d", ("B_c",)),
    ],
)
def test_find_refs(text: str, refs: tuple[str, ...]) -> None:
    assert find_refs(text) == refs
    assert has_refs(text) is bool(refs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$KEY", True),
        (" ${KEY} ", True),
        ("Bearer $KEY", False),
        ("$$", False),
        ("$$KEY", False),
        ("key", False),
    ],
)
def test_is_reference(text: str, expected: bool) -> None:
    assert is_reference(text) is expected


SECRETS = """\
model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    base_url: https://api.openai.com/$NOT_SECRET
    headers:
      Authorization: Bearer ${TEAM_TOKEN}
      X-Plain: $$literal
prompt_targets:
  - name: weather
    description: get weather
    system_prompt: costs $PROMPT_VAR
    endpoint:
      name: weather_api
      path: /weather
      http_headers: {x-api-key: "$WEATHER_KEY", x-other: "$TEAM_TOKEN"}
state_storage:
  type: postgres
  connection_string: postgresql://user:${DB_PASSWORD}@db:5432/plano
tracing:
  opentracing_grpc_endpoint: ${OTEL_ENDPOINT}
  exporters:
    - type: posthog
      url: https://us.i.posthog.com
      api_key: $POSTHOG_KEY
routing:
  session_cache:
    type: redis
    url: $REDIS_URL
"""


def test_secrets_are_found_in_secret_fields_only_sorted_and_located() -> None:
    got = [(s.name, s.path_text, s.owner_description, s.loc.mark) for s in config(SECRETS).secrets]
    assert got == [
        ("DB_PASSWORD", "state_storage.connection_string", "state storage", Mark(23, 22)),
        ("OPENAI_API_KEY", "model_providers[0].access_key", "model provider openai/gpt-4o", Mark(8, 17)),
        ("OTEL_ENDPOINT", "tracing.opentracing_grpc_endpoint", "tracing", Mark(25, 30)),
        ("POSTHOG_KEY", "tracing.exporters[0].api_key", "tracing exporter #1 (posthog)", Mark(29, 16)),
        ("REDIS_URL", "routing.session_cache.url", "routing session cache", Mark(33, 10)),
        ("TEAM_TOKEN", "model_providers[0].headers.Authorization", "model provider openai/gpt-4o", Mark(11, 22)),
        ("TEAM_TOKEN", "prompt_targets[0].endpoint.http_headers.x-other", "prompt target weather", Mark(20, 58)),
        ("WEATHER_KEY", "prompt_targets[0].endpoint.http_headers.x-api-key", "prompt target weather", Mark(20, 33)),
    ]


def test_the_same_reference_twice_in_one_field_is_listed_once() -> None:
    got = config("""\
        model_providers:
          - model: openai/gpt-4o
            headers: {Authorization: "$TOKEN:$TOKEN"}
        """).secrets
    assert [(s.name, s.path_text) for s in got] == [("TOKEN", "model_providers[0].headers.Authorization")]


# --- locations --------------------------------------------------------------------------------------


def test_records_point_at_the_users_lines() -> None:
    cfg = config("""\
        model_providers:
          - model: openai/gpt-4o
            default: true
        """)
    p = cfg.providers[0]
    assert (p.loc.path, p.loc.mark) == (("model_providers", 0), Mark(7, 5))
    assert (p.where("default").path, p.where("default").mark) == (("model_providers", 0, "default"), Mark(8, 14))
    assert p.where("default", at_key=True).mark == Mark(8, 5)
    # A field that is not written extends the element's path and keeps the element's line.
    assert (p.where("base_url").path, p.where("base_url").mark) == (("model_providers", 0, "base_url"), Mark(7, 5))
    assert cfg.listeners[0].where("port").mark == Mark(5, 11)


def test_locations_follow_a_migration_back_to_the_users_key() -> None:
    doc = parse(HEADER + "llm_providers:\n  - model: openai/gpt-4o\n    access_key: $KEY\n", "x.yaml")
    migrated = evolve(doc, rename={"llm_providers": "model_providers"})
    cfg = build(migrated)
    assert cfg.providers[0].loc.path == ("llm_providers", 0)
    assert cfg.secrets[0].path_text == "llm_providers[0].access_key"
    assert cfg.secrets[0].loc.mark == Mark(8, 17)


def test_plain_mappings_built_by_a_migration_are_read_too() -> None:
    doc = parse(HEADER, "x.yaml")
    cfg = build(evolve(doc, put={"model_providers": [{"model": "openai/gpt-4o", "access_key": "$KEY"}]}))
    assert [(p.name, p.model_id) for p in cfg.providers] == [("openai/gpt-4o", "gpt-4o")]
    # No position of its own: the nearest positioned ancestor (the document) stands in.
    assert cfg.providers[0].where("access_key") == Location(("model_providers", 0, "access_key"), Mark(1, 1))


# --- other sections ---------------------------------------------------------------------------------

FULL = """\
listeners:
  - name: egress
    type: model
    port: 12000
    timeout: 60s
    max_retries: 2
    input_filters: [guard]
  - name: travel desk
    type: agent
    port: 8001
    agents:
      - id: flights
        description: books flights
        default: true
        input_filters: [guard]
model_providers:
  - model: openai/gpt-4o
model_aliases:
  fast: {target: gpt-4o}
endpoints:
  weather_api:
    endpoint: Weather.Example.com:8443
    protocol: https
    prefix_affinity: true
  plain:
    endpoint: svc
agents:
  - id: flights
    url: http://flights:9000/mcp
filters:
  - id: guard
    url: http://guard:9100
    type: http
prompt_targets:
  - name: weather
    description: get weather
    parameters:
      - {name: city, type: str, description: the city, required: true, enum: [Paris, 3, true]}
    endpoint: {name: weather_api, path: /w, http_method: POST}
ratelimits:
  - model: gpt-4o
    selector: {key: x-user, value: alice}
    limit: {tokens: 1000, unit: minute}
routing_preferences:
  - name: code
    description: writes code
    models: [openai/gpt-4o]
    selection_policy: {prefer: cheapest}
model_metrics_sources:
  - {type: cost, provider: models.dev, refresh_interval: 60}
routing:
  session_ttl_seconds: 300
  routing_budget: {max_switch_spend_pct: 20}
prompt_caching: {enabled: true, min_prefix_tokens: 512}
prompt_guards:
  input_guards: {jailbreak: {on_exception: {message: blocked}}}
tracing:
  random_sampling: 10
  span_attributes: {header_prefixes: [x-team-], static: {env: dev}}
overrides:
  llm_routing_model: plano/My-Router
  use_agent_orchestrator: false
  custom_knob: {a: [1, 2]}
system_prompt: be brief
"""


def full() -> model.PlanoConfig:
    return build(parse("version: v0.4.0\n" + FULL, "x.yaml"))


def test_listeners_and_services() -> None:
    cfg = full()
    egress, desk = cfg.listeners
    assert (egress.name, egress.type, egress.port, egress.timeout, egress.max_retries, egress.input_filters) == (
        "egress",
        "model",
        12000,
        "60s",
        2,
        ("guard",),
    )
    assert cfg.model_listener is egress
    assert (desk.envoy_name, desk.agents[0].id, desk.agents[0].default, desk.agents[0].input_filters) == (
        "travel_desk",
        "flights",
        True,
        ("guard",),
    )
    assert [(s.kind, s.id, s.upstream) for s in cfg.services] == [
        ("agent", "flights", Upstream("http", "flights", 9000, "/mcp")),
        ("filter", "guard", Upstream("http", "guard", 9100, None)),
    ]
    assert cfg.filters[0].type == "http"


def test_endpoints_targets_and_limits() -> None:
    cfg = full()
    weather, plain = cfg.endpoints
    assert (weather.name, weather.host, weather.port, weather.protocol, weather.prefix_affinity) == (
        "weather_api",
        "weather.example.com",
        8443,
        "https",
        True,
    )
    assert (plain.host, plain.port, plain.protocol) == ("svc", None, None)
    target = cfg.prompt_targets[0]
    assert target.endpoint is not None
    assert target.parameters is not None
    assert (target.endpoint.name, target.endpoint.path, target.endpoint.http_method) == ("weather_api", "/w", "POST")
    assert target.parameters[0].enum == ("Paris", 3, True)
    assert target.endpoint.where("name").mark == Mark(40, 22)
    limit = cfg.ratelimits[0]
    assert (limit.model, limit.selector_key, limit.selector_value, limit.tokens, limit.unit) == (
        "gpt-4o",
        "x-user",
        "alice",
        1000,
        "minute",
    )
    assert [(a.name, a.target) for a in cfg.aliases] == [("fast", "gpt-4o")]


def test_routing_tracing_and_the_rest() -> None:
    cfg = full()
    assert [(p.name, p.models, p.prefer) for p in cfg.routing_preferences] == [("code", ("openai/gpt-4o",), "cheapest")]
    assert [(m.type, m.provider, m.refresh_interval) for m in cfg.metrics_sources] == [("cost", "models.dev", 60)]
    assert cfg.routing is not None
    assert cfg.routing.budget is not None
    assert (cfg.routing.session_ttl_seconds, cfg.routing.budget.max_switch_spend_pct) == (300, 20.0)
    assert cfg.routing.session_cache is None
    assert cfg.tracing is not None
    assert cfg.tracing.enabled
    assert (cfg.tracing.header_prefixes, dict(cfg.tracing.static_attributes or {})) == (("x-team-",), {"env": "dev"})
    assert cfg.prompt_caching is not None
    assert (cfg.prompt_caching.enabled, cfg.prompt_caching.min_prefix_tokens) == (True, 512)
    assert cfg.prompt_guards is not None
    assert cfg.prompt_guards.jailbreak_message == "blocked"
    assert (cfg.system_prompt, cfg.state_storage) == ("be brief", None)


def test_overrides_known_keys_are_typed_and_unknown_ones_kept_frozen() -> None:
    o = full().overrides
    assert (o.llm_routing_model, o.use_agent_orchestrator, o.router_model_id) == ("plano/My-Router", False, "My-Router")
    assert o.agent_orchestrator_model_id == "Plano-Orchestrator"
    assert list(o.extra) == ["custom_knob"]
    knob = o.extra["custom_knob"]
    assert dict(knob) == {"a": (1, 2)}  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        knob["b"] = 1  # type: ignore[index]


def test_internal_providers_follow_the_generators_conditions() -> None:
    assert full().internal_providers == (
        InternalProvider("plano-orchestrator", "My-Router"),
        InternalProvider("arch-function", "Arch-Function"),
        InternalProvider("plano/orchestrator", "Plano-Orchestrator"),
    )
    own = config("""\
        model_providers:
          - name: arch-function
            model: plano/Arch-Function
            base_url: http://fc:8000
          - model: plano/Plano-Orchestrator
            base_url: http://orch:8000
        """)
    assert own.internal_providers == ()  # no preferences; both others served by the user


def test_provider_for_resolves_name_then_model_then_bare_id() -> None:
    cfg = config("""\
        model_providers:
          - name: claude
            model: anthropic/claude-sonnet-4
          - model: openai/*
        """)
    claude = cfg.providers[0]
    assert cfg.provider_for("claude") is claude
    assert cfg.provider_for("anthropic/claude-sonnet-4") is claude
    assert cfg.provider_for("claude-sonnet-4") is claude
    assert cfg.provider_for("openai/*") is cfg.providers[1]
    assert cfg.provider_for("*") is None
    assert cfg.provider_for("gpt-4o") is None


def test_records_are_immutable() -> None:
    cfg = config("model_providers:\n  - model: openai/gpt-4o\n    headers: {a: b}\n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.providers[0].name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.providers[0].headers["a"] = "c"  # type: ignore[index]
    assert isinstance(cfg.providers, tuple)


def test_absent_sections_build_as_empty() -> None:
    cfg = config("")
    assert (cfg.providers, cfg.aliases, cfg.endpoints, cfg.tracing, cfg.routing, cfg.secrets) == (
        (),
        (),
        (),
        None,
        None,
        (),
    )
    assert cfg.overrides.extra == {}
    assert cfg.version == "v0.4.0"


def test_parse_url_refuses_what_urlsplit_cannot_split() -> None:
    from planoai_cli.model import parse_url

    assert parse_url("http://[::1") is None
    assert parse_url("http://[::1]:8080/v1") is not None
