"""The container request for a project: labels, environment allow-list, ports, mounts (a pure function)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from planoai_cli import __version__
from planoai_cli.contract import ADMIN_PORT, HEALTH_PATH, LLM_EGRESS_PORT
from planoai_cli.gateway.layout import Layout, Listener, encode, is_wildcard
from planoai_cli.gateway.options import UpOptions
from planoai_cli.loader import parse
from planoai_cli.project import container_name
from planoai_cli.render import Rendered
from planoai_cli.render.paths import ENVOY_FILE, PLANO_CONFIG_FILE
from planoai_cli.runtime import container as rt

RENDERED_DIR = "/etc/plano/rendered"
SUPERVISOR_DIR = "/etc/plano/supervisord"
RUN_DIR = "/run/plano"
INTERNAL_HOP_NAME = "egress_traffic_llm"  # Envoy's name for the 12001 listener
# The gateway's command, under `up` and in every export (the export's entrypoint execs exactly this): supervisord
# with supervisord.conf plus the wake plugin (wake.conf, wake.py), which starts and stops the programs without
# supervisord's one-second ticks.
START = ("/bin/sh", f"{SUPERVISOR_DIR}/start.sh")


def environment(rendered: Rendered, values: Mapping[str, str], options: UpOptions) -> dict[str, str]:
    """Only what the gateway needs: the referenced keys, substitution lists, log level and tracing collector."""
    env = {name: _escaped(values[name]) for name in sorted(_referenced(rendered)) if name in values}
    env["PLANO_ENVOY_VARS"] = _shell_format(rendered.env_vars.get(ENVOY_FILE, ()))
    env["PLANO_CONFIG_VARS"] = _shell_format(rendered.env_vars.get(PLANO_CONFIG_FILE, ()))
    env["LOG_LEVEL"] = options.log_level
    endpoint = tracing_endpoint(rendered)
    if endpoint is not None:
        env["OTEL_TRACING_GRPC_ENDPOINT"] = endpoint
    return env


def tracing_endpoint(rendered: Rendered) -> str | None:
    """The collector the rendered config traces to, for components that read it from the environment."""
    tracing = parse(rendered.plano_config, PLANO_CONFIG_FILE).get("tracing")
    value = tracing.get("opentracing_grpc_endpoint") if isinstance(tracing, dict) else None
    # A `$VAR` endpoint is substituted in the file at start; only a literal address is passed on.
    return value if isinstance(value, str) and "$" not in value else None


def _escaped(value: str) -> str:
    # The rendered files hold every reference inside a double-quoted YAML string, and these variables exist
    # only to be substituted there: a JSON string body is a valid YAML double-quoted body, so a key with a
    # quote, backslash or newline still yields one well-formed scalar.
    return json.dumps(value)[1:-1]


def _referenced(rendered: Rendered) -> set[str]:
    return {name for names in rendered.env_vars.values() for name in names}


def _shell_format(names: tuple[str, ...]) -> str:
    # envsubst's SHELL-FORMAT argument: exactly these names are substituted, nothing else.
    return " ".join(f"${name}" for name in names)


def layout(rendered: Rendered, options: UpOptions, bridge: str | None = None) -> Layout:
    """Where the ports go: every listener (and the 12001 hop on request) on the bind and bridge addresses."""
    listeners = [Listener(p.name, p.type, p.port, p.health_path) for p in rendered.listener_ports]
    if options.publish_internal:
        listeners.append(Listener(INTERNAL_HOP_NAME, "internal", LLM_EGRESS_PORT, HEALTH_PATH))
    addresses = [options.bind]
    # A wildcard bind already covers the bridge; publishing both would make the engine bind the port twice.
    if bridge is not None and bridge != options.bind and not is_wildcard(options.bind):
        addresses.append(bridge)
    return Layout(tuple(addresses), options.admin_port, tuple(listeners))


def port_maps(published: Layout) -> tuple[rt.PortMap, ...]:
    """Listeners on every address; the Envoy admin on the bind address only (it can stop the gateway)."""
    ports = [rt.PortMap(li.port, address, li.port) for li in published.listeners for address in published.addresses]
    if published.admin_port is not None:
        ports.append(rt.PortMap(ADMIN_PORT, published.bind, published.admin_port))
    return tuple(ports)


def container_spec(
    project: str,
    config_file: Path,
    rendered: Rendered,
    *,
    config_hash: str,
    values: Mapping[str, str],
    options: UpOptions,
    files_dir: Path,
    supervisor_dir: Path,
    published: Layout | None = None,
) -> rt.ContainerSpec:
    """The whole creation request; secrets only in `environment`, which goes to the Engine API."""
    published = published or layout(rendered, options)
    labels = {
        rt.MANAGED: "1",
        rt.PROJECT: project,
        rt.CONFIG_HASH: config_hash,
        rt.CONFIG_FILE: str(config_file.resolve()),
        rt.CLI_VERSION: __version__,
        rt.ENDPOINTS: encode(published),
    }
    return rt.ContainerSpec(
        name=container_name(project),
        image=options.image,
        command=START,
        labels=labels,
        environment=environment(rendered, values, options),
        ports=port_maps(published),
        mounts=(rt.BindMount(str(files_dir), RENDERED_DIR), rt.BindMount(str(supervisor_dir), SUPERVISOR_DIR)),
        tmpfs={RUN_DIR: "rw,mode=0700"},
    )
