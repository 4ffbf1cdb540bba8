"""Render stage: the file paths a rendered envoy.yaml names, for the container or for a validation copy."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from planoai_cli.contract import DEFAULT_UPSTREAM_TLS_CA_PATH, LLM_GATEWAY_WASM, LOG_DIR, PROMPT_GATEWAY_WASM

ENVOY_FILE = "envoy.yaml"
PLANO_CONFIG_FILE = "plano_config_rendered.yaml"

# Access log files, one per listener group (the gateway image pre-creates them under /var/log).
ACCESS_INGRESS = "access_ingress.log"
ACCESS_PROMPT = "access_ingress_prompt.log"
ACCESS_INTERNAL = "access_internal.log"
ACCESS_LLM = "access_llm.log"
ACCESS_AGENT = "access_agent.log"


@dataclass(frozen=True)
class RenderPaths:
    """Where the rendered envoy.yaml expects the plugins, the access logs and the CA bundle.

    The defaults are the gateway image's paths. A validation copy on the host is the same render with
    other paths (the stand-in plugin, a temporary log folder, a CA file that exists here), never a text
    substitution. `pin_ca_bundle` makes `ca_bundle` win over the config's `upstream_tls_ca_path`, which
    names a file inside the container.
    """

    prompt_gateway_wasm: str = PROMPT_GATEWAY_WASM
    llm_gateway_wasm: str = LLM_GATEWAY_WASM
    log_dir: str = LOG_DIR
    ca_bundle: str = DEFAULT_UPSTREAM_TLS_CA_PATH
    pin_ca_bundle: bool = False

    def log(self, name: str) -> str:
        """The access log file `name` inside `log_dir`."""
        return posixpath.join(self.log_dir, name)

    def ca_path(self, configured: str | None) -> str:
        """The CA bundle the TLS clusters trust: the config's own unless pinned."""
        if configured is None or self.pin_ca_bundle:
            return self.ca_bundle
        return configured


CONTAINER_PATHS = RenderPaths()
