"""Data-plane contract constants: provider prefixes, fixed ports, built-in cluster and internal model names."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# Provider prefixes the stock container knows and can reach without a `base_url`.
PREFIXES_WITHOUT_BASE_URL: Final = (
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
)
# Supported prefixes that have no fixed public upstream: `base_url` is mandatory.
PREFIXES_NEEDING_BASE_URL: Final = ("azure_openai", "ollama", "qwen", "amazon_bedrock", "plano")
SUPPORTED_PREFIXES: Final = frozenset(PREFIXES_WITHOUT_BASE_URL + PREFIXES_NEEDING_BASE_URL)

# Values `provider_interface` may take (only for a custom, unsupported prefix).
PROVIDER_INTERFACES: Final = (
    "plano",
    "deepseek",
    "groq",
    "mistral",
    "openai",
    "xiaomi",
    "gemini",
    "chatgpt",
    "digitalocean",
    "vercel",
    "openrouter",
    "edenai",
    "moonshotai",
)

# Static Envoy clusters for providers without `base_url`, in the template's emission order.
STATIC_PROVIDER_CLUSTERS: Final = MappingProxyType(
    {
        "plano": "archfc.katanemo.dev",
        "anthropic": "api.anthropic.com",
        "deepseek": "api.deepseek.com",
        "xai": "api.x.ai",
        "moonshotai": "api.moonshot.ai",
        "zhipu": "open.bigmodel.cn",
        "together_ai": "api.together.xyz",
        "gemini": "generativelanguage.googleapis.com",
        "groq": "api.groq.com",
        "mistral": "api.mistral.ai",
        "openai": "api.openai.com",
        "digitalocean": "inference.do-ai.run",
        "xiaomi": "api.xiaomimimo.com",
    }
)
# ChatGPT has no static cluster; the generator gives it this upstream when `base_url` is absent.
CHATGPT_DEFAULT_BASE_URL: Final = "https://chatgpt.com/backend-api/codex"

# Clusters the template always defines besides the provider ones (plus the collector when tracing).
INTERNAL_CLUSTERS: Final = (
    "mistral_7b_instruct",
    "arch_internal",
    "bright_staff",
    "arch_prompt_gateway_listener",
    "arch_listener_llm",
    "opentelemetry_collector",
)
BUILTIN_CLUSTER_NAMES: Final = frozenset(STATIC_PROVIDER_CLUSTERS) | frozenset(INTERNAL_CLUSTERS)

# Ports bound inside the container whatever the config says.
RESERVED_PORTS: Final = MappingProxyType(
    {
        9091: "brightstaff",
        9092: "brightstaff metrics",
        9901: "the Envoy admin interface",
        10001: "the internal prompt gateway hop",
        11000: "the internal outbound router",
        12001: "the internal LLM egress",
    }
)
PROMPT_INGRESS_PORT: Final = 10000  # bound by the prompt ingress even without a prompt listener
DEFAULT_MODEL_PORT: Final = 12000  # bound by the default model listener when none is declared
# Envoy listener names the template always uses; an agent listener must not take one of them.
FIXED_ENVOY_LISTENERS: Final = (
    "ingress_traffic",
    "ingress_traffic_prompt",
    "outbound_api_traffic",
    "egress_traffic",
    "egress_traffic_llm",
)

# Internal providers the generator appends, and the models they serve by default.
ROUTER_PROVIDER_NAME: Final = "plano-orchestrator"
FUNCTION_PROVIDER_NAME: Final = "arch-function"
AGENT_ORCHESTRATOR_PROVIDER_NAME: Final = "plano/orchestrator"
DEFAULT_ROUTING_MODEL: Final = "Plano-Orchestrator"
FUNCTION_MODEL: Final = "Arch-Function"
INTERNAL_PROVIDER_INTERFACE: Final = "plano"

# Keys `overrides` understands; anything else is ignored by every consumer.
KNOWN_OVERRIDES: Final = (
    "prompt_target_intent_matching_threshold",
    "optimize_context_window",
    "use_agent_orchestrator",
    "disable_signals",
    "upstream_connect_timeout",
    "upstream_tls_ca_path",
    "llm_routing_model",
    "agent_orchestration_model",
    "orchestrator_model_context_length",
)
DEFAULT_UPSTREAM_CONNECT_TIMEOUT: Final = "5s"
DEFAULT_UPSTREAM_TLS_CA_PATH: Final = "/etc/ssl/certs/ca-certificates.crt"

# --- envoy.yaml / container facts the renderer relies on ---
ADMIN_PORT: Final = 9901
PROMPT_HOP_PORT: Final = 10001  # ingress_traffic_prompt: the prompt and LLM wasm plugins
OUTBOUND_PORT: Final = 11000  # outbound_api_traffic: endpoints, agents, filters and brightstaff by header
LLM_EGRESS_PORT: Final = 12001  # egress_traffic_llm: the LLM wasm plugin in front of the provider clusters
BRIGHTSTAFF_PORT: Final = 9091
DEFAULT_PROMPT_LISTENER: Final = MappingProxyType({"name": "ingress_traffic", "address": "0.0.0.0", "timeout": "300s"})
DEFAULT_MODEL_LISTENER: Final = MappingProxyType({"name": "egress_traffic", "address": "0.0.0.0", "timeout": "300s"})
DEFAULT_AGENT_TIMEOUT: Final = "30s"
HEALTH_PATH: Final = "/healthz"
# Envoy answers /healthz on the model listener itself and sends every other path to Brightstaff, which lists the
# models at this path: an answer here is the one sign from outside the container that Brightstaff serves requests.
BRIGHTSTAFF_READY_PATH: Final = "/v1/models"
PROVIDER_HEADER: Final = "x-arch-llm-provider"  # routing key on 10001 and 12001 (value: a cluster name)
UPSTREAM_HEADER: Final = "x-arch-upstream"  # routing key on 11000 (value: an endpoint cluster name)
AGENT_LISTENER_HEADER: Final = "x-arch-agent-listener-name"
PREFIX_HASH_HEADER: Final = "x-plano-prefix-hash"
PLUGIN_DIR: Final = "/etc/envoy/proxy-wasm-plugins"
PROMPT_GATEWAY_WASM: Final = f"{PLUGIN_DIR}/prompt_gateway.wasm"
LLM_GATEWAY_WASM: Final = f"{PLUGIN_DIR}/llm_gateway.wasm"
LOG_DIR: Final = "/var/log"
# How a process inside the gateway container reaches this machine (the container's own localhost is itself).
CONTAINER_HOST_ALIAS: Final = "host.docker.internal"
DEFAULT_OTEL_PORT: Final = 4317
CHATGPT_ACCOUNT_VARIABLE: Final = "CHATGPT_ACCOUNT_ID"

# The production gateway image this CLI is tested against (override with --image or PLANO_IMAGE).
DEFAULT_IMAGE: Final = "katanemo/plano:0.4.39"
TESTBED_IMAGE: Final = "planoai-testbed:latest"
