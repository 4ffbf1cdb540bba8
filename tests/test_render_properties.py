"""Property-based: any valid mix of providers and listeners renders, deterministically, to YAML that reads back."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planoai_cli.errors import InvalidConfig, RenderError
from planoai_cli.pipeline import raw_from_text, validate_raw
from planoai_cli.render import render


def read_yaml(text: str) -> Any:
    """Read YAML with libyaml (the parser the Rust side's serde_yaml also builds on), fast for big files."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


MODELS = [
    "openai/gpt-4o",
    "openai/gpt-4o-mini",
    "anthropic/claude-sonnet-4",
    "groq/*",
    "mistral/mistral-large",
    "ollama/llama3.2",
    "azure_openai/gpt-4o",
    "vllm/qwen",
    "chatgpt/gpt-5",
    "openrouter/x/y",
    "plano/Arch-Function",
    "moonshotai/kimi-for-coding",
    "deepseek/deepseek-chat",
    "together_ai/meta/llama",
]
HOSTS = ["localhost", "127.0.0.1", "gpu.lan", "GPU.lan", "api.kimi.com", "host.docker.internal", "[::1]", "0.0.0.0"]
URLS = st.builds(
    lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(HOSTS),
    st.sampled_from(["", ":8000", ":11434", ":443"]),
    st.sampled_from(["", "/", "/v1", "/coding/"]),
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@st.composite
def providers(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for model in draw(st.lists(st.sampled_from(MODELS), min_size=1, max_size=6, unique=True)):
        entry: dict[str, Any] = {"model": model}
        if draw(st.booleans()) or model.split("/")[0] in ("ollama", "azure_openai", "vllm", "openrouter", "plano"):
            entry["base_url"] = draw(URLS)
        if model.startswith("vllm/"):
            entry["provider_interface"] = "openai"
        if draw(st.booleans()):
            entry["access_key"] = draw(st.sampled_from(["$KEY", "${OTHER_KEY}", "Bearer $T"]))
        if draw(st.booleans()):
            entry["headers"] = draw(
                st.dictionaries(st.sampled_from(["x-a", "User-Agent", "originator"]), TEXT, max_size=2)
            )
        if draw(st.booleans()):
            entry["name"] = draw(TEXT.filter(bool))
        out.append(entry)
    out[0]["default"] = not out[0]["model"].endswith("*")
    return out


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    listeners: list[dict[str, Any]] = [
        {
            "name": "model gw",
            "type": "model",
            "port": draw(st.sampled_from([12000, 12500, 8080])),
            "max_retries": draw(st.integers(0, 3)),
        }
    ]
    if draw(st.booleans()):
        listeners.append({"name": "prompt", "type": "prompt", "port": 10000, "timeout": "45s"})
    agents = draw(st.lists(st.sampled_from(["a1", "a2", "a3"]), unique=True, max_size=3))
    for i, agent in enumerate(agents):
        listeners.append(
            {
                "name": draw(st.sampled_from([f"agent {i}", f"desk_{i}"])),
                "type": "agent",
                "port": 8001 + i,
                "agents": [{"id": agent, "description": draw(TEXT.filter(bool))}],
            }
        )
    doc: dict[str, Any] = {
        "version": "v0.4.0",
        "listeners": draw(st.permutations(listeners)),
        "model_providers": draw(providers()),
    }
    if agents:
        doc["agents"] = [{"id": a, "url": draw(URLS)} for a in agents]
    if draw(st.booleans()):
        doc["tracing"] = {
            "random_sampling": draw(st.integers(0, 100)),
            "opentracing_grpc_endpoint": f"http://{draw(st.sampled_from(HOSTS))}:4317",
        }
    if draw(st.booleans()):
        doc["system_prompt"] = draw(TEXT)
    return doc


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_valid_configs_render_to_yaml_that_reads_back(doc: dict[str, Any]) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True)
    try:
        config = validate_raw(raw_from_text(Path("config.yaml"), text)).config
    except InvalidConfig:
        return  # a combination the checks refuse (duplicate ids, reserved ports, …) is not rendered
    with contextlib.suppress(RenderError):
        first = render(config)
        assert render(config) == first
        plano = read_yaml(first.plano_config)
        envoy = read_yaml(first.envoy_yaml)
        assert plano["version"] == "v0.4.0"
        assert envoy["admin"]["address"]["socket_address"]["port_value"] == 9901
        names = [li["name"] for li in envoy["static_resources"]["listeners"]]
        assert len(names) == len(set(names))
        # Text survives the render exactly as the loader read it (YAML itself folds e.g. NEL in the input).
        assert plano.get("system_prompt") == config.system_prompt
