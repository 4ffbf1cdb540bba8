"""The pure render step: the data-plane contract of both files, determinism, secrets, paths and metadata."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from planoai_cli.errors import RenderError
from planoai_cli.model import PlanoConfig
from planoai_cli.pipeline import raw_from_text, validate_raw
from planoai_cli.render import CONTAINER_PATHS, ListenerPort, RenderPaths, render
from tests import configs


def read_yaml(text: str) -> Any:
    """Read YAML with libyaml (the parser the Rust side's serde_yaml also builds on), fast for big files."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


REPO = Path(__file__).resolve().parent.parent
GOLDEN = sorted(p for p in (REPO / "tests" / "golden").iterdir() if p.is_dir())
TEMPLATES = sorted((REPO / "envoy_templates").glob("*.j2"))
FIXED = ["ingress_traffic", "ingress_traffic_prompt", "outbound_api_traffic"]
# The 23 provider_interface values the Rust enum accepts, written out here apart from contract.py on purpose.
RUST_INTERFACES = {
    "deepseek",
    "groq",
    "mistral",
    "openai",
    "xiaomi",
    "gemini",
    "anthropic",
    "together_ai",
    "xai",
    "moonshotai",
    "zhipu",
    "chatgpt",
    "digitalocean",
    "vercel",
    "openrouter",
    "edenai",
    "azure_openai",
    "ollama",
    "qwen",
    "amazon_bedrock",
    "plano",
    "astraflow",
    "astraflow_cn",
}

MINIMAL = configs.MINIMAL.format(port=12000)


def load(text: str) -> PlanoConfig:
    return validate_raw(raw_from_text(Path("config.yaml"), text)).config


def golden_config(folder: Path) -> PlanoConfig:
    return load((folder / "config.yaml").read_text(encoding="utf-8"))


# --- reading an envoy.yaml ------------------------------------------------------------------------


def hcm(listener: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = listener["filter_chains"][0]["filters"][0]["typed_config"]
    return config


def listeners(envoy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {li["name"]: li for li in envoy["static_resources"]["listeners"]}


def clusters(envoy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in envoy["static_resources"]["clusters"]}


def routes(listener: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = hcm(listener)["route_config"]["virtual_hosts"][0]["routes"]
    return found


def header_routes(listener: dict[str, Any], header: str) -> dict[str, str]:
    """Header value → cluster, for the routes that match `header` exactly."""
    found = {}
    for r in routes(listener):
        for h in r["match"].get("headers", []):
            if h["name"] == header:
                found[h["string_match"]["exact"]] = r["route"]["cluster"]
    return found


def wasm_filters(envoy: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for li in envoy["static_resources"]["listeners"]:
        for f in hcm(li)["http_filters"]:
            if f["typed_config"].get("type_url", "").endswith("wasm.v3.Wasm"):
                yield f["name"], f["typed_config"]["value"]["config"]


def without_embedded(envoy_text: str, plano_config: str) -> str:
    """envoy.yaml minus the three embedded copies of the rendered config (as literal blocks)."""
    block = "".join(f"{' ' * 30}{line}\n" if line else "\n" for line in plano_config.splitlines())
    assert envoy_text.count(block) == 3
    return envoy_text.replace(block, "")


# --- determinism ----------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", GOLDEN, ids=lambda p: p.name)
def test_rendering_twice_gives_identical_bytes(folder: Path) -> None:
    first, second = render(golden_config(folder)), render(golden_config(folder))
    assert (first.envoy_yaml, first.plano_config) == (second.envoy_yaml, second.plano_config)
    assert first == second


# --- envoy.yaml: listeners, routes, clusters, plugins ---------------------------------------------


@pytest.mark.parametrize("folder", GOLDEN, ids=lambda p: p.name)
def test_envoy_yaml_honours_the_data_plane_contract(folder: Path) -> None:
    config = golden_config(folder)
    rendered = render(config)
    envoy = read_yaml(rendered.envoy_yaml)
    plano = read_yaml(rendered.plano_config)
    agents = [li.envoy_name for li in config.listeners if li.type == "agent"]
    assert list(listeners(envoy)) == [*FIXED, *agents, "egress_traffic", "egress_traffic_llm"]
    assert envoy["admin"]["address"]["socket_address"] == {"address": "0.0.0.0", "port_value": 9901}
    known = set(clusters(envoy))
    for li in listeners(envoy).values():
        for r in routes(li):
            assert "direct_response" in r or r["route"]["cluster"] in known, (li["name"], r)
    # The LLM plugin routes by the provider's cluster_name, else its interface: both hops must know it.
    wanted = {p.get("cluster_name") or p["provider_interface"] for p in plano["model_providers"]}
    for hop in ("ingress_traffic_prompt", "egress_traffic_llm"):
        assert set(header_routes(listeners(envoy)[hop], "x-arch-llm-provider")) >= wanted
    # Every endpoint the rendered config lists is reachable through 11000 under its own name.
    outbound = header_routes(listeners(envoy)["outbound_api_traffic"], "x-arch-upstream")
    assert outbound == {"bright_staff": "bright_staff", **{n: n for n in plano.get("endpoints", {})}}


@pytest.mark.parametrize("folder", GOLDEN, ids=lambda p: p.name)
def test_the_three_plugins_embed_the_rendered_config_verbatim(folder: Path) -> None:
    rendered = render(golden_config(folder))
    filters = list(wasm_filters(read_yaml(rendered.envoy_yaml)))
    assert [(name, cfg["root_id"], cfg["vm_config"]["code"]["local"]["filename"]) for name, cfg in filters] == [
        ("envoy.filters.http.wasm_prompt", "prompt_gateway", "/etc/envoy/proxy-wasm-plugins/prompt_gateway.wasm"),
        ("envoy.filters.http.wasm_llm", "llm_gateway", "/etc/envoy/proxy-wasm-plugins/llm_gateway.wasm"),
        ("envoy.filters.http.wasm", "llm_gateway", "/etc/envoy/proxy-wasm-plugins/llm_gateway.wasm"),
    ]
    for _, cfg in filters:
        assert cfg["configuration"]["value"] == rendered.plano_config
        assert cfg["vm_config"]["runtime"] == "envoy.wasm.runtime.v8"
        assert "vm_id" not in cfg


@pytest.mark.parametrize("folder", GOLDEN, ids=lambda p: p.name)
def test_tracing_is_on_exactly_when_sampling_is_above_zero(folder: Path) -> None:
    config = golden_config(folder)
    envoy = read_yaml(render(config).envoy_yaml)
    on = config.tracing is not None and (config.tracing.random_sampling or 0) > 0
    traced = [name for name, li in listeners(envoy).items() if "tracing" in hcm(li)]
    agents = [li.envoy_name for li in config.listeners if li.type == "agent"]
    assert traced == (["ingress_traffic", *agents, "egress_traffic_llm"] if on else [])
    assert ("opentelemetry_collector" in clusters(envoy)) is on


def test_provider_clusters_are_unique_per_scheme_host_and_port() -> None:
    envoy = read_yaml(render(golden_config(REPO / "tests" / "golden" / "same-host-ports")).envoy_yaml)
    found = clusters(envoy)
    plain, tls = found["ollama_gpu-box.lan_11434"], found["ollama_gpu-box.lan_8443"]
    assert plain["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"] == {
        "socket_address": {"address": "gpu-box.lan", "port_value": 11434}
    }
    assert "transport_socket" not in plain
    assert tls["transport_socket"]["typed_config"]["sni"] == "gpu-box.lan"
    vllm = found["openai_gpu-box.lan"]["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert vllm["hostname"] == "vllm.internal"


def test_prefix_affinity_endpoints_hash_on_the_prefix_header() -> None:
    envoy = read_yaml(render(golden_config(REPO / "tests" / "golden" / "endpoints-affinity")).envoy_yaml)
    cache = clusters(envoy)["cache_svc"]
    assert (cache["type"], cache["lb_policy"], cache["connect_timeout"]) == ("STRICT_DNS", "RING_HASH", "3s")
    outbound = routes(listeners(envoy)["outbound_api_traffic"])
    hashed = [r["route"]["cluster"] for r in outbound if "hash_policy" in r["route"]]
    assert hashed == ["cache_svc"]
    inventory = clusters(envoy)["inventory"]
    assert (inventory["connect_timeout"], inventory["transport_socket"]["typed_config"]["sni"]) == (
        "2s",
        "inventory.internal",
    )


def test_max_retries_adds_a_retry_policy_without_a_per_try_timeout() -> None:
    envoy = read_yaml(render(golden_config(REPO / "tests" / "golden" / "max-retries")).envoy_yaml)
    egress = listeners(envoy)["egress_traffic_llm"]
    policies = [r["route"]["retry_policy"] for r in routes(egress) if "route" in r]
    assert len(policies) == 3
    assert all(p["num_retries"] == 3 and "per_try_timeout" not in p for p in policies)
    assert routes(egress)[-1] == {
        "match": {"prefix": "/"},
        "direct_response": {
            "status": 400,
            "body": {
                "inline_string": "the x-arch-llm-provider header is missing, so no model provider can be chosen\n"
            },
        },
    }
    model = listeners(envoy)["egress_traffic"]
    assert model["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 12500}
    assert routes(model)[1]["route"]["timeout"] == "600s"
    assert all("retry_policy" not in r.get("route", {}) for r in routes(listeners(envoy)["ingress_traffic_prompt"]))


@pytest.mark.parametrize("folder", GOLDEN, ids=lambda p: p.name)
def test_the_plugin_hops_answer_an_exact_healthz_first_as_the_plugins_do(folder: Path) -> None:
    # With the real plugins this route is never reached (they answer first); a stand-in plugin passes through.
    envoy = read_yaml(render(golden_config(folder)).envoy_yaml)
    health = {
        "match": {"prefix": "/", "headers": [{"name": ":path", "string_match": {"exact": "/healthz"}}]},
        "direct_response": {"status": 200},
    }
    for hop in ("ingress_traffic_prompt", "egress_traffic_llm"):
        assert routes(listeners(envoy)[hop]).count(health) == 1
        assert routes(listeners(envoy)[hop])[0] == health
    assert [r["match"] for r in routes(listeners(envoy)["ingress_traffic"])] == [{"prefix": "/"}]


def test_agent_listeners_name_themselves_to_brightstaff() -> None:
    envoy = read_yaml(render(golden_config(REPO / "tests" / "golden" / "agents-and-filters")).envoy_yaml)
    desk = listeners(envoy)["planning_desk"]
    assert hcm(desk)["stat_prefix"] == "planning_desk_traffic"
    assert hcm(desk)["route_config"]["request_headers_to_add"] == [
        {
            "header": {"key": "x-arch-agent-listener-name", "value": "planning desk"},
            "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
        }
    ]
    assert routes(desk) == [
        {"match": {"prefix": "/healthz"}, "direct_response": {"status": 200}},
        {
            "match": {"prefix": "/"},
            "route": {
                "auto_host_rewrite": True,
                "cluster": "bright_staff",
                "timeout": "30s",
                "prefix_rewrite": "/agents/",
            },
        },
    ]
    assert routes(listeners(envoy)["research"])[1]["route"]["timeout"] == "120s"
    researcher = clusters(envoy)["researcher"]
    assert researcher["transport_socket"]["typed_config"]["sni"] == "research.example.com"


def test_the_orchestrator_endpoint_is_also_routed_on_the_prompt_hop() -> None:
    envoy = read_yaml(render(golden_config(REPO / "tests" / "golden" / "agent-orchestrator")).envoy_yaml)
    hop = header_routes(listeners(envoy)["ingress_traffic_prompt"], "x-arch-llm-provider")
    assert hop == {"openai": "openai", "plano": "plano", "orchestrator": "orchestrator"}
    ingress = listeners(envoy)["ingress_traffic"]
    assert routes(ingress)[0]["route"] == {
        "auto_host_rewrite": True,
        "cluster": "arch_prompt_gateway_listener",
        "timeout": "45s",
    }


def test_vestigial_clusters_are_gone_and_built_ins_stay() -> None:
    names = list(clusters(read_yaml(render(load(MINIMAL)).envoy_yaml)))
    assert names == [
        "plano",
        "anthropic",
        "deepseek",
        "xai",
        "moonshotai",
        "zhipu",
        "together_ai",
        "gemini",
        "groq",
        "mistral",
        "openai",
        "digitalocean",
        "xiaomi",
        "arch_internal",
        "bright_staff",
        "arch_prompt_gateway_listener",
    ]


def test_every_cluster_names_itself_in_its_load_assignment() -> None:
    for folder in GOLDEN:
        for name, cluster in clusters(read_yaml(render(golden_config(folder)).envoy_yaml)).items():
            assert cluster["load_assignment"]["cluster_name"] == name


# --- plano_config_rendered.yaml: the Rust consumer's shape ----------------------------------------


@pytest.mark.parametrize("folder", GOLDEN, ids=lambda p: p.name)
def test_rendered_config_has_the_shape_the_runtime_reads(folder: Path) -> None:
    plano = read_yaml(render(golden_config(folder)).plano_config)
    assert plano["version"] == "v0.4.0"
    for li in plano["listeners"]:
        assert {"name", "type", "port"} <= set(li)
        assert li["type"] in ("model", "prompt", "agent")
        assert isinstance(li["port"], int)
        assert "model_providers" not in li
    assert sum(li["type"] == "model" for li in plano["listeners"]) == 1
    providers = plano["model_providers"]
    assert all(p["provider_interface"] in RUST_INTERFACES and "/" not in p["provider_interface"] for p in providers)
    assert sum(bool(p.get("default")) for p in providers) <= 1
    concrete = [p["name"] for p in providers if p["model"] != "*"]
    assert len(concrete) == len(set(concrete))
    for p in providers:
        assert ("cluster_name" in p) == ("endpoint" in p) == ("port" in p)
    names = {p["name"] for p in providers} | {p["model"] for p in providers}
    for pref in plano.get("routing_preferences", []):
        assert set(pref["models"]) <= names, pref


def test_internal_providers_follow_the_users_and_are_marked_internal() -> None:
    plano = read_yaml(render(golden_config(REPO / "tests" / "golden" / "preference-names")).plano_config)
    assert [(p["name"], p["model"], p["provider_interface"], p.get("internal")) for p in plano["model_providers"]] == [
        ("claude", "claude-sonnet-4-20250514", "anthropic", None),
        ("openai/gpt-4o", "gpt-4o", "openai", None),
        ("xai/grok-4", "grok-4", "xai", None),
        ("plano-orchestrator", "Plano-Orchestrator", "plano", True),
        ("arch-function", "Arch-Function", "plano", True),
        ("plano/orchestrator", "Plano-Orchestrator", "plano", True),
    ]
    assert plano["routing_preferences"][0]["models"] == ["claude", "openai/gpt-4o"]


def test_a_config_without_a_model_listener_gets_the_default_one() -> None:
    rendered = render(golden_config(REPO / "tests" / "golden" / "prompt-only"))
    plano = read_yaml(rendered.plano_config)
    assert plano["listeners"][-1] == {
        "name": "egress_traffic",
        "type": "model",
        "port": 12000,
        "address": "0.0.0.0",
        "timeout": "300s",
    }
    assert rendered.listener_ports == (
        ListenerPort("prompt_gateway", "prompt", "ingress_traffic", "0.0.0.0", 10000),
        ListenerPort("egress_traffic", "model", "egress_traffic", "0.0.0.0", 12000),
    )
    assert plano["endpoints"] == {"stores": {"endpoint": "stores.internal:8080", "port": 8080, "protocol": "http"}}


def test_agent_and_filter_clusters_are_listed_as_endpoints_even_without_an_endpoints_section() -> None:
    plano = read_yaml(render(golden_config(REPO / "tests" / "golden" / "agents-and-filters")).plano_config)
    assert plano["endpoints"] == {
        "planner": {"endpoint": "planner.internal", "port": 10510, "protocol": "http"},
        "researcher": {"endpoint": "research.example.com", "port": 443, "protocol": "https"},
        "redactor": {"endpoint": "filters.internal", "port": 10530, "protocol": "http"},
        "guard": {"endpoint": "filters.internal", "port": 10531, "protocol": "http"},
    }


def test_chatgpt_gets_deterministic_defaults_and_user_headers_win_case_insensitively() -> None:
    text = MINIMAL.replace(
        "  - model: openai/gpt-4o\n", "  - model: chatgpt/gpt-5\n    headers:\n      User-Agent: mine/1.0\n"
    ).replace("    access_key: $OPENAI_API_KEY\n", "")
    rendered = render(load(text))
    provider = read_yaml(rendered.plano_config)["model_providers"][0]
    assert provider["headers"] == {
        "User-Agent": "mine/1.0",
        "ChatGPT-Account-Id": "${CHATGPT_ACCOUNT_ID}",
        "originator": "codex_cli_rs",
    }
    assert provider["passthrough_auth"] is True
    assert rendered.env_vars["envoy.yaml"] == ("CHATGPT_ACCOUNT_ID",)
    assert "session_id" not in rendered.plano_config


# --- secrets stay references ----------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_contain_no_dollar_sign(template: Path) -> None:
    assert "$" not in template.read_text(encoding="utf-8")


@pytest.mark.parametrize("folder", GOLDEN, ids=lambda p: p.name)
def test_dollars_in_envoy_yaml_come_only_from_the_embedded_config(folder: Path) -> None:
    rendered = render(golden_config(folder))
    assert "$" not in without_embedded(rendered.envoy_yaml, rendered.plano_config)


def test_variables_are_the_secret_references_and_nothing_else() -> None:
    rendered = render(golden_config(REPO / "tests" / "golden" / "quoting"))
    assert dict(rendered.env_vars) == {
        "envoy.yaml": ("OPENAI_API_KEY", "SHOP_KEY", "TEAM_TOKEN"),
        "plano_config_rendered.yaml": ("OPENAI_API_KEY", "SHOP_KEY", "TEAM_TOKEN"),
    }
    assert "$USD" in rendered.plano_config  # prompt text with a dollar is kept, and is not a variable


def _substitute(text: str, values: dict[str, str]) -> str:
    """What the container start does: each known reference becomes its value, escaped for a quoted scalar."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return json.dumps(values[name])[1:-1] if name in values else match.group(0)

    return re.sub(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)", value, text)


def test_a_substituted_secret_stays_one_scalar_in_both_files() -> None:
    rendered = render(golden_config(REPO / "tests" / "golden" / "quoting"))
    nasty = {"OPENAI_API_KEY": 'sk-"x\\y\nz: #1', "TEAM_TOKEN": "t: {}", "SHOP_KEY": "- [a]"}
    plano = read_yaml(_substitute(rendered.plano_config, nasty))
    provider = plano["model_providers"][0]
    assert (provider["access_key"], provider["headers"]["Authorization"]) == (nasty["OPENAI_API_KEY"], "Bearer t: {}")
    envoy = read_yaml(_substitute(rendered.envoy_yaml, nasty))
    for _, cfg in wasm_filters(envoy):
        embedded = read_yaml(cfg["configuration"]["value"])
        assert embedded["prompt_targets"][0]["endpoint"]["http_headers"]["x-key"] == "- [a]"
    assert plano["system_prompt"].startswith("Prices are in $USD; never reveal $HOME.")


# --- paths and metadata ---------------------------------------------------------------------------


def test_metadata_of_a_production_render() -> None:
    rendered = render(load(MINIMAL))
    assert rendered.wasm_paths == (
        "/etc/envoy/proxy-wasm-plugins/prompt_gateway.wasm",
        "/etc/envoy/proxy-wasm-plugins/llm_gateway.wasm",
    )
    assert rendered.log_paths == (
        "/var/log/access_ingress.log",
        "/var/log/access_ingress_prompt.log",
        "/var/log/access_internal.log",
        "/var/log/access_llm.log",
    )
    assert rendered.listener_ports == (ListenerPort("llm", "model", "egress_traffic", "0.0.0.0", 12000),)
    assert rendered.admin_port == 9901
    assert list(rendered.files()) == ["envoy.yaml", "plano_config_rendered.yaml"]


def test_other_paths_render_the_same_config_with_only_the_paths_changed() -> None:
    config = load(MINIMAL)
    paths = RenderPaths(
        prompt_gateway_wasm="/w/p.wasm",
        llm_gateway_wasm="/w/l.wasm",
        log_dir="/tmp/logs",
        ca_bundle="/etc/host-ca.pem",
        pin_ca_bundle=True,
    )
    here, there = render(config, paths), render(config)
    assert here.plano_config == there.plano_config
    assert here.log_paths[0] == "/tmp/logs/access_ingress.log"
    envoy = read_yaml(here.envoy_yaml)
    assert [cfg["vm_config"]["code"]["local"]["filename"] for _, cfg in wasm_filters(envoy)] == [
        "/w/p.wasm",
        "/w/l.wasm",
        "/w/l.wasm",
    ]
    tls = clusters(envoy)["openai"]["transport_socket"]["typed_config"]["common_tls_context"]
    assert tls["validation_context"]["trusted_ca"]["filename"] == "/etc/host-ca.pem"


def test_the_configured_ca_bundle_is_used_unless_pinned() -> None:
    config = golden_config(REPO / "tests" / "golden" / "custom-ca")
    assert CONTAINER_PATHS.ca_path(config.overrides.upstream_tls_ca_path) == "/etc/plano/corporate-ca.pem"
    assert (
        dataclasses.replace(CONTAINER_PATHS, pin_ca_bundle=True).ca_path("/x.pem")
        == "/etc/ssl/certs/ca-certificates.crt"
    )
    envoy = read_yaml(render(config).envoy_yaml)
    assert clusters(envoy)["together_ai"]["connect_timeout"] == "10s"
    tls = clusters(envoy)["together_ai"]["transport_socket"]["typed_config"]["common_tls_context"]
    assert tls["validation_context"]["trusted_ca"]["filename"] == "/etc/plano/corporate-ca.pem"


def test_a_tracing_endpoint_given_as_a_variable_cannot_become_a_cluster() -> None:
    text = MINIMAL + "tracing:\n  random_sampling: 5\n  opentracing_grpc_endpoint: $OTEL_ENDPOINT\n"
    with pytest.raises(RenderError) as caught:
        render(load(text))
    assert caught.value.message == (
        "tracing.opentracing_grpc_endpoint is an environment reference, but Envoy needs "
        "the collector's address itself to define its cluster"
    )
    off = render(load(text.replace("random_sampling: 5", "random_sampling: 0")))
    assert 'opentracing_grpc_endpoint: "$OTEL_ENDPOINT"' in off.plano_config


def test_the_benchmark_runs_and_covers_every_example() -> None:
    # Not a timing test: it only keeps benchmarks/render.py working (CI runs it through the test command).
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "render.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split()[0] for line in result.stdout.splitlines()[2:] if line.startswith(("examples/", "synthetic"))]
    examples = sorted(str(p.relative_to(REPO)) for p in (REPO / "examples").rglob("*.yaml"))
    assert rows == [*examples, "synthetic", "synthetic", "synthetic"]
