"""Render stage: the pure step `render(config, paths) -> Rendered` (no environment, no clock; memoized on disk)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from planoai_cli.contract import ADMIN_PORT, DEFAULT_MODEL_PORT, HEALTH_PATH
from planoai_cli.diagnostics import Diagnostic
from planoai_cli.model import PlanoConfig
from planoai_cli.render.clusters import envoy_clusters, provider_route_clusters
from planoai_cli.render.context import TTFT_BUCKETS, EnvoyContext
from planoai_cli.render.document import document
from planoai_cli.render.listeners import envoy_listeners
from planoai_cli.render.localhost import containerize as to_container
from planoai_cli.render.memo import rendered as memoized
from planoai_cli.render.paths import CONTAINER_PATHS, ENVOY_FILE, PLANO_CONFIG_FILE, RenderPaths
from planoai_cli.render.providers import derived_variables
from planoai_cli.render.services import agent_orchestrator, default_otel_endpoint, endpoint_targets, otel_address
from planoai_cli.render.yamltext import dump

TEMPLATE = "envoy.yaml.j2"


@dataclass(frozen=True)
class ListenerPort:
    """A port the gateway serves clients on: publish it, and poll `health_path` on it until it answers 200."""

    name: str  # the config's listener name (`egress_traffic` for the default model listener)
    type: str  # model, prompt or agent
    envoy_listener: str
    address: str
    port: int
    health_path: str = HEALTH_PATH


@dataclass(frozen=True)
class Rendered:
    """The two data-plane files as text, and what running them needs."""

    envoy_yaml: str
    plano_config: str  # plano_config_rendered.yaml
    listener_ports: tuple[ListenerPort, ...]  # sorted by port
    admin_port: int
    env_vars: Mapping[str, tuple[str, ...]]  # file name → the variables it references (sorted)
    wasm_paths: tuple[str, ...]  # prompt gateway, LLM gateway
    log_paths: tuple[str, ...]  # access logs Envoy writes (sorted)
    notices: tuple[Diagnostic, ...]  # what the render changed (loopback hosts), sorted by position

    def files(self) -> Mapping[str, str]:
        """File name → content, in writing order."""
        return MappingProxyType({ENVOY_FILE: self.envoy_yaml, PLANO_CONFIG_FILE: self.plano_config})


def render(config: PlanoConfig, paths: RenderPaths = CONTAINER_PATHS, *, containerize: bool = True) -> Rendered:
    """Render a valid config into envoy.yaml and plano_config_rendered.yaml.

    `containerize` points loopback hosts at `host.docker.internal` (with a notice each), for a gateway in a
    container. Identical input gives byte-identical output, which is why envoy.yaml may come from the cache of
    rendered texts (render/memo.py). Raises RenderError when a template fails or a value cannot be rendered.
    """
    notices: tuple[Diagnostic, ...] = ()
    if containerize:
        config, notices = to_container(config)
    otel_default = default_otel_endpoint(containerize)
    targets = endpoint_targets(config)
    plano_config = dump(document(config, targets, otel_default))
    tracing_on = config.tracing is not None and config.tracing.enabled
    context = EnvoyContext(
        admin_port=ADMIN_PORT,
        buckets=TTFT_BUCKETS,
        listeners=envoy_listeners(
            config, paths, targets, provider_route_clusters(config), agent_orchestrator(config, targets)
        ),
        clusters=envoy_clusters(config, targets, otel_address(config, otel_default) if tracing_on else None),
        ca_path=paths.ca_path(config.overrides.upstream_tls_ca_path),
        prompt_gateway_wasm=paths.prompt_gateway_wasm,
        llm_gateway_wasm=paths.llm_gateway_wasm,
        plano_config=plano_config,
    )
    envoy_yaml = memoized(TEMPLATE, context, lambda: _envoy_yaml(context))
    variables = tuple(sorted({ref.name for ref in config.secrets} | set(derived_variables(config))))
    return Rendered(
        envoy_yaml=envoy_yaml,
        plano_config=plano_config,
        listener_ports=listener_ports(config),
        admin_port=ADMIN_PORT,
        env_vars=MappingProxyType({ENVOY_FILE: variables, PLANO_CONFIG_FILE: variables}),
        wasm_paths=(paths.prompt_gateway_wasm, paths.llm_gateway_wasm),
        log_paths=tuple(sorted({listener.access_log for listener in context.listeners})),
        notices=notices,
    )


def _envoy_yaml(context: EnvoyContext) -> str:
    from planoai_cli.render.engine import render_template  # Jinja loads only when the text is not kept already

    return render_template(TEMPLATE, envoy=context)


def listener_ports(config: PlanoConfig) -> tuple[ListenerPort, ...]:
    """Every listener clients reach (the default model listener when none is declared), sorted by port."""
    ports = [
        ListenerPort(li.name, li.type, _envoy_name(li.type, li.envoy_name), li.address or "0.0.0.0", li.port)
        for li in config.listeners
    ]
    if config.model_listener is None:
        ports.append(ListenerPort("egress_traffic", "model", "egress_traffic", "0.0.0.0", DEFAULT_MODEL_PORT))
    return tuple(sorted(ports, key=lambda p: (p.port, p.name)))


def _envoy_name(kind: str, agent_name: str) -> str:
    return {"model": "egress_traffic", "prompt": "ingress_traffic"}.get(kind, agent_name)
