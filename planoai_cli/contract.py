"""Data-plane contract constants: provider prefixes, fixed ports, built-in cluster and internal model names."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# Provider prefixes the stock container knows and can reach without a `base_url`.
PREFIXES_WITHOUT_BASE_URL: Final = (
    "deepseek", "groq", "mistral", "openai", "xiaomi", "gemini", "anthropic", "together_ai", "xai",
    "moonshotai", "zhipu", "chatgpt", "digitalocean", "vercel", "openrouter", "edenai",
)
# Supported prefixes that have no fixed public upstream: `base_url` is mandatory.
PREFIXES_NEEDING_BASE_URL: Final = ("azure_openai", "ollama", "qwen", "amazon_bedrock", "plano")
SUPPORTED_PREFIXES: Final = frozenset(PREFIXES_WITHOUT_BASE_URL + PREFIXES_NEEDING_BASE_URL)

# Values `provider_interface` may take (only for a custom, unsupported prefix).
PROVIDER_INTERFACES: Final = (
    "plano", "deepseek", "groq", "mistral", "openai", "xiaomi", "gemini", "chatgpt",
    "digitalocean", "vercel", "openrouter", "edenai", "moonshotai",
)

# Static Envoy clusters for providers without `base_url`, in the template's emission order.
STATIC_PROVIDER_CLUSTERS: Final = MappingProxyType({
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
})
# ChatGPT has no static cluster; the generator gives it this upstream when `base_url` is absent.
CHATGPT_DEFAULT_BASE_URL: Final = "https://chatgpt.com/backend-api/codex"

# Clusters the template always defines besides the provider ones (plus the collector when tracing).
INTERNAL_CLUSTERS: Final = (
    "mistral_7b_instruct", "arch_internal", "bright_staff", "arch_prompt_gateway_listener", "arch_listener_llm",
    "opentelemetry_collector",
)
BUILTIN_CLUSTER_NAMES: Final = frozenset(STATIC_PROVIDER_CLUSTERS) | frozenset(INTERNAL_CLUSTERS)

# Ports bound inside the container whatever the config says.
RESERVED_PORTS: Final = MappingProxyType({
    9091: "brightstaff",
    9092: "brightstaff metrics",
    9901: "the Envoy admin interface",
    10001: "the internal prompt gateway hop",
    11000: "the internal outbound router",
    12001: "the internal LLM egress",
})
PROMPT_INGRESS_PORT: Final = 10000  # bound by the prompt ingress even without a prompt listener
DEFAULT_MODEL_PORT: Final = 12000  # bound by the default model listener when none is declared
# Envoy listener names the template always uses; an agent listener must not take one of them.
FIXED_ENVOY_LISTENERS: Final = (
    "ingress_traffic", "ingress_traffic_prompt", "outbound_api_traffic", "egress_traffic", "egress_traffic_llm",
)

# Internal providers the generator appends, and the models they serve by default.
ROUTER_PROVIDER_NAME: Final = "plano-orchestrator"
FUNCTION_PROVIDER_NAME: Final = "arch-function"
AGENT_ORCHESTRATOR_PROVIDER_NAME: Final = "plano/orchestrator"
INTERNAL_PROVIDER_NAMES: Final = (ROUTER_PROVIDER_NAME, FUNCTION_PROVIDER_NAME, AGENT_ORCHESTRATOR_PROVIDER_NAME)
DEFAULT_ROUTING_MODEL: Final = "Plano-Orchestrator"
FUNCTION_MODEL: Final = "Arch-Function"
INTERNAL_PROVIDER_INTERFACE: Final = "plano"

# Keys `overrides` understands; anything else is ignored by every consumer.
KNOWN_OVERRIDES: Final = (
    "prompt_target_intent_matching_threshold", "optimize_context_window", "use_agent_orchestrator",
    "disable_signals", "upstream_connect_timeout", "upstream_tls_ca_path", "llm_routing_model",
    "agent_orchestration_model", "orchestrator_model_context_length",
)
DEFAULT_UPSTREAM_CONNECT_TIMEOUT: Final = "5s"
DEFAULT_UPSTREAM_TLS_CA_PATH: Final = "/etc/ssl/certs/ca-certificates.crt"
